"""Several sites in one dashboard (``cwdash --all-sites``): one session per site.

A :class:`SiteSession` is what one site brings to the screen: its configuration, store,
read model (its key), listing loader, live feed, RyzeAPI budget, WhatsApp connection view,
failing reads and store problem. The single-site dashboard has exactly one, of site "";
with several, the screen routes by site: a site's loader and feed name instances, the
fleet keys rows by site and name (:func:`~cwdash.store.fleetrow.row_key`), and a row's
detail, token and audit go through its own site's session.

A site that cannot be opened (a bad env file, no key, no store) is a session with a
``problem`` and no rows: the header names it and why; the other sites are untouched.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from cwdash.store.config import Config
from cwdash.store.db import Store
from cwdash.store.fleet import Fleet, FleetRow, SiteRows
from cwdash.store.fleetrow import row_key
from cwdash.store.readmodel import ReadModel
from cwdash.store.refresh import RefreshSettings
from cwdash.tui.bindings import Timing
from cwdash.tui.budget import BudgetGovernor, budget_for, live_state
from cwdash.tui.connections import ConnectionView, connection_view_for
from cwdash.tui.failures import ReadFailures
from cwdash.tui.feed import Feed, make_feed
from cwdash.tui.loader import StoreLoader
from cwdash.tui.summary import FleetDown, LiveState, SummaryBar

if TYPE_CHECKING:
    from textual.message import Message
    from textual.screen import Screen

log = logging.getLogger("cwdash.store")


class SiteSpec(NamedTuple):
    """One site to show: its opened store and read model, or why it could not be opened."""

    site: str
    config: Config | None
    store: Store | None
    model: ReadModel | None
    problem: str | None = None


class _SiteFleet:
    """What a site's feed reads rows through (:func:`cwdash.store.fleet.background_read`):
    the site's rows by instance name."""

    def __init__(self, rows: Mapping[str, FleetRow]) -> None:
        self.rows = rows


class SiteSession:
    """One site's part of the dashboard (see the module)."""

    def __init__(
        self,
        screen: "Screen[None]",
        spec: SiteSpec,
        fleet: Fleet,
        settings: RefreshSettings | None,
        timing: Timing,
    ) -> None:
        self.screen = screen
        self.site = spec.site
        self.config = spec.config
        self.store = spec.store
        self.model = spec.model
        self.problem = spec.problem  # could not be opened: no rows, named in the header
        self.store_problem: str | None = None  # reading its store fails (locked, damaged)
        self.failures = ReadFailures()
        self.fleet_down = FleetDown()  # most of its reads failing the same way, since when
        self.drop_gone = False  # its next reload drops the rows listed as gone (`r`)
        self.loaded = self.store is None  # a site without a store has nothing to load
        # the site's rows by key (what its listing is compared with) and by name (what its
        # reads and listings say); the fleet itself with one site
        self.rows: Mapping[str, FleetRow] = SiteRows(fleet.rows, self.site) if self.site else fleet.rows
        self.by_name: Mapping[str, FleetRow] = fleet.rows.site_rows(self.site)  # the fleet's own dict
        self.loader: StoreLoader | None = None
        self.feed: Feed | None = None
        self.budget: BudgetGovernor | None = None
        self.live: LiveState | None = None
        self.connection_view = ConnectionView(listed=False)
        config, model = self.config, self.model
        if self.store is None or model is None or config is None:
            return
        self.loader = StoreLoader(
            screen, self.store, check_every=timing.store_check, site=self.site, texts=fleet.rows.texts
        )
        if model.gateway_configured:
            self.feed = make_feed(
                model,
                settings or RefreshSettings(config.concurrency, config.rate, round_every=config.round_every),
                results_every=timing.results_every,
                fleet=cast(Fleet, _SiteFleet(self.by_name)) if self.site else fleet,
            )
            if self.site:
                self.feed.group = f"live-feed:{self.site}"  # one feed per site at a time
        self.connection_view = connection_view_for(self, timing.connections_every)  # type: ignore[arg-type]
        self.budget = budget_for(self.feed, model.live, timing.connections_every)
        if self.feed is not None:
            self.live = live_state(config, self.budget)

    def post_message(self, message: "Message") -> bool:
        """Post to the screen, naming this site (the connection poller's listings)."""
        if self.site:
            message.site = self.site  # type: ignore[attr-defined]
        return self.screen.post_message(message)

    def key(self, name: str) -> str:
        return row_key(self.site, name)

    def names(self) -> list[str]:
        """This site's instance names, as its feed reads them."""
        return list(self.by_name)

    @property
    def trouble(self) -> str | None:
        """Why the site shows nothing, or nothing current: it could not be opened, or its store fails."""
        if self.problem:
            return self.problem
        return f"store: {self.store_problem}" if self.store_problem else None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def open_sessions(
    screen: "Screen[None]",
    specs: Sequence[SiteSpec],
    fleet: Fleet,
    settings: RefreshSettings | None,
    timing: Timing,
) -> list[SiteSession]:
    return [SiteSession(screen, spec, fleet, settings, timing) for spec in specs]


def any_live(sessions: Sequence[SiteSession]) -> list[Feed]:
    return [s.feed for s in sessions if s.feed is not None]


def store_paths(sessions: Sequence[SiteSession]) -> dict[str, Path]:
    return {s.site: s.store.path for s in sessions if s.store is not None}


# -- the screen's routing by site ----------------------------------------------------------

if TYPE_CHECKING:
    from cwdash.tui.summary import BannerSlot
    from cwdash.tui.table import FleetTable

    _Base = Screen[None]
else:
    _Base = object


class SiteRouting(_Base):
    """The dashboard screen's way to each site's session (a mixin, like its actions)."""

    sessions: list[SiteSession]
    by_site: dict[str, SiteSession]
    fleet: Fleet
    table: "FleetTable"
    summary: SummaryBar
    banner: "BannerSlot"
    selected: str | None

    if TYPE_CHECKING:  # declared only: the screen's

        def _update_banner(self) -> None: ...

    @property
    def sites_shown(self) -> bool:
        """Several sites: the SITE column, the header's counts per site."""
        return len(self.sessions) > 1

    @property
    def drop_gone(self) -> bool:
        """The next reload of a site drops its rows listed as gone (`r`: every site's)."""
        return any(s.drop_gone for s in self.sessions)

    @drop_gone.setter
    def drop_gone(self, value: bool) -> None:
        for session in self.sessions:
            session.drop_gone = value

    def feeds(self) -> list[Feed]:
        return any_live(self.sessions)

    def session_of(self, row: FleetRow | None) -> SiteSession:
        """The row's site's session (no row: the first site that opened)."""
        if row is not None:
            return self.by_site[row.site]
        return next((s for s in self.sessions if s.model is not None), self.sessions[0])

    def model_for(self, row: FleetRow | None) -> ReadModel:
        model = self.session_of(row).model
        assert model is not None  # a site without a model has no rows
        return model

    def token_owner(self) -> tuple[str, Path | None]:
        """The selected instance's name and its site's store (where its reveals are audited)."""
        row = self.fleet.rows.get(self.selected) if self.selected is not None else None
        if row is None:
            return (self.selected or "", None)
        store = self.session_of(row).store
        return row.name, store.path if store is not None else None

    def first_pages(self) -> list[SiteSession] | None:
        """Every site's first page into the fleet; the sites listed whole by it (None:
        no store could be read)."""
        from cwdash.store.db import StoreError
        from cwdash.tui.loader import FIRST_PAGE, StoreFailed

        read, whole, expected = False, [], 0
        page = max(FIRST_PAGE, self.app.size.height)  # every site's first rows fill the screen
        for session in self.sessions:
            if session.loader is None:
                continue
            try:
                first, count = session.loader.first_page(page)
            except StoreError as exc:
                self.post_message(StoreFailed(str(exc), session.site))
                continue
            read = True
            expected += count
            self.fleet.install(first, rebuild=False)  # the site's first rows, as columns
            if len(first) < page:  # fewer than asked for: the whole listing
                session.loaded = True
                whole.append(session)
        self.fleet.rebuild(full=True)  # once, every site's first rows in
        self.summary.expected = expected
        return whole if read or not any(s.loader for s in self.sessions) else None

    _to_load: "list[SiteSession]" = []  # the sites whose listing is still to be read, in turn

    def load_rows(self) -> None:
        """Read the whole listing again, off the event loop (``r``, and commits by others).

        Several sites load one after another, each when the one before it came in: four
        loading threads at once made the screen's thread wait its turn for the GIL behind
        each of them (stalls of 170 ms while 4 x 250k sites load, bench/million.py); the
        whole load takes about as long either way."""
        self._to_load = [s for s in self.sessions if s.loader is not None]
        self.load_next_site()

    def load_next_site(self) -> None:
        """The next site's listing (called as a listing comes in or fails)."""
        if self._to_load:
            session = self._to_load.pop(0)
            if session.loader is not None:
                session.loader.load(session.rows)

    def _check_store(self) -> None:
        """Reload a site's listing when another process committed to its store."""
        from cwdash.store.db import StoreError

        for session in self.sessions:
            if session.loader is None:
                continue
            try:
                session.loader.check(session.rows)
            except StoreError as exc:
                if session.store_problem != str(exc):
                    log.error("checking the store %sfailed: %s", session.site and f"of {session.site} ", exc)
                session.store_problem = str(exc)
                self._update_banner()

    def select_in_sites(self, key: str | None) -> None:
        """The selected row is read first by its site's feed; the other sites select none."""
        from cwdash.store.fleetrow import split_key

        site, name = split_key(key) if key is not None else ("", None)
        for session in self.sessions:
            if session.feed is not None:
                session.feed.select(name if session.site == site else None)
        if self.sites_shown and site in self.by_site:
            from cwdash.tui.sitesummary import SitesSummary  # several sites only

            if isinstance(self.summary, SitesSummary):
                self.summary.show_site(self.by_site[site])

    def visible_in_sites(self) -> None:
        """The rows on screen, read next by their sites' feeds."""
        if not self.sites_shown:
            feed = self.sessions[0].feed
            if feed is not None:
                feed.set_visible(self.table.visible_names())
            return
        names: dict[str, list[str]] = {s.site: [] for s in self.sessions}
        for row in self.table.visible_rows():
            names[row.site].append(row.name)
        for session in self.sessions:
            if session.feed is not None:
                session.feed.set_visible(names[session.site])

    def banner_for_sites(self) -> None:
        from cwdash.tui.sitesummary import SitesSummary, banner_line  # several sites only

        counts = self.summary.site_counts if isinstance(self.summary, SitesSummary) else {}
        self.banner.show_first(
            store_problem=None,
            fleet_down=banner_line(self.sessions, counts),
            unsaved="",
            gateway_configured=True,
            readonly=False,
        )

    async def on_unmount(self) -> None:
        clock = getattr(self, "clock", None)  # made on mount
        if clock is not None:
            clock.stop()
        for session in self.sessions:
            if session.feed is not None:
                session.feed.stop()  # the feed's thread closes the live source itself
            elif session.model is not None:
                await session.model.aclose()
