"""Preferences that persist (config.toml): a theme chosen in the palette is back at the next
start, [keys] remaps bindings by id (and the footer and help show it), bad entries are
reported without stopping the start. And every live failure reason has a short list label."""

from __future__ import annotations

import re
import tomllib

import pytest
from dashkit import record_notifications, screen_text, wait_settled, wait_until

from cwdash.store import prefs
from cwdash.store.sources.outcome import Reason
from cwdash.tui.app import BINDING_IDS
from cwdash.tui.cells import REASON_SHORT
from cwdash.tui.help import HelpScreen

pytestmark = pytest.mark.anyio


def write_prefs(text: str) -> None:
    path = prefs.prefs_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def test_a_theme_chosen_in_the_palette_is_back_at_the_next_start(dash) -> None:
    app = dash.app(dash.bridge())
    default = app.theme
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await wait_until(pilot, lambda: "Change the current theme" in screen_text(app), "the Theme command")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Search for themes" in screen_text(app), "the theme palette")
        await pilot.press(*"nord")
        await wait_until(pilot, lambda: "nord" in screen_text(app), "nord in the list")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.theme == "nord", "the theme to change")
        assert tomllib.loads(prefs.prefs_path().read_text())["theme"] == "nord"
    assert default != "nord"
    again = dash.app(dash.bridge())
    notes = record_notifications(again)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert again.theme == "nord"
        assert not [n for n in notes if n[0] == "preferences"]


async def test_keys_remaps_filter_and_the_footer_and_help_show_it(dash) -> None:
    write_prefs('[keys]\nfilter = "f"\n')
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert " f Filter" in footer and "/ Filter" not in footer
        await pilot.press("f")
        await wait_until(pilot, lambda: app.query_one("#filter").has_focus, "the filter to open")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.query_one("#fleet").has_focus, "the list again")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        shown = screen_text(app)
        assert re.search(r"(^|[\s█▌▐│])f\s{2,}filter the list as you type", shown, re.M), shown
        assert not re.search(r"(^|[\s█▌▐│])/\s{2,}filter the list as you type", shown, re.M)


async def test_bad_entries_are_reported_and_the_good_ones_kept(dash) -> None:
    write_prefs('theme = "no-such-theme"\n[keys]\nnope = "x"\nrefresh = "ctrl+ r"\nsort = "o"\n')
    app = dash.app(dash.bridge())
    notes = record_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        said = [message for title, message, severity in notes if title == "preferences"]
        assert len(said) == 3, said
        assert any("'no-such-theme' is not a theme here" in m for m in said)
        assert any("'nope' is not a binding id" in m for m in said)
        assert any("refresh" in m and "is not a key name" in m for m in said)
        assert app.is_running and app.theme == "textual-dark"
        before = app.dashboard.fleet.sort_key
        await pilot.press("o")  # the good entry applied: o sorts (the footer no longer lists Sort)
        await wait_until(pilot, lambda: app.dashboard.fleet.sort_key != before, "o to sort")


async def test_a_key_taken_from_another_binding_is_said(dash) -> None:
    write_prefs('[keys]\nrefresh = "t"\n')
    app = dash.app(dash.bridge())
    notes = record_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        said = [message for title, message, _ in notes if title == "preferences"]
        assert len(said) == 1 and "[keys] refresh = 't': 't' is already the key of Token" in said[0]


def test_the_keys_table_names_the_screen_bindings() -> None:
    assert {"filter", "refresh", "copy", "token", "help", "quit"} <= set(BINDING_IDS)


def test_every_reason_has_a_short_label() -> None:
    assert set(REASON_SHORT) == {reason.value for reason in Reason}
    assert REASON_SHORT["proxy"] == "proxy" and REASON_SHORT["proxy_auth"] == "proxy auth"


@pytest.mark.parametrize("saved", ["nord", "textual-light"])
async def test_a_saved_theme_is_the_only_one_worked_out_at_start(
    dash, monkeypatch: pytest.MonkeyPatch, saved: str
) -> None:
    """The stylesheet starts with the saved theme's variables; the default theme's are
    not worked out first only to be replaced (CwdashApp.get_css_variables). A light theme
    (another brightness: Textual's own way) too."""
    from textual.app import App

    worked_out: list[str] = []
    original = App.get_css_variables

    def get_css_variables(self: App[None]) -> dict[str, str]:
        worked_out.append(self.current_theme.name)
        return original(self)

    monkeypatch.setattr(App, "get_css_variables", get_css_variables)
    write_prefs(f'theme = "{saved}"\n')
    app = dash.app(dash.bridge())
    assert set(worked_out) == {saved}
    theme = app.get_theme(saved)
    assert theme is not None
    assert app.stylesheet._variables["primary"].lower() == theme.primary.lower()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == saved and "cwdash" in screen_text(app)
