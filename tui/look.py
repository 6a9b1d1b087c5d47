"""How each state of the status vocabulary looks on screen: a glyph and word for the
list, a style class for the list, a Rich style for the detail.

Keyed by :mod:`cwdash.store.status`, which says what the states are and mean; a state
added there without a look here fails ``tests/test_record.py``. Always a word beside
the glyph: colour is never the only sign.
"""

from __future__ import annotations

from cwdash.store.status import ACTIVE, BAD_ROW, ERROR, GONE, NO_INTEGRATION, PAUSED, UNKNOWN, row_state
from cwdash.store.text import one_line

# state -> (label, style class of the fleet table: ``fleet-table--<class>``)
LIST_CELL: dict[str, tuple[str, str]] = {
    ACTIVE: ("● active", "active"),
    PAUSED: ("◐ paused", "paused"),
    ERROR: ("✖ error", "error"),
    NO_INTEGRATION: ("○ none", "none"),
    GONE: ("⊘ gone", "gone"),
    BAD_ROW: ("✖ bad row", "error"),
    UNKNOWN: ("? ", "error"),  # followed by the status as written
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
