"""The name order across sites (store/namemerge.py): the merge in steps gives exactly the
order of the merge it replaced (every name by its natural key, one at a time through
heapq.merge), and the fleet keeps its view until the merged order is whole."""

from __future__ import annotations

import heapq
import random
from array import array

import pytest

from cwdash.store.columns import SiteColumns, Texts
from cwdash.store.fleet import Fleet
from cwdash.store.fleetload import columns_from_listing
from cwdash.store.fleetrow import natural_key, natural_keys
from cwdash.store.fleetview import Layout
from cwdash.store.namemerge import MergePass, name_order

WORDS = ["padaria", "Padaria", "hotel", "HOTEL", "a", "b", "vendas", "x-", "", "sac", "ação", "zz"]
DIGITS = ["0", "7", "07", "007", "10", "9", "99", "100", "123456789012", "1234567890123", "٣", "١٢"]


def generated(rng: random.Random, count: int) -> list[str]:
    """Names with numbers of every length (leading zeros, past the padding width, other
    scripts' digits), case variants and repeats."""
    names = set()
    while len(names) < count:
        parts = [rng.choice(WORDS)]
        for _ in range(rng.randrange(0, 3)):
            parts += [rng.choice(["", "-", "."]), rng.choice([*DIGITS, str(rng.randrange(2000))])]
        names.add("".join(parts) or "n")
    return sorted(names)


def listing(names: list[str]) -> list[tuple]:
    return [(n, True, "active", "", "https://cw.example", 1, 2, None, f"int_{n}", None, "") for n in names]


def site(name: str, names: list[str], texts: Texts) -> SiteColumns:
    return columns_from_listing(listing(names), name, texts)


def heapq_order(layout: Layout) -> list[int]:
    """The merge as it was: heapq.merge of the sites' natural orders, a key per row compared."""
    folded = layout.joined("folded")
    runs = [map(base.__add__, c.natural) for c, base in zip(layout.parts, layout.bases, strict=True)]  # type: ignore[arg-type]
    return list(heapq.merge(*runs, key=lambda number: natural_key(folded[number])))  # type: ignore[index]


def layouts() -> list[Layout]:
    rng = random.Random(16)
    pool = generated(rng, 3000)
    texts = Texts()
    mixed = [site(f"s{k}", sorted(rng.sample(pool, rng.randrange(300, 1500))), texts) for k in range(4)]
    same = [site(f"c{k}", pool[:800], texts) for k in range(3)]  # the bench's copies: all interleaved
    apart = [
        site("low", [f"a-{i}" for i in range(700)], texts),
        site("high", [f"z-{i}" for i in range(90)], texts),
    ]
    cased = [site("u", ["Ab", "Ac", "ad"], texts), site("l", ["ab", "aB", "Ab", "AB", "ac"], texts)]
    return [Layout(mixed), Layout(same), Layout(apart), Layout(cased), Layout(mixed[:1])]


@pytest.mark.parametrize("count", [1, 7, 64, 1 << 12, 1 << 20])
def test_the_merge_in_steps_is_the_heapq_merge(count: int) -> None:
    for layout in layouts():
        expected = heapq_order(layout)
        merge = MergePass(layout)
        while not merge.step(count):
            pass
        assert list(merge.out) == expected
        assert list(name_order(layout)) == expected
        assert sorted(expected) == list(range(len(layout)))  # every row, once


def test_many_rows_of_one_key_in_a_site_still_move_on() -> None:
    """Names equal but for case share a key: more of them than a step's share."""
    texts = Texts()
    many = sorted(
        {
            "".join(c.upper() if b == "1" else c for c, b in zip("abcdefgh", f"{i:08b}", strict=True))
            for i in range(256)
        }
    )
    assert len(many) == 256
    layout = Layout([site("one", many, texts), site("two", ["abcdefgh", "b"], texts)])
    merge = MergePass(layout)
    while not merge.step(MergePass.COST * 2):
        pass
    assert list(merge.out) == heapq_order(layout)


def test_natural_keys_is_natural_key_for_each() -> None:
    names = generated(random.Random(3), 2000)
    assert natural_keys(names) == list(map(natural_key, names))
    with_break = [*names[:5], "line\n2", "9\n"]  # the separator in a name: one by one
    assert natural_keys(with_break) == list(map(natural_key, with_break))
    assert natural_keys([]) == []


def test_the_fleet_keeps_its_view_until_the_merged_order_is_whole(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cwdash.store import fleet as fleet_module

    monkeypatch.setattr(fleet_module, "PROGRESSIVE", 200)
    monkeypatch.setattr(fleet_module, "STEP", 40)
    fleet = Fleet()
    names = generated(random.Random(5), 400)
    fleet.install(site("a", names[:50], fleet.rows.texts))
    fleet.install(site("b", names[:60], fleet.rows.texts))
    before = [r.key for r in fleet.view]
    assert len(before) == 110 and fleet.pending is None  # under PROGRESSIVE rows: at once
    fleet.install(site("a", names, fleet.rows.texts))  # the whole listing
    assert isinstance(fleet.pending, MergePass)
    assert [r.key for r in fleet.view] == before  # shown as it was while the merge runs
    steps = 0
    while fleet.filter_more(0.0):
        steps += 1
    assert steps > 1 and fleet.pending is None
    assert list(fleet.view.ids) == heapq_order(fleet.layout())
    # a filter typed while a merge runs: the merge goes on, then the filter applies
    fleet.install(site("b", names[100:], fleet.rows.texts))
    fleet.filter_text = "1"
    fleet.rebuild()
    while fleet.filter_more(0.0):
        pass
    whole = heapq_order(fleet.layout())
    layout = fleet.layout()
    expected = [n for n in whole if "1" in layout.row(n).name_folded]
    assert list(fleet.view.ids) == expected
    assert isinstance(fleet.view.ids, array)
