"""How each state of the status vocabulary looks on screen: a glyph and word for the
list, a style class for the list, a Rich style for the detail.

Keyed by :mod:`cwdash.store.status`, which says what the states are and mean; a state
added there without a look here fails ``tests/test_record.py``. Always a word beside
the glyph: colour is never the only sign.
"""

from __future__ import annotations

from cwdash.store.status import ACTIVE, BAD_ROW, ERROR, GONE, NO_INTEGRATION, PAUSED, UNKNOWN, row_state
from cwdash.store.text import one_line

# state -> its glyph, beside a word wherever it is shown (the list, the header's counts)
GLYPH: dict[str, str] = {
    ACTIVE: "●",
    PAUSED: "◐",
    ERROR: "✖",
    NO_INTEGRATION: "○",
    GONE: "⊘",
    BAD_ROW: "✖",
    UNKNOWN: "?",
}
# state -> (label, style class of the fleet table: ``fleet-table--<class>``)
LIST_CELL: dict[str, tuple[str, str]] = {
    ACTIVE: (f"{GLYPH[ACTIVE]} active", "active"),
    PAUSED: (f"{GLYPH[PAUSED]} paused", "paused"),
    ERROR: (f"{GLYPH[ERROR]} error", "error"),
    NO_INTEGRATION: (f"{GLYPH[NO_INTEGRATION]} none", "none"),
    GONE: (f"{GLYPH[GONE]} gone", "gone"),
    BAD_ROW: (f"{GLYPH[BAD_ROW]} bad row", "error"),
    UNKNOWN: (f"{GLYPH[UNKNOWN]} ", "error"),  # followed by the status as written
}
# status -> Rich style of the detail's status line (anything else: bold)
DETAIL_STYLE: dict[str, str] = {ACTIVE: "bold green", PAUSED: "bold yellow", ERROR: "bold red"}


def list_cell(status: str, *, gone: bool, bad: bool) -> tuple[str, str]:
    """Label and style class of a row's status in the list."""
    state = row_state(status, gone=gone, bad=bad)
    label, style = LIST_CELL[state]
    if state == UNKNOWN:
        return f"{label}{one_line(status, 40)}", style
    return label, style


def detail_style(status: str) -> str:
    return DETAIL_STYLE.get(status, "bold")
