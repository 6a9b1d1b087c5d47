"""The sync step of the benchmark: ``cwdash sync`` of 1,000 instances against the simulated
RyzeAPI server (:mod:`cwdash.store.simryze`), its rate limit raised so the run takes about a
minute.

- alone: the wall time against the ideal set by the limit and the reserve (requests /
  (limit - reserve) windows), and no 429 at all;
- another client of the token drains the budget mid-run: at most one 429 per window;
- a second sync of the unchanged fleet: how many requests it costs.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from cwdash.store.config import generate_key, parse_key
from cwdash.store.db import Store
from cwdash.store.ryzeapi.client import RyzeApi
from cwdash.store.ryzeapi.pacer import Pacer
from cwdash.store.ryzeapi.sync import Syncer, SyncOptions, SyncReport
from cwdash.store.sealing import Sealer
from cwdash.store.simryze import SimRyze

TOKEN = "bench-ryze-token"
INSTANCES = 1_000


def _sync(db: Path, sealer: Sealer, sim: SimRyze, pacer: Pacer) -> SyncReport:
    store = Store.open(db, create=True)
    api = RyzeApi(sim.url, TOKEN, pacer=pacer, timeout=10)

    async def run() -> SyncReport:
        try:
            return await Syncer(store, sealer, api).run(SyncOptions())
        finally:
            await api.aclose()

    try:
        return asyncio.run(run())
    finally:
        store.close()


def _limit_for(window: float, seconds: float) -> int:
    """A limit whose share (limit minus the 10% reserve) needs about ``seconds`` for the fleet."""
    windows = max(1, round(seconds / window))
    share = math.ceil((INSTANCES + 1) / (windows + 0.2))  # the last window partly used
    return math.ceil(share / 0.9) + 1


def _drain_after(sim: SimRyze, requests: int) -> None:
    """Empty the token's window once the server has seen ``requests`` requests."""
    while sim.count() < requests:
        time.sleep(0.002)
    sim.drain()


def run(quick: bool) -> tuple[list[tuple[str, float, float, str]], dict[str, float]]:
    """(name, measured, target, unit) per target, and the figures."""
    window = 10.0 if quick else 30.0
    limit = _limit_for(window, 20.0 if quick else 60.0)
    reserve = math.ceil(limit * 0.1)
    ideal = (INSTANCES + 1) / (limit - reserve) * window
    sealer = Sealer(parse_key(generate_key()))
    results: list[tuple[str, float, float, str]] = []
    figures: dict[str, float] = {
        "sync_limit_per_window": limit,
        "sync_window_s": window,
        "sync_ideal_s": ideal,
    }
    with tempfile.TemporaryDirectory() as tmp:
        sim = SimRyze(INSTANCES, token=TOKEN, limit=limit, window=window).start()
        try:
            pacer = Pacer()
            started = time.monotonic()
            alone = _sync(Path(tmp) / "alone.db", sealer, sim, pacer)
            wall = time.monotonic() - started
            figures.update(sync_wall_s=wall, sync_requests=alone.requests, sync_429s=alone.limited)
            results.append(
                (f"7 sync of {INSTANCES} alone: wall / ideal ({ideal:.0f} s)", wall / ideal, 1.1, "x")
            )
            results.append((f"7 sync of {INSTANCES} alone: 429s", sim.count(status=429), 0, ""))
            second = _sync(Path(tmp) / "alone.db", sealer, sim, pacer)
            figures["sync_second_requests"] = second.requests
            results.append(("7 second sync of an unchanged fleet: requests", second.requests, 1, ""))
        finally:
            sim.stop()
        sim = SimRyze(INSTANCES, token=TOKEN, limit=limit, window=window).start()
        try:
            drainer = threading.Thread(target=_drain_after, args=(sim, limit // 3), daemon=True)
            drainer.start()  # another client of the token, mid-run, while cwdash is sending
            started = time.monotonic()
            drained = _sync(Path(tmp) / "drained.db", sealer, sim, Pacer())
            figures["sync_drained_wall_s"] = time.monotonic() - started
            per_window = Counter(s.window for s in sim.seen if s.status == 429)
            worst = max(per_window.values(), default=0)
            figures.update(sync_drained_429s=drained.limited, sync_drained_failed=drained.count("failed"))
            results.append(("7 sync with the budget drained mid-run: 429s per window", worst, 1, ""))
        finally:
            sim.stop()
    return results, figures
