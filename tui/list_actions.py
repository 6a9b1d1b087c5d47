"""The list's keys: filter (/, Enter, Escape), attention (a), sort (s, S, a column title),
and the live reads' (r, p). Mixed into the dashboard screen, which provides the rest.

Focus moves here use ``Screen.set_focus``, at once, not ``focus()``: Textual routes each
key to whatever has the focus when the app takes the key in, so the keys of one burst
("/co", "/err⏎jj") follow the focus only if it has moved by then.
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING

from textual import events

from cwdash.store.config import NOT_CONFIGURED_HINT
from cwdash.store.fleet import SORT_KEYS, Fleet
from cwdash.tui.summary import SummaryBar
from cwdash.tui.table import FleetTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen
    from textual.timer import Timer

    from cwdash.tui.feed import LiveFeed
    from cwdash.tui.filter_input import FilterInput
    from cwdash.tui.sites import SiteSession

    _Base = Screen[None]
else:
    _Base = object


VIEW_EVERY = 0.3  # seconds: live changes re-apply the filter, attention view and sort at most this often
MORE_EVERY, MORE_STEP = 0.004, 0.008  # seconds between a big filter's steps, and a step's length


class ListActions(_Base):
    """What the list's keys do; the screen provides the widgets and the feed."""

    fleet: Fleet
    table: FleetTable
    filter_input: FilterInput
    field_if_made: Callable[[str], FilterInput | None]  # tui/fields.py
    summary: SummaryBar
    feed: LiveFeed | None
    sessions: list[SiteSession]
    drop_gone: bool

    selected: str | None
    _view_timer: Timer | None = None
    _more_timer: Timer | None = None  # the next step of a filter worked out in steps
    _view_cost = 0.0  # seconds the last live re-apply of the view took

    if TYPE_CHECKING:

        def load_rows(self) -> None: ...  # the sites' (tui/sites.py): read the whole listing again

    def reapply_view_soon(self) -> None:
        """Live results changed what the view reads (a status, a failure, an error): re-apply
        it a moment later, for every change meanwhile. At most a few times a second, less
        often when the view is big (ten times what the last one cost): keys never wait."""
        if self._view_timer is None:
            delay = max(VIEW_EVERY, 10 * self._view_cost)
            self._view_timer = self.set_timer(delay, self._reapply_view)

    def _reapply_view(self) -> None:
        """The cursor stays on the selected instance, which stays listed even if it no
        longer matches (until the cursor leaves it)."""
        self._view_timer = None
        started = perf_counter()
        self.fleet.rebuild(full=True, keep=self.selected)
        self.table.view_changed()
        self._view_cost = perf_counter() - started
        self.summary.mark_changed()
        self._filter_more_soon()

    def _view_changed(self) -> None:
        self.fleet.rebuild()
        self.table.view_changed()
        self.summary.mark_changed()
        self.summary.update_summary()
        self._filter_more_soon()

    def _filter_more_soon(self) -> None:
        """A filter of a million rows shows its top at once and works out the rest in
        steps between frames (store/fleet.py: Fleet.filter_more), keys taken in between."""
        if self.fleet.pending is not None and self._more_timer is None:
            self._more_timer = self.set_timer(MORE_EVERY, self._filter_more)

    def _filter_more(self) -> None:
        self._more_timer = None
        if self.fleet.filter_more(MORE_STEP):
            self._filter_more_soon()
            return
        self.table.view_changed()
        self.summary.mark_changed()
        self.summary.update_summary()

    def action_filter(self) -> None:
        """Open the filter, focused at once (not with focus(): see the module)."""
        field = self.filter_input
        if self.focused is field:  # "/" typed in the field is text: hand the key on to it
            field.post_message(events.Key("slash", "/"))
            return
        field.display = True
        self.set_focus(field)
        # after whatever an Escape or Enter earlier in the same burst queued on the field
        field.call_later(setattr, field, "display", True)

    def _apply_filter(self, value: str) -> None:
        if value != self.fleet.filter_text:
            self.fleet.filter_text = value
            self._view_changed()

    def _filter_done(self, keep: bool) -> None:
        """Enter keeps the filter, Escape clears it. The keys go back to the list at once
        (see action_filter); the field settles once it has taken the keys typed before
        (they are still queued on it)."""
        self.set_focus(self.table)
        self.filter_input.call_later(self._filter_settled, keep)

    def _filter_settled(self, keep: bool) -> None:
        field = self.filter_input
        if not keep:
            field.value = ""
            self._apply_filter("")
        if not field.value:
            field.display = False

    def on_key(self, event: events.Key) -> None:
        # Escape in the field is the field's (FilterInput); here: a kept filter, the list focused
        field = self.field_if_made("filter")
        if event.key == "escape" and field is not None and field.value:
            self._filter_done(keep=False)
            event.stop()

    def action_attention(self) -> None:
        self.fleet.attention_only = not self.fleet.attention_only
        # most recent breakage first (history), unless another sort was chosen
        if self.fleet.attention_only and self.fleet.sort_key == "name" and not self.fleet.sort_reverse:
            self.fleet.sort_key = "broke"
        elif not self.fleet.attention_only and self.fleet.sort_key == "broke":
            self.fleet.sort_key = "name"
        self._view_changed()
        self.notify(
            "showing only rows that need attention (error, live read failing, no integration, number offline), "
            "the most recent breakage first"
            if self.fleet.attention_only
            else "showing every instance",
            timeout=3,
        )

    def action_sort(self) -> None:
        """The next sortable column among those shown at this width (so the arrow shows)."""
        shown = set(self.table.shown_keys())
        keys = [k for k in SORT_KEYS if k in shown or k == self.fleet.sort_key]
        index = keys.index(self.fleet.sort_key) if self.fleet.sort_key in keys else -1
        following = [keys[(index + step) % len(keys)] for step in range(1, len(keys) + 1)]
        self.fleet.sort_key = next(k for k in following if k in shown)
        self.fleet.sort_reverse = False
        self._view_changed()

    def action_sort_reverse(self) -> None:
        self.fleet.sort_reverse = not self.fleet.sort_reverse
        self._view_changed()

    def on_fleet_table_sort_requested(self, message: FleetTable.SortRequested) -> None:
        """A click on a column title: sort by it, or reverse it (a mixin: no @on)."""
        if self.fleet.sort_key == message.key:
            self.fleet.sort_reverse = not self.fleet.sort_reverse
        else:
            self.fleet.sort_key = message.key
            self.fleet.sort_reverse = False
        self._view_changed()

    def action_refresh(self) -> None:
        """Every site's (``--all-sites``): reload the listing, read every instance live again."""
        self.drop_gone = True  # rows shown as gone go now
        self.load_rows()
        live = [s for s in self.sessions if s.feed is not None]
        if not live:
            self.notify(f"integration gateway not configured: {NOT_CONFIGURED_HINT}; reloaded local data")
            return
        for session in live:
            session.feed.refresh_now()  # type: ignore[union-attr]
        count = len(self.fleet.rows) if len(live) == len(self.sessions) else sum(len(s.rows) for s in live)
        self.notify(f"reading {count:,} instances live again", timeout=3)

    def action_pause(self) -> None:
        """Every site's live reads pause or resume together."""
        live = [s for s in self.sessions if s.feed is not None and s.live is not None]
        if not live:
            return
        paused = not live[0].feed.paused  # type: ignore[union-attr]
        for session in live:
            session.feed.pause(paused)  # type: ignore[union-attr]
            session.live.paused = paused  # type: ignore[union-attr]
        self.notify("live reads paused" if paused else "live reads resumed", timeout=3)
        self.summary.mark_changed()
        self.summary.update_summary()
