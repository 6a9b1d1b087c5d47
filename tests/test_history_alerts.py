"""Alerts: what raises one, the threshold of failing reads, and the debounce."""

from __future__ import annotations

from cwdash.store.history.alerts import DISCONNECTED, ERROR, SUMMARY, UNREACHABLE, AlertEngine
from cwdash.store.history.model import Detector, Observation


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_entering_error_and_losing_the_connection_alert_at_once() -> None:
    clock = Clock()
    engine, d = AlertEngine(clock=clock), Detector()
    d.observe(Observation("a", "active", connection="connected"), clock.now)
    d.observe(Observation("b", "active", connection="connected"), clock.now)
    events = d.observe(Observation("a", "error", "inbox \x1b[31mgone"), clock.now)
    events += d.observe(Observation("b", "active", connection="loggedout"), clock.now)
    alerts = engine.feed(events)
    assert [(a.name, a.kind) for a in alerts] == [("a", ERROR), ("b", DISCONNECTED)]
    assert alerts[0].message == "a entered error: inbox \\x1b[31mgone"  # outside text shown literally
    assert alerts[1].message == "b lost its WhatsApp connection (loggedout)"
    assert engine.feed(d.observe(Observation("a", "paused"), clock.now)) == []  # leaving error: nothing


def test_failing_reads_alert_only_past_the_threshold() -> None:
    clock = Clock()
    engine, d = AlertEngine(unreachable_after=60, clock=clock), Detector()
    d.observe(Observation("a", "active"), clock.now)
    assert engine.feed(d.observe(Observation("a", "active", source="local"), clock.now)) == []
    clock.now += 59
    assert engine.tick() == []
    clock.now += 1
    (alert,) = engine.tick()
    assert alert.kind == UNREACHABLE and alert.message == "a: live reads failing for 1 min"
    assert engine.tick() == []  # once
    engine.feed(d.observe(Observation("a", "active"), clock.now))  # back live, then failing briefly
    engine.feed(d.observe(Observation("a", "active", source="local"), clock.now))
    clock.now += 30
    engine.feed(d.observe(Observation("a", "active"), clock.now))
    clock.now += 600
    assert engine.tick() == []


def test_a_flapping_instance_raises_one_alert_then_one_summary() -> None:
    clock = Clock()
    engine, d = AlertEngine(window=300, clock=clock), Detector()
    d.observe(Observation("a", "active"), clock.now)
    out = []
    for i in range(14):  # into error 7 times in 280 s
        clock.now += 20
        out += engine.feed(d.observe(Observation("a", "error" if i % 2 == 0 else "active"), clock.now))
        out += engine.tick()
    assert [a.kind for a in out] == [ERROR]
    clock.now += 40
    (summary,) = engine.tick()
    assert summary.kind == SUMMARY and summary.count == 7
    assert summary.message == "a flapped 7 times in 5 min"
    clock.now += 1
    assert [a.kind for a in engine.feed(d.observe(Observation("a", "error"), clock.now))] == [ERROR]


def test_a_window_ended_without_a_tick_still_gives_its_summary() -> None:
    clock = Clock()
    engine, d = AlertEngine(window=300, clock=clock), Detector()
    d.observe(Observation("a", "active"), clock.now)
    for status in ("error", "active", "error", "active"):
        clock.now += 10
        engine.feed(d.observe(Observation("a", status), clock.now))
    clock.now += 400
    alerts = engine.feed(d.observe(Observation("a", "error"), clock.now))
    assert [(a.kind, a.count) for a in alerts] == [(SUMMARY, 2), (ERROR, 1)]
