"""The screen's clock (tui/clock.py): ages on screen change at span's boundaries, so with
live reads paused the clock sleeps until the next one instead of ticking every second."""

from __future__ import annotations

import time

import pytest
from dashkit import wait_settled, wait_until

from cwdash.store.timefmt import ago, span
from cwdash.tui.clock import latest_next, until_next

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("age", [0.0, 3.2, 9.99, 10.0, 12.5, 59.0, 61.0, 3599.0, 3601.0, 90000.0, 4e7])
def test_the_next_change_is_where_the_shown_age_changes(age: float) -> None:
    wait = until_next(age)
    assert wait > 0
    assert span(age + wait) != span(age) or age + wait >= 86400 * 365  # years: days are the step
    assert span(age + wait - 0.002) == span(age)  # not before
    assert ago(age + wait) != ago(age) or age < 10 or age + wait >= 86400 * 365  # "just now" below 10 s


async def test_paused_the_clock_sleeps_until_an_age_on_screen_changes(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_settled(pilot)
        clock = app.dashboard.clock
        assert clock.due is not None and clock.due - time.monotonic() <= clock.every + 0.01  # reads run
        await pilot.press("p")
        # freshly read rows age by the second at first: push every read a minute back
        for row in app.dashboard.fleet.rows.values():
            if row.live_at is not None:
                row.live_at -= 61.0
        app.dashboard.summary.live.last_answer -= 61.0
        app.dashboard.tick()
        await wait_until(pilot, lambda: clock.due - time.monotonic() > 5 * clock.every, "a longer sleep")
        await pilot.press("p")  # reads resume: every tick again
        await wait_until(pilot, lambda: clock.due - time.monotonic() <= clock.every + 0.01, "ticks again")


@pytest.mark.parametrize("age", [0.0, 3.2, 12.5, 59.0, 61.0, 3601.0, 90000.0])
def test_a_change_may_wait_half_its_step_so_nearby_changes_share_a_tick(age: float) -> None:
    due, latest = until_next(age), latest_next(age)
    assert due < latest <= due + 60.0
    # rows read 1.5 s apart: "25s" → "30s" for both at one tick (5 s steps: 2.5 s of slack)
    assert latest_next(27.0) > until_next(25.5)


async def test_the_clock_stops_with_the_screen(dash) -> None:
    """The clock's loop timer goes with the screen: nothing fires into a closed app."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        clock = app.dashboard.clock
        assert clock._timer is not None
    assert clock._timer is None and clock.due is None
