"""``cwdash --all-sites`` (issue 11, item 5): one dashboard over several sites, each with its
own store, key and live source; and ``cwdash demo``'s two sites.

The sites here hold the same fleet (dashkit.FLEET: the same instance names), each sealed
under its own key with tokens of its own, read through in-memory sources that answer
differently per site, so every test also checks that the same name in two sites stays apart.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from dashkit import (
    FAST,
    ROUTES,
    TOKENS,
    banner_text,
    detail_text,
    record_notifications,
    row_texts,
    select,
    summary_text,
    wait_until,
)
from siteskit import Sites, seed_site

from cwdash.store.config import generate_key
from cwdash.store.fleetrow import row_key
from cwdash.store.simbridge import Reply, live
from cwdash.tui.app import CwdashApp
from cwdash.tui.loader import StoreFailed
from cwdash.tui.sites import SiteSpec

STAGING_ROUTES: dict[str, Reply] = {**ROUTES, "int_alpha": live("paused"), "int_golf": live("active")}
NARROW, WIDE = (80, 24), (160, 45)

pytestmark = pytest.mark.anyio


def token_of(site: str, name: str) -> str:
    return f"{TOKENS[name]}_{site}"


@pytest.fixture
def sites(tmp_path: Path):  # type: ignore[no-untyped-def]
    # rows off screen at 80x24 are read too; each site seals tokens of its own
    s = Sites(tmp_path, FAST._replace(round_every=0.5), token_for=token_of)
    yield s
    s.close()


def settled(app: CwdashApp) -> bool:
    """Every site listed whole, its history loaded, every row with an integration read,
    no read in flight."""
    screen = app.dashboard
    if not screen.loaded or screen.selected is None or not screen.history_settled():
        return False
    rows = [r for r in screen.fleet.rows.values() if r.has_integration]
    return all(r.read_at is not None for r in rows) and not any(f.scheduler.in_flight for f in screen.feeds())


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: settled(pilot.app), "every site's first round of live reads")
    pilot.app.dashboard.tick()
    await pilot.pause()


def broken(site: str, problem: str) -> SiteSpec:
    return SiteSpec(site, None, None, None, problem)


BAD_KEY = "CWDASH_KEY is not a valid key: it must be 32 bytes, base64 or hex"


async def test_a_site_column_per_site_counts_and_the_same_name_apart(sites) -> None:
    app = sites.app(sites.site("prod"), sites.site("staging", STAGING_ROUTES), broken("eu", BAD_KEY))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        rows = app.dashboard.fleet.rows
        assert len(rows) == 12  # the same six names in each site, kept apart
        assert rows[row_key("prod", "alpha")].status == "active"
        assert rows[row_key("staging", "alpha")].status == "paused"
        assert rows[row_key("prod", "golf")].failure is not None  # prod's bridge does not know golf
        assert rows[row_key("staging", "golf")].failure is None
        lines = row_texts(app)
        assert "SITE" in lines[0]
        assert (
            sum("prod" in line for line in lines[1:]) == 6
            and sum("staging" in line for line in lines[1:]) == 6
        )
        header = summary_text(app)
        assert "prod 6" in header and "staging 6" in header and "eu: key problem" in header
        assert "1 failing" in header  # prod's golf
        assert "eu: CWDASH_KEY is not a valid key" in banner_text(app)
        await select(pilot, row_key("staging", "alpha"))
        assert "site staging" in detail_text(app)
        # the second line follows the selected row's site (on the header's next repaint)
        await wait_until(
            pilot, lambda: summary_text(app).splitlines()[1].startswith("staging:"), "staging's line"
        )


async def test_pause_and_refresh_apply_to_every_site(sites) -> None:
    app = sites.app(sites.site("prod"), sites.site("staging", STAGING_ROUTES))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        seen = record_notifications(app)
        await pilot.press("p")
        assert all(feed.paused for feed in app.dashboard.feeds())
        await wait_until(pilot, lambda: "PAUSED" in summary_text(app), "the header")
        await pilot.press("p")
        assert not any(feed.paused for feed in app.dashboard.feeds())
        await pilot.press("r")
        assert ("", "reading 12 instances live again", "information") in seen


async def test_one_site_is_shown_like_today_without_a_site_column(sites) -> None:
    app = sites.app(sites.site("prod"))
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(pilot, lambda: app.dashboard.loaded, "the listing")
        assert "SITE" not in row_texts(app)[0]


async def test_the_filter_matches_the_site_and_the_connection(sites) -> None:
    app = sites.app(sites.site("prod"), sites.site("staging", STAGING_ROUTES))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"stag")
        await wait_until(pilot, lambda: len(app.dashboard.fleet.view) == 6, "the filter")
        assert {r.site for r in app.dashboard.fleet.view} == {"staging"}
        await pilot.press("escape")
        app.dashboard.fleet.rows[row_key("prod", "bravo")].connection = "loggedout"
        await pilot.press("slash", *"loggedo")
        await wait_until(pilot, lambda: len(app.dashboard.fleet.view) == 1, "the connection word")
        assert app.dashboard.fleet.view[0].key == row_key("prod", "bravo")


async def test_the_token_opens_with_its_sites_key_and_is_audited_in_its_store(sites) -> None:
    app = sites.app(sites.site("prod"), sites.site("staging", STAGING_ROUTES))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await select(pilot, row_key("staging", "alpha"))
        await wait_until(pilot, lambda: "t reveals" in detail_text(app), "the detail")
        await pilot.press("t")
        await wait_until(pilot, lambda: token_of("staging", "alpha") in detail_text(app), "the reveal")
        await wait_until(pilot, lambda: sites.audit("staging") == [("alpha", "reveal")], "the audit")
        assert sites.audit("prod") == []
        await pilot.press("t")  # hide
        await select(pilot, row_key("prod", "alpha"))
        await wait_until(pilot, lambda: "t reveals" in detail_text(app), "prod's detail")
        await pilot.press("t")
        await wait_until(pilot, lambda: token_of("prod", "alpha") in detail_text(app), "prod's reveal")
        await wait_until(pilot, lambda: sites.audit("prod") == [("alpha", "reveal")], "prod's audit")
        assert sites.audit("staging") == [("alpha", "reveal")]


async def test_a_failing_source_or_store_stays_in_its_site(sites) -> None:
    # staging's gateway refuses the token: its rows stay local, prod's are live
    app = sites.app(sites.site("prod"), sites.site("staging", token="another-token"))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        rows = app.dashboard.fleet.rows
        staging = [r for r in rows.values() if r.site == "staging" and r.has_integration]
        prod = [r for r in rows.values() if r.site == "prod" and r.has_integration and r.name != "golf"]
        assert all(r.failure is not None and r.stale for r in staging)
        assert all(r.is_live for r in prod)
        await wait_until(pilot, lambda: "staging:" in banner_text(app), "staging's banner")
        assert "prod" not in banner_text(app)
        assert "staging 6 · 1 error · 5 failing" in summary_text(app)  # charlie's local error
        # staging's store then fails (locked by another process): named, prod untouched
        app.dashboard.post_message(StoreFailed("database is locked", "staging"))
        await wait_until(pilot, lambda: "staging: store locked" in summary_text(app), "the header")
        assert "staging: store: database is locked" in banner_text(app)
        assert "prod 6" in summary_text(app)
        assert all(r.is_live for r in prod)


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x45"])
def test_two_sites_screen(sites, snap_compare, size: tuple[int, int]) -> None:
    app = sites.app(sites.site("prod"), sites.site("staging", STAGING_ROUTES), broken("eu", BAD_KEY))
    assert snap_compare(app, terminal_size=size, run_before=settle)


# -- the launch: sites from $XDG_CONFIG_HOME/cwdash/sites ----------------------------------


def _namespace(**values: object) -> argparse.Namespace:
    namespace = argparse.Namespace(
        env_file=None, db=None, no_reveal=False, site=None, source=None, all_sites=True
    )
    vars(namespace).update(values)
    return namespace


def test_all_sites_opens_every_site_and_keeps_the_broken_ones(tmp_path, monkeypatch) -> None:
    from cwdash.store import sites as store_sites
    from cwdash.tui import launch

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    good = generate_key()
    seed_site(tmp_path / "prod.db", "prod", good, token_of)
    store_sites.create_site("prod", {"CWDASH_DB": str(tmp_path / "prod.db"), "CWDASH_KEY": good})
    store_sites.create_site("eu", {"CWDASH_DB": str(tmp_path / "prod.db"), "CWDASH_KEY": "not-a-key"})
    store_sites.create_site("nostore", {"CWDASH_DB": str(tmp_path / "missing.db"), "CWDASH_KEY": good})
    started: list[CwdashApp] = []
    monkeypatch.setattr(CwdashApp, "run", lambda self, *a, **k: started.append(self))
    assert launch.run_all_sites(_namespace()) == 0
    sessions = {s.site: s for s in started[0].dashboard.sessions}
    assert sessions["prod"].model is not None and sessions["prod"].problem is None
    assert sessions["eu"].model is None and "CWDASH_KEY" in (sessions["eu"].problem or "")
    assert sessions["nostore"].model is None and sessions["nostore"].problem
    assert started[0].title == "cwdash · all sites"
    for session in sessions.values():
        session.close()


def test_all_sites_without_sites_names_site_add(tmp_path, monkeypatch, capsys) -> None:
    from cwdash.tui import launch

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    assert launch.run_all_sites(_namespace()) == 1
    assert "cwdash site add" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [("--all-sites", "--site", "prod"), ("--all-sites", "--db", "x.db"), ("--all-sites", "list")],
    ids=["site", "db", "command"],
)
def test_all_sites_flag_errors(argv: tuple[str, ...], capsys) -> None:
    from cwdash.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--all-sites" in err and "Traceback" not in err


# -- the demo's two sites -------------------------------------------------------------------


async def test_the_demo_shows_two_sites() -> None:
    from cwdash.store import demoryze
    from cwdash.tui import launch

    with launch.demo_app(12) as app:
        async with app.run_test(size=(160, 48)) as pilot:
            screen = app.dashboard
            await wait_until(pilot, lambda: screen.loaded, "both sites listed")
            sites_shown = {r.site for r in screen.fleet.rows.values()}
            assert sites_shown == {demoryze.BRIDGE_SITE, demoryze.RYZE_SITE}
            ryze = [r for r in screen.fleet.rows.values() if r.site == demoryze.RYZE_SITE]
            assert len(ryze) == demoryze.RYZE_INSTANCES
            await wait_until(pilot, lambda: any(r.connection for r in ryze), "RyzeAPI's listing")
            assert {"loggedout", "disconnected"} & {r.connection for r in ryze}
            await wait_until(pilot, lambda: any(r.is_live for r in ryze), "a live read through SimRyze")
            ryze_session = screen.by_site[demoryze.RYZE_SITE]
            assert ryze_session.budget is not None
            screen.summary.show_site(ryze_session)  # type: ignore[attr-defined]
            screen.tick()
            await wait_until(pilot, lambda: "budget" in summary_text(app), "RyzeAPI's budget in the header")
            assert "SITE" in row_texts(app)[0]


async def test_v_verifies_with_the_rows_own_site(sites) -> None:
    """The same instance name in two sites: `v` opens the token with the row's site's key,
    reads its site's store, and is audited there only."""
    from cwdash.store.simchatwoot import SimChatwoot

    sim = SimChatwoot().start()
    try:
        sim.add_token(token_of("staging", "alpha"), {5: "administrator"})  # only staging's token works
        sim.add_inbox(5, 42, "WhatsApp - Alpha")
        specs = [sites.site("prod"), sites.site("staging", STAGING_ROUTES)]
        for spec in specs:
            assert spec.store is not None
            with spec.store.write():
                spec.store.conn.execute(
                    "UPDATE chatwoot_integrations SET chatwoot_base_url = ? WHERE instance_name = 'alpha'",
                    (sim.url,),
                )
        app = sites.app(*specs)
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            seen = record_notifications(app)
            book = app.dashboard.verifies
            for site in ("staging", "prod"):
                key = row_key(site, "alpha")
                await select(pilot, key)
                await wait_until(pilot, lambda: "t reveals" in detail_text(app), f"{site}'s detail")
                await pilot.press("v")
                await wait_until(
                    pilot, lambda key=key: key in book.results and key not in book.running, f"{site}'s verify"
                )
            assert book.results[row_key("staging", "alpha")].level.name == "OK"
            assert (
                book.results[row_key("prod", "alpha")].level.name == "CRITICAL"
            )  # prod's token: not Chatwoot's
            assert sites.audit("staging") == [("alpha", "verify")]
            assert sites.audit("prod") == [("alpha", "verify")]
            said = [message for _, message, _ in seen]
            assert any(m.startswith("staging/alpha: ") for m in said), said  # site/name, never the key
            assert not any("\x00" in m or "\\x00" in m for m in said)
    finally:
        sim.stop()


def test_sites_load_one_after_another() -> None:
    """load_rows starts the first site's listing only; each listing that comes in (or
    fails) starts the next, so one loading thread at a time competes with the screen."""
    from types import SimpleNamespace

    from cwdash.tui.sites import SiteRouting

    started: list[str] = []

    def session(site: str, *, loader: bool = True) -> SimpleNamespace:
        load = SimpleNamespace(load=lambda rows: started.append(site)) if loader else None
        return SimpleNamespace(site=site, loader=load, rows={})

    routing = SiteRouting()
    routing.sessions = [session("a"), session("none", loader=False), session("b"), session("c")]  # type: ignore[list-item]
    routing.load_rows()
    assert started == ["a"]
    routing.load_next_site()  # a's listing came in
    assert started == ["a", "b"]
    routing.load_next_site()
    routing.load_next_site()
    routing.load_next_site()  # nothing left: nothing more
    assert started == ["a", "b", "c"]
    routing.load_rows()  # `r`: every site again, in turn
    assert started == ["a", "b", "c", "a"]
