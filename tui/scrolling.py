"""Content-size changes of scroll views, without a screen-wide layout pass when none is due."""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_content_size(view: ScrollView, size: Size) -> None:
    """Set ``view``'s virtual size, reflowing the screen only when a scrollbar comes or goes.

    Textual lays out the whole screen on any virtual-size change. The list and the
    detail pane have sizes of their own (1fr), so their content's size changes
    nothing around them but their scrollbars: a cursor move showing a longer detail,
    or a filter keystroke shortening the list, repainted every widget (~15 ms a
    frame here). When the scrollbars stay as they are, only the view repaints and
    its scrollbars are told the new size (public attributes only: the thumbs'
    ``window_virtual_size``/``window_size``, and the scroll offsets kept in range).
    """
    before = view.virtual_size
    if size == before:
        return
    width, height = view.container_size
    same_bars = (before.height > height) == (size.height > height) and (before.width > width) == (
        size.width > width
    )
    if not same_bars or not view.is_mounted:
        view.virtual_size = size
        return
    view.set_reactive(ScrollView.virtual_size, size)
    if view.show_vertical_scrollbar and view.styles.scrollbar_size_vertical:
        bar = view.vertical_scrollbar
        bar.window_virtual_size = size.height
        bar.window_size = height - view.scrollbar_size_horizontal
        bar.refresh()
    if view.show_horizontal_scrollbar and view.styles.scrollbar_size_horizontal:
        bar = view.horizontal_scrollbar
        bar.window_virtual_size = size.width
        bar.window_size = width - view.scrollbar_size_vertical
        bar.refresh()
    view.scroll_x = view.validate_scroll_x(view.scroll_x)
    view.scroll_y = view.validate_scroll_y(view.scroll_y)
    view.refresh()
