"""The help screen (``?``): every key, grouped, generated from the bindings; then a legend
of every status glyph, every SOURCE label and the list's other marks."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cwdash.store.status import ACTIVE, BAD_ROW, ERROR, GONE, NO_INTEGRATION, PAUSED, UNKNOWN
from cwdash.tui import look
from cwdash.tui.table import REASON_SHORT, WITH_URL

TABLE_KEYS = [
    ("↑ ↓  j k", "move the cursor (the detail follows)"),
    ("PgUp PgDn", "page"),
    ("Home End  g G", "first / last instance"),
    ("Tab", "move the keys to the detail (↑ ↓ PgUp PgDn scroll it), Tab again: back"),
    ("mouse", "click a row to select it, a column title to sort"),
]
FILTER_KEYS = [
    ("/", "filter: type to match name, URL, status, error text"),
    ("Enter", "keep the filter and go back to the list"),
    ("Escape", "clear the filter"),
]
STATES = [
    (ACTIVE, "the integration runs"),
    (PAUSED, "paused on purpose"),
    (ERROR, "the integration reports an error (LAST ERROR says which)"),
    (NO_INTEGRATION, "the instance has no Chatwoot integration"),
    (GONE, "deleted while shown (instance not found); it goes on the next reload"),
    (BAD_ROW, "a row another tool wrote that cwdash cannot use"),
    (UNKNOWN, "a status outside the vocabulary, shown as written"),
]
# Reason -> what the SOURCE suffix means (the label is table.REASON_SHORT's)
REASONS = {
    "timeout": "the gateway did not answer in time",
    "unreachable": "no connection to the gateway (down, wrong BRIDGE_URL)",
    "tls": "the gateway's certificate is not trusted here",
    "unauthorized": "the gateway refused BRIDGE_TOKEN",
    "not_found": "the gateway does not know this integration",
    "http_error": "the gateway answered with an error (5xx, 4xx)",
    "bad_answer": "the gateway answered something that is not a state",
    "bad_id": "the row's integration id cannot be sent",
    "unexpected": "cwdash failed to read it (the log says why)",
}


class HelpScreen(ModalScreen[None]):
    """Lists every key of the dashboard, then what each label and glyph means."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, app_bindings: list[Binding]) -> None:
        super().__init__()
        self.app_bindings = app_bindings

    def compose(self) -> ComposeResult:
        g = look.G
        text = Text()

        def line(key: str, what: str) -> None:
            text.append(f"  {key:<16}", style="bold")
            text.append(f"{what}\n")

        def heading(title: str) -> None:
            text.append(f"\n{title}\n", style="bold underline")

        text.append("cwdash keys\n", style="bold")
        heading("List")
        for key, what in TABLE_KEYS:
            line(_ascii(key) if g.ascii else key, what)
        heading("Filter")
        for key, what in FILTER_KEYS:
            line(key, what)
        heading("Actions")
        for binding in self.app_bindings:
            key = binding.key_display or binding.key
            key = key.replace("question_mark", "?").replace("slash", "/").replace("colon", ":")
            line(key, binding.tooltip or binding.description)
        line("ctrl+p", "command palette (every action, themes)")
        heading("STATUS")
        for state, what in STATES:
            line(look.state_label(state), what)
        line(f"{look.G.states[ACTIVE]} active", "slanted and faint: local values, the live read is failing")
        line(f"{g.changed} name", "marked and underlined: its status changed in the last seconds")
        heading("SOURCE")
        line("live 5s", "read live from the gateway, 5 s ago")
        line("local 3d", "the store's values, written here 3 days ago (imported, set, synced, backfilled)")
        for reason, what in REASONS.items():
            line(f"local{g.sep}{REASON_SHORT[reason]} 3d", f"live read failing: {what}")
        line(g.dash, "nothing to read live (no integration, gone, bad row)")
        heading("Marks")
        line(f"{g.up} {g.down}", "the column sorted by, ascending / descending (s, S)")
        line(g.ellipsis, "the cell is cut: Enter shows the whole text")
        line(g.mask, "the token, masked (t reveals it, y copies it)")
        text.append(f"\n  CHATWOOT and ACCT are shown from {WITH_URL} columns of list.\n", style="dim")
        text.append("\nEscape or ? closes this help.", style="dim")
        with VerticalScroll(id="help-box"):
            yield Static(text, markup=False)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


def _ascii(key: str) -> str:
    return key.replace("↑", "Up").replace("↓", "Down")
