"""The dashboard's stylesheets (Textual CSS), one file per part that is read on its own:
``cwdash.tcss`` before the first paint, a terminal mode's file only when that mode is on,
a dialog's when it first opens."""

import os

FOLDER = os.path.dirname(os.path.abspath(__file__))  # no symlink resolved: one system call fewer


def sheet(name: str) -> str:
    """The path of the stylesheet ``name`` (without ``.tcss``), as Textual's ``CSS_PATH`` takes it."""
    return os.path.join(FOLDER, f"{name}.tcss")
