"""The fleet's name order across sites (``cwdash --all-sites``): every site's natural order,
worked out on its loader's thread, merged into one on the screen's thread in steps.

Merging compares names of different sites, each by its natural key (:func:`natural_key`):
about 0.45 µs a name even in bulk (:func:`natural_keys`), half a second for a million rows,
so a site's listing coming in would hold keys and repaints that long. :class:`MergePass`
merges a chunk of each site at a time (a step: a few milliseconds, between frames), and
only a chunk's keys are alive at once (a key per row kept would cost ~70 MB at 1M).

The order is the one rule: every row by its natural key, the same key in two sites by
site order, in one site by position (each site's natural order is a stable sort).
"""

from __future__ import annotations

import bisect
from array import array

from cwdash.store.fleetrow import natural_keys
from cwdash.store.fleetview import Layout, with_natural


def name_order(layout: Layout) -> array[int]:
    """Every row's number in natural name order; the same name in two sites: by site order."""
    with_natural(layout)
    if len(layout.parts) == 1:
        return array("I", layout.parts[0].natural)  # type: ignore[arg-type]
    merge = MergePass(layout)
    while not merge.step(1 << 17):
        pass
    return merge.out


class MergePass:
    """The sites' natural orders merged, ``count`` rows a :meth:`step` (the answer,
    :attr:`out`, is whole once a step says True).

    A step takes the next rows of each site (topped up to a share of ``count``), works out
    their keys, and places those below the lowest "last key taken" of the sites with more
    to come: nothing still untaken can come before them. The rest wait for the next step,
    kept by site in their site's order (ties stay in site, then position, order).

    A row merged costs about four a filter tests (``Fleet.filter_more`` gives both the same
    ``count``): a step takes ``count / COST`` rows, a few milliseconds at 32k."""

    COST = 8

    def __init__(self, layout: Layout) -> None:
        self.layout = with_natural(layout)
        self.runs = [(c.natural, c.folded, base) for c, base in zip(layout.parts, layout.bases, strict=True)]
        self.at = [0] * len(self.runs)  # how much of each site's order was taken
        self.last: list[str | None] = [None] * len(self.runs)  # the key of each site's last row taken
        self.waiting: list[tuple[list[int], list[str]]] = [([], []) for _ in self.runs]  # numbers, keys
        self.out = array("I")

    def _more(self, r: int) -> bool:
        return self.at[r] < len(self.runs[r][0])  # type: ignore[arg-type]

    def step(self, count: int) -> bool:
        share = max(1, count // self.COST // max(1, len(self.runs)))
        going = [r for r in range(len(self.runs)) if self._more(r)]
        lowest = min((self.last[r] for r in going if self.last[r] is not None), default=None)
        taken: list[array[int]] = []
        names: list[str] = []
        for r, (natural, folded, _) in enumerate(self.runs):
            want = share - len(self.waiting[r][0])
            if r in going and self.last[r] == lowest:
                want = max(want, 1)  # the site holding the bound back always moves on
            at = self.at[r]
            positions = natural[at : at + max(want, 0)]  # type: ignore[index]
            self.at[r] = at + len(positions)
            taken.append(positions)
            names.extend(map(folded.__getitem__, positions))
        fresh = natural_keys(names)
        numbers: list[int] = []
        keys: list[str] = []
        bounds = [0]
        used = 0
        for r, positions in enumerate(taken):
            waiting_numbers, waiting_keys = self.waiting[r]
            numbers += waiting_numbers
            keys += waiting_keys
            numbers.extend(map(self.runs[r][2].__add__, positions))
            keys += fresh[used : used + len(positions)]
            used += len(positions)
            bounds.append(len(numbers))
            if positions:
                self.last[r] = keys[-1]
        limits = [self.last[r] for r in range(len(self.runs)) if self._more(r)]
        order = sorted(range(len(numbers)), key=keys.__getitem__)  # stable: ties by site, position
        cut = bisect.bisect_left(order, min(limits), key=keys.__getitem__) if limits else len(order)  # type: ignore[type-var]
        self.out.extend(map(numbers.__getitem__, order[:cut]))
        rest = sorted(order[cut:])  # back in site, then site order
        for r in range(len(self.runs)):
            part = rest[bisect.bisect_left(rest, bounds[r]) : bisect.bisect_left(rest, bounds[r + 1])]
            self.waiting[r] = ([numbers[i] for i in part], [keys[i] for i in part])
        return not limits and not rest
