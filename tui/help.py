"""The key help screen (``?``): every key, grouped, generated from the bindings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

TABLE_KEYS = [
    ("↑ ↓  j k", "move the cursor (the detail follows)"),
    ("PgUp PgDn", "page"),
    ("Home End  g G", "first / last instance"),
    ("mouse", "click a row to select it, a column title to sort"),
]
FILTER_KEYS = [
    ("/", "filter: type to match name, URL, status, error text"),
    ("Enter", "keep the filter and go back to the list"),
    ("Escape", "clear the filter"),
]


class HelpScreen(ModalScreen[None]):
    """Lists every key of the dashboard."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, app_bindings: list[Binding]) -> None:
        super().__init__()
        self.app_bindings = app_bindings

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("cwdash keys\n\n", style="bold")
        text.append("List\n", style="bold underline")
        for key, what in TABLE_KEYS:
            text.append(f"  {key:<16}", style="bold")
            text.append(f"{what}\n")
        text.append("\nFilter\n", style="bold underline")
        for key, what in FILTER_KEYS:
            text.append(f"  {key:<16}", style="bold")
            text.append(f"{what}\n")
        text.append("\nActions\n", style="bold underline")
        for binding in self.app_bindings:
            key = binding.key_display or binding.key
            key = key.replace("question_mark", "?").replace("slash", "/")
            text.append(f"  {key:<16}", style="bold")
            text.append(f"{binding.tooltip or binding.description}\n")
        text.append("  ctrl+p          command palette (every action, themes)\n")
        text.append("\nEscape or ? closes this help.", style="dim")
        with VerticalScroll(id="help-box"):
            yield Static(text, markup=False)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
