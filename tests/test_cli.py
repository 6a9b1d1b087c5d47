"""The headless command line: answers exactly like RyzeAPI's read, exit codes, secrets kept."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cwdash.store.config import parse_key, user_env_path
from cwdash.store.db import Store
from cwdash.store.simbridge import Reply, live

SEED_TOKEN = "sk_live_abc123..."


@pytest.fixture
def seeded(store: Store, configure: Callable[..., None]) -> Store:
    configure()
    return store


# -- status ------------------------------------------------------------------------


def test_seed_round_trip(cli, configure, bridge, document, tmp_path: Path) -> None:
    """The seed's example imported, then read with a bridge answering ``active``: unchanged."""
    seed = document("suporte", bridge_integration_id="int_xyz789abc")
    sim = bridge({"int_xyz789abc": live("active", "", inbox_id=42)})
    configure(sim)
    path = tmp_path / "seed.json"
    path.write_text(json.dumps([seed], indent=2))
    assert cli("import", str(path)).code == 0
    run = cli("status", "suporte", "--json")
    assert run.code == 0, run.err
    assert run.out.endswith("\n")
    assert run.json() == seed
    assert list(run.json()) == list(seed)  # seed order
    assert run.err == ""
    assert sim.stats.paths == ["/v1/integrations/int_xyz789abc"]


@pytest.mark.parametrize(
    ("name", "gateway", "code", "message"),
    [
        ("ghost", True, 4, "instance not found"),
        ("bare", True, 4, "no chatwoot integration for this instance"),
        ("suporte", False, 5, "integration gateway not configured"),
        ("ghost", False, 4, "instance not found"),
    ],
)
def test_mapped_errors_print_the_envelope(
    cli, store, configure, name: str, gateway: bool, code: int, message: str
) -> None:
    configure("http://127.0.0.1:9" if gateway else None)
    run = cli("status", name, "--json")
    assert run.code == code
    assert run.json() == {"success": False, "error": {"message": message}}
    assert message in run.err
    plain = cli("status", name)
    assert plain.code == code and plain.out == "" and message in plain.err


def test_local_skips_the_live_read_and_the_503(cli, seeded) -> None:
    run = cli("status", "suporte", "--json", "--local")
    assert run.code == 0
    assert run.json()["status"] == "active"


def test_failed_live_read_falls_back_with_reason_on_stderr(cli, store, configure, bridge) -> None:
    sim = bridge({"int_fresh": Reply(status=503, body={"error": "down"})})
    configure(sim)
    run = cli("status", "fresh", "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["status"] == "paused" and doc["last_error"] == "stale local error"
    assert "live read failed" in run.err and "HTTP 503" in run.err


def test_timeout_falls_back(cli, store, configure, bridge) -> None:
    sim = bridge({"int_fresh": Reply(hang=True)})
    configure(sim, timeout=0.3)
    run = cli("status", "fresh", "--json")
    assert run.code == 0
    assert run.json()["status"] == "paused"
    assert "timed out" in run.err and "0.3 s" in run.err


def test_backfill_through_the_cli(cli, store, configure, bridge) -> None:
    sim = bridge({"int_fresh": live("active", "", inbox_id=64)})
    configure(sim)
    run = cli("status", "fresh", "--json")
    assert run.json()["chatwoot_inbox_id"] == 64
    assert cli("status", "fresh", "--json", "--local").json()["chatwoot_inbox_id"] == 64


def test_plain_status_masks_the_token(cli, store, configure, bridge) -> None:
    configure(bridge({"int_xyz789abc": live("error", "Chatwoot said [red]no[/red]\x1b[2J")}))
    run = cli("status", "suporte")
    assert run.code == 0
    assert SEED_TOKEN not in run.out + run.err
    assert "sk_live" not in run.out + run.err
    assert "masked" in run.out
    assert "ERROR" in run.out and "[live]" in run.out
    assert "[red]no[/red]" in run.out  # literal, not styled
    assert "\x1b" not in run.out  # terminal escapes made visible, never sent
    for flag in ("sign_messages", "ignore_groups", "start_as_pending", "reopen_resolved"):
        assert flag in run.out


def test_wrong_key_is_exit_1_naming_the_instance(cli, store, configure, monkeypatch) -> None:
    configure()
    from cwdash.store.config import generate_key

    monkeypatch.setenv("CWDASH_KEY", generate_key())
    run = cli("status", "suporte", "--json", "--local")
    assert run.code == 1
    assert "'suporte'" in run.err and "wrong CWDASH_KEY" in run.err
    assert run.json()["success"] is False
    plain = cli("status", "suporte", "--local")
    assert plain.code == 1
    assert "cannot be opened" in plain.out  # the rest of the status still shows
    assert "sk_live" not in plain.out + plain.err


def test_tampered_token_is_exit_1(cli, store, configure, db_path: Path) -> None:
    configure()
    conn = __import__("sqlite3").connect(db_path)
    conn.execute(
        "UPDATE chatwoot_integrations SET chatwoot_api_token = "
        "(SELECT chatwoot_api_token FROM chatwoot_integrations WHERE instance_name = 'fresh') "
        "WHERE instance_name = 'suporte'"
    )
    conn.commit()
    conn.close()
    run = cli("status", "suporte", "--json", "--local")
    assert run.code == 1
    assert "copied from another instance" in run.err
    assert "Traceback" not in run.err


# -- list ----------------------------------------------------------------------------


def test_list_never_prints_tokens(cli, seeded) -> None:
    run = cli("list")
    assert run.code == 0
    assert "sk_live" not in run.out + run.err
    assert "suporte" in run.out and "NO INTEGRATION" in run.out
    docs = cli("list", "--json").json()
    assert [d["instance_name"] for d in docs] == ["bare", "fresh", "suporte"]
    assert docs[0] == {"instance_name": "bare"}
    assert all("chatwoot_api_token" not in d for d in docs)
    assert "sk_live" not in json.dumps(docs)
    assert docs[2]["sign_messages"] is True and docs[2]["ignore_groups"] is False


def test_list_works_without_a_key(cli, store, configure, monkeypatch) -> None:
    configure()
    monkeypatch.delenv("CWDASH_KEY")
    assert cli("list").code == 0


@pytest.mark.parametrize("command", [("status", "suporte"), ("list",), ("delete", "suporte"), ("audit",)])
def test_read_commands_never_create_a_store(cli, configure, db_path: Path, command: tuple[str, ...]) -> None:
    configure()
    run = cli(*command)
    assert run.code == 1
    assert "cwdash init" in run.err
    assert not db_path.exists()


# -- import --------------------------------------------------------------------------


def test_import_jsonl_from_stdin_and_upsert(cli, seeded, document) -> None:
    lines = [
        json.dumps(document("suporte", status="error", last_error="token expired")),
        json.dumps({"instance_name": "just-a-number"}),
    ]
    run = cli("import", "-", stdin="\n".join(lines) + "\n")
    assert run.code == 0, run.err
    assert "2 instance(s), 1 with an integration" in run.out
    docs = {d["instance_name"]: d for d in cli("list", "--json").json()}
    assert docs["suporte"]["status"] == "error"
    assert docs["just-a-number"] == {"instance_name": "just-a-number"}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"chatwoot_account_id": 0}, "chatwoot_account_id must be greater than 0"),
        ({"chatwoot_account_id": "5"}, "chatwoot_account_id must be an integer"),
        ({"chatwoot_base_url": "ftp://x"}, "http(s) URL"),
        ({"status": "dead"}, "status must be one of"),
        ({"sign_messages": "yes"}, "sign_messages must be true or false"),
        ({"created_at": "yesterday"}, "created_at is not RFC 3339"),
        ({"chatwoot_api_token": ""}, "chatwoot_api_token is empty"),
        ({"surprise": 1}, "unknown field 'surprise'"),
    ],
)
def test_one_bad_record_names_its_line_and_nothing_is_written(
    cli, seeded, document, tmp_path: Path, change: dict, why: str
) -> None:
    records = [document("ok-1"), document("ok-2"), document("bad", **change)]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(records, indent=2))
    openings = [i for i, text in enumerate(json.dumps(records, indent=2).splitlines(), 1) if text == "  {"]
    line = openings[2]  # the third record's opening line
    run = cli("import", str(path))
    assert run.code == 1
    assert f"line {line}" in run.err and why in run.err
    assert "nothing written" in run.err
    names = [d["instance_name"] for d in cli("list", "--json").json()]
    assert "ok-1" not in names and "bad" not in names


def test_import_bad_json_names_the_line(cli, seeded) -> None:
    run = cli("import", "-", stdin='{"instance_name": "a"}\n{"instance_name": \n')
    assert run.code == 1 and "line 2" in run.err


def test_import_creates_the_store(cli, configure, document, db_path: Path) -> None:
    configure()
    run = cli("import", "-", stdin=json.dumps(document("x")))
    assert run.code == 0, run.err
    assert db_path.exists()


# -- add / set / delete ------------------------------------------------------------------


def test_set_creates_and_updates_like_ryzeapi(cli, seeded, db_path: Path, key: str) -> None:
    assert cli("add", "vendas").code == 0
    run = cli(
        "set", "vendas", "--base-url", "https://chat.example.com///", "--account-id", "3",
        "--inbox-name", "Vendas", "--bridge-id", "int_v", "--token-stdin", "--sign-messages",
        stdin="tok_vendas_1\n",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "tok_vendas_1" not in run.out + run.err
    doc = cli("status", "vendas", "--json", "--local").json()
    assert doc["chatwoot_base_url"] == "https://chat.example.com"
    assert doc["chatwoot_api_token"] == "tok_vendas_1"
    assert doc["sign_messages"] is True and doc["reopen_resolved"] is False
    # an update keeps what it does not name, the token included
    assert cli("set", "vendas", "--no-sign-messages", "--reopen-resolved").code == 0
    doc = cli("status", "vendas", "--json", "--local").json()
    assert doc["sign_messages"] is False and doc["reopen_resolved"] is True
    assert doc["chatwoot_api_token"] == "tok_vendas_1"
    assert doc["chatwoot_inbox_name"] == "Vendas"
    from cwdash.store.sealing import Sealer

    sealed = Store.open(db_path).integration("vendas").sealed_token
    assert Sealer(parse_key(key)).open("vendas", sealed).reveal() == "tok_vendas_1"


def test_set_refuses_bad_input(cli, seeded) -> None:
    args = ("--account-id", "3", "--inbox-name", "I", "--bridge-id", "int_b", "--token-stdin")
    assert cli("set", "bare", "--base-url", "not a url", *args, stdin="t\n").code == 2
    assert cli("set", "bare", "--base-url", "https://x", "--account-id", "0", "--inbox-name", "I",
               "--bridge-id", "b", "--token-stdin", stdin="t\n").code == 2  # fmt: skip
    missing = cli("set", "bare", "--base-url", "https://x", stdin="t\n")
    assert missing.code == 2 and "--account-id" in missing.err
    assert cli("set", "bare", "--base-url", "https://x", *args, stdin="\n").code == 2  # empty token
    assert cli("status", "bare", "--local").code == 4  # nothing was written


def test_set_on_unknown_instance_is_not_found(cli, seeded) -> None:
    run = cli("set", "ghost", "--inbox-name", "x")
    assert run.code == 4 and "instance not found" in run.err


def test_delete_twice(cli, seeded) -> None:
    assert cli("delete", "suporte").code == 0
    second = cli("delete", "suporte")
    assert second.code == 4 and "no chatwoot integration to delete" in second.err
    assert cli("delete", "ghost").code == 4
    assert cli("status", "suporte", "--local").code == 4


# -- init / keygen / config ------------------------------------------------------------------


def test_init_writes_a_private_env_and_never_overwrites_a_key(cli, isolated: Path) -> None:
    run = cli("init", "--db", "store.db")
    assert run.code == 0, run.err
    env = user_env_path()  # $XDG_CONFIG_HOME/cwdash/env, found from any directory
    assert not (isolated / ".env").exists()
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert stat.S_IMODE(env.parent.stat().st_mode) == 0o700
    first = env.read_text()
    assert "CWDASH_KEY=" in first
    assert (isolated / "store.db").exists()
    assert "BRIDGE_URL" in run.out
    again = cli("init", "--db", "store.db")
    assert again.code == 0 and "keeping the existing key" in again.out
    assert env.read_text() == first


def test_init_refuses_to_replace_a_bad_key(cli, isolated: Path) -> None:
    (isolated / ".env").write_text("CWDASH_KEY=short\n")
    run = cli("init", "--db", "store.db")
    assert run.code == 1 and "CWDASH_KEY" in run.err
    assert (isolated / ".env").read_text() == "CWDASH_KEY=short\n"


def test_keygen_prints_a_fresh_key(cli) -> None:
    first, second = cli("keygen").out.strip(), cli("keygen").out.strip()
    assert first != second
    assert len(parse_key(first)) == 32


def test_env_file_and_environment_precedence(
    cli, store, key: str, db_path: Path, isolated: Path, monkeypatch
) -> None:
    (isolated / "other.env").write_text(f"CWDASH_DB={db_path}\nCWDASH_KEY={key}\n")
    assert cli("status", "suporte", "--local", "--env-file", "other.env").code == 0
    monkeypatch.setenv("CWDASH_DB", str(isolated / "nowhere.db"))  # the environment wins over the file
    assert cli("status", "suporte", "--local", "--env-file", "other.env").code == 1
    missing = cli("status", "suporte", "--env-file", "absent.env")
    assert missing.code == 1 and "absent.env" in missing.err


def test_dot_env_in_working_directory_is_read(cli, store, key: str, db_path: Path, isolated: Path) -> None:
    (isolated / ".env").write_text(f"CWDASH_DB={db_path}\nCWDASH_KEY={key}\nBRIDGE_URL=\nBRIDGE_TOKEN=\n")
    assert cli("status", "suporte", "--json").code == 5
    assert cli("status", "suporte", "--json", "--local").code == 0


def test_usage_errors_exit_2(cli) -> None:
    assert cli("status").code == 2
    assert cli("frobnicate").code == 2
    assert cli("set", "x", "--account-id", "three").code == 2


def test_headless_commands_do_not_import_textual(store, key: str, db_path: Path) -> None:
    code = (
        "import sys\n"
        "from cwdash.cli.main import main\n"
        "rc = main(['list'])\n"
        "rc2 = main(['status', 'suporte', '--local'])\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
        "assert 'cwdash.store' in sys.modules\n"
        "sys.exit(rc or rc2)\n"
    )
    env = {**os.environ, "CWDASH_DB": str(db_path), "CWDASH_KEY": key}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "suporte" in done.stdout


def test_store_package_never_imports_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, cwdash.store as store\n"
        "for m in pkgutil.iter_modules(store.__path__):\n"
        "    importlib.import_module('cwdash.store.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'click') or m.startswith('cwdash.tui')]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_console_script_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cwdash", "--help"], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0
    assert "exit codes" in done.stdout


@pytest.mark.parametrize(
    ("bad_key", "message"),
    [(None, "CWDASH_KEY is not set"), ("abc", "not valid base64"), ("c2hvcnQ=", "decodes to 5 bytes")],
)
def test_dashboard_refuses_to_start_without_a_usable_key(
    cli, store, configure, monkeypatch, bad_key, message
) -> None:
    monkeypatch.setattr("cwdash.cli.dashboard.terminal_problem", lambda: None)  # as in a terminal
    configure()
    if bad_key is None:
        monkeypatch.delenv("CWDASH_KEY")
    else:
        monkeypatch.setenv("CWDASH_KEY", bad_key)
    run = cli()  # no command: the dashboard
    assert run.code == 1
    assert message in run.err
    assert "Traceback" not in run.err


def test_dashboard_on_a_missing_store_names_cwdash_init(cli, configure, db_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("cwdash.cli.dashboard.terminal_problem", lambda: None)  # as in a terminal
    configure()
    run = cli()
    assert run.code == 1 and "cwdash init" in run.err
    assert not db_path.exists()


# -- a terminal that is not UTF-8 ---------------------------------------------------


@pytest.mark.parametrize("locale", ["C", "en_US.ISO-8859-1"])
def test_a_c_locale_gets_ascii_from_status_and_list(
    cli, store, configure, monkeypatch: pytest.MonkeyPatch, locale: str
) -> None:
    """Under LANG=C a terminal (or tmux) shows every non-ASCII character as ``_``: cwdash's
    own dashes and mask are ASCII there; in a UTF-8 locale they stay as they were."""
    configure("http://127.0.0.1:9")  # nothing listens: the status says it is local, and why
    monkeypatch.setenv("LANG", locale)
    status = cli("status", "suporte")
    listed = cli("list")
    assert status.code == 0, status.err
    for run in (status, listed):
        assert run.out.isascii(), [line for line in run.out.splitlines() if not line.isascii()]
    assert "[local - bridge unreachable]" in status.out
    assert "******** (masked; --json prints it)" in status.out
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert "\u2022" * 8 in cli("status", "suporte").out
