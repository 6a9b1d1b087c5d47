"""The fleet as the dashboard sees it: every instance, its local row and its last live outcome.

Plain Python, no Textual, so filtering, sorting and the fleet counts are testable and
measurable without a screen. Rows are kept by name and updated in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from cwdash.store.db import ListRow
from cwdash.store.live import LiveFailure, LiveOutcome, LiveState
from cwdash.store.readmodel import INSTANCE_NOT_FOUND, NO_INTEGRATION, MappedError, ReadResult, StatusRead

SORT_KEYS = ("status", "name", "source", "last_error", "url", "inbox")
STATUS_ORDER = {"error": 0, "paused": 1, "active": 2, "": 3}


class FleetRow:
    """One instance in the list; the live fields change as reads come back."""

    __slots__ = (
        "account_id",
        "base_url",
        "changed_at",
        "failure",
        "has_integration",
        "inbox_id",
        "live_at",
        "live_error",
        "live_status",
        "local_error",
        "local_status",
        "mapped",
        "name",
        "name_folded",
        "read_at",
        "status",
    )

    def __init__(
        self,
        name: str,
        has_integration: bool,
        status: str,
        last_error: str,
        base_url: str,
        account_id: int,
        inbox_id: int,
    ) -> None:
        self.name = name
        # lower-cased once for the filter; the same string object when already lower case
        self.name_folded = name if name.islower() or not name else name.lower()
        self.live_status: str | None = None
        self.live_error: str | None = None
        self.live_at: float | None = None
        self.failure: LiveFailure | None = None
        self.read_at: float | None = None
        self.mapped: MappedError | None = None
        self.changed_at: float | None = None
        self.has_integration = has_integration
        self.local_status = status
        self.local_error = last_error
        self.base_url = base_url
        self.account_id = account_id
        self.inbox_id = inbox_id
        self._settle()

    @classmethod
    def from_list_row(cls, row: ListRow) -> FleetRow:
        return cls(
            row.name,
            row.has_integration,
            row.status,
            row.last_error,
            row.base_url,
            row.account_id,
            row.inbox_id,
        )

    def update_local(self, other: FleetRow) -> None:
        """Take the local fields of a freshly listed row; live fields stay."""
        self.has_integration = other.has_integration
        self.local_status = other.local_status
        self.local_error = other.local_error
        self.base_url = other.base_url
        self.account_id = other.account_id
        self.inbox_id = other.inbox_id
        self.mapped = None
        self._settle()

    def _settle(self) -> None:
        """Work out the status to show: live when the last read was live, else local
        ('' without integration). A field rather than a property: the filter and the
        counts read it for every row of a 100k fleet."""
        if not self.has_integration:
            self.status = ""
        elif self.live_status is not None and self.failure is None:
            self.status = self.live_status
        else:
            self.status = self.local_status

    @property
    def last_error(self) -> str:
        if self.live_error is not None and self.failure is None:
            return self.live_error
        return self.local_error

    @property
    def gone(self) -> bool:
        """Vanished from the store while shown (kept listed as ``instance not found``)."""
        return self.mapped is not None and self.mapped.message == INSTANCE_NOT_FOUND.message

    @property
    def is_live(self) -> bool:
        return self.live_status is not None and self.failure is None

    @property
    def needs_attention(self) -> bool:
        return (
            not self.has_integration
            or self.mapped is not None
            or self.status == "error"
            or self.failure is not None
        )

    def outcome(self) -> LiveOutcome | None:
        """The last live outcome, for merging into a freshly read local document."""
        if self.failure is not None:
            return self.failure
        if self.live_status is not None:
            return LiveState(self.live_status, self.live_error or "", None)
        return None

    def apply(self, result: ReadResult, now: float) -> bool:
        """Record a read's result; True when the shown status changed."""
        before = (self.status, self.mapped)
        self.read_at = now
        if isinstance(result, MappedError):
            self.mapped = result
            if result == NO_INTEGRATION:
                self.has_integration = False
        elif isinstance(result, StatusRead):
            self.mapped = None
            self.has_integration = True
            doc = result.document
            self.local_status = self.local_status or doc.status
            self.inbox_id = doc.chatwoot_inbox_id
            if result.source == "live":
                self.live_status = doc.status
                self.live_error = doc.last_error
                self.live_at = now
                self.failure = None
            else:
                self.failure = result.failure
        self._settle()
        changed = (self.status, self.mapped) != before
        if changed:
            self.changed_at = now
        return changed

    def matches(self, needle: str) -> bool:
        """Whether the lower-case ``needle`` is in the name, URL, status or error text
        (the rule is :func:`filter_rows`'s)."""
        return bool(filter_rows((self,), needle))


class _Answers(dict[str, bool]):
    """Whether a needle is in each of a few values many rows share (URLs, statuses),
    worked out once per value, then a dictionary lookup per row."""

    def __init__(self, needle: str, shown: Callable[[str], str]) -> None:
        super().__init__()
        self.needle = needle
        self.shown = shown

    def __missing__(self, value: str) -> bool:
        hit = self[value] = self.needle in self.shown(value)
        return hit


def filter_rows(rows: Iterable[FleetRow], needle: str) -> list[FleetRow]:
    """The rows whose name, URL, status or error text holds the lower-case ``needle``.

    The first keystroke of a filter tests 100k rows, so a row costs attribute reads
    and dictionary lookups, no call: URLs and statuses are answered once per distinct
    value, and the error text (a property) is read only for rows that have one.
    """
    urls = _Answers(needle, str.lower)
    statuses = _Answers(needle, lambda status: status or "no integration")
    return [
        r
        for r in rows
        if needle in r.name_folded
        or statuses[r.status]
        or urls[r.base_url]
        or ((r.local_error or r.live_error) and needle in r.last_error.lower())
    ]


def rows_from_listing(listing: Iterable[tuple]) -> Iterator[FleetRow]:
    """Fleet rows from :meth:`cwdash.store.db.Store.iter_list` tuples, one at a time.

    Statuses and URLs repeat across a fleet, so each distinct value is kept once.
    """
    shared: dict[str, str] = {}
    for name, has, status, error, url, account, inbox, *_ in listing:
        yield FleetRow(
            name,
            bool(has),
            shared.setdefault(status, status),
            error,
            shared.setdefault(url, url),
            account,
            inbox,
        )


def _local(row: FleetRow) -> tuple[object, ...]:
    return (
        row.has_integration,
        row.local_status,
        row.local_error,
        row.base_url,
        row.account_id,
        row.inbox_id,
    )


@dataclass(frozen=True, slots=True)
class ListingDiff:
    """What a fresh listing changes: rows new or with other local values, names gone."""

    changed: list[FleetRow]
    removed: list[str]


def diff_listing(current: dict[str, FleetRow], listing: Iterable[FleetRow]) -> ListingDiff:
    """Compare a fresh listing with the rows shown, keeping only the differences.

    Runs on the loader thread: a reload of a 100k fleet then holds the few changed
    rows, not a second copy of the whole fleet.
    """
    changed: list[FleetRow] = []
    seen: set[str] = set()
    track = bool(current)  # nothing shown yet (the first load): nothing can have gone
    known = 0  # rows of the listing already shown
    for row in listing:
        if track:
            seen.add(row.name)
        shown = current.get(row.name)
        if shown is not None:
            known += 1
        if shown is None or shown.mapped is not None or _local(shown) != _local(row):
            changed.append(row)
    removed = [name for name in list(current) if name not in seen] if known != len(current) else []
    return ListingDiff(changed, removed)


@dataclass(frozen=True, slots=True)
class Counts:
    """The fleet summary in the header."""

    total: int
    active: int
    paused: int
    error: int
    no_integration: int
    not_live: int
    failing: int
    gone: int = 0


class Fleet:
    """All rows by name, plus the current view (filter, attention-only, sort)."""

    def __init__(self, rows: Iterable[FleetRow | ListRow] = ()) -> None:
        self.rows: dict[str, FleetRow] = {}
        self.view: list[FleetRow] = []
        self.filter_text = ""
        self.attention_only = False
        self.sort_key = "name"
        self.sort_reverse = False
        self._shown: tuple[str, bool, str, bool] | None = None  # what ``view`` was built for
        self.replace_local(rows)

    @staticmethod
    def _fleet_row(row: FleetRow | ListRow) -> FleetRow:
        return row if isinstance(row, FleetRow) else FleetRow.from_list_row(row)

    def add_first(self, rows: Iterable[FleetRow | ListRow]) -> None:
        """Show a first page of rows at once, before the whole listing has been read."""
        for row in rows:
            if row.name not in self.rows:
                self.rows[row.name] = self._fleet_row(row)
        self.rebuild()

    def replace_local(self, rows: Iterable[FleetRow | ListRow], keep: str | None = None) -> tuple[int, int]:
        """Merge a fresh local listing: new rows appear, vanished rows go. Returns (added, removed).

        Rows already listed are updated in place (their live state survives). ``keep``
        (the selected instance) stays listed when it vanished, marked ``instance not
        found``, so the person looking at it sees why it went.
        """
        return self.apply_diff(diff_listing(self.rows, map(self._fleet_row, rows)), keep)

    def apply_diff(self, diff: ListingDiff, keep: str | None = None) -> tuple[int, int]:
        """Apply a :func:`diff_listing` result: see :meth:`replace_local`. Returns (added,
        removed); ``keep`` counts as removed though it stays listed."""
        added = 0
        for row in diff.changed:
            existing = self.rows.get(row.name)
            if existing is None:
                self.rows[row.name] = row
                added += 1
            else:
                existing.update_local(row)
        removed = len(diff.removed)
        for name in diff.removed:
            if name == keep and name in self.rows:
                self.rows[name].mapped = INSTANCE_NOT_FOUND
                continue
            self.rows.pop(name, None)
        # Rows changed in place keep their place in a plain list sorted by name: the view
        # (100k rows) is rebuilt only when it can differ.
        plain = self.sort_key == "name" and not self.filter_text.strip() and not self.attention_only
        if added or removed or (diff.changed and not plain):
            self.rebuild(full=True)
        return added, removed

    def rebuild(self, *, full: bool = False) -> None:
        """Recompute the view from the filter, the attention toggle and the sort.

        Typing more of a filter (the first character included) narrows the current
        view instead of listing and sorting the whole fleet again: the view is already
        sorted, and filtering keeps the order.
        """
        needle = self.filter_text.strip().lower()
        shape = (needle, self.attention_only, self.sort_key, self.sort_reverse)
        previous = self._shown
        self._shown = shape
        if (
            not full
            and previous is not None
            and needle != previous[0]
            and needle.startswith(previous[0])
            and previous[1:] == shape[1:]
        ):
            # the view is already sorted and filtering keeps the order: the first
            # keystroke filters the unfiltered view and sorts nothing
            self.view = filter_rows(self.view, needle)
            return
        rows: Iterable[FleetRow] = self.rows.values()
        if self.attention_only:
            rows = [r for r in rows if r.needs_attention]
        if needle:
            rows = filter_rows(rows, needle)
        if self.sort_key == "name" and not self.sort_reverse:
            # rows are listed by name already: sorting is a nearly free check
            self.view = sorted(rows, key=_by_name)
        else:
            self.view = sorted(rows, key=self._key(), reverse=self.sort_reverse)

    def _key(self):  # type: ignore[no-untyped-def]
        key = self.sort_key
        if key == "status":
            return lambda r: (STATUS_ORDER.get(r.status, 3), r.name)
        if key == "source":
            return lambda r: (0 if r.failure else 1 if not r.is_live else 2, r.name)
        if key == "last_error":
            return lambda r: (r.last_error == "", r.last_error.lower(), r.name)
        if key == "url":
            return lambda r: (r.base_url, r.name)
        if key == "inbox":
            return lambda r: (r.inbox_id, r.name)
        return lambda r: r.name

    def index_of(self, name: str) -> int | None:
        for i, row in enumerate(self.view):
            if row.name == name:
                return i
        return None

    def counts(self) -> Counts:
        active = paused = error = no_integration = not_live = failing = gone = 0
        for row in self.rows.values():
            if row.gone:
                gone += 1  # vanished from the store: its last status no longer counts
                continue
            if not row.has_integration:
                no_integration += 1
                continue
            status = row.status
            if status == "active":
                active += 1
            elif status == "paused":
                paused += 1
            elif status == "error":
                error += 1
            if row.live_at is None:
                not_live += 1
            if row.failure is not None:
                failing += 1
        return Counts(len(self.rows), active, paused, error, no_integration, not_live, failing, gone)


def _by_name(row: FleetRow) -> str:
    return row.name


def now() -> float:
    return time.monotonic()
