"""Rows made when read: a sequence of row numbers shown as :class:`FleetRow` handles.

A view of a million rows, or a site's first listing of 250k, is then an array of numbers,
never a list of row objects (:mod:`cwdash.store.fleetview`, :mod:`cwdash.store.fleetload`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from cwdash.store.fleetrow import FleetRow


class RowsAt(Sequence[FleetRow]):
    """The rows at ``ids`` (whatever numbering the subclass's :meth:`_row` reads)."""

    __slots__ = ("ids",)

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = ids

    def _row(self, number: int) -> FleetRow:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> FleetRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[FleetRow]: ...
    def __getitem__(self, index: int | slice) -> FleetRow | list[FleetRow]:
        if isinstance(index, slice):
            return list(map(self._row, self.ids[index]))
        return self._row(self.ids[index])

    def __iter__(self) -> Iterator[FleetRow]:
        return map(self._row, self.ids)
