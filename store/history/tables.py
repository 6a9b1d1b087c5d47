"""The history's two tables (schema v5) and whether this cwdash may write them.

``history`` holds one row per transition: when, which instance, which field, the old and
the new value, which command saw it (``observer``) and the site. ``history_state`` holds
the last observed state of each instance, so a process that starts knows what a change
is without scanning the history, and two processes watching the same fleet record a
transition once (the writer compares with it inside its transaction).

The history's own format is versioned apart from the store's schema (``meta`` row
``history_version``): a later cwdash may change these tables without touching the rest of
the store; this one then turns history off, with one line, and everything else works.
"""

from __future__ import annotations

import sqlite3

HISTORY_VERSION = 1  # the history tables' format this code writes
VERSION_ROW = "history_version"

HISTORY_DDL = """CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT NOT NULL DEFAULT '',
    new TEXT NOT NULL DEFAULT '',
    observer TEXT NOT NULL DEFAULT '',
    site TEXT NOT NULL DEFAULT ''
)"""
STATE_DDL = """CREATE TABLE IF NOT EXISTS history_state (
    name TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    connection TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    present INTEGER NOT NULL DEFAULT 1,
    seen_at REAL NOT NULL,
    status_since REAL NOT NULL,
    broke_at REAL
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS history_name_at ON history (name, at)",
    "CREATE INDEX IF NOT EXISTS history_at ON history (at)",
)
HISTORY_COLUMNS = frozenset({"id", "at", "name", "field", "old", "new", "observer", "site"})
STATE_COLUMNS = frozenset(
    {"name", "status", "last_error", "connection", "source", "present", "seen_at", "status_since", "broke_at"}
)


def create_tables(conn: sqlite3.Connection) -> None:
    """The v5 migration's work (inside its transaction)."""
    conn.execute(HISTORY_DDL)
    conn.execute(STATE_DDL)
    for ddl in INDEXES:
        conn.execute(ddl)
    conn.execute(
        "INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (VERSION_ROW, str(HISTORY_VERSION))
    )


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))}


def problem(conn: sqlite3.Connection) -> str | None:
    """Why this cwdash must not write the history of this store, or None.

    A store without the tables yet (older than schema 5) is no problem: the first
    write migrates it, as any write does. A format newer than this code's, or tables
    without the columns it writes, are: history is then off, and nothing else changes.
    """
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = ?", (VERSION_ROW,)).fetchone()
    except sqlite3.OperationalError:
        row = None  # no meta table: a schema-1 store, migrated by the first write
    if row is not None:
        try:
            found = int(row[0])
        except (TypeError, ValueError):
            return f"its history tables have a format this cwdash does not know ({str(row[0])[:20]!r})"
        if found > HISTORY_VERSION:
            return (
                f"its history was written by a newer cwdash (history format {found}, this one "
                f"writes {HISTORY_VERSION}); upgrade cwdash to record history"
            )
    for table, needed in (("history", HISTORY_COLUMNS), ("history_state", STATE_COLUMNS)):
        have = _columns(conn, table)
        if have and not needed <= have:
            return f"its {table} table lacks the columns {', '.join(sorted(needed - have))}"
    return None


def present(conn: sqlite3.Connection) -> bool:
    """Whether the store has the history tables (schema 5 or later)."""
    return bool(_columns(conn, "history")) and bool(_columns(conn, "history_state"))
