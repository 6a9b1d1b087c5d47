"""The dashboard screen: the fleet list, the selected instance's detail, the header, their keys.

The screen never waits for the network or a big store: the listing comes from
:class:`~cwdash.tui.loader.StoreLoader` (first page at once, the rest from a thread),
live results from :class:`~cwdash.tui.feed.LiveFeed` (its own thread and loop, results
in batches); every rule about merging local and live data is the read model's. What the
list's keys do is :class:`~cwdash.tui.list_actions.ListActions`', the token's
:class:`~cwdash.tui.token_actions.TokenActions`'.
"""

from __future__ import annotations

import gc
import logging
import os
import time

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from cwdash.store.config import Config
from cwdash.store.db import Store, StoreError
from cwdash.store.fleet import Fleet
from cwdash.store.readmodel import LiveResult, MappedError, ReadModel, ReadResult, StatusRead, merge
from cwdash.store.refresh import RefreshSettings
from cwdash.tui import look
from cwdash.tui.bindings import BINDINGS, Timing
from cwdash.tui.budget import budget_for, live_state
from cwdash.tui.clock import ScreenClock
from cwdash.tui.connections import ConnectionHandlers, connection_view_for
from cwdash.tui.detail import DetailPane, TokenView, render_detail
from cwdash.tui.failures import ReadFailures
from cwdash.tui.feed import Feed, LiveResults, make_feed
from cwdash.tui.filter_input import FilterInput
from cwdash.tui.frames import FramePacing
from cwdash.tui.help import HelpScreen
from cwdash.tui.list_actions import ListActions
from cwdash.tui.loader import RowsLoaded, StoreFailed, StoreLoader
from cwdash.tui.oncall import OnCallActions
from cwdash.tui.summary import Banner, FleetDown, SummaryBar
from cwdash.tui.table import FleetTable
from cwdash.tui.token_actions import TokenActions

WIDE = 120  # columns: from here on the list and the detail sit side by side
TALL = 18  # lines: below this the detail is left out (Enter shows it full screen)
EMPTY = "no instances in the store: add some with `cwdash import FILE`"
# For bench/run.py: exit once the first screen is painted ("paint") or the whole list is loaded ("loaded").
EXIT_AFTER = os.environ.get("CWDASH_EXIT_AFTER", "")
store_log = logging.getLogger("cwdash.store")


class DashboardScreen(
    FramePacing, OnCallActions, ListActions, TokenActions, ConnectionHandlers, Screen[None]
):
    """The one screen of the dashboard; the key help and the full view go on top of it."""

    BINDINGS = BINDINGS
    # Textual sets these classes from every resize's own size, in both directions
    # (-wide: the detail beside the list; -short: no room for the detail under it).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]

    def __init__(
        self,
        config: Config,
        store: Store,
        model: ReadModel,
        *,
        no_reveal: bool = False,
        settings: RefreshSettings | None = None,
        timing: Timing | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.store_path = store.path
        self.model = model
        self.no_reveal = no_reveal
        self.timing = timing or Timing()
        self.reveal_seconds = self.timing.reveal_seconds
        self.failures = ReadFailures()
        self.fleet = Fleet()
        self.loaded = False
        self.drop_gone = False  # the next reload drops the rows listed as gone (`r`)
        self.selected: str | None = None
        self.current: ReadResult | None = None
        self.token = TokenView()
        self.store_problem: str | None = None
        self.loader = StoreLoader(self, store, check_every=self.timing.store_check)
        self._last_move = 0.0
        self._detail_timer: Timer | None = None
        self.fleet_down = FleetDown()  # most reads failing the same way, since when
        self.feed: Feed | None = None
        if model.gateway_configured:
            self.feed = make_feed(
                model,
                settings or RefreshSettings(config.concurrency, config.rate, round_every=config.round_every),
                results_every=self.timing.results_every,
                fleet=self.fleet,
            )
        self.connection_view = connection_view_for(self, self.timing.connections_every)
        self.budget = budget_for(self.feed, model.live, self.timing.connections_every)

    # -- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # the breakpoints' classes before the first layout, as the first resize will set
        # them: the first paint is laid out once, in its final arrangement
        width, height = self.app.size
        self.set_class(width >= WIDE, "-wide")
        self.set_class(width < WIDE, "-narrow")
        self.set_class(height >= TALL, "-tall")
        self.set_class(height < TALL, "-short")
        live = live_state(self.config, self.budget) if self.feed is not None else None
        self.summary = SummaryBar(self.fleet, self.app.title, live, id="summary")
        self.banner = Banner(id="banner", markup=False)
        self.table = FleetTable(self.fleet, id="fleet")
        self.filter_input = FilterInput(
            self._apply_filter,
            self._filter_done,
            placeholder="filter: name, URL, status or error text — Enter keeps, Esc clears",
            id="filter",
        )
        self.jump_input = FilterInput(
            self._jump_typed,
            self._jump_done,
            placeholder="jump to: an instance name or its start — Enter goes, Esc comes back",
            id="jump",
        )
        self.detail = DetailPane(id="detail")
        yield self.summary
        yield self.banner
        with Container(id="body"):
            with Vertical(id="list-pane"):
                yield self.table
                yield self.filter_input
                yield self.jump_input
            yield self.detail
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.filter_input.display = False
        self.jump_input.display = False
        self.set_class(look.G.ascii, "-ascii")
        depth = getattr(self.app, "depth", "")
        self.set_class(depth == "none", "-no-color")
        self.set_class(depth == "16", "-depth-16")
        self._update_banner()
        self.summary.update_summary()
        self.table.focus()
        self._first_page()
        if EXIT_AFTER == "paint":
            self.call_after_refresh(self.app.exit)
        # The rest of the listing and the live reads start once the first page is on
        # screen: started earlier, they compete with the first paint for the GIL.
        self.call_after_refresh(self._after_first_paint)
        self.clock = ScreenClock(self, self.timing.tick)  # paused: ticks only when an age on screen changes
        self.clock.start()
        self.set_interval(self.timing.store_check, self._check_store)

    def _after_first_paint(self) -> None:
        self.load_rows()
        if self.feed is not None:
            self.feed.start(self)

    # -- the local listing -----------------------------------------------------------

    def _first_page(self) -> None:
        """Paint the top of the list at once; the whole listing follows from a thread."""
        try:
            first, expected = self.loader.first_page()
        except StoreError as exc:
            self.post_message(StoreFailed(str(exc)))
            return
        self.summary.expected = expected
        self.fleet.add_first(first)
        self.table.empty_text = EMPTY
        self.table.view_changed()
        if len(first) >= expected:
            self._set_loaded()
            if self.feed is not None:
                self.feed.set_names([r.name for r in self.fleet.view])
        self.summary.mark_changed(rows=True)
        self.summary.update_summary()

    def _set_loaded(self) -> None:
        self.loaded = self.summary.loaded = True

    def load_rows(self) -> None:
        """Read the whole listing again, off the event loop (``r``, and commits by others)."""
        self.loader.load(self.fleet.rows)

    @on(StoreFailed)
    def _store_failed(self, message: StoreFailed) -> None:
        store_log.error("reading the store failed: %s", message.message)
        self.store_problem = message.message
        self._update_banner()
        self.notify(message.message, title="store", severity="error", timeout=10)

    @on(RowsLoaded)
    def _rows_loaded(self, message: RowsLoaded) -> None:
        keep = self.selected if self.loaded else None
        diff = message.rows
        if self.loaded and not diff.changed and not diff.removed:
            self.store_problem = None
            self._update_banner()
            return
        # rows deleted by another process stay listed as gone until `r` reloads
        keep_gone, self.drop_gone = self.loaded and not self.drop_gone, False
        added, removed = self.fleet.apply_diff(diff, keep=keep, keep_gone=keep_gone)
        self.failures.forget(diff.removed)
        if not self.loaded:
            # Everything alive after the first load (the fleet, the screen) is long-lived:
            # kept out of the collector's full passes, which otherwise walk it all in the
            # middle of a key press (pauses of 70 ms with 2k instances; see bench/). Once
            # only, after a young-generation pass: a freeze keeps whatever garbage it
            # catches for good (failed reads leave exception cycles behind all the time).
            gc.collect(1)
            gc.freeze()
        names_changed = bool(added or removed) or not self.loaded
        self._set_loaded()
        self.store_problem = None
        self.table.empty_text = EMPTY
        self.table.view_changed()
        if self.feed is not None and names_changed:
            self.feed.set_names(list(self.fleet.rows))
        elif self.feed is not None and diff.changed:
            self.feed.rows_changed(diff.changed)  # a reads process keeps what a read needs of each row
        self.summary.mark_changed(rows=True)
        self.summary.update_summary()
        self._update_banner()
        if self.selected is not None:
            self._show_detail(refresh_local=True)
        if EXIT_AFTER == "loaded":
            self.call_after_refresh(self.app.exit)

    def _check_store(self) -> None:
        """Reload the listing when another process committed to the store."""
        try:
            self.loader.check(self.fleet.rows)
        except StoreError as exc:
            if self.store_problem != str(exc):
                store_log.error("checking the store failed: %s", exc)
            self.store_problem = str(exc)
            self._update_banner()

    # -- live results ----------------------------------------------------------------

    @on(LiveResults)
    def _live_results(self, message: LiveResults) -> None:
        assert self.feed is not None
        batch = self.feed.take()
        fleet = self.fleet
        moved = False  # a row changed in a way the filter, the attention view or the sort reads
        for name, result in batch:
            row = fleet.rows.get(name)
            before = row.view_key() if row is not None and not fleet.plain else None
            self._apply_result(name, result)
            if before is not None and row is not None and row.view_key() != before:
                moved = True
        if batch:
            self.table.refresh_rows({name for name, _ in batch})  # the header follows on the next tick
        if moved:
            self.reapply_view_soon()

    def _apply_result(self, name: str, result: ReadResult | LiveResult) -> None:
        row = self.fleet.rows.get(name)
        if row is None:
            return
        now = time.monotonic()
        row.apply(result, now)
        if isinstance(result, StatusRead | LiveResult) and result.source == "live" and self.summary.live:
            self.summary.live.last_answer = now
        # logged when a read starts failing or recovers; unsaved backfills: one banner line
        if self.failures.note(name, result):
            self._update_banner()
        self.summary.mark_changed(rows=True)
        if name == self.selected:
            if isinstance(result, LiveResult):
                # a background read of a row that became selected while it ran: the
                # detail wants the whole document, which the store has
                self._show_detail(refresh_local=True)
            else:
                self.current = result
                self._render_detail()

    # -- the detail ----------------------------------------------------------------

    @on(FleetTable.CursorMoved)
    def _cursor_moved(self, message: FleetTable.CursorMoved) -> None:
        if message.name != self.table.cursor_name:
            # stale: the cursor moved on (its own message follows) and a key right behind
            # the move may already act on the row it reached (_sync_selection)
            return
        now = time.monotonic()
        held = now - self._last_move < self.timing.detail_settle
        self._last_move = now
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if not held:
            self._select(message.name, force=True)
            return
        # The cursor is racing (a held key, a fast scroll): the list repaints at once,
        # the detail follows as soon as the cursor rests, so keys never queue up
        # behind detail renders.
        self._select(message.name, show=False)
        self._detail_timer = self.set_timer(self.timing.detail_settle, self._settle_detail)

    def _settle_detail(self) -> None:
        self._detail_timer = None
        self._show_detail(refresh_local=True)

    def _select(self, name: str | None, *, force: bool = False, show: bool = True) -> None:
        """Make ``name`` the selected instance; the token hides when the selection changes."""
        changed = name != self.selected
        if changed:
            self.hide_token()
            self.selected = name
            self.current = None
            if self.feed is not None:
                self.feed.select(name)
        if show and (changed or force):
            self._show_detail(refresh_local=True)

    def _sync_selection(self) -> None:
        """Catch up with the cursor before acting on "the selected instance".

        Cursor moves arrive as messages; a key pressed right after a move must act on
        the row under the cursor, not on the one selected a moment ago.
        """
        self._select(self.table.cursor_name)

    def _show_detail(self, *, refresh_local: bool) -> None:
        """Show the selected instance at once from the store and its last live outcome."""
        name = self.selected
        row = self.fleet.rows.get(name) if name is not None else None
        if row is not None and (refresh_local or self.current is None):
            try:
                local = self.model.local(row.name)
            except StoreError as exc:
                store_log.error("reading %r from the store failed: %s", row.name, exc)
                self.notify(str(exc), title="store", severity="error")
                local = None
            if isinstance(local, StatusRead):
                self.current = merge(local.document, row.outcome())
            elif isinstance(local, MappedError):
                self.current = local
                if row.mapped is None and self.loaded:
                    row.apply(local, time.monotonic())
        self._render_detail()

    def _render_detail(self) -> None:
        name = self.selected
        row = self.fleet.rows.get(name) if name is not None else None
        if row is not None and row.mapped is None and isinstance(self.current, MappedError):
            self.current = None
        if self.model.sealer is None and self.token.problem is None and isinstance(self.current, StatusRead):
            self.token.problem = self.model.key_problem
        content = render_detail(
            row,
            self.current,
            self.token,
            gateway_configured=self.model.gateway_configured,
            no_reveal=self.no_reveal,
        )
        self.detail.show(content)

    # -- keys (the list's and the live reads' are ListActions') ------------------------

    def action_help(self) -> None:
        self.app.push_screen(
            HelpScreen([b for b in self.BINDINGS if self.check_action(b.action, ()) is not False])
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # with --no-reveal, t and y are not offered at all: neither in the footer nor as keys
        return not (action in ("toggle_token", "copy_token") and self.no_reveal)

    # -- periodic ------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: the header, the list's ages, the token's auto-hide, the detail."""
        if self.feed is not None:
            self.feed.set_visible(self.table.visible_names())
        now = time.monotonic()
        self.hide_token_if_due(now)
        self.table.tick(now)
        self.summary.mark_changed()
        self.summary.update_summary()
        self._update_banner()
        if self.selected is not None:
            self._render_detail()  # the pane skips content that reads the same

    def _update_banner(self) -> None:
        down = self.fleet_down.line(self.summary.counts, self.feed.scheduler) if self.feed else ""
        self.banner.show_first(
            store_problem=self.store_problem,
            fleet_down=down,
            unsaved=self.failures.banner(),
            gateway_configured=self.model.gateway_configured,
            readonly=self.store.readonly,
        )

    async def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()  # the feed's thread closes the live source itself
        else:
            await self.model.aclose()
