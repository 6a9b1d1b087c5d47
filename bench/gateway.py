"""The simulated gateway in a process of its own, as the real one is.

Run by ``bench/run.py``: prints its URL on the first line, serves healthy answers
with a set latency until its stdin closes, then prints its request counts as JSON.
A gateway in the benchmark's own process would compete with cwdash for the GIL
and make cwdash look slower than it is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store.simbridge import Reply, SimBridge, live


def healthy(ident: str) -> Reply:
    return live("active", "", inbox_id=7)


def main() -> None:
    token, latency = sys.argv[1], float(sys.argv[2])
    with SimBridge(healthy, token=token, latency=latency, keep_paths=False) as bridge:
        print(bridge.url, flush=True)
        sys.stdin.read()
        s = bridge.stats
        print(
            json.dumps(
                {"total": s.total, "max_in_flight": s.max_in_flight, "max_per_second": s.max_per_second}
            )
        )


if __name__ == "__main__":
    main()
