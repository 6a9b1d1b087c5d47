"""The filter and jump fields, made and mounted the first time they are used.

Neither shows at start, and two Inputs cost the first paint ~30M instructions (built,
styled twice with their four component classes each, Input's CSS parsed): ~10% of what
the dashboard adds to an empty Textual app. Mounted under the list (the filter above the
jump field, as they were composed), hidden until their key shows them; a mounted widget
takes the focus and the keys of the same burst at once (tests/dashboard/test_dash_flows.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cwdash.tui import look

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.widget import Widget

    from cwdash.tui.filter_input import FilterInput


class InputFields:
    """``filter_input`` and ``jump_input`` for the screen, made on first use."""

    _fields: dict[str, FilterInput]
    table: Widget
    _apply_filter: Callable[[str], None]
    _filter_done: Callable[[bool], None]
    _jump_typed: Callable[[str], None]
    _jump_done: Callable[[bool], None]

    @property
    def filter_input(self) -> FilterInput:
        return self._field("filter")

    @property
    def jump_input(self) -> FilterInput:
        return self._field("jump")

    def field_if_made(self, which: str) -> FilterInput | None:
        """The field if it exists (nothing is made for a question about it)."""
        return self.__dict__.get("_fields", {}).get(which)

    def clear_filter_field(self) -> None:
        """Empty and hide the filter field, if it was ever opened."""
        field = self.field_if_made("filter")
        if field is not None:
            field.value = ""
            field.display = False

    def _field(self, which: str) -> FilterInput:
        fields = self.__dict__.setdefault("_fields", {})
        field = fields.get(which)
        if field is not None:
            return field
        from cwdash.tui.filter_input import FilterInput  # Input and its module: on first use

        if which == "filter":
            field = FilterInput(
                self._apply_filter,
                self._filter_done,
                placeholder=f"filter: name, URL, status or error text {look.G.sep} Enter keeps, Esc clears",
                id="filter",
            )
        else:
            field = FilterInput(
                self._jump_typed,
                self._jump_done,
                placeholder=f"jump to: an instance name or its start {look.G.sep} Enter goes, Esc comes back",
                id="jump",
            )
        field.display = False
        fields[which] = field
        pane = self.table.parent
        assert pane is not None
        jump = fields.get("jump")
        if which == "filter" and jump is not None:
            pane.mount(field, before=jump)
        else:
            pane.mount(field)
        return field
