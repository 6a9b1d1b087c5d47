"""The fleet model under the list: filter, attention, sort, counts, rows kept by name."""

from __future__ import annotations

from cwdash.store.db import ListRow
from cwdash.store.document import SealedToken, StatusDocument
from cwdash.store.fleet import Fleet, FleetRow
from cwdash.store.readmodel import INSTANCE_NOT_FOUND, NO_INTEGRATION, StatusRead
from cwdash.store.sources.outcome import LiveFailure, Reason


def row(name: str, status: str = "active", error: str = "", url: str = "https://chat.example.com") -> ListRow:
    return ListRow(name, bool(status), status, error, url if status else "", 1, 0, "", f"int_{name}")


def doc(name: str, status: str = "active", last_error: str = "", inbox: int = 0) -> StatusDocument:
    return StatusDocument(
        name, status, f"int_{name}", "https://chat.example.com", 1, SealedToken(name, "", None), inbox, "",
        last_error, "2026-01-01T00:00:00Z", False, False, False, False,
    )  # fmt: skip


def fleet() -> Fleet:
    return Fleet(
        [
            row("alpha"),
            row("bravo", "error", "Chatwoot 401 [bold]x[/bold]"),
            row("charlie", "paused", url="https://other.example.org"),
            row("delta", ""),
        ]
    )


def names(f: Fleet) -> list[str]:
    return [r.name for r in f.view]


def test_filter_matches_name_url_status_and_error() -> None:
    f = fleet()
    for needle, expected in [
        ("ALP", ["alpha"]),
        ("other.example", ["charlie"]),
        ("paused", ["charlie"]),
        ("401", ["bravo"]),
        ("[bold]", ["bravo"]),
        ("no integration", ["delta"]),
    ]:
        f.filter_text = needle
        f.rebuild()
        assert names(f) == expected, needle


def test_live_result_replaces_status_and_marks_change() -> None:
    f = fleet()
    alpha = f.rows["alpha"]
    assert not alpha.is_live
    assert alpha.apply(StatusRead(doc("alpha", "error", "boom", inbox=9), "live"), now=10.0)
    assert alpha.status == "error" and alpha.last_error == "boom" and alpha.is_live
    assert alpha.changed_at == 10.0 and alpha.inbox_id == 9
    # a failed read afterwards: local values stand, the failure is kept
    failure = LiveFailure(Reason.TIMEOUT, "no answer")
    alpha.apply(StatusRead(doc("alpha"), "local", failure=failure), now=20.0)
    assert alpha.status == "active" and not alpha.is_live and alpha.failure is failure
    assert alpha.needs_attention


def test_attention_only() -> None:
    f = fleet()
    f.rows["charlie"].apply(StatusRead(doc("charlie", "paused"), "local", LiveFailure(Reason.TLS, "x")), 1.0)
    f.attention_only = True
    f.rebuild()
    assert names(f) == ["bravo", "charlie", "delta"]


def test_sort_by_status_and_reverse() -> None:
    f = fleet()
    f.sort_key = "status"
    f.rebuild()
    assert names(f) == ["bravo", "charlie", "alpha", "delta"]
    f.sort_reverse = True
    f.rebuild()
    assert names(f) == ["delta", "alpha", "charlie", "bravo"]


def test_counts() -> None:
    f = fleet()
    f.rows["alpha"].apply(StatusRead(doc("alpha"), "live"), 1.0)
    c = f.counts()
    assert (c.total, c.active, c.paused, c.error, c.no_integration, c.not_live) == (4, 1, 1, 1, 1, 2)


def test_mapped_errors_on_rows() -> None:
    f = fleet()
    f.rows["alpha"].apply(NO_INTEGRATION, 1.0)
    assert not f.rows["alpha"].has_integration and f.rows["alpha"].needs_attention
    # the selected instance vanishing from the store stays listed as "instance not found"
    added, removed = f.replace_local(
        [row("bravo"), row("charlie"), row("delta", ""), row("echo")], keep="alpha"
    )
    assert added == 1 and removed == 1
    assert f.rows["alpha"].mapped is INSTANCE_NOT_FOUND
    f.replace_local([row("bravo")])
    assert names(f) == ["bravo"]


def test_rows_are_updated_in_place_and_keep_live_state() -> None:
    f = fleet()
    alpha = f.rows["alpha"]
    alpha.apply(StatusRead(doc("alpha", "error", "x"), "live"), 1.0)
    f.replace_local([row("alpha"), row("bravo")])
    assert f.rows["alpha"] == alpha  # the same row (a handle: equal, not the same object)
    assert alpha.status == "error"  # the live value survives a local reload


def test_vanished_rows_count_as_gone_not_by_their_old_status() -> None:
    f = fleet()
    f.replace_local([row("bravo", "error"), row("charlie", "paused"), row("delta", "")], keep="alpha")
    c = f.counts()
    assert c.gone == 1 and c.active == 0  # alpha was active before it vanished


def test_diff_listing_sees_a_removal_hidden_by_an_addition() -> None:
    from cwdash.store.fleet import FleetRow, diff_listing

    f = fleet()
    fresh = [
        FleetRow.from_list_row(r)
        for r in (
            row("alpha", "error", "x"),
            row("bravo", "error", "Chatwoot 401 [bold]x[/bold]"),
            row("charlie", "paused", url="https://other.example.org"),
            row("echo"),
        )
    ]
    diff = diff_listing(f.rows, fresh)
    assert sorted(r.name for r in diff.changed) == ["alpha", "echo"]  # alpha changed, echo is new
    assert diff.removed == ["delta"]
    added, removed = f.apply_diff(diff)
    assert (added, removed) == (1, 1)
    assert names(f) == ["alpha", "bravo", "charlie", "echo"]
    assert f.rows["alpha"].local_status == "error"


def test_first_filter_character_narrows_the_sorted_view_and_clearing_restores_it() -> None:
    f = fleet()
    f.sort_key = "status"
    f.rebuild()
    everyone = names(f)
    f.filter_text = "a"  # narrows the status-sorted view: order kept, nothing re-sorted
    f.rebuild()
    assert names(f) == [n for n in everyone if n in {r.name for r in f.rows.values() if r.matches("a")}]
    f.filter_text = ""
    f.rebuild()
    assert names(f) == everyone


def test_rows_added_while_unfiltered_appear() -> None:
    f = fleet()
    f.add_first([FleetRow("echo", True, "active", "", "https://cw.example", 1, 1)])
    assert "echo" in names(f)


def test_attention_order_puts_breakages_before_history_knew_by_how_long_then_by_name() -> None:
    """Issue 12: rows in error since before the dashboard started (no breakage time known)
    follow the recent breakages, by how long history has seen them in that state, the
    latest first; rows history knows nothing of come last, by name."""
    rows = [row(n, "error", "x") for n in ("a-old", "b-new", "c-long", "d-short", "e-none", "f-none")]
    f = Fleet([*rows, row("g-none", ""), row("h-paused", "paused")])
    f.rows["h-paused"].apply(
        StatusRead(doc("h-paused", "paused"), "local", LiveFailure(Reason.TLS, "x")), 1.0
    )
    f.broke_at = {"a-old": 100.0, "b-new": 200.0}
    f.since_at = {"c-long": 10.0, "d-short": 50.0, "a-old": 100.0, "b-new": 200.0, "e-none": 300.0}
    f.known_since = {"c-long": 10.0, "d-short": 50.0, "a-old": 100.0, "h-paused": 60.0}  # at start
    f.attention_only = True
    f.sort_key = "broke"
    f.rebuild()
    # e-none: first seen in error by this dashboard (its since is no knowledge); h-paused:
    # not broken, only failing to read live
    assert names(f) == ["b-new", "a-old", "d-short", "c-long", "e-none", "f-none", "g-none", "h-paused"]


def test_a_big_filter_shows_its_top_at_once_and_the_rest_in_steps(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Past PROGRESSIVE rows a keystroke lists the first matches, filter_more the rest;
    the view is then what the filter gives whole, typed on or back (cached), reversed too."""
    from cwdash.store import fleet as fleet_module

    names = [f"{word}-{n}" for n in range(60) for word in ("acme", "beta", "cobra")]
    f = Fleet([row(name, "paused" if i % 7 == 0 else "active") for i, name in enumerate(names)])
    whole: dict[tuple[str, bool], list[str]] = {}
    for reverse in (False, True):
        f.sort_reverse = reverse
        for needle in ["a", "ac", "acm", "ac", "a", "pau", ""]:
            f.filter_text = needle
            f.rebuild(full=True)
            whole[(needle, reverse)] = [r.name for r in f.view]
    monkeypatch.setattr(fleet_module, "PROGRESSIVE", 10)
    monkeypatch.setattr(fleet_module, "FIRST_MATCHES", 5)
    monkeypatch.setattr(fleet_module, "STEP", 7)
    for reverse in (False, True):
        f.sort_reverse = reverse
        for needle in ["a", "ac", "acm", "ac", "a", "pau", ""]:
            f.filter_text = needle
            f.rebuild()
            top = [r.name for r in f.view]
            assert top == whole[(needle, reverse)][: len(top)], needle
            while f.filter_more(0.0):
                pass
            assert [r.name for r in f.view] == whole[(needle, reverse)], (needle, reverse)


def test_a_big_sort_shows_its_top_at_once_and_the_rest_in_steps(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Past PROGRESSIVE rows a sort by a column lists its first rows at once and the rest
    in steps, filtered or not, live re-applies (full) keeping the view until whole."""
    from cwdash.store import fleet as fleet_module
    from cwdash.store.readmodel import UNEXPECTED

    statuses = ["active", "paused", "error", ""]
    f = Fleet([row(f"{w}-{n}", statuses[(n * 7 + len(w)) % 4]) for n in range(50) for w in ("acme", "beta")])
    for i, r in enumerate(f.rows.values()):
        if i % 5 == 0:
            r.failure = UNEXPECTED
    cases = [
        (k, rev, needle)
        for k in ("status", "source", "site", "url")
        for rev in (False, True)
        for needle in ("", "ac")
    ]
    whole = {}
    for key, reverse, needle in cases:
        f.sort_key, f.sort_reverse, f.filter_text = key, reverse, needle
        f.rebuild(full=True)
        whole[(key, reverse, needle)] = [r.name for r in f.view]
    monkeypatch.setattr(fleet_module, "PROGRESSIVE", 10)
    monkeypatch.setattr(fleet_module, "FIRST_MATCHES", 6)
    monkeypatch.setattr(fleet_module, "STEP", 9)
    for full in (False, True):
        for key, reverse, needle in cases:
            f.sort_key, f.sort_reverse, f.filter_text = key, reverse, needle
            f.rebuild(full=full)
            top = [r.name for r in f.view]
            if not full:
                assert top == whole[(key, reverse, needle)][: len(top)], (key, reverse, needle)
            while f.filter_more(0.0):
                pass
            assert [r.name for r in f.view] == whole[(key, reverse, needle)], (key, reverse, needle, full)
