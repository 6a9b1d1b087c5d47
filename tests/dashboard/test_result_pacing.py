"""When live results reach the list (tui/results.py): a trickle waits for the clock's tick,
a live round's batch, the first read of a row just selected and anything while paused go
at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from cwdash.store.readmodel import READ_FAILED
from cwdash.tui.results import APPLY_AT_ONCE, ResultPacing


@dataclass
class Feed:
    waiting: list[tuple[str, object]] = field(default_factory=list)

    def take(self) -> list[tuple[str, object]]:
        got, self.waiting = self.waiting, []
        return got


@dataclass
class Session:
    feed: Feed = field(default_factory=Feed)

    def key(self, name: str) -> str:
        return name


@dataclass
class Clock:
    paused: bool = False


class Screen(ResultPacing):
    def __init__(self) -> None:
        self.sessions = [Session()]  # type: ignore[list-item]
        self.selected: str | None = None
        self.clock = Clock()  # type: ignore[assignment]

    def arrive(self, *names: str) -> bool:
        self.sessions[0].feed.waiting.extend((n, READ_FAILED) for n in names)  # type: ignore[attr-defined]
        return self.take_results()


def test_a_trickle_waits_for_the_tick_and_keeps_its_order() -> None:
    screen = Screen()
    assert not screen.arrive("a", "b")
    assert not screen.arrive("c")
    assert [name for _, name, _ in screen.waiting_results()] == ["a", "b", "c"]  # the tick takes them
    assert screen.waiting_results() == []


def test_a_live_rounds_batch_goes_at_once() -> None:
    assert Screen().arrive(*(f"i{n}" for n in range(APPLY_AT_ONCE)))


def test_paused_results_go_at_once() -> None:
    screen = Screen()
    screen.clock.paused = True  # type: ignore[misc]
    assert screen.arrive("a")


def test_the_first_read_of_the_selected_row_goes_at_once_later_ones_wait() -> None:
    screen = Screen()
    screen.selected = "picked"
    assert not screen.arrive("other")
    assert screen.arrive("picked")
    screen.waiting_results()
    assert not screen.arrive("picked")  # its next reads: with the tick
    screen.selected = "another"
    assert screen.arrive("another")


class Target:
    """The screen as the process feed sees it: it has a clock, and counts the posts."""

    clock = object()

    def __init__(self) -> None:
        self.posts = 0

    def post_message(self, message: object) -> bool:
        self.posts += 1
        return True


class Child:
    """The child's side of the socket: the messages given, then the end."""

    def __init__(self, messages: list[tuple[object, ...]]) -> None:
        self.messages = messages

    def recv(self) -> tuple[object, ...]:
        if not self.messages:
            raise EOFError
        return self.messages.pop(0)


def process_feed(target: Target):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from cwdash.store.config import Config
    from cwdash.store.fleet import Fleet
    from cwdash.store.refresh import RefreshSettings
    from cwdash.tui.procfeed import ProcessFeed

    class Model:
        sealer = None
        key_problem = None

    feed = ProcessFeed(
        Model(),  # type: ignore[arg-type]
        RefreshSettings(),
        Config(db_path=Path("unused.db")),
        results_every=0.25,
        fleet=Fleet(),
    )
    feed._target = target  # type: ignore[assignment]
    feed._quiet = target.clock is not None  # as start() sets it
    return feed


def batch(*names: str) -> tuple[object, ...]:
    return ("results", [(name, READ_FAILED) for name in names], False)


def test_the_process_feed_wakes_the_screen_for_no_trickle() -> None:
    """A minute of a background round (a batch of 9 a second) while the screen's clock
    ticks: the screen is never woken for them (its tick takes them), yet the first read of
    a row just selected, a live round's batch and anything while paused wake it at once."""
    target = Target()
    feed = process_feed(target)
    for second in range(60):
        feed._receive(Child([batch(*(f"i{second}-{n}" for n in range(9)))]))  # type: ignore[arg-type]
        assert len(feed.take()) == 9  # the tick
    assert target.posts == 0

    feed.scheduler.selected = "picked"  # as select() sets it
    feed._receive(Child([batch("a", "picked")]))  # type: ignore[arg-type]
    assert target.posts == 1
    feed._receive(Child([batch("b")]))  # type: ignore[arg-type]
    assert target.posts == 1  # one post until the screen takes the results
    feed.take()
    feed._receive(Child([batch("picked")]))  # type: ignore[arg-type]
    assert target.posts == 1  # read again: the tick shows it

    feed._receive(Child([batch(*(f"r{n}" for n in range(APPLY_AT_ONCE)))]))  # type: ignore[arg-type]
    assert target.posts == 2
    feed.take()
    feed.scheduler.paused = True
    feed._receive(Child([batch("c")]))  # type: ignore[arg-type]
    assert target.posts == 3


def test_a_screen_without_a_clock_is_woken_for_every_batch() -> None:
    target = Target()
    target.clock = None  # type: ignore[assignment]
    feed = process_feed(target)
    feed._receive(Child([batch("a")]))  # type: ignore[arg-type]
    assert target.posts == 1
