"""When live results reach the screen: a busy round at once, a trickle with the clock's tick.

At default settings a background round reads a few instances a second, and each batch
applied paints a frame; the clock (tui/clock.py) paints another each second for the ages.
Here a small batch waits for the next tick (at most ``Timing.tick``, one second), so the
results and the ages share one frame a second. Applied at once: a batch of
``APPLY_AT_ONCE`` results or more (a live round: the screen keeps up in small steps), the
first read of a row just selected (the user waits for its detail), and anything while
reads are paused (the clock may sleep for minutes then).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cwdash.store.readmodel import LiveResult, ReadResult
    from cwdash.tui.clock import ScreenClock
    from cwdash.tui.sites import SiteSession

APPLY_AT_ONCE = 32

Waiting = list[tuple["SiteSession", str, "ReadResult | LiveResult"]]


class ResultPacing:
    """Screen mixin: the live results taken from the feeds and not applied yet."""

    sessions: list[SiteSession]
    selected: str | None
    clock: ScreenClock | None
    _waiting_results: Waiting | None = None
    _selected_read: str | None = None  # the selected row whose result was last applied

    def take_results(self) -> bool:
        """Take every site's results; whether to apply them now (else the tick will)."""
        waiting = self._waiting_results
        if waiting is None:
            waiting = self._waiting_results = []
        for session in self.sessions:
            if session.feed is not None:
                waiting.extend((session, name, result) for name, result in session.feed.take())
        clock = self.clock
        if len(waiting) >= APPLY_AT_ONCE or clock is None or clock.paused:
            return True
        selected = self.selected
        if selected is None or selected == self._selected_read:
            return False
        return any(session.key(name) == selected for session, name, _ in waiting)

    def waiting_results(self) -> Waiting:
        """The results to apply now (the list empties)."""
        waiting, self._waiting_results = self._waiting_results or [], []
        selected = self.selected
        if selected is not None and any(s.key(name) == selected for s, name, _ in waiting):
            self._selected_read = selected
        return waiting
