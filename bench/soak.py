"""Soak: the dashboard on 100k instances against a gateway failing half its answers.

`uv run python bench/soak.py [--minutes 10] [--rate 400]`

Runs the real app (headless, in this process) for the given time against the simulated
gateway in its own process, answering half the reads with an error, a reset, HTML or a
slow 502 at random. Every 30 s it records the process's resident memory, how many live
results came back, and the key-to-repaint time of a cursor move. At the end it checks
that no backfill was lost: every instance whose local inbox id was 0 and for which the
gateway answered with an inbox id has that id in the store. Prints a table and a verdict
line per check (memory flat, no crash, no lost backfill, keys responsive).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import TOKEN, Gateway, PaintClock, build_store  # noqa: E402

from cwdash.store.config import Config, parse_key  # noqa: E402
from cwdash.store.db import Store  # noqa: E402
from cwdash.store.readmodel import ReadModel  # noqa: E402
from cwdash.store.refresh import RefreshSettings  # noqa: E402
from cwdash.store.sealing import Sealer  # noqa: E402
from cwdash.store.sources.bridge import BridgeSource  # noqa: E402

ZEROED = 2_000  # instances whose local inbox id starts at 0, to be backfilled


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


async def soak(path: Path, key: str, minutes: float, rate: float) -> dict[str, object]:
    from cwdash.tui.app import CwdashApp
    from cwdash.tui.table import FleetTable

    samples: list[tuple[float, float, int, float]] = []
    answered: dict[str, int] = {}
    with Gateway(0.02, "flaky") as bridge:
        store = Store.open(path)
        config = Config(db_path=path, key_text=key, bridge_url=bridge.url, bridge_token=TOKEN)
        model = ReadModel(store, Sealer(parse_key(key)), BridgeSource(bridge.url, TOKEN, timeout=10))
        app = CwdashApp(
            config, store, model, settings=RefreshSettings(concurrency=16, rate=rate, round_every=0)
        )
        results = 0
        assert app.dashboard.feed is not None
        original = app.dashboard.feed.scheduler.on_result

        def counting(name: str, result: object) -> None:
            nonlocal results
            results += 1
            doc = getattr(result, "document", None)
            if getattr(result, "source", None) == "live" and doc is not None and doc.chatwoot_inbox_id:
                answered[name] = doc.chatwoot_inbox_id
            original(name, result)  # type: ignore[arg-type]

        app.dashboard.feed.scheduler.on_result = counting
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.dashboard.loaded:
                await pilot.pause(0.1)
            table = app.query_one(FleetTable)
            clock = PaintClock(app, lambda: table.cursor)
            start = time.monotonic()
            next_sample = start
            end = start + minutes * 60
            while time.monotonic() < end:
                if time.monotonic() >= next_sample:
                    want = table.cursor + 1
                    latency = await clock.press("j", "j", lambda st, w=want: st == w)
                    samples.append((time.monotonic() - start, rss_mb(), results, latency * 1000))
                    print(
                        f"{samples[-1][0]:6.0f} s  {samples[-1][1]:6.1f} MB  {results:>8,} results  "
                        f"key {latency * 1000:5.1f} ms",
                        flush=True,
                    )
                    next_sample += 30
                await asyncio.sleep(1)
            crashed = not app.is_running
        store.close()
    return {
        "samples": samples,
        "answered": answered,
        "crashed": crashed,
        "stats": bridge.stats,
        "instances": len(app.dashboard.fleet.rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=400.0, help="live reads per second (default 400)")
    args = parser.parse_args()
    source, key = build_store(100_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "soak.db"
        shutil.copy(source, path)
        with sqlite3.connect(path) as conn:
            conn.execute(
                "UPDATE chatwoot_integrations SET chatwoot_inbox_id = 0 WHERE instance_name IN "
                f"(SELECT instance_name FROM chatwoot_integrations ORDER BY instance_name LIMIT {ZEROED})"
            )
            zeroed = {
                r[0]
                for r in conn.execute(
                    "SELECT instance_name FROM chatwoot_integrations WHERE chatwoot_inbox_id = 0"
                )
            }
        got = asyncio.run(soak(path, key, args.minutes, args.rate))
        with sqlite3.connect(path) as conn:
            stored = dict(conn.execute("SELECT instance_name, chatwoot_inbox_id FROM chatwoot_integrations"))
    samples = got["samples"]
    answered = got["answered"]
    assert isinstance(samples, list) and isinstance(answered, dict)
    due = {n for n in zeroed if n in answered}
    lost = sorted(n for n in due if stored.get(n, 0) == 0)
    # Each row holds its last live outcome, so memory grows until every row has been
    # read once; flat means no growth after that first full round.
    after_round = [s for s in samples if s[2] >= got["instances"]]
    first = after_round[0][1] if after_round else (samples[-1][1] if samples else 0.0)
    peak = max(s[1] for s in samples) if samples else 0.0
    settled = samples[1:]  # the first sample lands in the start-up burst of the first round
    worst_key = max(s[3] for s in settled) if settled else 0.0
    print()
    print("| t (s) | RSS (MB) | live results | key to repaint (ms) |")
    print("|---|---|---|---|")
    for t, mb, n, ms in samples:
        print(f"| {t:.0f} | {mb:.1f} | {n:,} | {ms:.1f} |")
    print()
    checks = [
        (
            "memory flat after the first full round",
            bool(after_round) and peak - first <= 5,
            f"{first:.1f} MB after the first round -> peak {peak:.1f} MB"
            + ("" if after_round else " (the run ended before one full round: run it longer)"),
        ),
        ("no crash", not got["crashed"], ""),
        ("no lost backfill", not lost, f"{len(due):,} due, {len(lost)} not saved"),
        ("keys responsive (worst sample after the first)", worst_key <= 100, f"{worst_key:.1f} ms"),
    ]
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
