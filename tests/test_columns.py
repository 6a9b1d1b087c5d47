"""A site's rows as columns (store/columns.py): rows put in the middle or taken out keep
their rare states with them, codes and ids widen when they stop fitting, and a row read
back is the row written."""

from __future__ import annotations

from array import array

from cwdash.store import columns as columns_module
from cwdash.store.columns import SiteColumns, Texts
from cwdash.store.fleet import Fleet
from cwdash.store.fleetrow import FleetRow
from cwdash.store.readmodel import INSTANCE_NOT_FOUND, UNEXPECTED


def _row(name: str, error: str = "", account: int = 1, site: str = "") -> FleetRow:
    return FleetRow(
        name, True, "active", error, "https://cw.example", account, 7, None, f"int_{name}", "", site
    )


def test_rows_put_in_the_middle_and_taken_out_keep_their_states() -> None:
    fleet = Fleet([_row("a"), _row("c"), _row("e")])
    fleet.rows["c"].failure = UNEXPECTED
    fleet.rows["e"].mapped = INSTANCE_NOT_FOUND
    fleet.rows["e"].live_status = "paused"
    fleet.rows.add(_row("b"))
    fleet.rows.add(_row("d"))
    assert list(fleet.rows) == ["a", "b", "c", "d", "e"]
    assert fleet.rows["c"].failure is UNEXPECTED and fleet.rows["b"].failure is None
    assert fleet.rows["e"].gone and fleet.rows["e"].live_status == "paused"
    assert fleet.rows["d"].integration_id == "int_d" and fleet.rows["e"].integration_id == "int_e"
    del fleet.rows["b"]
    assert list(fleet.rows) == ["a", "c", "d", "e"]
    assert fleet.rows["c"].failure is UNEXPECTED and fleet.rows["e"].gone
    assert [fleet.rows[n].integration_id for n in "acde"] == ["int_a", "int_c", "int_d", "int_e"]
    fleet.rebuild(full=True)
    assert [r.name for r in fleet.view] == ["a", "c", "d", "e"]


def test_codes_and_ids_widen_when_they_stop_fitting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(columns_module, "_NARROW_CODES", 6)
    fleet = Fleet()
    fleet.add_first([_row(f"p{i}", f"error {i}", site="prod") for i in range(3)])
    fleet.add_first([_row(f"s{i}", f"other {i}", account=2**40 + i, site="staging") for i in range(3)])
    prod, staging = fleet.rows.sites["prod"], fleet.rows.sites["staging"]
    assert staging.last_error.typecode == "I" and staging.account.typecode == "q"
    assert [fleet.rows[f"staging\x00s{i}"].account_id for i in range(3)] == [2**40 + i for i in range(3)]
    assert [fleet.rows[f"staging\x00s{i}"].last_error for i in range(3)] == [f"other {i}" for i in range(3)]
    prod.last_error, prod.account, prod.inbox = (
        array("H", prod.last_error),
        array("I", prod.account),
        array("I", prod.inbox),
    )
    for key in ("last_error", "inbox", "url", "site", "status"):
        fleet.sort_key = key
        fleet.rebuild()
        assert len(fleet.view) == 6, key
    fleet.sort_key = "last_error"
    fleet.rebuild()
    assert [r.last_error for r in fleet.view][:2] == ["error 0", "error 1"]


def test_a_row_read_back_is_the_row_written() -> None:
    columns = SiteColumns("", Texts())
    columns.append_listed(
        "x", True, "error", "boom", "https://u", 3, 4, None, "int_x", "2026-01-01T00:00:00Z"
    )
    record = columns.record(0)
    other = SiteColumns("", Texts())
    other.insert(record)
    assert other.record(0) == record


def test_a_reads_process_takes_its_first_rows_whole_then_updates() -> None:
    from cwdash.store.livechild import take_rows

    fleet = Fleet()
    take_rows(
        fleet, [("a", True, None, 0, "int_a"), ("b", True, None, 3, "int_b"), ("c", False, None, 0, "")]
    )
    assert list(fleet.rows) == ["a", "b", "c"] and fleet.rows["b"].inbox_id == 3
    assert fleet.rows["b"].live_target().integration_id == "int_b" and not fleet.rows["c"].has_integration
    take_rows(fleet, [("b", True, "status", 4, "int_b2"), ("d", True, None, 1, "int_d")])
    assert list(fleet.rows) == ["a", "b", "c", "d"]
    assert fleet.rows["b"].integration_id == "int_b2" and fleet.rows["b"].bad == "status"
    assert fleet.rows["a"].integration_id == "int_a" and fleet.rows["d"].inbox_id == 1


def test_the_rows_read_and_the_errors_shown_come_from_the_columns() -> None:
    fleet = Fleet()
    fleet.add_first([_row("a", site="eu"), _row("b", "boom", site="eu"), _row("a", site="us")])
    assert fleet.rows.read_rows("eu") == [] and fleet.rows.errors() == {"eu": {"b": "boom"}}
    fleet.rows["eu\x00a"].read_at = 5.0
    assert [r.key for r in fleet.rows.read_rows("eu")] == ["eu\x00a"] and fleet.rows.read_rows("us") == []
