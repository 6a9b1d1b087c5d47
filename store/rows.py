"""Raw rows of the store, checked before anything uses them.

The store is a SQLite file: another program can write anything into it (a TEXT account
id, a BLOB instance name, NULLs, a REAL inbox id, a 2^70 written as TEXT, a status outside
the vocabulary, a flag of 7 or 'yes', bytes that are not UTF-8). Every value read goes
through one of the two checks here; a row that fails is a *bad row*, named by its first
bad field, and never reaches the code that would crash on it or send it to the gateway.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

MAX_INTEGER = 2**63 - 1
STATUSES = frozenset({"active", "paused", "error"})
FLAGS = ("sign_messages", "ignore_groups", "start_as_pending", "reopen_resolved")
# what `cwdash import` / `set` refuse in a name: empty, over 200 characters, controls
_BAD_NAME = re.compile("[\x00-\x1f\x7f-\x9f]")
_CREATED_AT = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


class NotText(bytes):
    """A TEXT value that is not valid UTF-8 (read with :func:`decode_text`)."""


def fetch(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> Iterator[tuple]:
    """The rows of a query, streamed. TEXT that is not UTF-8 fails SQLite's default read
    of the whole query: it is then read again (past the rows already given) keeping such
    values as :class:`NotText`, so the row checks name the field. The common case pays
    nothing for this."""
    done = 0
    try:
        cursor = conn.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            done += len(batch)
            yield from batch
        return
    except sqlite3.OperationalError as exc:
        if "decode" not in str(exc):
            raise
    conn.text_factory = decode_text
    try:
        cursor = conn.execute(sql, params)
        skip = done
        while batch := cursor.fetchmany(2000):
            if skip >= len(batch):
                skip -= len(batch)
                continue
            yield from batch[skip:]
            skip = 0
    finally:
        conn.text_factory = str


def decode_text(raw: bytes) -> str | NotText:
    """The store's TEXT values as str; bytes that are not UTF-8 are kept as :class:`NotText`
    so the check names the field instead of the whole read failing."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return NotText(raw)


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row written by another tool that cwdash cannot use: its name and the first bad field."""

    name: str
    field: str

    @property
    def message(self) -> str:
        return f"bad row: {self.field}"


def shown_name(value: object) -> str:
    """An instance name fit for listing, whatever the store holds in its place.

    Values that are not text get a form no imported name is likely to have."""
    if type(value) is str:
        return value
    if value is None:
        return "⟨null⟩"
    if isinstance(value, bytes):
        kind = "text" if isinstance(value, NotText) else "blob"
        return f"⟨{kind} {value[:32].hex()}{'…' if len(value) > 32 else ''}⟩"
    return f"⟨{type(value).__name__} {str(value)[:40]}⟩"


def _name_ok(value: object) -> bool:
    return type(value) is str and 0 < len(value) <= 200 and _BAD_NAME.search(value) is None


def _id_ok(value: object, *, minimum: int) -> bool:
    return type(value) is int and minimum <= value <= MAX_INTEGER


def _text(value: object) -> bool:
    return type(value) is str


def _bridge_id_ok(value: object) -> bool:
    # one path segment of /v1/integrations/<id>: never empty, never a dot segment
    return type(value) is str and bool(value.strip()) and value not in (".", "..") and len(value) <= 1000


class UrlCheck(dict[object, bool]):
    """Whether each distinct base URL is one `cwdash set` would store; asked once per URL
    (a fleet shares a few), so checking 100k rows costs a lookup each."""

    def __missing__(self, value: object) -> bool:
        from store.document import InvalidRecord, normalize_base_url

        ok = False
        if type(value) is str:
            try:
                ok = normalize_base_url(value) == value
            except InvalidRecord:
                ok = False
        self[value] = ok
        return ok


def integration_problem(row: tuple, urls: UrlCheck) -> str | None:
    """The first bad field of a ``chatwoot_integrations`` row (its 14 columns in seed order),
    or None. In a listing the token column holds only whether the token is non-empty text
    (SQLite answers that without reading the sealed value out)."""
    (name, status, bridge_id, url, account, token, inbox, inbox_name, error, created, *flags) = row
    if not _name_ok(name):
        return "instance_name"
    if type(status) is not str or status not in STATUSES:
        return "status"
    if not _bridge_id_ok(bridge_id):
        return "bridge_integration_id"
    if not urls[url]:
        return "chatwoot_base_url"
    if not _id_ok(account, minimum=1):
        return "chatwoot_account_id"
    if token is not True and (type(token) is not str or not token):
        return "chatwoot_api_token"
    if not _id_ok(inbox, minimum=0):
        return "chatwoot_inbox_id"
    if type(inbox_name) is not str:
        return "chatwoot_inbox_name"
    if type(error) is not str:
        return "last_error"
    if type(created) is not str or _CREATED_AT.fullmatch(created) is None:
        return "created_at"
    for field, value in zip(FLAGS, flags, strict=True):
        if type(value) is not int or value not in (0, 1):
            return field
    return None


# What the fleet list needs of a row, with the bad field last (None for a good row).
ListingTuple = tuple[str, bool, str, str, str, int, int, str, str, str | None]


def check_listing(raw: tuple, urls: UrlCheck) -> ListingTuple:
    """A listing row (instance name, has integration, then the integration's other 13
    columns in seed order, the token reduced to a flag) as the fleet list's tuple; the values of a bad row are
    replaced by neutral ones so nothing downstream meets a wrong type."""
    name, has, *columns = raw
    has = bool(has)
    if not has:
        if _name_ok(name):
            return (name, False, "", "", "", 0, 0, "", "", None)
        return (shown_name(name), False, "", "", "", 0, 0, "", "", "instance_name")
    token_ok = columns[4] == 1  # SQLite's answer to "is the token non-empty text?"
    problem = integration_problem((name, *columns[:4], token_ok, *columns[5:]), urls)
    if problem is None:
        (status, bridge_id, url, account, _, inbox, inbox_name, error, *_) = columns
        return (name, True, status, error, url, account, inbox, inbox_name, bridge_id, None)
    return (shown_name(name), True, "", "", "", 0, 0, "", "", problem)
