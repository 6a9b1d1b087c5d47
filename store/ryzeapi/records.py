"""A Status/info answer as ``cwdash sync`` takes it: every field checked by the record's rules.

Two versions of RyzeAPI's documentation exist, and both are accepted:

- the seed's: all 14 fields, ``chatwoot_api_token`` in plaintext, the four flags;
- the other: no ``chatwoot_api_token`` ever, and the flags may be left out.

So the token is optional (absent or null: "not returned"; present, it must be a
non-empty string) and the flags come all four or none. Every other field is required
and checked exactly as ``cwdash import`` checks it; fields the record does not know are
ignored (a newer server may add some). The answer must name the instance asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cwdash.store.document import FIELDS, FLAGS, TOKEN, InvalidRecord, check_field
from cwdash.store.sealing import Secret

REQUIRED = tuple(f for f in FIELDS if f != TOKEN and f not in FLAGS)


@dataclass(frozen=True, slots=True)
class Synced:
    """One instance's integration as RyzeAPI answered it."""

    values: dict[str, Any]  # every field but the token, checked (flags only when ``flags``)
    token: Secret | None  # None: the answer carried no token
    flags: bool  # whether the answer carried the four flags


def parse_status(body: bytes, name: str) -> Synced:
    """The integration in a 200 answer for ``name``; InvalidRecord saying what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        snippet = body[:60].decode("utf-8", "replace")
        raise InvalidRecord(f"the Status/info answer is not JSON (starts with {snippet!r})") from None
    if not isinstance(data, dict):
        raise InvalidRecord(f"the Status/info answer is a JSON {type(data).__name__}, not an object")
    for key, value in data.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidRecord(f"{key} is not valid Unicode (a lone surrogate)") from None
    values: dict[str, Any] = {}
    for field in REQUIRED:
        if field not in data:
            raise InvalidRecord(f"the Status/info answer has no {field}")
        values[field] = check_field(field, data[field])
    if values["instance_name"] != name:
        raise InvalidRecord("the Status/info answer names another instance")
    present = [f for f in FLAGS if f in data]
    if present and len(present) != len(FLAGS):
        missing = ", ".join(f for f in FLAGS if f not in data)
        raise InvalidRecord(f"the Status/info answer has some flags but not {missing}")
    for flag in present:
        values[flag] = check_field(flag, data[flag])
    raw_token = data.get(TOKEN)
    token = Secret(check_field(TOKEN, raw_token)) if raw_token is not None else None
    return Synced(values, token, bool(present))
