"""The fleet's counts (the header's): :class:`Counts`, and :class:`Tally`, which keeps them.

A tally is a pass over rows once; after that a row's change is two small steps (its old
contribution out, its new one in), not a pass over every row of its site. With a million
rows across sites a site's pass is 250k rows, which held the screen for a tick's frame
each second of a live round (the key p99 of bench/million.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from cwdash.store.readmodel import INSTANCE_NOT_FOUND
from cwdash.store.status import ACTIVE, ERROR, OFFLINE, PAUSED

if TYPE_CHECKING:
    from cwdash.store.fleetrow import FleetRow
    from cwdash.store.sources.outcome import LiveFailure, Reason

_GONE = INSTANCE_NOT_FOUND.message


class Counts(NamedTuple):
    """The fleet summary in the header."""

    total: int
    active: int
    paused: int
    error: int
    no_integration: int
    not_live: int  # rows with an integration never read yet (failed reads are ``failing``)
    failing: int
    gone: int = 0
    read: int = 0  # rows with an integration read at least once
    top_failure: LiveFailure | None = None  # the most common failure, one of them
    top_failing: int = 0  # how many rows fail that way
    number_offline: int = 0  # active integrations on a logged-out or disconnected number


class Tally:
    """Counts kept up to date row by row: :meth:`add` a row's contribution (``n`` 1) or
    take it out (``n`` -1) around a change; :meth:`counts` says them."""

    __slots__ = (
        "active",
        "error",
        "example",
        "failing",
        "gone",
        "no_integration",
        "not_live",
        "offline",
        "paused",
        "read",
        "reasons",
        "total",
    )

    def __init__(self, rows: Iterable[FleetRow] = ()) -> None:
        self.total = self.active = self.paused = self.error = self.no_integration = 0
        self.not_live = self.failing = self.gone = self.read = self.offline = 0
        self.reasons: dict[Reason, int] = {}
        self.example: dict[Reason, LiveFailure] = {}
        self._count(rows)

    def _count(self, rows: Iterable[FleetRow]) -> None:
        """The first pass, inline (a million rows: no call per row)."""
        active = paused = error = no_integration = not_live = failing = gone = read = offline = 0
        reasons, example = self.reasons, self.example
        total = 0
        for row in rows:
            total += 1
            mapped = row.mapped
            if mapped is not None and mapped.message == _GONE:
                gone += 1  # vanished from the store: its last status no longer counts
                continue
            if not row.has_integration:
                no_integration += 1
                continue
            status = row.status
            if status == ACTIVE:
                active += 1
                if row.connection in OFFLINE:
                    offline += 1
            elif status == PAUSED:
                paused += 1
            elif status == ERROR:
                error += 1
            if row.read_at is None:
                not_live += 1
            else:
                read += 1
            failure = row.failure
            if failure is not None:
                failing += 1
                reason = failure.reason
                reasons[reason] = reasons.get(reason, 0) + 1
                example[reason] = failure
        self.total += total
        self.active += active
        self.paused += paused
        self.error += error
        self.no_integration += no_integration
        self.not_live += not_live
        self.failing += failing
        self.gone += gone
        self.read += read
        self.offline += offline

    def add(self, row: FleetRow, n: int = 1) -> None:
        """Count ``row`` in (``n`` 1) or out (``n`` -1), as it is now."""
        self.total += n
        mapped = row.mapped
        if mapped is not None and mapped.message == _GONE:
            self.gone += n
            return
        if not row.has_integration:
            self.no_integration += n
            return
        status = row.status
        if status == ACTIVE:
            self.active += n
            if row.connection in OFFLINE:
                self.offline += n
        elif status == PAUSED:
            self.paused += n
        elif status == ERROR:
            self.error += n
        if row.read_at is None:
            self.not_live += n
        else:
            self.read += n
        failure = row.failure
        if failure is not None:
            self.failing += n
            reason = failure.reason
            left = self.reasons.get(reason, 0) + n
            if left > 0:
                self.reasons[reason] = left
                if n > 0:
                    self.example[reason] = failure
            else:
                self.reasons.pop(reason, None)
                self.example.pop(reason, None)

    def counts(self) -> Counts:
        reasons = self.reasons
        top = max(reasons, key=reasons.__getitem__) if reasons else None
        return Counts(
            self.total,
            self.active,
            self.paused,
            self.error,
            self.no_integration,
            self.not_live,
            self.failing,
            self.gone,
            self.read,
            self.example[top] if top is not None else None,
            reasons[top] if top is not None else 0,
            self.offline,
        )
