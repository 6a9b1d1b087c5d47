"""The dashboard step on RyzeAPI's own API: 1,000 instances against the simulated server
(:mod:`cwdash.store.simryze`), keys pressed all along.

- requests in any of the server's rate windows never exceed the limit minus the reserve
  (counted at the server), and no 429;
- key to repaint p99 while the reads go on (the responsiveness step's harness, PaintClock).

The window is shortened (10 s, or 5 s with --quick) with RyzeAPI's documented 100
requests, so several windows pass in a short run; the pacer learns the window from the
answers' reset times.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from pathlib import Path

from cwdash.store import demo
from cwdash.store.config import Config
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel
from cwdash.store.ryzeapi import pacer as pacer_module
from cwdash.store.simryze import SimInstance, SimRyze, document

TOKEN = "bench-ryze-dash-token"
LIMIT = 100


def _sim_fleet(size: int) -> list[SimInstance]:
    """The bench store's demo fleet as the simulated server knows it (same names and ids)."""
    out = []
    for i, inst in enumerate(demo.plan(size)):
        integration = None
        if inst.behaviour != "none":
            integration = document(
                inst.name, i, bridge_integration_id=inst.bridge_id, status=inst.local_status
            )
        connection = "loggedout" if i % 25 == 3 else "connected"
        out.append(SimInstance(inst.name, connection, integration))
    return out


async def _drive(store_path: Path, key: str, sim: SimRyze, seconds: float) -> list[float]:
    from bench.run import PaintClock
    from cwdash.tui.app import CwdashApp
    from cwdash.tui.table import FleetTable

    store = Store.open(store_path)
    config = Config(db_path=store_path, key_text=key, ryzeapi_url=sim.url, ryzeapi_token=TOKEN)
    app = CwdashApp(config, store, ReadModel.from_config(config, store))
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            if app.dashboard.loaded:
                break
            await pilot.pause(0.05)
        table = app.query_one(FleetTable)
        clock = PaintClock(app, lambda: table.cursor)
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            key_name = "j" if i % 40 < 20 else "k"
            want = table.cursor + (1 if key_name == "j" else -1)
            latencies.append(await clock.press(key_name, key_name, lambda st, w=want: st == w))
            await asyncio.sleep(0.1)
            i += 1
    store.close()
    return latencies


def run(
    store_path: Path, key: str, quick: bool
) -> tuple[list[tuple[str, float, float, str]], dict[str, float]]:
    """(name, measured, target, unit) per target, and the figures."""
    window = 5.0 if quick else 10.0
    seconds = 30.0 if quick else 90.0
    reserve = math.ceil(LIMIT * 0.1)
    pacer_module._SHARED.clear()
    sim = SimRyze(_sim_fleet(1_000), token=TOKEN, limit=LIMIT, window=window).start()
    try:
        latencies = asyncio.run(_drive(store_path, key, sim, seconds))
    finally:
        sim.stop()
    per_window = Counter(s.window for s in sim.seen)
    full = sorted(per_window.items())[1:-1]  # the first and the last window are partly outside the run
    worst = max(per_window.values(), default=0)
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
    figures = {
        "dash_ryze_window_s": window,
        "dash_ryze_requests": len(sim.seen),
        "dash_ryze_max_per_window": worst,
        "dash_ryze_mean_per_full_window": sum(n for _, n in full) / len(full) if full else 0.0,
        "dash_ryze_listings": sim.count("list"),
        "dash_ryze_429s": sim.count(status=429),
        "dash_ryze_keys_p99_ms": p99,
    }
    share = LIMIT - reserve
    return [
        (f"8 dashboard on RyzeAPI, 1,000 instances: requests in one {window:g} s window", worst, share, ""),
        ("8 dashboard on RyzeAPI: 429s", sim.count(status=429), 0, ""),
        ("8 dashboard on RyzeAPI: key to repaint p99", p99, 50, " ms"),
    ], figures
