"""The help screen (``?``): every key, grouped, generated from the bindings; then a legend
of every status glyph, every SOURCE label and the list's other marks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cwdash.store.status import ACTIVE, BAD_ROW, ERROR, GONE, NO_INTEGRATION, PAUSED, UNKNOWN
from cwdash.styles import sheet
from cwdash.tui import look
from cwdash.tui.cells import REASON_SHORT, WITH_URL

if TYPE_CHECKING:
    from rich.table import Table

TABLE_KEYS = [
    ("↑ ↓  j k", "move the cursor (the detail follows)"),
    ("PgUp PgDn", "page"),
    ("Home End  g G", "first / last instance"),
    ("Tab", "the keys go to the detail, which ↑ ↓ PgUp PgDn scroll; Tab again: back to the list"),
    ("mouse", "click a row to select it, a column title to sort"),
]
FILTER_KEYS = [
    ("", "filter: type to match name, URL, status, error text"),  # the filter binding's key
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
    "proxy": "the proxy refused the connection (HTTPS_PROXY, HTTP_PROXY)",
    "proxy_auth": "the proxy wants credentials",
    "rate_limited": "RyzeAPI's rate limit: the read waits for the reset",
    "unexpected": "cwdash failed to read it (the log says why)",
}


class HelpScreen(ModalScreen[None]):
    """Lists every key of the dashboard, then what each label and glyph means."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    CSS_PATH = sheet("help")  # read when the help first opens

    def __init__(self, app_bindings: list[Binding]) -> None:
        super().__init__()
        self.app_bindings = app_bindings

    def on_mount(self) -> None:
        self.set_class(look.G.ascii, "-ascii")

    def compose(self) -> ComposeResult:
        from rich.table import Table  # on the first ?, not at start-up

        g = look.G
        parts: list[object] = [Text("cwdash keys", style="bold")]
        grid: Table | None = None

        def line(key: str, what: str) -> None:
            assert grid is not None
            if g.ascii:
                key, what = _ascii(key), _ascii(what)
            grid.add_row(Text(key, style="bold"), Text(what))  # wrapped under its own column

        def heading(title: str) -> None:
            nonlocal grid
            grid = Table.grid(padding=(0, 2))
            grid.add_column(width=18, no_wrap=True, overflow="crop")
            grid.add_column(ratio=1)
            parts.extend([Text(f"\n{title}", style="bold underline"), grid])

        heading("List")
        for key, what in TABLE_KEYS:
            line(key, what)
        heading("Filter")
        filter_key = next((self.key_of(b) for b in self.app_bindings if b.id == "filter"), "/")
        for key, what in FILTER_KEYS:
            line(key or filter_key, what)
        heading("Actions")
        for binding in self.app_bindings:
            line(self.key_of(binding), binding.tooltip or binding.description)
        line("ctrl+p", "command palette (every action, themes)")
        heading("STATUS")
        for state, what in STATES:
            line(look.state_label(state), what)
        line(f"{look.G.states[ACTIVE]} active", "slanted and faint: local values, the live read is failing")
        line(f"{g.changed} name", "marked and underlined: its status changed in the last seconds")
        heading("SOURCE")
        line("live 5s", "read live from the gateway, 5 s ago")
        line("local 3d", "the store's values, written here 3 days ago (imported, set, synced, backfilled)")
        line(f"local{g.sep}auth 3d", "the same, and why its live read fails (the age follows each below)")
        for reason, what in REASONS.items():
            line(f"local{g.sep}{REASON_SHORT[reason]}", f"live read failing: {what}")
        line(g.dash, "nothing to read live (no integration, gone, bad row)")
        heading("VERIFY (v)")
        line(
            "OK / WARNING",
            "the token works / it works but the inbox name differs, or its id is not known yet",
        )
        line(
            "CRITICAL",
            "Chatwoot refuses it (revoked, proxy drops underscore headers, no admin role, "
            "no account, inbox deleted, wrong URL, unreachable); the detail says what to do",
        )
        line("UNKNOWN", "the check could not tell (token not opened, outgoing proxy failed)")
        heading("History")
        line("SINCE 3m", "time in the current state (2h, 4d); s sorts by it, the latest change first")
        line(f"{g.flap}3", "FLAP: transitions in the last hour (status, WhatsApp, live/local, listed)")
        tl = g.timeline
        line(
            f"{tl[ACTIVE]}{tl[PAUSED]}{tl[ERROR]}{tl[GONE]}{tl['']}",
            "the detail's last 24 h, a cell per hour: active, paused, error, gone, not known",
        )
        line(
            "a",
            "the attention view lists the most recent breakage first; rows in error since "
            "before the dashboard started follow, by how long history knew them in error "
            "(the shortest first), then the rest (no breakage known), by name",
        )
        heading("Marks")
        line(f"{g.up} {g.down}", "the column sorted by, ascending / descending (s, S)")
        line(g.ellipsis, "the cell is cut: Enter shows the whole text")
        line(g.mask, "the token, masked (t reveals it, y copies it)")
        parts.append(
            Text(
                f"\nNarrow lists leave out, in turn: CHATWOOT and ACCT (they show from {WITH_URL}"
                " columns when LAST ERROR keeps its room), INBOX, FLAP, SINCE.",
                style="dim",
            )
        )
        parts.append(Text("Escape or ? closes this help.", style="dim"))
        with VerticalScroll(id="help-box"):
            yield Static(Group(*parts), markup=False)  # type: ignore[arg-type]

    def key_of(self, binding: Binding) -> str:
        """The keys of ``binding`` as the footer shows them, after the keymap of config.toml."""
        remapped = getattr(self.app, "keymap", {}).get(binding.id) if binding.id else None
        if not remapped:
            key = binding.key_display or binding.key
            return key.replace("question_mark", "?").replace("slash", "/").replace("colon", ":")
        return " ".join(self.app.get_key_display(binding.with_key(k)) for k in remapped.split(","))

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


def _ascii(key: str) -> str:
    return key.replace("↑", "Up").replace("↓", "Down")
