"""Pilot tests of issue 12's last rough edges: every screen drawn in ASCII where the
terminal needs it, the footer's keys at 80 columns, toasts that cover neither the header
nor an open dialog, the full view as the only detail, and the attention view's order."""

from __future__ import annotations

import pytest
from dashkit import CHARLIE_ERROR, TOKENS, render_plain, screen_text, select, wait_settled, wait_until

from cwdash.tui import look

pytestmark = pytest.mark.anyio


def non_ascii(text: str) -> list[str]:
    return sorted({c for c in text if not c.isascii()})


# every screen and dialog, opened from the list with its key (then closed with Escape)
SCREENS = [
    ("question_mark", "HelpScreen"),
    ("c", "ChangesScreen"),
    ("enter", "FullView"),
    ("slash", "DashboardScreen"),  # the filter input
    ("colon", "DashboardScreen"),  # the jump input
    ("e", "ExportScreen"),
    ("ctrl+p", "AsciiPalette"),
]


@pytest.mark.usefixtures("ascii_glyphs")
@pytest.mark.parametrize("size", [(80, 24), (40, 12), (200, 50)])
async def test_every_screen_and_dialog_is_ascii_only(dash, size: tuple[int, int]) -> None:
    """Borders, toasts, scrollbars, inputs, the palette, the footer: nothing but ASCII."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=size, notifications=True) as pilot:
        await wait_settled(pilot)
        await select(pilot, "charlie")
        for key, screen in SCREENS:
            app.notify("a toast, raised twice", title="toast", severity="warning")
            app.notify("a toast, raised twice", title="toast", severity="warning")
            await pilot.press(key)
            await wait_until(pilot, lambda s=screen: type(app.screen).__name__ == s, screen)
            await pilot.pause()
            text = screen_text(app)
            assert text.isascii(), (key, non_ascii(text), text)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is app.dashboard, "back to the list")
        app.notify("a toast", title="toast", severity="error")
        app.notify("a toast", title="toast", severity="error")
        await wait_until(pilot, lambda: "a toast" in screen_text(app), "the toast")
        text = screen_text(app)
        assert text.isascii(), non_ascii(text)
        assert "x2" in text  # coalesced, said in ASCII


# -- toasts: never over the header, never over an open dialog -----------------------------


def assert_header_clear(app) -> None:  # type: ignore[no-untyped-def]
    header = screen_text(app).splitlines()[:2]
    assert header[0].startswith(" cwdash") and "gateway" in header[1]
    assert not any(glyph in line for line in header for glyph in ("▌", "toast", "t7")), header


async def test_toasts_cover_neither_the_header_nor_an_open_dialog(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_settled(pilot)
        for n in range(8):  # more than fit: the oldest go, the stack stops short of the header
            app.notify(f"toast number {n} " + "with a longer text " * 3, title=f"t{n}", timeout=30)
            await pilot.pause()
        await wait_until(pilot, lambda: "toast number 7" in screen_text(app), "the toasts")
        assert_header_clear(app)
        assert "toast number 0" not in screen_text(app)
        # the newest toast is drawn whole, above the footer (Textual alone cuts a wrapped one)
        assert app.screen.query("Toast").last().region.bottom <= app.size.height - 1
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", "the help")
        app.notify("raised while the help is open", title="later", timeout=30)
        await pilot.pause()
        text = screen_text(app)
        assert "toast number" not in text and "raised while" not in text  # held, not drawn over it
        assert "cwdash keys" in text
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: "raised while" in screen_text(app), "the held toast, back on the list"
        )
        assert_header_clear(app)


async def test_the_full_view_shows_its_own_answer(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_settled(pilot)
        await select(pilot, "charlie")
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "FullView", "the full view")
        app.notify("an alert from the list", title="alert")
        await pilot.press("y")
        await wait_until(pilot, lambda: "clipboard" in screen_text(app), "the copy's answer")
        assert "an alert from the list" not in screen_text(app)


# -- the footer: the keys that matter most, first ---------------------------------------


def footer_text(app) -> str:  # type: ignore[no-untyped-def]
    return screen_text(app).splitlines()[-1]


@pytest.mark.usefixtures("ascii_glyphs")
@pytest.mark.parametrize("no_reveal", [False, True])
async def test_the_footer_shows_help_pause_and_tab_at_80_columns(dash, no_reveal: bool) -> None:
    app = dash.app(dash.bridge(), no_reveal=no_reveal)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "Help" in footer_text(app), "the footer")
        footer = footer_text(app)
        for key in (
            "? Help",
            "/ Filter",
            "n Next",
            ": Jump",
            "Enter Full",
            "p Pause",
            "Tab Detail",
            "c Changes",
        ):
            assert key in footer, (key, footer)
        assert footer.index("? Help") < footer.index("p Pause") < footer.index("Tab Detail")
        assert ("t Token" in footer) is not no_reveal
        assert "y " not in footer
        await pilot.resize_terminal(200, 50)
        await wait_until(pilot, lambda: "q Quit" in footer_text(app), "the whole footer at 200 columns")
        assert ("t Token" in footer_text(app)) is not no_reveal


async def test_tab_in_the_footer_moves_the_keys_to_the_detail(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("tab")
        await wait_until(pilot, lambda: app.focused is app.query_one("#detail"), "the detail focused")


# -- the full view: at 40x12 the only detail ---------------------------------------------


def full_text(app) -> str:  # type: ignore[no-untyped-def]
    return render_plain(app.screen.query_one("#full-body").content)


async def test_the_full_view_shows_what_the_detail_shows_but_the_token(dash) -> None:
    from cwdash.store.simchatwoot import SimChatwoot

    with SimChatwoot(hang=True) as hung:
        with dash.store.write():
            dash.store.conn.execute(
                "UPDATE chatwoot_integrations SET chatwoot_base_url = ? WHERE instance_name = 'charlie'",
                (hung.url,),
            )
        app = dash.app(dash.bridge())
        async with app.run_test(size=(40, 12)) as pilot:
            await wait_settled(pilot)
            await select(pilot, "charlie")
            await pilot.press("v")  # a verify that runs until the test ends
            await wait_until(pilot, lambda: app.dashboard.verify_view("charlie") is not None, "the verify")
            await pilot.press("enter")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "FullView", "the full view")
            text = full_text(app)
            assert CHARLIE_ERROR in text
            for field in ("last 24 h", "in this state", "sign_messages", "reopen_resolved", "verify"):
                assert field in text, (field, text)
            assert "chatwoot_api_token" not in text and TOKENS["charlie"] not in text


async def test_the_full_view_says_how_old_local_data_is(dash) -> None:
    app = dash.app(None)  # no gateway: every row is local
    async with app.run_test(size=(40, 12)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "alpha")
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "FullView", "the full view")
        assert "local_written" in full_text(app)


# -- the cursor reads in every theme ------------------------------------------------------


def drawn_style(app, text: str):  # type: ignore[no-untyped-def]
    """The style the terminal gets for the first cell showing ``text`` (the composed screen)."""
    import io

    from rich.console import Console

    console = Console(width=app.size.width, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return next(seg.style for seg in console.render(update) if text in seg.text)


async def test_the_cursor_reads_in_every_theme_focused_or_not(dash) -> None:
    """Issue 12 item 2: the cursor was white on orange (2:1) in textual-dark; its text is
    now black or white, whichever reads on the theme's bar: 4.5:1 at least, everywhere."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "bravo")
        table = app.query_one("#fleet")
        poor = []
        for theme in sorted(app.available_themes):
            app.theme = theme
            for focused in (True, False):
                (table if focused else app.query_one("#detail")).focus()
                await pilot.pause()
                style = drawn_style(app, "bravo")
                fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
                ratio = look.contrast(tuple(fg), tuple(bg))
                if ratio < 4.5:
                    poor.append((theme, focused, tuple(fg), tuple(bg), round(ratio, 2)))
        assert not poor
