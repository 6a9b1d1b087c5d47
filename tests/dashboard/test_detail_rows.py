"""The detail pane keeps each field row's lines (tui/detail.py): a tick that changes one
age renders that row alone, and the lines are the same as rendering the whole detail."""

from __future__ import annotations

import pytest
from rich.console import Group
from rich.text import Text
from textual.app import App, ComposeResult
from textual.strip import Strip

from cwdash.tui.detail import DetailPane, _Fields

pytestmark = pytest.mark.anyio


def detail(age: str, error: str = "") -> Group:
    fields = _Fields()
    fields.add("status", ("active", "green"))
    fields.add("source", ("live", "green"), f"  read {age}")
    fields.add("last_error", (error or "- (healthy)", "red" if error else "dim"))
    fields.add("chatwoot_base_url", "https://chat.example.com/" + "a-long-path/" * 12)  # wraps
    for n in range(12):
        fields.add(f"flag_{n}", ("on ", "bold green"), ("  what it means", ""))
    head = Text("instance-1", style="bold")
    return Group(head, fields)


def whole(pane: DetailPane) -> list[Strip]:
    """The detail rendered whole, as the pane did before it kept rows."""
    width = pane.scrollable_content_region.width
    console = pane.app.console
    options = console.options.update(width=width, height=None, highlight=False)
    lines = console.render_lines(pane.content, options, style=pane.rich_style, pad=True)
    return [Strip(line, width) for line in lines]


class Pane(App[None]):
    def compose(self) -> ComposeResult:
        yield DetailPane(id="detail")


async def test_a_tick_renders_only_the_row_that_changed_and_the_same_lines() -> None:
    app = Pane()
    async with app.run_test(size=(70, 40)) as pilot:
        pane = app.query_one(DetailPane)
        pane.show(detail("just now"))
        await pilot.pause()
        first = pane.rows_rendered
        assert first == 16  # every row, the first time
        for age in ("25s ago", "30s ago", "1m ago"):
            pane.show(detail(age))
            assert pane.rows_rendered - first == 1  # the source row alone
            assert pane._lines == whole(pane)  # the same lines as rendering the detail whole
            first = pane.rows_rendered
        pane.show(detail("1m ago", error="HTTP 500" * 20))  # a longer row: more lines
        assert pane.rows_rendered - first == 1
        assert pane._lines == whole(pane)
        before = pane.rows_rendered
        await pilot.resize_terminal(50, 40)  # another width: every row again
        await pilot.pause()
        assert pane.rows_rendered - before == 16
