"""On a locked-down network: a forward proxy and a gateway behind a private CA, both on
127.0.0.1. The gateway's name (``bridge.internal``) resolves only through the proxy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from proxykit import ForwardProxy, private_ca

from cwdash.store.simbridge import SimBridge, live
from cwdash.store.sources import trust
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.client import proxy_for, route
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, LiveState, Reason

TOKEN = "bridge-secret"
NAME = "bridge.internal"
ACTIVE = LiveState("active", "", None)


@pytest.fixture(autouse=True)
def _fresh_trust() -> Iterator[None]:
    """Each test builds its TLS context anew (SSL_CERT_FILE differs between tests)."""
    trust.forget()
    yield
    trust.forget()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    p = ForwardProxy(hosts={NAME: "127.0.0.1"})
    yield p
    p.close()


def read(url: str, *, ca_file: str | None = None, ident: str = "int_1") -> LiveOutcome:
    async def go() -> LiveOutcome:
        source = BridgeSource(url, TOKEN, timeout=5, ca_file=ca_file)
        try:
            return await source.read(LiveTarget("suporte", ident))
        finally:
            await source.aclose()

    return asyncio.run(go())


def internal(sim: SimBridge) -> str:
    """The gateway's URL by the name only the proxy resolves."""
    return f"{'https' if sim.tls else 'http'}://{NAME}:{sim.port}"


# -- proxies -----------------------------------------------------------------------------


def test_https_through_a_connect_proxy_to_a_name_only_the_proxy_resolves(
    bridge: Callable[..., SimBridge], proxy: ForwardProxy, tmp_path: Path, monkeypatch
) -> None:
    server, bundle = private_ca(tmp_path, NAME)
    sim = bridge({"int_1": live()}, tls=server)
    assert isinstance(read(internal(sim), ca_file=str(bundle)), LiveFailure)  # no proxy: no such name
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    assert read(internal(sim), ca_file=str(bundle)) == ACTIVE
    assert proxy.seen == [f"CONNECT {NAME}:{sim.port} HTTP/1.1"]


def test_http_through_a_proxy_in_absolute_form(bridge, proxy: ForwardProxy, monkeypatch) -> None:
    sim = bridge({"int_1": live(inbox_id=7)})
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    assert read(internal(sim)) == LiveState("active", "", 7)
    assert proxy.seen == [f"GET http://{NAME}:{sim.port}/v1/integrations/int_1 HTTP/1.1"]


def test_all_proxy_and_lower_case_names_count_too(bridge, proxy: ForwardProxy, monkeypatch) -> None:
    sim = bridge({"int_1": live()})
    monkeypatch.setenv("all_proxy", proxy.url())
    assert read(internal(sim)) == ACTIVE and len(proxy.seen) == 1


def test_no_proxy_goes_direct_over_the_lean_transport(bridge, proxy: ForwardProxy, monkeypatch) -> None:
    sim = bridge({"int_1": live()})
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.setenv("NO_PROXY", f"example.com,{NAME}")
    outcome = read(internal(sim))
    assert isinstance(outcome, LiveFailure) and outcome.detail == "host name does not resolve"
    assert proxy.seen == []
    assert proxy_for(internal(sim)) is None
    monkeypatch.setenv("NO_PROXY", "*")
    assert proxy_for(internal(sim)) is None


def test_loopback_is_never_sent_to_a_proxy(bridge, monkeypatch) -> None:
    sim = bridge({"int_1": live()})
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    assert read(sim.url) == ACTIVE
    assert route(sim.url).proxy is None and route(internal(sim)).proxy == "http://127.0.0.1:9"


def test_a_proxy_that_refuses_is_named_never_its_password(bridge, monkeypatch) -> None:
    sim = bridge({"int_1": live()})
    monkeypatch.setenv("HTTP_PROXY", "http://alice:pr0xy-s3cret@127.0.0.1:9")
    outcome = read(internal(sim))
    assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.PROXY
    assert "proxy http://127.0.0.1:9 could not be reached" in outcome.detail
    assert "pr0xy-s3cret" not in outcome.describe() + outcome.hint and "alice" not in outcome.detail
    assert outcome.title == "proxy refused"


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_that_wants_credentials(bridge, tmp_path: Path, monkeypatch, scheme: str) -> None:
    proxy = ForwardProxy(hosts={NAME: "127.0.0.1"}, credentials=("alice", "pr0xy-s3cret"))
    try:
        if scheme == "https":
            server, bundle = private_ca(tmp_path, NAME)
            sim, ca = bridge({"int_1": live()}, tls=server), str(bundle)
        else:
            sim, ca = bridge({"int_1": live()}), None
        variable = f"{scheme.upper()}_PROXY"
        monkeypatch.setenv(variable, proxy.url())
        outcome = read(internal(sim), ca_file=ca)
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.PROXY_AUTH, outcome
        assert f"proxy http://127.0.0.1:{proxy.port} needs authentication" in outcome.detail
        assert "USER:PASSWORD" in outcome.hint
        monkeypatch.setenv(variable, proxy.url("alice", "pr0xy-s3cret"))
        assert read(internal(sim), ca_file=ca) == ACTIVE
        monkeypatch.setenv(variable, proxy.url("alice", "wrong-password"))
        outcome = read(internal(sim), ca_file=ca)
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.PROXY_AUTH
        assert "wrong-password" not in outcome.describe()
    finally:
        proxy.close()


def test_a_socks_proxy_is_refused_with_a_message(bridge, monkeypatch) -> None:
    sim = bridge({"int_1": live()})
    monkeypatch.setenv("ALL_PROXY", "socks5://u:p4ss@127.0.0.1:1080")
    outcome = read(internal(sim))
    assert isinstance(outcome, LiveFailure) and "HTTP proxies only" in outcome.detail
    assert "p4ss" not in outcome.detail


# -- trust -------------------------------------------------------------------------------


def test_a_private_ca_is_refused_until_cwdash_ca_file_names_it(bridge, tmp_path: Path) -> None:
    server, bundle = private_ca(tmp_path, "127.0.0.1")
    sim = bridge({"int_1": live()}, tls=server)
    refused = read(sim.url)
    assert isinstance(refused, LiveFailure) and refused.reason is Reason.TLS
    assert "CERTIFICATE_VERIFY_FAILED" in refused.detail and "CWDASH_CA_FILE" in refused.hint
    assert read(sim.url, ca_file=str(bundle)) == ACTIVE


def test_ssl_cert_file_is_honoured(bridge, tmp_path: Path, monkeypatch) -> None:
    server, bundle = private_ca(tmp_path, "127.0.0.1")
    sim = bridge({"int_1": live()}, tls=server)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert read(sim.url) == ACTIVE


def test_ssl_cert_dir_is_honoured(bridge, tmp_path: Path, monkeypatch) -> None:
    import ssl

    server, bundle = private_ca(tmp_path, "127.0.0.1")
    sim = bridge({"int_1": live()}, tls=server)
    certs = tmp_path / "certs"
    certs.mkdir()
    # OpenSSL looks a CA up in a directory by its subject hash: <hash>.0
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.load_verify_locations(cafile=str(bundle))
    import subprocess

    digest = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(bundle)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not digest:
        pytest.skip("openssl is not installed")
    (certs / f"{digest}.0").write_bytes(bundle.read_bytes())
    monkeypatch.setenv("SSL_CERT_DIR", str(certs))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))
    assert read(sim.url) == ACTIVE


def test_cli_status_through_the_proxy_with_a_private_ca(
    cli, store, configure, bridge, proxy: ForwardProxy, tmp_path: Path, monkeypatch
) -> None:
    server, bundle = private_ca(tmp_path, NAME)
    sim = bridge({"int_xyz789abc": live(status="paused", inbox_id=42)}, tls=server)
    configure(internal(sim))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url("alice", "pr0xy-s3cret"))
    refused = cli("status", "suporte", "-v")
    assert refused.code == 0 and "CWDASH_CA_FILE" in refused.err and "TLS failure" in refused.err
    assert f"through proxy http://127.0.0.1:{proxy.port}" in refused.err
    monkeypatch.setenv("CWDASH_CA_FILE", str(bundle))
    run = cli("status", "suporte", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["status"] == "paused"
    assert "pr0xy-s3cret" not in run.out + run.err + refused.err


def test_a_missing_ca_file_is_a_configuration_error(cli, store, configure, tmp_path: Path) -> None:
    configure(CWDASH_CA_FILE=str(tmp_path / "nope.pem"))
    run = cli("list")
    assert run.code == 1 and "CWDASH_CA_FILE" in run.err and "nope.pem" in run.err
    (tmp_path / "empty.pem").write_text("not a certificate\n")
    configure(CWDASH_CA_FILE=str(tmp_path / "empty.pem"))
    assert "no PEM certificate" in cli("list").err


def test_doctor_shows_the_route_and_trust_and_reaches_the_gateway(
    cli, store, configure, bridge, proxy: ForwardProxy, tmp_path: Path, monkeypatch
) -> None:
    server, bundle = private_ca(tmp_path, NAME)
    sim = bridge({}, tls=server)  # every id is unknown: the probe's 404 proves the way there
    configure(internal(sim), CWDASH_CA_FILE=str(bundle))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url("alice", "pr0xy-s3cret"))
    run = cli("doctor", "--json")
    assert run.code == 0, run.out
    report = json.loads(run.out)
    assert report["healthy"] is True
    live_checks = {c["name"]: c["value"] for c in report["checks"] if c["section"] == "live"}
    assert live_checks["proxy"] == f"through proxy http://127.0.0.1:{proxy.port}"
    assert f"CWDASH_CA_FILE={bundle}" in live_checks["TLS trusts"]
    assert live_checks["reachable"].startswith("yes")
    assert "pr0xy-s3cret" not in run.out and TOKEN not in run.out
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    down = cli("doctor")
    assert down.code == 1 and "proxy refused" in down.out and "FAIL" in down.out


def test_ryzeapi_goes_through_the_same_proxy_as_the_bridge(proxy: ForwardProxy, monkeypatch) -> None:
    """Every outgoing request, not only the bridge's: RyzeAPI's client is made by the one
    client factory, so it follows HTTP_PROXY to a name only the proxy resolves."""
    from cwdash.store.simryze import SimRyze
    from cwdash.store.sources.ryzeapi import RyzeApiSource

    sim = SimRyze(3).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url())

        async def go() -> LiveOutcome:
            source = RyzeApiSource.connect(f"http://{NAME}:{sim.port}", sim.token, timeout=5)
            try:
                return await source.read(LiveTarget("inst-0000", ""))
            finally:
                await source.aclose()

        outcome = asyncio.run(go())
    finally:
        sim.stop()
    assert isinstance(outcome, LiveState), outcome
    assert proxy.seen and all(line.startswith(f"GET http://{NAME}:{sim.port}/") for line in proxy.seen)
