"""Background refresh of live state: who is read next, how many at once, how fast.

The selected instance is read first and most often, rows on screen next, the rest
round-robin. An instance is never read again while its previous read is running, so
reads cannot pile up behind a slow gateway. Concurrency and the request rate against
the gateway are both bounded.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
import asyncio
import contextlib
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple

from cwdash.store.config import DEFAULT_CONCURRENCY, DEFAULT_RATE, DEFAULT_ROUND_EVERY
from cwdash.store.readmodel import READ_FAILED, ReadResult
from cwdash.store.sources.outcome import Reason

log = logging.getLogger("cwdash.live")

DEFAULT_SELECTED_EVERY = 3.0
DEFAULT_VISIBLE_EVERY = 15.0
# The round's reads are spread evenly over round_every, in steps of at most this long. When
# a read is due, every read due within the next step starts with it: the round's, the rows
# on screen (each due every 15 s on a clock of its own) and the selected row's, so a
# background round of ~8 reads a second plus the screen's rows wakes the reading process
# about once a second, not twenty-five times (each wake of an idle process costs more CPU
# than the read itself). A read pulled in is at most a step early, never late.
ROUND_STEP = 1.0
WINDOW = 1.01  # seconds: the rate window, with a margin for arrival jitter at the gateway
# Failures that say the gateway itself turns every read away, whichever the integration:
# after REFUSALS_TO_BACK_OFF of them in a row, reads back off (see RefreshScheduler.note).
REFUSING = frozenset(
    {Reason.UNAUTHORIZED, Reason.UNREACHABLE, Reason.TIMEOUT, Reason.TLS, Reason.PROXY, Reason.PROXY_AUTH}
)
REFUSALS_TO_BACK_OFF = 8
BACKOFF_FIRST = 2.0  # seconds before the first probe; doubled after each refused probe
BACKOFF_MAX = 60.0


class RefreshSettings(NamedTuple):
    """How much and how often the live side is read (a changed copy: ``_replace``)."""

    concurrency: int = DEFAULT_CONCURRENCY
    rate: float = DEFAULT_RATE
    selected_every: float = DEFAULT_SELECTED_EVERY
    visible_every: float = DEFAULT_VISIBLE_EVERY
    round_every: float = DEFAULT_ROUND_EVERY


Reader = Callable[[str], Awaitable[ReadResult]]
OnResult = Callable[[str, ReadResult], None]


class RefreshScheduler:
    """Picks the next instance to read and runs reads within the limits."""

    def __init__(
        self,
        reader: Reader,
        on_result: OnResult,
        settings: RefreshSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.on_result = on_result
        self.settings = settings or RefreshSettings()
        self.clock = clock
        self.names: list[str] = []
        self.selected: str | None = None
        self.visible: Sequence[str] = ()
        self.in_flight: set[str] = set()
        self.last_start: dict[str, float] = {}
        self.paused = False
        self.rounds_done = 0
        self._cursor = 0
        self._round_started: float | None = None
        self._wake = asyncio.Event()
        self._next_slot = 0.0
        self._burst = False  # this round at the full rate (asked for with refresh_now)
        self._step_until = float("-inf")  # reads due by then start with this step's first (ROUND_STEP)
        self._step_began = float("-inf")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._starts: deque[float] = deque(maxlen=max(1, int(self.settings.rate)))
        self._tasks: set[asyncio.Task[None]] = set()
        # Seconds the rows on screen and the round must wait, or 0 (a live source with a rate
        # budget says when it is spent: the dashboard on RyzeAPI); the selected row is never held.
        self.hold: Callable[[], float] | None = None
        self._held = 0.0  # the live source's hold, as last asked (see next_name)
        # backing off from a gateway that refuses everything: one probe read at a time,
        # ever further apart (with jitter), until a read gets through
        self._refusals = 0  # refused reads in a row
        self.backoff_level = 0  # 0: not backing off
        self.hold_until = 0.0  # no read starts before this (clock time)
        self._probe: str | None = None  # the one read in flight while backing off
        self.jitter: Callable[[], float] = random.random

    # -- inputs from the screen ------------------------------------------------
    #
    # The scheduler may run on an event loop in a thread of its own (the dashboard
    # keeps live reads off its screen's loop). These calls come from the screen's
    # thread: plain attribute assignments are made at once, and anything that
    # mutates the scheduler's collections is handed to its loop.

    def _in_loop(self, fn: Callable[..., None], *args: object) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            fn(*args)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def set_names(self, names: Sequence[str]) -> None:
        self._in_loop(self._set_names, list(names))

    def _set_names(self, names: list[str]) -> None:
        self.names = names
        if self._cursor > len(self.names):
            self._cursor = 0
        known = set(self.names)
        for name in [n for n in self.last_start if n not in known]:
            del self.last_start[name]
        self._wake.set()

    def select(self, name: str | None) -> None:
        if name != self.selected:
            self.selected = name
            self.poke()

    def set_visible(self, names: Sequence[str]) -> None:
        self.visible = tuple(names)

    def refresh_now(self) -> None:
        """Everything becomes due: a new round starts at once, at the full rate."""
        self._in_loop(self._refresh_now)

    def _refresh_now(self) -> None:
        self._refusals = self.backoff_level = 0  # asked for: try again at once
        self.hold_until = 0.0
        self.last_start.clear()
        self._cursor = 0
        self._round_started = None
        self._burst = True
        self._wake.set()

    def pause(self, paused: bool) -> None:
        self.paused = paused
        self.poke()

    def poke(self) -> None:
        self._in_loop(self._wake.set)

    def stop(self) -> None:
        """End :meth:`run` (from any thread); reads in flight are cancelled."""
        self._stopping = True
        self._in_loop(self._cancel_run)

    def _cancel_run(self) -> None:
        if self._run_task is not None:
            self._run_task.cancel()

    # -- choosing --------------------------------------------------------------

    def _due(self, name: str, every: float, now: float) -> bool:
        """Whether ``name`` is due at ``now``, or by the end of the step that runs if it was
        last read before that step began (pulled in once a step, however short ``every``)."""
        if name in self.in_flight:
            return False
        started = self.last_start.get(name)
        if started is None or now - started >= every:
            return True
        return started < self._step_began and self._step_until - started >= every

    def _step_starts(self, now: float) -> None:
        """A read due at ``now`` starts: the reads due within the next step start with it."""
        if now > self._step_until:
            self._step_began = now
            self._step_until = now + self._step()

    def next_name(self, now: float) -> str | None:
        """The next instance to read, or None when nothing is due."""
        s = self.settings
        if self.selected is not None and self._due(self.selected, s.selected_every, now):
            self._step_starts(now)
            return self.selected
        self._held = self.hold() if self.hold is not None else 0.0
        if self._held > 0:
            return None
        for name in self.visible:
            if self._due(name, s.visible_every, now):
                self._step_starts(now)
                return name
        if not self.names:
            return None
        if self._round_started is None:
            self._round_started = now
        elif self._cursor >= len(self.names):
            if now - self._round_started < s.round_every:
                return None
            self._round_started = now
            self._cursor = 0
            self._burst = False
        # The round is spread evenly over ``round_every``, in steps of ROUND_STEP: the gateway
        # sees a steady trickle, not a burst every period (the selected and visible rows
        # above are never held back by this).
        if not self._burst and self._cursor < len(self.names):
            due = self._round_due(self._cursor)
            if due > self._step_until:  # the first read of the next step
                if now < due:
                    return None
                self._step_starts(now)  # the reads due by then start now too
        while self._cursor < len(self.names):
            name = self.names[self._cursor]
            self._cursor += 1
            if name in self.in_flight:
                continue
            started = self.last_start.get(name)
            if started is not None and started >= self._round_started:
                continue  # already read this round as selected or visible
            if self._cursor >= len(self.names):
                self.rounds_done += 1
            return name
        self.rounds_done += 1
        return None

    @property
    def round_left(self) -> int:
        """Instances of the current round not started yet (for an ETA; safe from any thread)."""
        return max(0, len(self.names) - self._cursor)

    def _round_due(self, index: int) -> float:
        """When the round's ``index``-th read is due."""
        assert self._round_started is not None
        return self._round_started + index * self.settings.round_every / max(1, len(self.names))

    def _step(self) -> float:
        """How long a step of the round lasts (:data:`ROUND_STEP`, less in a short round)."""
        return min(ROUND_STEP, self.settings.round_every / 20)

    def _sleep_for(self, now: float) -> float:
        """How long nothing can become due (capped, so new inputs are noticed)."""
        waits = [1.0]
        s = self.settings
        if self._held > 0:
            waits.append(self._held)
        if self._round_started is not None and self._cursor < len(self.names):
            waits.append(self._round_due(self._cursor) - now)
        if self.selected is not None and self.selected not in self.in_flight:
            started = self.last_start.get(self.selected)
            if started is not None:
                waits.append(started + s.selected_every - now)
        if self._round_started is not None and self._cursor >= len(self.names):
            waits.append(self._round_started + s.round_every - now)
        return max(0.01, min(waits))

    def _step_credit(self) -> int:
        """Unused slots of the rate's grid that may start at once: what a step of the round
        holds, at most the concurrency (1 when rounds are not spread: no step)."""
        s = self.settings
        step = self._step()
        if step <= 0 or self._burst:
            return 1
        per_step = math.ceil(len(self.names) * step / s.round_every) if s.round_every > 0 else 1
        return max(1, min(s.concurrency, int(s.rate * step), per_step))

    # -- backing off -----------------------------------------------------------

    def _give_back(self, name: str) -> None:
        """Undo :meth:`next_name` for a read that did not start: the round's next name is
        ``name`` again (the selected and visible rows are still due by their own clocks)."""
        if self._cursor > 0 and self.names[self._cursor - 1] == name:
            if self._cursor >= len(self.names):
                self.rounds_done -= 1
            self._cursor -= 1

    @property
    def backing_off(self) -> bool:
        return self.backoff_level > 0

    def _backing_off(self, now: float) -> float:
        """How long no read may start because the gateway refuses everything (0: go)."""
        if not self.backoff_level:
            return 0.0
        if self._probe is not None:
            return 1.0  # until the probe's result wakes the loop
        return max(0.0, self.hold_until - now)

    def note(self, name: str, result: ReadResult) -> None:
        """Count refused reads: after REFUSALS_TO_BACK_OFF in a row, or a refused probe,
        hold every read for a doubling delay with jitter; any read that gets through ends it."""
        failure = getattr(result, "failure", None)
        refused = failure is not None and failure.reason in REFUSING
        probe = name == self._probe
        if probe:
            self._probe = None
        if not refused:
            self._refusals = self.backoff_level = 0
            self.hold_until = 0.0
            self._wake.set()
            return
        self._refusals += 1
        if (self.backoff_level and probe) or (
            not self.backoff_level and self._refusals >= REFUSALS_TO_BACK_OFF
        ):
            self.backoff_level += 1
            delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self.backoff_level - 1))
            self.hold_until = self.clock() + delay * (0.5 + self.jitter() / 2)  # "equal jitter"
            if self.backoff_level == 1:
                log.warning("the gateway refuses every read (%s): backing off", failure.title)
        self._wake.set()

    # -- running ---------------------------------------------------------------

    async def _pace(self) -> None:
        """Wait for the next start the rate allows.

        Starts follow a fixed grid of ``1/rate`` seconds; a sleep that overshoots is
        made up on the next start (the grid does not slip), so the round keeps the
        configured rate. After a pause in the starts, the grid's unused slots up to
        :meth:`_step_credit` may be used at once: a step's few reads start together
        instead of one wake of the process each. On top of it a sliding one-second
        window (with a small margin for network jitter) guarantees the gateway never
        sees more than ``rate`` requests in any second.
        """
        interval = 1.0 / self.settings.rate
        now = self.clock()
        # Idle a while: the credit of at most one step's reads (a step's reads start
        # together, one wake of the process; the window below still bounds any second).
        credit = (self._step_credit() - 1) * interval
        if self._next_slot < now - credit:
            self._next_slot = now - credit
        wait = self._next_slot - now
        self._next_slot += interval
        cap = int(self.settings.rate)
        if cap >= 1 and len(self._starts) >= cap:
            # no more than ``cap`` starts in any ``cap / rate`` seconds (one second at a whole rate)
            window_wait = self._starts[-cap] + WINDOW * cap / self.settings.rate - now
            wait = max(wait, window_wait)
        if wait > 0:
            await asyncio.sleep(wait)

    async def run(self) -> None:
        """Run until cancelled."""
        slots = asyncio.Semaphore(self.settings.concurrency)
        self._loop = asyncio.get_running_loop()
        self._run_task = asyncio.current_task()
        self._wake = asyncio.Event()  # bound to this loop
        try:
            while not self._stopping:
                if self.paused:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                held = self._backing_off(self.clock())
                if held > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), min(held, 1.0))
                    continue
                await slots.acquire()
                now = self.clock()
                if self._backing_off(now) > 0:
                    slots.release()
                    continue
                name = self.next_name(now)
                if name is None:
                    slots.release()
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._sleep_for(now))
                    continue
                await self._pace()
                start = self.clock()
                if self._backing_off(start) > 0:
                    # the refusal that began the back-off came while this start waited for
                    # its slot: the read would be one more request to a gateway refusing all
                    self._give_back(name)
                    slots.release()
                    continue
                self._starts.append(start)
                self.in_flight.add(name)
                self.last_start[name] = start
                if self.backoff_level:
                    self._probe = name
                task = asyncio.create_task(self._read(name, slots))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self, name: str, slots: asyncio.Semaphore) -> None:
        try:
            result = await self.reader(name)
        except Exception:  # a bug or a broken store must not stop the loop
            # the exception's text stays in the log: it may quote a header, hence a token
            log.exception("unexpected error in the read of instance %r", name)
            result = READ_FAILED
        finally:
            self.in_flight.discard(name)
            slots.release()
        self.note(name, result)
        self.on_result(name, result)
