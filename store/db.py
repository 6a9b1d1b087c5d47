"""The local SQLite store (sqlite-utils): instances and their Chatwoot integration rows.

WAL and a busy timeout let the dashboard read while another process writes; every
write is one ``BEGIN IMMEDIATE`` transaction. Reads never create a store: only the
commands that write (``init``, ``import``, ``add``, ``set``) do.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cwdash.store import schema

if TYPE_CHECKING:
    from sqlite_utils import Database

BUSY_TIMEOUT = 5.0

INTEGRATION_COLUMNS = (
    "instance_name",
    "status",
    "bridge_integration_id",
    "chatwoot_base_url",
    "chatwoot_account_id",
    "chatwoot_api_token",
    "chatwoot_inbox_id",
    "chatwoot_inbox_name",
    "last_error",
    "created_at",
    "sign_messages",
    "ignore_groups",
    "start_as_pending",
    "reopen_resolved",
)
FLAGS = ("sign_messages", "ignore_groups", "start_as_pending", "reopen_resolved")


class StoreError(Exception):
    """The store cannot be used; the message says why and what to run."""


class StoreMissing(StoreError):
    """No store file where the configuration points."""


def now_rfc3339() -> str:
    """Current UTC time, RFC 3339 with a ``Z`` and whole seconds, as RyzeAPI writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class IntegrationRow:
    """One ``chatwoot_integrations`` row as stored: the token still sealed."""

    instance_name: str
    status: str
    bridge_integration_id: str
    chatwoot_base_url: str
    chatwoot_account_id: int
    sealed_token: str
    chatwoot_inbox_id: int
    chatwoot_inbox_name: str
    last_error: str
    created_at: str
    sign_messages: bool
    ignore_groups: bool
    start_as_pending: bool
    reopen_resolved: bool

    def __repr__(self) -> str:
        return f"IntegrationRow(instance_name={self.instance_name!r}, status={self.status!r})"

    @classmethod
    def from_tuple(cls, row: tuple) -> IntegrationRow:
        (name, status, bid, url, account, token, inbox, inbox_name, err, created, *flags) = row
        return cls(
            name,
            status,
            bid,
            url,
            int(account),
            token,
            int(inbox),
            inbox_name,
            err,
            created,
            *(bool(f) for f in flags),
        )


@dataclass(frozen=True, slots=True)
class ListRow:
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


def _connect(path: Path, *, readonly: bool = False, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


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

    @cached_property
    def db(self) -> Database:
        """sqlite-utils on this connection, for writes and migrations.

        Loaded on first use: importing sqlite-utils costs about 0.3 s, and the reads
        (``status``, ``list``, the dashboard's start) go through plain SQL.
        """
        from sqlite_utils import Database

        return Database(self.conn, execute_plugins=False)

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = False, timeout: float = BUSY_TIMEOUT) -> Store:
        """Open (and with ``create`` make) the store at ``path``, migrating it to the latest schema.

        A store written by a newer cwdash is refused untouched; a missing one raises
        StoreMissing unless ``create``.
        """
        path = Path(path)
        if not path.exists():
            if not create:
                raise StoreMissing(
                    f"no store at {path}; run `cwdash init` to create one "
                    "(or point CWDASH_DB / --db at an existing store)"
                )
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        readonly = not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
        try:
            conn = _connect(path, readonly=readonly, timeout=timeout)
            found = schema.version(conn)
            if found > schema.LATEST:
                conn.close()
                raise StoreError(
                    f"{path} was written by a newer cwdash (schema {found}, this one knows "
                    f"{schema.LATEST}); upgrade cwdash. The store was not touched."
                )
            store = cls(path, conn, readonly=readonly)
            if found < schema.LATEST:
                if readonly:
                    raise StoreError(f"{path} needs a schema upgrade but is read-only")
                schema.migrate(store.db)
            if not readonly:
                with contextlib.suppress(sqlite3.OperationalError):
                    conn.execute("PRAGMA journal_mode = WAL")
            # reading a table proves the file is SQLite and not corrupted at the root
            conn.execute("SELECT count(*) FROM instances WHERE 0").fetchone()
        except sqlite3.Error as exc:
            raise _wrap(exc, path) from None
        return store

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
    def write(self) -> Iterator[Database]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it lands or none of it."""
        if self.readonly:
            raise StoreError(f"the store {self.path} is read-only, so this write cannot be saved")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None
        try:
            yield self.db
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
            return self.conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None

    # -- reads ---------------------------------------------------------------

    def instance_exists(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM instances WHERE name = ?", [name]))

    def integration(self, name: str) -> IntegrationRow | None:
        rows = self._query(
            f"SELECT {', '.join(INTEGRATION_COLUMNS)} FROM chatwoot_integrations WHERE instance_name = ?",
            [name],
        )
        return IntegrationRow.from_tuple(rows[0]) if rows else None

    _LIST_SQL = (
        "SELECT i.name, c.instance_name IS NOT NULL, coalesce(c.status, ''), "
        "coalesce(c.last_error, ''), coalesce(c.chatwoot_base_url, ''), "
        "coalesce(c.chatwoot_account_id, 0), coalesce(c.chatwoot_inbox_id, 0), "
        "coalesce(c.chatwoot_inbox_name, ''), coalesce(c.bridge_integration_id, '') "
        "FROM instances i LEFT JOIN chatwoot_integrations c ON c.instance_name = i.name "
        "ORDER BY i.name"
    )

    def list_rows(self, limit: int | None = None) -> list[ListRow]:
        """Instances, with or without an integration, ordered by name (the first ``limit`` only)."""
        rows = self._query(self._LIST_SQL + ("" if limit is None else f" LIMIT {int(limit)}"))
        urls: dict[str, str] = {}  # few distinct URLs: share one string per URL
        return [ListRow(r[0], bool(r[1]), r[2], r[3], urls.setdefault(r[4], r[4]), *r[5:]) for r in rows]

    def iter_list(self, limit: int | None = None) -> Iterator[tuple]:
        """The same listing as :meth:`list_rows`, streamed as plain tuples.

        The dashboard builds its rows from these one at a time, so a 100k fleet never
        exists twice in memory (all rows fetched, then all rows converted).
        """
        sql = self._LIST_SQL + ("" if limit is None else f" LIMIT {int(limit)}")
        try:
            cursor = self.conn.execute(sql)
            while batch := cursor.fetchmany(2000):
                yield from batch
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from None

    def instance_count(self) -> int:
        return int(self._query("SELECT count(*) FROM instances")[0][0])

    def integrations(self) -> list[IntegrationRow]:
        rows = self._query(
            f"SELECT {', '.join(INTEGRATION_COLUMNS)} FROM chatwoot_integrations ORDER BY instance_name"
        )
        return [IntegrationRow.from_tuple(r) for r in rows]

    def instance_names(self) -> list[str]:
        return [r[0] for r in self._query("SELECT name FROM instances ORDER BY name")]

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
        row = {k: values[k] for k in INTEGRATION_COLUMNS}
        for flag in FLAGS:
            row[flag] = int(bool(row[flag]))
        row["updated_at"] = updated_at
        return row

    def _upsert(self, db: Database, values: dict[str, object]) -> None:
        db["chatwoot_integrations"].upsert(self._row(values, now_rfc3339()), pk="instance_name")

    def import_records(self, records: list[tuple[str, dict[str, object] | None]]) -> None:
        """Upsert many instances (and integrations when given) in one transaction."""
        now = now_rfc3339()
        with self.write() as db:
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
        with self.write():
            cur = self.conn.execute(
                "UPDATE chatwoot_integrations SET chatwoot_inbox_id = ?, updated_at = ? "
                "WHERE instance_name = ? AND chatwoot_inbox_id = 0",
                (inbox_id, now_rfc3339(), name),
            )
        return cur.rowcount > 0

    def record_audit(self, name: str, action: str) -> None:
        """Record that a token was revealed or copied, by whom and when."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        with self.write() as db:
            db["token_audit"].insert(
                {"instance_name": name, "at": now_rfc3339(), "os_user": user, "action": action}
            )

    def reseal_tokens(self, reseal: Callable[[list[IntegrationRow]], dict[str, str]]) -> int:
        """Replace sealed tokens in one write transaction (key rotation).

        ``reseal`` gets the rows as read inside the transaction (so nothing changes
        between reading and writing) and returns the new sealed value by instance name;
        if it raises, nothing is written.
        """
        with self.write():
            sealed = reseal(self.integrations())
            self.conn.executemany(
                "UPDATE chatwoot_integrations SET chatwoot_api_token = ? WHERE instance_name = ?",
                [(v, k) for k, v in sealed.items()],
            )
        return len(sealed)
