"""The two commands that open the dashboard: the one lazy way into the screens.

Kept apart from the headless commands so that they never import Textual (import-linter
checks it: ``cwdash.cli.dashboard -> cwdash.tui.launch`` is the only sanctioned import).
A dashboard needs a terminal on both ends: with stdout redirected to a file it would
run forever writing escape codes into it, so it refuses before anything is loaded.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from cwdash.cli.common import EXIT_USAGE, err

if TYPE_CHECKING:
    import argparse


def served_to_browser() -> bool:
    """Whether textual-serve started this process for a browser (``cwdash serve``)."""
    return os.environ.get("TEXTUAL_DRIVER", "").endswith("web_driver:WebDriver")


def _leave_ctrl_c_to_the_server() -> None:
    """A served dashboard shares the server's terminal process group, so Ctrl+C there would
    hit every browser's process mid-frame; the server ends them itself (textual-serve's
    quit message), and a Ctrl+C typed in the browser arrives as a key, not a signal."""
    if served_to_browser():
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)


def terminal_problem() -> str | None:
    """Why the dashboard cannot run here (stdout or stdin is not a terminal), or None.

    Served to a browser (``cwdash serve``), the pipes are textual-serve's and Textual's web
    driver speaks over them: no terminal is needed."""
    if served_to_browser():
        return None
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
    _leave_ctrl_c_to_the_server()
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
    _leave_ctrl_c_to_the_server()
    from cwdash.tui.launch import run_demo

    return run_demo(args)
