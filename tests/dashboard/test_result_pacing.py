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
