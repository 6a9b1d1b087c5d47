"""The screen's clock: once a second while live reads run, and while they are paused only
when something shown would read differently.

The clock's tick (``DashboardScreen.tick``) refreshes what changes with time: ages
("live 25s", "last live answer 3m ago", "written 2d ago"), the highlight of a row that
just changed, the token's auto-hide. Ages on screen change at boundaries
(:func:`cwdash.store.timefmt.span`: each second below 10 s, every 5 s below a minute,
then each minute, hour, day), so with reads paused the next tick is armed at the nearest
boundary of anything shown, often a minute away, instead of every second. Rows read a
moment apart have boundaries a moment apart: each change may come up to half its step
late, at least a second and at most a minute (1 s for seconds, 2.5 s for "25s", 30 s for
minutes), so one
tick serves every boundary within that slack instead of a tick each (the rows on screen
are read within a second or two of each other). Anything else
that changes the screen paints a frame; after each frame the clock looks again (a new
selection, a revealed token, a scroll: their next change may come sooner).

The clock also runs the screen's one chore, the check for commits by other processes
(every ``store_check`` seconds, tui/loader.py): while it ticks every second the chore
rides on a tick (up to half a tick early), so it costs no wake of its own; paused, it
wakes the clock alone, without a tick (nothing on screen changed).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from cwdash.store.timefmt import since, span_step
from cwdash.tui.table import HIGHLIGHT_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from cwdash.tui.screen import DashboardScreen

NOTHING_SOON = 3600.0  # seconds: the longest the clock sleeps when nothing shown ages
SLACK = 0.5  # of an age's step: how late its change may be shown, so that nearby changes share a tick
MAX_SLACK = 60.0  # seconds
MIN_SLACK = 1.0  # seconds: ages in seconds may show a second late (paused, "3s" then "5s")


def until_next(age: float) -> float:
    """Seconds until an age of ``age`` seconds reads differently (span's and ago's steps)."""
    age = max(0.0, age)
    step = span_step(age)
    return step - (age % step) + 0.001  # just past the boundary


def latest_next(age: float) -> float:
    """Seconds until the change of an age of ``age`` seconds is due on screen at the latest."""
    return until_next(age) + min(MAX_SLACK, max(MIN_SLACK, SLACK * span_step(max(0.0, age))))


LATE = 0.01  # seconds: a timer may fire this much before its time and still count as due
MIN_DELAY = 0.001  # seconds: the shortest timer the clock sets (a chore overdue after a long tick)


class LoopTimer:
    """A timer that can be stopped: an asyncio handle, as Textual's Timer is stopped."""

    __slots__ = ("handle",)

    def __init__(self, handle: asyncio.TimerHandle) -> None:
        self.handle = handle

    def stop(self) -> None:
        self.handle.cancel()


def call_later(delay: float, callback: Callable[[], None]) -> LoopTimer:
    """The clock's timer: a plain event-loop timer. Textual's ``set_timer`` wraps each
    callback in two partials whose signatures it inspects on every firing, and dispatches
    it as a message: per wake, several times the cost of the tick's own check."""
    return LoopTimer(asyncio.get_running_loop().call_later(delay, callback))


class ScreenClock:
    """Calls ``screen.tick`` on the clock, and the chore; see the module's documentation."""

    def __init__(
        self,
        screen: DashboardScreen,
        every: float,
        *,
        chore: tuple[float, Callable[[], None]] | None = None,
    ) -> None:
        self.screen = screen
        self.every = every
        self.due: float | None = None  # monotonic time of the next tick
        self.chore_every, self._chore = chore if chore is not None else (0.0, None)
        self.chore_due = float("inf")  # monotonic time of the next chore
        self.wakes = 0  # times the clock's timer fired (tests count them)
        self._timer: LoopTimer | None = None

    def start(self) -> None:
        now = time.monotonic()
        if self._chore is not None:
            self.chore_due = now + self.chore_every
        self.due = now + self.every
        self._arm(now)

    def _arm(self, now: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        assert self.due is not None
        # a moment, never 0 or less: an overdue chore runs on the next turn of the loop
        delay = max(MIN_DELAY, min(self.due, self.chore_due) - now)
        self._timer = call_later(delay, self._guarded_fire)

    def stop(self) -> None:
        """No tick from here on (the screen is going: a loop timer is not a Textual timer,
        which closing the screen would have stopped)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.due = None

    def _guarded_fire(self) -> None:
        """On the event loop, as Textual's timers are; an error goes to the app's crash
        handling (a plain loop callback's would only reach asyncio's log). Never on a
        screen that is closing or gone, nor once the app is exiting."""
        screen = self.screen
        if getattr(screen, "_closing", False) or not getattr(screen, "is_attached", True):
            self._timer = None
            return
        try:
            self._fire()
        except Exception as error:  # the app reports it and quits, as for a Textual timer
            self.screen.app._handle_exception(error)

    def _fire(self) -> None:
        self._timer = None
        self.wakes += 1
        now = time.monotonic()
        assert self.due is not None
        ticked = now >= self.due - LATE
        if ticked:
            self.screen.tick()
            now = time.monotonic()
            self.due = now + self._delay(now)
        # on a tick, a chore due before the next tick's middle runs now: no wake of its own
        if now >= self.chore_due - (self.every / 2 if ticked else LATE):
            self._run_chore(now)
        self._arm(now)

    def _run_chore(self, now: float) -> None:
        assert self._chore is not None
        self.chore_due = now + self.chore_every
        self._chore()

    def after_frame(self) -> None:
        """A frame was painted: arm the tick sooner when something shown now changes sooner."""
        if self.due is None:
            return
        now = time.monotonic()
        due = now + self._delay(now)
        if due < self.due - 0.01:
            self.due = due
            self._arm(now)

    @property
    def paused(self) -> bool:
        feeds = self.screen.feeds()  # every site's (one without --all-sites)
        return all(feed.paused for feed in feeds)

    def _delay(self, now: float) -> float:
        live = self.screen.summary.live
        if not self.paused or (live is not None and live.extra is not None):
            return self.every  # reads run (or RyzeAPI's budget refills on the clock): every tick
        return max(self.every, min(NOTHING_SOON, self.next_change(now)))

    def next_change(self, now: float) -> float:
        """Seconds until the first thing shown must read differently with time alone (an
        age's change within its slack: the tick then shows every change already due)."""
        screen = self.screen
        soonest = NOTHING_SOON
        live = screen.summary.live
        if live is not None and live.last_answer is not None:
            soonest = min(soonest, latest_next(now - live.last_answer))
        hide_at = screen.token.hide_at
        if hide_at is not None:
            soonest = min(soonest, max(0.0, hide_at - now))
        rows = screen.fleet.rows
        shown = [rows.get(name) for name in screen.table.visible_names()]
        if screen.selected is not None:
            shown.append(rows.get(screen.selected))
        walls: set[str] = set()
        for row in shown:
            if row is None:
                continue
            if row.live_at is not None:
                soonest = min(soonest, latest_next(now - row.live_at))
            if row.changed_at is not None and now - row.changed_at < HIGHLIGHT_SECONDS:
                soonest = min(soonest, HIGHLIGHT_SECONDS - (now - row.changed_at))
            if row.written_at:
                walls.add(row.written_at)
        for written in walls:  # wall-clock ages ("local 3d"), worked out once per distinct time
            seconds = since(written)
            if seconds is not None:
                soonest = min(soonest, latest_next(seconds))
        return soonest
