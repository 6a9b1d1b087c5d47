"""The fields of a row handle (:class:`~cwdash.store.fleetrow.FleetRow`), each read from and
written to its site's columns (:class:`~cwdash.store.columns.SiteColumns`) by position."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cwdash.store.fleetrow import FleetRow


def coded(field: str, doc: str) -> property:
    """A field kept as a code into the fleet's shared strings (:class:`~cwdash.store.columns.Texts`)."""

    def get(row: FleetRow) -> str:
        c = row._c
        return c.texts.values[getattr(c, field)[row._i]]

    def put(row: FleetRow, value: str) -> None:
        row._c.set_text(field, row._i, value)

    return property(get, put, doc=doc)


def live_coded(field: str) -> property:
    def get(row: FleetRow) -> str | None:
        return row._c.live_text(field, row._i)

    def put(row: FleetRow, value: str | None) -> None:
        row._c.set_live_text(field, row._i, value)

    return property(get, put)


def timed(field: str, doc: str) -> property:
    def get(row: FleetRow) -> float | None:
        return row._c.time(field, row._i)

    def put(row: FleetRow, value: float | None) -> None:
        row._c.set_time(field, row._i, value)

    return property(get, put, doc=doc)


def sparse(field: str, doc: str) -> property:
    def get(row: FleetRow) -> Any:
        return getattr(row._c, field).get(row._i)

    def put(row: FleetRow, value: object) -> None:
        row._c.set_sparse(field, row._i, value)

    return property(get, put, doc=doc)


def number(field: str) -> property:
    def get(row: FleetRow) -> int:
        return getattr(row._c, field)[row._i]

    def put(row: FleetRow, value: int) -> None:
        row._c.set_number(field, row._i, value)

    return property(get, put)
