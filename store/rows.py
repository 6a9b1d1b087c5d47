"""Raw rows of the store, checked before anything uses them.

The store is a SQLite file: another program can write anything into it (a TEXT account
id, a BLOB instance name, NULLs, a REAL inbox id, a 2^70 written as TEXT, a status outside
the vocabulary, a flag of 7 or 'yes', bytes that are not UTF-8). Every value read goes
through one of the two checks here; a row that fails is a *bad row*, named by its first
bad field, and never reaches the code that would crash on it or send it to the gateway.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
import re
import sqlite3
from collections.abc import Iterator
from typing import NamedTuple

from cwdash.store import status
from cwdash.store.document import FLAGS, MAX_INTEGER, InvalidRecord, normalize_base_url
from cwdash.store.endpoint import integration_id_problem

STATUSES = frozenset(status.STATUSES)
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


class BadRow(NamedTuple):
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
        return "<null>"
    if isinstance(value, bytes):
        kind = "text" if isinstance(value, NotText) else "blob"
        return f"<{kind} {value[:32].hex()}{'...' if len(value) > 32 else ''}>"
    return f"<{type(value).__name__} {str(value)[:40]}>"


def _name_ok(value: object) -> bool:
    return type(value) is str and 0 < len(value) <= 200 and _BAD_NAME.search(value) is None


def _id_ok(value: object, *, minimum: int) -> bool:
    return type(value) is int and minimum <= value <= MAX_INTEGER


def _text(value: object) -> bool:
    return type(value) is str


_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _bridge_id_ok(value: object) -> bool:
    # one path segment of /v1/integrations/<id>, by the same rule import and set apply
    # (cwdash.store.endpoint); the common plain id costs one regex match
    if type(value) is str and _PLAIN_ID.fullmatch(value) is not None:
        return True
    return integration_id_problem(value) is None


class UrlCheck(dict[object, bool]):
    """Whether each distinct base URL is one `cwdash set` would store; asked once per URL
    (a fleet shares a few), so checking 100k rows costs a lookup each."""

    def __missing__(self, value: object) -> bool:
        ok = False
        if type(value) is str:
            try:
                ok = normalize_base_url(value) == value
            except InvalidRecord:
                ok = False
        self[value] = ok
        return ok


def _shown_problem(
    name, status, bridge_id, url, account, inbox, inbox_name, error, created, urls
) -> str | None:  # type: ignore[no-untyped-def]
    """The first bad field among those the list shows (and created_at)."""
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
    if not _id_ok(inbox, minimum=0):
        return "chatwoot_inbox_id"
    if type(inbox_name) is not str:
        return "chatwoot_inbox_name"
    if type(error) is not str:
        return "last_error"
    if type(created) is not str or _CREATED_AT.fullmatch(created) is None:
        return "created_at"
    return None


def integration_problem(row: tuple, urls: UrlCheck) -> str | None:
    """The first bad field of a ``chatwoot_integrations`` row (its 14 columns in seed
    order), or None. Checked in the order of :func:`_shown_problem`, then the token, then
    the flags: the same order as :data:`UNSHOWN_PROBLEM_SQL`, so a listing and a status
    read name the same field."""
    (name, status, bridge_id, url, account, token, inbox, inbox_name, error, created, *flags) = row
    problem = _shown_problem(name, status, bridge_id, url, account, inbox, inbox_name, error, created, urls)
    if problem is not None:
        return problem
    if type(token) is not str or not token:
        return "chatwoot_api_token"
    for field, value in zip(FLAGS, flags, strict=True):
        if type(value) is not int or value not in (0, 1):
            return field
    return None


# The same rule for the columns a listing does not fetch (the sealed token, the flags),
# answered by SQLite: the first bad one's name, NULL when they are good. A 100k listing
# then neither carries the tokens nor pays a Python check per flag.
UNSHOWN_PROBLEM_SQL = (
    "CASE WHEN typeof(c.chatwoot_api_token) != 'text' OR length(c.chatwoot_api_token) = 0 "
    "THEN 'chatwoot_api_token' "
    + " ".join(
        f"WHEN typeof(c.{flag}) != 'integer' OR c.{flag} NOT IN (0, 1) THEN '{flag}'" for flag in FLAGS
    )
    + " END"
)

# What the fleet list needs of a row, with the bad field last (None for a good row).
ListingTuple = tuple[str, bool, str, str, str, int, int, str, str, str | None, str]
_NO_VALUES = ("", "", "", 0, 0, "", "")


def check_listing(raw: tuple, urls: UrlCheck) -> ListingTuple:
    """A listing row (instance name, has integration, status, bridge id, base URL, account
    id, inbox id, inbox name, last error, created_at, and :data:`UNSHOWN_PROBLEM_SQL`) as the
    fleet list's tuple: (name, has, status, last error, URL, account, inbox, inbox name,
    bridge id, bad field). The values of a bad row are replaced by neutral ones, so
    nothing downstream meets a wrong type."""
    name, has, status, bridge_id, url, account, inbox, inbox_name, error, created, unshown, written = raw
    if type(written) is not str:
        written = ""  # only shown as an age: a wrong one is no reason to refuse the row
    if not has:
        if _name_ok(name):
            return (name, False, "", "", "", 0, 0, "", "", None, "")
        return (shown_name(name), False, *_NO_VALUES, "instance_name", "")
    if (  # the common case, inline: a 100k listing pays a few type checks a row
        unshown is None
        and status in STATUSES
        and type(account) is int
        and account > 0
        and type(inbox) is int
        and inbox >= 0
        and type(name) is str
        and type(error) is str
        and type(inbox_name) is str
        and type(bridge_id) is str
        and urls[url]
        and type(created) is str
        and _CREATED_AT.fullmatch(created) is not None
        and 0 < len(name) <= 200
        and _BAD_NAME.search(name) is None
        and _bridge_id_ok(bridge_id)
        and type(status) is str
    ):
        return (name, True, status, error, url, account, inbox, inbox_name, bridge_id, None, written)
    problem = _shown_problem(name, status, bridge_id, url, account, inbox, inbox_name, error, created, urls)
    return (shown_name(name), True, *_NO_VALUES, problem or str(unshown), written)
