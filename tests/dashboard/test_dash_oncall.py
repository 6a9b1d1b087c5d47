"""Pilot tests of issue 12: the layout on every resize, the on-call keys (n/N, jump by name,
the full view), live changes re-applying the view, a dead gateway said once for the fleet,
and the rough edges (theme change, sort cycle, INBOX title, the palette's Keys panel, the
legend, the token problem said once, one vocabulary)."""

from __future__ import annotations

import base64
import re

import pytest
from dashkit import (
    BRIDGE_TOKEN,
    FAST,
    TOKENS,
    banner_text,
    burst,
    closed_port_url,
    detail_text,
    record_notifications,
    row_texts,
    screen_text,
    select,
    summary_text,
    view_names,
    wait_settled,
    wait_until,
)

from cwdash.store.charset import wants_ascii
from cwdash.store.simbridge import Reply, live
from cwdash.store.status import STATES
from cwdash.tui import look
from cwdash.tui.cells import REASON_SHORT
from cwdash.tui.fullview import FullView
from cwdash.tui.help import HelpScreen

pytestmark = pytest.mark.anyio

# live reads of every row, often: live changes reach the list within a moment
OFTEN = FAST._replace(visible_every=0.1, round_every=0.1)


# -- 1. the layout follows every size change --------------------------------------------------


def placed(app) -> str:  # type: ignore[no-untyped-def]
    table, detail = app.query_one("#fleet"), app.query_one("#detail")
    if not detail.display:
        return "alone"
    return "beside" if detail.region.x > table.region.x else "below"


async def test_the_layout_follows_every_resize_in_both_directions(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_settled(pilot)
        assert placed(app) == "beside"
        for _ in range(6):  # the issue: 4 of 6 shrinks kept the wide arrangement
            await pilot.resize_terminal(100, 24)
            await pilot.pause()
            assert placed(app) == "below" and app.query_one("#fleet").region.width == 100
            assert "LAST ERROR" in row_texts(app)[0]
            await pilot.resize_terminal(200, 50)
            await pilot.pause()
            assert placed(app) == "beside"
        # side by side from 120 columns
        await pilot.resize_terminal(119, 30)
        await pilot.pause()
        assert placed(app) == "below"
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert placed(app) == "beside" and "LAST ERROR" in row_texts(app)[0]
        # no room for the detail under the list: left out, and Enter shows it full screen
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert placed(app) == "alone"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FullView), "the full view")
        assert "alpha" in screen_text(app) and "status" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.dashboard, "the list again")


# -- the on-call keys ----------------------------------------------------------------------


async def test_n_and_shift_n_go_to_the_next_and_previous_row_needing_attention(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        # needing attention: charlie (error), delta (no integration), golf (its read fails)
        seen = []
        for _ in range(4):
            await pilot.press("n")
            await pilot.pause()
            seen.append(app.dashboard.table.cursor_name)
        assert seen == ["charlie", "delta", "golf", "charlie"]  # wraps around
        await pilot.press("N")
        await pilot.pause()
        assert app.dashboard.table.cursor_name == "golf"


async def test_colon_jumps_by_exact_or_prefix_name_escape_comes_back(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        notes = record_notifications(app)
        burst(app, ":go\r")  # typed right behind the colon, in one read of the terminal
        await wait_until(pilot, lambda: app.dashboard.selected == "golf", "golf by its start")
        assert app.dashboard.table.has_focus and not app.query_one("#jump").display
        burst(app, ":charlie\r")
        await wait_until(pilot, lambda: app.dashboard.selected == "charlie", "charlie by its name")
        burst(app, ":zzz\r")
        await wait_until(pilot, lambda: any("no instance named 'zzz'" in m for _, m, _ in notes), "the miss")
        assert app.dashboard.selected == "charlie"
        burst(app, ":ec")
        await wait_until(pilot, lambda: app.dashboard.table.cursor_name == "echo", "the cursor as you type")
        burst(app, "\x1b")
        await wait_until(pilot, lambda: app.dashboard.table.cursor_name == "charlie", "back where it was")
        # a name the filter hides: the filter goes, the instance is shown
        burst(app, "/golf\r")
        await wait_until(pilot, lambda: view_names(app) == ["golf"], "the filter")
        burst(app, ":alpha\r")
        await wait_until(pilot, lambda: app.dashboard.selected == "alpha", "alpha, behind the filter")
        assert len(view_names(app)) == 6


async def test_enter_shows_the_whole_error_and_the_whole_reason_never_the_token(dash, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    long_error = "chatwoot: 422 " + " ".join(f"part{i}" for i in range(80)) + " THE-END"
    routes = {
        "int_alpha": live("active"),
        "int_bravo": live("paused"),
        "int_charlie": live("error", long_error),
        "int_echo": live("active"),
        "int_golf": Reply(status=404, body={"error": "integration not found"}),
    }
    app = dash.app(dash.bridge(routes))
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "charlie")
        await wait_until(pilot, lambda: "THE-END" in detail_text(app), "the long error")
        assert "THE-END" not in "".join(row_texts(app))  # the list cuts it
        await pilot.press("t")  # revealed in the detail...
        await wait_until(pilot, lambda: TOKENS["charlie"] in detail_text(app), "the reveal")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FullView), "the full view")
        text = screen_text(app)
        assert "THE-END" in text and "part40" in text  # whole, wrapped at 200 columns
        assert TOKENS["charlie"] not in text  # ...never in the full view
        written: list[str] = []
        monkeypatch.setattr(app._driver, "write", written.append)
        await pilot.press("y")  # the error text goes to the clipboard, never the token
        await pilot.pause()
        (sent,) = {w.split(";", 2)[2].rstrip("\x07") for w in written if "]52;c;" in w and "tmux" not in w}
        copied = base64.b64decode(sent).decode()
        assert "THE-END" in copied and TOKENS["charlie"] not in copied
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.dashboard, "back to the list")
        await select(pilot, "golf")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FullView), "golf in full")
        text = screen_text(app)
        assert "bridge does not know the integration: HTTP 404" in text
        assert "the bridge lost this integration" in text


# -- 5. live changes re-apply the filter, the attention view and the sort --------------------


async def test_live_changes_reapply_filter_and_sort_without_moving_the_cursor(dash) -> None:
    answers = {
        "int_alpha": live("active"),
        "int_bravo": live("error", "boom"),
        "int_charlie": live("error", "chatwoot: 401"),
        "int_echo": live("active"),
        "int_golf": live("active"),
    }
    app = dash.app(dash.bridge(lambda ident: answers[ident]), settings=OFTEN)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        burst(app, "/error\r")
        await wait_until(pilot, lambda: view_names(app) == ["bravo", "charlie"], "the errors")
        await select(pilot, "charlie")
        answers["int_bravo"] = live("active")  # not selected: it leaves the filtered list
        await wait_until(pilot, lambda: view_names(app) == ["charlie"], "bravo to leave the filter")
        assert app.dashboard.selected == "charlie"
        answers["int_charlie"] = live("active")  # selected: stays listed under the cursor
        await wait_until(pilot, lambda: app.dashboard.fleet.rows["charlie"].status == "active", "charlie")
        await pilot.pause(0.5)
        assert view_names(app) == ["charlie"] and app.dashboard.selected == "charlie"
        burst(app, "\x1b")  # clear the filter; sort by status
        await wait_until(pilot, lambda: len(view_names(app)) == 6, "every row")
        app.dashboard.fleet.sort_key = "status"
        app.dashboard._view_changed()
        await select(pilot, "alpha")
        answers["int_echo"] = live("error", "late")
        await wait_until(pilot, lambda: view_names(app)[0] == "echo", "echo sorted among the errors")
        assert app.dashboard.selected == "alpha"
        assert app.dashboard.table.cursor_name == "alpha"


# -- 6. a dead gateway -----------------------------------------------------------------------


async def test_a_gateway_refusing_the_token_is_said_for_the_fleet_and_rows_look_stale(dash) -> None:
    app = dash.app(dash.bridge(token="the-bridge-expects-another-token"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "since" in banner_text(app), "the fleet-wide banner")
        banner = banner_text(app)
        assert re.search(r"bridge rejected BRIDGE_TOKEN since \d\d:\d\d", banner)
        assert "BRIDGE_TOKEN is wrong or expired" in banner and BRIDGE_TOKEN not in banner
        assert "no live answer yet" in summary_text(app)
        table = app.dashboard.table
        await select(pilot, "bravo")
        alpha = table.render_line(1 + app.dashboard.fleet.index_of("alpha"))
        status = next(s for s in alpha if s.text.startswith(look.G.states["active"]))
        assert status.style.italic  # local values a failing read cannot confirm: not drawn as live


async def test_a_closed_port_is_said_for_the_fleet(dash) -> None:
    app = dash.app(closed_port_url())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        await wait_until(pilot, lambda: "since" in banner_text(app), "the fleet-wide banner")
        assert re.search(r"bridge unreachable since \d\d:\d\d", banner_text(app))


# -- 8. the smaller rough edges --------------------------------------------------------------


async def test_a_theme_change_repaints_the_detail_at_once(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        detail = app.query_one("#detail")
        before = detail.render_line(0).__iter__().__next__().style.bgcolor
        app.theme = "textual-light"
        await pilot.pause()
        after = next(iter(detail.render_line(0))).style.bgcolor
        assert after != before and after == detail.rich_style.bgcolor


async def test_s_cycles_only_through_shown_columns_and_the_arrow_always_shows(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(110, 24)) as pilot:  # INBOX shown, CHATWOOT not
        await wait_settled(pilot)
        table = app.dashboard.table
        seen = set()
        for _ in range(8):
            await pilot.press("s")
            await pilot.pause()
            key = app.dashboard.fleet.sort_key
            seen.add(key)
            assert key in table.shown_keys()
            assert "▲" in row_texts(app)[0]
        assert "url" not in seen and "inbox" in seen
        while app.dashboard.fleet.sort_key != "inbox":
            await pilot.press("s")
        await pilot.pause()
        assert "INBOX ▲" in row_texts(app)[0]  # not "INBOX…"


async def test_the_palette_leaves_out_textuals_keys_panel_and_hidden_actions(dash) -> None:
    app = dash.app(dash.bridge(), no_reveal=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Keys" not in titles and "Token" not in titles and "Copy" not in titles
        assert "Jump" in titles


async def test_help_explains_every_source_label_glyph_and_key(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        static = app.screen.query_one("#help-box").children[0]
        from dashkit import render_plain

        text = render_plain(static.content, width=76)
        for label in REASON_SHORT.values():
            assert f"local·{label}" in text, label
        for state in STATES:
            assert look.state_label(state) in text
        for key in ("Tab", "p", "n", "N", ":", "Enter", look.G.mask, look.G.changed, "live 5s", "local 3d"):
            assert key in text, key


async def test_the_token_problem_is_said_once(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "echo")
        await pilot.press("t")
        await wait_until(pilot, lambda: "cannot be opened" in detail_text(app), "the token problem")
        assert detail_text(app).count("cannot be opened") == 1


def test_the_list_says_the_words_the_cli_says() -> None:
    for state, meaning in STATES.items():
        assert look.state_label(state) == f"{look.G.states[state]} {meaning.word}"


# -- 4. ASCII terminals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "ascii_only"),
    [
        ({"LANG": "C"}, True),
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, True),
        ({"LANG": "en_US.ISO-8859-1"}, True),
        ({}, True),
        ({"LANG": "en_US.UTF-8"}, False),
        ({"LC_CTYPE": "C.utf8"}, False),
        ({"LANG": "pt_BR.utf-8@euro"}, False),
        ({"LANG": "en_US.UTF-8", "CWDASH_ASCII": "1"}, True),
    ],
)
def test_a_locale_that_is_not_utf8_gets_ascii(environ: dict[str, str], ascii_only: bool) -> None:
    assert wants_ascii(environ) is ascii_only


@pytest.mark.usefixtures("ascii_glyphs")
async def test_an_ascii_terminal_gets_nothing_but_ascii(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        app.dashboard.tick()
        await pilot.pause()
        text = screen_text(app)
        assert text.isascii(), sorted({c for c in text if not c.isascii()})
        assert "X error" in text and "* active" in text and "INSTANCE ^" in text and "************" in text
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        text = screen_text(app)
        assert text.isascii(), sorted({c for c in text if not c.isascii()})


async def test_local_data_says_when_it_was_written(dash) -> None:
    app = dash.app(None)  # no gateway: every row is local
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "alpha")
        await wait_until(pilot, lambda: "local_written" in detail_text(app), "the write time")
        assert re.search(
            r"local_written\s+\d{4}-\d\d-\d\dT\S+Z\s+\((just now|\d+s ago|\d+m ago)\)", detail_text(app)
        )
        assert re.search(r"local \d+[smh]", row_texts(app)[1])  # the list's SOURCE: "local 5s"
