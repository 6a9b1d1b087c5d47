"""One key per store wherever you stand: where configuration is found, and init."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cwdash.store.config import generate_key, load_config, parse_key, user_env_path
from cwdash.store.sealing import fingerprint


def test_settings_are_found_in_order_and_their_origin_is_kept(isolated: Path, monkeypatch) -> None:
    user = user_env_path()
    user.parent.mkdir(parents=True)
    user.write_text("CWDASH_DB=/from/user\nBRIDGE_TOKEN=t-user\nCWDASH_RATE=3\nCWDASH_CONCURRENCY=4\n")
    (isolated / ".env").write_text("CWDASH_DB=/from/dotenv\nCWDASH_RATE=5\n")
    (isolated / "named.env").write_text("CWDASH_DB=/from/named\n")
    monkeypatch.setenv("CWDASH_CONCURRENCY", "9")
    config = load_config()
    assert str(config.db_path) == "/from/dotenv" and config.rate == 5 and config.concurrency == 9
    assert config.bridge_token == "t-user"
    assert config.origin("CWDASH_DB") == str(isolated / ".env")
    assert config.origin("BRIDGE_TOKEN") == str(user)
    assert config.origin("CWDASH_CONCURRENCY") == "environment"
    assert config.origin("CWDASH_LIVE_TIMEOUT") == "default"
    named = load_config("named.env")  # --env-file stands in for ./.env, above the per-user file
    assert str(named.db_path) == "/from/named" and named.rate == 3
    assert load_config(db="x.db").origin("CWDASH_DB") == "--db"


def test_init_in_one_directory_then_status_from_another(cli, isolated: Path, document, monkeypatch) -> None:
    import json

    run = cli("init")
    assert run.code == 0, run.err
    env = user_env_path()
    assert stat.S_IMODE(env.stat().st_mode) == 0o600 and not (isolated / ".env").exists()
    (isolated / "docs.json").write_text(json.dumps([document("suporte")]))
    assert cli("import", "docs.json").code == 0
    elsewhere = isolated.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    status = cli("status", "suporte", "--local")
    assert status.code == 0, status.err
    assert "cannot be opened" not in status.out
    # a second init, from here, keeps the key
    key = load_config().key_text
    again = cli("init")
    assert again.code == 0 and "keeping the existing key" in again.out and str(env) in again.out
    assert load_config().key_text == key
    assert env.read_text().count("CWDASH_KEY=") == 1


def test_init_with_the_key_elsewhere_refuses_and_says_where(
    cli, store, db_path: Path, key: str, monkeypatch
) -> None:
    monkeypatch.setenv("CWDASH_DB", str(db_path))
    run = cli("init")
    assert run.code == 1
    assert f"sealed with key {fingerprint(parse_key(key))}" in run.err
    assert str(user_env_path()) in run.err and "--env-file PATH" in run.err
    assert key not in run.err
    assert not user_env_path().exists()


def test_a_wrong_key_names_both_fingerprints_never_a_key(
    cli, store, db_path: Path, key: str, monkeypatch
) -> None:
    other = generate_key()
    monkeypatch.setenv("CWDASH_DB", str(db_path))
    monkeypatch.setenv("CWDASH_KEY", other)
    run = cli("status", "suporte", "--local")
    assert run.code == 1
    expected, in_hand = fingerprint(parse_key(key)), fingerprint(parse_key(other))
    assert f"the store expects key {expected}, this is key {in_hand}" in run.err
    assert key not in run.err + run.out and other not in run.err + run.out


def test_a_found_user_env_of_another_owner_is_refused(isolated: Path, monkeypatch) -> None:
    user = user_env_path()
    user.parent.mkdir(parents=True)
    user.write_text("CWDASH_DB=/x\n")
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to another user")
    os.chown(user, 12345, -1)
    from cwdash.store.config import ConfigError

    with pytest.raises(ConfigError, match="belongs to another user"):
        load_config()


def test_doctor_reports_origins_and_the_key_without_secrets(
    cli, store, db_path: Path, key: str, monkeypatch
) -> None:
    import json

    monkeypatch.setenv("CWDASH_DB", str(db_path))
    user = user_env_path()
    user.parent.mkdir(parents=True)
    user.write_text(f"CWDASH_KEY={key}\nBRIDGE_TOKEN=tok-s3cret\n")
    user.chmod(0o644)
    run = cli("doctor", "--json")
    report = json.loads(run.out)
    checks = {(c["section"], c["name"]): c for c in report["checks"]}
    assert checks[("settings", "CWDASH_KEY")]["value"] == f"(set)  ({user})"
    assert checks[("settings", "CWDASH_DB")]["value"].endswith("(environment)")
    assert checks[("key", "store's key")]["value"].endswith("matches")
    assert (
        checks[("settings", "env file")]["state"] == "warn"
        and "chmod 600" in checks[("settings", "env file")]["fix"]
    )
    assert key not in run.out and "tok-s3cret" not in run.out
    assert run.code == 0  # BRIDGE_URL is not set: a warning, not a problem
    monkeypatch.setenv("CWDASH_KEY", generate_key())
    wrong = cli("doctor")
    assert wrong.code == 1 and "does NOT match" in wrong.out
    monkeypatch.setenv("BRIDGE_URL", "ftp://nope")
    broken = cli("doctor", "--json")
    assert broken.code == 1 and json.loads(broken.out)["healthy"] is False
