"""The local SQLite store (sqlite-utils): instances and their Chatwoot integration rows.

WAL and a busy timeout let the dashboard read while another process writes; every
write is one ``BEGIN IMMEDIATE`` transaction. Reads never create a store: only the
commands that write (``init``, ``import``, ``add``, ``set``) do.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
import contextlib
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from cwdash.store import rows as checks
from cwdash.store import schema
from cwdash.store.document import FIELDS, StatusDocument, to_sql
from cwdash.store.rows import BadRow, UrlCheck, check_listing, fetch

if TYPE_CHECKING:
    from sqlite_utils import Database

    from cwdash.store.sealing import Sealer

BUSY_TIMEOUT = 5.0


class _LazyDatabase:
    """A write transaction's sqlite-utils Database, made on first use: most writes (audit,
    history, backfills) are plain SQL on the connection and never pay sqlite-utils'
    import (~60 ms, most of a ``status`` call's own time)."""

    __slots__ = ("_store",)

    def __init__(self, store: "Store") -> None:
        self._store = store

    def __getitem__(self, name: str) -> object:
        return self._store.db[name]

    def __getattr__(self, name: str) -> object:
        return getattr(self._store.db, name)


class StoreError(Exception):
    """The store cannot be used; the message says why and what to run."""


class StoreMissing(StoreError):
    """No store file where the configuration points."""


class BadRowError(StoreError):
    """A row another tool wrote that cwdash cannot use (see :mod:`cwdash.store.rows`)."""

    def __init__(self, bad: BadRow) -> None:
        super().__init__(
            f"the store's row for {bad.name!r} is a {bad.message} (written by another tool?); "
            f"delete it with `cwdash delete NAME` and set it again"
        )
        self.bad = bad


def now_rfc3339() -> str:
    """Current UTC time, RFC 3339 with a ``Z`` and whole seconds, as RyzeAPI writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_record(
    row: tuple, urls: UrlCheck | None = None, sealer: "Sealer | None" = None, key_problem: str | None = None
) -> StatusDocument:
    """The record of a raw ``chatwoot_integrations`` row, token sealed; BadRowError when a
    field is not what cwdash writes (:mod:`cwdash.store.rows`)."""
    problem = checks.integration_problem(row, UrlCheck() if urls is None else urls)
    if problem is not None:
        raise BadRowError(BadRow(checks.shown_name(row[0]), problem))
    return StatusDocument.from_stored(row, sealer, key_problem)


class ListRow(NamedTuple):
    """What the fleet list needs of one instance; no token, sealed or not."""

    name: str
    has_integration: bool
    status: str
    last_error: str
    base_url: str
    account_id: int
    inbox_id: int
    inbox_name: str
    bridge_integration_id: str
    bad: str | None = None  # the first bad field of a row another tool wrote
    written_at: str = ""  # when cwdash last wrote the row here (RFC 3339; "" when unknown)


_RECORD_SQL = f"SELECT {', '.join(FIELDS)} FROM chatwoot_integrations"


def _wrap(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a usable cwdash store ({text})")
    if "locked" in text or "busy" in text:
        return StoreError(f"the store {path} is locked by another process; try again ({text})")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the store {path} is read-only, so this write cannot be saved ({text})")
    return StoreError(f"store error on {path}: {text}")


class Store:
    """A handle on one store file. Reads are cheap; each write is one transaction."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self.conn = conn
        self.schema_version = schema.LATEST  # what the file had when opened
        self.notice: str | None = None  # how the store was opened, when not as asked (full disk)

    @cached_property
    def db(self) -> "Database":
        """sqlite-utils on this connection, for writes and migrations.

        Loaded on first use: importing sqlite-utils costs about 0.3 s, and the reads
        (``status``, ``list``, the dashboard's start) go through plain SQL.
        """
        from sqlite_utils import Database

        return Database(self.conn, execute_plugins=False)

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path, *, create: bool = False, readonly: bool = False, timeout: float = BUSY_TIMEOUT
    ) -> "Store":
        """Open the cwdash store at ``path``; only ``create`` makes (or migrates) one.

        Without ``create`` nothing is written at opening: a missing store raises
        StoreMissing, a file that is not a cwdash store (or is empty) is refused untouched,
        an older schema is read as it is (the first write migrates it). ``readonly`` opens
        through SQLite's read-only mode. On a full disk a read falls back to a read-only
        handle whose ``notice`` says so. A store written by a newer cwdash is refused.
        See :mod:`cwdash.store.opening`.
        """
        from cwdash.store.opening import open_store

        return open_store(Path(path), create=create, readonly=readonly, timeout=timeout)

    def close(self) -> None:
        self.conn.close()

    def permissions_warning(self) -> str | None:
        """A warning when the store file is readable by group or others."""
        try:
            mode = self.path.stat().st_mode
        except OSError:
            return None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            return (
                f"warning: {self.path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
                f"run `chmod 600 {self.path}`"
            )
        return None

    @contextlib.contextmanager
    def write(self) -> "Iterator[Database]":
        """One write transaction (``BEGIN IMMEDIATE``): all of it lands or none of it."""
        if self.readonly:
            raise StoreError(f"the store {self.path} is read-only, so this write cannot be saved")
        if self.schema_version < schema.LATEST:  # opened to read: the first write migrates
            try:
                schema.migrate(self.db)
            except sqlite3.Error as exc:
                raise _wrap(exc, self.path) from None
            self.schema_version = schema.LATEST
            self.__dict__.pop("_has_written_at", None)  # looked up again after the migration
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None
        try:
            yield cast("Database", _LazyDatabase(self))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise _wrap(exc, self.path) from None

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        try:
            return list(fetch(self.conn, sql, tuple(params)))
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None

    # -- reads ---------------------------------------------------------------

    def instance_exists(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM instances WHERE name = ?", [name]))

    def integration(
        self, name: str, sealer: "Sealer | None" = None, key_problem: str | None = None
    ) -> StatusDocument | None:
        """The record of ``name``, its token sealed (opened with ``sealer`` on request);
        BadRowError when another tool wrote it wrong."""
        rows = self._query(_RECORD_SQL + " WHERE instance_name = ?", [name])
        return read_record(rows[0], None, sealer, key_problem) if rows else None

    # see rows.check_listing: the columns the list shows, and SQLite's check of the others
    _LIST_SQL = (
        "SELECT i.name, c.instance_name IS NOT NULL, c.status, c.bridge_integration_id, "
        "c.chatwoot_base_url, c.chatwoot_account_id, c.chatwoot_inbox_id, c.chatwoot_inbox_name, "
        f"c.last_error, c.created_at, {checks.UNSHOWN_PROBLEM_SQL}, {{written}} "
        "FROM instances i LEFT JOIN chatwoot_integrations c ON c.instance_name = i.name "
        "ORDER BY i.name"
    )

    def list_rows(self, limit: int | None = None) -> list[ListRow]:
        """Instances, with or without an integration, ordered by name (the first ``limit`` only).

        A row another tool wrote wrong is listed with ``bad`` naming its first bad field."""
        urls: dict[str, str] = {}  # few distinct URLs: share one string per URL
        return [
            ListRow(r[0], r[1], r[2], r[3], urls.setdefault(r[4], r[4]), r[5], r[6], r[7], r[8], r[9], r[10])
            for r in self.iter_list(limit)
        ]

    def iter_list(self, limit: int | None = None) -> Iterator[tuple]:
        """The same listing as :meth:`list_rows`, streamed as checked tuples
        (:data:`cwdash.store.rows.ListingTuple`).

        The dashboard builds its rows from these one at a time, so a 100k fleet never
        exists twice in memory (all rows fetched, then all rows converted).
        """
        # a store of an older schema is read as it is (no local write times yet), and so
        # is a table another tool rebuilt without the column
        written = "c.local_written_at" if self._has_written_at else "''"
        sql = self._LIST_SQL.format(written=written) + ("" if limit is None else f" LIMIT {int(limit)}")
        urls = UrlCheck()
        try:
            for raw in fetch(self.conn, sql):
                yield check_listing(raw, urls)
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None

    @cached_property
    def _has_written_at(self) -> bool:
        """Whether the integrations table has schema v3's ``local_written_at`` column."""
        if self.schema_version < 3:
            return False
        columns = self._query("SELECT name FROM pragma_table_info('chatwoot_integrations')")
        return any(c[0] == "local_written_at" for c in columns)

    def stream(self, sql: str, params: Iterable[object] = ()) -> Iterator[tuple]:
        """The rows of a read query, fetched in batches (``fetchmany``): a 100k listing is
        never all in memory at once. StoreError, as every read, when SQLite fails midway."""
        try:
            yield from fetch(self.conn, sql, tuple(params))
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store (a deferred read transaction): a listing
        read twice (widths, then lines) reads the same rows both times."""
        began = not self.conn.in_transaction
        if began:
            try:
                self.conn.execute("BEGIN")
            except sqlite3.Error as exc:
                raise _wrap(exc, self.path) from None
        try:
            yield
        finally:
            if began and self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("COMMIT")

    def instance_count(self) -> int:
        return int(self._query("SELECT count(*) FROM instances")[0][0])

    def instance_estimate(self) -> int:
        """About how many instances there are, at once: the highest rowid (one B-tree seek),
        exact while rows are only added, above the count after deletions. ``count(*)``
        reads every row (18 ms for 250k, 70 ms for four such sites before a first paint).
        A table another tool made without rowid is counted."""
        try:
            found = self.conn.execute("SELECT max(rowid) FROM instances").fetchone()
        except sqlite3.OperationalError:  # WITHOUT ROWID: no rowid to look at
            return self.instance_count()
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None
        return int(found[0] or 0)  # an aggregate: one row, NULL for an empty table

    def integration_records(self) -> list[StatusDocument | BadRow]:
        """Every integration's record by name, a row another tool wrote wrong as a BadRow."""
        rows = self._query(_RECORD_SQL + " ORDER BY instance_name")
        urls = UrlCheck()
        out: list[StatusDocument | BadRow] = []
        for raw in rows:
            try:
                out.append(read_record(raw, urls))
            except BadRowError as exc:
                out.append(exc.bad)
        return out

    def integrations(self) -> list[StatusDocument]:
        """Every integration row by name; BadRowError at the first bad one."""
        records = self.integration_records()
        for record in records:
            if isinstance(record, BadRow):
                raise BadRowError(record)
        return records  # type: ignore[return-value]

    def instance_names(self) -> list[str]:
        return [r[0] for r in self._query("SELECT name FROM instances ORDER BY name")]

    def listing_version(self) -> int:
        """Changes whenever a write changed what the list shows (schema 6's counter, bumped
        by triggers; history and audit writes leave it alone). A store older than schema 6
        (reads never migrate) answers with ``data_version``: any commit by another connection."""
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE name = 'listing_version'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):  # a schema-1 store has no meta: not an error
                raise _wrap(exc, self.path) from None
            row = None
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None
        if row is not None:
            return int(row[0])
        return -1 - self.data_version()  # negative: never equal to a counter's value

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap "did anything change?"."""
        return int(self._query("PRAGMA data_version")[0][0])

    def audit(self) -> list[tuple[str, str, str, str]]:
        return [
            tuple(r)
            for r in self._query("SELECT at, instance_name, os_user, action FROM token_audit ORDER BY id")
        ]

    # -- writes --------------------------------------------------------------

    def add_instance(self, name: str, created_at: str | None = None) -> bool:
        """Add an instance; False when it already existed."""
        with self.write() as db:
            if self.instance_exists(name):
                return False
            db["instances"].insert({"name": name, "created_at": created_at or now_rfc3339()})
        return True

    def upsert_integration(self, values: dict[str, object]) -> None:
        """Create or replace one integration row (the token already sealed)."""
        with self.write() as db:
            self._upsert(db, values)

    @staticmethod
    def _row(values: dict[str, object], updated_at: str) -> dict[str, object]:
        row = to_sql(values)
        row["updated_at"] = updated_at
        row["local_written_at"] = updated_at  # schema v3: this process wrote it, now
        return row

    def _upsert(self, db: "Database", values: dict[str, object]) -> None:
        db["chatwoot_integrations"].upsert(self._row(values, now_rfc3339()), pk="instance_name")

    def import_records(
        self, records: list[tuple[str, dict[str, object] | None]], keys: "Sealer | None" = None
    ) -> None:
        """Upsert many instances (and integrations when given) in one transaction.

        A token given as a plaintext Secret is sealed inside the transaction, under the
        key the store holds then (:mod:`cwdash.store.keyguard`); a ``str`` is already sealed.
        """
        from cwdash.store import keyguard

        now = now_rfc3339()
        with self.write() as db:
            records = keyguard.seal_records(self.conn, records, keys, self.path)
            self.conn.executemany(
                "INSERT OR IGNORE INTO instances (name, created_at) VALUES (?, ?)",
                [(name, (values or {}).get("created_at") or now) for name, values in records],
            )
            rows = [self._row(values, now) for _, values in records if values is not None]
            if rows:
                db["chatwoot_integrations"].upsert_all(rows, pk="instance_name", batch_size=500)

    def delete_integration(self, name: str) -> bool:
        """Remove an instance's integration row; False when there was none."""
        with self.write():
            cur = self.conn.execute("DELETE FROM chatwoot_integrations WHERE instance_name = ?", (name,))
        return cur.rowcount > 0

    def backfill_inbox(self, name: str, inbox_id: int) -> bool:
        """Fill a still-zero ``chatwoot_inbox_id``; never overwrite a value set meanwhile."""
        now = now_rfc3339()
        with self.write():
            cur = self.conn.execute(
                "UPDATE chatwoot_integrations SET chatwoot_inbox_id = ?, updated_at = ?, "
                "local_written_at = ? WHERE instance_name = ? AND chatwoot_inbox_id = 0",
                (inbox_id, now, now, name),
            )
        return cur.rowcount > 0

    def record_audit(self, name: str, action: str) -> None:
        """Record that a token was revealed or copied, by whom and when."""
        try:
            import getpass  # only when a token is printed: kept off the start path

            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        with self.write():
            self.conn.execute(
                "INSERT INTO token_audit (instance_name, at, os_user, action) VALUES (?, ?, ?, ?)",
                (name, now_rfc3339(), user, action),
            )

    def reseal_tokens(self, reseal: Callable[[list[StatusDocument]], dict[str, str]], keys: "Sealer") -> int:
        """Replace sealed tokens in one write transaction (key rotation).

        ``reseal`` gets the rows as read inside the transaction (so nothing changes
        between reading and writing) and returns the new sealed value by instance name;
        if it raises, nothing is written. ``keys`` seals with the new key and opens with
        the old: the store must be under one of them, and is recorded as under the new
        one in the same transaction, so a writer still holding the old key refuses.
        """
        from cwdash.store import keyguard

        with self.write():
            keyguard.sealer_in_force(self.conn, keys, self.path)
            sealed = reseal(self.integrations())
            self.conn.executemany(
                "UPDATE chatwoot_integrations SET chatwoot_api_token = ? WHERE instance_name = ?",
                [(v, k) for k, v in sealed.items()],
            )
            keyguard.record(self.conn, keys.fingerprint)
        return len(sealed)
