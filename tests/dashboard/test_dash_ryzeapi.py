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
