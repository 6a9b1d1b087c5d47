"""The live feed with its reads in a child process (:mod:`cwdash.store.livechild`): the screen's side.

The same interface as :class:`~cwdash.tui.feed.LiveFeed` (the screen cannot tell them
apart): ``start``/``stop``, ``take``, and the scheduler's inputs, which become messages
to the child. Two threads of this process, both blocked on the socket or a queue when
nothing happens: one sends the inputs (and works out each row's read target, off the
screen's loop), one receives batches of results, decodes them (:func:`decode`: the one
decoder) and posts :class:`~cwdash.tui.feed.LiveResults` to the screen.

A child that dies is restarted once, after a second (the log says so); if it keeps
dying, the header says "live reads stopped" and a notification says where to look. A
child that cannot start at all (no child ever answered) leaves the reads to a
:class:`LiveFeed` thread, with a log line.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message_pump import MessagePump

from cwdash.store.config import Config
from cwdash.store.fleet import Fleet, FleetRow
from cwdash.store.readmodel import LiveResult, ReadModel, ReadResult
from cwdash.store.refresh import RefreshSettings
from cwdash.tui.feed import LiveFeed, LiveResults
from cwdash.tui.results import APPLY_AT_ONCE

if TYPE_CHECKING:  # the child's module is loaded by the threads, after the first paint
    from cwdash.store.livechild import LiveChild, Setup

log = logging.getLogger("cwdash.live")
RESTART_AFTER = 1.0  # seconds before the one restart of a child that died
HEALTHY_FOR = 60.0  # a child that ran this long has earned another restart
STOPPED = "live reads stopped"


BATCH = 16_384  # read targets a message: pickling one holds the GIL (250k at once: ~150 ms of the screen's)


def _batches(targets: Sequence[object]) -> list[tuple[object, ...]]:
    """``("rows", ...)`` messages of at most :data:`BATCH` targets each (one, even empty)."""
    return [("rows", targets[i : i + BATCH]) for i in range(0, max(len(targets), 1), BATCH)]


class RemoteScheduler:
    """What the screen reads of the scheduler, as last heard from the child."""

    def __init__(self, settings: RefreshSettings) -> None:
        self.settings = settings
        self.paused = False
        self.selected: str | None = None
        self.visible: tuple[str, ...] = ()
        self.backing_off = False
        self.stopped = False


class ProcessFeed:
    """Owns the child process, the two threads that talk to it, and the results not yet shown."""

    def __init__(
        self,
        model: ReadModel,
        settings: RefreshSettings,
        config: Config,
        *,
        results_every: float,
        fleet: Fleet,
    ) -> None:
        self.model = model
        self.fleet = fleet
        self.settings = settings
        self.config = config
        self.results_every = results_every
        self.scheduler = RemoteScheduler(settings)
        self.poller = None  # RyzeAPI's listing: never with a child (tui/screen.py: bridge only)
        self.reader_source = None
        self.restarts = 0
        self.fallback: LiveFeed | None = None
        self._target: MessagePump | None = None
        self._out: queue.SimpleQueue[tuple[object, ...] | None] = queue.SimpleQueue()
        self._results: list[tuple[str, ReadResult | LiveResult]] = []
        self._posted = False  # a LiveResults is on its way to the screen (until take)
        # the screen ticks (a ScreenClock takes the results on each tick): a trickle is not
        # posted, only what the screen applies at once (tui/results.py); set by start()
        self._quiet = False
        self._selected_posted: str | None = None  # the selected row whose result was last posted
        self._lock = threading.Lock()  # the results
        self._send_lock = threading.Lock()  # the child in use and sending to it
        self._child: LiveChild | None = None
        self._names: list[str] = []
        self._stopping = threading.Event()

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs (for tests and diagnostics)."""
        child = self._child
        return child.proc.pid if child is not None else None

    # -- from the screen ---------------------------------------------------------

    def start(self, target: MessagePump) -> None:
        self._target = target
        self._quiet = getattr(target, "clock", None) is not None
        threading.Thread(target=self._supervise, name="live process", daemon=True).start()
        threading.Thread(target=self._send_inputs, name="live process inputs", daemon=True).start()

    def stop(self) -> None:
        """End the child (it sees its socket close) and both threads."""
        self._stopping.set()
        self._out.put(None)
        if self.fallback is not None:
            self.fallback.stop()
        with self._send_lock:
            child = self._child
        if child is not None:
            _shut(child)

    def take(self) -> list[tuple[str, ReadResult | LiveResult]]:
        if self.fallback is not None:
            return self.fallback.take()
        with self._lock:
            batch, self._results = self._results, []
            self._posted = False
        return batch

    def set_names(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._input("names", self._names)

    def rows_changed(self, rows: Iterable[FleetRow]) -> None:
        """Rows of the listing changed in place (another process wrote them)."""
        self._input("rows", list(rows))

    def select(self, name: str | None) -> None:
        if name != self.scheduler.selected:
            self.scheduler.selected = name
            self._input("select", name)

    def set_visible(self, names: Sequence[str]) -> None:
        visible = tuple(names)
        if visible != self.scheduler.visible:  # asked every tick: sent only when it changed
            self.scheduler.visible = visible
            self._input("visible", visible)

    def refresh_now(self) -> None:
        self._input("refresh")

    @property
    def paused(self) -> bool:
        return self.scheduler.paused

    def pause(self, paused: bool) -> None:
        self.scheduler.paused = paused
        self._input("pause", paused)

    def _input(self, *message: object) -> None:
        fallback = self.fallback
        if fallback is None:
            self._out.put(message)
        else:
            _apply_to(fallback, message)

    # -- the threads ----------------------------------------------------------------

    def _send_inputs(self) -> None:
        while (message := self._out.get()) is not None:
            with self._send_lock:
                child = self._child
                if child is None:
                    continue  # a (re)started child gets the whole state (_snapshot)
                try:
                    for wire in self._wire(message):
                        child.send(wire)
                except OSError:
                    pass  # the child is gone: the other thread restarts it with the whole state

    def _wire(self, message: tuple[object, ...]) -> list[tuple[object, ...]]:
        """The messages to the child for one input: rows travel as read targets."""
        from cwdash.store.livechild import target_of

        kind = message[0]
        if kind == "names":
            rows = self.fleet.rows
            names: list[str] = message[1]  # type: ignore[assignment]
            targets = [target_of(row) for name in names if (row := rows.get(name)) is not None]
            return [*_batches(targets), message]
        if kind == "rows":
            return _batches([target_of(row) for row in message[1]])  # type: ignore[attr-defined]
        return [message]

    def _snapshot(self) -> list[tuple[object, ...]]:
        s = self.scheduler
        return [
            *self._wire(("names", list(self._names))),
            ("select", s.selected),
            ("visible", s.visible),
            ("pause", s.paused),
        ]

    def _supervise(self) -> None:
        from cwdash.store.livechild import LiveChild

        failures = 0
        while not self._stopping.is_set():
            try:
                child = LiveChild(self._setup())
            except OSError as exc:
                log.error("the live reads' process could not start (%s): reading on a thread instead", exc)
                self._fall_back()
                return
            with self._send_lock:
                try:
                    for message in self._snapshot():
                        child.send(message)
                except OSError:
                    pass
                self._child = child
            ready = self._receive(child)
            with self._send_lock:
                self._child = None
            child.close()
            if self._stopping.is_set():
                return
            if not ready and failures >= 1:
                log.error("the live reads' process ended at start twice: reading on a thread instead")
                self._fall_back()
                return
            if failures >= 1 and time.monotonic() - child.started < HEALTHY_FOR:
                log.error(
                    "the live reads' process ended again (exit %s): live reads stopped", child.proc.returncode
                )
                self._report_stopped()
                return
            failures = 1
            log.warning(
                "the live reads' process ended (exit %s): restarting it in %g s",
                child.proc.returncode,
                RESTART_AFTER,
            )
            self.restarts += 1
            if self._stopping.wait(RESTART_AFTER):
                return

    def _receive(self, child: LiveChild) -> bool:
        """Take the child's messages until it is gone; whether it was ever ready (a child
        that cannot even start is not restarted forever)."""
        from cwdash.store.livechild import decode

        model = self.model
        heard = False
        while True:
            try:
                message = child.recv()
            except (EOFError, OSError):
                return heard
            if message[0] == "ready":
                heard = True
            elif message[0] == "results":
                _, batch, backing_off = message
                self.scheduler.backing_off = bool(backing_off)
                decoded = [(name, decode(result, model.sealer, model.key_problem)) for name, result in batch]  # type: ignore[attr-defined]
                with self._lock:
                    self._results.extend(decoded)
                    post = not self._posted and self._wanted_now(decoded)
                    self._posted = self._posted or post
                if post and self._target is not None:
                    self._target.post_message(LiveResults())  # thread-safe
            elif message[0] == "log":
                _, level, name, text = message
                logging.getLogger(str(name)).log(int(level), "%s", text)  # type: ignore[call-overload]

    def _wanted_now(self, batch: list[tuple[str, ReadResult | LiveResult]]) -> bool:
        """Whether the screen applies these results at once (tui/results.py's rule, as far
        as this thread knows it); a trickle is left for the screen's next tick, which
        comes within a second while reads run: posting it would wake the screen for
        nothing. Called with the lock held."""
        if not self._quiet or self.scheduler.paused or len(self._results) >= APPLY_AT_ONCE:
            return True
        selected = self.scheduler.selected
        if selected is None or selected == self._selected_posted:
            return False
        if any(name == selected for name, _ in batch):
            self._selected_posted = selected  # its first result since it was selected
            return True
        return False

    def _setup(self) -> Setup:
        from cwdash.store.livechild import Setup, child_config

        level = logging.getLogger("cwdash").getEffectiveLevel()
        return Setup(child_config(self.config), self.settings, self.results_every, level)

    # -- when the child cannot run ---------------------------------------------------

    def _fall_back(self) -> None:
        target = self._target
        if target is None:
            return

        def start() -> None:
            feed = LiveFeed(self.model, self.settings, results_every=self.results_every, fleet=self.fleet)
            s = self.scheduler
            feed.set_names(self._names)
            feed.select(s.selected)
            feed.set_visible(s.visible)
            feed.pause(s.paused)
            self.fallback = feed
            feed.start(target)

        _on_screen(target, start)

    def _report_stopped(self) -> None:
        self.scheduler.stopped = True
        target = self._target
        if target is None:
            return

        def show() -> None:
            summary = getattr(target, "summary", None)
            live = getattr(summary, "live", None)
            if live is not None and summary is not None:
                live.extra = lambda narrow: Text(f" {STOPPED}", style="bold red")
                summary.mark_changed()
                summary.update_summary()
            target.notify(  # type: ignore[attr-defined]
                f"{STOPPED}: the reading process keeps failing; the log says why. Restart cwdash to try again.",
                title="live reads",
                severity="error",
                timeout=60,
            )

        _on_screen(target, show)


def _apply_to(feed: LiveFeed, message: tuple[object, ...]) -> None:
    kind, *args = message
    if kind == "names":
        feed.set_names(args[0])  # type: ignore[arg-type]
    elif kind == "select":
        feed.select(args[0])  # type: ignore[arg-type]
    elif kind == "visible":
        feed.set_visible(args[0])  # type: ignore[arg-type]
    elif kind == "refresh":
        feed.refresh_now()
    elif kind == "pause":
        feed.pause(bool(args[0]))


def _on_screen(target: MessagePump, fn: object) -> None:
    """Run ``fn`` on the screen's loop, from one of the feed's threads (nothing once the app has gone)."""
    try:
        target.app.call_from_thread(fn)  # type: ignore[attr-defined]
    except Exception:  # the app is closing
        log.debug("the screen was gone before the live feed could update it")


def _shut(child: LiveChild) -> None:
    """Wake both ends at once: the child sees its socket end, our reading thread EOF."""
    try:
        sock = socket.socket(fileno=child.conn.fileno())
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.detach()
