"""How the live reads' child batches its results (store/livechild.py): a trickle waits for
more, up to a second at default settings; a live round's batches and the first read of a
row just selected go at once. Driven by hand: no timing is asserted."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from cwdash.store.config import Config
from cwdash.store.fleet import Fleet
from cwdash.store.livechild import TRICKLE, TRICKLE_WAIT, ChildReads, Setup
from cwdash.store.readmodel import READ_FAILED
from cwdash.store.refresh import RefreshSettings

EVERY = 0.25


class Scheduler:
    backing_off = False


def reads() -> tuple[ChildReads, list[tuple[object, ...]]]:
    """A ChildReads with only what batching uses; what it sends is kept."""
    sent: list[tuple[object, ...]] = []
    child = ChildReads.__new__(ChildReads)
    child.setup = Setup(Config(db_path=Path("unused.db")), RefreshSettings(), EVERY, logging.INFO)
    child.fleet = Fleet()
    child.scheduler = Scheduler()  # type: ignore[assignment]
    child.send = sent.append  # type: ignore[assignment]
    child._batch = []
    child._batch_started = 0.0
    child._urgent = None
    child._frozen = True  # no gc.freeze() in the test process
    return child, sent


def test_a_trickle_waits_for_more_then_goes_in_one_batch() -> None:
    async def run() -> list[tuple[object, ...]]:
        child, sent = reads()
        for name in ("a", "b", "c"):
            child._on_result(name, READ_FAILED)
        child._deliver()  # the first batch timer: a trickle, young: it waits
        assert sent == []
        child._batch_started -= TRICKLE_WAIT * EVERY  # as old as a trickle may get
        child._deliver()
        return sent

    sent = asyncio.run(run())
    assert [[name for name, _ in message[1]] for message in sent] == [["a", "b", "c"]]  # type: ignore[attr-defined]


def test_a_live_rounds_batch_goes_at_once() -> None:
    async def run() -> list[tuple[object, ...]]:
        child, sent = reads()
        for n in range(TRICKLE):
            child._on_result(f"i{n}", READ_FAILED)
        child._deliver()
        return sent

    sent = asyncio.run(run())
    assert len(sent) == 1 and len(sent[0][1]) == TRICKLE  # type: ignore[arg-type]


def test_the_first_read_of_a_row_just_selected_goes_at_once() -> None:
    async def run() -> list[tuple[object, ...]]:
        child, sent = reads()
        child._on_result("other", READ_FAILED)
        child._urgent = "picked"  # as the ("select", "picked") message sets it
        child._on_result("picked", READ_FAILED)
        await asyncio.sleep(0)  # the delivery was called soon, not later
        assert child._urgent is None
        return sent

    sent = asyncio.run(run())
    assert [[name for name, _ in message[1]] for message in sent] == [["other", "picked"]]  # type: ignore[attr-defined]
