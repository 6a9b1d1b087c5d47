"""Background refresh: priorities, no pile-up behind a slow gateway, bounded concurrency and rate."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable

import pytest

from cwdash.store.db import Store
from cwdash.store.readmodel import READ_FAILED, ReadModel, ReadResult
from cwdash.store.refresh import ROUND_STEP, RefreshScheduler, RefreshSettings
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import Reply, SimBridge, live
from cwdash.store.sources.bridge import BridgeSource


async def _noop(name: str) -> ReadResult:
    raise AssertionError("not called")


def scheduler(names: list[str], **settings: float) -> RefreshScheduler:
    s = RefreshScheduler(_noop, lambda n, r: None, RefreshSettings(**settings))  # type: ignore[arg-type]
    s.set_names(names)
    return s


def start(s: RefreshScheduler, name: str, now: float) -> None:
    s.in_flight.add(name)
    s.last_start[name] = now


def test_selected_first_then_visible_then_round_robin() -> None:
    s = scheduler(["a", "b", "c", "d", "e"], selected_every=3, visible_every=15, round_every=0)
    s.select("d")
    s.set_visible(["c", "e"])
    order = []
    for _ in range(5):
        name = s.next_name(0.0)
        assert name is not None
        start(s, name, 0.0)
        order.append(name)
    assert order == ["d", "c", "e", "a", "b"]
    assert s.next_name(0.0) is None  # everything read or in flight this round


def test_an_instance_is_never_read_twice_at_once() -> None:
    s = scheduler(["a"], selected_every=0.1, visible_every=0.1, round_every=0.1)
    s.select("a")
    start(s, "a", 0.0)
    assert s.next_name(100.0) is None  # the previous read has not ended, however late it is
    s.in_flight.discard("a")
    assert s.next_name(100.0) == "a"


def test_selected_is_reread_most_often() -> None:
    s = scheduler(["a", "b"], selected_every=3, visible_every=15, round_every=60)
    s.select("b")
    for name in ("b", "a"):
        assert s.next_name(0.0) == name
        start(s, name, 0.0)
        s.in_flight.discard(name)
    assert s.next_name(2.0) is None
    assert s.next_name(3.0) == "b"


def test_refresh_now_makes_everything_due() -> None:
    s = scheduler(["a", "b"], round_every=60)
    assert s.next_name(0.0) == "a"
    start(s, "a", 0.0)
    s.in_flight.discard("a")
    assert s.next_name(1.0) is None  # "b" is due half a period later
    s.refresh_now()
    for name in ("a", "b"):
        assert s.next_name(1.0) == name
        start(s, name, 1.0)
        s.in_flight.discard(name)


def test_vanished_names_are_forgotten() -> None:
    s = scheduler(["a", "b"])
    start(s, "a", 0.0)
    s.set_names(["b"])
    assert "a" not in s.last_start


def fleet_store(store: Store, sealer: Sealer, count: int) -> list[str]:
    from cwdash.store.db import now_rfc3339

    names = [f"inst-{i:03d}" for i in range(count)]
    rows = []
    for name in names:
        values = {
            "instance_name": name,
            "status": "active",
            "bridge_integration_id": f"int-{name}",
            "chatwoot_base_url": "https://chat.example.com",
            "chatwoot_account_id": 1,
            "chatwoot_api_token": sealer.seal(name, "t"),
            "chatwoot_inbox_id": 1,
            "chatwoot_inbox_name": "x",
            "last_error": "",
            "created_at": now_rfc3339(),
            "sign_messages": False,
            "ignore_groups": False,
            "start_as_pending": False,
            "reopen_resolved": False,
        }
        rows.append((name, values))
    store.import_records(rows)
    return names


def run_rounds(
    store: Store, sealer: Sealer, sim: SimBridge, names: list[str], settings: RefreshSettings, want: int
) -> Counter[str]:
    """Run the scheduler against the stand-in until ``want`` results came back."""
    results: Counter[str] = Counter()

    async def go() -> None:
        model = ReadModel(store, sealer, BridgeSource(sim.url, "bridge-secret", timeout=2.0))
        done = asyncio.Event()

        def on_result(name: str, result: ReadResult) -> None:
            results[name] += 1
            if sum(results.values()) >= want:
                done.set()

        sched = RefreshScheduler(model.status, on_result, settings)
        sched.set_names(names)
        task = asyncio.create_task(sched.run())
        await asyncio.wait_for(done.wait(), 60)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await model.aclose()

    asyncio.run(go())
    return results


def test_concurrency_and_rate_are_bounded_against_a_real_bridge(
    store: Store, sealer: Sealer, bridge: Callable[..., SimBridge]
) -> None:
    names = fleet_store(store, sealer, 60)
    sim = bridge(lambda ident: Reply(body={"status": "active", "last_error": ""}, delay=0.05))
    settings = RefreshSettings(concurrency=4, rate=200, selected_every=60, visible_every=60, round_every=0)
    results = run_rounds(store, sealer, sim, names, settings, want=60)
    assert sim.stats.max_in_flight <= 4
    assert sum(results.values()) >= 60
    assert set(results) == set(names)  # one round reaches every instance

    sim2 = bridge(lambda ident: live())
    settings = RefreshSettings(concurrency=8, rate=10, selected_every=60, visible_every=60, round_every=0)
    run_rounds(store, sealer, sim2, names, settings, want=25)
    assert sim2.stats.max_per_second <= 11  # 10 per second, one of slack for the window edge


def test_reads_do_not_pile_up_behind_a_hung_bridge(
    store: Store, sealer: Sealer, bridge: Callable[..., SimBridge]
) -> None:
    names = fleet_store(store, sealer, 3)
    per_id: Counter[str] = Counter()
    lock = threading.Lock()

    def router(ident: str) -> Reply:
        with lock:
            per_id[ident] += 1
        return Reply(hang=True)

    sim = bridge(router)
    running: Counter[str] = Counter()
    most: Counter[str] = Counter()

    async def go() -> None:
        model = ReadModel(store, sealer, BridgeSource(sim.url, "bridge-secret", timeout=0.5))

        async def counting(name: str) -> ReadResult:
            running[name] += 1
            most[name] = max(most[name], running[name])
            try:
                return await model.status(name)
            finally:
                running[name] -= 1

        seen: Counter[str] = Counter()
        done = asyncio.Event()

        def on_result(name: str, result: ReadResult) -> None:
            seen[name] += 1
            if seen[names[0]] >= 3:
                done.set()

        sched = RefreshScheduler(
            counting, on_result, RefreshSettings(concurrency=8, rate=100, selected_every=0.01)
        )
        sched.set_names(names)
        sched.select(names[0])
        task = asyncio.create_task(sched.run())
        await asyncio.wait_for(done.wait(), 30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await model.aclose()

    asyncio.run(go())
    # the selected instance is due every 10 ms, but each read waits for the previous to end
    assert max(most.values()) == 1
    assert per_id[f"int-{names[0]}"] >= 3


def test_a_failing_reader_does_not_stop_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    results: list[ReadResult] = []

    async def reader(name: str) -> ReadResult:
        calls.append(name)
        raise RuntimeError("store vanished")

    async def go() -> None:
        done = asyncio.Event()

        def on_result(name: str, result: ReadResult) -> None:
            results.append(result)
            if len(results) >= 2:
                done.set()

        sched = RefreshScheduler(reader, on_result, RefreshSettings(rate=1000, round_every=0))
        sched.set_names(["a", "b"])
        task = asyncio.create_task(sched.run())
        await asyncio.wait_for(done.wait(), 10)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    with caplog.at_level(logging.ERROR, logger="cwdash.live"):
        asyncio.run(go())
    # a generic reason on screen, never the exception's text (it may quote a secret) ...
    assert results[0] is READ_FAILED
    assert "store vanished" not in READ_FAILED.message and "see the log" in READ_FAILED.message
    # ... which goes to the log, with its traceback
    assert any(r.exc_info and "store vanished" in str(r.exc_info[1]) for r in caplog.records)


def test_a_round_is_spread_over_its_period_unless_asked_for_now() -> None:
    s = scheduler(["a", "b", "c", "d"], round_every=60)

    def read(name: str, now: float) -> None:
        start(s, name, now)
        s.in_flight.discard(name)

    assert s.next_name(0.0) == "a"  # the round starts at once...
    read("a", 0.0)
    assert s.next_name(1.0) is None  # ...and the next read is due a quarter period later
    assert s.next_name(15.0) == "b"
    read("b", 15.0)
    s.refresh_now()  # `r`: everything now, at the full rate
    names = []
    for _ in range(4):
        name = s.next_name(16.0)
        assert name is not None
        read(name, 16.0)
        names.append(name)
    assert names == ["a", "b", "c", "d"]
    assert s.next_name(17.0) is None  # the next round waits for its period, spread again


def test_a_rounds_reads_due_within_a_step_start_together() -> None:
    """1,000 instances every 120 s is a read every 0.12 s: the reads due within the next
    ROUND_STEP start together, so the reading process wakes once a second, not eight
    times, and the round still takes its period."""
    from itertools import pairwise

    from cwdash.store.refresh import ROUND_STEP

    names = [f"i{n}" for n in range(1000)]
    s = scheduler(names, round_every=120)
    started: list[tuple[float, str]] = []
    now = 0.0
    while len(started) < len(names) and now < 200:
        while (name := s.next_name(now)) is not None:
            start(s, name, now)
            s.in_flight.discard(name)
            started.append((now, name))
        now = round(now + 0.05, 2)
    assert [name for _, name in started] == names  # every name once, in order
    wakes = sorted({at for at, _ in started})
    assert all(b - a >= ROUND_STEP - 0.051 for a, b in pairwise(wakes)), wakes[:5]
    assert 119 - ROUND_STEP <= started[-1][0] <= 120  # the round still spans its period
    assert max(n for n in (sum(1 for at, _ in started if at == w) for w in wakes)) <= 10


def test_every_read_due_within_a_step_starts_with_it() -> None:
    """A minute of the default background round (1,000 instances every 120 s) with a
    screenful of rows (each due every 15 s, on clocks of their own) and a selected row
    (every 3 s): the reads start at about one moment a second, not at each row's own
    moment, and none is read late or more than a step early."""
    from itertools import pairwise

    from cwdash.store.refresh import ROUND_STEP

    names = [f"i{n}" for n in range(1000)]
    s = scheduler(names, round_every=120, visible_every=15, selected_every=3)
    visible = names[500:537]
    s.set_visible(visible)
    s.select(names[510])
    for n, name in enumerate(visible):  # read before, at scattered moments
        s.last_start[name] = -15 + n * 0.37
    starts: dict[str, list[float]] = {name: [s.last_start[name]] for name in visible}
    now = 0.0
    while now < 60:
        while (name := s.next_name(now)) is not None:
            start(s, name, now)
            s.in_flight.discard(name)
            starts.setdefault(name, []).append(now)
        now = round(now + 0.05, 2)
    moments = {at for times in starts.values() for at in times if at >= 0}
    assert len(moments) <= 62, sorted(moments)[:20]

    def gaps(name: str) -> list[float]:
        return [b - a for a, b in pairwise(starts[name])]

    for name in visible:
        if name != s.selected:
            assert all(15 - ROUND_STEP - 0.051 <= gap <= 15 + 0.051 for gap in gaps(name)), (name, gaps(name))
    assert all(3 - ROUND_STEP - 0.051 <= gap <= 3 + 0.051 for gap in gaps(names[510])[1:])


def test_a_steps_reads_start_without_waiting_for_the_rates_grid() -> None:
    """After a pause, the rate's unused slots (up to a step's reads, at most the
    concurrency) start at once; then the grid of 1/rate again. No clock is read: the
    pacer's requested sleeps are recorded."""
    slept: list[float] = []
    clock = [100.0]

    async def record(delay: float) -> None:
        slept.append(round(delay, 3))
        clock[0] += delay

    async def go() -> None:
        settings = RefreshSettings(concurrency=8, rate=20, round_every=120)
        s = RefreshScheduler(_noop, lambda n, r: None, settings, clock=lambda: clock[0])  # type: ignore[arg-type]
        s.set_names([f"i{n}" for n in range(1000)])
        real_sleep = asyncio.sleep
        try:
            asyncio.sleep = record  # type: ignore[assignment]
            for _ in range(10):
                await s._pace()
        finally:
            asyncio.sleep = real_sleep  # type: ignore[assignment]

    asyncio.run(go())
    assert slept == [0.05, 0.05]  # eight at once (a step of the round, the concurrency), then 1/20 s apart


def test_a_row_due_more_often_than_a_step_is_pulled_in_at_most_once_a_step() -> None:
    """A selected row due every 0.5 s, in steps of a second: read at its own pace, plus at
    most one read a step pulled in, never back to back."""
    s = scheduler(["a", "b"], round_every=120, selected_every=0.5, visible_every=15)
    s.select("a")
    starts: list[float] = []
    now = 0.0
    while now < 10:
        while (name := s.next_name(now)) is not None:
            start(s, name, now)
            s.in_flight.discard(name)
            if name == "a":
                starts.append(now)
        now = round(now + 0.05, 2)
    assert len(starts) <= 10 / 0.5 + 10 / ROUND_STEP + 1
    assert len(starts) == len(set(starts))  # never twice at one moment
