"""`cwdash rekey`: every token re-sealed under a new key in one transaction, crash-safe."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from storekit import TOKENS, env_text, opened, write_env

from cwdash.store.config import load_config, parse_key
from cwdash.store.db import Store
from cwdash.store.sealing import Sealer, TokenError


@pytest.fixture
def env_file(isolated: Path, store: Store, key: str, db_path: Path) -> Path:
    text = env_text(db_path, key, before="# ops\n", after="BRIDGE_URL=http://127.0.0.1:9\n")
    return write_env(isolated / ".env", text)


def test_rekey_reseals_every_token_and_updates_the_env(cli, env_file: Path, key: str, db_path: Path) -> None:
    before = Store.open(db_path).integrations()
    run = cli("rekey")
    assert run.code == 0, run.err
    assert "re-sealed 2 token(s)" in run.out
    config = load_config(env_file)
    assert config.key_text and config.key_text != key
    assert config.next_key_text is None
    assert "# ops" in env_file.read_text() and "BRIDGE_URL=http://127.0.0.1:9" in env_file.read_text()
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert opened(db_path, config.key_text) == TOKENS
    with pytest.raises(TokenError):
        opened(db_path, key)  # the old key no longer opens anything
    after = Store.open(db_path).integrations()
    assert [r.sealed_token for r in after] != [r.sealed_token for r in before]
    assert cli("status", "suporte", "--json", "--local").json()["chatwoot_api_token"] == TOKENS["suporte"]


def test_rekey_refuses_when_a_token_cannot_be_opened(cli, env_file: Path, key: str, db_path: Path) -> None:
    from cwdash.store.config import generate_key

    store = Store.open(db_path)
    alien = Sealer(parse_key(generate_key())).seal("fresh", "other")
    store.conn.execute(
        "UPDATE chatwoot_integrations SET chatwoot_api_token = ? WHERE instance_name = 'fresh'", (alien,)
    )
    store.conn.commit()
    env_before = env_file.read_text()
    tokens_before = [r.sealed_token for r in store.integrations()]
    run = cli("rekey")
    assert run.code == 1
    assert "rekey refused, nothing changed" in run.err and "'fresh'" in run.err
    assert env_file.read_text() == env_before
    assert [r.sealed_token for r in store.integrations()] == tokens_before


def test_interrupted_before_commit_leaves_every_token_readable(
    cli, env_file: Path, key: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self, *_):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    real = Store.reseal_tokens
    monkeypatch.setattr(Store, "reseal_tokens", crash)
    assert cli("rekey").code == 130
    config = load_config(env_file)
    assert config.key_text == key and config.next_key_text  # the new key is already kept
    assert opened(db_path, key, config.fallback_keys()) == TOKENS
    monkeypatch.setattr(Store, "reseal_tokens", real)
    # running rekey again finishes the job with the same new key
    pending = config.next_key_text
    assert cli("rekey", "--env-file", str(env_file)).code == 0
    final = load_config(env_file)
    assert final.key_text == pending and final.next_key_text is None
    assert opened(db_path, final.key_text) == TOKENS


def test_interrupted_after_commit_leaves_every_token_readable(
    cli, env_file: Path, key: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cwdash.cli.keys as cli_module

    real = cli_module.set_env_values
    calls = []

    def second_write_crashes(path, updates):  # type: ignore[no-untyped-def]
        calls.append(updates)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(path, updates)

    monkeypatch.setattr(cli_module, "set_env_values", second_write_crashes)
    assert cli("rekey").code == 130
    config = load_config(env_file)
    assert config.key_text == key  # the .env still names the old key first...
    with pytest.raises(TokenError):
        opened(db_path, key)  # ...though the tokens are already under the new one,
    # ...and with CWDASH_KEY_NEXT every command still opens them
    assert cli("status", "suporte", "--json", "--local").json()["chatwoot_api_token"] == TOKENS["suporte"]
    monkeypatch.setattr(cli_module, "set_env_values", real)
    assert cli("rekey").code == 0
    final = load_config(env_file)
    assert final.next_key_text is None
    assert opened(db_path, final.key_text or "") == TOKENS


def test_rekey_needs_the_key_in_a_env_file(cli, store: Store, key: str, db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CWDASH_KEY", key)
    monkeypatch.setenv("CWDASH_DB", str(db_path))
    run = cli("rekey")
    assert run.code == 2 and "environment" in run.err
    monkeypatch.delenv("CWDASH_KEY")
    run = cli("rekey")
    assert run.code == 2 and ".env" in run.err


def test_readable_env_file_draws_a_warning(cli, env_file: Path) -> None:
    os.chmod(env_file, 0o644)
    run = cli("list")
    assert run.code == 0
    assert "readable by other users" in run.err and "chmod 600" in run.err
    os.chmod(env_file, 0o600)
    assert "readable" not in cli("list").err


def test_list_json_unchanged_by_rekey(cli, env_file: Path) -> None:
    before = cli("list", "--json").json()
    assert cli("rekey").code == 0
    assert cli("list", "--json").json() == before
    assert "sk_live" not in json.dumps(before)
