"""The simulated gateway in a process of its own, as the real one is.

Run by ``bench/run.py``: prints its URL on the first line, serves healthy answers
with a set latency until its stdin closes, then prints its request counts as JSON.
A gateway in the benchmark's own process would compete with cwdash for the GIL
and make cwdash look slower than it is.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cwdash.store.simbridge import Reply, SimBridge, live


def healthy(ident: str) -> Reply:
    return live("active", "", inbox_id=7)


_rng = random.Random(11)


def flaky(ident: str) -> Reply:
    """Half the answers fail, at random, in every way a gateway fails."""
    if _rng.random() < 0.5:
        return live("active", "", inbox_id=int(ident[-6:], 16) % 90_000 + 1)
    return _rng.choice(
        [
            Reply(status=500, body={"error": "boom"}),
            Reply(status=503, body={"error": "overloaded"}),
            Reply(reset=True),
            Reply(body="<html>maintenance</html>", content_type="text/html"),
            Reply(delay=0.5, status=502, body={}),
        ]
    )


def main() -> None:
    token, latency = sys.argv[1], float(sys.argv[2])
    router = flaky if len(sys.argv) > 3 and sys.argv[3] == "flaky" else healthy
    with SimBridge(router, token=token, latency=latency, keep_paths=False) as bridge:
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
