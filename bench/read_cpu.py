"""CPU per background live read: ``ReadModel.status`` (the full read) against
``ReadModel.read_live`` (the dashboard's background read), 2,000 demo instances,
the stand-in gateway in a process of its own (so its CPU is not counted).

    uv run python bench/read_cpu.py [rounds]

Prints the median CPU per read of each, over the rounds after a first (which writes
the backfills).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cwdash.store import demo  # noqa: E402
from cwdash.store.config import generate_key, parse_key  # noqa: E402
from cwdash.store.db import Store  # noqa: E402
from cwdash.store.fleet import Fleet, background_read  # noqa: E402
from cwdash.store.readmodel import ReadModel  # noqa: E402
from cwdash.store.sealing import Sealer  # noqa: E402
from cwdash.store.sources.bridge import BridgeSource  # noqa: E402

SIZE = 2_000
TOKEN = "bench-token"


async def rounds(path: Path, key: str, url: str, count: int, *, whole: bool) -> list[float]:
    store = Store.open(path)
    model = ReadModel(store, Sealer(parse_key(key)), BridgeSource(url, TOKEN, timeout=10, max_connections=16))
    fleet = Fleet(store.list_rows())
    names = [name for name, row in fleet.rows.items() if row.live_readable]
    slots = asyncio.Semaphore(16)

    async def one(name: str) -> None:
        async with slots:
            await background_read(model, fleet, name, whole=whole)

    per_read = []
    try:
        for _ in range(count + 1):
            cpu = time.process_time()
            await asyncio.gather(*(one(n) for n in names))
            per_read.append((time.process_time() - cpu) / len(names))
    finally:
        await model.aclose()
        store.close()
    return per_read[1:]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        path, key = Path(tmp) / "fleet.db", generate_key()
        store = Store.open(path, create=True)
        demo.seed_store(store, Sealer(parse_key(key)), demo.plan(SIZE))
        store.close()
        gateway = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "gateway.py"), TOKEN, "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert gateway.stdin is not None and gateway.stdout is not None
        url = gateway.stdout.readline().strip()
        try:
            for label, whole in (("status (full read)", True), ("read_live (background)", False)):
                got = asyncio.run(rounds(path, key, url, count, whole=whole))
                print(f"{label:24} {statistics.median(got) * 1000:.3f} ms CPU per read (median of {count})")
        finally:
            gateway.stdin.close()
            gateway.wait()


if __name__ == "__main__":
    main()
