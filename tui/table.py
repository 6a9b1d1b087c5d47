"""The fleet list: a line-API view over the rows, so 100k instances cost one screenful.

Textual's stock DataTable builds every row up front (seconds for 100k rows); this
widget renders only the lines on screen, straight from :class:`cwdash.store.fleet.Fleet`.
Cells are sanitised (:func:`cwdash.store.text.one_line`) and rendered as plain segments, so
markup-like text and control characters in names or errors are shown literally.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cwdash.store.fleet import Fleet, FleetRow
from cwdash.tui import look
from cwdash.tui.cells import Column, cell, columns_for, fit, source_cell
from cwdash.tui.scrolling import set_content_size

if TYPE_CHECKING:
    from cwdash.tui.history_state import History

HIGHLIGHT_SECONDS = 4.0


class FleetTable(ScrollView, can_focus=True):
    """Rows of the fleet with a cursor; the cursor is tracked by row key (the instance
    name; site-qualified with several sites)."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False),
        Binding("home,g", "edge(0)", "First", show=False),
        Binding("end,G", "edge(1)", "Last", show=False),
    ]

    COMPONENT_CLASSES = {
        "fleet-table--header",
        "fleet-table--cursor",
        "fleet-table--changed",
        "fleet-table--active",
        "fleet-table--paused",
        "fleet-table--error",
        "fleet-table--none",
        "fleet-table--gone",
        "fleet-table--live",
        "fleet-table--failing",
        "fleet-table--dim",
        "fleet-table--stale",
        "fleet-table--marker",
    }

    class CursorMoved(Message):
        """The highlighted instance changed (its row key; None: the view is empty)."""

        def __init__(self, name: str | None) -> None:
            super().__init__()
            self.name = name

    class SortRequested(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, fleet: Fleet, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fleet = fleet
        self.cursor = 0
        self.cursor_name: str | None = None
        self._clock_shown: tuple[tuple[str, str, bool], ...] = ()
        self.empty_text = "loading" + look.G.ellipsis
        self._styles: dict[str, Style] = {}
        self.show_connection = False  # the WhatsApp column: when the source provides it (tui/connections.py)
        self.site_width = 0  # the SITE column (``--all-sites``): its widest name, 0 for none
        self._columns: tuple[tuple[int, bool, int, bool], list[Column]] | None = None
        # history's SINCE and FLAP columns (tui/history_view.py): shown unless history is off
        self.show_history = True
        self.history: History | None = None

    # -- layout ------------------------------------------------------------------

    def columns(self) -> list[Column]:
        """Columns for the current width: URL and account only when there is room; what
        is left goes to LAST ERROR (the instance name and the URL take at most a share).
        Worked out once per width and WhatsApp column (every line drawn asks)."""
        width = self.scrollable_content_region.width or self.size.width
        key = (width, self.show_connection, self.site_width, self.show_history)
        cached = self._columns
        if cached is not None and cached[0] == key:
            return cached[1]
        columns = columns_for(
            width,
            show_connection=self.show_connection,
            site_width=self.site_width,
            show_history=self.show_history,
        )
        self._columns = (key, columns)
        return columns

    def shown_keys(self) -> list[str]:
        """The keys of the columns shown at this width (``s`` cycles through these only)."""
        return [c.key for c in self.columns()]

    def sync_size(self) -> None:
        """Tell the scroll machinery how big the content is (one header line + rows)."""
        set_content_size(self, Size(self.scrollable_content_region.width, len(self.fleet.view) + 1))

    def on_resize(self, event: events.Resize) -> None:
        self.sync_size()
        self._styles.clear()
        self.call_after_refresh(self._keep_cursor_in_view)  # once the new height is laid out

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(f"fleet-table--{name}", partial=True)
            if name == "cursor" and getattr(self.app, "depth", "truecolor") in ("256", "truecolor"):
                style = style + self._cursor_colours()
            self._styles[name] = style
        return style

    def _cursor_colours(self) -> Style:
        """The cursor's bar as drawn (its background blended over the list's, which a Rich
        style alone would not), with black or white text, whichever reads better: the
        theme's text colour on its accent read at 2:1 in some themes (white on orange)."""
        bar = self.background_colors[1] + self.get_component_styles("fleet-table--cursor").background
        r, g, b = bar.rgb
        text = look.readable_on((r, g, b))
        return Style(color=f"rgb({text[0]},{text[1]},{text[2]})", bgcolor=f"rgb({r},{g},{b})")

    # -- data changes ------------------------------------------------------------

    def view_changed(self) -> None:
        """The view was rebuilt (filter, sort, reload): keep the cursor on the same instance."""
        self.sync_size()
        index = self.fleet.index_of(self.cursor_name) if self.cursor_name is not None else None
        self.cursor = index if index is not None else min(self.cursor, max(0, len(self.fleet.view) - 1))
        self._cursor_changed(scroll=True)
        self.refresh()

    def refresh_row(self, name: str) -> None:
        """Repaint one instance's line if it is on screen."""
        self.refresh_rows((name,))

    def refresh_rows(self, names: Collection[str]) -> None:
        """Repaint the lines of these instances (row keys) that are on screen."""
        if not names:
            return
        top = int(self.scroll_offset.y)
        for offset, row in enumerate(self.fleet.view[top : top + self.size.height]):
            if row.key in names:
                self.refresh(Region(0, offset + 1, self.size.width, 1))

    def tick(self, now: float) -> None:
        """Repaint on the clock only the lines on screen that would read differently
        (an age ticking over, a highlight ending), not the whole list every second."""
        top = int(self.scroll_offset.y)
        history = self.history
        shown = tuple(
            (
                row.key,
                source_cell(row, now)[0],
                row.changed_at is not None and now - row.changed_at < HIGHLIGHT_SECONDS,
                ""
                if history is None
                else history.since_text(self.fleet.since_at, row.key) + history.flap_text(row.key),
            )
            for row in self.fleet.view[top : top + self.size.height]
        )
        before = self._clock_shown
        self._clock_shown = shown
        if len(before) != len(shown):
            self.refresh()
            return
        for offset, (old, new) in enumerate(zip(before, shown, strict=True)):
            if old != new:
                self.refresh(Region(0, offset + 1, self.size.width, 1))

    def visible_names(self) -> list[str]:
        return [r.name for r in self.visible_rows()]

    def visible_rows(self) -> list[FleetRow]:
        top = int(self.scroll_offset.y)
        return self.fleet.view[top : top + max(0, self.size.height - 1)]

    # -- cursor ------------------------------------------------------------------

    def _keep_cursor_in_view(self) -> None:
        """Scroll the least that shows the cursor's row (after a move, or a resize that
        left it below the fold: shrinking the window kept the selection out of sight)."""
        if not self.fleet.view:
            return
        top = int(self.scroll_offset.y)
        rows_shown = max(1, self.scrollable_content_region.height - 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True, immediate=True)
        elif self.cursor >= top + rows_shown:
            self.scroll_to(y=self.cursor - rows_shown + 1, animate=False, force=True, immediate=True)

    def _cursor_changed(self, *, scroll: bool) -> None:
        view = self.fleet.view
        name = view[self.cursor].key if view else None
        if scroll:
            self._keep_cursor_in_view()
        if name != self.cursor_name:
            self.cursor_name = name
            self.post_message(self.CursorMoved(name))

    def move_to(self, index: int) -> None:
        view = self.fleet.view
        if not view:
            return
        before, top = self.cursor, self.scroll_offset.y
        self.cursor = max(0, min(index, len(view) - 1))
        self._cursor_changed(scroll=True)
        if self.scroll_offset.y != top:
            self.refresh()  # scrolled: every line moved
            return
        # only the two lines the cursor left and reached read differently: a key press
        # repaints two lines, not the screenful
        for row in (before, self.cursor):
            self.refresh(Region(0, row - int(top) + 1, self.size.width, 1))

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self.move_to(len(self.fleet.view) - 1 if end else 0)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = event.x
            for col in self.columns():
                if x < col.width + 1:
                    if col.key not in ("account", "flaps"):
                        self.post_message(self.SortRequested(col.key))
                    return
                x -= col.width + 1
            return
        self.move_to(int(self.scroll_offset.y) + event.y - 1)

    # -- rendering ---------------------------------------------------------------

    _frame_style: Style | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """The widget's own style, worked out once for the lines of a frame, not per line
        (Textual walks the ancestors' backgrounds each time: a third of a row's cost)."""
        self._frame_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        cols = self.columns()
        if y == 0:
            return self._header(cols, width)
        index = int(self.scroll_offset.y) + y - 1
        view = self.fleet.view
        if index >= len(view):
            if not view and y == 2:
                text = set_cell_size(f"  {self.empty_text}", width)
                return Strip([Segment(text, self._style("dim"))], width)
            return Strip.blank(width, self.rich_style)
        return self._row(view[index], index, cols, width)

    def _header(self, cols: list[Column], width: int) -> Strip:
        base = self._style("header")
        segments = []
        for col in cols:
            title = col.title
            if col.key == self.fleet.sort_key:
                title += " " + (look.G.down if self.fleet.sort_reverse else look.G.up)
            segments.append(Segment(fit(title, col.width) + (col.key == "status") * " " + " ", base))
        return Strip(segments).adjust_cell_length(width, base)

    def _row(self, row: FleetRow, index: int, cols: list[Column], width: int) -> Strip:
        """A row as few segments as its styles allow: neighbours of one style (a plain cell
        and the gaps around it) are one segment. Textual works on every segment again
        (its filters, the frame's cuts, the terminal's codes): a row of 7 cells was 15
        segments, two thirds of the list's cost in the first frame."""
        now = time.monotonic()
        base = self._frame_style or self.rich_style
        cursor = index == self.cursor
        if cursor:
            base = base + self._style("cursor")
        # A row whose status just changed: a marker after its status and its name
        # underlined, never a background (that is the cursor's) nor a colour (the statuses').
        changed = row.changed_at is not None and now - row.changed_at < HIGHLIGHT_SECONDS
        stale = row.stale
        segments: list[Segment] = []

        def put(text: str, style: Style) -> None:  # into the last segment when of its style
            if segments and segments[-1].style is style:
                segments[-1] = Segment(segments[-1].text + text, style)
            elif text:
                segments.append(Segment(text, style))

        for col in cols:
            text, style_name = cell(row, col.key, now, self.history, self.fleet.since_at)
            if stale and col.key == "status":
                style_name = "stale"  # local values a failing live read cannot confirm
            style = base + self._style(style_name) if style_name else base
            if cursor and style_name:
                style = base + Style(bold=True, italic=stale and col.key == "status")
            if changed and col.key == "name":
                style = style + self._style("changed")
            put(fit(text, col.width), style)
            if col.key == "status" and changed:  # the marker's column (blank unless changed)
                put(look.G.changed, base + self._style("marker"))
            elif col.key == "status":
                put(" ", base)
            put(" ", base)  # the usual gap
        return Strip(segments).adjust_cell_length(width, base)
