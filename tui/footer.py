"""The dashboard's footer: the keys that matter most first, so that what a narrow terminal
cuts off is what matters least (issue 12: ``?``, ``p`` and Tab must show at 80 columns,
also where "Enter" is spelled out in ASCII), in Textual's compact style below 120 columns.

One widget that draws the line Textual's ``Footer`` draws (the same styles, spacing and
theme variables), in the first frame: Textual's footer composes empty, then twice more
with a widget per key once the bindings are known, so the first screen showed no keys
and was rebuilt after it (issue 16: the first screen is composed once). Here the keys
are laid out when the line is drawn, and drawn again when the bindings change.

The keys are the screen's shown bindings, one per action, reordered by :data:`ORDER`
(the bindings themselves keep theirs: their order is the palette's and ``?``'s). Tab is
Textual's own focus key (no binding of ours), so the footer adds it as "Tab Detail". A
key the screen refuses (``t`` with ``--no-reveal``) is not shown at all; one it disables
is dim. A key is clicked as it is pressed; hovering shows its tooltip; where the line is
wider than the terminal, the mouse wheel slides it (as Textual's footer scrolls).
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip
from textual.widget import Widget

# the footer's keys, most wanted first: ?, the on-call keys, pause, the detail, then the rest
ORDER = (
    "help",
    "filter",
    "next_attention(1)",
    "jump",
    "open_full",
    "pause",
    "app.focus_next",
    "changes",
    "toggle_token",
    "refresh",
    "app.quit",
)
COMPACT_BELOW = 120  # columns: below this the keys sit closer together
SCROLL_STEP = 4  # cells the line slides per turn of the mouse wheel
TAB = ("tab", "Tab", "Detail", "app.focus_next", True, "the keys go to the detail; Tab: back")


_DIM = Style(dim=True)


class FooterItem(NamedTuple):
    key: str  # what a click presses
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str


def _rank(item: FooterItem) -> int:
    return ORDER.index(item.action) if item.action in ORDER else len(ORDER)


class KeyFooter(Widget, can_focus=False):
    """The footer line, ordered by what an on-call engineer needs first."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "footer-key--key",
        "footer-key--description",
        "footer-key--hover",
    }
    # Textual's Footer and FooterKey styles (textual/widgets/_footer.py), on one widget
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        & > .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .footer-key--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._items: list[FooterItem] | None = None  # None: to be read from the screen
        self._spans: list[tuple[int, int]] = []  # each item's cells on the line, as drawn
        self._hover: int | None = None
        self._scroll = 0  # cells of the line scrolled off to the left (the mouse wheel)
        self._line_width = 0  # the whole line's cells, as last drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self._items = None
        self.refresh()

    @property
    def items(self) -> list[FooterItem]:
        """The keys shown, in the footer's order (as Textual's footer picks them)."""
        if self._items is None:
            shown: dict[str, FooterItem] = {}
            get_display = self.app.get_key_display
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
                if binding.show and binding.action not in shown:
                    shown[binding.action] = FooterItem(
                        binding.key,
                        get_display(binding),
                        binding.description,
                        binding.action,
                        enabled,
                        tooltip,
                    )
            items = list(shown.values())
            if items:
                items.append(FooterItem(*TAB))
            self._items = sorted(items, key=_rank)
        return self._items

    def render_line(self, y: int) -> Strip:
        """The one line, as segments (the Line API): a Rich Text would be converted to
        Textual's content and laid out again on every draw, the first frame's included."""
        width = self.size.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        compact = width < COMPACT_BELOW
        key_style = base + self.get_component_rich_style("footer-key--key")
        description_style = base + self.get_component_rich_style("footer-key--description")
        hover = Style(
            bgcolor=self.get_component_rich_style("footer-key--hover").bgcolor
        )  # the keys' colours stay
        segments: list[Segment] = []
        spans: list[tuple[int, int]] = []
        x = 0
        for index, item in enumerate(self.items):
            if compact:
                key_text, description_text = item.display, f" {item.description}"
            else:
                key_text, description_text = f" {item.display} ", f"{item.description} "
            key, description = key_style, description_style
            if index == self._hover:
                key, description = key + hover, description + hover
            if not item.enabled:
                key, description = key + _DIM, description + _DIM
            segments += (Segment(key_text, key), Segment(description_text, description))
            end = x + cell_len(key_text) + cell_len(description_text)
            spans.append((x, end))
            x = end
            if compact:
                segments.append(Segment(" ", base))  # FooterKey's margin-right in the compact footer
                x += 1
        self._spans = spans
        self._line_width = x
        self._scroll = max(0, min(self._scroll, x - width))
        return Strip(segments, x).crop_extend(self._scroll, self._scroll + width, base)

    def _at(self, x: int) -> int | None:
        x += self._scroll
        return next((i for i, (start, end) in enumerate(self._spans) if start <= x < end), None)

    def _scroll_by(self, cells: int) -> None:
        """Slide the line when it is wider than the terminal (as Textual's footer scrolls),
        so that the keys cut off at 80 columns can be reached with the mouse wheel."""
        scroll = max(0, min(self._scroll + cells, self._line_width - self.size.width))
        if scroll != self._scroll:
            self._scroll = scroll
            self.refresh()

    def _wheel(self, event: events.MouseEvent, cells: int) -> None:
        event.stop()  # the list under the footer does not scroll
        self._scroll_by(cells)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._wheel(event, SCROLL_STEP)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._wheel(event, -SCROLL_STEP)

    def on_mouse_scroll_right(self, event: events.MouseScrollRight) -> None:
        self._wheel(event, SCROLL_STEP)

    def on_mouse_scroll_left(self, event: events.MouseScrollLeft) -> None:
        self._wheel(event, -SCROLL_STEP)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._at(event.x)
        if index != self._hover:
            self._hover = index
            self.tooltip = self.items[index].tooltip or None if index is not None else None
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._at(event.x)
        if index is None:
            return
        item = self.items[index]
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()
