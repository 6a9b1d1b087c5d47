"""A million instances across four sites (issue 16, target 4): `bench/run.py --only million`.

Four sites of 250,000 instances each, every site a copy of one cached 250k store (rows
are keyed by site, so copies are four fleets to the dashboard), opened with
``cwdash --all-sites`` from a throwaway ``$XDG_CONFIG_HOME``. Measured:

- first paint against the minimal Textual app (bench/floor_app.py), in a pseudo-terminal;
- peak RSS once every site has loaded (``CWDASH_EXIT_AFTER=loaded`` waits for all);
- in-process: the longest stall of the screen's event loop while the four sites load
  (and their name order is merged), the name order's own longest stretch named apart;
- in-process, with real screen updates (run.py's PaintClock): the slowest filter
  keystroke (one character matching most rows, more, then backspaces), the slowest sort
  change (``s`` through every column), and the key p99 while one site's live round runs.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

SITES = 4
PER_SITE = 250_000


def site_stores(build_store, cache: Path) -> tuple[list[Path], str]:  # type: ignore[no-untyped-def]
    """Four copies of the 250k store (made once, kept in the cache) and its key."""
    source, key = build_store(PER_SITE)
    paths = []
    for i in range(SITES):
        copy = cache / f"million-site{i}.db"
        if not copy.exists() or copy.stat().st_mtime < source.stat().st_mtime:
            shutil.copyfile(source, copy)
        paths.append(copy)
    return paths, key


def write_sites(home: Path, paths: list[Path], key: str, live: tuple[str, str] | None = None) -> None:
    """A site env file per store under ``home`` (an ``$XDG_CONFIG_HOME``); ``live``: the
    first site's bridge URL and token."""
    folder = home / "cwdash" / "sites"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for i, path in enumerate(paths):
        lines = [f"CWDASH_DB={path}", f"CWDASH_KEY={key}"]
        if live is not None and i == 0:
            lines += [f"BRIDGE_URL={live[0]}", f"BRIDGE_TOKEN={live[1]}"]
        env = folder / f"site{i}.env"
        env.write_text("\n".join(lines) + "\n")
        env.chmod(0o600)


def _specs(paths: list[Path], key: str, bridge_url: str, token: str) -> list:  # type: ignore[type-arg]
    """The sites as ``cwdash --all-sites`` opens them, the first one read live at 400/s."""
    from cwdash.store.config import Config
    from cwdash.store.db import Store
    from cwdash.store.readmodel import ReadModel
    from cwdash.tui.sites import SiteSpec

    specs = []
    for i, path in enumerate(paths):
        live = {"bridge_url": bridge_url, "bridge_token": token} if i == 0 else {}
        config = Config(
            db_path=path, key_text=key, concurrency=16, rate=400, round_every=0, site=f"site{i}", **live
        )
        store = Store.open(path)
        specs.append(SiteSpec(f"site{i}", config, store, ReadModel.from_config(config, store)))
    return specs


async def _in_process(
    paths: list[Path], key: str, gateway_url: str, token: str, PaintClock
) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from cwdash.store.refresh import RefreshSettings
    from cwdash.tui.app import CwdashApp
    from cwdash.tui.table import FleetTable

    specs = _specs(paths, key, gateway_url, token)
    first = specs[0]
    app = CwdashApp(
        first.config,
        first.store,
        first.model,
        label="all sites",
        sites=specs,
        settings=RefreshSettings(concurrency=16, rate=400, round_every=0),
    )
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        started = time.perf_counter()
        stalls = LoopStalls(app.dashboard.fleet)
        # loaded, and the name order across the sites whole (it is merged in steps)
        while not app.dashboard.loaded or app.dashboard.fleet.pending is not None:
            if time.perf_counter() - started > 600:
                raise TimeoutError("the four sites did not load in 600 s")
            await asyncio.sleep(0.1)
        out["million_load_s"] = time.perf_counter() - started
        out.update(await stalls.stop())
        out["million_rows"] = len(app.dashboard.fleet.rows)
        await pilot.pause(1.0)
        fleet = app.dashboard.fleet
        table = app.query_one(FleetTable)
        clock = PaintClock(app, lambda: (table.cursor, fleet.filter_text, fleet.sort_key))
        # keys while site0's live round runs (its feed reads 400/s from the gateway)
        keys: list[float] = []
        for i in range(200):
            key_name = "j" if i % 40 < 20 else "k"
            want = table.cursor + (1 if key_name == "j" else -1)
            keys.append(await clock.press(key_name, key_name, lambda st, w=want: st[0] == w))  # type: ignore[index]
            await asyncio.sleep(0.03)
        keys.sort()
        out["million_keys_p99_ms"] = keys[int(len(keys) * 0.99) - 1] * 1000
        out["million_keys_median_ms"] = statistics.median(keys) * 1000
        # the filter: one character (most rows), more, then back to one, then none
        await pilot.press("slash")
        await asyncio.sleep(0.3)
        filters: list[float] = []
        typed = ""
        for ch in ["a", "c", "a", "backspace", "backspace", "backspace"]:
            typed = typed[:-1] if ch == "backspace" else typed + ch
            done = lambda st, t=typed: st[1] == t  # type: ignore[index]  # noqa: E731
            filters.append(await clock.press(ch, None if ch == "backspace" else ch, done))
            await asyncio.sleep(0.1)
        out["million_filter_max_ms"] = max(filters) * 1000
        out["million_filter_first_ms"] = filters[0] * 1000
        await pilot.press("escape")
        await asyncio.sleep(0.5)
        # every sort: `s` through the columns shown, back to the name
        sorts: list[float] = []
        for _ in range(12):
            before = fleet.sort_key
            sorts.append(await clock.press("s", "s", lambda st, b=before: st[2] != b))  # type: ignore[index]
            out[f"million_sort_{fleet.sort_key}_ms"] = sorts[-1] * 1000
            await asyncio.sleep(0.1)
            if fleet.sort_key == "name":
                break
        out["million_sort_max_ms"] = max(sorts) * 1000
        out["million_sorts"] = len(sorts)
    for spec in specs:
        spec.store.close()
    return out


class LoopStalls:
    """The longest stretch the screen's event loop (the app's, in-process) gave no turn
    to a task asking for one every 2 ms: a key pressed then waits as long. And, within
    that, the name order's own stretches: the fleet's installs and the steps of its merge
    (wall and thread CPU time; the rest of a stall is GIL turns with the loaders' threads)."""

    def __init__(self, fleet) -> None:  # type: ignore[no-untyped-def]
        self.longest = 0.0
        self.order_wall = 0.0
        self.order_cpu = 0.0
        self._stop = False
        self._task = asyncio.get_running_loop().create_task(self._beat())
        for name in ("install", "filter_more"):
            setattr(fleet, name, self._timed(getattr(fleet, name)))  # on the instance: the screen's calls

    def _timed(self, method):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                self.order_wall = max(self.order_wall, time.perf_counter() - wall)
                self.order_cpu = max(self.order_cpu, time.thread_time() - cpu)

        return timed

    async def _beat(self) -> None:
        while not self._stop:
            asked = time.perf_counter()
            await asyncio.sleep(0.002)
            self.longest = max(self.longest, time.perf_counter() - asked - 0.002)

    async def stop(self) -> dict[str, float]:
        self._stop = True
        await self._task
        return {
            "million_load_stall_ms": self.longest * 1000,
            "million_load_order_ms": self.order_wall * 1000,
            "million_load_order_cpu_ms": self.order_cpu * 1000,
        }


def run(harness, quick: bool):  # type: ignore[no-untyped-def]
    """(results as (name, measured, target, unit, detail), figures); ``harness``: bench/run.py
    (its pseudo-terminal runner, store cache, gateway and paint clock)."""
    pty, python, cwdash, root = harness.run_pty, harness.PYTHON, harness.CWDASH, harness.ROOT
    cache, build_store, gateway, token = harness.CACHE, harness.build_store, harness.Gateway, harness.TOKEN
    paths, key = site_stores(build_store, cache)
    figures: dict[str, float] = {}
    repeats = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="cwdash-bench-million-") as tmp:
        home = Path(tmp)
        write_sites(home, paths, key)
        env = {"XDG_CONFIG_HOME": str(home), "CWDASH_EXIT_AFTER": "paint"}
        floor, ours = [], []
        for _ in range(repeats):  # interleaved, as target_startup
            run_floor = pty([python, str(root / "bench" / "floor_app.py")], {})
            floor.append(run_floor.painted or run_floor.seconds)
            run_ours = pty([cwdash, "--all-sites"], env, timeout=120)
            ours.append(run_ours.painted or run_ours.seconds)
        f, o = statistics.median(floor), statistics.median(ours)
        figures["million_paint_ms"] = o * 1000
        figures["million_paint_floor_ms"] = f * 1000
        loaded = pty([cwdash, "--all-sites"], {**env, "CWDASH_EXIT_AFTER": "loaded"}, timeout=600)
        figures["million_rss_mb"] = loaded.max_rss_kb / 1024
        figures["million_loaded_s"] = loaded.seconds
    with gateway(0.02) as bridge:
        figures.update(asyncio.run(_in_process(paths, key, bridge.url, token, harness.PaintClock)))
    n = f"{SITES} sites x {PER_SITE:,}"
    results = [
        (
            "7 first paint, " + n + ", vs minimal Textual app",
            o / f,
            1.3,
            "x",
            f"({o * 1000:.0f} ms vs {f * 1000:.0f} ms)",
        ),
        (
            "7 peak RSS, " + n + " loaded",
            figures["million_rss_mb"],
            250,
            " MB",
            f"(loaded in {loaded.seconds:.0f} s)",
        ),
        (
            "7 longest screen-thread stall while " + n + " load",
            figures["million_load_stall_ms"],
            100,
            " ms",
            f"(name order's longest: {figures['million_load_order_ms']:.0f} ms, "
            f"{figures['million_load_order_cpu_ms']:.0f} ms CPU)",
        ),
        ("7 filter, slowest keystroke to repaint, " + n, figures["million_filter_max_ms"], 100, " ms", ""),
        ("7 sort change (s), slowest to repaint, " + n, figures["million_sort_max_ms"], 300, " ms", ""),
        (
            "7 key to repaint p99 during site0's live round, " + n,
            figures["million_keys_p99_ms"],
            20,
            " ms",
            "",
        ),
    ]
    return results, figures
