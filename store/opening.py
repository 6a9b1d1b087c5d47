"""Opening a store file: what each kind of command may do to it, and reading on a full disk.

- Only the commands that create (``init``, ``import``, ``add``, ``set``: ``create=True``)
  make a file and its schema, and switch it to WAL. Every other command opens an
  existing cwdash store and changes nothing at opening: no schema, no migration (a
  write migrates first, see :meth:`cwdash.store.db.Store.write`), no journal mode.
- A file that is not a cwdash store (another application's SQLite file, identified by
  its tables and ``user_version``) is refused in every mode and left byte-identical.
- Reads survive a full disk (or a directory that cannot be written): when SQLite cannot
  create the WAL index (``-shm``), the store is opened read-only instead, and the
  handle's ``notice`` says so.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from cwdash.store import schema
from cwdash.store.db import BUSY_TIMEOUT, Store, StoreError, StoreMissing, _wrap

if TYPE_CHECKING:
    from collections.abc import Callable

OUR_TABLES = frozenset({"instances", "chatwoot_integrations", "token_audit"})
# SQLite result codes after which a read may still work without the -shm file
_NO_SHM = frozenset(
    {sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY}
)


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path.absolute()), safe='/')}" + (f"?{query}" if query else "")


def _connect(path: Path, timeout: float, *, pragmas: tuple[str, ...] = (), **uri: str) -> sqlite3.Connection:
    target = _uri(path, **uri) if uri else str(path)
    conn = sqlite3.connect(target, uri=bool(uri), timeout=timeout, check_same_thread=False)
    try:
        for pragma in ("PRAGMA foreign_keys = ON", *pragmas):
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


def identify(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of a cwdash store; 0 for an empty file; StoreError for anything else.

    Reads only: the file is left as it was, whatever it turns out to be.
    """
    version = schema.version(conn)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version > schema.LATEST:
        raise StoreError(
            f"{path} was written by a newer cwdash (schema {version}, this one knows "
            f"{schema.LATEST}); upgrade cwdash. The store was not touched."
        )
    if version == 0 and not tables:
        return 0
    missing = {"instances", "chatwoot_integrations"} - tables
    if version == 0 or missing:
        foreign = sorted(tables - OUR_TABLES)
        held = f"it holds the tables {', '.join(foreign[:5])}" if foreign else f"user_version {version}"
        raise StoreError(
            f"{path} is not a cwdash store ({held}); it was left untouched. "
            "Point CWDASH_DB / --db at a cwdash store, or at a new file for `cwdash init`."
        )
    return version


def _check_path(path: Path, *, create: bool) -> None:
    """Refuse, with a message, the paths SQLite would fail on obscurely."""
    if path.is_symlink() and not path.exists():
        target = os.readlink(path)
        raise StoreError(
            f"{path} is a symbolic link to {target}, which does not exist; fix or remove the link, "
            "or point CWDASH_DB / --db at the store"
        )
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a store file; point CWDASH_DB / --db at a file")
    if not path.exists():
        if not create:
            raise StoreMissing(
                f"no store at {path}; run `cwdash init` to create one "
                "(or point CWDASH_DB / --db at an existing store)"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            pass  # created meanwhile by another cwdash
        except OSError as exc:
            raise StoreError(f"cannot create the store {path}: {exc.strerror or exc}") from None


def _copy_to_memory(path: Path, timeout: float) -> sqlite3.Connection:
    source = _connect(path, timeout, pragmas=("PRAGMA locking_mode = EXCLUSIVE",))
    try:
        memory = sqlite3.connect(":memory:", check_same_thread=False)
        source.backup(memory)
    finally:
        source.close()
    return memory


def _fallbacks(path: Path, timeout: float) -> list[tuple[str, Callable[[], sqlite3.Connection]]]:
    """Read-only ways to open a store whose WAL index cannot be created, best first."""
    wal = Path(f"{path}-wal")
    try:
        wal_empty = wal.stat().st_size == 0
    except FileNotFoundError:
        wal_empty = True
    except OSError:
        wal_empty = False
    ways: list[tuple[str, Callable[[], sqlite3.Connection]]] = []
    if wal_empty:
        # Nothing is waiting in the WAL: the file alone is the whole store. `immutable`
        # reads it without locks and without the -shm file.
        ways.append(
            (
                "a snapshot: changes made while cwdash runs are not shown",
                lambda: _connect(path, timeout, mode="ro", immutable="1"),
            )
        )
    if os.access(path, os.W_OK):
        # Commits still in the WAL: read them under an exclusive lock, which keeps the WAL
        # index in memory, into a copy in memory, and let the file go at once.
        ways.append(
            (
                "a snapshot copied into memory: changes made while cwdash runs are not shown",
                lambda: _copy_to_memory(path, timeout),
            )
        )
    return ways


def open_store(path: Path, *, create: bool, readonly: bool, timeout: float = BUSY_TIMEOUT) -> Store:
    """See :meth:`cwdash.store.db.Store.open`."""
    path = Path(path)
    _check_path(path, create=create)
    readonly = readonly or not os.access(path, os.W_OK)
    notice: str | None = None
    try:
        conn = _connect(path, timeout, mode="ro") if readonly else _connect(path, timeout)
        try:
            version = identify(conn, path)
        except sqlite3.OperationalError as exc:
            conn.close()
            if create or exc.sqlite_errorcode & 0xFF not in _NO_SHM:
                raise
            conn, version, notice = _open_fallback(path, timeout, exc)
            readonly = True
        except BaseException:
            conn.close()
            raise
        store = Store(path, conn, readonly=readonly)
        store.schema_version = version
        store.notice = notice
        if version == 0 and not create:
            store.close()
            raise StoreError(
                f"{path} is an empty file, not a cwdash store yet; run `cwdash init` to make it one"
            )
        if create and version < schema.LATEST:
            if readonly:
                raise StoreError(f"{path} needs a schema upgrade but is read-only")
            schema.migrate(store.db)
            store.schema_version = schema.LATEST
        if create:
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        raise _wrap(exc, path) from None
    return store


def _open_fallback(path: Path, timeout: float, first: sqlite3.Error) -> tuple[sqlite3.Connection, int, str]:
    for how, connect in _fallbacks(path, timeout):
        try:
            conn = connect()
        except sqlite3.Error:
            continue
        try:
            version = identify(conn, path)
        except sqlite3.OperationalError:
            conn.close()
            continue
        except BaseException:
            conn.close()
            raise
        notice = (
            f"the store {path} is open read-only, {how}: SQLite could not create its "
            f"shared-memory file ({first}: is the disk full, or its directory read-only?). "
            "Nothing can be saved until that is fixed."
        )
        return conn, version, notice
    raise first
