"""How the live reads' child batches its results (store/livechild.py): a trickle waits for
more, up to 1.5 s at default settings, and goes with the next result that arrives once it
is half a second old (the process is awake for it anyway); a live round's batches and the
first read of a row just selected go sooner. Driven by hand on a frozen loop clock: the
times asserted are the ones the child asks for, never measured."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from cwdash.store.config import Config
from cwdash.store.fleet import Fleet
from cwdash.store.livechild import TRICKLE, TRICKLE_AWAKE, TRICKLE_WAIT, ChildReads, Setup
from cwdash.store.readmodel import READ_FAILED
from cwdash.store.refresh import RefreshSettings

EVERY = 0.25
WAIT = TRICKLE_WAIT * EVERY  # the longest a trickle waits: 1.5 s
AWAKE = TRICKLE_AWAKE * EVERY  # from then on, the next result sends it: 0.5 s


class Scheduler:
    backing_off = False


class Clock:
    """The loop's time, set by the test; the child's timers are kept, not run."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.now = 0.0
        self.timers: list[asyncio.TimerHandle] = []
        self.fired = 0  # timers that ran: each one a wake of the child's process
        real_call_at = loop.call_at
        loop.time = lambda: self.now  # type: ignore[method-assign]

        def call_at(when: float, callback, *args):  # type: ignore[no-untyped-def]
            handle = real_call_at(when + 1e6, callback, *args)  # never runs by itself
            handle._when = when  # type: ignore[attr-defined]
            self.timers.append(handle)
            return handle

        loop.call_at = call_at  # type: ignore[method-assign]

    async def advance(self, to: float) -> None:
        """Run what is ready, the timers due by ``to`` in order, then set the clock to ``to``."""
        await asyncio.sleep(0)
        while True:
            due = [h for h in self.timers if not h.cancelled() and h.when() <= to]
            if not due:
                break
            handle = min(due, key=lambda h: h.when())
            self.timers.remove(handle)
            self.now = max(self.now, handle.when())
            self.fired += 1
            handle._run()  # type: ignore[attr-defined]
            handle.cancel()
            await asyncio.sleep(0)
        self.now = to


def reads() -> tuple[ChildReads, list[tuple[object, ...]], Clock]:
    """A ChildReads with only what batching uses; what it sends is kept."""
    sent: list[tuple[object, ...]] = []
    child = ChildReads.__new__(ChildReads)
    child.setup = Setup(Config(db_path=Path("unused.db")), RefreshSettings(), EVERY, logging.INFO)
    child.fleet = Fleet()
    child.scheduler = Scheduler()  # type: ignore[assignment]
    child.send = sent.append  # type: ignore[assignment]
    child._batch = []
    child._batch_started = 0.0
    child._send_at = None
    child._urgent = None
    child._frozen = True  # no gc.freeze() in the test process
    return child, sent, Clock(asyncio.get_running_loop())


def names(sent: list[tuple[object, ...]]) -> list[list[str]]:
    return [[name for name, _ in message[1]] for message in sent]  # type: ignore[attr-defined]


def test_a_trickle_waits_for_more_then_goes_in_one_batch() -> None:
    async def run() -> None:
        child, sent, clock = reads()
        for name in ("a", "b", "c"):
            child._on_result(name, READ_FAILED)
        await clock.advance(WAIT - 0.01)
        assert sent == []  # young: it waits
        await clock.advance(WAIT)
        assert names(sent) == [["a", "b", "c"]]

    asyncio.run(run())


def test_a_result_arriving_once_the_trickle_is_half_a_second_old_sends_it() -> None:
    async def run() -> None:
        child, sent, clock = reads()
        child._on_result("a", READ_FAILED)
        await clock.advance(AWAKE - 0.01)
        child._on_result("b", READ_FAILED)  # too young yet
        await clock.advance(AWAKE)
        child._on_result("c", READ_FAILED)  # awake for this one: the batch goes with it
        await clock.advance(AWAKE)
        assert names(sent) == [["a", "b", "c"]]
        assert clock.fired == 0

    asyncio.run(run())


def test_a_live_rounds_batch_goes_after_results_every() -> None:
    async def run() -> None:
        child, sent, clock = reads()
        for n in range(TRICKLE):
            child._on_result(f"i{n}", READ_FAILED)
        await clock.advance(EVERY - 0.01)
        assert sent == []
        await clock.advance(EVERY)
        assert len(sent) == 1 and len(sent[0][1]) == TRICKLE  # type: ignore[arg-type]

    asyncio.run(run())


def test_the_first_read_of_a_row_just_selected_goes_at_once() -> None:
    async def run() -> None:
        child, sent, clock = reads()
        child._on_result("other", READ_FAILED)
        child._urgent = "picked"  # as the ("select", "picked") message sets it
        child._on_result("picked", READ_FAILED)
        await clock.advance(0.0)  # the loop's next turn
        assert child._urgent is None
        assert names(sent) == [["other", "picked"]]

    asyncio.run(run())


def test_a_background_round_sends_a_batch_a_second_without_timers_of_its_own() -> None:
    """A minute of a background round at default settings: a step of 9 results each
    second. Each batch goes with the next step's results: about one batch a second,
    and no timer of the child's wakes it (the last batch's backstop aside)."""

    async def run() -> None:
        child, sent, clock = reads()
        for second in range(60):
            for n in range(9):
                await clock.advance(second + 0.02 + n * 0.002)
                child._on_result(f"i{second}-{n}", READ_FAILED)
        await clock.advance(60.0)
        assert clock.fired == 0
        await clock.advance(70.0)
        assert clock.fired == 1  # the last batch's backstop
        assert len(sent) == 60
        assert sum(len(m[1]) for m in sent) == 60 * 9  # type: ignore[arg-type]

    asyncio.run(run())
