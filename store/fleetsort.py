"""A stable sort by a column's values (:func:`sort_rows`), for rows in name order.

Most columns hold a few distinct values over a whole fleet (statuses, URLs, sites, the
source, the error texts), so a sort is a pass per distinct value picking that value's rows
(``itertools.compress``: no Python call per row), in the order of the values; a column of
many values (the inbox) is one ``sorted`` with a C-level key. The columns themselves are
:data:`cwdash.store.fleetview.COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from itertools import compress
from typing import TypeVar

R = TypeVar("R")
MAX_GROUPS = 64  # distinct values beyond which one sorted() does better than a pass each


def itself(value: Hashable) -> Hashable:
    """The order of a value that is its own (URLs, inbox ids)."""
    return value


def sort_rows(
    rows: Sequence[R], values: Sequence[Hashable], order: Callable[[Hashable], object], reverse: bool
) -> list[R]:
    """``rows`` sorted stably by ``order(values[i])`` (``reverse``: as ``sorted`` reverses,
    ties keeping their order)."""
    distinct = set(values)
    if len(distinct) > MAX_GROUPS:
        ranks = values if order is itself else list(map(order, values))
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
