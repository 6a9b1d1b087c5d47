"""Secrets stay secret in the headless commands: no token in argv, tracebacks or reprs."""

from __future__ import annotations

import json

import pytest

import cwdash.cli.output
from cwdash.store.config import load_config
from cwdash.store.sources.bridge import BridgeSource

SEED_TOKEN = "sk_live_abc123..."


def test_a_bug_in_a_command_prints_no_values(cli, store, configure, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error after the token was opened: a short report, no traceback, no token."""
    configure()

    def broken(value: object) -> None:
        raise ValueError(f"cannot print {json.dumps(value)}")  # the message itself holds the token

    monkeypatch.setattr(cwdash.cli.output, "print_json", broken)
    run = cli("status", "suporte", "--json", "--local")
    assert run.code == 1
    assert "internal error: ValueError at test_secrets.py:" in run.err
    assert SEED_TOKEN not in run.out + run.err
    assert "Traceback" not in run.err


def test_the_token_is_never_a_command_line_argument(cli, store, configure) -> None:
    configure()
    for option in ("--token", "--chatwoot-api-token", "--api-token"):
        run = cli("set", "suporte", option, "secret-on-argv")
        assert run.code == 2  # there is no such option: a token on argv would show in `ps`
    help_text = cli("set", "--help").out
    assert "--token-stdin" in help_text and "--token-prompt" in help_text


def test_bridge_token_is_never_shown(cli, store, configure, bridge, monkeypatch: pytest.MonkeyPatch) -> None:
    from cwdash.store.simbridge import Reply

    sim = bridge({"int_xyz789abc": Reply(status=401, body={"error": "nope"})})
    configure(sim)
    monkeypatch.setenv("BRIDGE_TOKEN", "bridge-token-do-not-show")
    run = cli("status", "suporte")
    assert "rejected BRIDGE_TOKEN" in run.err
    assert "bridge-token-do-not-show" not in run.out + run.err
    config = load_config()
    source = BridgeSource(config.bridge_url or "", config.bridge_token or "", timeout=1)
    assert "bridge-token-do-not-show" not in repr(config) + repr(source) + repr(vars(source))
