"""The export's dialog (``e``): where to write the list, with a confirmation before a
file is replaced. Its own module, imported when the export opens, so the class is not
defined before the dashboard's first paint (:mod:`cwdash.tui.export_actions` is the mixin).
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cwdash.tui import look


class ExportScreen(ModalScreen[tuple[Path, bool] | None]):
    """Where to write the export: Enter writes, Escape cancels. Answers (path, replace)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    #export-box { width: 90%; max-width: 100; height: auto; border: round $accent; padding: 0 1;
                  background: $surface; }
    #export-note { color: $warning; }
    #export-keys { color: $text-muted; }
    """

    def __init__(self, default: str, rows: int) -> None:
        super().__init__()
        self.default = default
        self.rows = rows
        self.confirmed: Path | None = None  # a file that exists, and Enter was pressed once on it

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Static(f"Export the list as shown ({self.rows:,} instances, no tokens) to:", markup=False)
            yield Input(self.default, id="export-path", select_on_focus=False)
            yield Static("", id="export-note", markup=False)
            yield Static(
                f"CSV, or JSON for a name ending .json {look.G.sep} Enter writes {look.G.sep} Escape cancels",
                id="export-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def say(self, text: str) -> None:
        self.query_one("#export-note", Static).update(text)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        if not typed:
            self.say("type a file name")
            return
        path = Path(typed).expanduser()
        if path.is_dir():
            self.say(f"{path} is a folder: type a file name")
            return
        if path.exists() and self.confirmed != path:
            self.confirmed = path
            self.say(f"{path} exists: Enter again replaces it, or type another name")
            return
        self.dismiss((path, path.exists()))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.confirmed is not None and Path(event.value.strip()).expanduser() != self.confirmed:
            self.confirmed = None
            self.say("")

    def action_cancel(self) -> None:
        self.dismiss(None)
