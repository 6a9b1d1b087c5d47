"""How the commands print: JSON any reader parses, and the text of ``status`` and ``list``.

Text from the store or the gateway is printed literally and on one line per field
(:mod:`cwdash.store.text`), so a name or an error cannot forge output or move the
cursor. Commands call these through the module (``output.print_json``), one place
to replace in a test.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence

from cwdash.cli import color
from cwdash.store.db import ListRow
from cwdash.store.document import FLAG_MEANINGS, NOT_SYNCED_HINT, StatusDocument
from cwdash.store.readmodel import StatusRead
from cwdash.store.sources.outcome import LiveFailure
from cwdash.store.status import BAD_ROW, NO_INTEGRATION, NOT_LISTED, NUMBER_OFFLINE, STATES, silently_broken
from cwdash.store.text import cell_width, literal, one_line
from cwdash.store.timefmt import age
from cwdash.store.upstream import Upstream

MASK = "••••••••"
NO_INTEGRATION_WORD = STATES[NO_INTEGRATION].word
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: object, *, ascii_only: bool = False) -> str:
    """``value`` as JSON that any reader parses and any UTF-8 stream can carry.

    Text is kept readable (not ``\\u``-escaped), except lone surrogates (a live
    ``"\\ud800"`` decodes to one): they cannot be encoded as UTF-8, so they are written
    as the same ``\\udXXX`` escapes a JSON parser reads back to the same string.
    """
    text = json.dumps(value, ensure_ascii=ascii_only, indent=2)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(value: object) -> None:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    sys.stdout.write(json_text(value, ascii_only=encoding != "utf8") + "\n")


def describe_failure(failure: LiveFailure | None) -> str:
    return f"{failure.describe()} ({failure.hint})" if failure else ""


def connection_text(up: Upstream | None, status: str = "") -> str:
    """The WhatsApp connection as ``status`` shows it: state, when listed, and what it breaks."""
    if up is None or not up.connection:
        text = "— (not known: `cwdash sync` reads it from RyzeAPI)"
    else:
        text = up.connection.upper() + (f"  (listed {age(up.listed_at)})" if up.listed_at else "")
        if silently_broken(status, up.connection):
            text += f"  — {NUMBER_OFFLINE}: the integration says active, but Chatwoot receives nothing"
    if up is not None and not up.listed:
        text += f"  — {NOT_LISTED} since {up.unlisted_since or '?'}"
    return text


def _token_text(doc: StatusDocument, token_problem: str | None) -> str:
    if not doc.chatwoot_api_token.synced:
        return f"not synced ({NOT_SYNCED_HINT})"
    return f"cannot be opened ({token_problem})" if token_problem else f"{MASK} (masked; --json prints it)"


def status_text(result: StatusRead, token_problem: str | None, up: Upstream | None = None) -> str:
    """``cwdash status`` without ``--json``: the record, one labelled line per field."""
    doc = result.document
    source = "live" if result.source == "live" else "local"
    if result.source == "local" and result.failure is None:
        source = "local (live read skipped)"
    elif result.failure is not None:
        source = f"local — {result.failure.title}"
    rows = [
        ("status", f"{doc.status.upper()}  [{source}]"),
        ("bridge integration", doc.bridge_integration_id),
        ("chatwoot", f"{doc.chatwoot_base_url}  account {doc.chatwoot_account_id}"),
        (
            "inbox",
            f"{doc.chatwoot_inbox_id or '— (not known yet)'}  {doc.chatwoot_inbox_name}"
            + ("  (backfilled)" if result.backfilled else ""),
        ),
        ("token", _token_text(doc, token_problem)),
        ("last error", doc.last_error or "—"),
        ("created", f"{doc.created_at}  ({age(doc.created_at)})"),
        ("connection", connection_text(up, doc.status)),
    ]
    unsynced_flags = up is not None and not up.flags_synced
    for flag, meaning in FLAG_MEANINGS.items():
        note = "  (not returned by RyzeAPI: local value)" if unsynced_flags else ""
        rows.append((flag, f"{'on ' if getattr(doc, flag) else 'off'}  {meaning}{note}"))
    width = max(len(k) for k, _ in rows)
    lines = [one_line(doc.instance_name, 200)]
    lines += [f"  {k.ljust(width)}  {literal(v, limit=4000)}" for k, v in rows]
    word = literal(doc.status.upper(), limit=100)
    if lines[1].startswith(f"  {'status'.ljust(width)}  {word}"):  # colour the word cwdash printed
        head = f"  {'status'.ljust(width)}  "
        lines[1] = head + color.status_word(word) + lines[1][len(head) + len(word) :]
    return "\n".join(lines)


def _connection_cell(row: ListRow, up: Upstream | None) -> str:
    if up is None:
        return "—"
    cell = up.connection.upper() or "—"
    if row.has_integration and not row.bad and silently_broken(row.status, up.connection):
        cell += "!"  # active integration on an offline number: see the last column
    return cell


def _note(row: ListRow, up: Upstream | None, unsynced: frozenset[str]) -> str:
    if row.bad:
        return f"bad row: {row.bad}"
    notes = [one_line(row.last_error, 60)] if row.last_error else []
    if up is not None and row.has_integration and silently_broken(row.status, up.connection):
        notes.append(NUMBER_OFFLINE)
    if up is not None and not up.listed:
        notes.append(NOT_LISTED)
    if row.name in unsynced:
        notes.append("token not synced")
    return "; ".join(notes)


def print_list(
    rows: Sequence[ListRow],
    upstream: dict[str, Upstream] | None = None,
    unsynced: frozenset[str] = frozenset(),
) -> None:
    """``cwdash list`` without ``--json``: a table of columns padded to the widest cell.

    CONNECTION is the WhatsApp connection RyzeAPI's listing last reported (``—`` unknown),
    with ``!`` when the integration says active on a number that is offline."""
    ups = upstream or {}
    header = ("INSTANCE", "STATUS", "CONNECTION", "INBOX", "CHATWOOT", "LAST ERROR")
    table = [
        (
            one_line(r.name, 40),
            (BAD_ROW if r.bad else r.status if r.has_integration else NO_INTEGRATION_WORD).upper(),
            _connection_cell(r, ups.get(r.name)),
            str(r.inbox_id or "—") if r.has_integration and not r.bad else "",
            one_line(r.base_url, 50),
            _note(r, ups.get(r.name), unsynced),
        )
        for r in rows
    ]
    widths = [max(len(header[i]), *(cell_width(t[i]) for t in table)) for i in range(5)]
    for n, line in enumerate([header, *table]):
        cells = [c + " " * (w - cell_width(c)) for c, w in zip(line[:5], widths, strict=True)]
        if n:  # the status word is cwdash's own: coloured when colour is on
            cells[1] = color.status_word(line[1]) + cells[1][len(line[1]) :]
        print(("  ".join(cells) + "  " + line[5]).rstrip())
