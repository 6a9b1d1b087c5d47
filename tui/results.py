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

import time
from typing import TYPE_CHECKING

from cwdash.store.fleetrow import key_label
from cwdash.store.readmodel import LiveResult, StatusRead

if TYPE_CHECKING:
    from cwdash.store.fleet import Fleet
    from cwdash.store.readmodel import ReadResult
    from cwdash.tui.clock import ScreenClock
    from cwdash.tui.feed import LiveResults
    from cwdash.tui.sites import SiteSession
    from cwdash.tui.summary import SummaryBar
    from cwdash.tui.table import FleetTable

APPLY_AT_ONCE = 32

Waiting = list[tuple["SiteSession", str, "ReadResult | LiveResult"]]


class ResultPacing:
    """Screen mixin: the live results taken from the feeds, when they are applied, and how."""

    sessions: list[SiteSession]
    selected: str | None
    clock: ScreenClock | None
    fleet: Fleet
    table: FleetTable
    summary: SummaryBar
    current: ReadResult | None

    if TYPE_CHECKING:  # the screen's

        def reapply_view_soon(self) -> None: ...
        def history_observe(self, row: object) -> None: ...
        def _update_banner(self) -> None: ...
        def _show_detail(self, *, refresh_local: bool) -> None: ...
        def _render_detail(self) -> None: ...

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

    def on_live_results(self, _message: LiveResults) -> None:
        if self.take_results():  # a trickle waits for the tick (tui/results.py)
            self.apply_results()

    def apply_results(self) -> None:
        """Apply the live results taken (tui/results.py says when)."""
        fleet = self.fleet
        moved = False  # a row changed in a way the filter, the attention view or the sort reads
        keys: set[str] = set()
        for session, name, result in self.waiting_results():  # every site's, in arrival order
            key = session.key(name)
            keys.add(key)
            row = fleet.rows.get(key)
            before = row.view_key() if row is not None and not fleet.plain else None
            self._apply_result(key, result, session)
            if before is not None and row is not None and row.view_key() != before:
                moved = True
        if keys:
            self.table.refresh_rows(keys)  # the header follows on the next tick
        if moved:
            self.reapply_view_soon()

    def _apply_result(self, key: str, result: ReadResult | LiveResult, session: SiteSession) -> None:
        row = self.fleet.rows.get(key)
        if row is None:
            return
        now, recount = time.monotonic(), self.summary.recount  # the counts: this row's part only
        recount(row, -1, session.site)
        row.apply(result, now)
        recount(row, 1, session.site)
        self.history_observe(row)
        if isinstance(result, StatusRead | LiveResult) and result.source == "live" and session.live:
            session.live.last_answer = now
        # logged when a read starts failing or recovers; unsaved backfills: one banner line
        if session.failures.note(key_label(key), result):
            self._update_banner()
        if key == self.selected:
            if isinstance(result, LiveResult):
                # a background read of a row that became selected while it ran: the
                # detail wants the whole document, which the store has
                self._show_detail(refresh_local=True)
            else:
                self.current = result
                self._render_detail()
