"""The two commands that open the dashboard: the one lazy way into the screens.

Kept apart from the headless commands so that they never import Textual (import-linter
checks it: ``cwdash.cli.dashboard -> cwdash.tui.launch`` is the only sanctioned import).
A dashboard needs a terminal on both ends: with stdout redirected to a file it would
run forever writing escape codes into it, so it refuses before anything is loaded.
"""

from __future__ import annotations

import argparse
import sys

from cwdash.cli.common import EXIT_USAGE, err


def terminal_problem() -> str | None:
    """Why the dashboard cannot run here (stdout or stdin is not a terminal), or None."""
    for name, stream in (("stdout", sys.stdout), ("stdin", sys.stdin)):
        try:
            tty = stream is not None and stream.isatty()
        except (AttributeError, ValueError):  # closed or replaced by something without a descriptor
            tty = False
        if not tty:
            return (
                f"the dashboard needs a terminal, and {name} is not one (redirected to a file or a pipe?); "
                "for text, use `cwdash list` or `cwdash status NAME` (or `cwdash doctor`)"
            )
    return None


def cmd_dashboard(args: argparse.Namespace) -> int:
    problem = terminal_problem()
    if problem:
        err(problem)
        return EXIT_USAGE
    if getattr(args, "all_sites", False):
        from cwdash.tui.launch import run_all_sites

        return run_all_sites(args)
    from cwdash.tui.launch import run_dashboard

    return run_dashboard(args)


def cmd_demo(args: argparse.Namespace) -> int:
    problem = terminal_problem()
    if problem:
        err(problem)
        return EXIT_USAGE
    from cwdash.tui.launch import run_demo

    return run_demo(args)
