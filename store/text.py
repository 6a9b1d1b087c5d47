"""Make text that came from the store or the bridge safe to put on a terminal.

Values are shown literally: control characters (ANSI/OSC escapes, NUL, DEL, C1) are
made visible as ``\\xNN`` instead of reaching the terminal, and very long values are
cut so a 5 MB ``last_error`` cannot stall a render.
"""

from __future__ import annotations

import re

# C0/C1 controls, DEL, line/paragraph separators and the bidi overrides/isolates that
# could reorder what the terminal shows.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff"
_CONTROL = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
_CONTROL_ANY = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def literal(value: str, *, limit: int | None = 20_000, keep_newlines: bool = True) -> str:
    """Return ``value`` with control characters made visible and its length capped.

    ``keep_newlines`` keeps ``\\n`` and ``\\t`` (for wrapped multi-line views);
    without it the result is a single line, fit for a table cell.
    """
    if limit is not None and len(value) > limit:
        value = value[:limit] + f"… [{len(value) - limit:,} more characters]"
    pattern = _CONTROL if keep_newlines else _CONTROL_ANY
    return pattern.sub(_visible, value)


def one_line(value: str, limit: int = 500) -> str:
    """A single display line: control characters and newlines made visible, capped."""
    return literal(value, limit=limit, keep_newlines=False)
