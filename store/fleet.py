"""The fleet as the dashboard sees it: every instance, its local row and its last live outcome.

Plain Python, no Textual, so filtering, sorting and the fleet counts are testable and
measurable without a screen. Rows are kept by name and updated in place.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from store.db import ListRow
from store.live import LiveFailure, LiveOutcome, LiveState
from store.readmodel import INSTANCE_NOT_FOUND, NO_INTEGRATION, MappedError, ReadResult, StatusRead

SORT_KEYS = ("status", "name", "source", "last_error", "url", "inbox")
STATUS_ORDER = {"error": 0, "paused": 1, "active": 2, "": 3}


class FleetRow:
    """One instance in the list; the live fields change as reads come back."""

    __slots__ = (
        "account_id",
        "base_url",
        "bridge_id",
        "changed_at",
        "failure",
        "has_integration",
        "inbox_id",
        "inbox_name",
        "live_at",
        "live_error",
        "live_status",
        "local_error",
        "local_status",
        "mapped",
        "name",
        "read_at",
    )

    def __init__(self, row: ListRow) -> None:
        self.name = row.name
        self.live_status: str | None = None
        self.live_error: str | None = None
        self.live_at: float | None = None
        self.failure: LiveFailure | None = None
        self.read_at: float | None = None
        self.mapped: MappedError | None = None
        self.changed_at: float | None = None
        self.update_local(row)

    def update_local(self, row: ListRow) -> None:
        self.has_integration = row.has_integration
        self.local_status = row.status
        self.local_error = row.last_error
        self.base_url = row.base_url
        self.account_id = row.account_id
        self.inbox_id = row.inbox_id
        self.inbox_name = row.inbox_name
        self.bridge_id = row.bridge_integration_id
        self.mapped = None

    @property
    def status(self) -> str:
        """The status to show: live when the last read was live, else local ('' without integration)."""
        if not self.has_integration:
            return ""
        if self.live_status is not None and self.failure is None:
            return self.live_status
        return self.local_status

    @property
    def last_error(self) -> str:
        if self.live_error is not None and self.failure is None:
            return self.live_error
        return self.local_error

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
        changed = (self.status, self.mapped) != before
        if changed:
            self.changed_at = now
        return changed

    def haystack(self) -> str:
        return f"{self.name}\n{self.base_url}\n{self.status or 'no integration'}\n{self.last_error}".lower()


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


class Fleet:
    """All rows by name, plus the current view (filter, attention-only, sort)."""

    def __init__(self, rows: Iterable[ListRow] = ()) -> None:
        self.rows: dict[str, FleetRow] = {}
        self.view: list[FleetRow] = []
        self.filter_text = ""
        self.attention_only = False
        self.sort_key = "name"
        self.sort_reverse = False
        self.replace_local(rows)

    def add_first(self, rows: Iterable[ListRow]) -> None:
        """Show a first page of rows at once, before the whole listing has been read."""
        for row in rows:
            if row.name not in self.rows:
                self.rows[row.name] = FleetRow(row)
        self.rebuild()

    def replace_local(self, rows: Iterable[ListRow], keep: str | None = None) -> tuple[int, int]:
        """Merge a fresh local listing: new rows appear, vanished rows go. Returns (added, removed).

        ``keep`` (the selected instance) stays listed when it vanished, marked
        ``instance not found``, so the person looking at it sees why it went.
        """
        seen: set[str] = set()
        added = 0
        for row in rows:
            seen.add(row.name)
            existing = self.rows.get(row.name)
            if existing is None:
                self.rows[row.name] = FleetRow(row)
                added += 1
            else:
                existing.update_local(row)
        gone = [name for name in self.rows if name not in seen]
        for name in gone:
            if name == keep:
                self.rows[name].mapped = INSTANCE_NOT_FOUND
                continue
            del self.rows[name]
        self.rebuild()
        return added, len(gone)

    def rebuild(self) -> None:
        """Recompute the view from the filter, the attention toggle and the sort."""
        rows: Iterable[FleetRow] = self.rows.values()
        if self.attention_only:
            rows = [r for r in rows if r.needs_attention]
        needle = self.filter_text.strip().lower()
        if needle:
            rows = [r for r in rows if needle in r.haystack()]
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
        active = paused = error = no_integration = not_live = failing = 0
        for row in self.rows.values():
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
        return Counts(len(self.rows), active, paused, error, no_integration, not_live, failing)


def now() -> float:
    return time.monotonic()
