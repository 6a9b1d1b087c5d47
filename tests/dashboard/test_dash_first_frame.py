"""The first frame's styles (issue 16: the first screen is composed and styled once).

The screen skips Textual's restyle of the whole tree at its first resume
(``DashboardScreen.on_screen_resume``): every node was styled as it mounted. These tests
hold that restyle redundant: applying the stylesheet to every node again after the first
frame changes no node's styles and none of its component styles, in each colour depth
and both layouts.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.dom import DOMNode
from textual.widget import Widget

from cwdash.tui.detail import DetailPane

pytestmark = pytest.mark.anyio


def styles_of(nodes: list[DOMNode]) -> list[tuple[str, list[tuple[str, str]], dict[str, object]]]:
    """Each node's computed rules and its component classes' rules, comparable."""

    def rules(styles: object) -> list[tuple[str, str]]:
        return sorted((k, repr(v)) for k, v in styles.base.get_rules().items())  # type: ignore[attr-defined]

    return [
        (
            f"{type(node).__name__}#{node.id} {sorted(node.classes)}",
            rules(node.styles),
            {c: rules(s) for c, s in node._component_styles.items()},
        )
        for node in nodes
    ]


@pytest.mark.parametrize("depth", ["truecolor", "16", "none"])
@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_a_restyle_after_the_first_frame_changes_nothing(
    dash, depth: str, size: tuple[int, int]
) -> None:
    app = dash.app(dash.bridge(), depth=depth)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()  # the first frame
        nodes = [app, *app.screen.walk_children(with_self=True)]
        first = styles_of(nodes)
        assert any(components for _, _, components in first)  # the list's component classes are in it
        app.stylesheet.update_nodes(nodes)  # what Textual's restyle at the first resume did
        assert styles_of(nodes) == first
        # the list was styled focused as it mounted (DashboardScreen.compose), and it is
        table = app.query_one("#fleet")
        assert app.focused is table and table.has_focus and "focus" in table.get_pseudo_classes()


async def test_a_later_resume_restyles_as_textual_asks(dash) -> None:
    """Only the first resume skips the restyle: a later one that asks for it (as a mode
    switch back to the screen does) restyles the screen."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        restyled: list[object] = []
        original = app.update_styles

        def update_styles(node: DOMNode, *args: object, **kwargs: object) -> None:
            restyled.append(node)
            original(node, *args, **kwargs)  # type: ignore[arg-type]

        app.update_styles = update_styles  # type: ignore[method-assign]
        screen.post_message(events.ScreenResume())
        await pilot.pause()
        assert screen in restyled


@pytest.mark.parametrize("depth", ["truecolor", "none"])
@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_an_empty_detail_draws_the_lines_textual_draws(dash, depth: str, size: tuple[int, int]) -> None:
    """Before a row's detail is shown, the pane repeats one worked-out line
    (DetailPane.render_lines): the same lines as Textual's own, line by line, with the top
    border of the narrow layout and the left border of the wide one."""
    app = dash.app(dash.bridge(), depth=depth)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        pane = app.query_one(DetailPane)
        pane._lines = []  # as in the first frame: nothing rendered yet
        crop = pane.size.region
        assert crop.height >= 4
        pane._styles_cache.clear()
        ours = pane.render_lines(crop)
        pane._styles_cache.clear()
        textuals = Widget.render_lines(pane, crop)
        assert len(ours) == len(textuals) == crop.height
        assert [strip.text for strip in ours] == [strip.text for strip in textuals]
        assert ours == textuals  # segment by segment, styles included
