"""The keep-alive transport under the live read, against the stand-in on 127.0.0.1.

What it must get right beyond one answer: connections are reused, never more than
the limit are open, a connection the server closed while idle costs nothing, and a
connection left mid-answer is never handed to the next read.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
from collections.abc import Callable, Sequence

from cwdash.store.simbridge import Reply, SimBridge, live, self_signed
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, LiveState, Reason

TOKEN = "bridge-secret"
ACTIVE = LiveState("active", "", None)


def reads(
    url: str,
    idents: Sequence[str],
    *,
    concurrent: bool = False,
    timeout: float = 2.0,
    max_connections: int = 16,
    verify: ssl.SSLContext | None = None,
) -> list[LiveOutcome]:
    """Several reads through one source (one pool), one after another or all at once."""

    async def go() -> list[LiveOutcome]:
        source = BridgeSource(url, TOKEN, timeout=timeout, max_connections=max_connections, verify=verify)
        try:
            if concurrent:
                return list(await asyncio.gather(*(source.read(LiveTarget("suporte", i)) for i in idents)))
            return [await source.read(LiveTarget("suporte", i)) for i in idents]
        finally:
            await source.aclose()

    return asyncio.run(go())


def test_sequential_reads_share_one_connection(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge(lambda ident: live())
    assert reads(sim.url, [f"int_{i}" for i in range(20)]) == [ACTIVE] * 20
    assert sim.stats.total == 20
    assert sim.stats.connections == 1


def test_concurrent_reads_never_exceed_the_connection_limit(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge(lambda ident: live(), latency=0.05)
    outcomes = reads(sim.url, [f"int_{i}" for i in range(12)], concurrent=True, max_connections=3)
    assert outcomes == [ACTIVE] * 12
    assert sim.stats.max_in_flight == 3
    assert sim.stats.connections == 3


def test_server_closing_after_an_answer_costs_the_next_read_nothing(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge(lambda ident: Reply(body={"status": "active"}, close_after=True))
    assert reads(sim.url, ["a", "b", "c"]) == [ACTIVE] * 3
    assert sim.stats.total == 3
    assert sim.stats.connections == 3


def test_reused_connection_dropped_by_the_server_is_retried_once_on_a_new_one(
    bridge: Callable[..., SimBridge],
) -> None:
    calls = itertools.count()

    def router(ident: str) -> Reply:
        # the second request arrives on the kept-alive connection and is cut off
        return Reply(reset=True) if next(calls) == 1 else live()

    sim = bridge(router)
    assert reads(sim.url, ["a", "b"]) == [ACTIVE, ACTIVE]
    assert sim.stats.total == 3
    assert sim.stats.connections == 2


def test_fresh_connection_cut_off_is_not_retried(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"a": Reply(reset=True)})
    [outcome] = reads(sim.url, ["a"])
    assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.UNREACHABLE
    assert sim.stats.total == 1


def test_answer_cut_by_the_budget_does_not_poison_the_next_read(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"slow": Reply(body={"status": "active", "pad": "x" * 50}, drip=0.02), "ok": live()})
    slow, ok = reads(sim.url, ["slow", "ok"], timeout=0.3)
    assert isinstance(slow, LiveFailure) and slow.reason is Reason.TIMEOUT
    assert ok == ACTIVE
    assert sim.stats.connections == 2  # the half-read connection was closed, not reused


def test_error_answers_keep_the_connection(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"ok": live(), "gone": Reply(status=404, body={"error": "unknown"})})
    outcomes = reads(sim.url, ["gone", "ok", "gone", "ok"])
    assert [type(o) for o in outcomes] == [LiveFailure, LiveState, LiveFailure, LiveState]
    assert sim.stats.connections == 1


def test_trusted_tls_reads_and_reuses_the_connection(bridge: Callable[..., SimBridge]) -> None:
    server, cert = self_signed()
    sim = bridge(lambda ident: live(), tls=server)
    client = ssl.create_default_context(cadata=cert.decode())
    assert reads(sim.url, ["a", "b", "c"], verify=client) == [ACTIVE] * 3
    assert sim.stats.connections == 1


def test_a_live_sources_client_keeps_no_cookie() -> None:
    """store/sources/client.py: the client's jar keeps nothing (and httpx still stores
    cookies through ``self.cookies.extract_cookies``, the one call it replaces)."""
    import inspect

    import httpx

    from cwdash.store.sources.client import http_client

    client = http_client(headers={}, timeout=1.0)
    request = httpx.Request("GET", "http://127.0.0.1:1/v1/integrations/x")
    response = httpx.Response(200, headers={"Set-Cookie": "pin=1; Path=/"}, request=request)
    client.cookies.extract_cookies(response)
    assert len(client.cookies) == 0
    assert "self.cookies.extract_cookies(response)" in inspect.getsource(
        httpx.AsyncClient._send_single_request
    )
    asyncio.run(client.aclose())
