"""Hostile and broken answers to the live read, from real loopback servers (issue 9).

Compressed answers obey the body cap in decoded bytes without inflating much beyond it;
malformed HTTP is a bad answer, not an unreachable gateway; an answer about another
integration, or with an inbox id the store cannot hold, is not taken as live state.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import tracemalloc
import zlib
from collections.abc import Callable

import pytest
from rawserver import RawServer, http

from cwdash.store.simbridge import SimBridge, live
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.httpread import MAX_BODY
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, LiveState, Reason

TOKEN = "bridge-secret"
STATE = {"status": "error", "last_error": "Chatwoot answered 401", "inbox_id": 7}
TOO_LARGE = f"answer larger than {MAX_BODY // 1024} KiB"


def read(url: str, ident: str = "int_1", *, timeout: float = 5.0) -> LiveOutcome:
    async def go() -> LiveOutcome:
        source = BridgeSource(url, TOKEN, timeout=timeout)
        try:
            return await source.read(LiveTarget("suporte", ident))
        finally:
            await source.aclose()

    return asyncio.run(go())


def serve(answer: bytes, ident: str = "int_1") -> tuple[LiveOutcome, list[str]]:
    with RawServer(lambda head: answer) as server:
        outcome = read(server.url, ident)
    return outcome, server.heads


def failure(outcome: LiveOutcome) -> LiveFailure:
    assert isinstance(outcome, LiveFailure), outcome
    return outcome


# -- compression -------------------------------------------------------------------------------


@functools.cache
def gzip_bomb(mib: int = 128) -> bytes:
    """gzip of ``mib`` MiB of zeros: about 1/1000 of that on the wire."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    return b"".join(comp.compress(zeros) for _ in range(mib)) + comp.flush()


def peak_while(fn: Callable[[], LiveOutcome]) -> tuple[LiveOutcome, int]:
    tracemalloc.start()
    try:
        outcome = fn()
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("encoding", "layers"),
    [("gzip", 1), ("x-gzip", 1), ("gzip, gzip", 2), ("identity, gzip", 1)],
)
def test_gzip_bomb_is_cut_at_the_cap_in_decoded_bytes(encoding: str, layers: int) -> None:
    body = gzip_bomb()
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    assert len(body) < 200 * 1024  # a small answer on the wire, 128 MiB decoded
    answer = http(body, "Content-Type: application/json", f"Content-Encoding: {encoding}")
    outcome, peak = peak_while(lambda: serve(answer)[0])
    assert failure(outcome).reason is Reason.BAD_ANSWER
    assert TOO_LARGE in outcome.detail
    # never more than a few steps of 64 KiB beyond the 1 MiB cap (httpx's decoder: 64 MiB+)
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_request_asks_for_no_encoding() -> None:
    outcome, heads = serve(http(json.dumps(STATE).encode(), "Content-Type: application/json"))
    assert outcome == LiveState("error", "Chatwoot answered 401", 7)
    [head] = heads
    lines = [line.lower() for line in head.split("\r\n")]
    assert "accept-encoding: identity" in lines


def _deflate_raw(data: bytes) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return comp.compress(data) + comp.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _deflate_raw),
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("gzip", lambda b: gzip.compress(b[:10]) + gzip.compress(b[10:])),  # two gzip members
        ("identity", lambda b: b),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "gzip-gzip", "gzip-members", "identity"],
)
def test_an_encoded_answer_sent_anyway_still_reads(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    body = encode(json.dumps(STATE).encode())
    outcome, _ = serve(http(body, "Content-Type: application/json", f"Content-Encoding: {encoding}"))
    assert outcome == LiveState("error", "Chatwoot answered 401", 7)


@pytest.mark.parametrize(
    ("encoding", "body", "says"),
    [
        ("br", json.dumps(STATE).encode(), "unsupported content encoding 'br'"),
        ("compress", json.dumps(STATE).encode(), "unsupported content encoding"),
        ("gzip", b"this is not gzip at all", "gzip data does not decode"),
        ("gzip, gzip, gzip, gzip", json.dumps(STATE).encode(), "4 stacked content encodings"),
    ],
)
def test_an_answer_that_does_not_decode_is_a_bad_answer(encoding: str, body: bytes, says: str) -> None:
    outcome, _ = serve(http(body, "Content-Type: application/json", f"Content-Encoding: {encoding}"))
    assert failure(outcome).reason is Reason.BAD_ANSWER
    assert says in outcome.detail


# -- malformed HTTP ------------------------------------------------------------------------------

OK_BODY = json.dumps({"status": "active"}).encode()


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\nContent-Length: 20\r\n\r\n" + OK_BODY,
        b"HTTP/1.1 100 Continue\r\n\r\n" * 50 + http(OK_BODY),
        b"SMTP ready, not HTTP\r\n\r\n",
    ],
    ids=["bad-chunk", "conflicting-lengths", "1xx-flood", "not-http"],
)
def test_malformed_http_is_a_bad_answer_not_unreachable(answer: bytes) -> None:
    outcome, _ = serve(answer)
    assert failure(outcome).reason is Reason.BAD_ANSWER
    assert "malformed HTTP answer" in outcome.detail


def test_a_few_informational_answers_are_still_skipped() -> None:
    outcome, _ = serve(b"HTTP/1.1 100 Continue\r\n\r\n" * 3 + http(OK_BODY))
    assert outcome == LiveState("active", "", None)


def test_an_answer_cut_short_is_still_a_dropped_connection() -> None:
    outcome, _ = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + OK_BODY)
    assert failure(outcome).reason is Reason.UNREACHABLE


# -- answers about something else ---------------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "integration_id", "bridge_integration_id"])
def test_an_answer_naming_another_integration_is_a_bad_answer(
    bridge: Callable[..., SimBridge], field: str
) -> None:
    sim = bridge({"int_1": live("error", "someone else's error", **{field: "int_2"})})
    outcome = failure(read(sim.url))
    assert outcome.reason is Reason.BAD_ANSWER
    assert "another integration" in outcome.detail


def test_an_answer_naming_this_integration_is_taken(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge({"int_1": live("paused", id="int_1", integration_id="int_1")})
    assert read(sim.url) == LiveState("paused", "", None)


@pytest.mark.parametrize("inbox", [2**63, 2**64 + 5, 10**30])
def test_an_inbox_id_the_store_cannot_hold_is_a_bad_answer(
    bridge: Callable[..., SimBridge], inbox: int
) -> None:
    sim = bridge({"int_1": live(inbox_id=inbox)})
    outcome = failure(read(sim.url))
    assert outcome.reason is Reason.BAD_ANSWER and "inbox id is larger than" in outcome.detail
    assert read(bridge({"int_1": live(inbox_id=2**63 - 1)}).url) == LiveState("active", "", 2**63 - 1)
