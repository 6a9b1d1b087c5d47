"""The fleet's rows by key, held per site as columns: :class:`FleetRows`.

A row's key is its name with one site, "site NUL name" with several
(:func:`cwdash.store.fleetrow.row_key`). Each site's rows are columns sorted by name
(:class:`~cwdash.store.columns.SiteColumns`): a key is found by bisection, a site's rows
are one lookup away (:meth:`FleetRows.site_rows`), and a row object (a handle,
:class:`~cwdash.store.fleetrow.FleetRow`) exists only while asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from itertools import compress
from operator import eq

from cwdash.store.columns import SiteColumns, Texts
from cwdash.store.fleetrow import FleetRow, row_key, split_key


def _handles(columns: SiteColumns) -> Iterator[FleetRow]:
    at = FleetRow.at
    return (at(columns, i) for i in range(len(columns)))


class _Values:
    """Every row, site by site (what ``dict.values()`` gives: iterable, sized)."""

    __slots__ = ("sites",)

    def __init__(self, sites: dict[str, SiteColumns]) -> None:
        self.sites = sites

    def __iter__(self) -> Iterator[FleetRow]:
        for columns in list(self.sites.values()):
            yield from _handles(columns)

    def __len__(self) -> int:
        return sum(map(len, self.sites.values()))


class LookedUp:
    """``[key]`` and ``in`` by the class's own ``get`` (one lookup, no KeyError raised and
    caught as Mapping's defaults do): for the fleet's mappings of rows by key."""

    __slots__ = ()

    def get(self, key: str, default: FleetRow | None = None) -> FleetRow | None:
        raise NotImplementedError

    def __getitem__(self, key: str) -> FleetRow:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None


class ByName(LookedUp, Mapping[str, FleetRow]):
    """One site's rows by instance name (what its feed and listings say): a view of the
    fleet's columns for the site, whichever they are now."""

    __slots__ = ("rows", "site")

    def __init__(self, rows: FleetRows, site: str) -> None:
        self.rows = rows
        self.site = site

    def get(self, name: str, default: FleetRow | None = None) -> FleetRow | None:  # type: ignore[override]
        columns = self.rows.sites.get(self.site)
        if columns is None:
            return default
        i = columns.find(name)
        return default if i is None else FleetRow.at(columns, i)

    def __iter__(self) -> Iterator[str]:
        columns = self.rows.sites.get(self.site)
        return iter(list(columns.names) if columns is not None else [])

    def __len__(self) -> int:
        columns = self.rows.sites.get(self.site)
        return len(columns) if columns is not None else 0

    def values(self) -> Iterator[FleetRow]:  # type: ignore[override]
        columns = self.rows.sites.get(self.site)
        return _handles(columns) if columns is not None else iter(())


class FleetRows(LookedUp, MutableMapping[str, FleetRow]):
    """Rows by key (see the module), iterated site by site in the order sites came."""

    __slots__ = ("sites", "texts", "version")

    def __init__(self) -> None:
        self.sites: dict[str, SiteColumns] = {}
        self.texts = Texts()  # every site's shared strings: codes compare across sites
        self.version = 0  # counts rows added and removed: what a cached order was made for

    def columns(self, site: str) -> SiteColumns:
        """The columns of ``site`` (made empty when it has none yet)."""
        columns = self.sites.get(site)
        if columns is None:
            columns = self.sites[site] = SiteColumns(site, self.texts)
        return columns

    def install(self, columns: SiteColumns) -> None:
        """Take ``columns`` (built with this fleet's texts) as its site's rows, whole."""
        self.sites[columns.site] = columns
        self.version += 1

    def site_rows(self, site: str) -> ByName:
        """The rows of ``site`` by instance name: a live view (never replaced)."""
        return ByName(self, site)

    def get(self, key: str, default: FleetRow | None = None) -> FleetRow | None:  # type: ignore[override]
        site, sep, name = key.partition("\x00")
        columns = self.sites.get(site if sep else "")
        if columns is None:
            return default
        i = columns.find(name if sep else key)
        return default if i is None else FleetRow.at(columns, i)

    def add(self, row: FleetRow) -> FleetRow:
        """Keep a copy of ``row`` (or write over the row of its key); the fleet's own handle."""
        columns = self.columns(row.site)
        i = columns.insert(row.record())
        self.version += 1
        return FleetRow.at(columns, i)

    def __setitem__(self, key: str, row: FleetRow) -> None:
        site, name = split_key(key)
        record = row.record()
        columns = self.columns(site)
        columns.insert((name, *record[1:]))
        self.version += 1

    def __delitem__(self, key: str) -> None:
        site, name = split_key(key)
        columns = self.sites[site]  # KeyError for an unknown site or name, as a dict
        i = columns.find(name)
        if i is None:
            raise KeyError(key)
        columns.remove(i)
        self.version += 1

    def pop(self, key: str, *default: FleetRow | None) -> FleetRow | None:  # type: ignore[override]
        row = self.get(key)
        if row is None:
            if default:
                return default[0]
            raise KeyError(key)
        copy = FleetRow.__new__(FleetRow)  # the row as it was, in columns of its own
        columns = SiteColumns(row.site, Texts())
        columns.insert(row.record())
        copy._c, copy._i = columns, 0
        del self[key]
        return copy

    def __iter__(self) -> Iterator[str]:
        for site, columns in list(self.sites.items()):
            if site:
                yield from [row_key(site, name) for name in columns.names]
            else:
                yield from list(columns.names)

    def __len__(self) -> int:
        return sum(map(len, self.sites.values()))

    def values(self) -> _Values:  # type: ignore[override]
        return _Values(self.sites)

    def items(self) -> Iterator[tuple[str, FleetRow]]:  # type: ignore[override]
        for site, columns in list(self.sites.items()):
            for row in _handles(columns):
                yield (row_key(site, row.name) if site else row.name), row

    def read_rows(self, site: str) -> list[FleetRow]:
        """The rows of ``site`` read at least once (a pass over its read times, not a row each)."""
        columns = self.sites.get(site)
        if columns is None or columns.read_at is None:
            return []
        read_at = columns.read_at
        return [FleetRow.at(columns, i) for i in compress(range(len(columns)), map(eq, read_at, read_at))]

    def errors(self) -> dict[str, dict[str, str]]:
        """Each site's rows showing an error text: the text by instance name."""
        out: dict[str, dict[str, str]] = {}
        for site, columns in self.sites.items():
            texts, codes, names = columns.texts.values, columns.last_error, columns.names
            for i in compress(range(len(columns)), codes):  # type: ignore[call-overload]  # code 0: ""
                out.setdefault(site, {})[names[i]] = texts[codes[i]]  # type: ignore[attr-defined]
        return out

    def clear(self) -> None:
        for columns in self.sites.values():
            columns.truncate(0)
        self.version += 1
