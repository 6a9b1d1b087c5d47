"""``cwdash doctor``: the first thing support asks for. A table (or ``--json``) of where
each setting came from, the store, the key, the live source and the clipboard path;
exit 0 when healthy, 1 when something is wrong (each problem says what to do).
Never prints a secret (see :mod:`cwdash.store.diagnose`).
"""

from __future__ import annotations

import argparse

from cwdash.cli import color, output
from cwdash.cli.common import EXIT_FAIL, EXIT_OK, QUIET, verbosity
from cwdash.store import redact
from cwdash.store.config import ConfigError, load_config
from cwdash.store.diagnose import FAIL, OK, WARN, Check, diagnose
from cwdash.store.text import one_line

_MARK = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}
_SGR = {OK: "\x1b[32m", WARN: "\x1b[33m", FAIL: "\x1b[1;31m"}


def cmd_doctor(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.env_file, args.db)
    except ConfigError as exc:
        checks = [Check("settings", "configuration", str(exc), FAIL, "fix the setting it names")]
    else:
        redact.register_config(config)
        checks = diagnose(config)
    problems = [c for c in checks if c.state == FAIL]
    if args.json:
        output.print_json(
            {
                "healthy": not problems,
                "problems": [f"{c.section} {c.name}: {c.value}" for c in problems],
                "checks": [c.as_json() for c in checks],
            }
        )
    else:
        print_table(checks)
    return EXIT_FAIL if problems else EXIT_OK


def print_table(checks: list[Check]) -> None:
    """One line per check, grouped by section; with ``-q`` only what is not OK."""
    shown = [c for c in checks if c.state != OK] if verbosity() <= QUIET else checks
    width = max((len(c.name) for c in shown), default=0)
    section = ""
    for c in shown:
        if c.section != section:
            section = c.section
            print(f"{section}:")
        mark = _MARK[c.state]
        if color.enabled():
            mark = f"{_SGR[c.state]}{mark}\x1b[0m"
        print(f"  {mark}  {c.name.ljust(width)}  {one_line(c.value, 400)}")
        if c.fix and c.state != OK:
            print(f"        {' ' * width}  -> {one_line(c.fix, 600)}")
    problems = sum(c.state == FAIL for c in checks)
    warnings = sum(c.state == WARN for c in checks)
    if problems:
        print(f"{problems} problem(s), {warnings} warning(s): see FAIL above")
    elif verbosity() > QUIET:
        print(f"healthy ({warnings} warning(s))" if warnings else "healthy")
