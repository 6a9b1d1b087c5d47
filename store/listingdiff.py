"""What a fresh listing changes in the rows shown: :class:`ListingDiff`, :func:`diff_listing`
(row by row, for listings given as rows), and :class:`SiteRows` (one site's rows by key).

The dashboard's loader compares a site's listing with its columns instead
(:func:`cwdash.store.fleetload.install_listing`); the rule is the same.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from cwdash.store.fleetrow import FleetRow, local_values, split_key
from cwdash.store.fleetrows import ByName, FleetRows, LookedUp


class ListingDiff(NamedTuple):
    """What a fresh listing changes: rows new or with other local values, keys gone."""

    changed: Sequence[FleetRow]
    removed: list[str]


def diff_listing(current: Mapping[str, FleetRow], listing: Iterable[FleetRow]) -> ListingDiff:
    """Compare a fresh listing with the rows shown (by key: one site's, :class:`SiteRows`),
    keeping only the differences.

    Runs on the loader thread: a reload of a 100k fleet then holds the few changed
    rows, not a second copy of the whole fleet.
    """
    changed: list[FleetRow] = []
    # the listing's rows by their own name objects, per site (a listing is one site's): a
    # key string per row would be made here (FleetRow.key is worked out when asked)
    seen: dict[str, set[str]] = {}
    track = bool(current)  # nothing shown yet (the first load): nothing can have gone
    known = 0  # rows of the listing already shown
    for row in listing:
        if track:
            names = seen.get(row.site)
            if names is None:
                names = seen[row.site] = set()
            names.add(row.name)
        shown = current.get(row.key)
        if shown is not None:
            known += 1
        if shown is None or shown.mapped is not None or local_values(shown) != local_values(row):
            changed.append(row)
    removed = [key for key in list(current) if _unseen(seen, key)] if known != len(current) else []
    return ListingDiff(changed, removed)


def _unseen(seen: dict[str, set[str]], key: str) -> bool:
    site, name = split_key(key)
    return name not in seen.get(site, ())


class SiteRows(LookedUp, Mapping[str, FleetRow]):
    """One site's rows of the fleet, by key (``--all-sites``): what a site's listing is
    compared with. A view, not a copy: the fleet holds every row once, by site."""

    def __init__(self, rows: FleetRows, site: str) -> None:
        self.by_name: ByName = rows.site_rows(site)
        self.site = site

    def get(self, key: str, default: FleetRow | None = None) -> FleetRow | None:  # type: ignore[override]
        site, name = split_key(key)
        return self.by_name.get(name, default) if site == self.site else default

    def __iter__(self) -> Iterator[str]:
        prefix = f"{self.site}\x00" if self.site else ""
        return iter([prefix + name for name in list(self.by_name)])

    def __len__(self) -> int:
        return len(self.by_name)
