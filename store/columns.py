"""One site's rows as columns (:class:`SiteColumns`): what the fleet holds instead of an
object per row.

A million instances across sites as Python objects took ~480 bytes a row (the object,
its strings, its sort key, its dictionary entry): 590 MB. Here a row is a position in
its site's columns, sorted by name (the store lists ``ORDER BY name``, so a name is found
by bisection, without a dictionary): its name and lower-cased name (two list slots), its
texts (status, error, URL, write time, WhatsApp connection) as codes into one table of
shared strings (:class:`Texts`), its ids in machine-word arrays, its integration id in one
byte buffer, the rare states (bad rows, mapped answers, failures) in small dictionaries
by position, and the live fields in arrays made when the site's first read lands.

:class:`~cwdash.store.fleetrow.FleetRow` is the one row model: a handle (columns and a
position) with the row's fields as attributes, made for what is on screen or asked for.
"""

from __future__ import annotations

import bisect
import math
import threading
from array import array
from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import sub
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cwdash.store.readmodel import MappedError
    from cwdash.store.sources.outcome import LiveFailure

_SORTING = threading.Lock()
_NARROW_CODES = 0xFFFF
_NARROW_ID = 0xFFFFFFFF
NONE = 0xFFFFFFFF  # a code column's None (a live status or error not read yet)
NAN = math.nan  # a time column's None


def _fold(name: str) -> str:
    """``name`` lower-cased: the same object when that changes nothing."""
    lowered = name.lower()
    return name if lowered == name else lowered


class Texts:
    """Strings many rows share (statuses, URLs, errors, write times, connection words), each
    kept once and named by a code; one table per fleet, so codes compare across sites.
    Loader threads add to it, hence the lock (reads need none: a code once given stays)."""

    __slots__ = ("codes", "lock", "values")

    def __init__(self) -> None:
        self.values: list[str] = [""]
        self.codes: dict[str, int] = {"": 0}
        self.lock = threading.Lock()

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            with self.lock:
                code = self.codes.get(value)
                if code is None:
                    code = self.codes[value] = len(self.values)
                    self.values.append(value)
        return code


# the fields of a row as :meth:`SiteColumns.record` gives them and :meth:`SiteColumns.insert` takes them
RECORD = (
    "name", "has", "local_status", "status", "local_error", "last_error", "url", "account", "inbox",
    "written", "connection", "integration_id", "bad", "mapped", "failure",
    "live_status", "live_error", "live_at", "read_at", "changed_at",
)  # fmt: skip
CODED = ("local_status", "status", "local_error", "last_error", "url", "written", "connection")
SPARSE = ("bad", "mapped", "failure")
LIVE_CODED = ("live_status", "live_error")
LIVE_TIMES = ("live_at", "read_at", "changed_at")


class SiteColumns:
    """One site's rows (see the module), in name order; positions move when rows are added
    or removed, so a handle is for now, never kept across a reload."""

    __slots__ = (
        "account", "bad", "changed_at", "connection", "failure", "folded", "has", "ids", "ids_end",
        "ids_set", "inbox", "last_error", "live_at", "live_error", "live_status", "local_error",
        "local_status", "mapped", "names", "natural", "ordered", "read_at", "site", "status", "texts",
        "url", "written",
    )  # fmt: skip

    def __init__(self, site: str, texts: Texts) -> None:
        self.site = site
        self.texts = texts
        self.names: list[str] = []
        # lower-cased, for the filter: the names list itself while every name is lower case
        # (8 MB less at a million rows), a list of its own from the first that is not
        self.folded: list[str] = self.names
        self.has = bytearray()
        # codes and ids two or four bytes each while they fit (a million rows: 22 MB less),
        # widened the first time one does not (:meth:`_widen`)
        for field in CODED:
            setattr(self, field, array("H"))
        self.account = array("I")
        self.inbox = array("I")
        self.ids = bytearray()  # the integration ids, UTF-8, one after the other
        self.ids_end = array("I")  # where each ends in ``ids``
        self.ids_set: dict[int, str] = {}  # ids changed since listed (a reload rebuilds the columns)
        self.bad: dict[int, str] = {}
        self.mapped: dict[int, MappedError] = {}
        self.failure: dict[int, LiveFailure] = {}
        self.live_status: array[int] | None = None  # the live columns: made by the first read
        self.live_error: array[int] | None = None
        self.live_at: array[float] | None = None
        self.read_at: array[float] | None = None
        self.changed_at: array[float] | None = None
        self.natural: array[int] | None = None  # positions in natural name order (academia-2 < academia-10)
        self.ordered = True  # the names are in order (a store another tool wrote may list them otherwise)

    def __len__(self) -> int:
        return len(self.names)

    # -- building ------------------------------------------------------------------------

    def append_listed(
        self,
        name: str,
        has: bool,
        status: str,
        error: str,
        url: str,
        account: int,
        inbox: int,
        bad: str | None,
        integration_id: str,
        written: str,
    ) -> None:
        """A row as the store lists it (no live state), after the rows already here."""
        code = self.texts.code
        i = len(self.names)
        if len(self.texts.values) > _NARROW_CODES // 2 or not (
            0 <= account <= _NARROW_ID and 0 <= inbox <= _NARROW_ID
        ):
            self._widen()
        if i and name <= self.names[-1]:
            self.ordered = False
        self.names.append(name)
        folded = _fold(name)
        if self.folded is not self.names:
            self.folded.append(folded)
        elif folded is not name:
            self.folded = [*self.names[:-1], folded]
        self.has.append(1 if has else 0)
        status_code = code(status)
        self.local_status.append(status_code)  # type: ignore[attr-defined]
        self.status.append(status_code if has else 0)  # type: ignore[attr-defined]
        error_code = code(error)
        self.local_error.append(error_code)  # type: ignore[attr-defined]
        self.last_error.append(error_code)  # type: ignore[attr-defined]
        self.url.append(code(url))  # type: ignore[attr-defined]
        self.account.append(account)
        self.inbox.append(inbox)
        self.written.append(code(written))  # type: ignore[attr-defined]
        self.connection.append(0)  # type: ignore[attr-defined]
        self.ids += integration_id.encode("utf-8", "surrogateescape")
        self.ids_end.append(len(self.ids))
        if bad:
            from cwdash.store.readmodel import bad_row

            self.bad[i] = bad
            self.mapped[i] = bad_row(bad)
        if self.live_status is not None:
            self._grow_live(1)

    def sort_natural(self, key: Any) -> None:
        """Work out the natural name order (``key``: :func:`~cwdash.store.fleetrow.natural_key`),
        on the thread that built the columns."""
        folded = self.folded
        with _SORTING:  # one site at a time: the keys of a 250k site are ~25 MB while sorting
            self.natural = array("I", sorted(range(len(folded)), key=lambda i: key(folded[i])))

    # -- reading -------------------------------------------------------------------------

    def find(self, name: str) -> int | None:
        """The position of ``name``, or None."""
        names = self.names
        if not self.ordered:  # a listing out of order (names another tool wrote): rare and small
            try:
                return names.index(name)
            except ValueError:
                return None
        i = bisect.bisect_left(names, name)
        return i if i < len(names) and names[i] == name else None

    def integration_id(self, i: int) -> str:
        got = self.ids_set.get(i)
        if got is not None:
            return got
        end = self.ids_end[i]
        start = self.ids_end[i - 1] if i else 0
        return self.ids[start:end].decode("utf-8", "surrogateescape")

    def text(self, field: str, i: int) -> str:
        return self.texts.values[getattr(self, field)[i]]

    def live_text(self, field: str, i: int) -> str | None:
        column = getattr(self, field)
        if column is None:
            return None
        code = column[i]
        return None if code == NONE else self.texts.values[code]

    def time(self, field: str, i: int) -> float | None:
        column = getattr(self, field)
        if column is None:
            return None
        value = column[i]
        return None if value != value else value  # NaN: never

    # -- writing -------------------------------------------------------------------------

    def set_text(self, field: str, i: int, value: str) -> None:
        code = self.texts.code(value)
        if code > _NARROW_CODES:
            self._widen()
        getattr(self, field)[i] = code

    def set_number(self, field: str, i: int, value: int) -> None:
        if not 0 <= value <= _NARROW_ID:
            self._widen()
        getattr(self, field)[i] = value

    def _widen(self) -> None:
        """Codes of four bytes once the shared strings pass 65,535; ids of eight once one
        does not fit four (a column keeps its type code: every site's alike is not needed)."""
        if len(self.texts.values) > _NARROW_CODES // 2:  # ahead of need: writers on other threads
            for field in CODED:
                if getattr(self, field).typecode == "H":
                    setattr(self, field, array("I", getattr(self, field)))
        for field in ("account", "inbox"):
            if getattr(self, field).typecode == "I":
                setattr(self, field, array("q", getattr(self, field)))

    def set_live_text(self, field: str, i: int, value: str | None) -> None:
        if self.live_status is None:
            if value is None:
                return
            self._grow_live(len(self.names))
        getattr(self, field)[i] = NONE if value is None else self.texts.code(value)

    def set_time(self, field: str, i: int, value: float | None) -> None:
        if self.live_status is None:
            if value is None:
                return
            self._grow_live(len(self.names))
        getattr(self, field)[i] = NAN if value is None else value

    def set_sparse(self, field: str, i: int, value: object) -> None:
        column = getattr(self, field)
        if value is None:
            column.pop(i, None)
        else:
            column[i] = value

    def set_integration_id(self, i: int, value: str) -> None:
        if value == self.integration_id(i):
            return
        self.ids_set[i] = value

    def _grow_live(self, n: int) -> None:
        if self.live_status is None:
            for field in LIVE_CODED:
                setattr(self, field, array("I"))
            for field in LIVE_TIMES:
                setattr(self, field, array("d"))
        for field in LIVE_CODED:
            getattr(self, field).extend(array("I", [NONE]) * n)
        for field in LIVE_TIMES:
            getattr(self, field).extend(array("d", [NAN]) * n)

    # -- rows moving -------------------------------------------------------------------

    def record(self, i: int) -> tuple[Any, ...]:
        """Everything about the row at ``i`` (strings, not codes: another fleet's columns
        take it), in :data:`RECORD`'s order."""
        values = self.texts.values
        return (
            self.names[i],
            bool(self.has[i]),
            *(values[getattr(self, field)[i]] for field in CODED[:5]),
            self.account[i],
            self.inbox[i],
            values[self.written[i]],  # type: ignore[attr-defined]
            values[self.connection[i]],  # type: ignore[attr-defined]
            self.integration_id(i),
            self.bad.get(i),
            self.mapped.get(i),
            self.failure.get(i),
            *(self.live_text(field, i) for field in LIVE_CODED),
            *(self.time(field, i) for field in LIVE_TIMES),
        )

    def records(self) -> Iterator[tuple[Any, ...]]:
        return (self.record(i) for i in range(len(self.names)))

    def insert(self, record: tuple[Any, ...]) -> int:
        """Put a row (:meth:`record`) in its place by name, or over the row of that name;
        its position. Positions after it move (a handle is for now)."""
        name = record[0]
        i = self.find(name)
        if i is not None:
            self._write(i, record)
            return i
        n = len(self.names)
        i = bisect.bisect_left(self.names, name) if self.ordered else n
        if i == n:
            self._append_record(record)
            return i
        # a slot opened at i (memory moves, no Python step per row), then written
        self.names.insert(i, name)
        if self.folded is not self.names:
            self.folded.insert(i, _fold(name))
        elif _fold(name) is not name:
            self.folded = [_fold(n) for n in self.names]
        self.has.insert(i, 0)
        for field in (*CODED, "account", "inbox"):
            getattr(self, field).insert(i, 0)
        self.ids_end.insert(i, self.ids_end[i - 1] if i else 0)  # an empty id: written below
        if self.live_status is not None:
            for field in LIVE_CODED:
                getattr(self, field).insert(i, NONE)
            for field in LIVE_TIMES:
                getattr(self, field).insert(i, NAN)
        self._shift(i, 1)
        self._write(i, record)
        return i

    def remove(self, i: int) -> None:
        """Take out the row at ``i``; positions after it move."""
        del self.names[i], self.has[i]
        if self.folded is not self.names:
            del self.folded[i]
        for field in (*CODED, "account", "inbox"):
            del getattr(self, field)[i]
        start, end = (self.ids_end[i - 1] if i else 0), self.ids_end[i]
        del self.ids[start:end], self.ids_end[i]
        if end > start:
            self.ids_end[i:] = array("I", map(sub, self.ids_end[i:], repeat(end - start)))
        if self.live_status is not None:
            for field in (*LIVE_CODED, *LIVE_TIMES):
                del getattr(self, field)[i]
        for field in (*SPARSE, "ids_set"):
            getattr(self, field).pop(i, None)
        self._shift(i + 1, -1)

    def _shift(self, start: int, by: int) -> None:
        """The rare states by position: those from ``start`` on move by ``by``."""
        for field in (*SPARSE, "ids_set"):
            column = getattr(self, field)
            if any(i >= start for i in column):
                setattr(self, field, {(i + by if i >= start else i): v for i, v in column.items()})
        self.natural = None

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` rows."""
        del self.names[n:], self.has[n:]
        if self.folded is not self.names:
            del self.folded[n:]
        if n and not self.ordered:
            self.ordered = all(a < b for a, b in zip(self.names, self.names[1:], strict=False))
        for field in (*CODED, "account", "inbox"):
            del getattr(self, field)[n:]
        del self.ids[self.ids_end[n - 1] if n else 0 :]
        del self.ids_end[n:]
        for field in (*SPARSE, "ids_set"):
            column = getattr(self, field)
            for i in [i for i in column if i >= n]:
                del column[i]
        if self.live_status is not None:
            for field in (*LIVE_CODED, *LIVE_TIMES):
                del getattr(self, field)[n:]
        self.natural = None

    def _append_record(self, record: tuple[Any, ...]) -> None:
        name, has, local_status, _, local_error, _, url, account, inbox, written, *_ = record
        i = len(self.names)
        self.append_listed(name, has, local_status, local_error, url, account, inbox, None, "", written)
        self._write(i, record)
        self.natural = None

    def _write(self, i: int, record: tuple[Any, ...]) -> None:
        (_, has, local_status, status, local_error, last_error, url, account, inbox, written,
         connection, integration_id, bad, mapped, failure, *live) = record  # fmt: skip
        self.has[i] = 1 if has else 0
        for field, value in zip(
            CODED, (local_status, status, local_error, last_error, url, written, connection), strict=True
        ):
            self.set_text(field, i, value)
        self.set_number("account", i, account)
        self.set_number("inbox", i, inbox)
        self.ids_set.pop(i, None)
        self.set_integration_id(i, integration_id)
        for field, value in zip(SPARSE, (bad, mapped, failure), strict=True):
            self.set_sparse(field, i, value)
        for field, value in zip(LIVE_CODED, live[:2], strict=True):
            self.set_live_text(field, i, value)
        for field, value in zip(LIVE_TIMES, live[2:], strict=True):
            self.set_time(field, i, value)


def columns_of(records: Iterable[tuple[Any, ...]], site: str, texts: Texts) -> SiteColumns:
    """Columns holding ``records`` (:meth:`SiteColumns.record`), in name order."""
    columns = SiteColumns(site, texts)
    for record in sorted(records, key=lambda r: r[0]):
        columns._append_record(record)
    return columns
