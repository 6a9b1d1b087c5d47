"""The dashboard's start-up read of recent history (issue 14): the times of each instance's
transitions in the last hour, so its flap counts can age out minute by minute in memory
(:meth:`~.reader.HistoryReader.flaps` gives counts, which cannot)."""

from __future__ import annotations

import sqlite3

from cwdash.store.history.model import LAST_ERROR


def flap_times(conn: sqlite3.Connection, since: float, *, keep: int = 100) -> dict[str, list[float]]:
    """By name, the times (oldest first) of its transitions after ``since``, error texts
    left out (as :meth:`~.reader.HistoryReader.flaps` counts them); at most the newest
    ``keep`` per name. {} when the store has no history yet."""
    try:
        rows = conn.execute(
            "SELECT name, at FROM history WHERE at >= ? AND field != ? ORDER BY at", (since, LAST_ERROR)
        )
        out: dict[str, list[float]] = {}
        for name, at in rows:
            times = out.setdefault(str(name), [])
            times.append(float(at))
            if len(times) > 2 * keep:
                del times[:-keep]
        return {name: times[-keep:] for name, times in out.items()}
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return {}
        raise
