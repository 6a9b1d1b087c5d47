"""The dashboard and RyzeAPI's own API (issue 11): how it starts (--site, --source), what it
says without a source, the WhatsApp connection beside the integration, the budget."""

from __future__ import annotations

import argparse
import itertools

import pytest

from cwdash.store.config import NOT_CONFIGURED_HINT
from cwdash.store.sources.outcome import Reason
from cwdash.tui.app import CwdashApp
from cwdash.tui.cells import REASON_SHORT


def test_every_reason_has_a_short_label_for_the_list() -> None:
    assert {r.value for r in Reason} <= set(REASON_SHORT)
    assert REASON_SHORT["rate_limited"] == "rate limit"
    assert all(len(label) <= 11 for label in REASON_SHORT.values())  # "local·" + label fits SOURCE


def _launch(monkeypatch: pytest.MonkeyPatch, **args: object) -> CwdashApp:
    from cwdash.tui import launch

    started: list[CwdashApp] = []
    monkeypatch.setattr(CwdashApp, "run", lambda self, *a, **k: started.append(self))
    namespace = argparse.Namespace(env_file=None, db=None, no_reveal=False, site=None, source=None)
    vars(namespace).update(args)
    assert launch.run_dashboard(namespace) == 0
    started[0].store.close()
    return started[0]


def test_the_dashboard_opens_the_site_and_source_asked_for(dash, tmp_path, monkeypatch) -> None:
    from cwdash.store import sites
    from cwdash.store.sources.ryzeapi import RyzeApiSource

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    sites.create_site(
        "north",
        {
            "CWDASH_DB": str(dash.path),
            "CWDASH_KEY": dash.key,
            "RYZEAPI_URL": "http://127.0.0.1:9",
            "RYZEAPI_TOKEN": "north-token",
            "BRIDGE_URL": "http://127.0.0.1:9",
            "BRIDGE_TOKEN": "north-bridge",
        },
    )
    app = _launch(monkeypatch, site="north")
    assert app.config.site == "north" and app.title == "cwdash · north"
    assert app.config.live_source_name == "bridge"  # both set: the bridge first
    app = _launch(monkeypatch, site="north", source="ryzeapi")
    assert isinstance(app.model.live, RyzeApiSource)


def test_a_missing_site_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys) -> None:
    from cwdash.tui import launch

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    namespace = argparse.Namespace(env_file=None, db=None, no_reveal=False, site="nowhere", source=None)
    assert launch.run_dashboard(namespace) == 1
    assert "no site 'nowhere'" in capsys.readouterr().err


@pytest.mark.anyio
async def test_without_a_source_the_texts_name_both_sources(dash) -> None:
    from dashkit import banner_text, detail_text, wait_until

    app = dash.app(None)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.dashboard.selected == "alpha", "alpha")
        assert NOT_CONFIGURED_HINT in banner_text(app)
        assert "RYZEAPI_URL and RYZEAPI_TOKEN" in " ".join(detail_text(app).split())


# -- the WhatsApp connection beside the integration ------------------------------------------

STATES = {"alpha": "active", "bravo": "paused", "charlie": "error", "echo": "active", "golf": "active"}
CONNECTIONS = {
    "alpha": "connected",
    "bravo": "connecting",
    "charlie": "connected",
    "delta": "connected",
    "echo": "loggedout",
    "golf": "disconnected",
}


def ryze_app(dash, source, *, generous: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    """The dashboard on RyzeAPI's own API (``source``: an in-memory stand-in), as launch wires it.

    ``generous``: the pacer has heard of a budget big enough that it never slows a test."""
    import time

    if generous:
        source.answered(60_000, 60_000, time.time() + 3600)

    from dashkit import FAST, QUICK

    from cwdash.store.config import Config
    from cwdash.store.db import Store
    from cwdash.store.readmodel import ReadModel

    config = Config(
        db_path=dash.path, key_text=dash.key, ryzeapi_url=source.url, ryzeapi_token="memory-ryze-token"
    )
    store = Store.open(config.db_path)
    dash._stores.append(store)
    model = ReadModel.from_config(config, store)
    model.live = source
    timing = kwargs.pop("timing", QUICK._replace(connections_every=0.2))
    return CwdashApp(config, store, model, settings=kwargs.pop("settings", FAST), timing=timing)


def _by_name(lines: list[str]) -> dict[str, str]:
    return {line.split()[2]: line for line in lines[1:] if line.strip()}


@pytest.mark.anyio
async def test_the_connection_shows_beside_the_integration_from_one_listing(dash) -> None:
    from dashkit import detail_text, row_texts, select, summary_text, view_names, wait_settled, wait_until
    from memryze import MemoryRyze

    source = MemoryRyze(STATES, CONNECTIONS)
    app = ryze_app(dash, source, generous=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "number offline" in summary_text(app), "the header's count")
        assert "⚠ 2 number offline" in summary_text(app)  # echo and golf: active on an offline number
        lines = row_texts(app)
        assert "WHATSAPP" in lines[0]
        rows = _by_name(lines)
        assert "✖ loggedout" in rows["echo"] and "● connected" in rows["alpha"]
        assert "◐ connecting" in rows["bravo"] and "✖ disconnected" in rows["golf"]
        await select(pilot, "echo")
        text = " ".join(detail_text(app).split())
        assert "connection.state loggedout number offline: the integration says active" in text
        await pilot.press("a")
        await wait_until(pilot, lambda: app.dashboard.fleet.attention_only, "attention only")
        assert view_names(app) == ["charlie", "delta", "echo", "golf"]
        # the fleet's connections came from the listing, never one call per instance
        reads = len(source.reads)
        assert 1 <= source.listings <= 1 + reads


@pytest.mark.anyio
async def test_a_narrow_list_says_number_offline_in_place_of_the_column(dash) -> None:
    from dashkit import row_texts, summary_text, wait_settled, wait_until
    from memryze import MemoryRyze

    app = ryze_app(dash, MemoryRyze(STATES, CONNECTIONS), generous=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "offline" in summary_text(app), "the header's count")
        assert "⚠ 2 offline" in summary_text(app)
        lines = row_texts(app)
        assert "WHATSAPP" not in lines[0]
        rows = _by_name(lines)
        assert rows["echo"].endswith("number loggedout")
        assert "number disconnect" in rows["golf"]  # cut to the column's width at 80 columns
        assert "number" not in rows["alpha"]


@pytest.mark.anyio
async def test_a_new_listing_moves_a_row_into_the_attention_view(dash) -> None:
    from dashkit import view_names, wait_settled, wait_until
    from memryze import MemoryRyze

    source = MemoryRyze(STATES, dict(CONNECTIONS, echo="connected", golf="connected"))
    app = ryze_app(dash, source, generous=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: source.listings >= 1, "the first listing")
        await pilot.press("a")
        await wait_until(pilot, lambda: view_names(app) == ["charlie", "delta"], "the attention view")
        source.connection_states["alpha"] = "loggedout"
        await pilot.press("r")  # lists again at once
        await wait_until(pilot, lambda: "alpha" in view_names(app), "alpha to need attention")


@pytest.mark.anyio
async def test_with_the_bridge_the_connections_stored_by_sync_are_shown(dash) -> None:
    from dashkit import detail_text, row_texts, select, summary_text, wait_settled, wait_until

    from cwdash.store import upstream
    from cwdash.store.ryzeapi.listing import Listed

    with dash.store.write():
        upstream.save_listing(
            dash.store.conn,
            [Listed("alpha", "loggedout", None, ""), Listed("bravo", "connected", None, "")],
            "2026-05-01T10:00:00Z",
        )
    app = dash.app(dash.bridge())
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "number offline" in summary_text(app), "the header's count")
        rows = _by_name(row_texts(app))
        assert "✖ loggedout" in rows["alpha"] and "● connected" in rows["bravo"]
        assert "—" in rows["charlie"].split("charlie")[1][:16]  # not known: a dash
        await select(pilot, "alpha")
        assert "connection.state loggedout" in " ".join(detail_text(app).split())


@pytest.mark.anyio
async def test_without_stored_connections_the_bridge_shows_no_whatsapp_column(dash) -> None:
    from dashkit import row_texts, wait_settled

    app = dash.app(dash.bridge())
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_settled(pilot)
        await pilot.pause(0.3)
        assert "WHATSAPP" not in row_texts(app)[0]
        assert "number offline" not in " ".join(row_texts(app))


# -- the budget bounds the schedule ----------------------------------------------------------


@pytest.mark.anyio
async def test_the_header_shows_the_budget_its_reset_and_the_rounds_eta(dash) -> None:
    import time

    from dashkit import summary_text, wait_settled, wait_until
    from memryze import MemoryRyze

    source = MemoryRyze(STATES, CONNECTIONS)
    source.answered(100, 50, time.time() + 40)
    app = ryze_app(dash, source)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "budget" in summary_text(app), "the budget in the header")
        header = summary_text(app)
        assert "RyzeAPI https://ryzeapi.memory.test" in header
        assert "budget 40/100 (10 kept), resets in" in header  # 50 left, 10 kept for the token's other users
        governor = app.dashboard.budget
        assert governor is not None and governor.rate == pytest.approx((90 - 1) / 60)  # less the listing
        settings = app.dashboard.feed.scheduler.settings
        assert settings.rate == governor.rate and settings.round_every >= 120
        assert settings.selected_every >= 1 / (governor.rate * 0.2)
    app = ryze_app(dash, MemoryRyze(STATES, CONNECTIONS))  # nothing answered yet
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "budget" in summary_text(app), "the budget in the header")
        assert "budget not known yet" in summary_text(app)


@pytest.mark.anyio
async def test_reads_carry_their_priority_and_a_spent_budget_holds_all_but_the_selected(dash) -> None:
    import time

    from dashkit import select, summary_text, wait_until
    from memryze import MemoryRyze

    from cwdash.store.ryzeapi.pacer import PRIORITY_BACKGROUND, PRIORITY_SELECTED, PRIORITY_VISIBLE

    source = MemoryRyze(STATES, CONNECTIONS)
    source.answered(100, 10, time.time() + 600)  # 10 left: the reserve, for the token's other users
    app = ryze_app(dash, source)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: source.reads, "the selected instance's read")
        await select(pilot, "bravo")
        await wait_until(pilot, lambda: ("bravo", PRIORITY_SELECTED) in source.reads, "bravo's read")
        await pilot.pause(0.5)
        assert {name for name, _ in source.reads} <= {"alpha", "bravo"}  # only ever the selected one
        assert {priority for _, priority in source.reads} == {PRIORITY_SELECTED}
        assert "budget 0/100" in summary_text(app)
        source.answered(6000, 6000, time.time() + 1200)  # a new window, a bigger budget
        await wait_until(pilot, lambda: {n for n, _ in source.reads} >= set(STATES), "the round")
        priorities = {priority for _, priority in source.reads}
        assert (
            PRIORITY_VISIBLE in priorities and PRIORITY_BACKGROUND not in priorities
        )  # six rows: all on screen


def test_a_spent_budget_holds_the_round_in_the_scheduler() -> None:
    from cwdash.store.refresh import RefreshScheduler, RefreshSettings

    async def reader(name: str):  # type: ignore[no-untyped-def]
        raise AssertionError("not read")

    scheduler = RefreshScheduler(reader, lambda *a: None, RefreshSettings(round_every=0))
    scheduler.set_names(["a", "b", "c"])
    scheduler.set_visible(["b"])
    scheduler.select("c")
    held = [5.0]
    scheduler.hold = lambda: held[0]
    assert scheduler.next_name(0.0) == "c"  # the selected instance is never held
    scheduler.last_start["c"] = 0.0
    assert scheduler.next_name(0.1) is None and scheduler._sleep_for(0.1) <= 5.0
    held[0] = 0.0
    assert scheduler.next_name(0.2) == "b" and scheduler.round_left == 3


@pytest.mark.anyio
async def test_against_the_simulated_server_the_requests_stay_within_the_budget(dash, ryze) -> None:
    """The real source and pacer, on 127.0.0.1: the reads start at the budget's pace, the
    server never sees more than the limit minus the reserve in one of its windows, and the
    connections come from one listing. (bench/run.py measures 1,000 instances over minutes.)"""
    from collections import Counter

    from dashkit import FAST, QUICK, summary_text, wait_until

    from cwdash.store.config import Config
    from cwdash.store.db import Store
    from cwdash.store.readmodel import ReadModel
    from cwdash.store.simryze import SimInstance, document

    instances = [
        SimInstance(
            name,
            CONNECTIONS[name],
            None
            if name == "delta"
            else document(name, i, status=STATES[name], bridge_integration_id=f"int_{name}"),
        )
        for i, name in enumerate(sorted(CONNECTIONS))
    ]
    sim = ryze(instances, limit=100, window=60.0)  # RyzeAPI's documented budget
    config = Config(db_path=dash.path, key_text=dash.key, ryzeapi_url=sim.url, ryzeapi_token=sim.token)
    store = Store.open(config.db_path)
    dash._stores.append(store)
    app = CwdashApp(
        config,
        store,
        ReadModel.from_config(config, store),
        settings=FAST._replace(selected_every=0.1, visible_every=0.1),
        timing=QUICK,
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: sim.count("status") >= 4, "four Status/info reads", limit=30)
        assert "⚠ 2 number offline" in summary_text(app)  # echo, golf
        assert "budget" in summary_text(app) and "/100 (10 kept)" in summary_text(app)
    per_window = Counter(s.window for s in sim.seen)
    assert max(per_window.values()) <= 100 - 10  # the limit less the reserve (10%)
    rate = (90 - 1) / 60  # the share less the listing's, a second
    # the first request also opens the connection (and loads httpx): timed from the second on
    reads = [s.at for s in sim.seen if s.kind == "status"][1:]
    assert all(later - earlier >= 0.9 / rate for earlier, later in itertools.pairwise(reads))
    assert sim.count(status=429) == 0
    assert sim.count("list") <= 2  # the connections: one listing a round, not one call per instance
