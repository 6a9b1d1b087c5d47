"""RyzeAPI as a live source, its selection, sites, and the simulated server's contract."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest
from ryzekit import RYZE_TOKEN

from cwdash.store import sites
from cwdash.store.config import ConfigError, load_config
from cwdash.store.ryzeapi.listing import BadListing, parse_listing
from cwdash.store.ryzeapi.pacer import Pacer
from cwdash.store.simryze import SimInstance
from cwdash.store.sources import factory
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.outcome import LiveFailure, LiveState, Reason
from cwdash.store.sources.ryzeapi import RyzeApiSource


def read(source: RyzeApiSource, name: str, integration_id: str = "") -> object:
    async def go() -> object:
        try:
            return await source.read(LiveTarget(name, integration_id))
        finally:
            await source.aclose()

    return asyncio.run(go())


def test_the_source_is_chosen_by_what_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RYZEAPI_URL", "https://ryzeapi.example")
    monkeypatch.setenv("RYZEAPI_TOKEN", "tok")
    config = load_config()
    assert config.live_source_name == "ryzeapi" and config.gateway_configured
    assert isinstance(factory.live_source(config), RyzeApiSource)
    monkeypatch.setenv("BRIDGE_URL", "https://bridge.example")
    monkeypatch.setenv("BRIDGE_TOKEN", "b")
    assert isinstance(factory.live_source(load_config()), BridgeSource)  # the bridge first
    assert isinstance(factory.live_source(load_config(source="ryzeapi")), RyzeApiSource)
    monkeypatch.setenv("CWDASH_SOURCE", "ryzeapi")
    assert load_config().live_source_name == "ryzeapi"
    monkeypatch.setenv("CWDASH_SOURCE", "carrier-pigeon")
    with pytest.raises(ConfigError, match="CWDASH_SOURCE must be one of bridge, ryzeapi"):
        load_config()
    monkeypatch.delenv("CWDASH_SOURCE")
    monkeypatch.delenv("RYZEAPI_TOKEN")
    with pytest.raises(ConfigError, match="--source is ryzeapi, but RYZEAPI_URL and RYZEAPI_TOKEN"):
        load_config(source="ryzeapi")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RYZEAPI_URL", "ftp://x", "RYZEAPI_URL must start with http"),
        ("RYZEAPI_URL", "https://user:pw@x", "RYZEAPI_URL must not contain a user name or password"),
        ("RYZEAPI_TOKEN", "two words", "RYZEAPI_TOKEN contains spaces"),
        ("CWDASH_RYZEAPI_RESERVE", "150%", "CWDASH_RYZEAPI_RESERVE must be a percentage"),
    ],
)
def test_ryzeapi_settings_are_checked_at_start(monkeypatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config()
    if name != "CWDASH_RYZEAPI_RESERVE":
        assert value not in str(caught.value)


def test_status_reads_live_through_ryzeapi_and_backfills(cli, ryze, use_ryze, store, document) -> None:
    store.close()
    sim = ryze(
        [
            SimInstance(
                "fresh", "connected", document("fresh", status="active", last_error="", chatwoot_inbox_id=77)
            )
        ]
    )
    use_ryze(sim)
    run = cli("status", "fresh", "--json")
    assert run.code == 0, run.err
    assert run.json()["status"] == "active" and run.json()["last_error"] == ""  # live, not the local paused
    assert run.json()["chatwoot_inbox_id"] == 77  # the local 0, backfilled
    local = cli("status", "fresh", "--json", "--local").json()
    assert local["chatwoot_inbox_id"] == 77 and local["status"] == "paused"


def test_status_names_ryzeapi_when_it_fails(cli, ryze, use_ryze, store) -> None:
    store.close()
    sim = ryze(1)
    use_ryze(sim, token="not-the-token")
    run = cli("status", "suporte")
    assert run.code == 0  # the local values, as with the bridge
    assert "RyzeAPI rejected RYZEAPI_TOKEN: HTTP 401 Invalid token" in run.err
    assert "not-the-token" not in run.err + run.out


def test_401_429_and_the_mapped_errors_have_their_own_reasons(ryze) -> None:
    sim = ryze(2, limit=2)
    sim.instances["inst-0001"].integration = None
    source = RyzeApiSource.connect(sim.url, RYZE_TOKEN, timeout=2, pacer=Pacer(max_in_flight=4))
    assert isinstance(read(source, "inst-0000", "int_000000"), LiveState)
    none = read(RyzeApiSource.connect(sim.url, RYZE_TOKEN, timeout=2), "inst-0001")
    assert isinstance(none, LiveFailure) and none.reason is Reason.NOT_FOUND
    assert none.detail == "HTTP 404 no chatwoot integration for this instance"
    limited = read(RyzeApiSource.connect(sim.url, RYZE_TOKEN, timeout=2), "inst-0000")
    assert isinstance(limited, LiveFailure) and limited.reason is Reason.RATE_LIMITED
    assert limited.title == "RyzeAPI rate limit reached"
    bad = read(RyzeApiSource.connect(sim.url, "other-token", timeout=2), "inst-0000")
    assert isinstance(bad, LiveFailure) and bad.reason is Reason.UNAUTHORIZED
    assert bad.title == "RyzeAPI rejected RYZEAPI_TOKEN"
    other = read(RyzeApiSource.connect(sim.url, RYZE_TOKEN, timeout=2), "inst-0000", "int_elsewhere")
    assert isinstance(other, LiveFailure)  # the answer's id is not the row's


def test_a_budget_used_up_fails_fast_instead_of_waiting(ryze) -> None:
    sim = ryze(1, limit=10, window=60)
    sim.drain()
    pacer = Pacer()
    source = RyzeApiSource.connect(sim.url, RYZE_TOKEN, timeout=1, pacer=pacer)
    first = read(source, "inst-0000")
    assert isinstance(first, LiveFailure) and first.reason is Reason.RATE_LIMITED
    second = read(RyzeApiSource(source.api), "inst-0000")
    assert isinstance(second, LiveFailure) and second.reason is Reason.RATE_LIMITED
    assert "waiting for the reset" in second.detail and sim.count() == 1  # the second never went out


def test_the_fleets_connections_from_one_listing(ryze) -> None:
    sim = ryze(6)
    sim.instances["inst-0002"].connection = "disconnected"
    source = RyzeApiSource.connect(sim.url, RYZE_TOKEN)

    async def go() -> object:
        try:
            return await source.connections(), await source.connections(["inst-0002", "zzz"])
        finally:
            await source.aclose()

    everything, some = asyncio.run(go())  # type: ignore[misc]
    assert len(everything) == 6 and everything["inst-0002"].connection == "disconnected"
    assert list(some) == ["inst-0002"]
    assert sim.count("list") == 2 and sim.count("status") == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", None),
        (b'{"data": null}', None),
        (b'{"data": [], "instances": []}', "both 'data' and 'instances'"),
        (b'[{"name": "a", "connection": {"state": "connected"}}, {"name": "a", "connection": {"state": "connected"}}]', "twice"),
        (b'[{"name": "a", "instanceName": "b", "connection": {"state": "connected"}}]', "disagree"),
        (b'[{"name": "a"}]', "no connection object"),
        (b'[{"id": 1, "connection": {"state": "connected"}}]', "has no name"),
        (b'{"message": "3 Instances found", "data": [{"name": "a", "connection": {"state": "connected"}}]}', "says 3"),
        (b"<html>", "not JSON"),
    ],
)  # fmt: skip
def test_listing_shapes(body: bytes, message: str | None) -> None:
    if message is None:
        assert parse_listing(body) == []
        return
    with pytest.raises(BadListing, match=message):
        parse_listing(body)


def test_the_simulated_servers_contract(ryze) -> None:
    sim = ryze(3, limit=3, version="v2")
    status, body, headers = sim.answer("/api/chatwoot/list/inst-0000", {"token": RYZE_TOKEN})
    assert status == 200 and "chatwoot_api_token" not in body and "sign_messages" not in body  # type: ignore[operator]
    assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "2"
    assert sim.answer("/api/instance/list?instanceName=nope", {"token": RYZE_TOKEN})[0] == 404
    status, body, _ = sim.answer(
        "/api/instance/list?instanceName=nope,inst-0001", {"authorization": f"Bearer {RYZE_TOKEN}"}
    )
    assert status == 200 and [i["name"] for i in body["data"]] == ["inst-0001"]  # type: ignore[index]
    status, body, headers = sim.answer("/api/instance/list", {"token": RYZE_TOKEN})
    assert status == 429 and body == {
        "success": False,
        "error": {"message": "Rate limit exceeded. Try again later."},
    }
    assert "Retry-After" not in headers and headers["X-RateLimit-Remaining"] == "0"
    changed = sim.evolve(2)
    assert len(changed) == 2


def test_sites(cli, monkeypatch: pytest.MonkeyPatch, ryze) -> None:
    sim = ryze(2)
    run = cli("site", "add", "north", "--ryzeapi-url", sim.url, "--token-stdin", stdin=RYZE_TOKEN + "\n")
    assert run.code == 0, run.err
    path = sites.site_path("north")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and RYZE_TOKEN in path.read_text()
    assert RYZE_TOKEN not in run.out
    assert cli("site", "add", "north").code == 1  # never over an existing one
    monkeypatch.setenv("BRIDGE_URL", "https://bridge.example")  # the shell's; not the site's
    monkeypatch.setenv("BRIDGE_TOKEN", "b")
    config = load_config(site="north")
    assert config.live_source_name == "ryzeapi" and config.site == "north"
    assert config.db_path == sites.site_db_path("north")
    assert cli("--site", "north", "sync").code == 0
    assert "inst-0001" in cli("--site", "north", "list").out
    (sites.sites_dir() / "broken.env").write_text("RYZEAPI_URL=ftp://nope\n")
    os.chmod(sites.sites_dir() / "broken.env", 0o600)
    listed = cli("site", "list", "--json").json()
    assert [r["site"] for r in listed] == ["broken", "north"]
    assert listed[0]["problem"] and listed[1]["source"] == "ryzeapi"
    assert cli("--site", "nowhere", "list").code == 1
    assert json.loads(cli("site", "list", "--json").out)[1]["problem"] is None


def _client_read(url: str, name: str = "inst") -> object:
    source = RyzeApiSource.connect(url, RYZE_TOKEN, timeout=3)
    return read(source, name)


def test_hostile_answers_get_the_bridges_rules() -> None:
    import gzip

    from rawserver import RawServer, http

    huge = http(b'{"status": "active", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    with RawServer(lambda head: huge) as server:
        outcome = _client_read(server.url)
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.BAD_ANSWER
        assert "larger than 1024 KiB" in outcome.detail
        head = server.heads[0].lower()
        assert f"token: {RYZE_TOKEN}".lower() in head and "accept-encoding: identity" in head
        assert "authorization" not in head
        assert head.startswith("get /api/chatwoot/list/inst http/1.1")
    bomb = gzip.compress(b"{" + b" " * (8 * 1024 * 1024) + b"}")
    with RawServer(lambda head: http(bomb, "Content-Encoding: gzip")) as server:
        outcome = _client_read(server.url)
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.BAD_ANSWER
    redirect = http(b"", "Location: http://example.com/", status="302 Found")
    with RawServer(lambda head: redirect) as server:
        outcome = _client_read(server.url)
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.HTTP_ERROR


def test_names_that_cannot_be_one_segment_are_refused_before_any_request() -> None:
    for name in ("..", ".", "a\nb"):
        outcome = _client_read("http://127.0.0.1:9", name)
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.BAD_ID
