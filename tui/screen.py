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

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.timer import Timer

from cwdash.store.config import Config
from cwdash.store.db import Store, StoreError
from cwdash.store.fleet import Fleet
from cwdash.store.fleetrow import key_label
from cwdash.store.readmodel import MappedError, ReadModel, ReadResult, StatusRead, merge
from cwdash.store.refresh import RefreshSettings
from cwdash.tui import look
from cwdash.tui.bindings import BINDINGS, Timing
from cwdash.tui.clock import ScreenClock
from cwdash.tui.connections import ConnectionHandlers
from cwdash.tui.detail import DetailPane, TokenView, render_detail
from cwdash.tui.export_actions import ExportActions
from cwdash.tui.fields import InputFields
from cwdash.tui.footer import KeyFooter
from cwdash.tui.frames import FramePacing
from cwdash.tui.history_view import HistoryHandlers
from cwdash.tui.list_actions import ListActions
from cwdash.tui.loader import RowsLoaded, StoreFailed
from cwdash.tui.oncall import OnCallActions
from cwdash.tui.results import ResultPacing
from cwdash.tui.sites import SiteRouting, SiteSpec, open_sessions
from cwdash.tui.summary import BannerSlot, SummaryBar
from cwdash.tui.table import FleetTable
from cwdash.tui.token_actions import TokenActions
from cwdash.tui.verify_actions import VerifyActions

WIDE = 120  # columns: from here on the list and the detail sit side by side
TALL = 18  # lines: below this the detail is left out (Enter shows it full screen)
EMPTY = "no instances in the store: add some with `cwdash import FILE`"
# For bench/run.py: exit once the first screen is painted ("paint") or the whole list is loaded ("loaded").
EXIT_AFTER = os.environ.get("CWDASH_EXIT_AFTER", "")
store_log = logging.getLogger("cwdash.store")


class _Pane(Container):
    """The body and the list's pane: layout only, covered by what they hold (no border,
    no content of their own), so drawn as Textual draws a BLANK widget: one blank line
    repeated, not each of their lines worked out under the widgets that cover them."""

    BLANK = True


class DashboardScreen(
    FramePacing,
    InputFields,
    HistoryHandlers,
    OnCallActions,
    ListActions,
    TokenActions,
    VerifyActions,
    ExportActions,
    ConnectionHandlers,
    SiteRouting,
    ResultPacing,
    Screen[None],
):
    """The one screen of the dashboard; the key help and the full view go on top of it.
    Each site's store, reads and schedule are its :class:`~cwdash.tui.sites.SiteSession`'s
    (one, of site "", without ``--all-sites``)."""

    BINDINGS = BINDINGS
    BLANK = True  # the header, the body and the footer cover it whole (see _Pane)
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
        sites: list[SiteSpec] | None = None,
    ) -> None:
        super().__init__()
        self.no_reveal = no_reveal
        self.timing = timing or Timing()
        self.reveal_seconds = self.timing.reveal_seconds
        self.fleet = Fleet()
        self.loaded = False
        self.selected: str | None = None  # the selected row's key (its name with one site)
        self.current: ReadResult | None = None
        self.token = TokenView()
        self._last_move = 0.0
        self._resumed = False  # see on_screen_resume
        self._detail_timer: Timer | None = None
        specs = sites or [SiteSpec("", config, store, model)]
        self.sessions = open_sessions(self, specs, self.fleet, settings, self.timing)
        self.by_site = {s.site: s for s in self.sessions}
        first = self.sessions[0]
        # the first site's (the only one without --all-sites)
        self.config, self.store, self.store_path, self.model = config, store, store.path, model
        self.feed, self.budget, self.failures = first.feed, first.budget, first.failures
        self.loader, self.connection_view = first.loader, first.connection_view

    # -- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Every class the screen starts with, in one call before its children exist: the
        # breakpoints' classes as the first resize will set them (the first paint is laid
        # out once, in its final arrangement), the glyphs and the colour depth. Set one by
        # one, or after mounting, each restyles the whole tree (~25 ms at start).
        width, height = self.app.size
        depth = getattr(self.app, "depth", "")
        start_classes = {
            "-wide" if width >= WIDE else "-narrow": True,
            "-tall" if height >= TALL else "-short": True,
            "-ascii": look.G.ascii,
            "-no-color": depth == "none",
            "-depth-16": depth == "16",
        }
        self.add_class(*(name for name, on in start_classes.items() if on))
        if self.sites_shown:
            from cwdash.tui.sitesummary import SitesSummary  # several sites only

            self.summary: SummaryBar = SitesSummary(self.fleet, self.app.title, self.sessions, id="summary")
        else:
            self.summary = SummaryBar(self.fleet, self.app.title, self.sessions[0].live, id="summary")
        self.banner = BannerSlot(self, after=self.summary)  # mounted when it has a line to show
        self.table = FleetTable(self.fleet, id="fleet")
        # The list takes the focus as it mounts (Textual's auto focus picks it, the first
        # focusable widget): styled once, with :focus, not again by the focus watcher.
        self.table.set_reactive(FleetTable.has_focus, True)
        self.table.site_width = max(len(s.site) for s in self.sessions) if self.sites_shown else 0
        self.detail = DetailPane(id="detail")
        yield self.summary
        with _Pane(id="body"):
            with _Pane(id="list-pane"):
                yield self.table  # the filter and jump fields come with their keys (tui/fields.py)
            yield self.detail
        yield KeyFooter()

    def on_mount(self) -> None:
        self._update_banner()
        self.summary.update_summary()
        self.table.focus()
        self._first_page()
        if EXIT_AFTER == "paint":
            self.call_after_refresh(self.app.exit)
        # The rest of the listing and the live reads start once the first page is on
        # screen: started earlier, they compete with the first paint for the GIL.
        self.call_after_refresh(self._after_first_paint)
        # paused: ticks only when an age on screen changes; the store's check rides on the ticks
        self.clock = ScreenClock(self, self.timing.tick, chore=(self.timing.store_check, self._check_store))
        self.clock.start()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """The first resume comes right after the mount: every node was styled as it
        mounted, with the classes it starts with, and the list again as it took focus.
        Textual's restyle of the whole tree here gives the same styles a second time
        (15M instructions before the first paint; tests/dashboard/test_dash_first_frame.py
        holds them equal). Later resumes (a dialog closed) restyle as Textual does."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def _after_first_paint(self) -> None:
        if not gc.isenabled():  # off since cwdash.cli.main.main: what is alive now lives on
            gc.freeze()
            gc.enable()
        self.load_rows()
        self.history_start()
        for feed in self.feeds():
            feed.start(self)

    # -- the local listing -----------------------------------------------------------

    def _first_page(self) -> None:
        """Paint the top of the list at once; the whole listing follows from a thread."""
        pages = self.first_pages()
        if pages is None:
            return
        self.table.empty_text = EMPTY
        self.table.view_changed()
        for session in pages:
            if session.feed is not None:
                session.feed.set_names([r.name for r in self.fleet.view if r.site == session.site])
        if all(s.loaded for s in self.sessions):
            self._set_loaded()
        self.summary.mark_changed(rows=True)
        self.summary.update_summary()

    def _set_loaded(self) -> None:
        self.loaded = self.summary.loaded = True

    @on(StoreFailed)
    def _store_failed(self, message: StoreFailed) -> None:
        self.load_next_site()
        session = self.by_site[message.site]
        where = f"{message.site}: " if message.site else ""
        store_log.error(
            "reading the store %sfailed: %s", f"of site {message.site} " if where else "", message.message
        )
        session.store_problem = message.message
        self._update_banner()
        self.notify(where + message.message, title="store", severity="error", timeout=10)

    @on(RowsLoaded)
    def _rows_loaded(self, message: RowsLoaded) -> None:
        self.load_next_site()  # several sites: one after another (tui/sites.py)
        session = self.by_site[message.site]
        keep = self.table.cursor_name if session.loaded else None  # the cursor's row: ahead of `selected`
        # rows deleted by another process stay listed as gone until `r` reloads
        keep_gone = session.loaded and not session.drop_gone
        diff, added, removed = self.fleet.install(message.columns, keep=keep, keep_gone=keep_gone)
        if session.loaded and not diff.changed and not diff.removed:
            session.store_problem = None
            self._update_banner()
            return
        session.drop_gone = False
        session.failures.forget([key_label(key) for key in diff.removed])
        self.history_listing(diff)
        names_changed = bool(added or removed) or not session.loaded
        session.loaded = True
        if not self.loaded and all(s.loaded for s in self.sessions):
            # Everything alive after the first load (the fleet, the screen) is long-lived:
            # kept out of the collector's full passes, which otherwise walk it all in the
            # middle of a key press (pauses of 70 ms with 2k instances; see bench/). Once
            # only, after a young-generation pass: a freeze keeps whatever garbage it
            # catches for good (failed reads leave exception cycles behind all the time).
            gc.collect(1)
            gc.freeze()
            self._set_loaded()
        session.store_problem = None
        self.table.empty_text = EMPTY
        self.table.view_changed()
        self._filter_more_soon()  # a million rows' filter or sort: worked out in steps
        if session.feed is not None and names_changed:
            session.feed.set_names(session.names())
        elif session.feed is not None and diff.changed:
            session.feed.rows_changed(diff.changed)  # a reads process keeps what a read needs of each row
        self.summary.mark_changed(rows=True, site=message.site)  # the other sites' counts stand
        self.summary.update_summary()
        self._update_banner()
        if self.selected is not None:
            self._show_detail(refresh_local=True)
        if EXIT_AFTER == "loaded" and self.loaded:  # every site's rows (--all-sites)
            self.call_after_refresh(self.app.exit)

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
        """Make ``name`` (a row key) the selected instance; the token hides when the selection changes."""
        changed = name != self.selected
        if changed:
            self.hide_token()
            self.selected = name
            self.current = None
            self.select_in_sites(name)
            self.detail.scroll_to(y=0, animate=False)  # each instance's detail opens at its top
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
                local = self.model_for(row).local(row.name)
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
        model = self.model_for(row)
        if model.sealer is None and self.token.problem is None and isinstance(self.current, StatusRead):
            self.token.problem = model.key_problem
        content = render_detail(
            row,
            self.current,
            self.token,
            gateway_configured=model.gateway_configured,
            no_reveal=self.no_reveal,
            verify=self.verify_view(name),
            history=self.history_rows(row),
        )
        self.detail.show(content)

    # -- keys (the list's and the live reads' are ListActions') ------------------------

    def action_help(self) -> None:
        from cwdash.tui.help import HelpScreen  # on the first `?`, not at start-up

        self.app.push_screen(
            HelpScreen([b for b in self.BINDINGS if self.check_action(b.action, ()) is not False])
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # t and y: not with --no-reveal; c: not when history is off in every site
        return self.token_offers(action) and self.history_offers(action)

    # -- periodic ------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: the header, the list's ages, the token's auto-hide, the detail."""
        self.take_results()  # a trickle is not posted by the feeds: taken here
        self.apply_results()  # the trickle of live results that waited for this frame
        self.visible_in_sites()
        now = time.monotonic()
        self.hide_token_if_due(now)
        self.history_tick()
        self.table.tick(now)
        self.summary.mark_changed()
        self.summary.update_summary()
        self._update_banner()
        if self.selected is not None:
            self._render_detail()  # the pane skips content that reads the same

    def _update_banner(self) -> None:
        if self.sites_shown:
            self.banner_for_sites()
            return
        site = self.sessions[0]
        down = site.fleet_down.line(self.summary.counts, site.feed.scheduler) if site.feed else ""
        self.banner.show_first(
            store_problem=site.store_problem,
            fleet_down=down,
            unsaved=site.failures.banner(),
            gateway_configured=self.model.gateway_configured,
            readonly=self.store.readonly,
        )
