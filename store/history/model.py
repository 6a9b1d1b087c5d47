"""What history is made of: an :class:`Observation` of one instance, the :class:`Event` a
change makes, and the :class:`Detector` that tells the two apart.

The detector is pure (no I/O, no clock): it keeps the last state of each instance in
memory and, for a new observation, returns the fields that changed. Identical
consecutive reads return nothing. Memory stays small for a fleet of 100k-1M instances:
an instance in a common state (known status and connection, no error text) costs one
small integer in a dict whose keys are the names the caller already holds; the others a
five-item tuple.

Rules:

- a read that failed (``source`` "local") says nothing new of the status and the error
  text (they are the local values): only the source's change is an event;
- ``connection`` None means the source does not know it: the last known value stays;
- an instance that vanished (``present`` False) changes only its presence;
- the first observation of an instance is its baseline, not an event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

STATUS, LAST_ERROR, CONNECTION, SOURCE, PRESENCE = "status", "last_error", "connection", "source", "presence"
FIELDS = (STATUS, LAST_ERROR, CONNECTION, SOURCE, PRESENCE)
PRESENT, ABSENT = "present", "absent"
LIVE, LOCAL = "live", "local"
TEXT_LIMIT = 2000  # characters of an error text kept in memory and in an event

# (status, last_error, connection, source, presence): the values of FIELDS, as stored
State = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Observation:
    """What one read saw of one instance."""

    name: str
    status: str
    last_error: str = ""
    connection: str | None = None  # None: the source does not know the WhatsApp connection
    source: Literal["live", "local"] = "live"
    present: bool = True


@dataclass(frozen=True, slots=True)
class Event:
    """One transition of one field of one instance."""

    at: float  # seconds since the epoch (UTC)
    name: str
    field: str  # one of FIELDS
    old: str
    new: str
    observer: str = ""  # the command that saw it: dashboard, check, status
    site: str = ""

    def row(self) -> tuple[float, str, str, str, str, str, str]:
        return (self.at, self.name, self.field, self.old, self.new, self.observer, self.site)


_SURROGATE = re.compile("[\ud800-\udfff]")


def cap_text(text: str) -> str:
    """An error text as kept: capped, and storable (a lone surrogate, which a live JSON
    answer can carry and SQLite cannot store, written as its ``\\udXXX`` escape)."""
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT]
    if not text.isascii():
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


# -- the compact encoding ----------------------------------------------------------------

_STATUSES = ("", "active", "paused", "error")
_CONNECTIONS = ("", "connected", "connecting", "disconnected", "loggedout")
_STATUS_CODE = {s: i for i, s in enumerate(_STATUSES)}
_CONNECTION_CODE = {c: i for i, c in enumerate(_CONNECTIONS)}
_SOURCE_CODE = {LOCAL: 0, LIVE: 1}
_PRESENCE_CODE = {ABSENT: 0, PRESENT: 1}


def encode(state: State) -> int | State:
    """A small int for a common state (no error text, known words), else the tuple itself."""
    status, error, connection, source, presence = state
    if error:
        return state
    s = _STATUS_CODE.get(status)
    c = _CONNECTION_CODE.get(connection)
    if s is None or c is None or source not in _SOURCE_CODE or presence not in _PRESENCE_CODE:
        return state
    return s | c << 2 | _SOURCE_CODE[source] << 5 | _PRESENCE_CODE[presence] << 6


def decode(value: int | State) -> State:
    if isinstance(value, tuple):
        return value
    return (
        _STATUSES[value & 3],
        "",
        _CONNECTIONS[value >> 2 & 7],
        LIVE if value >> 5 & 1 else LOCAL,
        PRESENT if value >> 6 & 1 else ABSENT,
    )


def broken(field: str, old: str, new: str) -> bool:
    """Whether a transition is an entry into breakage: error, or the WhatsApp connection lost."""
    if field == STATUS:
        return new == "error" and old != "error"
    if field == CONNECTION:
        return old == "connected" and new != "connected"
    return False


class Detector:
    """The last state of each instance, and the events a new observation makes."""

    __slots__ = ("_last", "observer", "site")

    def __init__(self, *, observer: str = "", site: str = "") -> None:
        self.observer = observer
        self.site = site
        self._last: dict[str, int | State] = {}

    def __len__(self) -> int:
        return len(self._last)

    def __contains__(self, name: object) -> bool:
        return name in self._last

    def seed(self, name: str, state: State) -> None:
        """Start from a state recorded earlier (by this process or another)."""
        self._last[name] = encode(state)

    def state(self, name: str) -> State | None:
        value = self._last.get(name)
        return None if value is None else decode(value)

    def next_state(self, obs: Observation) -> State:
        """The state after ``obs``, by the module's rules."""
        previous = self._last.get(obs.name)
        if previous is None:
            return (
                obs.status,
                cap_text(obs.last_error),
                obs.connection or "",
                obs.source,
                PRESENT if obs.present else ABSENT,
            )
        status, error, connection, _source, _presence = decode(previous)
        if not obs.present:
            return (status, error, connection, _source, ABSENT)
        if obs.source == LIVE:
            status, error = obs.status, cap_text(obs.last_error)
        if obs.connection is not None:
            connection = obs.connection
        return (status, error, connection, obs.source, PRESENT)

    def observe(self, obs: Observation, at: float) -> list[Event]:
        """The events ``obs`` makes (none for a first observation or an identical one)."""
        name = obs.name
        previous = self._last.get(name)
        new = self.next_state(obs)
        code = encode(new)
        if previous is None:
            self._last[name] = code
            return []
        if code == previous:  # the common case: ints, or equal tuples
            return []
        self._last[name] = code
        old = decode(previous)
        return [
            Event(at, name, field, before, after, self.observer, self.site)
            for field, before, after in zip(FIELDS, old, new, strict=True)
            if before != after
        ]
