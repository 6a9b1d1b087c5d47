"""``cwdash list``'s rows in one ordered query, streamed.

``list`` used to read the listing, then every integration record, then every upstream
row, all into memory, and only then print (100k instances: 444 MB). Here one query joins
the three tables in name order and each instance comes out as a :class:`ListItem` as
SQLite gives it, so ``list --json``, ``--csv`` and the table use memory that does not grow
with the fleet.

The checks are those of the listing and of a record read (:mod:`cwdash.store.rows`),
applied to the same row: a bad row is named by the same field as before. The sealed
token is read (the record check wants it) but never opened, and never leaves this module
except as "is it the not-synced marker".
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from cwdash.store import rows as checks
from cwdash.store import upstream
from cwdash.store.db import BadRowError, ListRow, read_record
from cwdash.store.document import FIELDS, FLAGS, TOKEN, TOKEN_NOT_SYNCED
from cwdash.store.rows import ListingTuple, UrlCheck, check_listing

if TYPE_CHECKING:
    from cwdash.store.db import Store
    from cwdash.store.upstream import Upstream

# The query's columns: the listing's (rows.check_listing: the instance's name, whether it
# has an integration, eight of the record's fields, the check of the columns it does not
# show, the local write time: not read), then the rest of the record (the token, the flags), the
# not-synced token's mark, and upstream's columns.
_SHOWN_FIELDS = ("status", "bridge_integration_id", "chatwoot_base_url", "chatwoot_account_id")
_SHOWN_FIELDS += ("chatwoot_inbox_id", "chatwoot_inbox_name", "last_error", "created_at")
_LISTED = 12
_REST = (TOKEN, *FLAGS)
_UNSYNCED_AT = _LISTED + len(_REST)
_UPSTREAM_AT = _UNSYNCED_AT + 1
# where each field of the record is in the query's row (the name: the instance's)
_AT = {"instance_name": 0, **{f: 2 + i for i, f in enumerate(_SHOWN_FIELDS)}}
_AT |= {f: _LISTED + i for i, f in enumerate(_REST)}
_RECORD = itemgetter(*(_AT[f] for f in FIELDS))  # the record, in FIELDS order
_DOCUMENT_KEYS = tuple(f for f in FIELDS if f != TOKEN)
_DOCUMENT = itemgetter(*(_AT[f] for f in _DOCUMENT_KEYS))


class ListItem(NamedTuple):
    """One instance as ``cwdash list`` shows it; no token, sealed or not."""

    listed: ListingTuple  # the listing's checked tuple (rows.check_listing)
    # a good integration's status document without its token, as StatusDocument.as_json
    # (include_token=False) gives it; None without integration, for a bad row, or when
    # not asked for (the table)
    document: dict[str, object] | None
    bad: str | None  # the first bad field: the listing's, or the record's
    upstream: Upstream | None
    token_unsynced: bool  # synced from a RyzeAPI that returns no token

    @property
    def name(self) -> str:
        return self.listed[0]

    @property
    def listing_bad(self) -> str | None:
        """The first bad field by the listing's check (what the bad-row warning counts)."""
        return self.listed[9]

    def row(self) -> ListRow:
        name, has, status, error, url, account, inbox, inbox_name, bridge_id, bad, written = self.listed
        return ListRow(name, has, status, error, url, account, inbox, inbox_name, bridge_id, bad, written)


def document_json(raw: tuple) -> dict[str, object]:
    """``StatusDocument.from_stored(record).as_json(include_token=False)`` of a checked row
    of the query, without building the document (a test holds the two equal)."""
    out = dict(zip(_DOCUMENT_KEYS, _DOCUMENT(raw), strict=True))
    for flag in FLAGS:
        out[flag] = bool(out[flag])
    return out


def _has_upstream_rows(store: Store) -> bool:
    """Whether the store has any upstream row (none in a store older than schema 3).
    Read as every read is: a store that cannot be read is a StoreError."""
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'upstream'"
    return any(store.stream(sql)) and any(store.stream("SELECT 1 FROM upstream LIMIT 1"))


def listing_sql(store: Store) -> str:
    """The one query: instances in name order, each with its integration and upstream row.

    No upstream rows (a store filled from the bridge, or older than schema 3): no join.
    The local write time is not shown by ``list``: not read."""
    if _has_upstream_rows(store):
        ups = ", ".join(f"u.{c.strip()}" for c in upstream.COLUMNS.split(","))
        join = " LEFT JOIN upstream u ON u.instance_name = i.name"
    else:
        ups, join = ", ".join(["NULL"] * len(upstream.COLUMNS.split(","))), ""
    return (
        "SELECT i.name, c.instance_name IS NOT NULL, "
        + "".join(f"c.{f}, " for f in _SHOWN_FIELDS)
        + f"{checks.UNSHOWN_PROBLEM_SQL}, '', "
        + "".join(f"c.{f}, " for f in _REST)
        + f"c.chatwoot_api_token = '{TOKEN_NOT_SYNCED}', {ups} "
        "FROM instances i LEFT JOIN chatwoot_integrations c ON c.instance_name = i.name"
        f"{join} ORDER BY i.name"
    )


def iter_listing(store: Store, *, documents: bool = True) -> Iterator[ListItem]:
    """Every instance, in name order, as SQLite returns it (StoreError when it fails midway).

    Without ``documents`` (the table) none is made: ``bad`` is then the listing's."""
    urls = UrlCheck()
    for raw in store.stream(listing_sql(store)):
        listed = check_listing(raw[:_LISTED], urls)
        bad = listed[9]
        document = None
        if documents and bad is None and listed[1]:
            if type(raw[_LISTED]) is str:  # the listing's checks passed, the token is text: good
                document = document_json(raw)
            else:  # the record check names what SQLite's typeof could not (text that is not UTF-8)
                try:
                    read_record(_RECORD(raw), urls)
                except BadRowError as exc:
                    bad = exc.bad.field
                else:
                    document = document_json(raw)
        up = upstream.from_raw(raw[_UPSTREAM_AT:]) if raw[_UPSTREAM_AT] is not None else None
        yield ListItem(listed, document, bad, up, raw[_UNSYNCED_AT] == 1 and type(raw[0]) is str)
