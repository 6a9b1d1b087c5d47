"""``e``: write the list as shown (filtered, sorted) to a CSV or JSON file, never a token.

A small modal asks for the path, with a default of ``./cwdash-<site or store>-<UTC
time>.csv`` (a name ending ``.json`` writes JSON). An existing file is replaced only
after a second Enter on the same name. The file is written by a thread worker (100k
rows take a moment), through :func:`cwdash.store.exportfile.write_fleet`: whole or not at
all. Mixed into the dashboard screen, which provides the fleet and the configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cwdash.tui import look

if TYPE_CHECKING:
    from textual.screen import Screen

    from cwdash.store.config import Config
    from cwdash.store.fleet import Fleet
    from cwdash.store.fleetrow import FleetRow

    _Base = Screen[None]
else:
    _Base = object


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


class ExportActions(_Base):
    """``e``: the export of the current view; the screen provides the rest."""

    fleet: Fleet
    config: Config
    store_path: Path

    def action_export(self) -> None:
        from cwdash.store.exportfile import default_name

        rows = list(self.fleet.view)  # the view as shown now: later changes do not move it
        several = len(getattr(self, "sessions", ())) > 1  # --all-sites: every site's rows
        place = "all-sites" if several else (self.config.site or self.store_path.stem)

        def chosen(answer: tuple[Path, bool] | None) -> None:
            if answer is not None:
                self._write_export(rows, *answer)

        self.app.push_screen(ExportScreen(f"./{default_name(place)}", len(rows)), chosen)

    @work(thread=True, group="export", exit_on_error=False)
    def _write_export(self, rows: list[FleetRow], path: Path, replace: bool) -> None:
        """Write off the screen's thread; notify posts, so it is safe from here."""
        from cwdash.store.exportfile import ExportError, write_fleet

        try:
            count = write_fleet(path, rows, overwrite=replace)
        except ExportError as exc:
            self.notify(str(exc), title="export", severity="error", timeout=10)
            return
        self.notify(f"{count:,} instances written to {path.absolute()}", title="export")
