"""The live feed: live reads on a thread with an event loop of its own, their results as messages.

The HTTP work of hundreds of reads a second must never queue in front of a key press
on the screen's loop, so the :class:`~cwdash.store.refresh.RefreshScheduler` runs in a
Textual thread worker (which gives an async function an event loop of its own). The
reads use a store connection of their own; the live source is used, and closed, only
there.

Results are delivered in batches: the first result after a delivery schedules one
:class:`LiveResults` message ``results_every`` seconds later (a timer on the feed's own
loop, not the screen's); the message carries nothing, the screen takes the whole batch
with :meth:`LiveFeed.take`, and a second message still waiting in the queue replaces
the first (``can_replace``), so a busy screen drains once, never twice.

The feed stops when its worker is cancelled: by :meth:`LiveFeed.stop`, or by Textual
itself when the screen that started it is removed or the app exits.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeAlias

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, get_current_worker

from cwdash.store.db import Store
from cwdash.store.fleet import Fleet, FleetRow, background_read
from cwdash.store.readmodel import LiveResult, ReadModel, ReadResult
from cwdash.store.refresh import RefreshScheduler, RefreshSettings
from cwdash.store.sources.base import LiveSource
from cwdash.tui.connections import ConnectionPoller

if TYPE_CHECKING:
    from cwdash.tui.procfeed import ProcessFeed

Feed: TypeAlias = "LiveFeed | ProcessFeed"  # the screen cannot tell them apart
RESULTS_EVERY = 0.25  # seconds: live results are applied and painted in batches at most this often


def make_feed(model: ReadModel, settings: RefreshSettings, *, results_every: float, fleet: Fleet) -> Feed:
    """The live feed for this read model: the reads in a child process when the bridge was
    made from the configuration (so the child can make it again: tui/procfeed.py), else
    on a thread of this process (sources made in memory: the demo, the tests; RyzeAPI,
    whose budget and listing share this process's state). CWDASH_LIVE_READS=thread keeps
    every source on the thread."""
    config = model.live_config
    if (
        config is not None
        and config.live_source_name == "bridge"
        and os.environ.get("CWDASH_LIVE_READS") != "thread"
    ):
        from cwdash.tui.procfeed import ProcessFeed

        return ProcessFeed(model, settings, config, results_every=results_every, fleet=fleet)
    return LiveFeed(model, settings, results_every=results_every, fleet=fleet)


class LiveResults(Message):
    """Live results are waiting: take them with :meth:`LiveFeed.take`."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LiveResults)


class LiveFeed:
    """Owns the refresh scheduler, the thread and loop it runs on, and the results not yet shown."""

    group = "live-feed"  # its worker's group: one feed per group at a time (a site's own: tui/sites.py)

    def __init__(
        self,
        model: ReadModel,
        settings: RefreshSettings,
        *,
        results_every: float = RESULTS_EVERY,
        fleet: Fleet | None = None,
    ) -> None:
        self.model = model
        self.fleet = fleet  # with it, background reads go straight to the live source
        self.results_every = results_every
        self.scheduler = RefreshScheduler(self._read, self._on_result, settings)
        self._reader: ReadModel | None = None
        self._target: MessagePump | None = None
        self._worker: Worker[None] | None = None
        self._results: list[tuple[str, ReadResult | LiveResult]] = []
        self._lock = threading.Lock()
        self._pending = False
        # RyzeAPI's instance listing, once a round, on this feed's loop (tui/connections.py)
        self.poller: ConnectionPoller | None = None
        # what the reads go through, when not the model's source as it is (tui/budget.py)
        self.reader_source: LiveSource | None = None

    # -- from the screen ---------------------------------------------------------

    def start(self, target: MessagePump) -> None:
        """Start reading in a thread worker of ``target``, which receives :class:`LiveResults`."""
        self._target = target
        self._worker = target.run_worker(
            self._run, name="live feed", group=self.group, thread=True, exclusive=True, exit_on_error=False
        )

    def stop(self) -> None:
        """Cancel the worker: the thread stops its reads, closes the live source and ends."""
        if self._worker is not None:
            self._worker.cancel()
        else:
            self.scheduler.stop()

    def take(self) -> list[tuple[str, ReadResult | LiveResult]]:
        """The results that arrived since the last call, oldest first."""
        with self._lock:
            batch, self._results = self._results, []
            self._pending = False
        return batch

    # scheduler inputs, passed through (each is safe to call from the screen's thread)

    def set_names(self, names: Sequence[str]) -> None:
        self.scheduler.set_names(names)

    def select(self, name: str | None) -> None:
        self.scheduler.select(name)

    def rows_changed(self, rows: Iterable[FleetRow]) -> None:
        """Rows changed in place: nothing to do, the reads look at the fleet's rows themselves."""

    def set_visible(self, names: Sequence[str]) -> None:
        self.scheduler.set_visible(names)

    def refresh_now(self) -> None:
        self.scheduler.refresh_now()
        if self.poller is not None:
            self.poller.poke()

    @property
    def paused(self) -> bool:
        return self.scheduler.paused

    def pause(self, paused: bool) -> None:
        self.scheduler.pause(paused)

    # -- on the feed's thread ------------------------------------------------------

    async def _run(self) -> None:
        worker = get_current_worker()
        loop = asyncio.get_running_loop()
        store = Store.open(self.model.store.path)
        self._reader = self.model.on_store(store)
        if self.reader_source is not None:  # e.g. RyzeAPI with each read's priority (tui/budget.py)
            self._reader.live = self.reader_source
        # The worker's cancellation is a threading.Event; one blocking wait for it, off
        # this loop, turns it into the scheduler's stop (no polling). The scheduler only
        # ends through that stop (a failing read is a result, not an exception).
        cancelled = loop.run_in_executor(None, worker.cancelled_event.wait)
        cancelled.add_done_callback(lambda _: self.scheduler.stop())
        listing = asyncio.create_task(self.poller.run()) if self.poller is not None else None
        try:
            if not worker.is_cancelled:
                await self.scheduler.run()
        except asyncio.CancelledError:
            pass
        finally:
            if listing is not None:
                listing.cancel()
                await asyncio.gather(listing, return_exceptions=True)
            await self._reader.aclose()
            store.close()

    async def _read(self, name: str) -> ReadResult | LiveResult:
        """One read: the selected row's whole document (the detail shows it), any other
        listed row straight from the live source with what the listing knows."""
        assert self._reader is not None
        if self.fleet is None:
            return await self._reader.status(name)
        return await background_read(self._reader, self.fleet, name, whole=name == self.scheduler.selected)

    def _on_result(self, name: str, result: ReadResult | LiveResult) -> None:
        """A live read finished: keep it; the first of a batch schedules the delivery."""
        with self._lock:
            self._results.append((name, result))
            first = not self._pending
            self._pending = True
        if first:
            asyncio.get_running_loop().call_later(self.results_every, self._deliver)

    def _deliver(self) -> None:
        if self._target is not None:
            self._target.post_message(LiveResults())  # thread-safe
