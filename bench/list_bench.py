"""The list-stream step of the benchmark (issue 16, target 5): ``cwdash list --json`` of
the 100k store, and of the 10k store for the memory comparison.

Each run is a fresh process writing to /dev/null; its wall time and its peak resident set
(``ru_maxrss`` of the child alone, from ``wait4``) are taken, the median of ``repeats``
runs kept. Streaming means the peak does not depend on the fleet's size: the 100k peak
is compared with the 10k one.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

LIMIT_SECONDS = 1.5
FLAT_MB = 10.0


def _one(cwdash: str, store: Path, key: str) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one ``cwdash list --json``, run through
    bench/maxrss.py so that its peak RSS is its own (see there)."""
    env = {**os.environ, "CWDASH_DB": str(store), "CWDASH_KEY": key}
    launcher = Path(__file__).with_name("maxrss.py")
    done = subprocess.run(
        [sys.executable, str(launcher), cwdash, "list", "--json"], env=env, capture_output=True, text=True
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    if got["code"] != 0:
        raise RuntimeError(f"cwdash list --json failed ({got['code']}): {got['stderr']}")
    return got["seconds"], got["rss_mb"], got["cpu"]


def run(
    cwdash: str, big: Path, big_key: str, small: Path, small_key: str, repeats: int = 3
) -> tuple[list[tuple[str, float, float, str]], dict[str, float]]:
    """(name, measured, target, unit) per target, and the figures."""
    big_runs, small_runs = [], []
    for _ in range(repeats):  # interleaved, so drifts in machine load hit both alike
        big_runs.append(_one(cwdash, big, big_key))
        small_runs.append(_one(cwdash, small, small_key))
    wall = statistics.median(r[0] for r in big_runs)
    rss_big = statistics.median(r[1] for r in big_runs)
    rss_small = statistics.median(r[1] for r in small_runs)
    figures = {
        "list_json_100k_ms": wall * 1000,
        "list_json_100k_cpu_ms": statistics.median(r[2] for r in big_runs) * 1000,  # less load-sensitive
        "list_json_100k_rss_mb": rss_big,
        "list_json_10k_rss_mb": rss_small,
        "list_json_10k_ms": statistics.median(r[0] for r in small_runs) * 1000,
    }
    return [
        ("8 `list --json`, 100k instances, streamed (median wall)", wall, LIMIT_SECONDS, " s"),
        (
            f"8 `list --json` peak RSS, 100k minus 10k ({rss_big:.0f} vs {rss_small:.0f} MB)",
            rss_big - rss_small,
            FLAT_MB,
            " MB",
        ),
    ], figures
