"""The dashboard's stylesheets (Textual CSS), one file per part that is read on its own:
``cwdash.tcss`` before the first paint, a terminal mode's file only when that mode is on,
a dialog's when it first opens."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def sheet(name: str) -> str:
    """The path of the stylesheet ``name`` (without ``.tcss``), as Textual's ``CSS_PATH`` takes it."""
    return str(FOLDER / f"{name}.tcss")
