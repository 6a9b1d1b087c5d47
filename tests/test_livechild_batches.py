"""The screen sends a site's read targets to the reads process in batches (tui/procfeed.py:
pickling 250k at once held the GIL ~150 ms); the child takes batches in name order by
appending them to its columns, any other batch row by row, to the same rows."""

from __future__ import annotations

from cwdash.store.fleet import Fleet
from cwdash.store.livechild import take_rows
from cwdash.tui import procfeed


def targets(names: list[str]) -> list[tuple[str, bool, str | None, int, str]]:
    return [
        (n, not n.endswith("0"), "inbox_id" if n.endswith("7") else None, len(n), f"int_{n}") for n in names
    ]


def state(fleet: Fleet) -> list[tuple[object, ...]]:
    return [(r.name, r.has_integration, r.bad, r.inbox_id, r.integration_id) for r in fleet.rows.values()]


def test_batches_in_name_order_give_the_rows_one_message_gives() -> None:
    names = sorted(f"inst-{i:05d}" for i in range(1000))
    whole = Fleet()
    take_rows(whole, targets(names))
    batched = Fleet()
    for start in range(0, len(names), 64):
        take_rows(batched, targets(names[start : start + 64]))
    assert state(batched) == state(whole)
    assert batched.rows.get("inst-00999") is not None and len(batched.rows) == 1000


def test_a_batch_out_of_order_or_known_is_taken_row_by_row() -> None:
    fleet = Fleet()
    take_rows(fleet, targets(["b", "d"]))
    take_rows(fleet, targets(["e", "c"]))  # new, not in order: inserted where they belong
    take_rows(fleet, targets(["d", "f"]))  # one known: updated, the other added
    assert [r.name for r in fleet.rows.values()] == ["b", "c", "d", "e", "f"]
    take_rows(fleet, [("c", False, "bad: url", 9, "int_other")])
    assert state(fleet)[1] == ("c", False, "bad: url", 9, "int_other")


def test_the_screen_sends_targets_in_batches(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(procfeed, "BATCH", 3)
    sent = procfeed._batches(list(range(7)))
    assert sent == [("rows", [0, 1, 2]), ("rows", [3, 4, 5]), ("rows", [6])]
    assert procfeed._batches([]) == [("rows", [])]  # as before: one message, even empty
