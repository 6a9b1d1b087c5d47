"""cwdash's benchmark harness: `uv run python bench/run.py [--quick]`.

Builds its own stores (1k, 10k, 100k instances, tokens sealed as usual) and its own
simulated gateway on 127.0.0.1, measures every target of the performance issue in one
run, and prints a table plus one PASS/FAIL line per target. Whole-process timings run
in a real pseudo-terminal and are medians of several runs; comparisons are ratios
against floors measured in the same run, because machines are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cwdash.store import demo  # noqa: E402
from cwdash.store.config import Config, generate_key, parse_key  # noqa: E402
from cwdash.store.db import Store  # noqa: E402
from cwdash.store.readmodel import ReadModel  # noqa: E402
from cwdash.store.refresh import RefreshScheduler, RefreshSettings  # noqa: E402
from cwdash.store.sealing import Sealer  # noqa: E402
from cwdash.store.simbridge import Reply, live  # noqa: E402
from cwdash.store.sources.bridge import BridgeSource  # noqa: E402

PYTHON = sys.executable
CWDASH = str(Path(PYTHON).parent / "cwdash")
CACHE = ROOT / "bench" / ".cache"
TOKEN = "bench-bridge-token"


@dataclass
class Result:
    name: str
    measured: float
    target: float
    unit: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.measured <= self.target

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"{verdict}  {self.name}: {self.measured:.3g}{self.unit} (target <= {self.target:g}{self.unit}) {self.detail}"


# -- fixtures ---------------------------------------------------------------------


def build_store(size: int) -> tuple[Path, str]:
    """A store of ``size`` demo instances, cached between runs (with its key)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"fleet-{size}.db"
    key_path = CACHE / f"fleet-{size}.key"
    if path.exists() and key_path.exists():
        return path, key_path.read_text().strip()
    # Built in a process of its own: seeding 100k rows leaves this process large, and a
    # child forked from a large parent reports the parent's resident set as its own peak
    # (ru_maxrss counts the moment between fork and exec), which once read as 189 MB.
    subprocess.run(
        [sys.executable, __file__, "--build-store", str(size)], check=True, cwd=ROOT, env=os.environ.copy()
    )
    return path, key_path.read_text().strip()


def _build_store_here(size: int) -> None:
    """The store-building half of :func:`build_store`, in the child it starts."""
    path = CACHE / f"fleet-{size}.db"
    for leftover in CACHE.glob(f"fleet-{size}.db*"):
        leftover.unlink()
    key = generate_key()
    store = Store.open(path, create=True)
    demo.seed_store(store, Sealer(parse_key(key)), demo.plan(size))
    store.close()
    (CACHE / f"fleet-{size}.key").write_text(key)


def healthy_router(ident: str) -> Reply:
    return live("active", "", inbox_id=7)


class Gateway:
    """The simulated gateway in its own process (bench/gateway.py); ``stats`` after exit."""

    def __init__(self, latency: float, mode: str = "healthy") -> None:
        self.latency = latency
        self.mode = mode
        self.url = ""
        self.stats: dict[str, int] = {}

    def __enter__(self) -> Gateway:
        self.proc = subprocess.Popen(
            [PYTHON, str(ROOT / "bench" / "gateway.py"), TOKEN, str(self.latency), self.mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self.proc.communicate("", timeout=30)
        self.stats = json.loads(out.strip().splitlines()[-1])


# -- running whole processes in a pseudo-terminal -----------------------------------------


@dataclass
class Run:
    seconds: float
    max_rss_kb: int
    cpu_seconds: float
    output: bytes
    #: When the first whole screen reached the terminal: the moment its bottom row was
    #: drawn (Textual draws a frame top to bottom in one write), None if it never was.
    painted: float | None = None


def run_pty(
    cmd: Sequence[str],
    env: dict[str, str],
    *,
    cols: int = 120,
    rows: int = 40,
    timeout: float = 60.0,
    keys: Sequence[tuple[float, bytes]] = (),
    sample_cpu: tuple[float, float] | None = None,
) -> Run:
    """Run ``cmd`` on a pseudo-terminal; return wall time, peak RSS and CPU (optionally in a window)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), **env}
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    stop = threading.Event()
    bottom_row = b"\x1b[%d;1H" % rows  # the cursor moved to the last row: a frame is being finished
    painted: list[float] = []
    seen = bytearray()

    def drain() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return
                if not data:
                    return
                chunks.append(data)
                if not painted:
                    tail = len(seen)
                    seen.extend(data)
                    if bottom_row in seen[max(0, tail - len(bottom_row)) :]:
                        painted.append(time.perf_counter() - start)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    cpu_window: list[float] = []
    pending = sorted(keys)
    sample_at = list(sample_cpu) if sample_cpu else []
    status = None
    while status is None:
        elapsed = time.perf_counter() - start
        while pending and elapsed >= pending[0][0]:
            with contextlib.suppress(OSError):
                os.write(master, pending.pop(0)[1])
        while sample_at and elapsed >= sample_at[0]:
            sample_at.pop(0)
            cpu_window.append(_proc_cpu(proc.pid))
        pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status = wait_status
            break
        if elapsed > timeout:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise RuntimeError(f"{cmd} did not finish in {timeout} s")
        time.sleep(0.002)
    seconds = time.perf_counter() - start
    stop.set()
    reader.join(1)
    os.close(master)
    cpu = usage.ru_utime + usage.ru_stime
    if len(cpu_window) == 2:
        cpu = cpu_window[1] - cpu_window[0]
    return Run(seconds, usage.ru_maxrss, cpu, b"".join(chunks), painted[0] if painted else None)


def _proc_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and every process under it (the dashboard's live reads run
    in a child process, started by one of its threads: every thread's children are
    walked; a child that ended is in its parent's cutime/cstime)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            # utime + stime, and cutime + cstime: children that ended (and were waited for) count too
            total += sum(int(f) for f in fields[11:15]) / ticks
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    pending.extend(int(child) for child in fh.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
    return total


def median_of(times: list[float]) -> float:
    return statistics.median(times)


# -- targets ----------------------------------------------------------------------------


def target_startup(store: Path, key: str, repeats: int) -> tuple[list[Result], dict[str, float]]:
    """Time to the first whole screen, seen from the terminal, against a minimal Textual app.

    Measured when the bottom row of the first frame reaches the pseudo-terminal, for both:
    what the user waits for. The whole process (until it exits right after that paint,
    with the rest of the listing and the live reads already started behind it) is
    reported beside it.
    """
    floor, ours, floor_exit, ours_exit = [], [], [], []
    # What a user gets from the second start on: bytecode written on the first run and read
    # after, for both sides (an empty PYTHONDONTWRITEBYTECODE is unset, as Python reads it).
    # Where it is set, as in some CI images, every start would compile all of Textual and
    # cwdash from source and the ratio would measure the compiler, not the start-up.
    cached = {"PYTHONDONTWRITEBYTECODE": ""}
    with Gateway(0.02) as bridge:  # configured as on a server: the live source is set up at start
        env = {
            **cached,
            "CWDASH_DB": str(store),
            "CWDASH_KEY": key,
            "CWDASH_EXIT_AFTER": "paint",
            "BRIDGE_URL": bridge.url,
            "BRIDGE_TOKEN": TOKEN,
        }
        run_pty([PYTHON, str(ROOT / "bench" / "floor_app.py")], cached)  # warm-up: bytecode written
        run_pty([CWDASH], env)
        for _ in range(repeats):  # interleaved, so drifts in machine load hit both alike
            run = run_pty([PYTHON, str(ROOT / "bench" / "floor_app.py")], cached)
            floor.append(run.painted or run.seconds)
            floor_exit.append(run.seconds)
            run = run_pty([CWDASH], env)
            ours.append(run.painted or run.seconds)
            ours_exit.append(run.seconds)
    f, o = median_of(floor), median_of(ours)
    ratios = sorted(a / b for a, b in zip(ours, floor, strict=True))
    whole = median_of(ours_exit) / median_of(floor_exit)
    detail = (
        f"({o * 1000:.0f} ms vs {f * 1000:.0f} ms; {len(ratios)} runs, ratios {ratios[0]:.2f}-{ratios[-1]:.2f};"
        f" to exit {whole:.2f}x; bytecode cached on both sides)"
    )
    return (
        [  # one measurement, two limits: issue 12's, and issue 16's second round
            Result(
                "1 start-up to first paint, 100k instances, vs minimal Textual app", o / f, 1.3, "x", detail
            ),
            Result("1 start-up to first paint, the same runs, issue 16's limit", o / f, 1.15, "x"),
        ],
        {
            "startup_floor_ms": f * 1000,
            "startup_ms": o * 1000,
            "startup_ratio_min": ratios[0],
            "startup_ratio_max": ratios[-1],
            "startup_exit_ratio": whole,
        },
    )


def target_memory(store: Path, key: str) -> tuple[Result, dict[str, float]]:
    env = {"CWDASH_DB": str(store), "CWDASH_KEY": key, "CWDASH_EXIT_AFTER": "loaded"}
    run = run_pty([CWDASH], env, timeout=120)
    mb = run.max_rss_kb / 1024
    return Result("2 peak RSS, 100k instances loaded", mb, 100, " MB"), {"peak_rss_mb": mb}


def target_headless(store: Path, key: str, repeats: int) -> tuple[Result, dict[str, float]]:
    with Gateway(0.02) as bridge:
        env = {
            **os.environ,
            "CWDASH_DB": str(store),
            "CWDASH_KEY": key,
            "BRIDGE_URL": bridge.url,
            "BRIDGE_TOKEN": TOKEN,
        }
        floor, ours = [], []
        name = demo.demo_names(1)[0]
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run([PYTHON, str(ROOT / "bench" / "floor_headless.py")], env=env, check=True)
            floor.append(time.perf_counter() - t)
            t = time.perf_counter()
            done = subprocess.run([CWDASH, "status", name, "--json"], env=env, capture_output=True)
            ours.append(time.perf_counter() - t)
            if done.returncode != 0:
                raise RuntimeError(done.stderr.decode())
    f, o = median_of(floor), median_of(ours)
    return (
        Result(
            "3 `status --json`, 100k store, 20 ms gateway, vs import floor",
            o / f,
            1.3,
            "x",
            f"({o * 1000:.0f} ms vs {f * 1000:.0f} ms)",
        ),
        {"status_floor_ms": f * 1000, "status_ms": o * 1000},
    )


async def _fleet_round(
    store_path: Path, key: str, settings: RefreshSettings, latency: float
) -> dict[str, float]:
    with Gateway(latency) as bridge:
        store = Store.open(store_path)
        names = store.instance_names()
        source = BridgeSource(bridge.url, TOKEN, timeout=10, max_connections=settings.concurrency)
        model = ReadModel(store, Sealer(parse_key(key)), source)
        done = asyncio.Event()
        count = 0

        def on_result(name: str, result: object) -> None:
            nonlocal count
            count += 1
            if count >= len(names):
                done.set()

        scheduler = RefreshScheduler(model.status, on_result, settings)
        scheduler.set_names(names)
        start = time.perf_counter()
        runner = asyncio.create_task(scheduler.run())
        await done.wait()
        elapsed = time.perf_counter() - start
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await model.aclose()
        store.close()
    return {
        "n": len(names),
        "seconds": elapsed,
        "max_in_flight": bridge.stats["max_in_flight"],
        "max_per_second": bridge.stats["max_per_second"],
    }


def target_round(store: Path, key: str, size: int) -> tuple[list[Result], dict[str, float]]:
    latency = 0.02
    settings = RefreshSettings(concurrency=16, rate=400.0, round_every=0)
    got = asyncio.run(_fleet_round(store, key, settings, latency))
    ideal = max(got["n"] / settings.rate, got["n"] * latency / settings.concurrency)
    results = [
        Result(
            f"4 fleet round, {size:,} instances, 20 ms gateway, vs ideal",
            got["seconds"] / ideal,
            1.15,
            "x",
            f"({got['seconds']:.1f} s vs ideal {ideal:.1f} s; concurrency {settings.concurrency}, rate {settings.rate:g}/s)",
        ),
        Result(
            "4 max requests in flight seen by the gateway", got["max_in_flight"], settings.concurrency, ""
        ),
        Result("4 max requests in one second seen by the gateway", got["max_per_second"], settings.rate, ""),
    ]
    return results, {f"round_{k}": v for k, v in got.items()}


class PaintClock:
    """Times from a key event to the first screen update that shows its effect.

    Keys are sent straight to the app's driver, as a terminal would, without Pilot's
    wait-for-idle (the app is never idle during a live round, so that wait would
    measure the round, not the repaint). Every screen update the app composes is
    stamped with the state it showed.
    """

    def __init__(self, app: object, state: Callable[[], object]) -> None:
        self.app = app
        self.state = state
        self.paints: list[tuple[float, object]] = []
        self._waiting: tuple[Callable[[object], bool], asyncio.Future[float]] | None = None
        original = app._display  # type: ignore[attr-defined]

        def display(screen: object, renderable: object) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            at, state = time.perf_counter(), self.state()
            self.paints.append((at, state))
            waiting = self._waiting
            if waiting is not None and not waiting[1].done() and waiting[0](state):
                waiting[1].set_result(at)

        app._display = display  # type: ignore[attr-defined]

    async def press(self, key: str, char: str | None, expect: Callable[[object], bool]) -> float:
        """Send a key and wait for the paint showing its effect. The wait is a future
        the paint resolves, not a polling loop: a poll on the app's own event loop
        would compete with the app for that loop (and the GIL) and slow what it measures."""
        from textual import events

        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting = (expect, future)
        start = time.perf_counter()
        event = events.Key(key, char)
        event.set_sender(self.app)  # type: ignore[arg-type]
        self.app._driver.send_message(event)  # type: ignore[attr-defined]
        try:
            at = await asyncio.wait_for(future, 10)
        except TimeoutError:
            raise TimeoutError(f"no repaint showing {expect!r} after {key!r}") from None
        finally:
            self._waiting = None
        return at - start


async def _responsiveness(
    small: Path, small_key: str, big: Path, big_key: str, *, history: bool = True
) -> dict[str, float]:
    from cwdash.tui.app import CwdashApp
    from cwdash.tui.table import FleetTable

    latencies: list[float] = []
    with Gateway(0.02) as bridge:
        store = Store.open(small)
        config = Config(
            db_path=small,
            key_text=small_key,
            bridge_url=bridge.url,
            bridge_token=TOKEN,
            concurrency=16,
            rate=400,
            round_every=0,
            # history on as by default (every result observed), or off for the comparison
            history_env=() if history else (("CWDASH_HISTORY_DAYS", "0"),),
        )
        # wired as `cwdash` wires it: the bridge made from the configuration, so the reads
        # run where the dashboard runs them (a child process; CWDASH_LIVE_READS=thread: a thread)
        model = ReadModel.from_config(config, store)
        app = CwdashApp(
            config, store, model, settings=RefreshSettings(concurrency=16, rate=400, round_every=0)
        )
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                if app.dashboard.loaded:
                    break
                await pilot.pause(0.05)
            table = app.query_one(FleetTable)
            clock = PaintClock(app, lambda: (table.cursor, app.dashboard.fleet.filter_text))
            for i in range(200):
                key = "j" if i % 40 < 20 else "k"
                want = table.cursor + (1 if key == "j" else -1)
                latencies.append(await clock.press(key, key, lambda st, w=want: st[0] == w))  # type: ignore[index]
                await asyncio.sleep(0.03)  # a fast typist, not a stuck key
            await pilot.press("slash")
            await asyncio.sleep(0.2)
            typed = ""
            for ch in "vendas-12":
                typed += ch
                done = lambda st, t=typed: st[1] == t  # type: ignore[index]  # noqa: E731
                latencies.append(await clock.press("minus" if ch == "-" else ch, ch, done))
                await asyncio.sleep(0.03)
    reads = type(app.dashboard.feed).__name__
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    if not history:  # the comparison run: the keys only
        return {"keys_p99_ms": p99 * 1000, "keys_median_ms": statistics.median(latencies) * 1000}

    filter_times: list[float] = []
    store = Store.open(big)
    config = Config(db_path=big, key_text=big_key)
    model = ReadModel(store, Sealer(parse_key(big_key)), None)
    app = CwdashApp(config, store, model)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):
            if app.dashboard.loaded:
                break
            await pilot.pause(0.05)
        await pilot.press("slash")
        await pilot.pause(0.2)
        clock = PaintClock(app, lambda: app.dashboard.fleet.filter_text)
        typed = ""
        for ch in "vendas-77":
            typed += ch
            done = lambda st, t=typed: st == t  # noqa: E731
            filter_times.append(await clock.press("minus" if ch == "-" else ch, ch, done))
            await asyncio.sleep(0.05)
        shown = len(app.query_one(FleetTable).fleet.view)
    return {
        "keys_p99_ms": p99 * 1000,
        "keys_median_ms": statistics.median(latencies) * 1000,
        "keys_reads_in_a_process": float(reads == "ProcessFeed"),
        "filter_100k_max_ms": max(filter_times) * 1000,
        "filter_shown": shown,
    }


def target_responsive(
    small: Path, small_key: str, big: Path, big_key: str, size: int
) -> tuple[list[Result], dict[str, float]]:
    got = asyncio.run(_responsiveness(small, small_key, big, big_key))
    # the same round with history off (issue 14: history must not slow key presses)
    without = asyncio.run(_responsiveness(small, small_key, big, big_key, history=False))
    got["keys_p99_no_history_ms"] = without["keys_p99_ms"]
    return [
        Result(
            f"5 key to repaint p99 during a live round ({size:,} instances)",
            got["keys_p99_ms"],
            20,
            " ms",
            f"(with history off: {without['keys_p99_ms']:.1f} ms)",
        ),
        Result("5 filter 100k rows, slowest keystroke to repaint", got["filter_100k_max_ms"], 100, " ms"),
    ], got


def target_idle(store_1k: Path, key: str, seconds: float) -> tuple[list[Result], dict[str, float]]:
    out: dict[str, float] = {}
    results = []
    with Gateway(0.02) as bridge:
        env = {"CWDASH_DB": str(store_1k), "CWDASH_KEY": key, "BRIDGE_URL": bridge.url, "BRIDGE_TOKEN": TOKEN}
        warm = 4.0
        paused = run_pty(
            [CWDASH],
            env,
            keys=[(2.0, b"p"), (warm + seconds + 0.5, b"q")],
            sample_cpu=(warm, warm + seconds),
            timeout=seconds + 30,
        )
        busy = run_pty(
            [CWDASH],
            env,
            keys=[(warm + seconds + 0.5, b"q")],
            sample_cpu=(warm, warm + seconds),
            timeout=seconds + 30,
        )
    out["idle_paused_pct"] = paused.cpu_seconds / seconds * 100
    out["idle_default_pct"] = busy.cpu_seconds / seconds * 100
    results.append(Result(f"6 CPU with refresh paused, over {seconds:g} s", out["idle_paused_pct"], 0.3, "%"))
    results.append(
        Result(
            f"6 CPU at default settings, 1k instances, healthy gateway, over {seconds:g} s",
            out["idle_default_pct"],
            2.5,
            "%",
        )
    )
    return results, out


def target_sync(quick: bool) -> tuple[list[Result], dict[str, float]]:
    """Sync from the simulated RyzeAPI server: see bench/sync_bench.py."""
    from bench import sync_bench

    got, figures = sync_bench.run(quick)
    return [Result(name, measured, target, unit) for name, measured, target, unit in got], figures


def target_dash_ryze(store: Path, key: str, quick: bool) -> tuple[list[Result], dict[str, float]]:
    """The dashboard on RyzeAPI's own API: see bench/dash_ryze_bench.py."""
    from bench import dash_ryze_bench

    got, figures = dash_ryze_bench.run(store, key, quick)
    return [Result(name, measured, target, unit) for name, measured, target, unit in got], figures


def target_history(quick: bool) -> tuple[list[Result], dict[str, float]]:
    """History under a flapping 100k fleet: see bench/history_bench.py."""
    from bench import history_bench

    got, figures = history_bench.run(quick)
    return [Result(name, measured, target, unit) for name, measured, target, unit in got], figures


def target_check(store: Path, key: str, small: Path, small_key: str) -> tuple[list[Result], dict[str, float]]:
    """`cwdash check` over a fleet against a 20 ms gateway: wall time against the ideal set
    by concurrency and rate, and its peak memory against the same run on a tenth of it.

    Run on copies of the stores: a check records history, and the bench's stores are shared
    by every step."""
    import shutil
    import tempfile

    settings = RefreshSettings(concurrency=16, rate=400.0, round_every=0)
    runs: dict[str, tuple[float, float]] = {}  # (seconds, peak RSS in MB)
    with tempfile.TemporaryDirectory(prefix="cwdash-bench-check-") as tmp, Gateway(0.02) as bridge:
        for label, path, k in (("small", small, small_key), ("big", store, key)):
            copy = Path(tmp) / f"{label}.db"
            shutil.copyfile(path, copy)
            env = {
                **os.environ,
                "CWDASH_DB": str(copy),
                "CWDASH_KEY": k,
                "BRIDGE_URL": bridge.url,
                "BRIDGE_TOKEN": TOKEN,
                "CWDASH_CONCURRENCY": str(settings.concurrency),
                "CWDASH_RATE": str(settings.rate),
            }
            # through bench/maxrss.py: the figure is the command's own peak (see there)
            launcher = ROOT / "bench" / "maxrss.py"
            done = subprocess.run(
                [PYTHON, str(launcher), CWDASH, "check", "-q"], env=env, capture_output=True, text=True
            )
            got = json.loads(done.stdout.strip().splitlines()[-1])
            if got["code"] not in (0, 1, 2):  # 3, UNKNOWN: the check did not run, its time means nothing
                raise RuntimeError(f"cwdash check ended {got['code']}: {got['stderr']}")
            runs[label] = (got["seconds"], got["rss_mb"])
    seconds = runs["big"][0]
    n = instance_count(store)
    ideal = max(n / settings.rate, n * 0.02 / settings.concurrency)
    small_rss, big_rss = runs["small"][1], runs["big"][1]
    return (
        [
            Result(
                f"check over {n:,} instances, 20 ms gateway, vs ideal",
                seconds / ideal,
                1.15,
                "x",
                f"({seconds:.1f} s vs ideal {ideal:.1f} s)",
            ),
            Result(
                f"check peak RSS, {n:,} vs {instance_count(small):,} instances (flat: the difference)",
                big_rss - small_rss,
                15,
                " MB",
                f"({big_rss:.0f} MB vs {small_rss:.0f} MB)",
            ),
        ],
        {
            "check_seconds": seconds,
            "check_ideal_seconds": ideal,
            "check_rss_mb": big_rss,
            "check_rss_small_mb": small_rss,
        },
    )


def target_million(quick: bool) -> tuple[list[Result], dict[str, float]]:
    """Four sites of 250k instances in one dashboard: see bench/million.py."""
    from bench import million

    got, figures = million.run(sys.modules[__name__], quick)
    return [Result(*row) for row in got], figures


def instance_count(path: Path) -> int:
    store = Store.open(path)
    try:
        return store.instance_count()
    finally:
        store.close()


def target_list_stream(big: Path, big_key: str, repeats: int) -> tuple[list[Result], dict[str, float]]:
    """`cwdash list --json` streamed: see bench/list_bench.py."""
    from bench import list_bench

    small, small_key = build_store(10_000)
    got, figures = list_bench.run(CWDASH, big, big_key, small, small_key, repeats)
    return [Result(name, measured, target, unit) for name, measured, target, unit in got], figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset, in under a minute")
    parser.add_argument(
        "--only",
        action="append",
        metavar="STEP",
        help="run only this step (start-up, memory, headless, round, responsiveness, idle, sync, "
        "dashboard on RyzeAPI, history, list stream, check, million); repeatable",
    )
    parser.add_argument("--build-store", type=int, metavar="SIZE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_store:
        _build_store_here(args.build_store)
        return 0
    repeats = 3 if args.quick else 7
    round_size = 2_000 if args.quick else 10_000
    idle_seconds = 5.0 if args.quick else 60.0
    if not args.only or any(o not in ("sync", "history") for o in args.only):
        print(f"building stores in {CACHE} (cached between runs)…", flush=True)
        s1k, k1k = build_store(1_000)
        sround, kround = build_store(round_size)
        s100k, k100k = build_store(100_000)
    results: list[Result] = []
    figures: dict[str, float] = {}
    steps = [
        ("start-up", lambda: target_startup(s100k, k100k, repeats)),
        ("memory", lambda: target_memory(s100k, k100k)),
        ("headless status", lambda: target_headless(s100k, k100k, repeats)),
        ("fleet round", lambda: target_round(sround, kround, round_size)),
        ("responsiveness", lambda: target_responsive(sround, kround, s100k, k100k, round_size)),
        ("idle", lambda: target_idle(s1k, k1k, idle_seconds)),
        ("sync", lambda: target_sync(args.quick)),
        ("dashboard on RyzeAPI", lambda: target_dash_ryze(s1k, k1k, args.quick)),
        ("history", lambda: target_history(args.quick)),
        ("list stream", lambda: target_list_stream(s100k, k100k, 3)),
        ("check", lambda: target_check(sround, kround, s1k, k1k)),
        ("million", lambda: target_million(args.quick)),
    ]
    for label, step in steps:
        if args.only and not any(label.startswith(o) or o in label for o in args.only):
            continue
        if label == "million" and args.quick and not args.only:
            continue  # minutes of loading: past --quick's budget (run it with --only million)
        print(f"measuring {label}…", flush=True)
        got, more = step()
        results.extend(got if isinstance(got, list) else [got])
        figures.update(more)
    print()
    print("| figure | value |")
    print("|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value:.1f} |")
    print()
    for result in results:
        print(result.line())
    failed = sum(not r.passed for r in results)
    print(f"\n{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        sys.exit(main())
