"""The live reads' child process (store/livechild.py) against a real stand-in bridge on
127.0.0.1: its results are the thread's, pause stops its reads, it ends with its parent,
and no secret is in its command line or environment. Waits have limits that only stop a
broken test from hanging; nothing asserts how fast anything happened."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cwdash.store.config import Config
from cwdash.store.db import Store
from cwdash.store.fleetrow import rows_from_listing
from cwdash.store.livechild import LiveChild, Setup, child_config, decode, target_of
from cwdash.store.readmodel import NO_INTEGRATION, LiveResult, StatusRead
from cwdash.store.refresh import RefreshSettings
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import Reply, live
from cwdash.store.sources.outcome import LiveFailure, LiveState, Reason

BRIDGE_TOKEN = "bridge-secret"  # the bridge fixture's (tests/conftest.py)
SEED_TOKEN = "sk_live_abc123..."  # the store fixture's suporte
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

ROUTES = {
    "int_xyz789abc": live("error", "chatwoot: 401", inbox_id=42),
    "int_fresh": live("active", "", inbox_id=77),
}
LIMIT = 30.0  # seconds: only stops a broken test from hanging


def config_for(db_path: Path, url: str, key: str) -> Config:
    return Config(db_path=db_path, key_text=key, bridge_url=url, bridge_token=BRIDGE_TOKEN, live_timeout=2.0)


def start(config: Config, **settings: float) -> LiveChild:
    every = RefreshSettings(concurrency=4, rate=200.0, round_every=0.0, **settings)  # type: ignore[arg-type]
    return LiveChild(Setup(child_config(config), every, 0.02, logging.INFO))


def give_fleet(child: LiveChild, store: Store) -> list[str]:
    rows = list(rows_from_listing(store.iter_list()))
    child.send(("rows", [target_of(r) for r in rows]))
    child.send(("names", [r.name for r in rows]))
    return [r.name for r in rows]


def receive(child: LiveChild, until: object) -> list[tuple[object, ...]]:
    """Messages until one equals ``until`` (or, for a set of names, until each has a result)."""
    seen: list[tuple[object, ...]] = []
    waiting = set(until) if isinstance(until, set) else None
    while True:
        assert child.conn.poll(LIMIT), f"no message from the child; waiting for {until!r}"
        message = child.recv()
        seen.append(message)
        if waiting is not None and message[0] == "results":
            waiting -= {name for name, _ in message[1]}  # type: ignore[attr-defined]
            if not waiting:
                return seen
        elif message == until:
            return seen


def end(child: LiveChild) -> None:
    """Close the socket and wait for the child to end by itself: the product's close() kills a
    child still running after 5 s, which a loaded machine could turn into a false failure."""
    child.conn.close()
    child.proc.wait(LIMIT)


def results(messages: list[tuple[object, ...]]) -> dict[str, object]:
    """Each name's first result (rounds follow each other at once: later reads follow)."""
    first: dict[str, object] = {}
    for message in messages:
        if message[0] == "results":
            for name, result in message[1]:  # type: ignore[attr-defined]
                first.setdefault(name, result)
    return first


def test_results_arrive_as_the_thread_would_make_them(
    store: Store, sealer: Sealer, key: str, db_path: Path, bridge
) -> None:
    sim = bridge(ROUTES)
    child = start(config_for(db_path, sim.url, key))
    try:
        child.send(("select", "suporte"))  # the selected row: the whole read, first
        names = give_fleet(child, store)
        got = results(receive(child, set(names)))
    finally:
        end(child)
    assert child.proc.returncode == 0
    assert got["bare"] == NO_INTEGRATION
    # a background read: the live state, and the inbox id the bridge filled in, written to the store
    assert got["fresh"] == LiveResult(LiveState("active", "", 77), 77, backfilled=True)
    assert store.integration("fresh", sealer).chatwoot_inbox_id == 77
    # the selected row's whole document crosses with its token sealed and no key...
    whole = got["suporte"]
    assert isinstance(whole, StatusRead) and whole.source == "live"
    assert whole.document.status == "error" and whole.document.last_error == "chatwoot: 401"
    assert whole.document.chatwoot_api_token.sealer is None
    # ...and the one decoder gives it the screen's key
    decoded = decode(whole, sealer, None)
    assert isinstance(decoded, StatusRead)
    assert decoded.document.chatwoot_api_token.open().reveal() == SEED_TOKEN


def test_a_failure_crosses_with_its_own_wording(store: Store, key: str, db_path: Path, bridge) -> None:
    sim = bridge({"int_xyz789abc": Reply(status=500, body={"error": "boom"})})
    child = start(config_for(db_path, sim.url, key))
    try:
        give_fleet(child, store)
        got = results(receive(child, {"suporte"}))
    finally:
        child.close()
    failure = got["suporte"].outcome  # type: ignore[attr-defined]
    assert isinstance(failure, LiveFailure) and failure.reason is Reason.HTTP_ERROR
    # the same wording object as here: failures of both processes compare equal
    from cwdash.store.sources.outcome import BRIDGE_WORDING

    assert failure.wording is BRIDGE_WORDING


def test_pause_stops_the_reads_and_resume_starts_them(store: Store, key: str, db_path: Path, bridge) -> None:
    sim = bridge(ROUTES)
    child = start(config_for(db_path, sim.url, key), selected_every=0.05, visible_every=0.05)
    try:
        child.send(("pause", True))
        names = give_fleet(child, store)
        child.send(("select", "suporte"))
        child.send(("refresh",))  # everything due at once: still nothing while paused
        child.send(("ping", 1))
        receive(child, ("pong", 1))
        time.sleep(0.5)  # a window in which an unpaused child reads every row many times
        child.send(("ping", 2))
        messages = receive(child, ("pong", 2))
        assert sim.stats.total == 0 and results(messages) == {}
        child.send(("pause", False))
        got = results(receive(child, set(names)))
        assert set(got) == set(names) and sim.stats.total >= 2
    finally:
        child.close()


def test_the_child_ends_when_its_parent_dies(
    store: Store, key: str, db_path: Path, bridge, tmp_path: Path
) -> None:
    sim = bridge(ROUTES)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    )
    assert parent.stdin is not None and parent.stdout is not None
    parent.stdin.write(f"{db_path}\n{sim.url}\n{key}\n")
    parent.stdin.flush()
    child_pid = int(parent.stdout.readline())
    assert ended(child_pid) is False
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + LIMIT
    while not ended(child_pid):
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.02)


PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from test_livechild import config_for, give_fleet, start
    from cwdash.store.db import Store

    db, url, key = (sys.stdin.readline().strip() for _ in range(3))
    child = start(config_for(Path(db), url, key))
    give_fleet(child, Store.open(Path(db)))
    assert child.recv() == ("ready",)
    print(child.proc.pid, flush=True)
    time.sleep(600)
    """
)


def ended(pid: int) -> bool:
    """Gone, or a zombie nobody reaped yet (it has exited either way)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_no_secret_in_the_childs_command_line_or_environment(
    store: Store, key: str, db_path: Path, bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = bridge(ROUTES)
    # as a user's shell may have them: the child inherits none of these
    monkeypatch.setenv("CWDASH_KEY", key)
    monkeypatch.setenv("BRIDGE_TOKEN", BRIDGE_TOKEN)
    monkeypatch.setenv("BRIDGE_URL", sim.url)
    child = start(config_for(db_path, sim.url, key))
    try:
        assert child.recv() == ("ready",)  # configured (over the socket) and running
        with open(f"/proc/{child.proc.pid}/cmdline", "rb") as fh:
            argv = fh.read().decode()
        with open(f"/proc/{child.proc.pid}/environ", "rb") as fh:
            environ = fh.read().decode(errors="replace")
    finally:
        child.close()
    for secret in (BRIDGE_TOKEN, key):
        assert secret not in argv and secret not in environ
    assert "cwdash.store.livechild" in argv


def test_the_key_never_crosses_to_the_child(key: str, db_path: Path) -> None:
    config = child_config(config_for(db_path, "http://127.0.0.1:9", key))
    assert config.key_text is None and config.next_key_text is None and config.ryzeapi_token is None
    assert config.bridge_token == BRIDGE_TOKEN  # the one secret its reads need
