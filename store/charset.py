"""Whether the terminal shows UTF-8, and cwdash's own glyphs for it (no Textual).

Where the locale is not UTF-8 (``LANG=C``, a server's bare environment) a terminal or
tmux shows every non-ASCII character as ``_``: the dashboard then draws from its ASCII
glyph table (:mod:`cwdash.tui.look`), and the CLI's human output takes the ASCII forms
below. Text from outside (instance names, errors) is never changed: only cwdash's own
dashes, masks and ellipses are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def wants_ascii(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal should get ASCII only: ``CWDASH_ASCII=1``, or a locale that is
    not UTF-8 (LC_ALL, then LC_CTYPE, then LANG, as the C library looks them up; none
    set at all is the C locale)."""
    env = os.environ if environ is None else environ
    if env.get("CWDASH_ASCII", "") not in ("", "0"):
        return True
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name, "")
        if value:
            return not _utf8(value)
    return True


def _utf8(locale: str) -> bool:
    charset = locale.partition(".")[2].partition("@")[0].lower().replace("-", "").replace("_", "")
    return charset == "utf8"


def dash() -> str:
    """The CLI's "nothing here" and separator dash."""
    return "-" if wants_ascii() else "\u2014"


def mask() -> str:
    """The CLI's masked token."""
    return "********" if wants_ascii() else "\u2022" * 8
