"""One instance of the fleet list (:class:`FleetRow`), the filter rule, and the rows built
from the store's listing.

Plain Python, no Textual: see :mod:`cwdash.store.fleet` for the fleet and its view.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, repeat
from operator import attrgetter, contains, is_not, or_
from typing import TYPE_CHECKING, Any

from cwdash.store import status as vocabulary
from cwdash.store.db import ListRow
from cwdash.store.merge import merge_volatile
from cwdash.store.readmodel import (
    INSTANCE_NOT_FOUND,
    NO_INTEGRATION,
    READ_FAILED,
    UNEXPECTED,
    LiveResult,
    MappedError,
    ReadResult,
    StatusRead,
)
from cwdash.store.rowfields import coded, live_coded, number, sparse, timed
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.outcome import LiveOutcome, LiveState

if TYPE_CHECKING:
    from cwdash.store.columns import SiteColumns

NO_INTEGRATION_WORD = vocabulary.STATES[vocabulary.NO_INTEGRATION].word  # what the filter matches for ""
ATTENTION = vocabulary.ATTENTION
_DIGITS = re.compile(r"\d+")
_RUNS = re.compile(r"(\d+)")  # the same runs, kept by re.split
_WIDTH = 12  # every run of digits zero-padded to this width (a longer one stays as it is)


def _pad(match: re.Match[str]) -> str:
    return match.group().zfill(_WIDTH)


def natural_key(name: str) -> str:
    """``name`` with its numbers zero-padded, so academia-2 sorts before academia-10.

    A string, not a tuple: compared as fast as the name itself, and worked out once
    per row (on the loader's thread), never per sort."""
    return _DIGITS.sub(_pad, name)


def natural_keys(names: list[str]) -> list[str]:
    """:func:`natural_key` of each of ``names``, the same rule worked out for all at once:
    one split of the names joined (no Python call per number), about twice as fast. A name
    holding the separator (a line break) makes the pieces miscount: then one by one."""
    pieces = _RUNS.split("\n".join(names))
    pieces[1::2] = map(str.zfill, pieces[1::2], repeat(_WIDTH))
    keys = "".join(pieces).split("\n")
    return keys if len(keys) == len(names) else list(map(natural_key, names))


def row_key(site: str, name: str) -> str:
    """A row's key in :class:`cwdash.store.fleet.Fleet`: the instance name with one site
    (``site`` ""), else the site and the name, apart (the same name may be in two sites)."""
    return f"{site}\x00{name}" if site else name


def key_label(key: str) -> str:
    """How a row key is written for people (notifications, the log): the name with one
    site, "site/name" with several; the key's separator is never shown."""
    site, name = split_key(key)
    return f"{site}/{name}" if site else name


def split_key(key: str) -> tuple[str, str]:
    """The site and the instance name of a row key (:func:`row_key`)."""
    site, sep, name = key.partition("\x00")
    return (site, name) if sep else ("", key)


class FleetRow:
    """One instance in the list; the live fields change as reads come back.

    A handle: the row's site's columns (:class:`~cwdash.store.columns.SiteColumns`) and its
    position there, the fields read and written through. Made for what is on screen or
    asked for, and for now: a reload that adds or removes rows moves positions, so rows
    are kept by key, never as handles. Two handles on the same row are equal. Made by
    hand (``FleetRow(name, ...)``), a row has columns of its own (a fleet copies it in)."""

    __slots__ = ("_c", "_i")

    def __init__(
        self,
        name: str,
        has_integration: bool,
        status: str,
        last_error: str,
        base_url: str,
        account_id: int,
        inbox_id: int,
        bad: str | None = None,
        integration_id: str = "",
        written_at: str = "",
        site: str = "",
    ) -> None:
        from cwdash.store.columns import SiteColumns, Texts

        columns = SiteColumns(sys.intern(site), Texts())
        columns.append_listed(
            name,
            has_integration,
            status,
            last_error,
            base_url,
            account_id,
            inbox_id,
            bad,
            integration_id,
            written_at,
        )
        self._c = columns
        self._i = 0

    @classmethod
    def at(cls, columns: SiteColumns, i: int) -> FleetRow:
        """The handle of the row at ``i`` of ``columns``."""
        row = cls.__new__(cls)
        row._c = columns
        row._i = i
        return row

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FleetRow) and other._c is self._c and other._i == self._i

    def __hash__(self) -> int:
        return hash((id(self._c), self._i))

    def __repr__(self) -> str:
        return f"FleetRow({self.key!r})"

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
            row.bad,
            row.bridge_integration_id,
            row.written_at,
        )

    @property
    def name(self) -> str:
        return self._c.names[self._i]

    @property
    def site(self) -> str:
        """The site (``cwdash --all-sites``; "" with one site)."""
        return self._c.site

    @property
    def name_folded(self) -> str:
        """The name lower-cased, for the filter."""
        return self._c.folded[self._i]

    @property
    def sort_name(self) -> str:
        """The natural order's key (:func:`natural_key`)."""
        return natural_key(self.name_folded)

    @property
    def has_integration(self) -> bool:
        return bool(self._c.has[self._i])

    @has_integration.setter
    def has_integration(self, value: bool) -> None:
        self._c.has[self._i] = 1 if value else 0

    local_status = coded("local_status", "the status the store holds")
    local_error = coded("local_error", "the error text the store holds")
    # shown, by the merge rule (see _settle): the status is "" without integration
    status = coded("status", "the status shown")
    last_error = coded("last_error", "the error text shown")
    base_url = coded("url", "the Chatwoot base URL")
    written_at = coded("written", "when cwdash last wrote the local row (RFC 3339, or '')")
    # the WhatsApp connection (RyzeAPI's listing), "" when unknown: see apply_connections
    connection = coded("connection", "the WhatsApp connection's word")
    account_id = number("account")
    inbox_id = number("inbox")
    live_status = live_coded("live_status")
    live_error = live_coded("live_error")
    live_at = timed("live_at", "when the last live answer came (monotonic)")
    read_at = timed("read_at", "when the last read came, whatever it said")
    changed_at = timed("changed_at", "when the status shown last changed")
    # a row another tool wrote wrong: listed as "bad row: <field>", never read live
    bad = sparse("bad", "the first bad field of a bad row")
    mapped = sparse("mapped", "a mapped answer (bad row, no integration, instance not found)")
    failure = sparse("failure", "the last read's failure, while it lasts")

    @property
    def integration_id(self) -> str:
        """The live source's key, from the listing."""
        return self._c.integration_id(self._i)

    @integration_id.setter
    def integration_id(self, value: str) -> None:
        self._c.set_integration_id(self._i, value)

    def record(self) -> tuple[Any, ...]:
        """Everything about the row (:meth:`~cwdash.store.columns.SiteColumns.record`)."""
        return self._c.record(self._i)

    @property
    def key(self) -> str:
        """The row's key in the fleet (:func:`row_key`): the name itself with one site."""
        site = self._c.site
        name = self._c.names[self._i]
        return f"{site}\x00{name}" if site else name

    def update_local(self, other: FleetRow) -> None:
        """Take the local fields of a freshly listed row; live fields stay."""
        self.has_integration = other.has_integration
        self.local_status = other.local_status
        self.local_error = other.local_error
        self.base_url = other.base_url
        self.account_id = other.account_id
        self.inbox_id = other.inbox_id
        self.integration_id = other.integration_id
        self.written_at = other.written_at
        self.bad = other.bad
        self.mapped = other.mapped  # None, or the bad row's state
        self._settle()

    def _settle(self) -> None:
        """Work out the status and error to show, by the merge rule (:mod:`cwdash.store.merge`):
        live when the last read was live, else local; the status is '' without integration.
        Fields rather than properties, updated on change: the filter, the sort and the
        counts read them for every row of a 100k fleet."""
        status, self.last_error, _ = merge_volatile(self.local_status, self.local_error, self.outcome())
        self.status = status if self.has_integration else ""

    @property
    def gone(self) -> bool:
        """Vanished from the store while shown (kept listed as ``instance not found``)."""
        return self.mapped is not None and self.mapped.message == INSTANCE_NOT_FOUND.message

    @property
    def stale(self) -> bool:
        """Shown from local data because its live read is failing (not merely pending)."""
        return self.failure is not None and self.has_integration and self.mapped is None

    def view_key(self) -> tuple[object, ...]:
        """What the filter, the attention view and the sorts read of the live side: a
        batch of results re-applies the view only when this changed for some row."""
        return (self.status, self.mapped, self.failure is None, self.live_status is None, self.last_error)

    @property
    def is_live(self) -> bool:
        return self.live_status is not None and self.failure is None

    @property
    def needs_attention(self) -> bool:
        return (
            not self.has_integration
            or self.mapped is not None
            or self.status in ATTENTION
            or self.failure is not None
            or self.number_offline
        )

    @property
    def number_offline(self) -> bool:
        """The integration says active while its number is logged out or disconnected."""
        return vocabulary.silently_broken(self.status, self.connection)

    @property
    def live_readable(self) -> bool:
        """Whether a background read can go straight to the live source
        (:meth:`cwdash.store.readmodel.ReadModel.read_live`): a good row with an
        integration, as last listed. Others are read by name, from the store."""
        return self.has_integration and self.mapped is None and not self.bad

    def live_target(self) -> LiveTarget:
        """What a live source needs to read this instance (the one object a read makes)."""
        return LiveTarget(self.name, self.integration_id)

    def outcome(self) -> LiveOutcome | None:
        """The last live outcome, for merging into a freshly read local document."""
        if self.failure is not None:
            return self.failure
        if self.live_status is not None:
            return LiveState(self.live_status, self.live_error or "", None)
        return None

    def apply(self, result: ReadResult | LiveResult, now: float) -> bool:
        """Record a read's result; True when the shown status changed.

        A bad row keeps its state: a read by its listed name cannot speak for it."""
        if isinstance(result, LiveResult):
            return self.apply_live(result, now)
        self.read_at = now
        if self.bad:
            return False
        before = (self.status, self.gone)  # the state shown: a first mapped answer is no change
        if result is READ_FAILED:
            self.failure = UNEXPECTED  # a failed read says nothing about the row: its local values stay
        elif isinstance(result, MappedError):
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
        changed = (self.status, self.gone) != before
        if changed:
            self.changed_at = now
        return changed

    def apply_live(self, result: LiveResult, now: float) -> bool:
        """Record a background read (:meth:`~cwdash.store.readmodel.ReadModel.read_live`)
        as :meth:`apply` records a full read with the same outcome; True when the shown
        status changed."""
        self.read_at = now
        if self.bad:
            return False
        before = self.status
        if result.backfill_error is None:
            # an inbox id that could not be saved stays 0 here: the next read tries again
            self.inbox_id = result.inbox_id
        outcome = result.outcome
        if isinstance(outcome, LiveState):
            self.live_status = outcome.status
            self.live_error = outcome.last_error
            self.live_at = now
            self.failure = None
        else:
            self.failure = outcome
        self._settle()
        changed = self.status != before
        if changed:
            self.changed_at = now
        return changed

    def matches(self, needle: str) -> bool:
        """Whether the lower-case ``needle`` is in the name, URL, status or error text
        (the rule is :func:`filter_rows`'s)."""
        return bool(filter_rows((self,), needle))


def filter_rows(rows: Iterable[FleetRow], needle: str) -> list[FleetRow]:
    """The rows whose name, URL, status, error text, WhatsApp connection or site holds the
    lower-case ``needle``.

    A filter's first keystroke tests every row (a million across sites), so each field is
    a pass at C speed (``map``/``compress``, no Python call per row): the names, then each
    other field only when one of its distinct values (a few URLs, statuses, error texts)
    holds the needle. The mapped states (rare) are looked at one by one.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    hit = list(map(contains, map(_FOLDED, rows), repeat(needle)))
    for field, shown in _FIELDS:
        values = list(map(field, rows))
        wanted = frozenset(v for v in set(values) if needle in shown(v))
        if wanted:
            hit = list(map(or_, hit, map(wanted.__contains__, values)))
    mapped = list(map(_MAPPED, rows))
    for i in compress(range(len(rows)), map(is_not, mapped, repeat(None))):
        r = rows[i]
        # a mapped state shown as LAST ERROR ("instance not found", the demo's 503)
        if (r.has_integration or r.gone) and needle in r.mapped.message:  # type: ignore[union-attr]
            hit[i] = True
    return list(compress(rows, hit))


def _status_word(status: str) -> str:
    return status or NO_INTEGRATION_WORD


_FOLDED = attrgetter("name_folded")
_MAPPED = attrgetter("mapped")
# the other fields the filter reads, and how each of their values reads (lower case; a
# row without integration has the status "", read as "no integration")
_FIELDS: tuple[tuple[Callable[[FleetRow], str], Callable[[str], str]], ...] = (
    (attrgetter("status"), _status_word),
    (attrgetter("base_url"), str.lower),
    (attrgetter("last_error"), str.lower),
    (attrgetter("connection"), str.lower),  # the WHATSAPP column's word
    (attrgetter("site"), str.lower),
)


def rows_from_listing(listing: Iterable[tuple], site: str = "") -> Iterator[FleetRow]:
    """Fleet rows from :meth:`cwdash.store.db.Store.iter_list` tuples (checked, see
    :func:`cwdash.store.rows.check_listing`), one at a time, in columns of their own;
    ``site``: theirs (``--all-sites``). The dashboard's loader builds a site's columns
    whole instead (:func:`columns_from_listing`)."""
    from cwdash.store.columns import SiteColumns, Texts

    columns = SiteColumns(sys.intern(site), Texts())
    for name, has, status, error, url, account, inbox, _, integration_id, bad, written in listing:
        columns.append_listed(name, has, status, error, url, account, inbox, bad, integration_id, written)
        yield FleetRow.at(columns, len(columns) - 1)


def local_values(row: FleetRow) -> tuple[object, ...]:
    return (
        row.bad,
        row.has_integration,
        row.local_status,
        row.local_error,
        row.base_url,
        row.account_id,
        row.inbox_id,
        row.integration_id,
        row.written_at,
    )
