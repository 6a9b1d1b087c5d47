"""The fleet with several sites (``--all-sites``): rows keyed by site and name, each site's
listing compared with its own rows only, counts per site, the filter on the site and on
the WhatsApp connection word."""

from __future__ import annotations

from cwdash.store.fleet import Fleet, SiteRows, diff_listing
from cwdash.store.fleetrow import FleetRow, filter_rows, row_key, split_key


def row(name: str, site: str = "", status: str = "active") -> FleetRow:
    return FleetRow(name, True, status, "", "https://cw.example", 1, 2, site=site)


def test_one_site_keys_rows_by_name_and_several_by_site_and_name() -> None:
    plain = row("alpha")
    assert plain.key is plain.name and plain.site == ""
    assert row_key("prod", "alpha") != row_key("staging", "alpha")
    assert split_key(row_key("prod", "alpha")) == ("prod", "alpha")
    assert split_key("alpha") == ("", "alpha")


def test_the_same_name_in_two_sites_stays_apart() -> None:
    fleet = Fleet()
    fleet.add_first([row("alpha", "prod"), row("alpha", "staging", "paused")])
    assert len(fleet.rows) == 2
    counts = fleet.site_counts()
    assert counts["prod"].active == 1 and counts["staging"].paused == 1
    assert fleet.counts().total == 2


def test_a_sites_listing_removes_only_its_own_rows() -> None:
    fleet = Fleet()
    fleet.add_first([row("alpha", "prod"), row("bravo", "prod"), row("alpha", "staging")])
    # prod's fresh listing no longer has bravo; staging's rows are not prod's to remove
    diff = diff_listing(SiteRows(fleet.rows, "prod"), [row("alpha", "prod")])
    assert diff.removed == [row_key("prod", "bravo")]
    fleet.apply_diff(diff)
    assert set(fleet.rows) == {row_key("prod", "alpha"), row_key("staging", "alpha")}
    by_name = fleet.rows.site_rows("staging")
    assert list(by_name) == ["alpha"] and by_name["alpha"].site == "staging"
    assert by_name.get("bravo") is None


def test_the_filter_matches_the_site_and_the_connection_word() -> None:
    prod, staging = row("alpha", "prod"), row("alpha", "staging")
    staging.connection = "loggedout"
    assert filter_rows([prod, staging], "stag") == [staging]
    assert filter_rows([prod, staging], "logged") == [staging]
    assert staging.matches("loggedout") and not prod.matches("loggedout")
    plain = row("alpha")
    assert not plain.matches("stag")  # no site, no connection: nothing new to match
