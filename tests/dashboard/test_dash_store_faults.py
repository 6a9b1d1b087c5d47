"""The dashboard while the store misbehaves: other writers, a long write lock, a read-only
store, a file corrupted under it. It keeps showing what it has, says what is wrong, and
loses nothing."""

from __future__ import annotations

import os
import sqlite3
import unicodedata

import pytest
from dashkit import (
    FAST,
    ROUTES,
    banner_text,
    detail_text,
    integration,
    record_notifications,
    row_texts,
    select,
    view_names,
    wait_settled,
    wait_until,
)

import cwdash.store.db
from cwdash.store.simbridge import live

pytestmark = pytest.mark.anyio
BAD_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me")


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
        # deleted while shown: listed as gone (issue 12), until r reloads
        await wait_until(
            pilot, lambda: "hotel" in view_names(app) and app.dashboard.fleet.rows["echo"].gone, "reload"
        )
        assert app.dashboard.fleet.rows["bravo"].local_error == "changed elsewhere"
        await pilot.press("r")
        await wait_until(pilot, lambda: "echo" not in view_names(app), "r to drop the gone row")
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
            await wait_until(pilot, lambda: app.dashboard.fleet.rows["alpha"].is_live, "a live read of alpha")
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
        app.dashboard.load_rows()  # what `r` and the store watcher do
        await wait_until(pilot, lambda: "store:" in banner_text(app), "the store problem in the banner")
        assert "not a usable cwdash store" in banner_text(app) or "malformed" in banner_text(app)
        assert view_names(app) == shown  # what was listed stays listed
        await pilot.press("j")
        assert app.is_running


# -- rows written by other tools, text without a width of its own, a full disk ----------------


async def test_bad_rows_are_listed_never_read_live_and_the_detail_says_why(dash) -> None:
    from test_bad_rows import loosen

    conn = loosen(dash.path)
    conn.execute(
        "UPDATE chatwoot_integrations SET chatwoot_account_id = 'seven' WHERE instance_name = 'bravo'"
    )
    conn.execute("INSERT INTO instances VALUES (x'626c6f62', '2026-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    sim = dash.bridge()
    app = dash.app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: app.dashboard.fleet.rows["alpha"].is_live, "the good rows read live")
        assert {"alpha", "bravo", "<blob 626c6f62>"} <= set(view_names(app))
        lines = row_texts(app)
        (bravo,) = [line for line in lines if " bravo " in line]
        assert "✖ bad row" in bravo and "bad row: chatwoot_account" in bravo
        await select(pilot, "bravo")
        assert "bad row: chatwoot_account_id" in detail_text(app)
        await select(pilot, "<blob 626c6f62>")
        assert "bad row: instance_name" in detail_text(app)
        await wait_settled(pilot)
        assert not any("int_bravo" in path for path in sim.stats.paths)  # never read live
        assert app.dashboard.fleet.rows["bravo"].bad == "chatwoot_account_id"
        assert app.is_running


def _cells(line: str) -> list[str]:
    """A line as terminal cells: a wide character takes two."""
    from rich.cells import cell_len

    out: list[str] = []
    for char in line:
        out += [char] + [""] * (cell_len(char) - 1)
    return out


async def test_text_without_a_width_of_its_own_keeps_the_columns_aligned(dash) -> None:
    odd = "half \ud800 pair\udfff 👨\u200d👩\u200d👧 e\u0301 ☺\ufe0f 🇧🇷 👍🏽 \ue000 中文 \u0378 end"
    routes = dict(ROUTES)
    routes["int_alpha"] = live("error", odd, inbox_id=42)
    app = dash.app(dash.bridge(routes))
    async with app.run_test(size=(200, 30)) as pilot:  # the list wide enough for INBOX beside SINCE and FLAP
        await wait_settled(pilot)
        await wait_until(pilot, lambda: app.dashboard.fleet.rows["alpha"].is_live, "alpha read live")
        lines = [line for line in row_texts(app) if line]
        header = _cells(lines[0])
        inbox_at = "".join(header).index("INBOX")
        for line in lines:
            for char in line:  # every character on screen has its own width of one or two cells
                assert unicodedata.category(char) not in BAD_CATEGORIES, (line, char)
        (alpha,) = [line for line in lines if " alpha " in line]
        assert "".join(_cells(alpha)[inbox_at : inbox_at + 5]).strip() == "42"
        await select(pilot, "alpha")
        shown = detail_text(app)
        assert "\\ud800" in shown and "\\u200d" in shown
        assert all(unicodedata.category(c) not in BAD_CATEGORIES for c in shown if c != "\n")


async def test_the_dashboard_reads_a_store_on_a_full_disk(dash, tmp_path, sealer) -> None:

    from test_store_opening import store_on_a_full_disk, tiny_filesystem

    from cwdash.store.config import Config
    from cwdash.store.readmodel import ReadModel
    from cwdash.tui.app import CwdashApp

    with tiny_filesystem(tmp_path) as mount:
        path = store_on_a_full_disk(mount, dash.sealer, leftover_wal=False)
        config = Config(db_path=path, key_text=dash.key)
        opened = cwdash.store.db.Store.open(path)  # as run_dashboard opens it
        assert opened.readonly and opened.notice
        app = CwdashApp(
            config,
            opened,
            ReadModel.from_config(config, opened),
            notices=[opened.notice],
            settings=FAST,
        )
        seen = record_notifications(app)
        try:
            async with app.run_test(size=(100, 30)) as pilot:
                await wait_settled(pilot)
                assert view_names(app) == ["suporte"]
                await select(pilot, "suporte")
                assert "WhatsApp - Orion" in detail_text(app)
                assert any("read-only" in message for _, message, _ in seen)
        finally:
            opened.close()
