"""The record: the 14 fields of RyzeAPI's "Chatwoot · Status / info" answer, defined once.

:class:`StatusDocument` is the one definition of the fields. Each field carries, as
dataclass metadata, its SQL type, its default, the check an incoming value passes, and
what it means; everything else is derived from it here: the store's column list
(:data:`FIELDS`, :data:`SQL_TYPES`), a stored row read back (:meth:`StatusDocument.from_stored`)
and written (:func:`to_sql`), the import's validation (:func:`validate_record`), the
JSON output (:meth:`StatusDocument.as_json`), the defaults of a new integration
(:func:`defaults`) and the flags with their meanings (:data:`FLAG_MEANINGS`).

Field order and types follow the seed. The token stays sealed inside the document
(:class:`SealedToken`) and is opened only by :meth:`StatusDocument.as_json` with
``include_token`` or by an explicit :meth:`SealedToken.open`. The schema migrations
(:mod:`cwdash.store.schema`) keep their literal column lists, as history; a test
checks that a fresh store's columns are these fields.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from cwdash.store.endpoint import integration_id_problem
from cwdash.store.status import DEFAULT_STATUS, STATUSES

if TYPE_CHECKING:
    from cwdash.store.sealing import Sealer, Secret, TokenError


class InvalidRecord(ValueError):
    """A record that cannot be stored; the message says which field and why."""


MAX_INTEGER = 2**63 - 1  # SQLite's INTEGER; a larger value cannot be stored
# The token column of an integration synced from a RyzeAPI that does not return tokens,
# with no local token to keep. Never a sealed value (those are base64: no spaces).
TOKEN_NOT_SYNCED = "token not synced"
NOT_SYNCED_HINT = "RyzeAPI does not return tokens to this sync; set it with `cwdash set NAME --token-stdin`"


class SealedToken(NamedTuple):
    """A token as stored: opened only on request, with the key the store was read with."""

    instance_name: str
    sealed: str
    sealer: "Sealer | None"
    key_problem: str | None = None

    def __repr__(self) -> str:
        return f"SealedToken({self.instance_name!r})"

    @property
    def synced(self) -> bool:
        """False for a row whose token RyzeAPI's sync could not get (:data:`TOKEN_NOT_SYNCED`)."""
        return self.sealed != TOKEN_NOT_SYNCED

    def open(self) -> "Secret":
        """Decrypt; TokenError (naming the instance and the likely cause) when it cannot be."""
        if not self.synced:
            from cwdash.store.sealing import TokenError

            raise TokenError(f"token of {self.instance_name!r} not synced: {NOT_SYNCED_HINT}")
        if self.sealer is None:
            from cwdash.store.sealing import TokenError

            raise TokenError(
                f"token of {self.instance_name!r} cannot be opened: "
                f"{self.key_problem or 'CWDASH_KEY is not set'}"
            )
        return self.sealer.open(self.instance_name, self.sealed)


# -- the checks of incoming values (import, set) ------------------------------------------


def normalize_base_url(value: object) -> str:
    """RyzeAPI's rule: a valid http(s) URL, trailing ``/`` removed."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecord("chatwoot_base_url must be a non-empty string")
    url = value.strip().rstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[oops": an unclosed IPv6 bracket
        raise InvalidRecord(f"chatwoot_base_url is not a valid URL: {value[:80]!r}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidRecord(f"chatwoot_base_url must be an http(s) URL, got {value[:80]!r}")
    if not parts.hostname:
        raise InvalidRecord(f"chatwoot_base_url has no host: {value[:80]!r}")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise InvalidRecord("chatwoot_base_url contains spaces or control characters")
    return url


def check_integration_id(value: object) -> str:
    """An id that the live read can put in its URL as exactly one path segment."""
    problem = integration_id_problem(value)
    if problem:
        raise InvalidRecord(problem)
    assert isinstance(value, str)
    return value


def check_name(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRecord("instance_name must be a non-empty string")
    if len(value) > 200:
        raise InvalidRecord("instance_name is longer than 200 characters")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise InvalidRecord("instance_name contains control characters")
    return value


def check_account_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord("chatwoot_account_id must be an integer")
    if value <= 0:
        raise InvalidRecord(f"chatwoot_account_id must be greater than 0, got {value}")
    if value > MAX_INTEGER:
        raise InvalidRecord(f"chatwoot_account_id is larger than {MAX_INTEGER}")
    return value


def check_created_at(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRecord("created_at must be an RFC 3339 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidRecord(f"created_at is not RFC 3339: {value[:40]!r}") from None
    if parsed.tzinfo is None or "T" not in value.upper():
        raise InvalidRecord(f"created_at needs a date, a time and an offset: {value[:40]!r}")
    return value


# The table's checks take the field's name and its value (MISSING when absent and required).
Check = Callable[[str, object], object]
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
NOW: Any = type("Now", (), {"__repr__": lambda self: "NOW"})()  # default: the time of the write


def _value(check: Callable[[object], object]) -> Check:
    return lambda _name, value: check(value)


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be a string")
    return value


def _required_text(name: str, value: object) -> str:
    if value is MISSING:
        raise InvalidRecord(f"{name} is missing")
    return _text(name, value)


def _status(name: str, value: object) -> str:
    status = _text(name, value)
    if status not in STATUSES:
        raise InvalidRecord(f"status must be one of {', '.join(STATUSES)}, got {status[:40]!r}")
    return status


def _bridge_id(name: str, value: object) -> str:
    return check_integration_id(_required_text(name, value))


def _token(name: str, value: object) -> str:
    token = _required_text(name, value)
    if not token:
        raise InvalidRecord(f"{name} is empty")
    return token


def _inbox_id(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRecord(f"{name} must be an integer, 0 or more")
    if value > MAX_INTEGER:
        raise InvalidRecord(f"{name} is larger than {MAX_INTEGER}")
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidRecord(f"{name} must be true or false")
    return value


def _field(sql: str, check: Check, meaning: str, default: object = MISSING) -> Any:
    return field(metadata={"sql": sql, "check": check, "default": default, "meaning": meaning})


def _flag_field(meaning: str) -> Any:
    return _field("INTEGER", _flag, meaning, False)  # stored as 0/1


# -- the record ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusDocument:
    """One integration's status, in seed order: the only list of the record's fields."""

    instance_name: str = _field("TEXT", _value(check_name), "the RyzeAPI instance (the key)")
    status: str = _field("TEXT", _status, "active, paused or error", DEFAULT_STATUS)
    bridge_integration_id: str = _field("TEXT", _bridge_id, "the gateway's id of this integration")
    chatwoot_base_url: str = _field("TEXT", _value(normalize_base_url), "the Chatwoot server")
    chatwoot_account_id: int = _field("INTEGER", _value(check_account_id), "the Chatwoot account")
    chatwoot_api_token: SealedToken = _field("TEXT", _token, "the Chatwoot API token, sealed at rest")  # noqa: RUF009 (metadata, no default)
    chatwoot_inbox_id: int = _field("INTEGER", _inbox_id, "the Chatwoot inbox, 0 until known", 0)
    chatwoot_inbox_name: str = _field("TEXT", _text, "the Chatwoot inbox's name", "")
    last_error: str = _field("TEXT", _text, "the gateway's last error, empty when healthy", "")
    created_at: str = _field("TEXT", _value(check_created_at), "when the integration was set, RFC 3339", NOW)
    sign_messages: bool = _flag_field("prefix agent messages with *Name*: (WhatsApp bold)")
    ignore_groups: bool = _flag_field("group events are not routed to Chatwoot")
    start_as_pending: bool = _flag_field("new conversations start as pending, not open")
    reopen_resolved: bool = _flag_field("a new message reopens a resolved conversation")

    @classmethod
    def from_stored(
        cls, row: tuple, sealer: "Sealer | None" = None, key_problem: str | None = None
    ) -> "StatusDocument":
        """The record of a stored row (its columns in :data:`FIELDS` order, already checked
        by :func:`cwdash.store.rows.integration_problem`), the token left sealed."""
        values = [bool(v) if i in _BOOL_AT else v for i, v in enumerate(row)]
        values[_TOKEN_AT] = SealedToken(row[0], row[_TOKEN_AT], sealer, key_problem)
        return cls(*values)

    @property
    def sealed_token(self) -> str:
        """The token as stored (sealed), for re-sealing and writing back."""
        return self.chatwoot_api_token.sealed

    def with_volatile(self, status: str, last_error: str, inbox_id: int) -> "StatusDocument":
        """The document with the fields a live read may change (see :mod:`cwdash.store.merge`)."""
        return replace(self, status=status, last_error=last_error, chatwoot_inbox_id=inbox_id)

    def as_row(self) -> dict[str, object]:
        """Every field as it is written back to the store, the token still sealed."""
        row = {name: getattr(self, name) for name in FIELDS}
        row[TOKEN] = self.sealed_token
        return row

    def as_json(self, *, include_token: bool = True) -> dict[str, Any]:
        """The document as RyzeAPI answers it; opening the token may raise TokenError."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            if name == TOKEN:
                if include_token:
                    out[name] = self.chatwoot_api_token.open().reveal()
                continue
            out[name] = getattr(self, name)
        return out


# -- what the table says, derived once ------------------------------------------------------

_TABLE = fields(StatusDocument)
FIELDS: tuple[str, ...] = tuple(f.name for f in _TABLE)  # also the store's columns, in this order
SQL_TYPES: dict[str, str] = {f.name: f.metadata["sql"] for f in _TABLE}
CHECKS: dict[str, Check] = {f.name: f.metadata["check"] for f in _TABLE}
DEFAULTS: dict[str, object] = {
    f.name: f.metadata["default"] for f in _TABLE if f.metadata["default"] is not MISSING
}
MEANINGS: dict[str, str] = {f.name: f.metadata["meaning"] for f in _TABLE}
FLAG_MEANINGS: dict[str, str] = {f.name: MEANINGS[f.name] for f in _TABLE if f.metadata["check"] is _flag}
FLAGS: tuple[str, ...] = tuple(FLAG_MEANINGS)
TOKEN = "chatwoot_api_token"
_TOKEN_AT = FIELDS.index(TOKEN)
_BOOL_AT = frozenset(FIELDS.index(f) for f in FLAGS)


def defaults(now: str) -> dict[str, object]:
    """The values a new integration starts with, for the fields that have one."""
    return {name: now if value is NOW else value for name, value in DEFAULTS.items()}


def check_field(name: str, value: object) -> Any:
    """``value`` checked (and normalised) by the rule of field ``name``; InvalidRecord if not."""
    return CHECKS[name](name, value)


def to_sql(values: dict[str, object]) -> dict[str, object]:
    """A row of every field, as SQLite stores it (flags as 0/1)."""
    row = {name: values[name] for name in FIELDS}
    for flag in FLAGS:
        row[flag] = int(bool(row[flag]))
    return row


# -- validation of documents coming in (import) ------------------------------------------

# A record with several bad fields is refused naming the first checked: the token first
# (without one it is not an integration), then the fields the live read needs, then
# the rest in seed order. The same order as before the table, so the messages are too.
_CHECKED_FIRST = (TOKEN, "bridge_integration_id", "status", "chatwoot_inbox_id")
_CHECK_ORDER = _CHECKED_FIRST + tuple(f for f in FIELDS[1:] if f not in _CHECKED_FIRST)


def _is_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_record(record: object, now: str) -> tuple[str, dict[str, Any] | None, str | None]:
    """Check one incoming status document.

    Returns ``(instance_name, row values or None, plaintext token or None)``; an object
    holding only ``instance_name`` stands for an instance without integration. The row
    values are every field but the token, in seed order, defaults filled in.
    """
    if not isinstance(record, dict):
        raise InvalidRecord(f"expected a JSON object, got {type(record).__name__}")
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise InvalidRecord(f"unknown field {unknown[0]!r}")
    for name, value in record.items():
        # JSON's \ud800 escapes decode to lone surrogates, which neither the store nor
        # the sealing (UTF-8) can take.
        if isinstance(value, str) and not _is_unicode(value):
            raise InvalidRecord(f"{name} is not valid Unicode (a lone surrogate such as \\ud800)")
    instance = check_field("instance_name", record.get("instance_name", MISSING))
    if set(record) == {"instance_name"}:
        return instance, None, None
    checked = {"instance_name": instance}
    for name in _CHECK_ORDER:
        default = DEFAULTS.get(name, MISSING)
        checked[name] = check_field(name, record.get(name, now if default is NOW else default))
    token = checked.pop(TOKEN)
    return instance, {name: checked[name] for name in FIELDS if name != TOKEN}, token


def check_token_opens(token: SealedToken) -> "TokenError | None":
    """Whether a sealed token opens, without keeping the plaintext."""
    from cwdash.store.sealing import TokenError

    try:
        token.open()
    except TokenError as exc:
        return exc
    return None
