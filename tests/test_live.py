"""The live read against a real HTTP stand-in on 127.0.0.1: every outcome is a value."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from cwdash.store.config import DEFAULT_LIVE_TIMEOUT, load_config
from cwdash.store.simbridge import Reply, SimBridge, live, self_signed_context
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.factory import live_source
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, LiveState, Reason, parse_state

TOKEN = "bridge-secret"


def read(url: str, ident: str = "int_1", *, timeout: float = 1.0, token: str = TOKEN) -> LiveOutcome:
    async def go() -> LiveOutcome:
        source = BridgeSource(url, token, timeout=timeout)
        try:
            return await source.read(LiveTarget("suporte", ident))
        finally:
            await source.aclose()

    return asyncio.run(go())


def failure(outcome: LiveOutcome) -> LiveFailure:
    assert isinstance(outcome, LiveFailure), outcome
    return outcome


def test_live_state_and_request_shape(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"int 1?x#y": live("error", "Chatwoot answered 401", inbox_id=42)})
    outcome = read(sim.url, "int 1?x#y")
    assert outcome == LiveState("error", "Chatwoot answered 401", 42)
    assert sim.stats.paths == ["/v1/integrations/int%201%3Fx%23y"]
    assert sim.stats.auth == [f"Bearer {TOKEN}"]


@pytest.mark.parametrize(
    ("body", "inbox"),
    [
        ({"status": "active", "last_error": "", "inbox_id": 7}, 7),
        ({"status": "active", "last_error": "", "chatwoot_inbox_id": 9}, 9),
        ({"status": "paused", "last_error": None}, None),
        ({"status": "active", "inbox_id": 0}, None),
    ],
)
def test_inbox_id_from_either_field(bridge: Callable[..., SimBridge], body: dict, inbox: int | None) -> None:
    sim = bridge({"int_1": Reply(body=body)})
    outcome = read(sim.url)
    assert isinstance(outcome, LiveState)
    assert outcome.inbox_id == inbox


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(status=403, body={"error": "forbidden"}), Reason.UNAUTHORIZED),
        (Reply(status=404, body={"error": "unknown"}), Reason.NOT_FOUND),
        (Reply(status=500, body={"error": "boom"}), Reason.HTTP_ERROR),
        (Reply(status=502, body="bad gateway", content_type="text/plain"), Reason.HTTP_ERROR),
        (Reply(status=429, body={}), Reason.HTTP_ERROR),
        (Reply(body="<html>login</html>", content_type="text/html"), Reason.BAD_ANSWER),
        (Reply(body=["active"]), Reason.BAD_ANSWER),
        (Reply(body={"last_error": ""}), Reason.BAD_ANSWER),
        (Reply(body={"status": "exploded"}), Reason.BAD_ANSWER),
        (Reply(body={"status": "active", "last_error": 3}), Reason.BAD_ANSWER),
        (Reply(body={"status": "active", "inbox_id": "7"}), Reason.BAD_ANSWER),
        (Reply(body=b"x" * (1024 * 1024 + 10), content_type="text/plain"), Reason.BAD_ANSWER),
        (Reply(reset=True), Reason.UNREACHABLE),
    ],
    ids=lambda v: v.name if isinstance(v, Reason) else None,
)
def test_failure_reasons(bridge: Callable[..., SimBridge], reply: Reply, reason: Reason) -> None:
    sim = bridge({"int_1": reply})
    outcome = failure(read(sim.url))
    assert outcome.reason is reason
    assert outcome.detail
    assert outcome.reason.hint


def test_wrong_bridge_token_is_unauthorized(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"int_1": live()})
    outcome = failure(read(sim.url, token="not-the-token"))
    assert outcome.reason is Reason.UNAUTHORIZED
    assert "401" in outcome.detail
    assert "BRIDGE_TOKEN" in outcome.reason.title


def test_hung_bridge_times_out_within_budget(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"int_1": Reply(hang=True)})
    outcome = failure(read(sim.url, timeout=0.3))
    assert outcome.reason is Reason.TIMEOUT
    assert "0.3 s" in outcome.detail


def test_slow_body_counts_against_one_overall_budget(bridge: Callable[..., SimBridge]) -> None:
    # Each byte arrives well inside any per-read timeout, but the whole answer does not.
    sim = bridge({"int_1": Reply(body={"status": "active", "last_error": "x" * 40}, drip=0.02)})
    outcome = failure(read(sim.url, timeout=0.4))
    assert outcome.reason is Reason.TIMEOUT


def test_default_budget_is_ten_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default budget is configuration (10 s, as RyzeAPI's read), checked as such:
    the source the factory makes holds it, for the whole read and for each step of
    the exchange. That a hang is cut at the budget is the test above, with a short one."""
    monkeypatch.setenv("BRIDGE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BRIDGE_TOKEN", TOKEN)
    config = load_config(None)
    assert config.live_timeout == DEFAULT_LIVE_TIMEOUT == 10.0
    source = live_source(config)
    assert isinstance(source, BridgeSource)
    assert source.timeout == 10.0
    step = source.client.timeout
    assert (step.connect, step.read, step.write, step.pool) == (10.0,) * 4


def test_the_configured_budget_reaches_the_read(
    bridge: Callable[..., SimBridge], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = bridge({"int_1": Reply(hang=True)})
    monkeypatch.setenv("BRIDGE_URL", sim.url)
    monkeypatch.setenv("BRIDGE_TOKEN", TOKEN)
    monkeypatch.setenv("CWDASH_LIVE_TIMEOUT", "0.25")

    async def go() -> LiveOutcome:
        source = live_source(load_config(None))
        assert source is not None
        try:
            return await source.read(LiveTarget("suporte", "int_1"))
        finally:
            await source.aclose()

    outcome = failure(asyncio.run(go()))
    assert outcome.reason is Reason.TIMEOUT
    assert outcome.describe() == "bridge timed out: no complete answer within 0.25 s"


def test_connection_refused_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = failure(read(f"http://127.0.0.1:{port}"))
    assert outcome.reason is Reason.UNREACHABLE
    assert "refused" in outcome.detail


def test_untrusted_certificate_is_tls_failure(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"int_1": live()}, tls=self_signed_context())
    assert sim.url.startswith("https://")
    outcome = failure(read(sim.url))
    assert outcome.reason is Reason.TLS
    assert sim.stats.total == 0  # the request never reached the handler


def test_redirects_are_not_followed(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"int_1": Reply(status=302, body={})})
    assert failure(read(sim.url)).reason is Reason.HTTP_ERROR


def test_parse_state_detail_is_short_and_literal() -> None:
    outcome = failure(parse_state(b"\x1b[2J" + b"A" * 500))
    assert outcome.reason is Reason.BAD_ANSWER
    assert len(outcome.detail) < 120
