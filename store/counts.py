"""The fleet's counts (the header's): :class:`Counts`, and :class:`Tally`, which keeps them.

A tally is a pass over rows once; after that a row's change is two small steps (its old
contribution out, its new one in), not a pass over every row of its site. With a million
rows across sites a site's pass is 250k rows, which held the screen for a tick's frame
each second of a live round (the key p99 of bench/million.py).
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from collections import Counter
from collections.abc import Iterable
from itertools import compress
from operator import eq
from typing import TYPE_CHECKING, NamedTuple

from cwdash.store.readmodel import INSTANCE_NOT_FOUND
from cwdash.store.status import ACTIVE, ERROR, OFFLINE, PAUSED

if TYPE_CHECKING:
    from cwdash.store.columns import SiteColumns
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
    top_failure: "LiveFailure | None" = None  # the most common failure, one of them
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

    def __init__(self, rows: "Iterable[FleetRow]" = ()) -> None:
        self.total = self.active = self.paused = self.error = self.no_integration = 0
        self.not_live = self.failing = self.gone = self.read = self.offline = 0
        self.reasons: dict[Reason, int] = {}
        self.example: dict[Reason, LiveFailure] = {}
        self._count(rows)

    def _count(self, rows: "Iterable[FleetRow]") -> None:
        """A few rows' counts, each as :meth:`add` counts it (a whole fleet is counted from
        its columns: :meth:`of_columns`)."""
        for row in rows:
            self.add(row)

    @classmethod
    def of_columns(cls, columns: "SiteColumns") -> "Tally":
        """A site's tally from its columns: counts of codes, the rare rows one by one."""
        tally = cls()
        n = len(columns)
        if not n:
            return tally
        texts = columns.texts.values
        has = columns.has
        gone = [i for i, m in columns.mapped.items() if m.message == _GONE]
        by_status = Counter(columns.status)  # rows without integration hold the code of ""
        for i in gone:
            if has[i]:
                by_status[columns.status[i]] -= 1
        code = {text: k for k, text in enumerate(texts) if text in (ACTIVE, PAUSED, ERROR)}
        tally.total = n
        tally.gone = len(gone)
        tally.no_integration = has.count(0) - sum(1 for i in gone if not has[i])
        tally.active = by_status.get(code.get(ACTIVE, -1), 0)
        tally.paused = by_status.get(code.get(PAUSED, -1), 0)
        tally.error = by_status.get(code.get(ERROR, -1), 0)
        gone_set = set(gone)
        integrated = n - tally.no_integration - tally.gone
        read_at = columns.read_at
        if read_at is not None:  # rows read (a time, not NaN) with an integration, not gone
            read = bytes(map(eq, read_at, read_at))
            both = int.from_bytes(read, "little") & int.from_bytes(has, "little")
            tally.read = both.bit_count() - sum(1 for i in gone if has[i] and read[i])
        tally.not_live = integrated - tally.read
        offline = frozenset(k for k, text in enumerate(texts) if text in OFFLINE)
        active = code.get(ACTIVE, -1)
        if offline:
            status = columns.status
            for i in compress(range(n), map(offline.__contains__, columns.connection)):  # type: ignore[attr-defined]
                if has[i] and status[i] == active and i not in gone_set:
                    tally.offline += 1
        for i, failure in columns.failure.items():
            if has[i] and i not in gone_set:
                tally.failing += 1
                reason = failure.reason
                tally.reasons[reason] = tally.reasons.get(reason, 0) + 1
                tally.example[reason] = failure
        return tally

    def plus(self, other: "Tally") -> "Tally":
        """Another tally's counts added to these (several sites' counts as one)."""
        for field in self.__slots__:
            if field not in ("reasons", "example"):
                setattr(self, field, getattr(self, field) + getattr(other, field))
        for reason, n in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + n
            self.example[reason] = other.example[reason]
        return self

    def add(self, row: "FleetRow", n: int = 1) -> None:
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
