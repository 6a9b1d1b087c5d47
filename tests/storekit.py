"""Helpers for tests that check a store was left untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows(db_path: Path, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table of the store (but ``skip``), to compare before and after an operation."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            for t in tables
            if t not in skip
        }
    finally:
        conn.close()
