"""The SQLite store: schema versions, transactions, WAL, file mode, clear errors."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from cwdash.store import schema
from cwdash.store.db import Store, StoreError, StoreMissing
from cwdash.store.importer import ImportError_, import_text
from cwdash.store.sealing import Sealer


def test_missing_store_is_not_created_by_a_read(db_path: Path) -> None:
    with pytest.raises(StoreMissing, match="cwdash init"):
        Store.open(db_path)
    assert not db_path.exists()


def test_new_store_is_private_versioned_and_wal(db_path: Path) -> None:
    store = Store.open(db_path, create=True)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert schema.version(store.conn) == schema.LATEST
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"instances", "chatwoot_integrations", "token_audit"} <= set(Database(store.conn).table_names())
    columns = [c.name for c in Database(store.conn)["chatwoot_integrations"].columns]
    for name in (
        "instance_name",
        "chatwoot_base_url",
        "chatwoot_api_token",
        "chatwoot_inbox_id",
        "reopen_resolved",
    ):
        assert name in columns
    assert store.permissions_warning() is None
    os.chmod(db_path, 0o644)
    assert "chmod 600" in (store.permissions_warning() or "")


def test_migration_path_keeps_data(db_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store of the first version is upgraded in place by the next migration."""
    store.close()

    def v2(db: Database) -> None:
        db["chatwoot_integrations"].add_column("note", str, not_null_default="")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, v2])
    monkeypatch.setattr(schema, "LATEST", len(schema.MIGRATIONS))
    # a read reads the older store as it is and changes nothing
    reader = Store.open(db_path)
    assert schema.version(reader.conn) == schema.LATEST - 1
    assert reader.integration("suporte") is not None
    # the first write migrates, then writes
    reader.add_instance("after-upgrade")
    assert schema.version(reader.conn) == schema.LATEST
    reader.close()
    upgraded = Store.open(db_path, create=True)
    assert schema.version(upgraded.conn) == schema.LATEST
    assert upgraded.integration("suporte") is not None
    assert upgraded.conn.execute("SELECT note FROM chatwoot_integrations LIMIT 1").fetchone() == ("",)


def test_newer_store_is_refused_untouched(db_path: Path, store: Store) -> None:
    store.conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    store.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="newer cwdash"):
        Store.open(db_path)
    assert db_path.read_bytes() == before


def test_not_a_database_is_a_clear_error(db_path: Path) -> None:
    db_path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not a usable cwdash store"):
        Store.open(db_path)


def test_instances_without_integration_are_listed(store: Store) -> None:
    rows = {r.name: r for r in store.list_rows()}
    assert set(rows) == {"bare", "fresh", "suporte"}
    assert not rows["bare"].has_integration
    assert rows["suporte"].has_integration and rows["suporte"].inbox_id == 42
    assert [r.name for r in store.list_rows(limit=2)] == ["bare", "fresh"]
    assert store.instance_count() == 3


def test_token_is_stored_sealed(store: Store, db_path: Path) -> None:
    raw = db_path.read_bytes() + (
        db_path.with_name(db_path.name + "-wal").read_bytes()
        if db_path.with_name(db_path.name + "-wal").exists()
        else b""
    )
    assert b"sk_live_abc123" not in raw
    assert "sk_live" not in store.integration("suporte").sealed_token
    assert "sk_live" not in repr(store.integration("suporte"))


def test_write_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as db:
        db["instances"].insert({"name": "half", "created_at": "2026-01-01T00:00:00Z"})
        raise RuntimeError("interrupted")
    assert not store.instance_exists("half")


def test_import_validates_everything_before_writing(store: Store, sealer: Sealer, document) -> None:
    good = document("new-one")
    bad = document("broken", chatwoot_account_id=0)
    text = "\n".join(json.dumps(r) for r in (good, bad))
    with pytest.raises(
        ImportError_, match=r"line 2 \('broken'\): chatwoot_account_id must be greater than 0"
    ):
        import_text(store, sealer, text)
    assert not store.instance_exists("new-one")


def test_reader_is_not_blocked_by_a_writer(store: Store, db_path: Path) -> None:
    """WAL: the dashboard keeps reading while another process holds a write transaction."""
    writer = sqlite3.connect(db_path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE chatwoot_integrations SET status = 'error' WHERE instance_name = 'suporte'")
    try:
        reader = Store.open(db_path, timeout=0.2)
        assert reader.integration("suporte").status == "active"  # the committed value
        reader.close()
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert store.integration("suporte").status == "error"


def test_locked_store_write_is_a_clear_error(store: Store, db_path: Path) -> None:
    writer = sqlite3.connect(db_path)
    writer.execute("BEGIN IMMEDIATE")
    try:
        other = Store.open(db_path, timeout=0.1)
        with pytest.raises(StoreError, match="locked by another process"):
            other.add_instance("late")
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_read_only_store_reads_and_refuses_writes(store: Store, db_path: Path) -> None:
    store.close()
    os.chmod(db_path, 0o400)
    try:
        # as root permissions do not apply: ask for SQLite's read-only mode instead
        ro = Store.open(db_path, readonly=os.access(db_path, os.W_OK))
        assert ro.readonly
        assert ro.integration("suporte") is not None
        with pytest.raises(StoreError, match="read-only"):
            ro.add_instance("x")
    finally:
        os.chmod(db_path, 0o600)


def test_backfill_only_fills_zero(store: Store) -> None:
    assert store.backfill_inbox("fresh", 9)
    assert not store.backfill_inbox("fresh", 10)
    assert store.integration("fresh").chatwoot_inbox_id == 9


def test_concurrent_backfills_fill_once(store: Store, db_path: Path) -> None:
    results: list[bool] = []

    def fill(value: int) -> None:
        s = Store.open(db_path)
        results.append(s.backfill_inbox("fresh", value))
        s.close()

    threads = [threading.Thread(target=fill, args=(v,)) for v in range(100, 108)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert store.integration("fresh").chatwoot_inbox_id in range(100, 108)


def test_delete_and_audit(store: Store) -> None:
    assert store.delete_integration("suporte")
    assert not store.delete_integration("suporte")
    assert store.instance_exists("suporte")
    store.record_audit("fresh", "reveal")
    (entry,) = store.audit()
    assert entry[1] == "fresh" and entry[3] == "reveal"


def test_corrupted_page_is_a_clear_error_not_a_traceback(store: Store, db_path: Path, cli, configure) -> None:
    configure()
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    size = db_path.stat().st_size
    with open(db_path, "r+b") as fh:
        fh.seek(4096)
        fh.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4 + 1024))
    for command in (("list",), ("status", "suporte", "--local"), ("add", "x")):
        run = cli(*command)
        assert run.code == 1, command
        assert "not a usable cwdash store" in run.err or "malformed" in run.err
        assert "Traceback" not in run.err


def test_the_instance_estimate_is_the_count_while_rows_are_only_added_and_never_below_it(
    store: Store,
) -> None:
    """The header's "loading N instances" before the first paint: the highest rowid (one
    seek) instead of count(*) (every row read)."""
    assert store.instance_estimate() == store.instance_count() == 3
    with store.write() as db:
        db.execute("DELETE FROM instances WHERE name = (SELECT min(name) FROM instances)")
    assert store.instance_estimate() >= store.instance_count() == 2
