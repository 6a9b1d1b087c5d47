"""``cwdash check`` (every exit code, the exact plugin line, --json), ``cwdash history`` and
``status`` recording what it saw: scripted transitions through the simulated gateway."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from storekit import rows as store_rows

from cwdash.store.db import Store
from cwdash.store.importer import import_text
from cwdash.store.simbridge import Reply, SimBridge, live

BRIDGE_TOKEN = "bridge-secret"  # conftest's
NAMES = [f"ok{i}" for i in range(1, 7)] + ["err1", "err2"]


@pytest.fixture
def states() -> dict[str, Reply]:
    """What the gateway answers, by instance: change it between runs to script transitions."""
    out = {name: live("active", "", inbox_id=9) for name in NAMES}
    out["err1"] = live("error", "inbox \x1b[31mdeleted", inbox_id=9)
    out["err2"] = live("error", "token revoked", inbox_id=9)
    return out


@pytest.fixture
def gateway(bridge, states: dict[str, Reply]) -> SimBridge:
    by_id = {f"int_{name}": name for name in NAMES}
    return bridge(lambda ident: states.get(by_id.get(ident, ""), Reply(status=404, body={})))


@pytest.fixture
def fleet(db_path: Path, sealer, configure, gateway: SimBridge, document) -> Path:
    store = Store.open(db_path, create=True)
    records = [document(n, chatwoot_inbox_id=0 if n == "ok1" else 42) for n in NAMES] + [
        {"instance_name": "bare"}
    ]
    import_text(store, sealer, json.dumps(records))
    store.close()
    configure(gateway)
    return db_path


def history_rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, field, old, new, observer FROM history ORDER BY id").fetchall()
    finally:
        conn.close()


# -- exit codes and the plugin line ---------------------------------------------------------


def test_default_thresholds_warn_on_any_instance_in_a_category(cli, fleet: Path) -> None:
    run = cli("check")
    assert run.code == 1, run.err
    assert run.out == (
        "CWDASH WARNING - 6 ok, 2 error, 0 disconnected, 0 unreachable | "
        "error=2;0;;0;8 disconnected=0;0;;0;8 unreachable=0;0;;0;8 ok=6\n"
    )
    assert BRIDGE_TOKEN not in run.out + run.err


def test_ok_warning_and_critical_by_count(cli, fleet: Path) -> None:
    ok = cli("check", "--warn", "error=2", "--crit", "error=5")
    assert ok.code == 0
    assert ok.out == (
        "CWDASH OK - 6 ok, 2 error, 0 disconnected, 0 unreachable | "
        "error=2;2;5;0;8 disconnected=0;;;0;8 unreachable=0;;;0;8 ok=6\n"
    )
    warning = cli("check", "--warn", "error=1", "--crit", "error=5")
    assert warning.code == 1
    assert warning.out == (
        "CWDASH WARNING - 6 ok, 2 error, 0 disconnected, 0 unreachable | "
        "error=2;1;5;0;8 disconnected=0;;;0;8 unreachable=0;;;0;8 ok=6\n"
    )
    critical = cli("check", "--warn", "0", "--crit", "1")
    assert critical.code == 2 and critical.out.startswith("CWDASH CRITICAL - 6 ok, 2 error,")
    assert "error=2;0;1;0;8" in critical.out


def test_percentages_unreachable_and_disconnected(cli, fleet: Path, states: dict[str, Reply]) -> None:
    states["ok2"] = Reply(status=500, body={"error": "boom"})
    states["ok3"] = Reply(status=404, body={})
    conn = sqlite3.connect(fleet)
    conn.execute(
        "INSERT INTO upstream (instance_name, connection, listed_at) VALUES "
        "('ok4', 'loggedout', ''), ('ok5', 'connected', ''), ('err1', 'connecting', '')"
    )
    conn.commit()
    conn.close()
    run = cli("check", "--warn", "25%", "--crit", "unreachable=50%")
    assert run.code == 0, run.out  # 2 of 8 in each category is not more than 25%
    assert run.out == (
        "CWDASH OK - 3 ok, 2 error, 2 disconnected, 2 unreachable | "
        "error=2;2;;0;8 disconnected=2;2;;0;8 unreachable=2;2;4;0;8 ok=3\n"
    )
    assert cli("check", "--warn", "24%").code == 1


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (("--warn", "lots"), "--warn: 'lots' is not a number or a percentage"),
        (("--crit", "bogus=1"), "--crit: unknown category 'bogus'"),
        (("--warn", "150%"), "must be from 0"),
        (("--names", "ok1,nobody"), "not in the store: nobody"),
        (("--names", "bare"), "no chatwoot integration to check"),
        (("--on-change", "curl 'unclosed"), "--on-change: cannot split the command"),
    ],
)
def test_unknown_with_a_reason(cli, fleet: Path, argv: tuple[str, ...], reason: str) -> None:
    run = cli("check", *argv)
    assert run.code == 3
    assert run.out.startswith("CWDASH UNKNOWN - ") and reason in run.out


def test_unknown_without_a_gateway_or_a_store(cli, fleet: Path, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BRIDGE_URL")
    run = cli("check")
    assert (run.code, run.out) == (
        3,
        "CWDASH UNKNOWN - integration gateway not configured "
        "(set BRIDGE_URL and BRIDGE_TOKEN, or RYZEAPI_URL and RYZEAPI_TOKEN)\n",
    )
    monkeypatch.setenv("BRIDGE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CWDASH_DB", str(tmp_path / "none.db"))
    missing = cli("check", "--json")
    assert missing.code == 3 and "no store at" in missing.json()["reason"]  # type: ignore[index]
    assert not (tmp_path / "none.db").exists()


def test_a_gateway_that_refuses_everything_ends_the_check_quickly(cli, fleet: Path, monkeypatch) -> None:
    monkeypatch.setenv("BRIDGE_TOKEN", "wrong")
    run = cli("check", "--json")
    assert run.code == 1
    summary = run.json()["summary"]  # type: ignore[index]
    assert summary["counts"]["unreachable"] == 8 and "rejected BRIDGE_TOKEN" in summary["refused"]


# -- JSON, writes, history --------------------------------------------------------------


def test_json_has_every_instance_and_nothing_but_history_is_written(cli, fleet: Path) -> None:
    before = store_rows(fleet, skip=("history", "history_state", "meta"))
    run = cli("check", "--json", "--names", "ok1,err1")
    after = store_rows(fleet, skip=("history", "history_state", "meta"))
    assert before == after  # ok1's inbox id 0 was not backfilled: check writes only history
    data = run.json()
    items = {i["instance_name"]: i for i in data["instances"]}  # type: ignore[index]
    assert set(items) == {"ok1", "err1"}
    assert items["err1"] == {
        "instance_name": "err1",
        "source": "live",
        "status": "error",
        "last_error": "inbox \x1b[31mdeleted",
        "connection": None,
        "categories": ["error"],
    }
    summary = data["summary"]  # type: ignore[index]
    assert (summary["status"], summary["code"], summary["total"], summary["ok"]) == ("WARNING", 1, 2, 1)
    assert summary["line"].startswith("CWDASH WARNING - 1 ok, 1 error")


def test_check_records_transitions_and_history_shows_them(
    cli, fleet: Path, states: dict[str, Reply], tmp_path: Path
) -> None:
    assert cli("check").code == 1
    assert history_rows(fleet) == []  # the first look is the baseline
    assert cli("check").code == 1
    assert history_rows(fleet) == []  # identical reads are not events
    states["err1"] = live("active", "", inbox_id=9)
    states["ok2"] = live("error", "webhook 500", inbox_id=9)
    states["ok3"] = Reply(status=500, body={})
    out = tmp_path / "hook.jsonl"
    hook = f"{sys.executable} -c \"import os, json; open({str(out)!r}, 'a').write(json.dumps({{k: v for k, v in os.environ.items() if k.startswith('CWDASH_')}}) + chr(10))\""
    assert cli("check", "--on-change", hook).code == 1
    assert sorted(history_rows(fleet)) == [
        ("err1", "last_error", "inbox \x1b[31mdeleted", "", "check"),
        ("err1", "status", "error", "active", "check"),
        ("ok2", "last_error", "", "webhook 500", "check"),
        ("ok2", "status", "active", "error", "check"),
        ("ok3", "source", "live", "local", "check"),
    ]
    calls = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(calls) == 5
    (entered,) = [c for c in calls if c["CWDASH_INSTANCE"] == "ok2" and c["CWDASH_FIELD"] == "status"]
    assert entered["CWDASH_NEW"] == "error" and entered["CWDASH_ERROR"] == "webhook 500"
    assert entered["CWDASH_AT"].endswith("Z") and "CWDASH_KEY" not in entered

    text = cli("history", "err1")
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[0].endswith("status      error -> active  (check)")
    assert lines[1].endswith('last_error  inbox \\x1b[31mdeleted -> ""  (check)')  # literal, one line
    assert lines[2].startswith("in its current status since ")
    data = cli("history", "err1", "--json").json()
    assert [(e["field"], e["new"]) for e in data["events"]] == [("status", "active"), ("last_error", "")]  # type: ignore[index]
    assert data["events"][0]["at"].endswith("Z")  # type: ignore[index]
    assert cli("history", "ok4").out.startswith("no transitions of ok4 recorded since ")
    assert cli("history", "nobody").code == 4
    assert cli("history", "err1", "--since", "2000-01-01T00:00:00Z").code == 0
    assert cli("history", "err1", "--since", "yesterday").code == 2


def test_status_records_what_it_saw(cli, fleet: Path, states: dict[str, Reply]) -> None:
    assert cli("status", "ok5").code == 0
    states["ok5"] = live("paused", "", inbox_id=9)
    assert cli("status", "ok5").code == 0
    assert cli("status", "ok5", "--local").code == 0  # no live read: nothing observed
    assert history_rows(fleet) == [("ok5", "status", "active", "paused", "status")]


def test_since_parses_spans_and_iso_times() -> None:
    from cwdash.cli.history import parse_since

    assert parse_since("24h", now=100_000.0) == 100_000.0 - 86_400
    assert parse_since("7d", now=1e6) == 1e6 - 7 * 86400
    assert parse_since("2026-01-01T00:00:00Z") == parse_since("2026-01-01T00:00:00")
