"""The store's schema and its migrations, versioned with ``PRAGMA user_version``.

Each migration moves the schema one version up; :data:`MIGRATIONS` is applied in
order inside one transaction, so a store is always at a whole version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def _v1(db: Database) -> None:
    """First version: instances, their Chatwoot integrations, and the token audit."""
    db["instances"].create(
        {"name": str, "created_at": str},
        pk="name",
        not_null={"created_at"},
    )
    db["chatwoot_integrations"].create(
        {
            "instance_name": str,
            "status": str,
            "bridge_integration_id": str,
            "chatwoot_base_url": str,
            "chatwoot_account_id": int,
            "chatwoot_api_token": str,
            "chatwoot_inbox_id": int,
            "chatwoot_inbox_name": str,
            "last_error": str,
            "created_at": str,
            "updated_at": str,
            "sign_messages": int,
            "ignore_groups": int,
            "start_as_pending": int,
            "reopen_resolved": int,
        },
        pk="instance_name",
        foreign_keys=[("instance_name", "instances", "name")],
        not_null={
            "status",
            "bridge_integration_id",
            "chatwoot_base_url",
            "chatwoot_account_id",
            "chatwoot_api_token",
            "chatwoot_inbox_id",
            "chatwoot_inbox_name",
            "last_error",
            "created_at",
            "updated_at",
            "sign_messages",
            "ignore_groups",
            "start_as_pending",
            "reopen_resolved",
        },
        defaults={
            "chatwoot_inbox_id": 0,
            "last_error": "",
            "status": "active",
            "sign_messages": 0,
            "ignore_groups": 0,
            "start_as_pending": 0,
            "reopen_resolved": 0,
        },
    )
    db["token_audit"].create(
        {"id": int, "instance_name": str, "at": str, "os_user": str, "action": str},
        pk="id",
        not_null={"instance_name", "at", "os_user", "action"},
    )


META_DDL = "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"


def _v2(db: Database) -> None:
    """Second version: a ``meta`` table of named values.

    Its first use is ``sealed_with``, the fingerprint of the key the tokens are sealed
    with. The migration cannot know the key, so the first write that proves it holds
    the key (it opens a stored token) records it; see :mod:`cwdash.store.keyguard`.
    """
    db.conn.execute(META_DDL)


UPSTREAM_DDL = """CREATE TABLE IF NOT EXISTS upstream (
    instance_name TEXT PRIMARY KEY REFERENCES instances(name),
    connection TEXT NOT NULL DEFAULT '',
    number_jid TEXT,
    listed INTEGER NOT NULL DEFAULT 1,
    unlisted_since TEXT,
    listed_at TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    synced_at TEXT,
    flags_synced INTEGER NOT NULL DEFAULT 1
)"""


def _v3(db: Database) -> None:
    """Third version: ``upstream``, what RyzeAPI's own API last said of each instance.

    One row per instance seen by ``cwdash sync`` (or a RyzeAPI listing): its WhatsApp
    connection state, whether the last full listing still had it (``listed``, with
    ``unlisted_since``), the listing's Chatwoot summary digest and when its Status/info
    was last written (``synced_at``, which lets an interrupted sync continue and an
    unchanged one skip), and whether the flags came with it. See :mod:`cwdash.store.upstream`.
    """
    db.conn.execute(UPSTREAM_DDL)


def _v4(db: Database) -> None:
    """Fourth version: ``local_written_at`` on each integration, when cwdash last wrote
    the row here (imported, set, synced or backfilled), apart from ``updated_at``, which a
    sync may take from the gateway. The dashboard says how old local data is with it.
    Rows written before this version start from their ``updated_at``.
    """
    columns = {row[1] for row in db.conn.execute("PRAGMA table_info(chatwoot_integrations)")}
    if "local_written_at" not in columns:  # a store put back to an older version may have it
        db.conn.execute(
            "ALTER TABLE chatwoot_integrations ADD COLUMN local_written_at TEXT NOT NULL DEFAULT ''"
        )
    db.conn.execute(
        "UPDATE chatwoot_integrations SET local_written_at = updated_at WHERE local_written_at = ''"
    )


def _v5(db: Database) -> None:
    """Fifth version: ``history`` (every transition cwdash observed) and ``history_state``
    (the last observed state of each instance, so a new process knows what "changed" means
    without scanning the history). See :mod:`cwdash.store.history`."""
    from cwdash.store.history.tables import create_tables

    create_tables(db.conn)


LISTING_VERSION = "listing_version"  # the meta row counting writes to what the list shows
LISTED_TABLES = ("instances", "chatwoot_integrations", "upstream")


def _v6(db: Database) -> None:
    """Sixth version: ``meta.listing_version``, bumped by triggers on every write to the
    tables the list shows (instances, integrations, upstream), and on nothing else.

    The dashboard reloads its listing when another connection changed it. SQLite's
    ``data_version`` also moves for writes the list never shows, and history writes one
    batch every half second: at 100k instances each needless reload held the GIL for about
    a second. A counter bumped only by the listed tables tells the two apart.
    """
    conn = db.conn
    conn.execute(META_DDL)
    conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, '0')", (LISTING_VERSION,))
    bump = f"UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE name = '{LISTING_VERSION}'"
    for table in LISTED_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_listing AFTER {event} ON {table} "
                f"BEGIN {bump}; END"
            )


MIGRATIONS: list[Callable[[Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
LATEST = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    """The schema version a store file carries (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database) -> int:
    """Bring ``db`` up to :data:`LATEST` in one transaction; return the version it had."""
    conn = db.conn
    before = version(conn)
    if before >= LATEST:
        return before
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = version(conn)  # another process may have migrated while we waited
        for step in MIGRATIONS[current:]:
            step(db)
        conn.execute(f"PRAGMA user_version = {LATEST}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return before


SEALED_WITH = "sealed_with"  # the meta row naming the key the store's tokens are sealed with


def recorded(conn: sqlite3.Connection) -> str | None:
    """The fingerprint of the key the store's tokens are sealed with, or None (none yet, or
    a schema-1 store without ``meta``). Here, beside the table it reads, so that the read
    model can name the store's key without loading the key guard (:mod:`cwdash.store.keyguard`)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = ?", (SEALED_WITH,)).fetchone()
    except sqlite3.OperationalError:  # no meta table: a schema-1 store opened without migrating
        return None
    return str(row[0]) if row else None
