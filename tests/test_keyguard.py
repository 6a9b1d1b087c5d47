"""The store names the key its tokens are sealed with; writers seal under it or refuse.

A rekey that finishes while ``set`` or ``import`` waits for its input must never leave a
token sealed under a key that is gone, and ``init`` must never mint a second key for a
store that already holds tokens.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from storekit import TOKENS, env_text, opened, rows, write_env

from cwdash.cli.main import main
from cwdash.store import keyguard, schema
from cwdash.store.config import generate_key, load_config, parse_key, user_env_path
from cwdash.store.db import Store
from cwdash.store.sealing import Sealer, fingerprint


@pytest.fixture
def env_file(isolated: Path, store: Store, key: str, db_path: Path) -> Path:
    return write_env(isolated / ".env", env_text(db_path, key))


class HeldStdin:
    """A stdin that blocks the command reading it until the test lets it go."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.reading = threading.Event()
        self.go = threading.Event()

    def _hold(self) -> str:
        self.reading.set()
        assert self.go.wait(30)
        return self.text

    def readline(self) -> str:
        return self._hold()

    def read(self) -> str:
        return self._hold()

    def isatty(self) -> bool:
        return False


def held_across_a_rekey(argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run ``cwdash argv`` until it blocks on stdin, complete a rekey, then feed it ``stdin``."""
    held = HeldStdin(stdin)
    monkeypatch.setattr(sys, "stdin", held)
    code: list[int] = []
    writer = threading.Thread(target=lambda: code.append(main(argv)))
    writer.start()
    try:
        assert held.reading.wait(30), "the writer never reached its input"
        assert main(["rekey"]) == 0  # finishes while the writer holds the old key
    finally:
        held.go.set()
        writer.join(30)
    return code[0]


def test_set_held_open_across_a_rekey_refuses_and_loses_nothing(
    env_file: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = held_across_a_rekey(["set", "suporte", "--token-stdin"], "sk_new_token\n", monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    assert "nothing was written" in err and "rekey" in err
    assert "sk_new_token" not in err
    new_key = load_config(env_file).key_text or ""
    assert opened(db_path, new_key) == TOKENS  # every token opens under the new key, the old value kept
    assert keyguard.recorded(sqlite3.connect(db_path)) == fingerprint(parse_key(new_key))


def test_import_held_open_across_a_rekey_refuses_and_loses_nothing(
    env_file: Path,
    db_path: Path,
    document,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = json.dumps([document("suporte", chatwoot_api_token="sk_new_1"), document("vendas")])
    code = held_across_a_rekey(["import", "-"], text, monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    assert "import refused, nothing written" in err
    new_key = load_config(env_file).key_text or ""
    assert opened(db_path, new_key) == TOKENS
    assert "vendas" not in Store.open(db_path).instance_names()


def test_a_writer_that_also_holds_the_next_key_seals_under_the_stores(
    cli, env_file: Path, key: str, db_path: Path
) -> None:
    """Mid-rekey (.env: CWDASH_KEY old, CWDASH_KEY_NEXT new, tokens already under the new
    key), a write seals under the key the store holds, not under CWDASH_KEY."""
    new = generate_key()
    store = Store.open(db_path)
    old_sealer = Sealer(parse_key(key))
    new_sealer = Sealer(parse_key(new))
    store.reseal_tokens(
        lambda rs: {r.instance_name: new_sealer.seal(r.instance_name, old_sealer.open(r.instance_name, r.sealed_token)) for r in rs},
        Sealer(parse_key(new), [parse_key(key)]),
    )  # fmt: skip
    with env_file.open("a") as fh:
        fh.write(f"CWDASH_KEY_NEXT={new}\n")
    run = cli("set", "suporte", "--token-stdin", stdin="sk_during_rekey\n")
    assert run.code == 0, run.err
    assert opened(db_path, new)["suporte"] == "sk_during_rekey"
    assert cli("rekey").code == 0  # and finishing the rekey leaves everything readable
    assert opened(db_path, load_config(env_file).key_text or "")["suporte"] == "sk_during_rekey"


def make_v1(db_path: Path) -> None:
    """Turn the store back into what a schema-1 cwdash left: no meta table, version 1."""
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE meta")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_a_schema_1_store_records_its_key_on_the_first_write_that_proves_it(
    cli, store: Store, key: str, db_path: Path, configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.close()
    make_v1(db_path)
    configure()
    monkeypatch.setenv("CWDASH_KEY", generate_key())  # a key that opens none of its tokens
    before = rows(db_path)
    run = cli("set", "suporte", "--token-stdin", stdin="sk_wrong\n")
    assert run.code == 1 and "do not open with CWDASH_KEY" in run.err and "nothing was written" in run.err
    assert {t: r for t, r in rows(db_path).items() if t != "meta"} == before
    monkeypatch.setenv("CWDASH_KEY", key)
    assert cli("set", "suporte", "--token-stdin", stdin="sk_right\n").code == 0
    conn = sqlite3.connect(db_path)
    assert keyguard.recorded(conn) == fingerprint(parse_key(key))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    assert opened(db_path, key)["suporte"] == "sk_right"


def test_missing_key_names_the_stores_key_and_where_cwdash_looked(
    cli, store: Store, key: str, db_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CWDASH_DB", str(db_path))
    fp = fingerprint(parse_key(key))
    monkeypatch.setattr("cwdash.cli.dashboard.terminal_problem", lambda: None)  # as in a terminal
    for argv in (("status", "suporte", "--local"), ()):  # the CLI and the dashboard's start
        run = cli(*argv)
        assert run.code == 1
        assert "CWDASH_KEY is not set" in run.err
        assert f"sealed with key {fp}" in run.err
        assert f"{isolated / '.env'} (no such file)" in run.err and "the environment" in run.err
        assert "Do not run `cwdash init`" in run.err
        assert key not in run.err


def test_init_refuses_to_mint_a_key_for_a_store_holding_tokens(
    cli, store: Store, key: str, db_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CWDASH_DB", str(db_path))
    before = rows(db_path)
    run = cli("init")
    assert run.code == 1
    assert "refusing to create a new CWDASH_KEY" in run.err
    assert f"sealed with key {fingerprint(parse_key(key))}" in run.err
    assert str(isolated / ".env") in run.err and "the environment" in run.err
    assert not (isolated / ".env").exists()
    assert rows(db_path) == before
    # with the store's key where cwdash looks, init is content
    (isolated / ".env").write_text(f"CWDASH_KEY={key}\n")
    os.chmod(isolated / ".env", 0o600)
    ok = cli("init")
    assert ok.code == 0 and "keeping the existing key" in ok.out


def test_init_with_a_wrong_existing_key_refuses(cli, store: Store, db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CWDASH_DB", str(db_path))
    monkeypatch.setenv("CWDASH_KEY", generate_key())
    run = cli("init")
    assert run.code == 1 and "sealed with key" in run.err


def test_init_with_the_key_in_the_environment_and_no_env_file_creates_the_store(
    cli, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CWDASH_KEY", generate_key())
    run = cli("init", "--db", "store.db")
    assert run.code == 0, run.err
    assert "keeping the existing key (environment)" in run.out
    assert "store ready" in run.out and (isolated / "store.db").exists()
    assert not (isolated / ".env").exists()


def test_init_rebinds_a_store_that_holds_no_tokens(cli, isolated: Path, db_path: Path, monkeypatch) -> None:
    store = Store.open(db_path, create=True)
    keyguard.bind_key(store, Sealer(parse_key(generate_key())))  # a key long lost, no tokens
    store.close()
    monkeypatch.setenv("CWDASH_DB", str(db_path))
    assert cli("init").code == 0
    new = load_config(user_env_path()).key_text or ""
    assert keyguard.recorded(sqlite3.connect(db_path)) == fingerprint(parse_key(new))


def test_the_fingerprint_is_not_the_key() -> None:
    raw = parse_key(generate_key())
    fp = fingerprint(raw)
    assert len(fp) == 16 and int(fp, 16) >= 0
    assert fp not in raw.hex() and fp != fingerprint(parse_key(generate_key()))
