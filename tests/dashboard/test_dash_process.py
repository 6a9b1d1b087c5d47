"""The dashboard with its live reads in a child process (tui/procfeed.py, store/livechild.py),
against a real stand-in bridge on 127.0.0.1: results reach the screen, the selected row's
token still opens, pause stops the child's reads, a killed child is said and restarted
once, and one that keeps dying is said on screen. No timed assertions: waits have limits
that only stop a broken test from hanging."""

from __future__ import annotations

import logging
import os
import signal

import pytest
from dashkit import (
    TOKENS,
    WITH_INTEGRATION,
    detail_text,
    record_notifications,
    select,
    summary_text,
    wait_until,
)

from cwdash.tui.procfeed import STOPPED, ProcessFeed

pytestmark = pytest.mark.anyio
LIMIT = 20.0  # seconds: only stops a broken test from hanging (a child takes a moment to start)


@pytest.fixture(autouse=True)
def _reads_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CWDASH_LIVE_READS", raising=False)  # the conftest keeps the other tests on a thread


def every_row_read(app) -> bool:  # type: ignore[no-untyped-def]
    rows = app.dashboard.fleet.rows.values()
    return app.dashboard.loaded and bool(rows) and all(r.read_at is not None for r in rows)


def feed_of(app) -> ProcessFeed:  # type: ignore[no-untyped-def]
    feed = app.dashboard.feed
    assert isinstance(feed, ProcessFeed), "a bridge made from the configuration reads in a child process"
    return feed


async def test_results_from_the_child_reach_the_screen_and_the_token_opens(dash) -> None:
    sim = dash.real_bridge()
    app = dash.app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: every_row_read(app), "every row's first read", LIMIT)
        feed = feed_of(app)
        assert feed.pid is not None and feed.pid != os.getpid() and feed.fallback is None
        rows = app.dashboard.fleet.rows
        assert rows["bravo"].live_status == "paused" and rows["alpha"].live_status == "active"
        assert rows["golf"].failure is not None and rows["delta"].mapped is not None
        await select(pilot, "charlie")
        await wait_until(pilot, lambda: "live" in detail_text(app), "charlie's live detail", LIMIT)
        await pilot.press("t")  # the whole read crossed with its token sealed: the screen's key opens it
        await wait_until(pilot, lambda: TOKENS["charlie"] in detail_text(app), "the token", LIMIT)


async def test_p_pauses_the_childs_reads_and_resumes_them(dash) -> None:
    sim = dash.real_bridge()
    app = dash.app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: every_row_read(app), "every row's first read", LIMIT)
        await pilot.press("p")
        await wait_until(pilot, lambda: feed_of(app).paused, "the pause")
        assert "PAUSED (p resumes)" in summary_text(app)
        await pilot.pause(0.3)  # reads already under way when p was pressed come back
        before = sim.stats.total
        await pilot.press("r")  # everything due at once: still nothing while paused
        await pilot.pause(0.5)
        assert sim.stats.total == before
        await pilot.press("p")
        await wait_until(
            pilot, lambda: sim.stats.total >= before + len(WITH_INTEGRATION), "reads to resume", LIMIT
        )


async def test_a_killed_child_is_said_and_restarted_then_said_stopped(dash, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="cwdash.live")
    sim = dash.real_bridge()
    app = dash.app(sim)
    seen = record_notifications(app)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_until(pilot, lambda: every_row_read(app), "every row's first read", LIMIT)
        feed = feed_of(app)
        first = feed.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await wait_until(pilot, lambda: feed.pid not in (None, first), "a new child", LIMIT)
        assert feed.restarts == 1
        assert "the live reads' process ended (exit -9): restarting it" in caplog.text
        before = sim.stats.total
        await pilot.press("r")  # the new child reads
        await wait_until(pilot, lambda: sim.stats.total > before, "reads by the new child", LIMIT)
        second = feed.pid
        assert second is not None
        os.kill(second, signal.SIGKILL)  # dying again soon after: no more restarts
        await wait_until(pilot, lambda: feed.scheduler.stopped, "live reads to be said stopped", LIMIT)
        await wait_until(pilot, lambda: STOPPED in summary_text(app), "the header to say so", LIMIT)
        assert feed.pid is None and feed.restarts == 1
        assert any(STOPPED in message and severity == "error" for _, message, severity in seen)
        assert "live reads stopped" in caplog.text
