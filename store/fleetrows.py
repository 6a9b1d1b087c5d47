"""The fleet's rows by key, held per site: :class:`FleetRows`.

A row's key is its name with one site, "site NUL name" with several
(:func:`cwdash.store.fleetrow.row_key`). Keyed that way in one flat dictionary, every row
of a four-site fleet carried a key string of its own (68 bytes each: 68 MB at a million
rows), and a site's rows could only be found by walking every row. Here each site has a
dictionary by instance name, so the name object is the key, a site's rows are one lookup
away (:meth:`FleetRows.site_rows`), and the flat key strings exist only while asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from itertools import chain

from cwdash.store.fleetrow import FleetRow, row_key, split_key


class _Values:
    """Every row, site by site (what ``dict.values()`` gives: iterable, sized)."""

    __slots__ = ("sites",)

    def __init__(self, sites: dict[str, dict[str, FleetRow]]) -> None:
        self.sites = sites

    def __iter__(self) -> Iterator[FleetRow]:
        return chain.from_iterable([rows.values() for rows in self.sites.values()])

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


class FleetRows(LookedUp, MutableMapping[str, FleetRow]):
    """Rows by key (see the module), iterated site by site in the order sites came."""

    __slots__ = ("sites", "version")

    def __init__(self) -> None:
        self.sites: dict[str, dict[str, FleetRow]] = {}
        self.version = 0  # counts rows added and removed: what a cached order was made for

    def site_rows(self, site: str) -> dict[str, FleetRow]:
        """The rows of ``site`` by instance name: a live dictionary, the fleet's own (never replaced)."""
        rows = self.sites.get(site)
        if rows is None:
            rows = self.sites[site] = {}
        return rows

    def get(self, key: str, default: FleetRow | None = None) -> FleetRow | None:  # type: ignore[override]
        site, sep, name = key.partition("\x00")
        rows = self.sites.get(site if sep else "")
        if rows is None:
            return default
        return rows.get(name if sep else key, default)

    def add(self, row: FleetRow) -> None:
        """Keep ``row`` under its own key, its own name object the dictionary's key (setting
        it by a key string would key it by a copy of the name cut from that string)."""
        self.site_rows(row.site)[row.name] = row
        self.version += 1

    def __setitem__(self, key: str, row: FleetRow) -> None:
        site, name = split_key(key)
        self.site_rows(site)[name] = row
        self.version += 1

    def __delitem__(self, key: str) -> None:
        site, name = split_key(key)
        del self.sites[site][name]  # KeyError for an unknown site or name, as a dict
        self.version += 1

    def pop(self, key: str, *default: FleetRow | None) -> FleetRow | None:  # type: ignore[override]
        site, name = split_key(key)
        rows = self.sites.get(site)
        if rows is None or name not in rows:
            if default:
                return default[0]
            raise KeyError(key)
        self.version += 1
        return rows.pop(name)

    def __iter__(self) -> Iterator[str]:
        for site, rows in list(self.sites.items()):
            if site:
                yield from [row_key(site, name) for name in rows]
            else:
                yield from list(rows)

    def __len__(self) -> int:
        return sum(map(len, self.sites.values()))

    def values(self) -> _Values:  # type: ignore[override]
        return _Values(self.sites)

    def items(self) -> Iterator[tuple[str, FleetRow]]:  # type: ignore[override]
        for site, rows in list(self.sites.items()):
            for name, row in list(rows.items()):
                yield (row_key(site, name) if site else name), row

    def clear(self) -> None:
        for rows in self.sites.values():
            rows.clear()
        self.version += 1
