"""The fleet list's columns and cells: which columns fit a width, and what each cell says.

Plain functions of a row and a width, apart from the widget that draws them
(:mod:`cwdash.tui.table`): every text is sanitised (:func:`cwdash.store.text.one_line`)
and comes with the name of its style class, never markup.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from typing import TYPE_CHECKING, NamedTuple

from rich.cells import cell_len, set_cell_size

from cwdash.store.fleet import FleetRow
from cwdash.store.text import one_line
from cwdash.store.timefmt import since, span
from cwdash.tui import connections, look
from cwdash.tui.look import STATUS_WIDTH, list_cell

if TYPE_CHECKING:
    from cwdash.tui.history_state import History

REASON_SHORT = {
    "timeout": "timeout",
    "unreachable": "unreachable",
    "tls": "TLS",
    "unauthorized": "auth",
    "not_found": "unknown",
    "http_error": "bridge err",
    "bad_answer": "bad answer",
    "bad_id": "bad id",
    "proxy": "proxy",
    "proxy_auth": "proxy auth",
    "rate_limited": "rate limit",
    "unexpected": "error",
}
WITH_URL = 110  # columns of the list: from here on CHATWOOT and ACCT are shown (when they fit)
WITH_SINCE = 72  # from here on SINCE (history: time in the current state)
WITH_FLAPS = 90  # from here on FLAP (transitions in the last hour)
LAST_ERROR_MIN = 18  # cells LAST ERROR keeps before the optional columns give way
GIVES_FIRST = ("inbox", "flaps", "connection", "since")  # in this order, while LAST ERROR is short


def fit(text: str, width: int) -> str:
    """Pad or cut ``text`` to exactly ``width`` cells; a cut ends with an ellipsis."""
    length = cell_len(text)
    if length == width:
        return text
    if length < width:
        return text + " " * (width - length)
    return set_cell_size(text, max(0, width - 1)) + look.G.ellipsis if width else ""


class Column(NamedTuple):
    key: str
    title: str
    width: int  # 0: takes the remaining width


def status_cell(row: FleetRow) -> tuple[str, str]:
    """Label and style class of a row's status: always a word, never colour alone."""
    return list_cell(row.status, gone=row.gone, bad=bool(row.bad))


def local_age(row: FleetRow) -> str:
    """How long ago cwdash last wrote the row's local data ("" when not known)."""
    seconds = since(row.written_at) if row.written_at else None
    return "" if seconds is None else span(seconds)


def source_cell(row: FleetRow, now: float) -> tuple[str, str]:
    """Whether the status is live (and how old) or local (written how long ago), and why."""
    if row.mapped is not None or not row.has_integration:
        return look.G.dash, "dim"
    if row.live_at is not None and row.failure is None:
        return f"live {span(now - row.live_at)}", "live"
    written = local_age(row)
    age = f" {written}" if written else ""
    if row.failure is not None:
        return f"local{look.G.sep}{REASON_SHORT.get(row.failure.reason.value, '?')}{age}", "failing"
    return f"local{age}", "dim"


def columns_for(
    width: int, *, show_connection: bool = False, site_width: int = 0, show_history: bool = True
) -> list[Column]:
    """What gives first as the list narrows: the URL and account, then INBOX (both in
    the detail), then the flap count, then the WhatsApp column, then SINCE, until LAST
    ERROR keeps :data:`LAST_ERROR_MIN` cells (a SITE column and a detail beside the list
    left it 6 cells at 160 columns)."""
    dropped: set[str] = set()
    while True:
        cols = _columns_without(width, dropped, show_connection, site_width, show_history)
        error = next(c.width for c in cols if c.key == "last_error")
        give = next((k for k in GIVES_FIRST if k not in dropped and any(c.key == k for c in cols)), None)
        if error >= LAST_ERROR_MIN or give is None:
            return cols
        dropped.add(give)


def _columns_without(
    width: int, dropped: set[str], show_connection: bool, site_width: int, show_history: bool
) -> list[Column]:
    cols = [
        Column("status", "STATUS", STATUS_WIDTH),
        Column("name", "INSTANCE", 0),
        Column("source", "SOURCE", 21),
    ]
    if width >= 94 and show_connection and connections.COLUMN_KEY not in dropped:
        cols.insert(2, Column(connections.COLUMN_KEY, connections.COLUMN_TITLE, connections.COLUMN_WIDTH))
    if site_width:  # several sites: a short column on a narrow screen, names cut with …
        cols.insert(1, Column("site", "SITE", min(site_width, 14 if width >= WITH_URL else 8)))
    if show_history and width >= WITH_SINCE and "since" not in dropped:
        cols.append(Column("since", "SINCE", 7))  # 7: "SINCE ▲"
    if show_history and width >= WITH_FLAPS and "flaps" not in dropped:
        cols.append(Column("flaps", "FLAP", 4))

    def room(extra: list[Column]) -> int:  # cells left for the name, the URL and LAST ERROR
        return width - sum(c.width + 1 for c in (*cols, *extra)) - 2  # - 2: the marker, LAST ERROR's gap

    inbox = [Column("inbox", "INBOX", 7)]
    tail = inbox if "inbox" not in dropped and room(inbox) >= 12 + 28 else []  # INBOX is in the detail
    url = [Column("url", "CHATWOOT", 0), Column("account", "ACCT", 5)]
    wide = width >= WITH_URL and room([*url, *tail]) >= 12 + 16 + 13
    if wide:
        cols += url
    cols += [*tail, Column("last_error", "LAST ERROR", 0)]
    flexible = max(0, width - sum(c.width + 1 for c in cols) - 1)  # - 1: the marker's column
    sizes = {"name": max(12, min(26, flexible // 4 if wide else flexible * 2 // 5))}
    if wide:
        sizes["url"] = max(16, min(32, flexible // 4))
    sizes["last_error"] = max(10, flexible - sum(sizes.values()))
    return [Column(c.key, c.title, sizes.get(c.key, c.width)) for c in cols]


def cell(
    row: FleetRow, key: str, now: float, history: "History | None" = None, since_at: object = None
) -> tuple[str, str]:
    """What the cell of column ``key`` says for ``row``, and its style class (``fleet-table--*``)."""
    if key == "status":
        return status_cell(row)
    if key == "name":
        return one_line(row.name, 200), ""
    if key == "site":
        return one_line(row.site, 100), "dim"
    if key == "source":
        return source_cell(row, now)
    if key == connections.COLUMN_KEY:
        return connections.connection_cell(row)
    if key == "since":
        return ("", "") if history is None else (history.since_text(since_at, row.key), "dim")  # type: ignore[arg-type]
    if key == "flaps":
        return ("", "") if history is None else (history.flap_text(row.key), "failing")
    if row.has_integration or row.gone:
        if row.mapped is not None:  # gone, a bad row, a 503: its old values mean nothing now
            return (row.mapped.message, "gone") if key == "last_error" else (look.G.dash, "dim")
    else:
        return ("no integration", "dim") if key == "last_error" else ("", "")
    if key == "url":  # the host says it all; "http://" stays, as a warning
        return one_line(row.base_url.removeprefix("https://"), 200), "dim"
    if key == "account":
        return str(row.account_id), "dim"
    if key == "inbox":
        return (str(row.inbox_id), "") if row.inbox_id else (look.G.dash, "dim")
    if key == "last_error":
        if not row.last_error and row.connection:
            return connections.offline_note(row), "error"
        return one_line(row.last_error, 300), "error" if row.last_error else ""
    return "", ""
