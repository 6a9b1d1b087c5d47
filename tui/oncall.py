"""The on-call keys: the next or previous row needing attention (n, N), jump by name (:),
the selected instance in full (Enter). Mixed into the dashboard screen like the list's
and the token's actions.
"""

from __future__ import annotations

from itertools import compress, repeat
from typing import TYPE_CHECKING

from cwdash.store.fleet import Fleet, FleetRow
from cwdash.store.readmodel import MappedError, ReadResult, StatusRead
from cwdash.store.text import one_line
from cwdash.tui.table import FleetTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from cwdash.store.readmodel import ReadModel
    from cwdash.tui.filter_input import FilterInput
    from cwdash.tui.verify_actions import VerifyView

    _Base = Screen[None]
else:
    _Base = object


def find_name(fleet: Fleet, typed: str) -> str | None:
    """The row key of the instance ``typed`` names: the exact name, else (ignoring case) the
    first in natural order that the name starts with, else None."""
    if typed in fleet.rows:
        return typed
    needle = typed.strip().lower()
    if not needle:
        return None
    hits = [  # a pass over each site's lower-cased names (a million rows: no row object each)
        FleetRow.at(columns, i)
        for columns in fleet.rows.sites.values()
        for i in compress(range(len(columns)), map(str.startswith, columns.folded, repeat(needle)))
    ]
    exact = [row for row in hits if row.name == typed]  # one site's, with several (--all-sites)
    return min(exact or hits, key=lambda row: (row.sort_name, row.site)).key if hits else None


class OnCallActions(_Base):
    """n / N, the jump field, the full view; the screen provides the rest."""

    fleet: Fleet
    table: FleetTable
    jump_input: FilterInput
    clear_filter_field: Callable[[], None]  # tui/fields.py
    selected: str | None
    current: ReadResult | None
    model: ReadModel

    if TYPE_CHECKING:  # declared only: the screen's and ListActions' own (a stub here would shadow them)

        def _sync_selection(self) -> None: ...
        def _view_changed(self) -> None: ...
        def model_for(self, row: FleetRow | None) -> ReadModel: ...
        def verify_view(self, name: str | None) -> VerifyView | None: ...
        def history_rows(self, row: FleetRow | None) -> list[tuple[str, list[tuple[str, str] | str]]]: ...

    def action_next_attention(self, step: int) -> None:
        """Move to the next (step 1) or previous (-1) row in the view needing attention, wrapping."""
        view = self.fleet.view
        if not view:
            return
        start = self.table.cursor
        for offset in range(1, len(view) + 1):
            index = (start + step * offset) % len(view)
            if view[index].needs_attention:
                self.table.move_to(index)
                return
        self.notify("nothing in the list needs attention", timeout=3)

    # -- jump by name ------------------------------------------------------------

    def action_jump(self) -> None:
        """Open the jump field, focused at once (see list_actions: keys of one burst follow)."""
        field = self.jump_input
        if self.focused is field:
            return
        self._jump_from = self.table.cursor_name
        field.value = ""
        field.display = True
        self.set_focus(field)
        field.call_later(setattr, field, "display", True)

    def _jump_typed(self, value: str) -> None:
        """As you type: the cursor goes to the first instance the text names, if any is listed."""
        name = find_name(self.fleet, value) if value else None
        if name is not None:
            index = self.fleet.index_of(name)
            if index is not None:
                self.table.move_to(index)

    def _jump_done(self, keep: bool) -> None:
        self.set_focus(self.table)
        self.jump_input.call_later(self._jump_settled, keep)

    def _jump_settled(self, keep: bool) -> None:
        field = self.jump_input
        typed, field.display = field.value, False
        if not keep:
            back = getattr(self, "_jump_from", None)
            index = self.fleet.index_of(back) if back is not None else None
            if index is not None:
                self.table.move_to(index)
            return
        name = find_name(self.fleet, typed)
        if name is None:
            self.notify(f"no instance named {one_line(typed, 60)!r} (nor starting so)", severity="warning")
            return
        if self.fleet.index_of(name) is None:  # hidden by the filter or the attention view
            self.fleet.filter_text = ""
            self.fleet.attention_only = False
            self.clear_filter_field()
            self._view_changed()
            self.notify("filter and attention view cleared to show it", timeout=3)
        index = self.fleet.index_of(name)
        if index is not None:
            self.table.move_to(index)

    # -- the full view -------------------------------------------------------------

    def action_open_full(self) -> None:
        """The selected instance full screen: the whole error and live-read reason, never the token."""
        self._sync_selection()
        row = self.fleet.rows.get(self.selected) if self.selected is not None else None
        if row is None:
            return
        from cwdash.tui.fullview import FullView, error_texts, full_content  # on the first Enter

        read = self.current if isinstance(self.current, StatusRead | MappedError) else None
        self.app.push_screen(
            FullView(
                row.name,
                full_content(
                    row,
                    read,
                    gateway_configured=self.model_for(row).gateway_configured,
                    verify=self.verify_view(self.selected),
                    history=self.history_rows(row),
                ),
                error_texts(row, read),
            )
        )
