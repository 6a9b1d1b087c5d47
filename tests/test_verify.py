"""``cwdash verify``: every diagnosis against the real loopback Chatwoot, its proxy and a web page."""
# ruff: noqa: F811  (the fixtures of verifykit are imported by name and taken as arguments)

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from verifykit import ACCOUNT, CASES, INBOX, World, add_instance, doc, fleet, token_of, world  # noqa: F401

from cwdash.store.db import Store
from cwdash.store.simbridge import self_signed
from cwdash.store.simchatwoot import SimChatwoot

# instance -> (exit code, diagnosis code or None)
EXPECTED = {
    "healthy": (0, None),
    "renamed": (1, "inbox_renamed"),
    "proxied": (2, "underscores"),
    "revoked": (2, "token_rejected"),
    "elsewhere": (2, "account_missing"),
    "agent": (2, "role_agent"),
    "deleted": (2, "inbox_deleted"),
    "webpage": (2, "html"),
    "closed": (2, "refused"),
}


@pytest.fixture
def ready(fleet: Store, configure) -> Store:
    configure()
    return fleet


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_diagnosis_and_its_exit_code(cli, ready: Store, name: str) -> None:
    code, diagnosis = EXPECTED[name]
    run = cli("verify", name, "--json")
    assert run.code == code, run.out + run.err
    result = run.json()
    assert result["exit_code"] == code and result["instance_name"] == name
    codes = [d["code"] for d in result["diagnoses"]]
    assert codes == ([diagnosis] if diagnosis else [])
    assert token_of(name) not in run.out + run.err
    assert [s["step"] for s in result["steps"]] == ["reach", "token", "account", "inbox"]
    for d in result["diagnoses"]:
        assert d["what_to_do"] and d["reason"]


def test_the_text_says_the_diagnosis_and_what_to_do(cli, ready: Store) -> None:
    run = cli("verify", "proxied")
    assert run.code == 2
    assert run.out.startswith(
        "CRITICAL proxied: 401 with the header api_access_token, accepted with Api-Access-Token"
    )
    assert "underscores_in_headers on;" in run.out
    run = cli("verify", "revoked")
    assert "re-set it with `cwdash set NAME --token-prompt` or RyzeAPI's set" in run.out
    run = cli("verify", "agent")
    assert "the token's user is agent in account 5, not administrator" in run.out
    run = cli("verify", "renamed")
    assert run.code == 1 and "WARNING renamed" in run.out
    assert "'WhatsApp - Orion (renamed)' in Chatwoot, 'WhatsApp - Orion' here" in run.out
    run = cli("verify", "healthy")
    assert run.code == 0 and run.out.startswith("OK healthy: the token works")


def test_the_underscore_proxy_really_drops_the_header(cli, ready: Store, world: World) -> None:
    cli("verify", "proxied")
    assert world.proxy.dropped == ["api_access_token"]
    assert ("/api/v1/profile", "Api-Access-Token") in world.chatwoot.seen
    # the inbox is checked with the header that works: the whole chain is diagnosed
    assert (f"/api/v1/accounts/{ACCOUNT}/inboxes/{INBOX}", "Api-Access-Token") in world.chatwoot.seen


def test_all_is_the_worst_level_with_counts(cli, ready: Store) -> None:
    run = cli("verify", "--all", "--json")
    assert run.code == 2
    result = run.json()
    assert result["level"] == "CRITICAL"
    assert result["counts"] == {"OK": 1, "WARNING": 1, "CRITICAL": 7, "UNKNOWN": 0}
    assert [r["instance_name"] for r in result["results"]] == sorted(EXPECTED)  # no "bare": no integration
    text = cli("verify", "--all")
    assert "VERIFY CRITICAL - 9 verified: 1 ok, 1 warning, 7 critical, 0 unknown" in text.out
    for name in EXPECTED:
        assert token_of(name) not in text.out + text.err + run.out


def test_all_ok_exits_0(cli, world: World, configure, add_instance) -> None:
    from verifykit import setup_case

    add_instance(setup_case(world, "one", "ok"))
    add_instance(setup_case(world, "two", "ok"))
    configure()
    run = cli("verify", "--all")
    assert run.code == 0 and "VERIFY OK - 2 verified: 2 ok" in run.out


def test_a_hanging_chatwoot_times_out_within_the_budget(cli, configure, add_instance) -> None:
    with SimChatwoot(hang=True) as hung:
        add_instance(doc("slow", hung.url))
        configure()
        run = cli("verify", "slow", "--budget", "0.3", "--json")
    assert run.code == 2
    (diagnosis,) = run.json()["diagnoses"]
    assert diagnosis["code"] == "timeout" and "timed out" in diagnosis["reason"]
    assert "0.3 s" in diagnosis["reason"] and "reach" in diagnosis["reason"]


def test_tls_failure(cli, configure, add_instance, monkeypatch) -> None:
    context, _ = self_signed()
    with SimChatwoot(tls=context) as sim:
        add_instance(doc("selfsigned", sim.url))
        configure()
        run = cli("verify", "selfsigned", "--json")
    assert run.code == 2
    assert run.json()["diagnoses"][0]["code"] == "tls"


def test_tls_through_a_private_ca(cli, configure, add_instance, tmp_path: Path) -> None:
    context, cert = self_signed()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(cert)
    with SimChatwoot(tls=context) as sim:
        sim.add_token(token_of("trusted"), {ACCOUNT: "administrator"})
        sim.add_inbox(ACCOUNT, INBOX, "WhatsApp - Orion")
        add_instance(doc("trusted", sim.url))
        configure(CWDASH_CA_FILE=str(ca))
        run = cli("verify", "trusted")
    assert run.code == 0, run.out + run.err


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in ("chatwoot.invalid", b"chatwoot.invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield


def test_dns_failure(cli, configure, add_instance, resolver) -> None:
    add_instance(doc("nodns", "http://chatwoot.invalid:8080"))
    configure()
    run = cli("verify", "nodns", "--json")
    assert run.code == 2 and run.json()["diagnoses"][0]["code"] == "dns"


def test_proxy_failure(cli, configure, add_instance) -> None:
    add_instance(doc("behindproxy", "http://chatwoot.internal:8080"))
    configure(HTTP_PROXY="http://127.0.0.1:9")  # nothing listens there
    run = cli("verify", "behindproxy", "--json")
    assert run.code == 3
    (diagnosis,) = run.json()["diagnoses"]
    assert diagnosis["code"] == "proxy" and "127.0.0.1:9" in diagnosis["reason"]


def test_chatwoot_text_is_shown_literally(cli, world: World, configure, add_instance) -> None:
    world.chatwoot.add_token(token_of("odd"), {ACCOUNT: "administrator"})
    world.chatwoot.add_inbox(ACCOUNT, INBOX, "evil\x1b[31m\nname")
    add_instance(doc("odd", world.chatwoot.url))
    configure()
    run = cli("verify", "odd")
    assert run.code == 1
    assert "\x1b" not in run.out and "evil\\x1b[31m\\x0aname" in run.out


def test_no_instance_no_integration_no_key(cli, ready: Store, monkeypatch) -> None:
    run = cli("verify", "nobody")
    assert run.code == 3 and "instance not found" in run.err
    run = cli("verify", "bare", "--json")
    assert run.code == 3 and "no chatwoot integration for this instance" in run.err
    assert run.json()["level"] == "UNKNOWN"
    monkeypatch.delenv("CWDASH_KEY")
    run = cli("verify", "healthy")
    assert run.code == 3 and "CWDASH_KEY is not set" in run.err
    assert cli("verify").code == 2  # neither NAME nor --all
    assert cli("verify", "healthy", "--all").code == 2


def test_no_reveal_does_not_block_verify(cli, ready: Store, monkeypatch) -> None:
    monkeypatch.setenv("CWDASH_NO_REVEAL", "1")
    assert cli("--no-reveal", "verify", "healthy").code == 0


def test_each_verify_is_audited_as_verify(cli, ready: Store) -> None:
    cli("verify", "healthy")
    cli("verify", "closed")
    audit = cli("audit", "--json").json()
    assert [(a["instance_name"], a["action"]) for a in audit] == [("healthy", "verify"), ("closed", "verify")]
