"""The ``cwdash`` command line: ``main()``, the commands by name, and how failures end a command.

Headless commands (``status``, ``list``, ``import``, ``set``, ...) never import
Textual, so they start fast; only the dashboard and ``demo`` load it, lazily, through
:mod:`cwdash.tui.launch` (the one import of the screens, checked by import-linter).
Exit codes: see :mod:`cwdash.cli.common`.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

# Everything else is imported inside main(), once the collector is off (see there), and
# the parser only for a command line that has something to parse: plain `cwdash` opens
# the dashboard without building it (argparse and its subparsers cost ~10 ms at start).

# -- commands ----------------------------------------------------------------------
#
# A command is named by its module and function and imported only when it runs: the
# dashboard's start then loads none of the headless commands (nor their key and
# env-file machinery), and a headless command none of the others.

COMMANDS: dict[str, str] = {
    "dashboard": "cwdash.cli.dashboard:cmd_dashboard",
    "demo": "cwdash.cli.dashboard:cmd_demo",
    "status": "cwdash.cli.reads:cmd_status",
    "list": "cwdash.cli.reads:cmd_list",
    "audit": "cwdash.cli.reads:cmd_audit",
    "import": "cwdash.cli.writes:cmd_import",
    "add": "cwdash.cli.writes:cmd_add",
    "set": "cwdash.cli.writes:cmd_set",
    "delete": "cwdash.cli.writes:cmd_delete",
    "init": "cwdash.cli.keys:cmd_init",
    "keygen": "cwdash.cli.keys:cmd_keygen",
    "rekey": "cwdash.cli.keys:cmd_rekey",
    "doctor": "cwdash.cli.doctor:cmd_doctor",
    "completion": "cwdash.cli.completion:cmd_completion",
    "sync": "cwdash.cli.sync:cmd_sync",
    "site": "cwdash.cli.sites:cmd_site",
    "check": "cwdash.cli.check:cmd_check",
    "history": "cwdash.cli.history:cmd_history",
    "verify": "cwdash.cli.verify:cmd_verify",
    "serve": "cwdash.cli.serve:cmd_serve",
}


def command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs command ``name``, imported now."""
    module, _, func = COMMANDS[name].partition(":")
    return getattr(importlib.import_module(module), func)


# what a dashboard start is most often typed as: read without the parser (its import and
# build cost ~8 ms before the first paint)
PLAIN_STARTS = ([], ["--all-sites"])


def plain_dashboard_args(all_sites: bool = False) -> argparse.Namespace:
    """What the parser makes of a bare ``cwdash`` or ``cwdash --all-sites``
    (tests/test_packaging.py holds the two equal)."""
    values = {"all_sites": all_sites, "command": "dashboard", "no_reveal": False, "color": "auto"}
    values.update(dict.fromkeys(("env_file", "db", "log_file", "site", "source")))
    return SimpleNamespace(**values)  # type: ignore[return-value]  # read by attribute, as a Namespace is


def main(argv: Sequence[str] | None = None) -> int:
    # The collector stays off while the dashboard starts: its passes over everything the
    # imports and the first screen make cost 30-60 ms before the first paint (a full pass
    # included), and all of that lives as long as the process anyway. The screen freezes
    # what is alive and turns it back on at the first paint (DashboardScreen); any other
    # command turns it back on once parsed, and it is never left off after main returns.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if gc_was_on:
            gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    from cwdash.cli.common import EXIT_FAIL, NORMAL, QUIET, VERBOSE, Failure, err, set_verbosity
    from cwdash.store import logfile, redact
    from cwdash.store.config import ConfigError
    from cwdash.store.db import StoreError
    from cwdash.store.sealing import TokenError

    argv = sys.argv[1:] if argv is None else list(argv)
    # bare `cwdash`: the dashboard, nothing to parse or check
    if argv in PLAIN_STARTS:
        args = plain_dashboard_args(argv == ["--all-sites"])
    else:
        from cwdash.cli.parser import parsed

        args = parsed(argv)
    if args.command not in ("dashboard", "demo"):
        gc.enable()
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    set_verbosity(QUIET if quiet else VERBOSE if verbose else NORMAL)
    if args.command not in ("dashboard", "demo"):  # the screens have their own colours
        from cwdash.cli import color

        color.configure(args.color)
    # Secrets known before any configuration is read; the file itself opens on the first record.
    redact.register(
        *(os.environ.get(v) for v in ("BRIDGE_TOKEN", "RYZEAPI_TOKEN", "CWDASH_KEY", "CWDASH_KEY_NEXT"))
    )
    redact.register_url(os.environ.get("BRIDGE_URL"))
    redact.register_url(os.environ.get("RYZEAPI_URL"))
    logfile.install(args.log_file)
    name = args.command
    try:
        code = command(name)(args)
        sys.stdout.flush()  # here, where a closed pipe can still be handled quietly
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except Failure as exc:
        err(str(exc))
        return exc.code
    except (ConfigError, StoreError, TokenError) as exc:
        if not isinstance(exc, ConfigError):
            logging.getLogger("cwdash.store").warning("%s: %s", _func_name(name), exc)
        err(str(exc))
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say where, never what (values may hold a token)
        hint = logfile.log_exception(f"internal error in {_func_name(name)}", exc)
        err(
            f"internal error: {type(exc).__name__} at {_where(exc)}; please report it (no data was changed)"
            + (f"; {hint}" if hint else "")
        )
        return EXIT_FAIL


def _closed_pipe() -> int:
    """stdout's reader went away (``cwdash list | head -1``): no message, exit 141 as a
    program ended by SIGPIPE would. stdout is pointed at /dev/null so that Python's own
    flush at exit raises nothing either (the recipe of Python's documentation on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's capture)
        pass
    from cwdash.cli.common import EXIT_PIPE

    return EXIT_PIPE


def _func_name(name: str) -> str:
    return COMMANDS[name].partition(":")[2]


def _where(exc: BaseException) -> str:
    """File and line of the innermost frame: enough to find the bug, no values at all."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"


if __name__ == "__main__":
    sys.exit(main())
