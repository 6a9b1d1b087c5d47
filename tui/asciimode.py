"""ASCII-only drawing for Textual's own parts: the scrollbars (their thumbs' ends are
drawn with block glyphs, which a non-UTF-8 terminal shows as ``_``)."""

from __future__ import annotations

from textual.scrollbar import ScrollBar, ScrollBarRender


class AsciiScrollBarRender(ScrollBarRender):
    """Thumbs drawn with colour alone, whole cells, no block glyphs."""

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


def use_ascii_scrollbars() -> None:
    """Every scrollbar of this process from here on (the dashboard's, once at start)."""
    ScrollBar.renderer = AsciiScrollBarRender
