"""The status document: the 14 fields of RyzeAPI's "Chatwoot · Status / info" answer.

Field order and types follow the seed. The token stays sealed inside the document
(:class:`SealedToken`) and is opened only by :meth:`StatusDocument.as_json` with
``include_token`` or by an explicit :meth:`SealedToken.open`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cwdash.store.db import FLAGS, INTEGRATION_COLUMNS, IntegrationRow
from cwdash.store.live import STATUSES
from cwdash.store.sealing import Sealer, Secret, TokenError

# The store's columns are named and ordered as the seed's fields: one list for both.
FIELDS = INTEGRATION_COLUMNS

FLAG_MEANINGS = {
    "sign_messages": "prefix agent messages with *Name*: (WhatsApp bold)",
    "ignore_groups": "group events are not routed to Chatwoot",
    "start_as_pending": "new conversations start as pending, not open",
    "reopen_resolved": "a new message reopens a resolved conversation",
}


@dataclass(frozen=True, slots=True)
class SealedToken:
    """A token as stored: opened only on request, with the key the store was read with."""

    instance_name: str
    sealed: str
    sealer: Sealer | None
    key_problem: str | None = None

    def __repr__(self) -> str:
        return f"SealedToken({self.instance_name!r})"

    def open(self) -> Secret:
        """Decrypt; TokenError (naming the instance and the likely cause) when it cannot be."""
        if self.sealer is None:
            raise TokenError(
                f"token of {self.instance_name!r} cannot be opened: "
                f"{self.key_problem or 'CWDASH_KEY is not set'}"
            )
        return self.sealer.open(self.instance_name, self.sealed)


@dataclass(frozen=True, slots=True)
class StatusDocument:
    """One integration's status, in seed order."""

    instance_name: str
    status: str
    bridge_integration_id: str
    chatwoot_base_url: str
    chatwoot_account_id: int
    chatwoot_api_token: SealedToken
    chatwoot_inbox_id: int
    chatwoot_inbox_name: str
    last_error: str
    created_at: str
    sign_messages: bool
    ignore_groups: bool
    start_as_pending: bool
    reopen_resolved: bool

    @classmethod
    def from_row(
        cls, row: IntegrationRow, sealer: Sealer | None, key_problem: str | None = None
    ) -> StatusDocument:
        token = SealedToken(row.instance_name, row.sealed_token, sealer, key_problem)
        return cls(
            row.instance_name,
            row.status,
            row.bridge_integration_id,
            row.chatwoot_base_url,
            row.chatwoot_account_id,
            token,
            row.chatwoot_inbox_id,
            row.chatwoot_inbox_name,
            row.last_error,
            row.created_at,
            row.sign_messages,
            row.ignore_groups,
            row.start_as_pending,
            row.reopen_resolved,
        )

    def flags(self) -> dict[str, bool]:
        return {f: getattr(self, f) for f in FLAGS}

    def with_live(self, status: str, last_error: str, inbox_id: int | None) -> StatusDocument:
        """Live values replace status and last_error; an inbox id fills a local 0."""
        inbox = self.chatwoot_inbox_id
        if inbox == 0 and inbox_id is not None and inbox_id > 0:
            inbox = inbox_id
        return replace(self, status=status, last_error=last_error, chatwoot_inbox_id=inbox)

    def as_json(self, *, include_token: bool = True) -> dict[str, Any]:
        """The document as RyzeAPI answers it; opening the token may raise TokenError."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            if name == "chatwoot_api_token":
                if include_token:
                    out[name] = self.chatwoot_api_token.open().reveal()
                continue
            out[name] = getattr(self, name)
        return out


# -- validation of documents coming in (import) --------------------------------


class InvalidRecord(ValueError):
    """A record that cannot be stored; the message says which field and why."""


MAX_INTEGER = 2**63 - 1  # SQLite's INTEGER; a larger value cannot be stored


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


def _is_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _string(record: dict[str, Any], name: str, *, required: bool, default: str = "") -> str:
    if name not in record:
        if required:
            raise InvalidRecord(f"{name} is missing")
        return default
    value = record[name]
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be a string")
    return value


def validate_record(record: object, now: str) -> tuple[str, dict[str, Any] | None, str | None]:
    """Check one incoming status document.

    Returns ``(instance_name, row values or None, plaintext token or None)``; an object
    holding only ``instance_name`` stands for an instance without integration.
    """
    if not isinstance(record, dict):
        raise InvalidRecord(f"expected a JSON object, got {type(record).__name__}")
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise InvalidRecord(f"unknown field {unknown[0]!r}")
    for field, value in record.items():
        # JSON's \ud800 escapes decode to lone surrogates, which neither the store nor
        # the sealing (UTF-8) can take.
        if isinstance(value, str) and not _is_unicode(value):
            raise InvalidRecord(f"{field} is not valid Unicode (a lone surrogate such as \\ud800)")
    name = check_name(record.get("instance_name"))
    if set(record) == {"instance_name"}:
        return name, None, None
    token = _string(record, "chatwoot_api_token", required=True)
    if not token:
        raise InvalidRecord("chatwoot_api_token is empty")
    bridge_id = _string(record, "bridge_integration_id", required=True)
    if not bridge_id.strip():
        raise InvalidRecord("bridge_integration_id is empty")
    status = _string(record, "status", required=False, default="active")
    if status not in STATUSES:
        raise InvalidRecord(f"status must be one of {', '.join(STATUSES)}, got {status[:40]!r}")
    inbox = record.get("chatwoot_inbox_id", 0)
    if isinstance(inbox, bool) or not isinstance(inbox, int) or inbox < 0:
        raise InvalidRecord("chatwoot_inbox_id must be an integer, 0 or more")
    if inbox > MAX_INTEGER:
        raise InvalidRecord(f"chatwoot_inbox_id is larger than {MAX_INTEGER}")
    values: dict[str, Any] = {
        "instance_name": name,
        "status": status,
        "bridge_integration_id": bridge_id,
        "chatwoot_base_url": normalize_base_url(record.get("chatwoot_base_url")),
        "chatwoot_account_id": check_account_id(record.get("chatwoot_account_id")),
        "chatwoot_inbox_id": inbox,
        "chatwoot_inbox_name": _string(record, "chatwoot_inbox_name", required=False),
        "last_error": _string(record, "last_error", required=False),
        "created_at": check_created_at(record.get("created_at", now)),
    }
    for flag in FLAGS:
        value = record.get(flag, False)
        if not isinstance(value, bool):
            raise InvalidRecord(f"{flag} must be true or false")
        values[flag] = value
    return name, values, token


def check_token_opens(token: SealedToken) -> TokenError | None:
    """Whether a sealed token opens, without keeping the plaintext."""
    try:
        token.open()
    except TokenError as exc:
        return exc
    return None
