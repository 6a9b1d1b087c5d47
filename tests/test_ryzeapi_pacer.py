"""The pacer, on a fake clock: it schedules from the rate headers, keeps the reserve, waits
for the reset after a 429 or a budget used by others, and says why it waits."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

import pytest

from cwdash.store.ryzeapi.pacer import Budget, Pacer, PacerBusy, Reserve, parse_reserve


class FakeClock:
    """Unix time that moves only when the pacer sleeps."""

    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)  # others may look at the pacer while it waits
        self.t += seconds


def headers(limit: int, remaining: int, reset: float, date: float | None = None) -> dict[str, str]:
    out = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(reset)),
    }
    if date is not None:
        out["Date"] = formatdate(date, usegmt=True)
    return out


def pacer(clock: FakeClock, **kwargs: object) -> Pacer:
    return Pacer(clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_the_first_request_goes_alone_then_the_budget_admits_several() -> None:
    clock = FakeClock()
    p = pacer(clock, max_in_flight=4)

    async def scenario() -> list[int]:
        await p.acquire()
        second = asyncio.create_task(p.acquire())
        await asyncio.sleep(0)
        assert not second.done()  # a probe: nothing is known of the window yet
        p.observe(200, headers(100, 99, clock.t + 60))
        await second
        for _ in range(2):
            await p.acquire()  # the budget is known now: up to four in flight
        return [p._in_flight]

    assert run(scenario()) == [3]
    assert clock.slept == []


def test_the_reserve_is_left_to_the_tokens_other_users() -> None:
    clock = FakeClock()
    p = pacer(clock)
    reset = clock.t + 30

    async def scenario() -> Budget:
        for remaining in range(9, 0, -1):  # 10 a window, 1 kept for the others: 9 are ours
            await p.acquire()
            p.observe(200, headers(10, remaining, reset))
        waiter = asyncio.create_task(p.acquire())
        await asyncio.sleep(0)
        seen = p.budget()
        await waiter
        return seen

    seen = run(scenario())
    assert seen.waiting_because.startswith("this window's share is used (9 of 10, 1 kept")
    assert seen.left_for_us == 0 and seen.reserve == 1 and seen.others_used == 0
    assert clock.slept == [pytest.approx(30 + 0.25)]  # until the reset, then the next window's probe


def test_a_budget_used_by_someone_else_is_waited_for_and_said() -> None:
    clock = FakeClock()
    p = pacer(clock)

    async def scenario() -> Budget:
        await p.acquire()
        p.observe(200, headers(100, 5, clock.t + 40))  # we sent one; 94 went to others
        task = asyncio.create_task(p.acquire())
        await asyncio.sleep(0)
        budget = p.budget()
        await task
        return budget

    budget = run(scenario())
    assert budget.others_used == 94
    assert "other users took 94 of its 100" in budget.waiting_because
    assert budget.describe().startswith("budget 5/100 left (10 kept for other users), resets in 40 s")


def test_a_429_waits_for_the_reset_once_never_in_a_loop() -> None:
    clock = FakeClock()
    p = pacer(clock, max_in_flight=4)

    async def scenario() -> None:
        await p.acquire()
        p.observe(200, headers(100, 80, clock.t + 20))
        await p.acquire()
        p.observe(429, headers(100, 0, clock.t + 20))
        assert "429" in p.budget().waiting_because
        await p.acquire()  # waits until the reset; the next window starts with one probe

    run(scenario())
    assert p.limited == 1
    assert clock.slept == [pytest.approx(20.25)]


def test_the_reset_is_read_on_the_servers_clock() -> None:
    clock = FakeClock()
    p = pacer(clock)
    server_now = clock.t + 500  # the server's clock runs 500 s ahead of ours

    async def scenario() -> None:
        await p.acquire()
        p.observe(200, headers(100, 10, server_now + 15, date=server_now))
        await p.acquire()

    run(scenario())
    assert clock.slept == [pytest.approx(15.25)]


def test_waiters_are_served_by_priority() -> None:
    clock = FakeClock()
    p = pacer(clock)
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await p.acquire(priority)
        order.append(name)
        p.observe(200, headers(100, 50, clock.t + 60))

    async def scenario() -> None:
        await p.acquire()  # holds the one slot
        tasks = [asyncio.create_task(take("background", 2)), asyncio.create_task(take("selected", 0))]
        await asyncio.sleep(0)
        p.observe(200, headers(100, 60, clock.t + 60))
        await asyncio.gather(*tasks)

    run(scenario())
    assert order == ["selected", "background"]


def test_a_caller_that_cannot_wait_is_told_at_once() -> None:
    clock = FakeClock()
    p = pacer(clock)

    async def scenario() -> PacerBusy:
        await p.acquire()
        p.observe(200, headers(100, 3, clock.t + 45))
        with pytest.raises(PacerBusy) as caught:
            await p.acquire(max_wait=10)
        return caught.value

    busy = run(scenario())
    assert busy.wait == pytest.approx(45.25) and clock.slept == []
    assert p.wait_needed() > 40


def test_a_server_without_rate_headers_is_not_throttled() -> None:
    clock = FakeClock()
    p = pacer(clock, max_in_flight=3)

    async def scenario() -> None:
        await p.acquire()
        p.observe(200, {})
        for _ in range(3):
            await p.acquire()

    run(scenario())
    assert clock.slept == []


def test_reserve_settings() -> None:
    assert parse_reserve("") == Reserve()
    assert parse_reserve("25%").of(100) == 25
    assert parse_reserve("5").of(100) == 5
    assert parse_reserve("0").of(100) == 0
    assert Reserve(percent=None, count=500).of(100) == 99  # one request is always ours
    for bad in ("100%", "-1", "ten", "1e9", "nan%"):
        with pytest.raises(ValueError):
            parse_reserve(bad)


def test_the_eta_counts_whole_windows() -> None:
    budget = Budget(
        now=0, limit=100, remaining=40, reserve=10, reset_at=30, window=60, waiting_until=None,
        waiting_because="", requests=0, limited=0, others_used=0,
    )  # fmt: skip
    assert budget.eta(30, 0.1) == pytest.approx(3.0)  # inside what is left now
    assert budget.eta(30 + 90 + 5, 0.1) == pytest.approx(30 + 60 + 0.5)  # two resets, then 5 more
