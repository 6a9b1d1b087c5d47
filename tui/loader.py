"""The local listing: the first page at once, the rest from a thread, reloads on other commits.

The first page (``FIRST_PAGE`` rows) is read on the screen's thread so the list paints
at once; the whole listing follows from a thread worker on a connection of its own, as
a :class:`RowsLoaded` message holding only its differences with what is shown. The
store's listing version is checked every few seconds: a commit by another process
(``cwdash import``, ``set``) reloads the listing, while history and audit writes do not
(:meth:`~cwdash.store.db.Store.listing_version`); a big store waits longer between reloads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from textual.message import Message
from textual.widget import Widget

from cwdash.store.columns import SiteColumns, Texts
from cwdash.store.db import Store, StoreError
from cwdash.store.fleet import FleetRow
from cwdash.store.fleetload import columns_from_listing
from cwdash.tui.connections import ConnectionsLoaded

FIRST_PAGE = 48  # rows: at least a screenful of a tall terminal (the screen asks for its height)
STORE_CHECK_EVERY = 2.0  # seconds between checks for commits by other processes


class RowsLoaded(Message):
    """A fresh local listing of the store, as columns (compared with what is shown on the
    screen's thread: :meth:`~cwdash.store.fleet.Fleet.install`), and how long reading it took."""

    def __init__(self, columns: SiteColumns, seconds: float, site: str = "") -> None:
        super().__init__()
        self.columns = columns
        self.seconds = seconds
        self.site = site  # whose store (``--all-sites``)


class StoreFailed(Message):
    """Reading the store failed (the message names the cause, never a secret)."""

    def __init__(self, message: str, site: str = "") -> None:
        super().__init__()
        self.message = message
        self.site = site


class StoreLoader:
    """Reads the listing for ``owner`` (the screen), which receives the messages above;
    ``site``: the store's site, named in every message (``--all-sites``)."""

    def __init__(
        self,
        owner: Widget,
        store: Store,
        *,
        check_every: float = STORE_CHECK_EVERY,
        site: str = "",
        texts: Texts | None = None,
    ) -> None:
        self.owner = owner
        self.store = store
        self.site = site
        self.texts = texts if texts is not None else Texts()  # the fleet's shared strings
        self.check_every = check_every
        self.version: int | None = None
        self._last_reload = 0.0
        self.reload_gap = check_every

    def first_page(self, rows: int = FIRST_PAGE) -> tuple[SiteColumns, int]:
        """The top of the list (``rows``, a screenful: every row more is built before the
        first paint) and about how many instances the store holds, for the header while
        the rest loads (:meth:`~cwdash.store.db.Store.instance_estimate`; raises StoreError).
        Fewer rows than asked for: that is the whole listing (and its count); as many as
        asked: more may follow, whatever the estimate says."""
        # noted before the first read: a commit by another process from here on is
        # seen by check(), even one landing before its first run
        self.version = self.store.listing_version()
        first = columns_from_listing(self.store.iter_list(limit=rows), self.site, self.texts)
        return first, len(first) if len(first) < rows else max(self.store.instance_estimate(), rows + 1)

    def load(self, shown: Mapping[str, FleetRow]) -> None:
        """Read the whole listing in a thread worker; ``shown``: the rows on screen now."""
        self.owner.run_worker(
            lambda: self._load(shown),
            name="listing",
            group=f"load{self.site}",  # a load per site at a time
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _load(self, shown: Mapping[str, FleetRow]) -> None:
        started = time.monotonic()
        try:
            reader = Store.open(self.store.path)
            try:
                rows = columns_from_listing(reader.iter_list(), self.site, self.texts)
                # the WhatsApp connections the last `cwdash sync` stored (tui/connections.py)
                from cwdash.store import upstream  # on this thread, after the first paint

                stored = upstream.connections(reader)
            finally:
                reader.close()
        except StoreError as exc:
            self.owner.post_message(StoreFailed(str(exc), self.site))
            return
        seconds = time.monotonic() - started
        # A big store takes a while to list: the next reload waits ten times as long.
        self.reload_gap = max(self.check_every, 10 * seconds)
        self.owner.post_message(RowsLoaded(rows, seconds, self.site))
        self.owner.post_message(ConnectionsLoaded(stored, self.site))  # applied once the rows are

    def check(self, shown: Mapping[str, FleetRow]) -> None:
        """Reload when another process committed (raises StoreError when the store cannot be checked)."""
        version = self.store.listing_version()
        if self.version is None:
            self.version = version
        elif version != self.version and time.monotonic() - self._last_reload >= self.reload_gap:
            self.version = version
            self._last_reload = time.monotonic()
            self.load(shown)
