"""Export: rows of the fleet as CSV or JSON, streamed, never a token.

One place for what an export holds and how a cell is written, for both ways out: the
dashboard's ``e`` (the view's :class:`~cwdash.store.fleetrow.FleetRow` rows, in its
filtered and sorted order: :data:`FLEET_COLUMNS`) and ``cwdash list --csv`` / ``--json``
(the store's :class:`~cwdash.store.listing.ListItem` rows: :data:`LIST_COLUMNS`).

CSV cells follow OWASP's rule against formula injection: text from outside that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading
``'``, so a spreadsheet shows it as text instead of running it. JSON is written as the
json module writes ``indent=2``, a batch of objects at a time (:func:`json_chunks`), so
100k instances never sit in memory as one string.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cwdash.store import status as vocabulary
from cwdash.store import upstream as upstream_rows
from cwdash.store.document import FIELDS, TOKEN

if TYPE_CHECKING:
    from cwdash.store.fleetrow import FleetRow
    from cwdash.store.listing import ListItem

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
BATCH = 500  # objects or lines joined into one write


def escape_surrogates(text: str) -> str:
    """Lone surrogates (a live ``"\\ud800"`` decodes to one) as the ``\\udXXX`` escape a JSON
    parser reads back: no UTF-8 stream can carry them."""
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_cell(value: object, *, ascii_only: bool = False) -> str:
    """One CSV cell: "" for nothing, true/false for flags, text literally but defused."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is not str:
        return str(value)
    text = escape_surrogates(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    if ascii_only:
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text


class _Lines:
    """What csv.writer writes into: collected, then handed out in batches."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


Column = tuple[str, Callable[[Any], object]]


def csv_chunks(columns: Iterable[Column], rows: Iterable[Any], *, ascii_only: bool = False) -> Iterator[str]:
    """A header line and a line per row, given out a batch of lines at a time."""
    columns = list(columns)
    out = _Lines()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in columns])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(get(row), ascii_only=ascii_only) for _, get in columns])
        if n % BATCH == 0:
            yield out.take()
    yield out.take()


# -- JSON, as json.dumps(list, indent=2) writes it, one object at a time --------------------

_PADS = ["\n" + "  " * n for n in range(8)]
_SCALARS = frozenset((str, int, bool, float, type(None)))


# json's C encoder, with a line break between members: a break never occurs inside an
# encoded value (strings escape it), so each one is a place for the indent of indent=2.
def _flat_encoder(ascii_only: bool) -> Callable[[object], str]:
    """json's C encoder, with a line break between members: a break never occurs inside an
    encoded value (strings escape it), so each is a place for the indent of ``indent=2``.
    Made once: ``JSONEncoder.encode`` builds a new one per call."""
    encoder = json.JSONEncoder(ensure_ascii=ascii_only, separators=("\n", ": "), check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the documented way
        return encoder.encode
    strings = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring  # type: ignore[attr-defined]
    iterencode = make(None, encoder.default, strings, None, ": ", "\n", False, False, True)
    return lambda value: "".join(iterencode(value, 0))


_FLAT = {ascii_only: _flat_encoder(ascii_only) for ascii_only in (False, True)}


def _value(value: object, level: int, ascii_only: bool) -> str:
    if type(value) is dict and value and level < 6:  # (keys are text: every object here has)
        return _object(value, level, ascii_only)  # type: ignore[arg-type]
    # anything else as the json module writes it, indented to where it stands
    return json.dumps(value, ensure_ascii=ascii_only, indent=2).replace("\n", _PADS[level])


def _object(obj: dict[str, object], level: int, ascii_only: bool) -> str:
    """``obj`` as ``json.dumps(obj, indent=2)`` writes it at depth ``level``.

    Runs of scalar members go through json's C encoder at once (the pure-Python encoder
    that ``indent`` takes was most of ``list --json``'s time); the rest member by member."""
    inner = _PADS[level + 1]
    flat = _FLAT[ascii_only]
    if _SCALARS.issuperset(map(type, obj.values())):  # the common case: one call
        return "{" + inner + flat(obj)[1:-1].replace("\n", "," + inner) + _PADS[level] + "}"
    parts: list[str] = []
    run: dict[str, object] = {}
    for key, value in obj.items():
        if type(value) in _SCALARS:
            run[key] = value
            continue
        if run:
            parts.append(flat(run)[1:-1].replace("\n", "," + inner))
            run = {}
        parts.append(f"{flat(key)}: {_value(value, level + 1, ascii_only)}")
    if run:
        parts.append(flat(run)[1:-1].replace("\n", "," + inner))
    return "{" + inner + ("," + inner).join(parts) + _PADS[level] + "}"


def json_item(obj: dict[str, object], *, ascii_only: bool = False) -> str:
    """One object of the array, at the array's indent (the text between ``[``'s lines)."""
    text = "  " + _value(obj, 1, ascii_only)
    return text if text.isascii() else escape_surrogates(text)


def _members(texts: list[dict[str, object]], flat: Callable[[object], str]) -> list[str]:
    """The members of each flat object, a line break between them, from one C call: in
    ``[{..}\n{..}]`` a "}\n{" can only stand between two objects (strings escape breaks)."""
    return flat(texts)[2:-2].split("}\n{") if texts else []


def _array_items(objects: list[dict[str, object]], ascii_only: bool) -> str:
    """A batch of the array's objects, at its indent, joined by ",\n".

    Objects of scalars, and objects of scalars whose last member is an object of scalars
    (a document and its ``upstream``), are encoded a batch at a time; anything else one
    by one."""
    flat = _FLAT[ascii_only]
    heads: list[dict[str, object]] = []
    tails: list[dict[str, object]] = []
    plans: list[object] = []  # per object: () (flat), (its last member's key,), or its text
    for obj in objects:
        kinds = list(map(type, obj.values()))
        if obj and _SCALARS.issuperset(kinds):
            heads.append(obj)
            plans.append(())
            continue
        if len(kinds) > 1 and kinds[-1] is dict and _SCALARS.issuperset(kinds[:-1]):
            head = obj.copy()
            key, tail = head.popitem()  # the last member: a document's upstream
            if tail and _SCALARS.issuperset(map(type, tail.values())):
                heads.append(head)
                tails.append(tail)
                plans.append((key,))
                continue
        plans.append("  " + _value(obj, 1, ascii_only))
    head_texts = iter(_members(heads, flat))
    tail_texts = iter(_members(tails, flat))
    out: list[str] = []
    for plan in plans:
        if type(plan) is str:
            out.append(plan)
            continue
        parts = [next(head_texts).replace("\n", ",\n    ")]
        for key in plan:  # type: ignore[attr-defined]
            inner = next(tail_texts).replace("\n", ",\n      ")
            parts.append(f"{flat(key)}: {{\n      {inner}\n    }}")
        out.append("  {\n    " + ",\n    ".join(parts) + "\n  }")
    text = ",\n".join(out)
    return text if text.isascii() else escape_surrogates(text)


def json_chunks(objects: Iterable[dict[str, object]], *, ascii_only: bool = False) -> Iterator[str]:
    """The text of ``json.dumps(list(objects), indent=2) + "\n"`` in pieces of
    :data:`BATCH` objects, lone surrogates escaped: nothing is given out before the first
    batch is read (so a failing query writes nothing), and a failure midway leaves an
    unclosed array, which no JSON reader takes for a complete answer."""
    batch: list[dict[str, object]] = []
    opening = "[\n"
    for obj in objects:
        batch.append(obj)
        if len(batch) >= BATCH:
            yield opening + _array_items(batch, ascii_only)
            opening = ",\n"
            batch = []
    if batch:
        yield opening + _array_items(batch, ascii_only) + "\n]\n"
    else:
        yield "[]\n" if opening == "[\n" else "\n]\n"


# -- cwdash list: the store's rows ------------------------------------------------------------


def notes(item: ListItem) -> list[str]:
    """What the list's last column adds to the last error: number offline, not listed
    upstream, token not synced (the table and the CSV say the same)."""
    listed, up = item.listed, item.upstream
    out: list[str] = []
    if up is not None and listed[1] and vocabulary.silently_broken(listed[2], up.connection):
        out.append(vocabulary.NUMBER_OFFLINE)
    if up is not None and not up.listed:
        out.append(vocabulary.NOT_LISTED)
    if item.token_unsynced:
        out.append("token not synced")
    return out


def list_state(item: ListItem) -> str:
    """The word of the list's STATUS column (lower case)."""
    if item.bad:
        return vocabulary.BAD_ROW
    if item.document is None:
        return vocabulary.STATES[vocabulary.NO_INTEGRATION].word
    return item.document["status"]  # type: ignore[return-value]


def _list_note(item: ListItem) -> str:
    return f"bad row: {item.bad}" if item.bad else "; ".join(notes(item))


def _document_field(name: str) -> Callable[[ListItem], object]:
    return lambda item: None if item.document is None else item.document[name]


# The table's columns (INSTANCE, STATUS, CONNECTION, INBOX, CHATWOOT, LAST ERROR: the
# last error is its own column, the notes beside it), then every field of the status
# document but the token.
LIST_COLUMNS: tuple[Column, ...] = (
    ("instance_name", lambda item: item.name),
    ("state", list_state),
    ("connection", lambda item: item.upstream.connection if item.upstream else ""),
    ("note", _list_note),
    *((name, _document_field(name)) for name in FIELDS[1:] if name != TOKEN),
)


def list_json(item: ListItem) -> dict[str, object]:
    """``list --json``'s object: the status document without its token for an integration,
    the name alone without one, the name and ``bad_row`` for a bad row; ``upstream`` when
    RyzeAPI's API has shown the instance."""
    out: dict[str, object]
    if item.bad:
        out = {"instance_name": item.name, "bad_row": item.bad}
    elif item.document is None:
        out = {"instance_name": item.name}
    else:
        out = item.document
    if item.upstream is not None:
        out = {**out, "upstream": upstream_rows.as_json(item.upstream)}
    return out


# -- the dashboard's view: FleetRow ----------------------------------------------------------


def fleet_state(row: FleetRow) -> str:
    """The word of the dashboard's STATUS column."""
    state = vocabulary.row_state(row.status, gone=row.gone, bad=bool(row.bad))
    return row.status if state == vocabulary.UNKNOWN else vocabulary.STATES[state].word


def fleet_source(row: FleetRow) -> str:
    """live, local, or local with the reason its live read fails; "" without integration."""
    if row.mapped is not None or not row.has_integration:
        return ""
    if row.live_at is not None and row.failure is None:
        return "live"
    return f"local: {row.failure.reason.value}" if row.failure is not None else "local"


def _wall_time(monotonic: float | None) -> str:
    if monotonic is None:
        return ""
    seconds = time.time() - (time.monotonic() - monotonic)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fleet_error(row: FleetRow) -> str:
    if row.mapped is not None and (row.has_integration or row.gone):
        return row.mapped.message
    return row.last_error


def _integrated(get: Callable[[FleetRow], object]) -> Callable[[FleetRow], object]:
    """A value that means something only for a good row with an integration."""
    return lambda row: get(row) if row.has_integration and row.mapped is None else None


FLEET_COLUMNS: tuple[Column, ...] = (
    ("instance_name", lambda row: row.name),
    ("state", fleet_state),
    ("source", fleet_source),
    ("connection", lambda row: row.connection),
    ("live_read_at", lambda row: _wall_time(row.live_at if row.failure is None else None)),
    ("local_written_at", lambda row: row.written_at),
    ("last_error", _fleet_error),
    ("chatwoot_base_url", _integrated(lambda row: row.base_url)),
    ("chatwoot_account_id", _integrated(lambda row: row.account_id)),
    ("chatwoot_inbox_id", _integrated(lambda row: row.inbox_id)),
    ("bridge_integration_id", _integrated(lambda row: row.integration_id)),
    ("site", lambda row: row.site),  # empty with one site; with --all-sites (and the demo): the row's
)


def fleet_json(row: FleetRow) -> dict[str, object]:
    return {name: get(row) for name, get in FLEET_COLUMNS}


def fleet_chunks(rows: Iterable[FleetRow], fmt: str) -> Iterator[str]:
    """The dashboard's rows as ``csv`` or ``json`` text, in pieces."""
    if fmt == "json":
        return json_chunks(fleet_json(r) for r in rows)
    return csv_chunks(FLEET_COLUMNS, rows)
