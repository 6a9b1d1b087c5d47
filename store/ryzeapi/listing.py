"""``GET /api/instance/list``: the instances a token sees, each with its WhatsApp connection.

The documentation shows the fields of an item but not the wrapper around the items nor
the exact key of the name, so every form it leaves open is accepted, and nothing else:

- the items as a bare JSON array, or under ``data`` or ``instances``;
- the name under ``name``, ``instanceName`` or ``instance_name`` (several agreeing is fine);
- ``connection.state`` one of connected, connecting, disconnected, loggedout.

Anything else refuses the whole listing with a message saying what and where: a sync
that guessed could mark a whole fleet "not listed upstream". When the answer's
``message`` says how many instances were found, the count must match.

No store imports: the live source uses this too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from cwdash.store.status import CONNECTION_STATES  # the one vocabulary

NAME_KEYS = ("name", "instanceName", "instance_name")
WRAPPERS = ("data", "instances")
_FOUND = re.compile(r"\s*(\d+)\s+instances?\s+found\s*", re.IGNORECASE)


class BadListing(ValueError):
    """A listing cwdash does not understand; the message says what is wrong and where."""


@dataclass(frozen=True, slots=True)
class Listed:
    """One instance as the listing shows it."""

    name: str
    connection: str
    number_jid: str | None
    summary: str  # a digest of the item's Chatwoot summary: changes when the integration does


def parse_listing(body: bytes) -> list[Listed]:
    """The listing's instances in the answer's order; BadListing when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        snippet = body[:60].decode("utf-8", "replace")
        raise BadListing(f"the instance listing is not JSON (starts with {snippet!r})") from None
    items = _items(data)
    out: list[Listed] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        listed = _item(item, index)
        if listed.name in seen:
            raise BadListing(f"the instance listing names {listed.name[:80]!r} twice")
        seen.add(listed.name)
        out.append(listed)
    if isinstance(data, dict):
        _check_count(data.get("message"), len(out))
    return out


def _items(data: object) -> list[object]:
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise BadListing(f"the instance listing is a JSON {type(data).__name__}, not an array or an object")
    found = [key for key in WRAPPERS if key in data]
    if len(found) > 1:
        raise BadListing(
            "the instance listing has both 'data' and 'instances'; cwdash cannot tell which holds them"
        )
    if not found:
        keys = ", ".join(repr(k)[:40] for k in list(data)[:6]) or "none"
        raise BadListing(
            f"the instance listing has no 'data' or 'instances' array (its keys: {keys}); "
            "cwdash accepts a bare array or one of those two"
        )
    items = data[found[0]]
    if items is None:
        return []
    if not isinstance(items, list):
        raise BadListing(f"the instance listing's {found[0]!r} is a {type(items).__name__}, not an array")
    return items


def _item(item: object, index: int) -> Listed:
    where = f"item {index + 1} of the instance listing"
    if not isinstance(item, dict):
        raise BadListing(f"{where} is a {type(item).__name__}, not an object")
    names = {key: item[key] for key in NAME_KEYS if item.get(key) is not None}
    if not names:
        raise BadListing(f"{where} has no name (looked for {', '.join(NAME_KEYS)})")
    values = set(map(str, names.values()))
    if len(values) > 1 or not all(isinstance(v, str) for v in names.values()):
        raise BadListing(f"{where} has names that disagree or are not strings ({', '.join(names)})")
    name = next(iter(names.values()))
    if not name:
        raise BadListing(f"{where} has an empty name")
    where = f"instance {name[:80]!r} of the listing"
    connection = item.get("connection")
    if not isinstance(connection, dict):
        raise BadListing(f"{where} has no connection object")
    state = connection.get("state")
    if state not in CONNECTION_STATES:
        shown = repr(state)[:40]
        raise BadListing(f"{where} has connection state {shown}, not one of {', '.join(CONNECTION_STATES)}")
    jid = connection.get("numberJid")
    return Listed(name, state, jid if isinstance(jid, str) else None, summary_digest(item))


def summary_digest(item: dict) -> str:
    """A digest of what the item says of its Chatwoot integration (``chatwoot``, or
    ``integrations.chatwoot``), in whatever shape: equal digests, same summary."""
    nested = item.get("integrations")
    summary = [item.get("chatwoot"), nested.get("chatwoot") if isinstance(nested, dict) else None]
    text = json.dumps(summary, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _check_count(message: object, count: int) -> None:
    if not isinstance(message, str):
        return
    match = _FOUND.fullmatch(message)
    if match and int(match.group(1)) != count:
        raise BadListing(
            f"the instance listing says {match.group(1)} instance(s) found but holds {count}; "
            "refusing a partial listing"
        )
