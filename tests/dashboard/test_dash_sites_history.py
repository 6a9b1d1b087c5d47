"""Issue 14's history with several sites (``cwdash --all-sites``, ``cwdash demo``): each site
writes its own store, naming itself in its events; SINCE, FLAP, the timeline, ``c`` and
the alerts keep the same instance name in two sites apart; a site without history leaves
the others theirs.

Two sites hold the same fleet (dashkit.FLEET), read through in-memory sources whose
answers each test scripts (a dict per site, changed while the dashboard runs)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
import siteskit
from dashkit import (
    FAST,
    detail_text,
    record_notifications,
    row_texts,
    screen_text,
    select,
    wait_until,
)
from textual.widgets import OptionList

from cwdash.store.db import Store
from cwdash.store.fleetrow import row_key
from cwdash.store.simbridge import live
from cwdash.tui.app import CwdashApp
from cwdash.tui.changes import ChangesScreen
from cwdash.tui.sites import SiteSpec

pytestmark = pytest.mark.anyio
WIDE = (160, 45)
PROD_ALPHA, STAGING_ALPHA = row_key("prod", "alpha"), row_key("staging", "alpha")


class Sites(siteskit.Sites):
    """The sites, with each site's recorded events at hand."""

    def events(self, site: str, name: str) -> list[tuple[str, str, str, str]]:
        """(field, old, new, site) of ``name``'s events in ``site``'s store."""
        return events_in(self.paths[site], name)


def events_in(path: Path, name: str | None = None) -> list[tuple[str, str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        where, params = ("WHERE name = ?", (name,)) if name is not None else ("", ())
        rows = conn.execute(
            f"SELECT field, old, new, site FROM history {where} ORDER BY id", params
        ).fetchall()
    except sqlite3.OperationalError:
        rows = []
    finally:
        conn.close()
    return [tuple(r) for r in rows]


def state_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM history_state").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


@pytest.fixture
def sites(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Sites(tmp_path, FAST._replace(round_every=0.1, visible_every=0.1))
    yield s
    s.close()


def settled(app: CwdashApp) -> bool:
    screen = app.dashboard
    if not screen.loaded or screen.selected is None or not screen.history_settled():
        return False
    rows = [r for r in screen.fleet.rows.values() if r.has_integration]
    return all(r.read_at is not None for r in rows) and not any(f.scheduler.in_flight for f in screen.feeds())


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: settled(pilot.app), "every site's reads and history")


def line_of(app: CwdashApp, site: str, name: str) -> str:
    return next(line for line in row_texts(app) if f" {site} " in line and f" {name} " in line)


def footer_text(app: CwdashApp) -> str:
    return screen_text(app).splitlines()[-1]


def alerts(notes: list[tuple[str, str, str]]) -> list[str]:
    return [m for t, m, _ in notes if t == "alert"]


async def test_the_same_name_in_two_sites_keeps_its_own_events_since_flaps_alerts_and_timeline(sites) -> None:
    # staging's echo broke two hours ago, as another process recorded in staging's store
    from dashkit import CHARLIE_ERROR

    from cwdash.store.history.model import Observation
    from cwdash.store.history.writer import HistoryWriter
    from cwdash.tui import history_view

    prod, staging = sites.site("prod"), sites.site("staging")
    now = history_view.wall()
    recorder = Store.open(sites.paths["staging"])
    writer = HistoryWriter(recorder, observer="check", site="staging", start=False, clock=lambda: now)
    writer.observe(Observation("echo", "active"), at=now - 3 * 3600)
    writer.observe(Observation("echo", "error", CHARLIE_ERROR), at=now - 2 * 3600)
    writer.observe(Observation("echo", "active"), at=now - 1 * 3600)
    writer.close()
    recorder.close()
    app = sites.app(prod, staging)
    async with app.run_test(size=WIDE) as pilot:
        notes = record_notifications(app)
        await settle(pilot)
        screen = app.dashboard
        assert "SINCE" in row_texts(app)[0] and "FLAP" in row_texts(app)[0]
        assert screen.check_action("changes", ()) is True
        sites.answers["prod"]["int_alpha"] = live("error", "prod broke")
        rows = screen.fleet.rows
        await wait_until(pilot, lambda: rows[PROD_ALPHA].status == "error", "prod's alpha in error")
        await wait_until(pilot, lambda: "prod/alpha entered error: prod broke" in alerts(notes), "the alert")
        await wait_until(
            pilot,
            lambda: ("status", "active", "error", "prod") in sites.events("prod", "alpha"),
            "prod's event",
        )
        assert rows[STAGING_ALPHA].status == "active"
        assert [e for e in sites.events("staging", "alpha") if e[0] == "status"] == []
        # SINCE, FLAP and the latest breakage: by row, prod's alpha only
        assert PROD_ALPHA in screen.fleet.broke_at and STAGING_ALPHA not in screen.fleet.broke_at
        assert screen.fleet.since_at[PROD_ALPHA] > screen.fleet.since_at[STAGING_ALPHA]
        assert "↯1" in line_of(app, "prod", "alpha") and "↯" not in line_of(app, "staging", "alpha")
        # staging's alpha breaks too: an alert of its own (prod's debounce window is prod's)
        sites.answers["staging"]["int_alpha"] = live("error", "staging broke")
        await wait_until(
            pilot, lambda: "staging/alpha entered error: staging broke" in alerts(notes), "staging's alert"
        )
        await wait_until(
            pilot,
            lambda: ("status", "active", "error", "staging") in sites.events("staging", "alpha"),
            "staging's event",
        )
        assert [e for e in sites.events("prod", "alpha") if e[0] == "status"] == [
            ("status", "active", "error", "prod")
        ]
        # the timelines: each from its own site's store and events
        await select(pilot, PROD_ALPHA)
        await wait_until(
            pilot, lambda: "status active → error: prod broke" in detail_text(app), "prod's timeline"
        )
        assert "staging broke" not in detail_text(app)
        await select(pilot, STAGING_ALPHA)
        await wait_until(pilot, lambda: "staging broke" in detail_text(app), "staging's timeline")
        assert "prod broke" not in detail_text(app)
        await select(pilot, row_key("staging", "echo"))
        await wait_until(pilot, lambda: "status error → active" in detail_text(app), "staging's stored echo")
        assert CHARLIE_ERROR[:20] in detail_text(app)
        await select(pilot, row_key("prod", "echo"))
        await wait_until(pilot, lambda: "last 24 h" in detail_text(app), "prod's echo")
        await pilot.pause(0.2)  # its store read has come back: nothing of staging's echo
        assert "transitions" not in detail_text(app)


async def test_c_lists_every_sites_changes_named_by_site_and_enter_goes_to_the_right_row(sites) -> None:
    app = sites.app(sites.site("prod"), sites.site("staging"))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        sites.answers["prod"]["int_alpha"] = live("error", "prod broke")
        sites.answers["staging"]["int_alpha"] = live("paused")
        rows = app.dashboard.fleet.rows
        await wait_until(
            pilot,
            lambda: rows[PROD_ALPHA].status == "error" and rows[STAGING_ALPHA].status == "paused",
            "both alphas changed",
        )
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), "the changes list")
        changes = app.screen.changes
        assert sorted(c.key for c in changes) == sorted([PROD_ALPHA, STAGING_ALPHA])
        lines = [str(app.screen.query_one(OptionList).get_option_at_index(i).prompt) for i in range(2)]
        assert any(line.startswith("prod/alpha  status active → error") for line in lines)
        assert any(line.startswith("staging/alpha  status active → paused") for line in lines)
        app.screen.query_one(OptionList).highlighted = [c.key for c in changes].index(STAGING_ALPHA)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChangesScreen), "back")
        await wait_until(pilot, lambda: app.dashboard.selected == STAGING_ALPHA, "staging's alpha selected")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), "the list again")
        assert app.screen.changes == []
        await pilot.press("escape")


async def test_a_site_without_history_leaves_the_others_theirs(sites) -> None:
    staging = sites.site("staging")  # its history table comes from a newer cwdash: nothing written there
    assert staging.store is not None
    staging.store.conn.execute("UPDATE meta SET value = '9' WHERE name = 'history_version'")
    staging.store.conn.commit()
    broken = SiteSpec("eu", None, None, None, "CWDASH_KEY is not a valid key")  # no store at all
    app = sites.app(sites.site("prod"), staging, broken)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = app.dashboard
        assert set(screen._history.sites) == {"prod", "staging"}
        sites.answers["prod"]["int_alpha"] = live("error", "prod broke")
        sites.answers["staging"]["int_alpha"] = live("error", "staging broke")
        await wait_until(
            pilot,
            lambda: ("status", "active", "error", "prod") in sites.events("prod", "alpha"),
            "prod's event",
        )
        assert events_in(sites.paths["staging"]) == []
        assert "SINCE" in row_texts(app)[0] and "c Changes" in footer_text(app)


def history_off(spec):  # type: ignore[no-untyped-def]
    """The site with CWDASH_HISTORY_DAYS=0 in its own configuration (its env file's)."""

    config = spec.config._replace(history_env=(("CWDASH_HISTORY_DAYS", "0"),))
    return spec._replace(config=config)


async def test_history_off_in_every_site_hides_c(sites) -> None:
    """Each site's own setting counts (as `check` reads it), not only the environment."""
    app = sites.app(history_off(sites.site("prod")), history_off(sites.site("staging")))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: "Changes" not in footer_text(app), "c hidden")
        assert app.dashboard.check_action("changes", ()) is False
        assert "SINCE" not in row_texts(app)[0]


async def test_on_change_names_the_site(sites, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BRIDGE_TOKEN", "must-not-leak")
    out = tmp_path / "hook.txt"
    script = tmp_path / "hook.py"
    script.write_text(
        "import os\n"
        f"with open({str(out)!r}, 'a') as fh:\n"
        "    fh.write(' '.join(f'{k}={os.environ.get(k, \"\")}' for k in ('CWDASH_SITE', 'CWDASH_INSTANCE',"
        " 'CWDASH_FIELD', 'CWDASH_NEW', 'CWDASH_ERROR', 'BRIDGE_TOKEN')) + '\\n')\n"
    )
    app = sites.app(sites.site("prod"), sites.site("staging"))
    app.on_change = f"{sys.executable} {script}"
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        sites.answers["prod"]["int_bravo"] = live("error", "prod broke")
        sites.answers["staging"]["int_bravo"] = live("error", "staging broke")

        def both() -> bool:
            text = out.read_text() if out.exists() else ""
            return text.count("CWDASH_FIELD=status") >= 2

        await wait_until(pilot, both, "the hook, once per site", limit=20)
    lines = [line for line in out.read_text().splitlines() if "CWDASH_FIELD=status" in line]
    assert any(
        "CWDASH_SITE=prod CWDASH_INSTANCE=bravo" in line and "CWDASH_ERROR=prod broke" in line
        for line in lines
    )
    assert any(
        "CWDASH_SITE=staging CWDASH_INSTANCE=bravo" in line and "CWDASH_ERROR=staging broke" in line
        for line in lines
    )
    assert "must-not-leak" not in out.read_text()


async def test_the_demo_records_history_in_both_sites_stores() -> None:
    from cwdash.store import demoryze
    from cwdash.tui import launch

    with launch.demo_app(12) as app:
        async with app.run_test(size=(160, 48)) as pilot:
            screen = app.dashboard
            await wait_until(pilot, lambda: screen.loaded and screen.history_settled(), "both sites' history")
            paths = {s.site: s.store.path for s in screen.sessions if s.store is not None}
            assert set(paths) == {demoryze.BRIDGE_SITE, demoryze.RYZE_SITE}
            assert set(screen._history.sites) == set(paths)
            await wait_until(
                pilot,
                lambda: all(state_rows(p) > 0 for p in paths.values()),
                "history in both stores",
                limit=20,
            )
            for site, path in paths.items():
                assert {e[3] for e in events_in(path)} <= {site}
            assert "SINCE" in row_texts(app)[0]
