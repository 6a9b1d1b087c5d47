"""The gateway fault matrix, through the read model and the CLI, against the real stand-in.

For every way the integration gateway can fail, a read must: name the fault's distinct
reason, stand in with the local document (``status --json`` exit 0, the reason on
stderr), write nothing to the store, and recover on the next read once the gateway
answers well again. ``tests/test_live.py`` covers the live read alone; these go through
:class:`cwdash.store.readmodel.ReadModel` and ``cwdash status`` and look at the store.

Only 127.0.0.1 is ever contacted: the unresolvable host is a patched resolver.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from storekit import rows as all_rows

from cwdash.store.config import load_config
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel, ReadResult, StatusRead
from cwdash.store.simbridge import Reply, SimBridge, live, self_signed_context
from cwdash.store.sources.httpread import MAX_BODY
from cwdash.store.sources.outcome import LiveFailure, Reason

# The "fresh" instance of the shared store: paused, a stale local error, inbox 0 (so a
# healthy answer carrying an inbox id would be backfilled: any write shows in the rows).
NAME = "fresh"
IDENT = "int_fresh"
HEALTHY = live("error", "Chatwoot answered 401", inbox_id=64)
SLOW_BUDGET = 1.0  # seconds, for the faults that wait the budget out (loopback answers take ms)


def rows(db_path: Path) -> dict[str, list[tuple]]:
    """The store's rows but the token audit: `status --json` records each printed token there."""
    return all_rows(db_path, skip=("token_audit", "history", "history_state"))  # a read records history


class Gateway:
    """A stand-in whose answer for ``int_fresh`` can be switched between reads."""

    def __init__(self, start: Callable[..., SimBridge], reply: Reply, **kwargs: object) -> None:
        self.reply = reply
        self.sim = start(self.route, **kwargs)

    def route(self, ident: str) -> Reply:
        if ident != IDENT:
            return Reply(status=404, body={"error": "unknown integration"})
        return self.reply


def read_model_twice(db_path: Path, heal: Callable[[], None]) -> tuple[ReadResult, dict, ReadResult]:
    """One read model (one HTTP client): a read, the store's rows, ``heal()``, another read."""

    async def go() -> tuple[ReadResult, dict, ReadResult]:
        store = Store.open(db_path)
        model = ReadModel.from_config(load_config(None), store)
        try:
            first = await model.status(NAME)
            between = rows(db_path)
            heal()
            second = await model.status(NAME)
            return first, between, second
        finally:
            await model.aclose()
            store.close()

    return asyncio.run(go())


def check_fault_and_recovery(
    cli: Callable, db_path: Path, reason: Reason, detail: str, heal: Callable[[], None]
) -> None:
    """The whole contract for one fault; ``heal()`` makes the gateway answer well again."""
    local = cli("status", NAME, "--json", "--local").json()
    before = rows(db_path)

    # CLI, JSON: the local document, exit 0, the reason on stderr.
    run = cli("status", NAME, "--json")
    assert run.code == 0, run.err
    assert run.json() == local
    assert "live read failed, showing local status" in run.err
    assert reason.title in run.err and detail in run.err and reason.hint in run.err
    assert "Traceback" not in run.err
    # CLI, plain: says where the values came from and why.
    plain = cli("status", NAME)
    assert plain.code == 0, plain.err
    assert f"PAUSED  [local — {reason.title}]" in plain.out
    assert "stale local error" in plain.out
    assert rows(db_path) == before

    # Read model: the same fault as a value, then recovery on the same client.
    first, between, second = read_model_twice(db_path, heal)
    assert isinstance(first, StatusRead)
    assert first.source == "local"
    assert isinstance(first.failure, LiveFailure)
    assert first.failure.reason is reason
    assert detail in first.failure.detail
    assert first.document.as_json() == local
    assert not first.backfilled and first.backfill_error is None
    assert between == before  # nothing written by the failed read

    assert isinstance(second, StatusRead)
    assert second.source == "live" and second.failure is None
    assert second.document.status == "error"
    assert second.document.last_error == "Chatwoot answered 401"
    assert second.document.chatwoot_inbox_id == 64
    assert second.backfilled  # the healthy answer's inbox id was written, and only that
    after = rows(db_path)
    changed = [r for r in after["chatwoot_integrations"] if r not in before["chatwoot_integrations"]]
    assert len(changed) == 1 and changed[0][0] == NAME
    assert after["instances"] == before["instances"]

    # And the CLI's next read is live again, with nothing on stderr.
    again = cli("status", NAME, "--json")
    assert again.code == 0 and again.err == ""
    assert again.json() == {
        **local,
        "status": "error",
        "last_error": "Chatwoot answered 401",
        "chatwoot_inbox_id": 64,
    }


@dataclass(frozen=True)
class Fault:
    id: str
    reply: Reply
    reason: Reason
    detail: str
    budget: float = 5.0


FAULTS = [
    Fault("never-answers", Reply(hang=True), Reason.TIMEOUT, f"within {SLOW_BUDGET:g} s", SLOW_BUDGET),
    # Headers at once, then one byte every 50 ms: each byte is far inside any per-chunk
    # timeout, the whole body (47 bytes, about 2.4 s) is not inside the overall budget.
    Fault(
        "dripping-body",
        Reply(body={"status": "active", "last_error": "x" * 30}, drip=0.05),
        Reason.TIMEOUT,
        f"no complete answer within {SLOW_BUDGET:g} s",
        SLOW_BUDGET,
    ),
    Fault("connection-reset", Reply(reset=True), Reason.UNREACHABLE, "connection reset"),
    Fault("401", Reply(status=401, body={"error": "unauthorized"}), Reason.UNAUTHORIZED, "HTTP 401"),
    Fault("403", Reply(status=403, body={"error": "forbidden"}), Reason.UNAUTHORIZED, "HTTP 403"),
    Fault("404", Reply(status=404, body={"error": "unknown"}), Reason.NOT_FOUND, "HTTP 404"),
    Fault("429", Reply(status=429, body={}), Reason.HTTP_ERROR, "HTTP 429 Too Many Requests"),
    Fault(
        "500", Reply(status=500, body={"error": "boom"}), Reason.HTTP_ERROR, "HTTP 500 Internal Server Error"
    ),
    Fault(
        "502",
        Reply(status=502, body="<html>bad gateway</html>", content_type="text/html"),
        Reason.HTTP_ERROR,
        "HTTP 502 Bad Gateway",
    ),
    Fault(
        "503", Reply(status=503, body={"error": "down"}), Reason.HTTP_ERROR, "HTTP 503 Service Unavailable"
    ),
    Fault(
        "html-not-json",
        Reply(body="<html><body>Please log in</body></html>", content_type="text/html"),
        Reason.BAD_ANSWER,
        "not JSON",
    ),
    Fault(
        "json-list", Reply(body=[{"status": "active"}]), Reason.BAD_ANSWER, "expected a JSON object, got list"
    ),
    Fault("json-string", Reply(body="active"), Reason.BAD_ANSWER, "expected a JSON object, got str"),
    Fault(
        "unknown-status",
        Reply(body={"status": "exploded", "last_error": ""}),
        Reason.BAD_ANSWER,
        "unknown status 'exploded'",
    ),
    # Valid JSON, well under the size cap, nested past the decoder's recursion limit.
    Fault(
        "deeply-nested-json",
        Reply(body=b"[" * 200_000 + b"]" * 200_000),
        Reason.BAD_ANSWER,
        "JSON nested too deeply",
    ),
    # A well-formed, otherwise valid answer that is simply too big: the size alone refuses it.
    Fault(
        "over-1-MiB",
        Reply(body={"status": "active", "last_error": "x" * MAX_BODY, "inbox_id": 64}),
        Reason.BAD_ANSWER,
        f"larger than {MAX_BODY // 1024} KiB",
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_answer_faults(cli, store, configure, bridge, db_path: Path, fault: Fault) -> None:
    gateway = Gateway(bridge, fault.reply)
    configure(gateway.sim, timeout=fault.budget)

    def heal() -> None:
        gateway.reply = HEALTHY

    check_fault_and_recovery(cli, db_path, fault.reason, fault.detail, heal)
    assert gateway.sim.stats.total >= 4  # every read did reach the stand-in


def test_drip_is_cut_by_the_overall_budget_not_a_per_chunk_timeout(cli, store, configure, bridge) -> None:
    """The body had started: the read was cut mid-body by the one overall budget."""
    gateway = Gateway(bridge, Reply(body={"status": "active", "last_error": "x" * 30}, drip=0.05))
    configure(gateway.sim, timeout=SLOW_BUDGET)
    run = cli("status", NAME, "--json")
    assert run.code == 0
    # httpx's own per-read timeout would be reported as "no answer in time"
    assert f"bridge timed out: no complete answer within {SLOW_BUDGET:g} s" in run.err
    assert "no answer in time" not in run.err
    assert gateway.sim.stats.total == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_on(port: int, start: Callable[..., SimBridge], router: Callable[[str], Reply]) -> SimBridge:
    """A stand-in bound to a given port: the gateway coming back where it was."""
    real = asyncio.start_server

    async def on_port(handler, host, _port, **kwargs):  # type: ignore[no-untyped-def]
        return await real(handler, host, port, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncio, "start_server", on_port)
        sim = start(router)
    assert sim.port == port
    return sim


def test_connection_refused(cli, store, configure, bridge, db_path: Path) -> None:
    port = free_port()  # nothing listens there
    configure(f"http://127.0.0.1:{port}")
    started: list[SimBridge] = []

    def heal() -> None:
        started.append(start_on(port, bridge, lambda ident: HEALTHY))

    check_fault_and_recovery(cli, db_path, Reason.UNREACHABLE, "connection refused", heal)
    assert started[0].stats.total == 2  # the model's second read and the CLI's last one


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bool]]:
    """``bridge.invalid`` fails to resolve until ``resolver["up"]``; then it is 127.0.0.1.

    Every other name goes to the real resolver (only 127.0.0.1 is ever asked for).
    """
    real = socket.getaddrinfo
    state = {"up": False, "asked": 0}

    def fake(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in ("bridge.invalid", b"bridge.invalid"):
            state["asked"] += 1
            if not state["up"]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield state


def test_unresolvable_host(cli, store, configure, bridge, db_path: Path, resolver) -> None:
    sim = bridge({IDENT: HEALTHY})
    configure(f"http://bridge.invalid:{sim.port}")

    def heal() -> None:
        resolver["up"] = True

    check_fault_and_recovery(cli, db_path, Reason.UNREACHABLE, "host name does not resolve", heal)
    assert resolver["asked"] >= 4  # the name really went through the (patched) resolver
    assert sim.stats.total == 2  # reached only once the name resolved


def test_tls_failure(cli, store, configure, bridge, db_path: Path, monkeypatch) -> None:
    """A self-signed certificate; recovery is the operator pointing BRIDGE_URL at a good one."""
    untrusted = bridge({IDENT: HEALTHY}, tls=self_signed_context())
    good = bridge({IDENT: HEALTHY})
    configure(untrusted)
    local = cli("status", NAME, "--json", "--local").json()
    before = rows(db_path)
    run = cli("status", NAME, "--json")
    assert run.code == 0 and run.json() == local
    assert Reason.TLS.title in run.err and "CERTIFICATE_VERIFY_FAILED" in run.err
    plain = cli("status", NAME)
    assert plain.code == 0 and f"[local — {Reason.TLS.title}]" in plain.out

    first, between, _ = read_model_twice(db_path, lambda: None)
    assert isinstance(first, StatusRead) and first.source == "local"
    assert first.failure is not None and first.failure.reason is Reason.TLS
    assert first.document.as_json() == local
    assert between == before == rows(db_path)
    assert untrusted.stats.total == 0  # no request ever got past the handshake

    monkeypatch.setenv("BRIDGE_URL", good.url)
    again = cli("status", NAME, "--json")
    assert again.code == 0 and again.err == ""
    assert again.json()["status"] == "error" and again.json()["chatwoot_inbox_id"] == 64


# -- a flapping gateway -----------------------------------------------------------------

DOWN = [
    Reply(status=500, body={"error": "boom"}),
    Reply(reset=True),
    Reply(body="<html>maintenance</html>", content_type="text/html"),
    Reply(hang=True),
    Reply(status=503, body={"error": "down"}),
    Reply(body=["not", "an", "object"]),
    Reply(status=429, body={}),
    Reply(body={"status": "active", "last_error": "x" * 20}, drip=0.05),
]


class Flapping:
    """Alternates up and down on successive requests; up answers are numbered."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.served_up: list[str] = []
        self.downs = itertools.cycle(DOWN)

    def route(self, ident: str) -> Reply:
        with self.lock:
            self.count += 1
            if self.count % 2:
                error = f"flap {self.count}"
                self.served_up.append(error)
                return live("error", error, inbox_id=99)
            return next(self.downs)


def test_flapping_gateway_every_read_is_live_or_a_clean_fallback(
    cli, store, configure, bridge, db_path: Path
) -> None:
    flap = Flapping()
    sim = bridge(flap.route)
    configure(sim, timeout=SLOW_BUDGET)
    name = "suporte"  # inbox 42 already known: no backfill, so nothing may be written at all
    local = cli("status", name, "--json", "--local").json()
    before = rows(db_path)

    async def go() -> list[object]:
        store_ = Store.open(db_path)
        model = ReadModel.from_config(load_config(None), store_)
        results: list[object] = []
        try:
            for _ in range(16):  # one after another, on one client
                results.append(await model.status(name))
            for _ in range(3):  # and in bursts
                batch = [model.status(name) for _ in range(8)]
                results.extend(await asyncio.gather(*batch, return_exceptions=True))
        finally:
            await model.aclose()
            store_.close()
        return results

    results = asyncio.run(go())
    assert len(results) == 40
    live_errors: list[str] = []
    fallbacks: list[Reason] = []
    for result in results:
        assert isinstance(result, StatusRead), result  # never an exception, never a mapped error
        doc = result.document.as_json()
        if result.source == "live":
            assert result.failure is None
            assert doc == {**local, "status": "error", "last_error": doc["last_error"]}
            live_errors.append(doc["last_error"])
        else:
            assert isinstance(result.failure, LiveFailure)
            assert doc == local
            fallbacks.append(result.failure.reason)
    # every healthy answer served became exactly one live result, and the rest fell back
    assert sorted(live_errors) == sorted(flap.served_up)
    assert live_errors and fallbacks
    assert len(live_errors) + len(fallbacks) == 40
    assert {Reason.HTTP_ERROR, Reason.UNREACHABLE, Reason.BAD_ANSWER, Reason.TIMEOUT} <= set(fallbacks)
    assert rows(db_path) == before

    # The CLI over the same flapping gateway: exit 0 every time, valid JSON, reason when local.
    for _ in range(6):
        run = cli("status", name, "--json")
        assert run.code == 0, run.err
        doc = run.json()
        assert doc["chatwoot_api_token"] == local["chatwoot_api_token"]
        if run.err:
            assert "live read failed" in run.err and doc == local
        else:
            assert doc["last_error"].startswith("flap ")
    assert rows(db_path) == before
