"""The WhatsApp connection beside the integration: where the fleet's states come from, and how
they look in the list, the detail and the header.

An integration can say ``active`` while its number is logged out or disconnected: Chatwoot
then simply stops receiving messages, and nothing else on screen says so. The connection
state of the whole fleet comes cheaply:

- with RyzeAPI's own API as the live source, from its instance listing: one
  :meth:`~cwdash.store.sources.ryzeapi.RyzeApiSource.connections` call per round
  (:class:`ConnectionPoller`, on the live feed's loop, where the source's reads run),
  never one call per instance;
- otherwise (the bridge), the values the last ``cwdash sync`` stored
  (:func:`cwdash.store.upstream.connections`), read with the listing
  (:class:`~cwdash.tui.loader.StoreLoader`) and posted as :class:`ConnectionsLoaded`.

A live listing is fresher than the store: once one has arrived, stored values are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from textual.message import Message

from cwdash.store.fleetload import apply_connections
from cwdash.store.fleetrow import FleetRow
from cwdash.store.status import (
    ACTIVE,
    CONNECTED,
    CONNECTING,
    DISCONNECTED,
    ERROR,
    LOGGEDOUT,
    NUMBER_OFFLINE,
    OFFLINE,
    PAUSED,
)
from cwdash.store.text import one_line
from cwdash.tui import look

if TYPE_CHECKING:
    from cwdash.store.sources.ryzeapi import RyzeApiSource

log = logging.getLogger("cwdash.live")

COLUMN_KEY, COLUMN_TITLE, COLUMN_WIDTH = "connection", "WHATSAPP", 14
# connection -> (label in the list, style class of the list); always a word beside the glyph
# (the glyph is the status's of the same look: look.G, so ASCII where the terminal needs it)
CELL: dict[str, tuple[str, str, str]] = {
    CONNECTED: (ACTIVE, "connected", "dim"),
    CONNECTING: (PAUSED, "connecting", "paused"),
    DISCONNECTED: (ERROR, "disconnected", "error"),
    LOGGEDOUT: (ERROR, "loggedout", "error"),
}
DETAIL_STYLE = {CONNECTED: "green", CONNECTING: "yellow", DISCONNECTED: "bold red", LOGGEDOUT: "bold red"}
# sorting by the column (a click on its title): offline numbers first, unknown last
ORDER = {LOGGEDOUT: 0, DISCONNECTED: 1, CONNECTING: 2, CONNECTED: 3}
DEFAULT_EVERY = 60.0  # seconds between listings at least (a round of a big fleet takes longer)


def connection_cell(row: FleetRow) -> tuple[str, str]:
    """Label and style class of a row's connection in the list (a dash when no listing said)."""
    cell = CELL.get(row.connection)
    if cell is None:
        return look.G.dash, "dim"
    state, word, style = cell
    return f"{look.G.states[state]} {word}", style


def offline_note(row: FleetRow) -> str:
    """What LAST ERROR says of an active row whose number is offline and that has no error
    of its own ("number loggedout": the narrow list has no WHATSAPP column); '' otherwise."""
    if row.connection in OFFLINE and row.number_offline:
        return f"number {row.connection}"
    return ""


def detail_parts(row: FleetRow) -> list[tuple[str, str] | str]:
    """The detail's ``connection.state`` value ([] when no listing has said)."""
    state = row.connection
    if not state:
        return []
    parts: list[tuple[str, str] | str] = [(one_line(state, 40), DETAIL_STYLE.get(state, "bold"))]
    if row.number_offline:
        parts.append(
            (f"  {NUMBER_OFFLINE}: the integration says active, but Chatwoot receives nothing", "red")
        )
    elif state in OFFLINE:
        parts.append(("  the number receives nothing until it is connected again", "dim"))
    return parts


# -- where the states come from ---------------------------------------------------------------


class ConnectionsLoaded(Message):
    """The connection states the store holds (from the last ``cwdash sync``), by name.
    (A plain class, not a dataclass: the start path builds no dataclass it can avoid.)"""

    def __init__(self, connections: dict[str, str] | None = None, site: str = "") -> None:
        super().__init__()
        self.connections = {} if connections is None else connections
        self.site = site  # whose (``--all-sites``)


class ConnectionsListed(Message):
    """RyzeAPI's instance listing answered: the connection state of every instance it lists."""

    def __init__(self, connections: dict[str, str] | None = None, site: str = "") -> None:
        super().__init__()
        self.connections = {} if connections is None else connections
        self.site = site  # whose (``--all-sites``: set by the site's session, tui/sites.py)


class ConnectionView:
    """Applies the states to the fleet's rows, the freshest source winning."""

    def __init__(self, *, listed: bool) -> None:
        self.listing_source = listed  # the live source lists connections (RyzeAPI)
        self.listed = False  # a live listing has arrived: stored values are older
        self.known = listed  # whether the list shows the column

    def stored(self, rows: Mapping[str, FleetRow], connections: dict[str, str]) -> list[FleetRow]:
        if connections:
            self.known = True
        if self.listed:
            return []
        return apply_connections(rows, connections)

    def live(self, rows: Mapping[str, FleetRow], connections: dict[str, str]) -> list[FleetRow]:
        self.listed = self.known = True
        return apply_connections(rows, connections)


class ConnectionPoller:
    """Asks RyzeAPI's listing for the whole fleet's connections: at once, then once a round
    (``every()`` seconds, never less than ``floor``), and again on :meth:`poke` (``r``)."""

    def __init__(
        self,
        source: RyzeApiSource,
        post: Callable[[Message], object],
        every: Callable[[], float],
        *,
        floor: float = DEFAULT_EVERY,
    ) -> None:
        self.source = source
        self.post = post
        self.every = every
        self.floor = floor
        self.listings = 0
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def poke(self) -> None:
        """List again now (from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            await self.once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(self.floor, self.every()))

    async def once(self) -> None:
        try:
            listed = await self.source.connections()
        except Exception:  # a bug must not end the feed; the reads go on
            log.exception("unexpected error in RyzeAPI's instance listing")
            return
        self.listings += 1
        if isinstance(listed, dict):
            self.post(ConnectionsListed({name: item.connection for name, item in listed.items()}))
        else:
            log.info("RyzeAPI's instance listing failed: %s", listed.describe())


def connection_view_for(screen: ConnectionHandlers, floor: float) -> ConnectionView:
    """The screen's :class:`ConnectionView`; with RyzeAPI as the live source, the feed also
    gets a :class:`ConnectionPoller` listing once a round (``floor``: at most this often)."""
    source = screen.model.live
    feed = screen.feed
    # RyzeAPI's module is loaded only when it is the live source (the factory imports the
    # source in use): when it is not loaded, the source is not RyzeAPI, and the first
    # paint of a bridge fleet stays without RyzeAPI's client
    ryzeapi = sys.modules.get("cwdash.store.sources.ryzeapi")
    listed = ryzeapi is not None and isinstance(source, ryzeapi.RyzeApiSource) and feed is not None
    if listed:
        assert feed is not None and ryzeapi is not None and isinstance(source, ryzeapi.RyzeApiSource)
        scheduler = feed.scheduler  # its settings follow the budget (tui/budget.py)
        feed.poller = ConnectionPoller(
            source, screen.post_message, lambda: scheduler.settings.round_every, floor=floor
        )
    return ConnectionView(listed=listed)


if TYPE_CHECKING:
    from textual.screen import Screen

    from cwdash.store.fleet import Fleet
    from cwdash.store.readmodel import ReadModel
    from cwdash.tui.feed import LiveFeed
    from cwdash.tui.sites import SiteSession
    from cwdash.tui.summary import SummaryBar
    from cwdash.tui.table import FleetTable

    _Base = Screen[None]
else:
    _Base = object


class ConnectionHandlers(_Base):
    """The screen's handlers of the connection messages (a mixin: Textual's naming
    convention, as a mixin's @on handlers are not collected)."""

    model: ReadModel
    feed: LiveFeed | None
    fleet: Fleet
    table: FleetTable
    summary: SummaryBar
    connection_view: ConnectionView
    selected: str | None
    sessions: list[SiteSession]
    by_site: dict[str, SiteSession]

    def _render_detail(self) -> None: ...  # the screen's

    if TYPE_CHECKING:

        def history_observe_rows(self, rows: list[FleetRow]) -> None: ...  # HistoryHandlers'

    def on_connections_loaded(self, message: ConnectionsLoaded) -> None:
        site = self.by_site[message.site]  # its own view, its own rows (--all-sites)
        self._connections_changed(site.connection_view.stored(site.by_name, message.connections))

    def on_connections_listed(self, message: ConnectionsListed) -> None:
        site = self.by_site[message.site]
        self._connections_changed(site.connection_view.live(site.by_name, message.connections))

    def _connections_changed(self, changed: list[FleetRow]) -> None:
        table = self.table
        known = any(s.connection_view.known for s in self.sessions)
        if table.show_connection != known:
            table.show_connection = known
            table.refresh()
        if not changed:
            return
        self.history_observe_rows(changed)
        fleet = self.fleet
        if fleet.attention_only or fleet.sort_key == COLUMN_KEY:
            fleet.rebuild(full=True)  # a number going offline can bring a row into the view
            table.view_changed()
            self._filter_more_soon()  # type: ignore[attr-defined]  # the screen's (ListActions)
        else:
            table.refresh_rows({row.key for row in changed})
        self.summary.mark_changed(rows=True)
        if self.selected is not None and any(row.key == self.selected for row in changed):
            self._render_detail()
