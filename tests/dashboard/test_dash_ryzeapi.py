"""The dashboard and RyzeAPI's own API (issue 11): how it starts (--site, --source), what it
says without a source, the WhatsApp connection beside the integration, the budget."""

from __future__ import annotations

import argparse

import pytest

from cwdash.store.config import NOT_CONFIGURED_HINT
from cwdash.store.sources.outcome import Reason
from cwdash.tui.app import CwdashApp
from cwdash.tui.table import REASON_SHORT


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


def ryze_app(dash, source, **kwargs):  # type: ignore[no-untyped-def]
    """The dashboard on RyzeAPI's own API (``source``: an in-memory stand-in), as launch wires it."""
    import dataclasses

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
    timing = kwargs.pop("timing", dataclasses.replace(QUICK, connections_every=0.2))
    return CwdashApp(
        config, store, model, settings=kwargs.pop("settings", dataclasses.replace(FAST)), timing=timing
    )


def _by_name(lines: list[str]) -> dict[str, str]:
    return {line.split()[2]: line for line in lines[1:] if line.strip()}


@pytest.mark.anyio
async def test_the_connection_shows_beside_the_integration_from_one_listing(dash) -> None:
    from dashkit import detail_text, row_texts, select, summary_text, view_names, wait_settled, wait_until
    from memryze import MemoryRyze

    source = MemoryRyze(STATES, CONNECTIONS)
    app = ryze_app(dash, source)
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

    app = ryze_app(dash, MemoryRyze(STATES, CONNECTIONS))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "offline" in summary_text(app), "the header's count")
        assert "⚠ 2 offline" in summary_text(app)
        lines = row_texts(app)
        assert "WHATSAPP" not in lines[0]
        rows = _by_name(lines)
        assert rows["echo"].endswith("number loggedout")
        assert rows["golf"].endswith("number disconnected")
        assert "number" not in rows["alpha"]


@pytest.mark.anyio
async def test_a_new_listing_moves_a_row_into_the_attention_view(dash) -> None:
    from dashkit import view_names, wait_settled, wait_until
    from memryze import MemoryRyze

    source = MemoryRyze(STATES, dict(CONNECTIONS, echo="connected", golf="connected"))
    app = ryze_app(dash, source)
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
