"""What RyzeAPI's own API last said of each instance (the store's ``upstream`` table, schema 3).

Kept beside the record, not in it: the record (:mod:`cwdash.store.document`) is the
Status/info document; this is what the instance listing adds (the WhatsApp connection
state, whether the instance is still listed) and what ``cwdash sync`` needs to continue
after an interruption and to skip what has not changed (when each row was synced, the
listing's summary digest it was synced at).

Reads tolerate a store without the table (written by an older cwdash: nothing is known
yet) and values another tool wrote wrong (an unknown connection reads as unknown).
Writes take a connection inside the caller's write transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cwdash.store.status import CONNECTION_STATES, UNKNOWN_CONNECTION

if TYPE_CHECKING:
    from cwdash.store.db import Store
    from cwdash.store.ryzeapi.listing import Listed

_COLUMNS = "instance_name, connection, number_jid, listed, unlisted_since, listed_at, summary, synced_at, flags_synced"


@dataclass(frozen=True, slots=True)
class Upstream:
    """One instance as RyzeAPI's API last showed it."""

    name: str
    connection: str  # connected, connecting, disconnected, loggedout; "" when unknown
    number_jid: str | None
    listed: bool  # False: the last full listing did not have it ("not listed upstream")
    unlisted_since: str | None
    listed_at: str  # when a listing last showed it (RFC 3339)
    summary: str  # the listing's Chatwoot summary digest when its Status/info was last written
    synced_at: str | None  # when its Status/info was last written (None: never)
    flags_synced: bool  # False: RyzeAPI's answer had no flags; the local ones were kept


COLUMNS = _COLUMNS  # the table's columns, in the order :func:`from_raw` reads them


def _text(value: object) -> str | None:
    return value if type(value) is str else None


def _row(raw: tuple) -> Upstream | None:
    name, connection, jid, listed, unlisted, listed_at, summary, synced, flags = raw
    if type(name) is not str:
        return None
    return Upstream(
        name=name,
        connection=connection if connection in CONNECTION_STATES else UNKNOWN_CONNECTION,
        number_jid=_text(jid),
        listed=listed != 0,
        unlisted_since=_text(unlisted),
        listed_at=_text(listed_at) or "",
        summary=_text(summary) or "",
        synced_at=_text(synced),
        flags_synced=flags != 0,
    )


def from_raw(raw: tuple) -> Upstream | None:
    """An upstream row read with :data:`COLUMNS` (None when its name is not text)."""
    return _row(raw)


def _query(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a store from before schema 3, not written since
        raise


def read_all(store: Store) -> dict[str, Upstream]:
    """Every instance's upstream row, by name."""
    rows = (_row(r) for r in _query(store.conn, f"SELECT {_COLUMNS} FROM upstream"))
    return {r.name: r for r in rows if r is not None}


def read_one(store: Store, name: str) -> Upstream | None:
    rows = _query(store.conn, f"SELECT {_COLUMNS} FROM upstream WHERE instance_name = ?", (name,))
    return _row(rows[0]) if rows else None


def connections(store: Store) -> dict[str, str]:
    """The WhatsApp connection state of every instance whose state is known (one query)."""
    return {name: up.connection for name, up in read_all(store).items() if up.connection}


def unsynced_tokens(store: Store) -> frozenset[str]:
    """The instances whose integration has no token: synced from a RyzeAPI that returns none."""
    from cwdash.store.document import TOKEN_NOT_SYNCED

    sql = "SELECT instance_name FROM chatwoot_integrations WHERE chatwoot_api_token = ?"
    return frozenset(r[0] for r in _query(store.conn, sql, (TOKEN_NOT_SYNCED,)) if type(r[0]) is str)


def as_json(up: Upstream) -> dict[str, object]:
    """What ``list --json`` adds under ``upstream`` for an instance RyzeAPI's API has shown."""
    return {
        "connection": up.connection or None,
        "listed": up.listed,
        "unlisted_since": up.unlisted_since,
        "synced_at": up.synced_at,
        "flags_synced": up.flags_synced,
    }


# -- writes (inside the caller's write transaction) ---------------------------------------


def save_listing(conn: sqlite3.Connection, listed: Iterable[Listed], now: str) -> None:
    """Record what a listing says: instances added when new, connection, listed again."""
    items = list(listed)
    conn.executemany(
        "INSERT OR IGNORE INTO instances (name, created_at) VALUES (?, ?)", [(i.name, now) for i in items]
    )
    conn.executemany(
        "INSERT INTO upstream (instance_name, connection, number_jid, listed, unlisted_since, listed_at) "
        "VALUES (?, ?, ?, 1, NULL, ?) ON CONFLICT(instance_name) DO UPDATE SET "
        "connection = excluded.connection, number_jid = excluded.number_jid, listed = 1, "
        "unlisted_since = NULL, listed_at = excluded.listed_at",
        [(i.name, i.connection, i.number_jid, now) for i in items],
    )


def mark_unlisted(conn: sqlite3.Connection, names: Iterable[str], now: str) -> list[str]:
    """Mark instances "not listed upstream"; the ones newly marked."""
    marked: list[str] = []
    for name in names:
        row = conn.execute("SELECT listed FROM upstream WHERE instance_name = ?", (name,)).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO upstream (instance_name, listed, unlisted_since, listed_at) VALUES (?, 0, ?, '')",
                (name, now),
            )
        elif row[0] != 0:
            conn.execute(
                "UPDATE upstream SET listed = 0, unlisted_since = ? WHERE instance_name = ?", (now, name)
            )
        else:
            continue
        marked.append(name)
    return marked


def mark_synced(conn: sqlite3.Connection, name: str, summary: str, now: str, *, flags_synced: bool) -> None:
    """Record that ``name``'s Status/info was written now, at listing summary ``summary``."""
    conn.execute(
        "INSERT INTO upstream (instance_name, listed_at, summary, synced_at, flags_synced) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(instance_name) DO UPDATE SET summary = excluded.summary, "
        "synced_at = excluded.synced_at, flags_synced = excluded.flags_synced",
        (name, now, summary, now, int(flags_synced)),
    )


def prune(conn: sqlite3.Connection, names: Iterable[str]) -> int:
    """Remove instances entirely (integration, upstream row, instance); how many were removed."""
    removed = 0
    for name in names:
        conn.execute("DELETE FROM chatwoot_integrations WHERE instance_name = ?", (name,))
        conn.execute("DELETE FROM upstream WHERE instance_name = ?", (name,))
        removed += conn.execute("DELETE FROM instances WHERE name = ?", (name,)).rowcount
    return removed
