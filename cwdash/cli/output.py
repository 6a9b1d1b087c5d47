"""How the commands print: JSON any reader parses, and the text of ``status`` and ``list``.

Text from the store or the gateway is printed literally and on one line per field
(:mod:`cwdash.store.text`), so a name or an error cannot forge output or move the
cursor. Commands call these through the module (``output.print_json``), one place
to replace in a test.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from cwdash.cli import color
from cwdash.store import export
from cwdash.store.charset import dash, mask
from cwdash.store.document import FLAG_MEANINGS, NOT_SYNCED_HINT, StatusDocument
from cwdash.store.listing import ListItem
from cwdash.store.readmodel import StatusRead
from cwdash.store.sources.outcome import LiveFailure
from cwdash.store.status import BAD_ROW, NO_INTEGRATION, NOT_LISTED, NUMBER_OFFLINE, STATES, silently_broken
from cwdash.store.text import cell_width, literal, one_line
from cwdash.store.timefmt import age
from cwdash.store.upstream import Upstream

MASK = "\u2022" * 8  # the masked token in JSON: one value whatever the terminal
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


def stdout_is_utf8() -> bool:
    """Whether stdout carries UTF-8: else JSON and CSV escape what is not ASCII."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return encoding == "utf8"


def print_json(value: object) -> None:
    sys.stdout.write(json_text(value, ascii_only=not stdout_is_utf8()) + "\n")


def describe_failure(failure: LiveFailure | None) -> str:
    return f"{failure.describe()} ({failure.hint})" if failure else ""


def connection_text(up: Upstream | None, status: str = "") -> str:
    """The WhatsApp connection as ``status`` shows it: state, when listed, and what it breaks."""
    if up is None or not up.connection:
        text = f"{dash()} (not known: `cwdash sync` reads it from RyzeAPI)"
    else:
        text = up.connection.upper() + (f"  (listed {age(up.listed_at)})" if up.listed_at else "")
        if silently_broken(status, up.connection):
            text += f"  {dash()} {NUMBER_OFFLINE}: the integration says active, but Chatwoot receives nothing"
    if up is not None and not up.listed:
        text += f"  {dash()} {NOT_LISTED} since {up.unlisted_since or '?'}"
    return text


def _token_text(doc: StatusDocument, token_problem: str | None) -> str:
    if not doc.chatwoot_api_token.synced:
        return f"not synced ({NOT_SYNCED_HINT})"
    return f"cannot be opened ({token_problem})" if token_problem else f"{mask()} (masked; --json prints it)"


def status_text(result: StatusRead, token_problem: str | None, up: Upstream | None = None) -> str:
    """``cwdash status`` without ``--json``: the record, one labelled line per field."""
    doc = result.document
    source = "live" if result.source == "live" else "local"
    if result.source == "local" and result.failure is None:
        source = "local (live read skipped)"
    elif result.failure is not None:
        source = f"local {dash()} {result.failure.title}"
    rows = [
        ("status", f"{doc.status.upper()}  [{source}]"),
        ("bridge integration", doc.bridge_integration_id),
        ("chatwoot", f"{doc.chatwoot_base_url}  account {doc.chatwoot_account_id}"),
        (
            "inbox",
            f"{doc.chatwoot_inbox_id or dash() + ' (not known yet)'}  {doc.chatwoot_inbox_name}"
            + ("  (backfilled)" if result.backfilled else ""),
        ),
        ("token", _token_text(doc, token_problem)),
        ("last error", doc.last_error or dash()),
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


def _connection_cell(has: bool, bad: str | None, status: str, up: Upstream | None, unknown: str) -> str:
    if up is None:
        return unknown
    cell = up.connection.upper() or unknown
    if has and not bad and silently_broken(status, up.connection):
        cell += "!"  # active integration on an offline number: see the last column
    return cell


def _note(item: ListItem) -> str:
    error, bad = item.listed[3], item.listed[9]
    if bad:
        return f"bad row: {bad}"
    notes = [one_line(error, 60)] if error else []
    return "; ".join(notes + export.notes(item))


class _Cells:
    """The five padded cells of a listing's line (the last column is not padded), and
    their widths. URLs, status words and connections repeat across a fleet: each distinct
    one is worked out once, so reading the listing twice costs little more than once."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.widths: dict[str, int] = {}
        self.dash = dash()  # the locale is asked once per listing, not per row

    def width(self, cell: str) -> int:
        if cell.isascii():
            return len(cell)
        known = self.widths.get(cell)
        if known is None:
            known = self.widths[cell] = cell_width(cell)
        return known

    def of(self, item: ListItem) -> tuple[str, str, str, str, str]:
        name, has, status, _, url, _, inbox, _, _, bad, _ = item.listed
        url_cell = self.urls.get(url)
        if url_cell is None:
            url_cell = self.urls[url] = one_line(url, 50)
        # a printable ASCII name of up to 40 characters is its own cell (one_line's answer)
        plain = len(name) <= 40 and name.isascii() and name.isprintable()
        return (
            name if plain else one_line(name, 40),
            (BAD_ROW if bad else status if has else NO_INTEGRATION_WORD).upper(),
            _connection_cell(has, bad, status, item.upstream, self.dash),
            str(inbox or self.dash) if has and not bad else "",
            url_cell,
        )


def print_list(listing: Callable[[], Iterable[ListItem]]) -> int:
    """``cwdash list`` without ``--json``: a table of columns padded to the widest cell;
    how many instances it listed.

    Streamed: the widths are known only after the last row, so the lines wait in an
    unnamed temporary file (no token is ever in them) instead of in memory. When no
    temporary file can be written (a full disk), ``listing()`` is read a second time,
    inside the same read transaction, so both reads see the same rows.
    CONNECTION is the WhatsApp connection RyzeAPI's listing last reported (``—`` unknown),
    with ``!`` when the integration says active on a number that is offline."""
    header = ("INSTANCE", "STATUS", "CONNECTION", "INBOX", "CHATWOOT", "LAST ERROR")
    cells = _Cells()
    width = cells.width
    widths = [len(h) for h in header[:5]]
    count = 0
    spool = _Spool()
    for item in listing():
        count += 1
        line = cells.of(item)
        for i, cell in enumerate(line):
            if len(cell) > widths[i] or not cell.isascii():
                widths[i] = max(widths[i], width(cell))
        spool.add(line, item)
    if not count:
        return 0
    write = sys.stdout.write
    write(
        ("  ".join(c.ljust(w) for c, w in zip(header[:5], widths, strict=True)) + "  " + header[5]).rstrip()
    )
    write("\n")
    words: dict[str, str] = {}  # the status word, coloured (when colour is on) and padded
    lines: list[str] = []
    again = ((cells.of(item), _note(item)) for item in listing())
    for (name, word, connection, inbox, url), note in spool.lines() if spool.whole else again:
        shown = words.get(word)
        if shown is None:  # the status word is cwdash's own: coloured when colour is on
            shown = words[word] = color.status_word(word) + " " * (widths[1] - width(word))
        line = (
            f"{name}{' ' * (widths[0] - width(name))}  {shown}  "
            f"{connection}{' ' * (widths[2] - width(connection))}  "
            f"{inbox}{' ' * (widths[3] - width(inbox))}  "
            f"{url}{' ' * (widths[4] - width(url))}  {note}"
        )
        lines.append(line.rstrip())
        if len(lines) >= 500:
            lines.append("")
            write("\n".join(lines))
            lines.clear()
    if lines:
        lines.append("")
        write("\n".join(lines))
    return count


class _Spool:
    """The table's lines, unpadded, in an unnamed temporary file until the widths are known.

    Cells are one line each (:func:`one_line` makes tabs and newlines visible), so a tab
    separates them. ``whole`` is False once a write failed: the caller reads the store again."""

    def __init__(self) -> None:
        self.file: IO[str] | None = None
        self.whole = True

    def add(self, cells: tuple[str, ...], item: ListItem) -> None:
        if not self.whole:
            return
        try:
            if self.file is None:
                # kept open across calls, closed by lines() or close()
                self.file = tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass")  # noqa: SIM115
            self.file.write("\t".join(cells) + "\t" + _note(item) + "\n")
        except OSError:
            self.whole = False
            self.close()

    def lines(self) -> Iterator[tuple[tuple[str, str, str, str, str], str]]:
        if self.file is None:
            return
        try:
            self.file.seek(0)
            for line in self.file:
                name, word, connection, inbox, url, note = line[:-1].split("\t")
                yield (name, word, connection, inbox, url), note
        finally:
            self.close()

    def close(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
            self.file = None
