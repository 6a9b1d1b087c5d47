"""The list's rows as positions: :class:`View`, and the filter, attention view and sorts
worked out on columns (:mod:`cwdash.store.columns`), not on row objects.

Every row of the fleet has a number: its site's first number (sites in the order they
came) plus its position in its site's columns. A view is an array of those numbers; a
filter or a sort reads a field as one C-level pass over its column (``map``, ``compress``,
a pass per distinct value), so a million rows across sites cost passes, not a Python
step per row.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import compress, islice, repeat
from operator import contains, ne, not_, or_

from cwdash.store.columns import NONE, SiteColumns
from cwdash.store.fleetrow import NO_INTEGRATION_WORD, FleetRow, natural_key
from cwdash.store.fleetsort import itself, sort_rows
from cwdash.store.readmodel import INSTANCE_NOT_FOUND
from cwdash.store.rowsat import RowsAt
from cwdash.store.status import ACTIVE, ATTENTION, CONNECTION_STATES, LAST, OFFLINE, SORT_ORDER


class Layout:
    """The sites' columns as they are now, each with its first row number."""

    __slots__ = ("bases", "parts")

    def __init__(self, sites: Iterable[SiteColumns]) -> None:
        self.parts: list[SiteColumns] = [c for c in sites if len(c)]
        self.bases: list[int] = []
        base = 0
        for columns in self.parts:
            self.bases.append(base)
            base += len(columns)

    def __len__(self) -> int:
        return self.bases[-1] + len(self.parts[-1]) if self.parts else 0

    def row(self, number: int) -> FleetRow:
        k = bisect.bisect_right(self.bases, number) - 1
        return FleetRow.at(self.parts[k], number - self.bases[k])

    def number(self, row: FleetRow) -> int | None:
        """``row``'s number, or None when its columns are not (or no longer) the fleet's."""
        for columns, base in zip(self.parts, self.bases, strict=True):
            if columns is row._c:
                return base + row._i
        return None

    def joined(self, field: str) -> array[int] | list[str]:
        """A column of every site, one after the other (numbers index it)."""
        columns = [getattr(c, field) for c in self.parts]
        if not columns:
            return []
        if isinstance(columns[0], array) and len({c.typecode for c in columns}) > 1:
            columns = [array("q" if field in ("account", "inbox") else "I", c) for c in columns]
        out = columns[0][:]  # a copy: the sites' own columns stay as they are
        for more in columns[1:]:
            out += more
        return out

    def joined_live(self, field: str) -> array[int]:
        """A live code column of every site (NONE where a site was never read)."""
        out = array("I")
        for c in self.parts:
            column = getattr(c, field)
            out += column if column is not None else array("I", [NONE]) * len(c)
        return out

    def sites(self) -> bytes:
        """Each row's site, as its index in :attr:`parts`."""
        return b"".join(bytes([k % 256]) * len(c) for k, c in enumerate(self.parts))

    def sparse(self, field: str) -> Iterator[tuple[int, FleetRow]]:
        """The rows with a sparse field set (failure, mapped, bad): number and handle."""
        for columns, base in zip(self.parts, self.bases, strict=True):
            for i in list(getattr(columns, field)):
                yield base + i, FleetRow.at(columns, i)


class View(RowsAt):
    """The rows listed, in order, as numbers (:class:`Layout`); rows are made when read."""

    __slots__ = ("layout",)
    ids: array[int]

    def __init__(self, ids: array[int], layout: Layout) -> None:
        super().__init__(ids)
        self.layout = layout

    def _row(self, number: int) -> FleetRow:
        return self.layout.row(number)

    def __iter__(self) -> Iterator[FleetRow]:
        return map(self.layout.row, self.ids)  # the layout's own method: no call more per row

    def __eq__(self, other: object) -> bool:
        if isinstance(other, View):
            return list(self) == list(other)
        return isinstance(other, list) and list(self) == other

    __hash__ = None  # type: ignore[assignment]

    def index(self, row: object, start: int = 0, stop: int | None = None) -> int:  # type: ignore[override]
        number = self.layout.number(row) if isinstance(row, FleetRow) else None
        if number is None:
            raise ValueError("not listed")
        return self.ids.index(number)


def with_natural(layout: Layout) -> Layout:
    """``layout``, each site's natural name order worked out where a change dropped it."""
    for columns in layout.parts:
        if columns.natural is None or len(columns.natural) != len(columns):
            columns.sort_natural(natural_key)
    return layout


def _mask_of(numbers: Iterable[int], size: int) -> bytearray:
    mask = bytearray(size)
    for number in numbers:
        mask[number] = 1
    return mask


def _either(a: bytearray, b: Iterable[int]) -> bytearray:
    return bytearray(map(or_, a, b))


class FilterPass:
    """The numbers of ``ids`` (in their order) whose name, URL, status, error text, WhatsApp
    connection or site holds the lower-case ``needle`` (the rule of
    :func:`~cwdash.store.fleetrow.filter_rows`), worked out in steps (:meth:`step`).

    Each row is tested where it lies, site by site (a pass over a site's own names and
    codes reads memory in order), into a mask by row number; the answer is ``ids`` through
    that mask. :meth:`first` answers the top of the list at once, so a keystroke shows
    its first matches before a million rows were looked at (as fzf does)."""

    def __init__(self, layout: Layout, ids: Sequence[int], needle: str) -> None:
        self.layout = layout
        self.ids = ids
        self.needle = needle
        self.mask = bytearray()  # by row number: matches (the rows looked at so far)
        self.assembled = 0  # how many of ``ids`` went through the mask into ``out``
        self.out = array("I")
        texts = layout.parts[0].texts.values if layout.parts else []
        wanted = frozenset(code for code, text in enumerate(texts) if needle in text.lower())
        self.fields: list[tuple[str, frozenset[int]]] = []
        for field in ("status", "url", "last_error", "connection"):
            codes = wanted | {0} if field == "status" and needle in NO_INTEGRATION_WORD else wanted
            if codes:
                self.fields.append((field, codes))
        self.sites = frozenset(k for k, c in enumerate(layout.parts) if needle in c.site.lower())
        # a mapped state shown as LAST ERROR ("instance not found", the demo's 503): rare rows
        self.shown = [
            n
            for n, r in layout.sparse("mapped")
            if (r.has_integration or r.gone) and needle in r.mapped.message  # type: ignore[union-attr]
        ]

    @property
    def finished(self) -> bool:
        return self.assembled >= len(self.ids)

    def _test(self, k: int, start: int, stop: int) -> bytearray:
        """Whether rows ``start:stop`` of site ``k`` match."""
        columns = self.layout.parts[k]
        if k in self.sites:
            return bytearray(b"\x01") * (stop - start)
        hit = bytes(map(contains, columns.folded[start:stop], repeat(self.needle)))
        for field, codes in self.fields:
            if hit.count(0) == 0:
                break
            also = bytes(map(codes.__contains__, getattr(columns, field)[start:stop]))
            hit = (int.from_bytes(hit, "little") | int.from_bytes(also, "little")).to_bytes(
                len(hit), "little"
            )
        return bytearray(hit)

    def step(self, count: int) -> bool:
        """Test the next ``count`` rows (by number), or once all were, take the next
        ``count`` of ``ids`` through the mask; True when the answer is whole."""
        size = len(self.layout)
        if len(self.mask) < size:
            start = len(self.mask)
            k = bisect.bisect_right(self.layout.bases, start) - 1
            base = self.layout.bases[k]
            stop = min(start + count, base + len(self.layout.parts[k]))
            self.mask += self._test(k, start - base, stop - base)
            if len(self.mask) == size:
                for number in self.shown:
                    self.mask[number] = 1
            return False
        chunk = self.ids[self.assembled : self.assembled + count]
        self.assembled += len(chunk)
        self.out.extend(compress(chunk, map(self.mask.__getitem__, chunk)))
        return self.finished

    def first(self, wanted: int, most: int) -> array[int]:
        """The matches among the first rows of ``ids`` (up to ``most`` of them looked at, in
        growing chunks) once ``wanted`` were found: the top of the answer."""
        needle, layout, row = self.needle, self.layout, self.layout.row
        single = layout.parts[0].folded if len(layout.parts) == 1 else None  # one site: by position
        out = array("I")
        start, size = 0, 512
        while len(out) < wanted and start < min(most, len(self.ids)):
            chunk = self.ids[start : start + size]
            start, size = start + len(chunk), size * 2
            if single is not None:
                hit = bytearray(map(contains, map(single.__getitem__, chunk), repeat(needle)))  # type: ignore[arg-type]
            else:
                hit = bytearray(needle in row(number).name_folded for number in chunk)
            if self.fields or self.shown or self.sites:
                for position in compress(range(len(chunk)), map(not_, hit)):
                    if self._row_matches(row(chunk[position]), chunk[position]):
                        hit[position] = 1
            out.extend(compress(chunk, hit))
        return out

    def _row_matches(self, row: FleetRow, number: int) -> bool:
        c, i = row._c, row._i
        if any(getattr(c, field)[i] in codes for field, codes in self.fields):
            return True
        return number in self.shown or self.layout.parts.index(c) in self.sites

    def run(self) -> array[int]:
        while not self.step(1 << 18):
            pass
        return self.out


def matching(layout: Layout, ids: Sequence[int], needle: str) -> array[int]:
    """:class:`FilterPass`'s answer, whole: a few candidates (a narrowed view) each tested,
    else every row through the mask."""
    work = FilterPass(layout, ids, needle)
    if len(ids) * 8 < len(layout):
        return work.first(len(ids) + 1, len(ids))
    return work.run()


def attention(layout: Layout, ids: Sequence[int]) -> array[int]:
    """The numbers of ``ids`` whose row needs attention (:attr:`FleetRow.needs_attention`)."""
    size = len(layout)
    texts = layout.parts[0].texts.values if layout.parts else []
    marked = frozenset(code for code, text in enumerate(texts) if text in ATTENTION)
    offline = frozenset(code for code, text in enumerate(texts) if text in OFFLINE)
    active = {code for code, text in enumerate(texts) if text == ACTIVE}
    status = layout.joined("status")
    mask = bytearray(map((0).__eq__, layout.joined("has")))  # no integration
    mask = _either(mask, map(marked.__contains__, status))
    if offline:
        connection = layout.joined("connection")
        for number in compress(range(size), map(offline.__contains__, connection)):
            if status[number] in active:
                mask[number] = 1
    for field in ("mapped", "failure"):
        for number, _ in layout.sparse(field):
            mask[number] = 1
    return array("I", compress(ids, map(mask.__getitem__, ids)))


def _source(layout: Layout) -> bytearray:
    """Each row's source as 2 * failing + read live."""
    live = bytearray(map(ne, layout.joined_live("live_status"), repeat(NONE)))
    for number, _ in layout.sparse("failure"):
        live[number] |= 2
    return live


_SOURCE_ORDER = {0: 1, 1: 2, 2: 0, 3: 0}.__getitem__  # failing first, then not read yet, then live
_CONNECTION_ORDER = {state: -i for i, state in enumerate(CONNECTION_STATES)}


def _coded(
    field: str, order: Callable[[str], object]
) -> Callable[[Layout], tuple[Sequence[int], Callable[[Hashable], object]]]:
    def column(layout: Layout) -> tuple[Sequence[int], Callable[[Hashable], object]]:
        texts = layout.parts[0].texts.values
        return layout.joined(field), lambda code: order(texts[code])  # type: ignore[return-value, index]

    return column


# Each sort's column over every row (by number), and the order of a value in it.
COLUMNS: dict[str, Callable[[Layout], tuple[Sequence[int], Callable[[Hashable], object]]]] = {
    "status": _coded("status", lambda text: SORT_ORDER.get(text, LAST)),
    "source": lambda layout: (_source(layout), _SOURCE_ORDER),  # type: ignore[dict-item]
    "last_error": _coded("last_error", lambda text: (text == "", text.lower())),  # by the text, none last
    "url": _coded("url", itself),  # type: ignore[arg-type]
    "inbox": lambda layout: (layout.joined("inbox"), itself),  # type: ignore[dict-item]
    "site": lambda layout: (layout.sites(), lambda k: layout.parts[k].site),  # type: ignore[dict-item, index]
    "connection": _coded("connection", lambda text: _CONNECTION_ORDER.get(text, 1)),  # offline numbers first
}


class SortPass:
    """``ids`` (in name order, reversed with ``reverse``) sorted stably by a column of at
    most 255 distinct orders, in steps (:meth:`step`): each row's rank is a byte, each
    step puts a chunk of ``ids`` into one array per rank, the answer is those arrays one
    after the other. :meth:`first` answers the top at once (the first rows of the first
    ranks, found by a scan that stops when it has them)."""

    def __init__(self, layout: Layout, ids: Sequence[int], ranks: bytes, count: int) -> None:
        self.ids = ids
        self.rank = ranks
        self.groups = [array("I") for _ in range(count)]
        self.masks = [bytes(int(b == r) for b in range(256)) for r in range(count)]
        self.done = 0
        self.out = array("I")

    @classmethod
    def start(cls, layout: Layout, ids: Sequence[int], key: str, reverse: bool) -> SortPass | None:
        """The pass, or None when the column has too many distinct orders for it."""
        column, order = COLUMNS[key](layout)
        distinct = set(column)
        orders = sorted({order(v) for v in distinct}, reverse=reverse)  # type: ignore[type-var]
        if len(orders) > 255:
            return None
        place = {o: r for r, o in enumerate(orders)}
        by_value = {value: place[order(value)] for value in distinct}
        lookup = by_value.__getitem__
        if all(type(v) is int and 0 <= v < 1 << 16 for v in distinct):  # codes: a list is faster
            table = [0] * (max(distinct) + 1)  # type: ignore[call-overload]
            for value, r in by_value.items():
                table[value] = r  # type: ignore[index]
            lookup = table.__getitem__
        return cls(layout, ids, bytes(map(lookup, column)), len(orders))

    def step(self, count: int) -> bool:
        chunk = self.ids[self.done : self.done + count]
        self.done += len(chunk)
        ranks = bytes(map(self.rank.__getitem__, chunk))
        for r in set(ranks):
            self.groups[r].extend(compress(chunk, ranks.translate(self.masks[r])))
        if self.done < len(self.ids):
            return False
        for group in self.groups:
            self.out += group
        self.groups = []
        return True

    def first(self, wanted: int) -> array[int]:
        out = array("I")
        rank = self.rank.__getitem__
        for r in range(len(self.groups)):
            out.extend(islice(compress(self.ids, map(r.__eq__, map(rank, self.ids))), wanted - len(out)))
            if len(out) >= wanted:
                break
        return out


def sorted_by(layout: Layout, ids: Sequence[int], key: str, reverse: bool) -> array[int]:
    """``ids`` (in name order, reversed with ``reverse``) sorted stably by a column."""
    column, order = COLUMNS[key](layout)
    values = list(map(column.__getitem__, ids))
    return array("I", sort_rows(ids, values, order, reverse))


def gone(row: FleetRow) -> bool:
    mapped = row.mapped
    return mapped is not None and mapped.message == INSTANCE_NOT_FOUND.message
