"""The screen's clock (tui/clock.py) over a simulated minute: it ticks only when something
shown changes, and the store's check (its chore) rides on the ticks while there are
ticks. No real time passes: the clock's timers are run by hand on a fake clock."""

from __future__ import annotations

import pytest

from cwdash.tui import clock as clock_module
from cwdash.tui.clock import ScreenClock


class Timer:
    def __init__(self, at: float, callback) -> None:  # type: ignore[no-untyped-def]
        self.at = at
        self.callback = callback
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class Screen:
    """What the clock uses of the screen: timers, and the tick (counted)."""

    def __init__(self, now: list[float]) -> None:
        self.now = now
        self.timers: list[Timer] = []
        self.ticks: list[float] = []

    def set_timer(self, delay: float, callback, name: str = "") -> Timer:  # type: ignore[no-untyped-def]
        assert delay > 0  # Textual divides by a timer's interval when it fires late
        timer = Timer(self.now[0] + delay, callback)
        self.timers.append(timer)
        return timer

    def tick(self) -> None:
        self.ticks.append(self.now[0])


class Clock(ScreenClock):
    """The clock with what is shown replaced: ``changes`` are the moments something shown
    changes (paused), or a tick every ``every`` (reads running)."""

    def __init__(self, screen: Screen, running: bool, changes: tuple[float, ...]) -> None:
        self.chores: list[float] = []
        super().__init__(screen, 1.0, chore=(2.0, lambda: self.chores.append(screen.now[0])))  # type: ignore[arg-type]
        self.running = running
        self.changes = changes

    def _delay(self, now: float) -> float:
        if self.running:
            return self.every
        later = [at - now for at in self.changes if at > now + 0.001]
        return max(self.every, min(later, default=3600.0))


def fake_time(monkeypatch: pytest.MonkeyPatch) -> tuple[list[float], Screen]:
    """A clock of ``now[0]`` seconds and a screen whose timers are run by hand (the clock's
    loop timers are made by ``screen.set_timer``)."""
    now = [0.0]
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: now[0])
    screen = Screen(now)
    monkeypatch.setattr(clock_module, "call_later", screen.set_timer)
    return now, screen


def run_minute(
    monkeypatch: pytest.MonkeyPatch, running: bool, changes: tuple[float, ...] = ()
) -> tuple[Clock, Screen]:
    now, screen = fake_time(monkeypatch)
    clock = Clock(screen, running, changes)
    clock.start()
    while True:
        live = [t for t in screen.timers if not t.stopped]
        assert len(live) <= 1  # one timer at a time
        if not live or live[0].at > 60.0:
            return clock, screen
        timer = live[0]
        timer.stopped = True
        now[0] = timer.at
        timer.callback()


def test_while_reads_run_the_store_check_costs_no_wake_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, screen = run_minute(monkeypatch, running=True)
    assert len(screen.ticks) == 60
    assert clock.wakes == 60  # a wake per tick, none for the check
    assert 29 <= len(clock.chores) <= 30  # every 2 s, on every second tick


def test_paused_with_nothing_changing_the_clock_never_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, screen = run_minute(monkeypatch, running=False)
    assert screen.ticks == [1.0]  # the first look, a tick after the start; then none: nothing changes
    assert len(clock.chores) == 30  # the store's check, every 2 s ...
    assert clock.wakes == 1 + 30  # ... each a wake of its own, with no tick


def test_paused_the_clock_ticks_only_when_something_shown_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    changes = (10.5, 15.5, 20.5, 30.5, 45.5)
    clock, screen = run_minute(monkeypatch, running=False, changes=changes)
    assert screen.ticks == [1.0, *changes]  # the first look, then each change
    assert 29 <= len(clock.chores) <= 30  # the store's check still every 2 s (some ride on a tick)
    assert clock.wakes <= len(screen.ticks) + len(clock.chores)


def test_a_chore_overdue_after_a_long_tick_gets_a_timer_of_a_moment_not_of_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now, screen = fake_time(monkeypatch)
    clock = Clock(screen, True, ())
    clock.start()
    clock.chore_due = -1.0  # overdue (a tick took long): armed for a moment from now
    clock._arm(now[0])
    assert [t.at for t in screen.timers if not t.stopped] == [0.001]


def test_an_error_in_a_tick_goes_to_the_apps_crash_handling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock's timer is a plain event-loop callback: an error in the tick is handed to
    the app (its crash report and log), not left to asyncio's log while the screen freezes."""
    now, screen = fake_time(monkeypatch)
    handled: list[Exception] = []

    class App:
        def _handle_exception(self, error: Exception) -> None:
            handled.append(error)

    def tick() -> None:
        raise RuntimeError("the tick failed")

    screen.app = App()  # type: ignore[attr-defined]
    screen.tick = tick  # type: ignore[method-assign]
    clock = Clock(screen, True, ())
    clock.start()
    (timer,) = screen.timers
    now[0] = timer.at
    timer.callback()
    assert [str(e) for e in handled] == ["the tick failed"]


def test_a_clock_on_a_screen_that_is_going_never_ticks_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its timer is a plain loop timer: the screen stops it when unmounted, and a firing
    already queued for a closing screen does nothing (no tick, no new timer)."""
    now, screen = fake_time(monkeypatch)
    clock = Clock(screen, True, ())
    clock.start()
    (first,) = screen.timers
    screen._closing = True  # type: ignore[attr-defined]
    now[0] = first.at
    first.callback()
    assert screen.ticks == [] and screen.timers == [first]
    screen._closing = False  # type: ignore[attr-defined]
    clock.start()
    clock.stop()
    assert all(t.stopped for t in screen.timers[1:]) and clock.due is None
