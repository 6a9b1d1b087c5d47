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
    its scrollbar is told the new size.
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
    view._scroll_update(size)  # scrollbar thumbs, and the scroll offset kept in range
    view.refresh()
