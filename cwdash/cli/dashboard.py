"""The two commands that open the dashboard: the one lazy way into the screens.

Kept apart from the headless commands so that they never import Textual (import-linter
checks it: ``cwdash.cli.dashboard -> cwdash.tui.launch`` is the only sanctioned import).
"""

from __future__ import annotations

import argparse


def cmd_dashboard(args: argparse.Namespace) -> int:
    from cwdash.tui.launch import run_dashboard

    return run_dashboard(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from cwdash.tui.launch import run_demo

    return run_demo(args)
