"""``cwdash sync`` against the simulated RyzeAPI server on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from ryzekit import RYZE_TOKEN

from cwdash.store import upstream
from cwdash.store.db import Store
from cwdash.store.simryze import SimInstance
from cwdash.store.simryze import document as sim_document


def names(db_path: Path) -> list[str]:
    return Store.open(db_path).instance_names()


def test_a_first_sync_fills_the_store_and_a_second_costs_one_request(
    cli, ryze, use_ryze, db_path: Path
) -> None:
    sim = ryze(20)
    use_ryze(sim)
    first = cli("sync", "--json")
    assert first.code == 0, first.err
    summary = first.json()
    assert summary["added"] == 20 and summary["failed"] == 0 and summary["requests"] == 21
    assert summary["429s"] == 0
    assert len(names(db_path)) == 20
    status = cli("status", "inst-0003", "--json", "--local")
    assert status.code == 0 and status.json()["chatwoot_api_token"] == "sk_sim_000003_token"
    assert status.json()["chatwoot_inbox_id"] == 103
    again = cli("sync", "--json").json()
    assert again["requests"] == 1 and again["unchanged"] == 20 and again["skipped"] == 20
    listing = cli("list")
    assert "CONNECTION" in listing.out and "CONNECTED" in listing.out
    assert "NO INTEGRATION" in listing.out  # inst-0009 has none upstream


def test_changes_upstream_are_synced_field_by_field(cli, ryze, use_ryze, db_path: Path) -> None:
    sim = ryze(5)
    use_ryze(sim)
    assert cli("sync").code == 0
    sim.instances["inst-0001"].integration["status"] = "error"  # type: ignore[index]
    sim.instances["inst-0001"].integration["last_error"] = "chatwoot said 401"  # type: ignore[index]
    sim.instances["inst-0002"].connection = "loggedout"
    run = cli("sync", "--max-age", "0")
    assert run.code == 0, run.err
    assert "changed       inst-0001: status, last_error" in run.out
    assert "changed       inst-0002: connection connected -> loggedout" in run.out
    assert "3 unchanged" in run.out


def test_an_active_integration_on_a_logged_out_number_needs_attention(cli, ryze, use_ryze) -> None:
    sim = ryze(3)
    sim.instances["inst-0001"].connection = "loggedout"
    use_ryze(sim)
    assert cli("sync").code == 0
    listing = cli("list").out
    line = next(x for x in listing.splitlines() if x.startswith("inst-0001"))
    assert "LOGGEDOUT!" in line and "number offline" in line
    status = cli("status", "inst-0001", "--local").out
    assert "LOGGEDOUT" in status and "number offline" in status
    as_json = cli("list", "--json").json()
    assert as_json[1]["upstream"]["connection"] == "loggedout"


def test_a_server_that_never_returns_tokens(cli, ryze, use_ryze, db_path: Path, document) -> None:
    sim = ryze(3, version="v2")
    use_ryze(sim)
    # a local token for inst-0000 is kept; inst-0001 has none anywhere
    local = document("inst-0000", chatwoot_api_token="sk_local", sign_messages=True)
    assert cli("import", "-", stdin=json.dumps([local])).code == 0
    run = cli("sync", "--json")
    assert run.code == 0, run.err
    kept = cli("status", "inst-0000", "--json", "--local").json()
    assert kept["chatwoot_api_token"] == "sk_local"
    assert kept["sign_messages"] is True  # v2 leaves the flags out: the local ones stay
    unsynced = cli("status", "inst-0001", "--json", "--local")
    assert unsynced.code == 0 and "chatwoot_api_token" not in unsynced.json()
    assert "token not synced" in unsynced.err
    text = cli("status", "inst-0001", "--local")
    assert text.code == 0 and "not synced" in text.out and "not returned by RyzeAPI" in text.out
    assert "token not synced" in cli("list").out


def test_instances_gone_upstream_are_marked_then_pruned_on_request(
    cli, ryze, use_ryze, db_path: Path
) -> None:
    sim = ryze(4)
    use_ryze(sim)
    assert cli("sync").code == 0
    del sim.instances["inst-0002"]
    run = cli("sync", "--json")
    assert run.json()["marked"] == 1 and "inst-0002" in names(db_path)
    assert "not listed upstream" in cli("list").out
    again = cli("sync", "--json").json()
    assert again["marked"] == 0  # marked once
    pruned = cli("sync", "--prune", "--json").json()
    assert pruned["pruned"] == 1 and "inst-0002" not in names(db_path)


def test_a_token_instance_never_marks_or_prunes_the_rest(cli, ryze, use_ryze, db_path: Path) -> None:
    sim = ryze(4, instance_tokens={"tok-inst-1": "inst-0001"})
    use_ryze(sim)
    assert cli("sync").code == 0
    use_ryze(sim, token="tok-inst-1")
    run = cli("sync", "--prune", "--json", "--max-age", "0")
    assert run.code == 0, run.err
    assert run.json()["marked"] == 0 and run.json()["pruned"] == 0
    assert "TokenInstance" in run.err and len(names(db_path)) == 4


def test_dry_run_writes_nothing(cli, ryze, use_ryze, db_path: Path, store: Store) -> None:
    store.close()
    sim = ryze(3)
    use_ryze(sim)
    before = names(db_path)
    run = cli("sync", "--dry-run")
    assert run.code == 0, run.err
    assert "would add     inst-0000: integration added" in run.out and "dry run, nothing written" in run.out
    assert names(db_path) == before
    assert upstream.read_all(Store.open(db_path)) == {}


def test_names_sync_a_subset_with_the_filter(cli, ryze, use_ryze) -> None:
    sim = ryze(10)
    use_ryze(sim)
    run = cli("sync", "--names", "inst-0001,inst-0004,nope", "--json")
    assert run.code == 1  # nope is no instance
    summary = run.json()
    assert summary["added"] == 2 and summary["requests"] == 3
    assert sim.count("status") == 2
    one = cli("sync", "--names", "nope")
    assert one.code == 4 and "no such instance" in one.out


def test_a_bad_token_fails_clearly_and_writes_nothing(cli, ryze, use_ryze, db_path: Path) -> None:
    sim = ryze(3)
    use_ryze(sim, token="wrong-token-9876543210")
    assert cli("init").code == 0
    run = cli("sync")
    assert run.code == 1
    assert "RyzeAPI rejected RYZEAPI_TOKEN (HTTP 401 Invalid token)" in run.err
    assert "wrong-token-9876543210" not in run.err + run.out
    assert names(db_path) == []


def test_an_unreachable_server(cli, use_ryze, db_path: Path) -> None:
    use_ryze("http://127.0.0.1:9")
    run = cli("sync")
    assert run.code == 1 and "RyzeAPI listing failed: RyzeAPI unreachable" in run.err


def test_the_chatwoot_module_not_configured_is_exit_5(cli, ryze, use_ryze) -> None:
    sim = ryze(3, module_configured=False)
    use_ryze(sim)
    run = cli("sync")
    assert run.code == 5 and "integration gateway not configured" in run.err


@pytest.mark.parametrize(
    ("wrapper", "name_key", "ok"),
    [(None, "instanceName", True), ("instances", "instance_name", True), ("items", "name", False)],
)
def test_the_listings_documented_shapes_and_nothing_else(cli, ryze, use_ryze, wrapper, name_key, ok) -> None:
    sim = ryze(3, wrapper=wrapper, name_key=name_key)
    use_ryze(sim)
    run = cli("sync")
    assert (run.code == 0) is ok, run.err
    if not ok:
        assert "no 'data' or 'instances' array" in run.err


def test_an_unknown_connection_state_is_refused(cli, ryze, use_ryze, db_path: Path) -> None:
    sim = ryze([SimInstance("a", "qrcode", sim_document("a"))])
    use_ryze(sim)
    run = cli("sync")
    assert run.code == 1 and "connection state 'qrcode'" in run.err
    assert names(db_path) == []


def test_an_interrupted_sync_continues(cli, ryze, use_ryze, db_path: Path, monkeypatch) -> None:
    sim = ryze(12)
    use_ryze(sim)
    from cwdash.store.ryzeapi import sync as engine

    real = engine.Syncer._take
    calls = {"n": 0}

    def interrupted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(engine.Syncer, "_take", interrupted)
    run = cli("sync")
    assert run.code == 130 and "run `cwdash sync` again to continue" in run.err
    conn = sqlite3.connect(db_path)
    synced = conn.execute("SELECT count(*) FROM upstream WHERE synced_at IS NOT NULL").fetchone()[0]
    assert synced == 5  # each instance whole: five written, the sixth not at all
    monkeypatch.setattr(engine.Syncer, "_take", real)
    resumed = cli("sync", "--json").json()
    assert resumed["requests"] == 1 + 12 - 5  # the listing, then only what was not synced
    assert resumed["failed"] == 0


def test_instance_names_go_as_one_path_segment(cli, ryze, use_ryze) -> None:
    odd = "a/b?c=%2e#"
    sim = ryze([SimInstance(odd, "connected", sim_document(odd))])
    use_ryze(sim)
    run = cli("sync", "--json")
    assert run.code == 0, run.err
    assert cli("status", odd, "--json", "--local").json()["instance_name"] == odd


def test_the_rate_limit_is_respected(cli, ryze, use_ryze) -> None:
    sim = ryze(8, limit=5, window=1.0)  # 5 a second, 1 kept for others: real waits of about a second
    use_ryze(sim, CWDASH_RYZEAPI_RESERVE="1")
    run = cli("sync", "--json")
    assert run.code == 0, run.err
    assert run.json()["429s"] == 0 and sim.count(status=429) == 0


def test_the_token_is_sent_and_never_shown(cli, ryze, use_ryze) -> None:
    sim = ryze(2)
    use_ryze(sim)
    run = cli("sync", "--json")
    assert run.code == 0
    assert all(seen.token == RYZE_TOKEN[:12] for seen in sim.seen)
    assert RYZE_TOKEN not in run.out + run.err
