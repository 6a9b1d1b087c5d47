"""The listing version: bumped by writes to what the list shows, not by history or audit.

The dashboard reloads its listing when the version moves (tui/loader.py); history writes a
batch every half second, so a version that moved with them reloaded 100k rows for nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cwdash.store import schema
from cwdash.store.db import Store
from cwdash.store.history.model import Observation
from cwdash.store.history.writer import HistoryWriter


def _version(path: Path) -> int:
    reader = Store.open(path)
    try:
        return reader.listing_version()
    finally:
        reader.close()


def test_listed_writes_move_it_and_history_does_not(store: Store, db_path: Path) -> None:
    before = _version(db_path)
    store.add_instance("newcomer")
    after_add = _version(db_path)
    assert after_add > before

    writer = HistoryWriter(store, observer="test")
    try:
        writer.observe(Observation("newcomer", "active", "", None, "live", True), 1000.0)
        writer.observe(Observation("newcomer", "error", "boom", None, "live", True), 1001.0)
    finally:
        writer.close()
    check = sqlite3.connect(db_path)
    assert check.execute("SELECT count(*) FROM history").fetchone()[0] >= 1  # history was written
    check.close()
    assert _version(db_path) == after_add  # ... and the listing version did not move

    store.conn.execute("DELETE FROM instances WHERE name = 'newcomer'")
    store.conn.commit()
    assert _version(db_path) > after_add


def test_an_older_store_answers_with_data_version(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store below schema 6, opened for reading (never migrated), still tells changes apart."""
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:5])
    monkeypatch.setattr(schema, "LATEST", 5)
    Store.open(db_path, create=True).close()  # a schema-5 store, as cwdash wrote them before
    monkeypatch.undo()
    reader = Store.open(db_path)
    try:
        assert schema.version(reader.conn) == 5
        first = reader.listing_version()
        other = sqlite3.connect(db_path)
        other.execute("INSERT INTO instances (name, created_at) VALUES ('a', '')")
        other.commit()
        other.close()
        assert reader.listing_version() != first
        assert schema.version(reader.conn) == 5  # reading did not migrate it
    finally:
        reader.close()
