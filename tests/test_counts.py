"""The header's counts kept row by row (store/counts.py): a tally taken once, then each
live result's row counted out and in again, says what a fresh pass over every row says."""

from __future__ import annotations

from cwdash.store.db import ListRow
from cwdash.store.document import SealedToken, StatusDocument
from cwdash.store.fleet import Fleet, Tally
from cwdash.store.readmodel import INSTANCE_NOT_FOUND, NO_INTEGRATION, READ_FAILED, StatusRead
from cwdash.store.status import DISCONNECTED


def _doc(name: str, status: str) -> StatusDocument:
    return StatusDocument(
        name, status, f"int_{name}", "https://chat.example.com", 1, SealedToken(name, "", None), 3, "",
        "boom" if status == "error" else "", "2026-01-01T00:00:00Z", False, False, False, False,
    )  # fmt: skip


def _fleet() -> Fleet:
    statuses = ["active", "paused", "error", ""]
    return Fleet(
        [
            ListRow(f"i{n}", bool(s), s, "", "https://chat.example.com" if s else "", 1, 0, "", f"int_{n}")
            for n, s in ((n, statuses[n % 4]) for n in range(12))
        ]
    )


def test_a_tally_kept_row_by_row_matches_a_fresh_count() -> None:
    fleet = _fleet()
    tally = Tally(fleet.rows.values())
    assert tally.counts() == fleet.counts()
    results = [
        ("i0", StatusRead(_doc("i0", "error"), "live")),
        ("i1", READ_FAILED),
        ("i2", StatusRead(_doc("i2", "active"), "live")),
        ("i3", NO_INTEGRATION),
        ("i4", INSTANCE_NOT_FOUND),
        ("i5", READ_FAILED),
        ("i1", StatusRead(_doc("i1", "paused"), "live")),
        ("i6", READ_FAILED),
    ]
    for name, result in results:
        row = fleet.rows[name]
        tally.add(row, -1)
        row.apply(result, now=1.0)
        tally.add(row, 1)
        assert tally.counts() == fleet.counts(), name
    row = fleet.rows["i8"]
    tally.add(row, -1)
    row.connection = DISCONNECTED
    tally.add(row, 1)
    assert tally.counts() == fleet.counts()
    assert tally.counts().number_offline == 1
    assert tally.counts().failing == 2 and tally.counts().top_failing == 2
