"""What every command shares: exit codes, the failure that ends a command, how much
is said (``-q``/``-v``), and reading the configuration and opening the store with their
warnings on stderr.

Exit codes: 0 success (live or fallen back to local), 4 a mapped 404, 5 the mapped
503, 1 anything else that went wrong (undecryptable token, broken store), 2 usage,
141 stdout closed early by its reader (128 + SIGPIPE, as a shell reports ``cat`` cut
short by ``head``).

What goes where: a command's answer (the list, the status, the JSON) on stdout,
always; confirmations ("store ready") on stdout through :func:`say`; warnings on
stderr through :func:`warn`; both silenced by ``-q``. Errors (:func:`err`) are never
silenced. ``-v`` adds :func:`note`: where the configuration came from, the route of
live reads.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from cwdash.store import redact
from cwdash.store.config import Config, load_config
from cwdash.store.db import Store
from cwdash.store.readmodel import BAD_ROW_STATUS, MappedError
from cwdash.store.text import one_line

if TYPE_CHECKING:
    import argparse

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_UNAVAILABLE = 0, 1, 2, 4, 5
EXIT_PIPE = 141  # 128 + SIGPIPE

QUIET, NORMAL, VERBOSE = -1, 0, 1
_verbosity = NORMAL


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def verbosity() -> int:
    return _verbosity


class Failure(Exception):
    """Ends a command with a message on stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


def exit_for(error: MappedError) -> int:
    """The exit code of a mapped error: a bad row is a failure, 503 unavailable, else not found."""
    if error.http_status == BAD_ROW_STATUS:
        return EXIT_FAIL
    return EXIT_UNAVAILABLE if error.http_status == 503 else EXIT_NOT_FOUND


def err(message: str) -> None:
    """One line on stderr, prefixed ``cwdash:``; outside text cannot break the line."""
    print(f"cwdash: {one_line(message, 2000)}", file=sys.stderr)


def say(message: str) -> None:
    """A confirmation on stdout ("store ready at ..."); silent with ``-q``."""
    if _verbosity > QUIET:
        print(message)


def warn(message: str) -> None:
    """A warning on stderr; silent with ``-q``."""
    if _verbosity > QUIET:
        err(message)


def note(message: str) -> None:
    """A detail on stderr, only with ``-v``."""
    if _verbosity >= VERBOSE:
        err(message)


def config_of(args: argparse.Namespace) -> Config:
    """The configuration the options name; its secrets are blanked in the log from here on."""
    config = load_config(
        args.env_file, args.db, site=getattr(args, "site", None), source=getattr(args, "source", None)
    )
    redact.register_config(config)
    warning = config.env_warning()
    if warning:
        warn(warning)
    if _verbosity >= VERBOSE:
        files = ", ".join(str(p.absolute()) for p in config.env_files) or "none"
        note(f"env files read (first wins, after the environment): {files}")
        for name, origin in sorted(config.origins.items()):
            note(f"{name} from {origin}")
    return config


def open_store(config: Config, *, create: bool = False) -> Store:
    """The configured store, with how it was opened and its permissions said on stderr."""
    store = Store.open(config.db_path, create=create)
    note(f"store {store.path}")
    for warning in (store.notice, store.permissions_warning()):
        if warning:
            warn(warning)
    return store
