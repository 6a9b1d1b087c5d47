"""A site's fresh listing taken into the fleet: :func:`install_listing`.

The loader builds the listing's columns on its thread (:func:`~cwdash.store.fleetrow.columns_from_listing`);
here, on the screen's, they are compared with the site's columns shown: the same names
(a reload after another process's commit) change the rows that differ in place; rows that
came or went put the new columns in place of the old, each surviving row's live state
carried over, the rows gone kept listed as ``instance not found`` when asked. The rule is
:meth:`~cwdash.store.fleet.Fleet.apply_diff`'s; only the work is by column.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from itertools import compress
from operator import ne
from typing import TYPE_CHECKING, Any

from cwdash.store.columns import LIVE_CODED, LIVE_TIMES, SiteColumns, Texts
from cwdash.store.fleetrow import FleetRow, natural_key, row_key
from cwdash.store.listingdiff import ListingDiff
from cwdash.store.readmodel import INSTANCE_NOT_FOUND
from cwdash.store.rowsat import RowsAt

if TYPE_CHECKING:
    from cwdash.store.fleetrows import FleetRows

_LOCAL = ("has", "local_status", "local_error", "url", "account", "inbox", "written")
_MAPPED = 13  # where a record (SiteColumns.record) holds the mapped state
_NOT = bytes.maketrans(b"\x00\x01", b"\x01\x00")  # a mask of 0/1 turned over


class RowList(RowsAt):
    """Rows of one site's columns at some positions, made when read (a first listing of
    250k rows is then no list of 250k row objects)."""

    __slots__ = ("columns",)

    def __init__(self, columns: SiteColumns, positions: Sequence[int]) -> None:
        super().__init__(positions)
        self.columns = columns

    def _row(self, number: int) -> FleetRow:
        return FleetRow.at(self.columns, number)


def _local(c: SiteColumns, i: int) -> tuple[Any, ...]:
    return (c.bad.get(i), *(getattr(c, field)[i] for field in _LOCAL), c.integration_id(i))


def _differ(old: SiteColumns, new: SiteColumns) -> list[int]:
    """Positions whose local values differ, for columns of the same names in the same order."""
    n = len(new)
    differ = bytearray(n)
    for field in _LOCAL:
        a, b = getattr(old, field), getattr(new, field)
        if a != b:
            for i in compress(range(n), map(ne, a, b)):
                differ[i] = 1
    if old.ids != new.ids or old.ids_end != new.ids_end or old.ids_set or new.ids_set:
        for i in range(n):
            if old.integration_id(i) != new.integration_id(i):
                differ[i] = 1
    for i in set(old.bad) | set(new.bad) | set(old.mapped):  # a mapped row is taken again
        differ[i] = 1
    return list(compress(range(n), differ))


def _carry(old: SiteColumns, i: int, new: SiteColumns, j: int) -> None:
    """The live side of row ``i`` of ``old`` onto row ``j`` of ``new`` (its local side)."""
    new.set_text("connection", j, old.text("connection", i))
    failure = old.failure.get(i)
    if old.live_status is None and failure is None:
        return
    for field in LIVE_CODED:
        new.set_live_text(field, j, old.live_text(field, i))
    for field in LIVE_TIMES:
        new.set_time(field, j, old.time(field, i))
    new.set_sparse("failure", j, failure)
    FleetRow.at(new, j)._settle()


def install_listing(
    rows: FleetRows, new: SiteColumns, keep: str | None, keep_gone: bool
) -> tuple[ListingDiff, int, int]:
    """See the module; (differences, rows added, rows removed: those kept as gone too)."""

    site = new.site
    old = rows.sites.get(site)
    if old is None or not len(old):
        rows.install(new)
        return ListingDiff(RowList(new, range(len(new))), []), len(new), 0
    if old.names == new.names:  # the same rows: the ones that differ change in place
        changed = _differ(old, new)
        for j in changed:
            FleetRow.at(old, j).update_local(FleetRow.at(new, j))
        return ListingDiff(RowList(old, changed), []), 0, 0
    removed: list[str] = []
    kept: list[tuple[Any, ...]] = []
    found: list[tuple[int, int]] = []
    for i, name in enumerate(old.names):
        j = new.find(name)
        if j is not None:
            found.append((i, j))
            continue
        key = row_key(site, name)
        removed.append(key)
        if keep_gone or key == keep:
            record = old.record(i)
            kept.append((*record[:_MAPPED], INSTANCE_NOT_FOUND, *record[_MAPPED + 1 :]))
    shown = bytearray(len(new))
    changed_rows = bytearray(len(new))
    for i, j in found:
        shown[j] = 1
        if old.mapped.get(i) is not None or _local(old, i) != _local(new, j):
            changed_rows[j] = 1
        _carry(old, i, new, j)
    added = shown.count(0)
    # changed or new, as one pass at C speed (a site's first whole listing: 250k rows new)
    n = len(new)
    either = int.from_bytes(changed_rows, "little") | int.from_bytes(shown.translate(_NOT), "little")
    changed = list(compress(range(n), either.to_bytes(n, "little")))
    if kept:  # rows gone from the store, kept listed: positions move
        names = list(map(new.names.__getitem__, changed))
        for record in kept:
            new.insert(record)
        changed = [new.find(name) for name in names]  # type: ignore[misc]
    rows.install(new)
    return ListingDiff(RowList(new, changed), removed), added, len(removed)


def columns_from_listing(listing: Iterable[tuple], site: str, texts: Texts) -> SiteColumns:
    """A site's columns from its listing (:meth:`cwdash.store.db.Store.iter_list` tuples),
    natural name order worked out: on the loader's thread, never the screen's."""
    from cwdash.store.columns import SiteColumns

    columns = SiteColumns(sys.intern(site), texts)
    append = columns.append_listed
    for name, has, status, error, url, account, inbox, _, integration_id, bad, written in listing:
        append(name, has, status, error, url, account, inbox, bad, integration_id, written)
    columns.sort_natural(natural_key)
    return columns


def apply_connections(rows: Mapping[str, FleetRow], connections: dict[str, str]) -> list[FleetRow]:
    """Set each row's WhatsApp connection (from :func:`cwdash.store.upstream.connections` or a
    RyzeAPI listing, :meth:`cwdash.store.sources.ryzeapi.RyzeApiSource.connections`); the
    rows whose connection changed. Rows the mapping does not name keep theirs. ``rows``: by
    instance name (one site's: :class:`cwdash.store.fleet.SiteRows`)."""
    changed: list[FleetRow] = []
    for name, connection in connections.items():
        row = rows.get(name)
        if row is not None and row.connection != connection:
            row.connection = connection
            changed.append(row)
    return changed
