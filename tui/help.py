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
    ("", "filter: type to match name, URL, status, error text"),  # the filter binding's key
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
        filter_key = next((self.key_of(b) for b in self.app_bindings if b.id == "filter"), "/")
        for key, what in FILTER_KEYS:
            text.append(f"  {key or filter_key:<16}", style="bold")
            text.append(f"{what}\n")
        text.append("\nActions\n", style="bold underline")
        for binding in self.app_bindings:
            key = self.key_of(binding)
            text.append(f"  {key:<16}", style="bold")
            text.append(f"{binding.tooltip or binding.description}\n")
        text.append("  ctrl+p          command palette (every action, themes)\n")
        text.append("\nEscape or ? closes this help.", style="dim")
        with VerticalScroll(id="help-box"):
            yield Static(text, markup=False)

    def key_of(self, binding: Binding) -> str:
        """The keys of ``binding`` as the footer shows them, after the keymap of config.toml."""
        remapped = getattr(self.app, "keymap", {}).get(binding.id) if binding.id else None
        if not remapped:
            key = binding.key_display or binding.key
            return key.replace("question_mark", "?").replace("slash", "/")
        return " ".join(self.app.get_key_display(binding.with_key(k)) for k in remapped.split(","))

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
