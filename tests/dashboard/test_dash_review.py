"""What a tmux session of the dashboard showed (session 6's review): ctrl+c quits, the
header's words follow a resize at once (a dialog open, the clock paused), and the
palette's Theme picker is ASCII where the terminal needs it."""

from __future__ import annotations

import pytest
from dashkit import screen_text, wait_settled, wait_until

from cwdash.tui import look

pytestmark = pytest.mark.anyio


async def test_ctrl_c_quits_from_the_list_and_from_a_dialog(dash) -> None:
    """Textual's ctrl+c only toasts "Press [b]q[/b] to quit" (markup, shown literally)."""
    for dialog in (None, "question_mark", "slash"):
        app = dash.app(dash.bridge())
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await wait_settled(pilot)
            if dialog is not None:
                await pilot.press(dialog)
                await pilot.pause()
            await pilot.press("ctrl+c")
            await wait_until(pilot, lambda a=app: not a.is_running, f"ctrl+c to quit ({dialog})")
        assert app.return_code == 0


async def test_ctrl_c_with_text_selected_copies_it_and_stays(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("slash")
        await pilot.press(*"char")
        await pilot.press("shift+home")  # the filter's text, selected
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running
        assert app.clipboard == "char"


def header_line(app) -> str:  # type: ignore[no-untyped-def]
    return screen_text(app).splitlines()[0].rstrip()


def words_for_this_width(app) -> str:  # type: ignore[no-untyped-def]
    """The header's first line as the bar would write it for the terminal's width now."""
    summary = app.dashboard.summary
    return summary._text_for(summary.counts).plain.split("\n")[0]


def shows_words_for_this_width(app) -> bool:  # type: ignore[no-untyped-def]
    shown = header_line(app).strip().rstrip(look.G.ellipsis).rstrip()  # cut to fit, or whole
    return bool(shown) and words_for_this_width(app).startswith(shown)


@pytest.mark.parametrize("dialog", [None, "question_mark"])
async def test_the_header_follows_a_resize_at_once(dash, dialog: str | None) -> None:
    """The clock is stopped here (as a paused clock waits for the next age to change): only
    the resize can rewrite the header. tmux showed the 200-column words cut with an
    ellipsis at 80 until the next tick, and while a dialog was open, until it closed."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_settled(pilot)
        clock = app.dashboard.clock
        clock._timer.stop()
        clock.due = None  # no tick from here on
        app.dashboard.tick()  # the counts after the first reads, at 200 columns
        await pilot.pause()
        wide = header_line(app)
        if dialog is not None:
            await pilot.press(dialog)
            await pilot.pause()
        for width, height in ((80, 24), (200, 50), (99, 30)):
            await pilot.resize_terminal(width, height)
            await wait_until(pilot, lambda w=width: app.size.width == w, f"{width} columns")
            await pilot.pause()
            assert shows_words_for_this_width(app), (header_line(app), words_for_this_width(app))
        assert header_line(app) != wide[:99].rstrip()  # the short words, not the wide ones cut


@pytest.mark.usefixtures("ascii_glyphs")
async def test_the_theme_picker_is_ascii(dash) -> None:
    """ctrl+p, then Theme: Textual's picker has its own emoji icon and "..." placeholder."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        app.search_themes()  # what the palette's Theme command calls
        await wait_until(pilot, lambda: "themes" in screen_text(app), "the theme picker")
        text = screen_text(app)
        assert text.isascii(), sorted({c for c in text if not c.isascii()})
        await pilot.press(*"nord", "enter")
        await wait_until(pilot, lambda: app.theme == "nord", "the theme chosen")
        await wait_until(pilot, lambda: app.screen is app.dashboard, "back to the list")


async def test_the_palette_offers_no_screenshot(dash) -> None:
    """Textual's Screenshot wrote the screen (a revealed token too) to ~/Downloads, failed
    where there is none, and said so in markup shown literally."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles and "Keys" not in titles
        assert "Theme" in titles and "Quit" in titles
