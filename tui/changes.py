"""``c``: what changed since you last looked (since the last ``c``, or since the dashboard
started), one line per instance, the most recent first; Enter goes to the instance."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cwdash.tui import look
from cwdash.tui.timeline import Change, change_line, clock_time

SHOWN = 500  # lines at most (the store keeps the rest: `cwdash history NAME`)


class ChangesScreen(ModalScreen[str | None]):
    """The list of changes; Enter dismisses with its row's key, Escape with None."""

    DEFAULT_CSS = """
    ChangesScreen { align: center middle; }
    #changes-box {
        width: 100; max-width: 100%; height: auto; max-height: 90%;
        padding: 0 1; background: $surface; border: thick $primary;
    }
    ChangesScreen.-ascii #changes-box { border: ascii $primary; }
    #changes-list { height: auto; max-height: 30; border: none; }
    """
    BINDINGS = [
        Binding("escape,q,c", "close", "Close"),
        Binding("j", "move(1)", "Down", show=False),  # as in the list: j k move too
        Binding("k", "move(-1)", "Up", show=False),
    ]

    def __init__(self, changes: list[Change], since: float, now: float) -> None:
        super().__init__()
        self.changes = changes[:SHOWN]
        self.more = max(0, len(changes) - SHOWN)
        self.since = since
        self.now = now

    def compose(self) -> ComposeResult:
        count = len(self.changes) + self.more
        title = (
            f"changed since {clock_time(self.since)}: {count} instance{'s' * (count != 1)}"
            if count
            else f"nothing changed since {clock_time(self.since)}"
        )
        with Vertical(id="changes-box"):
            yield Static(Text(title, style="bold"), markup=False, id="changes-title")
            if self.changes:
                options = [
                    Option(Text(change_line(c, self.now)), id=str(i)) for i, c in enumerate(self.changes)
                ]
                yield OptionList(*options, id="changes-list")
            more = f"{self.more} more not shown; " if self.more else ""
            yield Static(
                Text(f"{more}Enter goes to the instance, Escape or c closes", style="dim"), markup=False
            )

    def on_mount(self) -> None:
        self.set_class(look.G.ascii, "-ascii")
        if self.changes:
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(event.option.id or 0)
        change = self.changes[index]
        self.dismiss(change.key or change.name)

    def action_move(self, step: int) -> None:
        if self.changes:
            options = self.query_one(OptionList)
            (options.action_cursor_down if step > 0 else options.action_cursor_up)()

    def action_close(self) -> None:
        self.dismiss(None)
