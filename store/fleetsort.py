"""The list's sorts by a column (:func:`sort_rows`), stable over rows in name order.

Most columns hold a few distinct values over a whole fleet (statuses, URLs, sites, the
source, the error texts), so a sort is a pass per distinct value picking that value's rows
(``itertools.compress``: no Python call per row), in the order of the values; a column of
many values (the inbox) is one ``sorted`` with a C-level key. A million rows across sites
then sort in a few passes at C speed instead of a lambda call per row.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from itertools import compress, repeat
from operator import add, attrgetter, is_not
from typing import TYPE_CHECKING, TypeVar

from cwdash.store.status import CONNECTION_STATES, LAST, SORT_ORDER

if TYPE_CHECKING:
    from cwdash.store.fleetrow import FleetRow

R = TypeVar("R")
MAX_GROUPS = 64  # distinct values beyond which one sorted() does better than a pass each


def _source(rows: Sequence[FleetRow]) -> list[int]:
    """Each row's source as 2 * failing + read live (C-level passes)."""
    failing = list(map(is_not, map(attrgetter("failure"), rows), repeat(None)))
    live = map(is_not, map(attrgetter("live_status"), rows), repeat(None))
    return list(map(add, map(add, failing, failing), live))


def _itself(value: Hashable) -> Hashable:
    return value


_SOURCE_ORDER = {0: 1, 1: 2, 2: 0, 3: 0}  # failing first, then not read yet, then live
_CONNECTION_ORDER = {state: -i for i, state in enumerate(CONNECTION_STATES)}

# Each sort's column: the rows' values (one C-level pass), and the order of a value.
COLUMNS: dict[str, tuple[Callable[[Sequence[FleetRow]], list[Hashable]], Callable[[Hashable], object]]] = {
    "status": (lambda rows: list(map(attrgetter("status"), rows)), lambda v: SORT_ORDER.get(v, LAST)),  # type: ignore[arg-type]
    "source": (_source, _SOURCE_ORDER.__getitem__),  # type: ignore[dict-item]
    # by the text, the rows without one last
    "last_error": (lambda rows: list(map(attrgetter("last_error"), rows)), lambda v: (v == "", v.lower())),  # type: ignore[attr-defined]
    "url": (lambda rows: list(map(attrgetter("base_url"), rows)), _itself),
    "inbox": (lambda rows: list(map(attrgetter("inbox_id"), rows)), _itself),
    "site": (lambda rows: list(map(attrgetter("site"), rows)), _itself),
    # offline numbers first
    "connection": (lambda rows: list(map(attrgetter("connection"), rows)), lambda v: _CONNECTION_ORDER.get(v, 1)),  # type: ignore[arg-type]
}  # fmt: skip


def sort_rows(
    rows: Sequence[R], values: Sequence[Hashable], order: Callable[[Hashable], object], reverse: bool
) -> list[R]:
    """``rows`` sorted stably by ``order(values[i])`` (``reverse``: as ``sorted`` reverses,
    ties keeping their order)."""
    distinct = set(values)
    if len(distinct) > MAX_GROUPS:
        ranks = values if order is _itself else list(map(order, values))
        by = sorted(range(len(rows)), key=ranks.__getitem__, reverse=reverse)
        return list(map(rows.__getitem__, by))
    groups: dict[object, list[Hashable]] = {}
    for value in distinct:
        groups.setdefault(order(value), []).append(value)
    out: list[R] = []
    for rank in sorted(groups, reverse=reverse):  # type: ignore[type-var]
        members = groups[rank]
        if len(members) == 1:
            (only,) = members
            out.extend(compress(rows, map(_equals(only), values)))
        else:
            out.extend(compress(rows, map(frozenset(members).__contains__, values)))
    return out


def _equals(value: Hashable) -> Callable[[object], bool]:
    return frozenset((value,)).__contains__
