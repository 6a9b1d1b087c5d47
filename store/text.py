"""Make text that came from the store or the bridge safe to put on a terminal.

Values are shown literally and every character that reaches the screen has a width of
its own: one cell, or two for East Asian wide characters. Whatever a value holds (ANSI
escapes, NUL, lone surrogates, zero-width joiners, combining marks, variation selectors,
emoji modifiers, private-use or unassigned code points), the result is printable,
encodable as UTF-8, and as wide as :func:`cell_width` says, so a table column stays a
column. Characters without such a width are made visible as ``\\xNN``, ``\\uNNNN`` or
``\\UNNNNNNNN`` escapes; the value is first composed (NFC), so ``e`` + a combining
acute accent stays a readable ``é``. Very long values are cut so a 5 MB ``last_error``
cannot stall a render.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Printable ASCII (space to ~) is safe as it is; so are "\n" and "\t" where lines are kept.
_ASCII_UNSAFE_ANY = re.compile(r"[\x00-\x1f\x7f]")


@cache
def _ascii_unsafe() -> re.Pattern[str]:
    """Compiled on first use, as :func:`_non_ascii`: the first paint meets neither (kept
    lines, non-ASCII text), and compiling both costs ~0.7M instructions."""
    return re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@cache
def _non_ascii() -> re.Pattern[str]:
    return re.compile(r"[^\x00-\x7f]")


# Categories whose width is zero, undefined or decided by the neighbours (or the font):
# controls, format characters (ZWJ, bidi marks, soft hyphen), surrogates, private use,
# unassigned, line/paragraph separators, and combining marks.
_NO_OWN_WIDTH = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me", "Mc"})
# Code points of other categories whose width terminals do not agree on: drawn joined
# with a neighbour (Hangul medial vowels and final consonants, regional indicators that
# pair into a flag, emoji skin-tone modifiers), invisible fillers, and the symbols that
# Unicode 16 made wide (yijing signs, counting rods): narrow in older terminals.
_DISPUTED = (
    (0x1160, 0x11FF),
    (0xD7B0, 0xD7FF),
    (0x1F1E6, 0x1F1FF),
    (0x1F3FB, 0x1F3FF),
    (0x3164, 0x3164),
    (0xFFA0, 0xFFA0),
    (0x2630, 0x2637),
    (0x268A, 0x268F),
    (0x4DC0, 0x4DFF),
    (0x1D300, 0x1D376),
)

_unsafe_cache: dict[str, bool] = {}


def _unsafe(char: str) -> bool:
    """Whether a non-ASCII character has no context-free width of one or two cells."""
    known = _unsafe_cache.get(char)
    if known is None:
        code = ord(char)
        known = unicodedata.category(char) in _NO_OWN_WIDTH or any(lo <= code <= hi for lo, hi in _DISPUTED)
        if len(_unsafe_cache) < 65_536:
            _unsafe_cache[char] = known
    return known


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _visible(match: re.Match[str]) -> str:
    return _escape(match.group(0))


def _visible_if_unsafe(match: re.Match[str]) -> str:
    char = match.group(0)
    return _escape(char) if _unsafe(char) else char


def literal(value: str, *, limit: int | None = 20_000, keep_newlines: bool = True) -> str:
    """Return ``value`` with every character that has no width of its own made visible,
    and its length capped.

    ``keep_newlines`` keeps ``\\n`` and ``\\t`` (for wrapped multi-line views);
    without it the result is a single line, fit for a table cell.
    """
    if not isinstance(value, str):  # a caller's bug must not cost the screen
        value = str(value)
    if limit is not None and len(value) > limit:
        value = value[:limit] + f"... [{len(value) - limit:,} more characters]"
    pattern = _ascii_unsafe() if keep_newlines else _ASCII_UNSAFE_ANY
    value = pattern.sub(_visible, value)
    if value.isascii():
        return value
    value = unicodedata.normalize("NFC", value)  # lone surrogates pass through unchanged
    return _non_ascii().sub(_visible_if_unsafe, value)


def one_line(value: str, limit: int = 500) -> str:
    """A single display line: control characters and newlines made visible, capped."""
    return literal(value, limit=limit, keep_newlines=False)


def cell_width(text: str) -> int:
    """Cells that ``text`` (a result of :func:`literal`, without newlines or tabs) takes on
    a terminal: two for each East Asian wide or fullwidth character, one for any other."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)
