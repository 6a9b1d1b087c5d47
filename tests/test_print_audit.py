"""`status --json` prints a plaintext token: --no-reveal masks it, and every print is audited."""

from __future__ import annotations

import pytest

from cwdash.store.db import Store, StoreError

SEED_TOKEN = "sk_live_abc123..."


def audit_rows(cli) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(r["instance_name"], r["action"]) for r in cli("audit", "--json").json()]


@pytest.mark.parametrize(
    ("extra", "env"),
    [((), {"CWDASH_NO_REVEAL": "1"}), (("--no-reveal",), {}), ((), {"CWDASH_NO_REVEAL": "yes"})],
)
def test_no_reveal_masks_the_token_in_status_json(cli, store: Store, configure, extra, env) -> None:
    configure(**env)
    run = cli("status", "suporte", "--json", "--local", *extra)
    assert run.code == 0, run.err
    doc = run.json()
    assert SEED_TOKEN not in run.out + run.err
    assert doc["chatwoot_api_token"] and doc["chatwoot_api_token"] != SEED_TOKEN
    assert list(doc)[5] == "chatwoot_api_token"  # same place, same document shape
    assert "masked" in run.err and "no-reveal" in run.err.lower()
    assert audit_rows(cli) == []  # nothing printed, nothing to record


def test_no_reveal_before_the_command_works_too(cli, store: Store, configure) -> None:
    configure()
    run = cli("--no-reveal", "status", "suporte", "--json", "--local")
    assert run.code == 0 and SEED_TOKEN not in run.out


def test_every_printed_token_is_audited(cli, store: Store, configure) -> None:
    configure()
    assert cli("status", "suporte", "--json", "--local").json()["chatwoot_api_token"] == SEED_TOKEN
    assert cli("status", "fresh", "--json", "--local").code == 0
    assert cli("status", "suporte", "--local").code == 0  # masked text: not a print of the token
    assert audit_rows(cli) == [("suporte", "print"), ("fresh", "print")]
    assert "print" in cli("audit").out


def test_an_unrecordable_print_still_prints_and_says_so(
    cli, store: Store, configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure()

    def read_only(self: Store, name: str, action: str) -> None:
        raise StoreError(f"the store {self.path} is read-only, so this write cannot be saved")

    monkeypatch.setattr(Store, "record_audit", read_only)
    run = cli("status", "suporte", "--json", "--local")
    assert run.code == 0
    assert run.json()["chatwoot_api_token"] == SEED_TOKEN  # RyzeAPI's document carries the token
    assert "not in the audit" in run.err and "read-only" in run.err
