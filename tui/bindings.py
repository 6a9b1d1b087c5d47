"""The dashboard screen's keys (every one also in ``?`` and, but q and ?, the command
palette) and its intervals. Binding ids are what a user's [keys] table in config.toml
names (cwdash.store.prefs)."""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from typing import NamedTuple

from textual.binding import Binding

from cwdash.tui.feed import RESULTS_EVERY
from cwdash.tui.loader import STORE_CHECK_EVERY

BINDINGS = [
    Binding("q", "app.quit", "Quit", id="quit", tooltip="quit cwdash"),
    # priority: "/" is handled when the app takes it in, before the keys behind it are
    # routed, so a burst ("/co") types into the field it opens (see action_filter)
    Binding(
        "slash",
        "filter",
        "Filter",
        key_display="/",
        id="filter",
        tooltip="filter the list as you type",
        priority=True,
    ),
    Binding("r", "refresh", "Refresh", id="refresh", tooltip="read every instance live again, now"),
    # a and s: in ? (the footer keeps room at 80 columns for the on-call keys n, :, Enter)
    Binding("a", "attention", "Attn", id="attention", show=False, tooltip="only rows that need attention"),
    Binding("s", "sort", "Sort", id="sort", show=False, tooltip="sort by the next column"),
    Binding("S", "sort_reverse", "Reverse", id="sort_reverse", show=False, tooltip="reverse the sort"),
    Binding("t", "toggle_token", "Token", id="token", tooltip="reveal / hide the selected token"),
    # y: the detail's token line says it ("t reveals, y copies"); the footer keeps its room
    Binding("y", "copy_token", "Copy", id="copy", show=False, tooltip="copy the token (OSC 52), not shown"),
    Binding(
        "v", "verify", "Verify", id="verify", show=False, tooltip="verify the selected token against Chatwoot"
    ),
    Binding("n", "next_attention(1)", "Next", id="next", tooltip="next instance that needs attention"),
    Binding(
        "N",
        "next_attention(-1)",
        "Prev",
        id="previous",
        show=False,
        tooltip="previous instance that needs attention",
    ),
    Binding(
        "colon",
        "jump",
        "Jump",
        key_display=":",
        id="jump",
        tooltip="jump to an instance by name (exact, or the first it starts)",
        priority=True,
    ),
    Binding(
        "enter", "open_full", "Full", id="full", tooltip="the selected instance full screen: whole error"
    ),
    Binding(
        "c",
        "changes",
        "Changes",
        id="changes",
        tooltip="what changed since you last looked (Enter goes there)",
    ),
    Binding("p", "pause", "Pause", id="pause", tooltip="pause / resume live reads"),
    Binding(
        "question_mark", "help", "Help", key_display="?", id="help", tooltip="every key, label and glyph"
    ),
    Binding(
        "e", "export", "Export", id="export", show=False, tooltip="write the list as shown to CSV or JSON"
    ),
]


class Timing(NamedTuple):
    """The screen's intervals, in seconds (tests set short ones; nothing patches constants)."""

    tick: float = 1.0  # the header, the list's ages, the token's auto-hide
    store_check: float = STORE_CHECK_EVERY
    results_every: float = RESULTS_EVERY
    detail_settle: float = 0.06  # the cursor must rest this long before a racing cursor's detail renders
    reveal_seconds: float = 20.0
    connections_every: float = 60.0  # RyzeAPI's instance listing at most this often (tui/connections.py)
