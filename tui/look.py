"""How each state of the status vocabulary looks on screen: a glyph and word for the
list, a style class for the list, a Rich style for the detail; and the one glyph table,
in Unicode or in ASCII for terminals that cannot show more.

Keyed by :mod:`cwdash.store.status`, which says what the states are and mean (its words
are the CLI's too: one vocabulary); a state added there without a look here fails
``tests/test_record.py``. Always a word beside the glyph: colour is never the only sign.

Every non-ASCII character the dashboard draws comes from :data:`G`; :func:`use_ascii`
switches it to ASCII where the locale is not UTF-8 (``LANG=C``: tmux shows each such
character as ``_``) or with ``--ascii``.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from typing import NamedTuple

from cwdash.store.status import (
    ACTIVE,
    BAD_ROW,
    ERROR,
    GONE,
    NO_INTEGRATION,
    PAUSED,
    STATES,
    UNKNOWN,
    row_state,
)
from cwdash.store.text import one_line


class Glyphs(NamedTuple):  # not a dataclass: see tests/test_packaging.py
    """Every glyph the screens draw; one set per kind of terminal."""

    states: dict[str, str]
    up: str = "▲"
    down: str = "▼"
    ellipsis: str = "…"  # one cell: ends a cut cell
    dash: str = "—"  # nothing to show
    sep: str = "·"  # between two short words ("local·auth")
    mask_char: str = "•"
    changed: str = "◆"  # beside a row whose status just changed
    warn: str = "⚠"  # numbers offline in the header
    flap: str = "↯"  # before a flap count ("↯3": 3 transitions in the last hour)
    arrow: str = "→"  # old → new, in the history of an instance
    # the detail's 24 h strip: one cell per hour, its height says the state without colour
    timeline: dict[str, str] = {ACTIVE: "▁", PAUSED: "▄", ERROR: "█", GONE: "░", UNKNOWN: "▂", "": "·"}
    ascii: bool = False

    @property
    def mask(self) -> str:
        return self.mask_char * 12


UNICODE = Glyphs(
    states={
        ACTIVE: "●",
        PAUSED: "◐",
        ERROR: "✖",
        NO_INTEGRATION: "○",
        GONE: "⊘",
        BAD_ROW: "✖",
        UNKNOWN: "?",
    }
)
ASCII = Glyphs(
    states={
        ACTIVE: "*",
        PAUSED: "=",
        ERROR: "X",
        NO_INTEGRATION: "o",
        GONE: "/",
        BAD_ROW: "!",
        UNKNOWN: "?",
    },
    up="^",
    down="v",
    warn="!",
    ellipsis="~",
    dash="-",
    sep=":",
    mask_char="*",
    changed="+",
    flap="x",
    arrow="->",
    timeline={ACTIVE: "_", PAUSED: "=", ERROR: "X", GONE: "/", UNKNOWN: "?", "": "."},
    ascii=True,
)

G: Glyphs = UNICODE  # the table in use; switched once at start-up by use_ascii


def use_ascii(on: bool) -> None:
    """Draw with ASCII only (True) or Unicode (False), from here on."""
    global G
    G = ASCII if on else UNICODE


# what Textual draws for some keys, and their ASCII names
_KEY_NAMES = {"⏎": "Enter", "↑": "Up", "↓": "Down", "←": "Left", "→": "Right", "⇥": "Tab", "⌫": "Bksp"}


def key_display(text: str) -> str:
    """A key as the footer shows it, in ASCII when the glyphs are (``⏎`` -> ``Enter``)."""
    if not G.ascii or text.isascii():
        return text
    for glyph, name in _KEY_NAMES.items():
        text = text.replace(glyph, name)
    return text


# state -> style class of the fleet table (``fleet-table--<class>``)
LIST_STYLE: dict[str, str] = {
    ACTIVE: "active",
    PAUSED: "paused",
    ERROR: "error",
    NO_INTEGRATION: "none",
    GONE: "gone",
    BAD_ROW: "error",
    UNKNOWN: "error",
}
# status -> Rich style of the detail's status line (anything else: bold)
DETAIL_STYLE: dict[str, str] = {ACTIVE: "bold green", PAUSED: "bold yellow", ERROR: "bold red"}
# The widest status label of the list (the column is this wide).
STATUS_WIDTH = max(len(s.word) for s in STATES.values()) + 2  # glyph, space, word (the marker follows)


def state_label(state: str) -> str:
    """Glyph and word of a state, as the list and the header's counts show it."""
    return f"{G.states[state]} {STATES[state].word}"


def list_cell(status: str, *, gone: bool, bad: bool) -> tuple[str, str]:
    """Label and style class of a row's status in the list."""
    state = row_state(status, gone=gone, bad=bad)
    style = LIST_STYLE[state]
    if state == UNKNOWN:  # the status as written
        return f"{G.states[UNKNOWN]} {one_line(status, 40)}", style
    return state_label(state), style


# state -> Rich style of a cell of the detail's 24 h strip (the glyph says it without colour)
TIMELINE_STYLE: dict[str, str] = {
    ACTIVE: "green",
    PAUSED: "yellow",
    ERROR: "bold red",
    GONE: "dim",
    "": "dim",
}


def detail_style(status: str) -> str:
    return DETAIL_STYLE.get(status, "bold")


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21; body text wants 4.5 at least)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


BLACK_TEXT, WHITE_TEXT = (0, 0, 0), (255, 255, 255)


def readable_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``background`` (the cursor's bar: a theme's
    accent is orange in one theme and violet in the next; white on orange read at 2:1)."""
    if contrast(BLACK_TEXT, background) >= contrast(WHITE_TEXT, background):
        return BLACK_TEXT
    return WHITE_TEXT
