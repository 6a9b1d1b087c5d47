"""The history step of the benchmark: 100k instances read at 400 reads a second for a minute
(10 s with --quick), a tenth of them flapping (each read of a flapping instance changes its
status), through :class:`~cwdash.store.history.writer.HistoryWriter` as the dashboard calls it.

- write cost per read: the time ``observe`` takes on the caller's thread (mean and p99, µs);
- store growth per hour of that load, and projected to the retention window
  (``CWDASH_HISTORY_DAYS``, default 30) and the per-instance cap, whichever bounds first;
- what the writer thread kept up with (events written, changes dropped).

"Key p99 with vs without history" needs the dashboard wired to the writer: the dashboard's
step measures it once that lands.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from cwdash.store.db import Store
from cwdash.store.history.model import Observation
from cwdash.store.history.settings import HistorySettings
from cwdash.store.history.writer import HistoryWriter

INSTANCES = 100_000
RATE = 400.0
FLAPPING_SHARE = 10  # one instance in ten flaps


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def run(quick: bool) -> tuple[list[tuple[str, float, float, str]], dict[str, float]]:
    seconds = 10.0 if quick else 60.0
    settings = HistorySettings()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        store = Store.open(path, create=True)
        names = [f"instance-{i:06d}" for i in range(INSTANCES)]
        writer = HistoryWriter(store, observer="dashboard", settings=settings)
        base = [Observation(n, "active", "", "connected", "live") for n in names]
        flipped = [Observation(n, "error", "webhook 500", "connected", "live") for n in names]
        for o in base:  # the baseline: every instance seen once
            writer.observe(o)
        while writer.pending:
            time.sleep(0.05)
        time.sleep(0.6)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = _size(path)
        costs: list[float] = []
        flips = [False] * INSTANCES
        interval = 1.0 / RATE
        start = time.perf_counter()
        reads = 0
        while time.perf_counter() - start < seconds:
            i = reads % INSTANCES
            if i % FLAPPING_SHARE == 0:
                flips[i] = not flips[i]
            seen = flipped[i] if flips[i] else base[i]
            t0 = time.perf_counter_ns()
            writer.observe(seen)
            costs.append((time.perf_counter_ns() - t0) / 1000)
            reads += 1
            wait = start + reads * interval - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        elapsed = time.perf_counter() - start
        writer.close()
        conn = store.conn
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        events = conn.execute("SELECT count(*) FROM history").fetchone()[0]
        growth = max(0, _size(path) - before)
        store.close()
    per_hour = growth / elapsed * 3600
    events_per_hour = events / elapsed * 3600
    per_event = growth / events if events else 0.0
    flappers = INSTANCES // FLAPPING_SHARE
    window_events = min(events_per_hour * settings.days * 24, flappers * settings.cap)
    costs.sort()
    p99 = costs[int(len(costs) * 0.99)]
    figures = {
        "history_reads": float(reads),
        "history_reads_per_s": reads / elapsed,
        "history_observe_mean_us": statistics.fmean(costs),
        "history_observe_p99_us": p99,
        "history_events_per_hour": events_per_hour,
        "history_bytes_per_event": per_event,
        "history_growth_mb_per_hour": per_hour / 1e6,
        "history_retained_mb_projected": window_events * per_event / 1e6,
        "history_dropped": float(writer.dropped),
        "history_written": float(writer.written),
    }
    results = [
        ("history write cost per read (mean, caller's thread)", statistics.fmean(costs), 20.0, " µs"),
        ("history write cost per read (p99)", p99, 100.0, " µs"),
        ("history changes dropped under load", float(writer.dropped), 0.0, ""),
    ]
    return results, figures
