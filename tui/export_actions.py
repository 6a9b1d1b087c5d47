"""``e``: write the list as shown (filtered, sorted) to a CSV or JSON file, never a token.

A small modal (:mod:`cwdash.tui.export_screen`) asks for the path, with a default of
``./cwdash-<site or store>-<UTC time>.csv`` (a name ending ``.json`` writes JSON). An
existing file is replaced only after a second Enter on the same name. The file is written
by a thread worker (100k rows take a moment), through
:func:`cwdash.store.exportfile.write_fleet`: whole or not at all. Mixed into the dashboard
screen, which provides the fleet and the configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

if TYPE_CHECKING:
    from textual.screen import Screen

    from cwdash.store.config import Config
    from cwdash.store.fleet import Fleet
    from cwdash.store.fleetrow import FleetRow

    _Base = Screen[None]
else:
    _Base = object


class ExportActions(_Base):
    """``e``: the export of the current view; the screen provides the rest."""

    fleet: Fleet
    config: Config
    store_path: Path

    def action_export(self) -> None:
        from cwdash.store.exportfile import default_name
        from cwdash.tui.export_screen import ExportScreen

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
