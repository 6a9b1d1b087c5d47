"""ASCII-only drawing for Textual's own parts, where the terminal cannot show more
(``LANG=C`` or ``--ascii``: tmux shows each non-ASCII character as ``_``).

Textual draws some glyphs of its own, whoever asks for them: scrollbar thumbs' ends
(block glyphs), every border type but ``ascii`` (box-drawing and block glyphs: toasts'
``outer`` edge, inputs' ``tall``, dialogs' ``round``/``thick``), and the command
palette's search icon and placeholder ellipsis. :func:`use_ascii_textual` switches them
all once, at start, so every widget is covered, not only the ones the styles name.
Borders go through Textual's private border table (see :mod:`cwdash.tui.textual_private`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.scrollbar import ScrollBar, ScrollBarRender

if TYPE_CHECKING:
    from textual.app import App
    from textual.command import ProviderSource

# each cell of a border's 3x3 table, in ASCII: corners, top/bottom edges, sides
_ASCII_BOX = (("+", "-", "+"), ("|", " ", "|"), ("+", "-", "+"))
_saved_borders: dict[str, object] = {}
PALETTE_PLACEHOLDER = "Search for commands..."
PALETTE_ICON = ">"


class AsciiScrollBarRender(ScrollBarRender):
    """Thumbs drawn with colour alone, whole cells, no block glyphs."""

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


def use_ascii_scrollbars() -> None:
    """Every scrollbar of this process from here on (the dashboard's, once at start)."""
    ScrollBar.renderer = AsciiScrollBarRender


def _ascii_rows(rows: tuple[tuple[str, str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        tuple(c if c.isascii() else _ASCII_BOX[y][x] for x, c in enumerate(row))  # type: ignore[misc]
        for y, row in enumerate(rows)
    )


def use_ascii_textual(on: bool = True) -> None:
    """Textual's scrollbars and every border type in ASCII (True), or back (False: tests)."""
    from textual import _border

    if on:
        use_ascii_scrollbars()
        for kind, rows in _border.BORDER_CHARS.items():
            _saved_borders.setdefault(kind, rows)
            _border.BORDER_CHARS[kind] = _ascii_rows(rows)
    else:
        ScrollBar.renderer = ScrollBarRender
        _border.BORDER_CHARS.update(_saved_borders)  # type: ignore[arg-type]
    _border.get_box.cache_clear()  # boxes already built keep no glyph of the other kind


def ascii_palette(
    app: App[object], placeholder: str = PALETTE_PLACEHOLDER, providers: ProviderSource | None = None
) -> None:
    """Textual's command palette with an ASCII placeholder and icon: ctrl+p's (no
    ``providers``: the app's commands) and the pickers it opens (Theme: ``providers``)."""
    from textual.command import CommandPalette, SearchIcon

    class AsciiPalette(CommandPalette):
        def on_mount(self) -> None:
            for icon in self.query(SearchIcon):
                icon.icon = PALETTE_ICON

    if providers is None:
        if not CommandPalette.is_open(app):
            app.push_screen(AsciiPalette(placeholder=placeholder, id="--command-palette"))
    else:
        app.push_screen(AsciiPalette(providers=providers, placeholder=placeholder))
