"""The selected instance in full (Enter): the whole last error and the whole live-read
reason, wrapped and scrollable, then every other field; never the token.

The list's LAST ERROR column and the side detail cut long texts; on call, the whole
message is what matters. The view takes the whole screen, so it works at 40x12 too,
where the side detail has no room. Its text can be selected with the mouse, and ``y``
sends the error text (not the token) to the terminal's clipboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from cwdash.store.fleet import FleetRow
from cwdash.store.readmodel import MappedError, StatusRead
from cwdash.store.text import literal, one_line
from cwdash.styles import sheet
from cwdash.tui.clipboard import osc52_sequences
from cwdash.tui.detail import TokenView, render_detail
from cwdash.tui.textual_private import write_to_terminal

if TYPE_CHECKING:
    from cwdash.tui.verify_actions import VerifyView


def error_texts(row: FleetRow | None, read: StatusRead | MappedError | None) -> list[tuple[str, str]]:
    """(heading, whole text) of what is wrong with the row, most important first."""
    if row is None:
        return []
    out: list[tuple[str, str]] = []
    mapped = row.mapped if row.mapped is not None else read if isinstance(read, MappedError) else None
    if mapped is not None:
        out.append(("state", f"{mapped.http_status}  {mapped.message}\nwhat to do: {mapped.hint}"))
    last_error = read.document.last_error if isinstance(read, StatusRead) else row.last_error
    if last_error and mapped is None:
        out.append(("last_error", last_error))
    if row.failure is not None:
        out.append(("live read", f"{row.failure.describe()}\nwhat to do: {row.failure.hint}"))
    return out


def full_content(
    row: FleetRow | None,
    read: StatusRead | MappedError | None,
    *,
    gateway_configured: bool,
    verify: VerifyView | None = None,
    history: list[tuple[str, list[tuple[str, str] | str]]] | None = None,
) -> RenderableType:
    """The errors in full, then all the detail shows (flags, site, local data's age, the
    history strip and last transitions, the last verify) but the token line: at 40x12
    this view is the only detail."""
    errors = Text()
    for heading, text in error_texts(row, read):
        errors.append(f"{heading}\n", style="bold underline")
        errors.append(literal(text, limit=20_000), style="bold" if heading != "live read" else "")
        errors.append("\n\n")
    if row is not None and not errors:
        errors.append("no error: healthy as far as cwdash knows\n\n", style="dim")
    detail = render_detail(
        row,
        read,
        TokenView(),
        gateway_configured=gateway_configured,
        no_reveal=True,
        token_line=False,
        verify=verify,
        history=history,
    )
    return Group(errors, detail)


class FullView(Screen[None]):
    """One instance, full screen; Escape, Enter or q goes back to the list."""

    CSS_PATH = sheet("fullview")  # read when the full view first opens

    BINDINGS = [
        Binding("escape,enter,q", "close", "Back", key_display="Esc"),
        Binding(
            "y", "copy_error", "Copy error", tooltip="send the error text (never the token) to the clipboard"
        ),
        Binding("up,k", "scroll(-1)", "Up", show=False),
        Binding("down,j", "scroll(1)", "Down", show=False),
    ]

    def __init__(self, name: str, content: RenderableType, errors: list[tuple[str, str]]) -> None:
        super().__init__()
        self.instance = name
        self.content = content
        self.errors = errors

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="full-box"):
            yield Static(
                Text(one_line(self.instance, 200), style="bold reverse"), id="full-title", markup=False
            )
            yield Static(self.content, id="full-body", markup=False)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#full-box").focus()

    def action_scroll(self, delta: int) -> None:
        self.query_one("#full-box", VerticalScroll).scroll_relative(y=delta, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def _say(self, message: str, *, title: str = "", timeout: float) -> None:
        """A toast over this view: its own answer (others wait for the list: tui/notices.py)."""
        self.app.notify(message, title=title, timeout=timeout, over_dialog=True)  # type: ignore[call-arg]

    def action_copy_error(self) -> None:
        if not self.errors:
            self._say("nothing to copy: no error", timeout=3)
            return
        text = "\n\n".join(f"{heading}: {body}" for heading, body in self.errors)
        write = osc52_sequences(text)
        for sequence in write.sequences:
            write_to_terminal(self.app, sequence)
        self._say(
            f"sent {len(text):,} characters to the terminal's clipboard ({write.via}); they arrive only "
            "if the terminal allows OSC 52 (tmux: set -g set-clipboard on)",
            title="error text",
            timeout=6,
        )
