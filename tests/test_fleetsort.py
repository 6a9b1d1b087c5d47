"""The list's sorts by column (store/fleetview.py COLUMNS, store/fleetsort.py) give what a
stable sort by the column, ties in name order, gives: with few distinct values (a pass
each) and with many, several sites, reversed."""

from __future__ import annotations

import random

import pytest

from cwdash.store.fleet import Fleet
from cwdash.store.fleetrow import FleetRow, natural_key
from cwdash.store.fleetsort import MAX_GROUPS
from cwdash.store.fleetview import COLUMNS
from cwdash.store.readmodel import UNEXPECTED
from cwdash.store.status import CONNECTION_STATES, LAST, SORT_ORDER

_CONNECTION = {state: -i for i, state in enumerate(CONNECTION_STATES)}
EXPECTED = {  # the sorts as they were written first: a key per row
    "status": lambda r: SORT_ORDER.get(r.status, LAST),
    "source": lambda r: 0 if r.failure else 1 if not r.is_live else 2,
    "last_error": lambda r: (r.last_error == "", r.last_error.lower()),
    "url": lambda r: r.base_url,
    "inbox": lambda r: r.inbox_id,
    "site": lambda r: r.site,
    "connection": lambda r: _CONNECTION.get(r.connection, 1),
}


def _rows(n: int, inboxes: int) -> list[FleetRow]:
    pick = random.Random(n * 7 + inboxes).choice
    rows = []
    for i in range(n):
        status = pick(["active", "paused", "error", "", "weird"])
        row = FleetRow(
            f"i{i:04d}", bool(status), status, pick(["", "Boom", "boom", "apple"]),
            pick(["https://a.example", "https://b.example"]), 1, i % inboxes, site=pick(["", "eu", "us"]),
        )  # fmt: skip
        row.connection = pick(["", *CONNECTION_STATES])
        if pick([0, 1, 2]) == 1:
            row.failure = UNEXPECTED
        elif pick([0, 1]):
            row.live_status = "active"
        rows.append(row)
    return rows


@pytest.mark.parametrize("inboxes", [3, MAX_GROUPS * 4])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("key", sorted(COLUMNS))
def test_each_sort_is_a_stable_sort_by_its_column(key: str, reverse: bool, inboxes: int) -> None:
    rows = _rows(600, inboxes)
    fleet = Fleet(rows)
    fleet.sort_key, fleet.sort_reverse = key, reverse
    fleet.rebuild(full=True)
    by_name = sorted(
        fleet.rows.values(), key=lambda r: natural_key(r.name_folded)
    )  # one site after another on ties
    if reverse:
        by_name = by_name[::-1]
    expected = sorted(by_name, key=EXPECTED[key], reverse=reverse)
    assert [r.key for r in fleet.view] == [r.key for r in expected]
