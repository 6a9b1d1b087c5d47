"""Alerts from events: an instance entered ``error``, lost its WhatsApp connection, or its
live read has been failing for longer than a threshold. Debounced per instance.

:class:`AlertEngine` is pure: it is fed events (:meth:`AlertEngine.feed`) and asked for
what is due (:meth:`AlertEngine.tick`), with the time given by an injected clock. The
first alert of an instance goes out at once; further alerts of that instance within
``window`` seconds are counted, and come out as one summary when the window ends
("suporte flapped 7 times in 5 min"), not as a storm.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cwdash.store.history.model import (
    ABSENT,
    CONNECTION,
    LAST_ERROR,
    LIVE,
    LOCAL,
    PRESENCE,
    SOURCE,
    STATUS,
    Event,
)
from cwdash.store.text import one_line

ERROR, DISCONNECTED, UNREACHABLE, SUMMARY = "error", "disconnected", "unreachable", "summary"
DEFAULT_WINDOW = 300.0


@dataclass(frozen=True, slots=True)
class Alert:
    """Something to tell the person watching: one line, safe to show as it is."""

    name: str
    kind: str  # ERROR, DISCONNECTED, UNREACHABLE or SUMMARY
    message: str
    at: float
    count: int = 1  # a summary: the alerts of the window, the first included


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


class AlertEngine:
    """Turns events into debounced alerts; see the module."""

    def __init__(
        self,
        *,
        unreachable_after: float = 60.0,
        window: float = DEFAULT_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.unreachable_after = unreachable_after
        self.window = window
        self.clock = clock
        self._opened: dict[str, float] = {}  # name -> when its debounce window began
        self._count: dict[str, int] = {}  # name -> alerts in that window, the first included
        self._failing: dict[str, float] = {}  # name -> when its live reads began to fail
        self._told_failing: set[str] = set()

    def feed(self, events: Iterable[Event]) -> list[Alert]:
        """The alerts these events raise now (the unreachable ones come from :meth:`tick`)."""
        out: list[Alert] = []
        errors = {e.name: e.new for e in events if e.field == LAST_ERROR} if events else {}
        for e in events:
            if e.field == STATUS and e.new == "error" and e.old != "error":
                text = errors.get(e.name, "")
                detail = f": {one_line(text, 200)}" if text else ""
                self._raise(out, e.name, ERROR, f"{one_line(e.name, 80)} entered error{detail}", e.at)
            elif e.field == CONNECTION and e.old == "connected" and e.new != "connected":
                what = one_line(e.new, 20) or "unknown"
                self._raise(
                    out,
                    e.name,
                    DISCONNECTED,
                    f"{one_line(e.name, 80)} lost its WhatsApp connection ({what})",
                    e.at,
                )
            elif e.field == SOURCE and e.new == LOCAL:
                self._failing.setdefault(e.name, e.at)
            elif (e.field == SOURCE and e.new == LIVE) or (e.field == PRESENCE and e.new == ABSENT):
                self._failing.pop(e.name, None)
                self._told_failing.discard(e.name)
        return out

    def tick(self) -> list[Alert]:
        """What is due now: live reads failing past the threshold, and the summaries of the
        debounce windows that ended."""
        now = self.clock()
        out: list[Alert] = []
        for name, since in list(self._failing.items()):
            if name not in self._told_failing and now - since >= self.unreachable_after:
                self._told_failing.add(name)
                self._raise(
                    out,
                    name,
                    UNREACHABLE,
                    f"{one_line(name, 80)}: live reads failing for {_minutes(now - since)}",
                    now,
                )
        for name, opened in list(self._opened.items()):
            if now - opened >= self.window:
                self._close(out, name, now)
        return out

    def _close(self, out: list[Alert], name: str, at: float) -> None:
        """End ``name``'s debounce window: its summary, when alerts were held back."""
        count = self._count.pop(name, 1)
        del self._opened[name]
        if count > 1:
            message = f"{one_line(name, 80)} flapped {count} times in {_minutes(self.window)}"
            out.append(Alert(name, SUMMARY, message, at, count))

    def _raise(self, out: list[Alert], name: str, kind: str, message: str, at: float) -> None:
        opened = self._opened.get(name)
        if opened is not None and at - opened < self.window:
            self._count[name] = self._count.get(name, 1) + 1
            return
        if opened is not None:  # its window ended before a tick came
            self._close(out, name, at)
        self._opened[name] = at
        self._count[name] = 1
        out.append(Alert(name, kind, message, at))
