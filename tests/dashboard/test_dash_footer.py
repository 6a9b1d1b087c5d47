"""Pilot tests of the footer (tui/footer.py): one widget that draws Textual's footer line,
with its keys in the first frame (the first screen is composed once, issue 16), clickable
and dim or gone as the screen allows, redrawn when the bindings change."""

from __future__ import annotations

import pytest
from dashkit import screen_text, wait_settled, wait_until
from textual import events

from cwdash.tui.footer import KeyFooter

pytestmark = pytest.mark.anyio


def footer_text(app) -> str:  # type: ignore[no-untyped-def]
    return screen_text(app).splitlines()[-1]


async def test_the_first_frame_has_the_keys_and_the_footer_is_one_widget(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()  # the first frame: Textual's footer was still empty here
        footer = app.screen.query_one(KeyFooter)
        assert "? Help" in footer_text(app)
        assert not footer.children  # nothing composed, nothing recomposed
        await wait_settled(pilot)
        assert not footer.children


async def test_a_click_on_a_key_presses_it(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        line = footer_text(app)
        column = line.index("p Pause")
        await pilot.click(KeyFooter, offset=(column + 2, 0))
        await wait_until(pilot, lambda: "paused" in screen_text(app), "paused by the click")
        await pilot.click(KeyFooter, offset=(line.index("Tab Detail") + 1, 0))
        await wait_until(pilot, lambda: app.focused is app.query_one("#detail"), "the detail focused")


async def test_hovering_a_key_shows_its_tooltip(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        footer = app.screen.query_one(KeyFooter)
        await pilot.hover(KeyFooter, offset=(footer_text(app).index("p Pause") + 1, 0))
        assert footer.tooltip == "pause / resume live reads"
        await pilot.hover("#fleet")  # off the footer
        assert footer.tooltip is None


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_the_line_is_textual_footers_in_its_two_styles(dash, size: tuple[int, int]) -> None:
    """Compact below 120 columns (keys one space apart), Textual's roomy style above."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=size) as pilot:
        await wait_settled(pilot)
        line = footer_text(app)
        if size[0] < 120:
            assert line.startswith("? Help / Filter n Next")
        else:
            assert line.startswith(" ? Help  / Filter  n Next ")
            assert " q Quit " in line


async def test_the_wheel_slides_a_line_wider_than_the_terminal(dash) -> None:
    """At 80 columns the last keys are cut off; the mouse wheel over the footer brings them
    in (Textual's footer scrolled; the one-widget footer does too), and back."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        start = footer_text(app)
        assert "q Quit" not in start and start.startswith("? Help")
        for _ in range(20):  # Pilot has no wheel: the events its click and hover post
            await pilot._post_mouse_events([events.MouseScrollDown], KeyFooter, offset=(10, 0))
        await wait_until(pilot, lambda: "q Quit" in footer_text(app), "the last key slid in")
        assert not footer_text(app).startswith("? Help")
        # a click lands on the key drawn under it, not on the one that was there before
        line = footer_text(app)
        await pilot.click(KeyFooter, offset=(line.index("p Pause") + 2, 0))
        await wait_until(pilot, lambda: "paused" in screen_text(app), "paused by the click")
        for _ in range(20):
            await pilot._post_mouse_events([events.MouseScrollUp], KeyFooter, offset=(10, 0))
        await wait_until(pilot, lambda: footer_text(app).startswith("? Help"), "back to the start")
        # the list does not scroll under the footer's wheel
        assert app.query_one("#fleet").scroll_offset.y == 0
