"""The dashboard while the store misbehaves: other writers, a long write lock, a read-only
store, a file corrupted under it. It keeps showing what it has, says what is wrong, and
loses nothing."""

from __future__ import annotations

import os
import sqlite3

import pytest
from dashkit import banner_text, detail_text, integration, select, view_names, wait_settled, wait_until

import cwdash.store.db
from cwdash.store.simbridge import live

pytestmark = pytest.mark.anyio


async def test_rows_added_changed_and_removed_by_another_process_follow_without_restart(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        other = cwdash.store.db.Store.open(dash.path)
        other.add_instance("hotel")
        row = dict(integration("bravo", status="error", last_error="changed elsewhere"))
        row["chatwoot_api_token"] = dash.sealer.seal("bravo", "t")
        other.upsert_integration(row)
        other.close()
        dash.delete_instance("echo")
        await wait_until(
            pilot, lambda: "hotel" in view_names(app) and "echo" not in view_names(app), "reload"
        )
        assert app.fleet.rows["bravo"].local_error == "changed elsewhere"
        assert app.is_running


async def test_a_long_write_lock_keeps_reads_going_and_the_backfill_is_retried(dash) -> None:
    with dash.store.write():
        dash.store.conn.execute(
            "UPDATE chatwoot_integrations SET chatwoot_inbox_id = 0 WHERE instance_name = 'alpha'"
        )
    sim = dash.bridge({"int_alpha": live("active", inbox_id=555)})
    app = dash.app(sim)
    app.model.backfill_timeout = 0.2  # the default waits 5 s before giving up
    locker = sqlite3.connect(dash.path)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_settled(pilot)
            assert "alpha" in view_names(app)  # reads continue
            await select(pilot, "alpha")
            await wait_until(pilot, lambda: app.fleet.rows["alpha"].is_live, "a live read of alpha")
            assert dash.store.integration("alpha").chatwoot_inbox_id == 0  # not saved: locked
            locker.execute("ROLLBACK")
            # the selected row is read again every few seconds: the backfill lands then
            await wait_until(
                pilot,
                lambda: dash.store.integration("alpha").chatwoot_inbox_id == 555,
                "the retried backfill",
            )
            assert app.is_running
    finally:
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()


async def test_a_read_only_store_is_read_and_says_why_writes_fail(dash, monkeypatch) -> None:
    # As root every file is writable, so the read-only store is simulated where cwdash
    # decides: it then opens SQLite in mode=ro, a real read-only connection.
    real = os.access
    monkeypatch.setattr(
        cwdash.store.db.os, "access", lambda p, mode: False if mode == os.W_OK else real(p, mode)
    )
    app = dash.app(dash.bridge())
    assert app.store.readonly
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        assert "store is read-only" in banner_text(app)
        assert "backfills and the token audit cannot be saved" in banner_text(app)
        assert set(view_names(app)) >= {"alpha", "bravo", "delta"}
        await select(pilot, "bravo")
        assert "bravo" in detail_text(app)


async def test_a_store_corrupted_while_running_is_reported_and_the_screen_stays(dash) -> None:
    app = dash.app(None)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        shown = view_names(app)
        with sqlite3.connect(dash.path) as conn:  # move everything from the WAL into the file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = dash.path.stat().st_size
        with open(dash.path, "r+b") as fh:  # scribble over every page but the header page
            fh.seek(4096)
            fh.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4 + 1024))
        app.load_rows()  # what `r` and the store watcher do
        await wait_until(pilot, lambda: "store:" in banner_text(app), "the store problem in the banner")
        assert "not a usable cwdash store" in banner_text(app) or "malformed" in banner_text(app)
        assert view_names(app) == shown  # what was listed stays listed
        await pilot.press("j")
        assert app.is_running
