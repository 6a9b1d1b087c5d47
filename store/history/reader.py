"""Reading history: the queries the dashboard and the CLI make, each one indexed query.

Every query tolerates a store without history (older than schema 5, not written since):
it answers as if nothing had been recorded. Times are seconds since the epoch (UTC).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cwdash.store.history.model import ABSENT, LAST_ERROR, PRESENCE, STATUS, Event

_EVENT_COLUMNS = "at, name, field, old, new, observer, site"
GONE = "gone"  # a timeline segment while the instance was absent


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of time in one status (``gone`` while the instance was absent)."""

    start: float
    end: float
    status: str


def _event(row: tuple) -> Event:
    at, name, field, old, new, observer, site = row
    return Event(float(at), str(name), str(field), str(old), str(new), str(observer), str(site))


class HistoryReader:
    """Queries on one connection (the caller's store's), on the caller's thread."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.clock = clock

    def _rows(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise

    def events(self, name: str, since: float | None = None, *, limit: int | None = None) -> list[Event]:
        """``name``'s transitions since ``since`` (all kept when None), oldest first; with
        ``limit``, the newest ``limit`` of them (still oldest first)."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM history WHERE name = ? AND at >= ? ORDER BY at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._rows(sql, (name, -1.0 if since is None else since))
        return [_event(r) for r in reversed(rows)]

    def since(self, name: str) -> float | None:
        """When ``name``'s current status began (first seen, at the latest); None when unknown."""
        rows = self._rows("SELECT status_since FROM history_state WHERE name = ?", (name,))
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def since_all(self) -> dict[str, float]:
        """:meth:`since` of every instance recorded (one read of ``history_state``)."""
        return {str(n): float(t) for n, t in self._rows("SELECT name, status_since FROM history_state")}

    def flaps(self, names: Iterable[str] | None = None, window: float = 3600.0) -> dict[str, int]:
        """Transitions (status, connection, source, presence: not error texts) in the last
        ``window`` seconds, by name; names without any are left out."""
        rows = self._rows(
            "SELECT name, count(*) FROM history WHERE at >= ? AND field != ? GROUP BY name",
            (self.clock() - window, LAST_ERROR),
        )
        counts = {str(n): int(c) for n, c in rows}
        if names is None:
            return counts
        return {n: counts[n] for n in names if n in counts}

    def timeline(self, name: str, hours: float = 24.0) -> list[Segment]:
        """``name``'s statuses over the last ``hours``, as segments oldest first ([] when
        nothing is known). Before the first recorded change the status is that change's
        old value; without any change in the window, the current state fills it."""
        now = self.clock()
        start = now - hours * 3600.0
        rows = self._rows(
            "SELECT at, field, old, new FROM history WHERE name = ? AND at >= ? AND field IN (?, ?) "
            "ORDER BY at, id",
            (name, start, STATUS, PRESENCE),
        )
        state = self._rows("SELECT status, present, seen_at FROM history_state WHERE name = ?", (name,))
        if not rows and not state:
            return []
        statuses = [r for r in rows if r[1] == STATUS]
        presences = [r for r in rows if r[1] == PRESENCE]
        status = str(statuses[0][2]) if statuses else str(state[0][0]) if state else ""
        present = presences[0][2] != ABSENT if presences else (state[0][1] != 0 if state else True)
        begin = max(start, float(state[0][2])) if state else start
        current = status if present else GONE
        segments: list[Segment] = []
        for at, field, _old, new in rows:
            if field == STATUS:
                status = str(new)
            else:
                present = new != ABSENT
            shown = status if present else GONE
            if shown != current:
                if at > begin:
                    segments.append(Segment(begin, float(at), current))
                begin, current = max(begin, float(at)), shown
        segments.append(Segment(begin, now, current))
        return segments

    def changed_since(self, ts: float, *, limit: int = 10_000) -> list[Event]:
        """Every transition after ``ts`` (the newest ``limit``), oldest first: "what changed
        since you last looked"."""
        rows = self._rows(
            f"SELECT {_EVENT_COLUMNS} FROM history WHERE at > ? ORDER BY at DESC, id DESC LIMIT ?",
            (ts, int(limit)),
        )
        return [_event(r) for r in reversed(rows)]

    def last_broke(self) -> dict[str, float]:
        """When each instance last entered ``error`` or lost its WhatsApp connection."""
        rows = self._rows("SELECT name, broke_at FROM history_state WHERE broke_at IS NOT NULL")
        return {str(n): float(t) for n, t in rows}
