"""Colour for the headless output: the status words of ``list`` and ``status``.

On when ``--color always``; off with ``--color never``; with ``auto`` (the default),
on only when stdout is a terminal, ``NO_COLOR`` is unset or empty (no-color.org) and
``TERM`` is not ``dumb``. Only words cwdash itself chose are coloured, never text
from the store or the gateway, and JSON never is.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from cwdash.store.status import ACTIVE, BAD_ROW, ERROR, PAUSED, STATES, UNKNOWN

CHOICES = ("auto", "always", "never")
_RESET = "\x1b[0m"
# bold red for what needs a look now, yellow for paused, green for healthy, magenta for a row cwdash cannot use
_SGR = {
    ERROR: "\x1b[1;31m",
    PAUSED: "\x1b[33m",
    ACTIVE: "\x1b[32m",
    BAD_ROW: "\x1b[1;35m",
    UNKNOWN: "\x1b[35m",
    STATES[""].word: "\x1b[2m",  # no integration: dim
}

_enabled = False


def decide(choice: str, stream: TextIO | None = None, env: dict[str, str] | None = None) -> bool:
    """Whether to colour output to ``stream`` under ``choice`` (see the module's text)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("TERM") == "dumb":
        return False
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def configure(choice: str) -> None:
    global _enabled
    _enabled = decide(choice)


def enabled() -> bool:
    return _enabled


def status_word(word: str) -> str:
    """``word`` (a status or row state, any case) coloured when colour is on."""
    sgr = _SGR.get(word.lower()) if _enabled else None
    return f"{sgr}{word}{_RESET}" if sgr else word
