"""Pilot tests of the list flows: select (keys, mouse), filter, sort, attention, refresh, help,
a bridge that never answers, quit. Live reads go to a bridge stand-in on 127.0.0.1."""

from __future__ import annotations

import re
import types

import pytest
from dashkit import (
    CHARLIE_ERROR,
    FAST,
    NAMES,
    ROUTES,
    WITH_INTEGRATION,
    burst,
    detail_text,
    integration,
    record_notifications,
    row_texts,
    scheduler_of,
    screen_text,
    select,
    summary_text,
    view_names,
    wait_settled,
    wait_until,
)

from cwdash.store.simbridge import Reply, live
from cwdash.tui.help import HelpScreen

pytestmark = pytest.mark.anyio


async def test_the_list_shows_every_instance_with_live_and_local_state(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        # the header repaints once a second: wait for it to show every answer
        await wait_until(pilot, lambda: "1 failing" in summary_text(app), "the header to catch up")
        assert view_names(app) == NAMES
        lines = row_texts(app)
        assert lines[0].split()[:3] == ["STATUS", "INSTANCE", "▲"]
        by_name = {name: line for line in lines[1:] for name in NAMES if f" {name} " in line}
        assert by_name["alpha"].startswith("● active") and re.search(r"live \d+s", by_name["alpha"])
        assert by_name["bravo"].startswith("◐ paused")
        assert by_name["charlie"].startswith("✖ error") and "chatwoot: 401" in by_name["charlie"]
        assert by_name["delta"].startswith("○ no integration") and "no integration" in by_name["delta"]
        assert "local·unknown" in by_name["golf"]  # the bridge does not know golf's integration
        header = summary_text(app)
        assert "● 3 active" in header and "◐ 1 paused" in header and "✖ 1 error" in header
        assert "○ 1 no integration" in header and "last live answer" in header
        # golf's read failed: it was read, so it is "failing", not "not read yet"
        assert "1 failing" in header and "not read" not in header


async def test_keys_move_the_selection_and_the_detail_follows(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert app.dashboard.selected == "alpha"
        assert detail_text(app).startswith("alpha")
        await pilot.press("j", "j")
        await wait_until(pilot, lambda: app.dashboard.selected == "charlie", "charlie")
        text = detail_text(app)
        assert text.startswith("charlie")
        assert CHARLIE_ERROR in text and "error" in text
        await pilot.press("k")
        await wait_until(pilot, lambda: app.dashboard.selected == "bravo", "bravo")
        assert "paused" in detail_text(app)
        await pilot.press("down", "down", "down")
        await wait_until(pilot, lambda: app.dashboard.selected == "echo", "echo")
        await pilot.press("up")
        await wait_until(pilot, lambda: app.dashboard.selected == "delta", "delta")
        await pilot.press("G")
        await wait_until(pilot, lambda: app.dashboard.selected == "golf", "the last row")
        await pilot.press("g")
        await wait_until(pilot, lambda: app.dashboard.selected == "alpha", "the first row")
        # the cursor line on screen is the selected instance's
        assert app.query_one("#fleet").cursor == 0


async def test_a_mouse_click_selects_the_row_under_it(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        # line 0 of the list is the header, so line 3 is the third instance
        assert await pilot.click("#fleet", offset=(12, 3))
        await wait_until(pilot, lambda: app.dashboard.selected == "charlie", "the clicked row")
        assert detail_text(app).startswith("charlie")
        await pilot.click("#fleet", offset=(12, 5))
        await wait_until(pilot, lambda: app.dashboard.selected == "echo", "the clicked row")
        assert detail_text(app).startswith("echo")


async def test_clicking_a_column_title_sorts_and_again_reverses(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.click("#fleet", offset=(2, 0))  # STATUS
        await pilot.pause()
        assert app.dashboard.fleet.sort_key == "status" and not app.dashboard.fleet.sort_reverse
        assert view_names(app) == ["charlie", "bravo", "alpha", "echo", "golf", "delta"]
        assert row_texts(app)[0].startswith("STATUS ▲")
        await pilot.click("#fleet", offset=(2, 0))
        await pilot.pause()
        assert app.dashboard.fleet.sort_reverse
        assert view_names(app) == ["delta", "golf", "echo", "alpha", "bravo", "charlie"]
        assert row_texts(app)[0].startswith("STATUS ▼")
        # the selection survived both sorts
        assert app.dashboard.selected == "alpha"


async def test_s_cycles_the_sort_column_S_reverses_and_the_selection_stays(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "bravo")
        await pilot.press("s")  # name -> source
        await pilot.pause()
        assert app.dashboard.fleet.sort_key == "source"
        # failing first, then local, then live
        assert view_names(app)[0] == "golf"
        await pilot.press("s")  # -> last_error
        await pilot.pause()
        assert app.dashboard.fleet.sort_key == "last_error"
        # rows with an error text first, then the others by name
        assert view_names(app) == ["charlie", "alpha", "bravo", "delta", "echo", "golf"]
        await pilot.press("S")
        await pilot.pause()
        assert app.dashboard.fleet.sort_reverse
        assert view_names(app) == ["golf", "echo", "delta", "bravo", "alpha", "charlie"]
        assert app.dashboard.selected == "bravo"
        table = app.query_one("#fleet")
        assert view_names(app)[table.cursor] == "bravo"
        assert detail_text(app).startswith("bravo")


async def test_filter_as_you_type_enter_keeps_escape_clears(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert not app.query("#filter")  # made with its key (tui/fields.py)
        await pilot.press("slash")
        field = app.query_one("#filter")
        assert field.display and field.has_focus
        await pilot.press("c", "h")
        await pilot.pause()
        # "ch" is in charlie's and echo's names and in every chatwoot.example.com URL
        assert view_names(app) == ["alpha", "bravo", "charlie", "echo", "golf"]
        await pilot.press("a", "r")
        await pilot.pause()
        assert view_names(app) == ["charlie"]
        await wait_until(pilot, lambda: app.dashboard.selected == "charlie", "the only match to be selected")
        assert "filter 'char'" in summary_text(app) and "1/6 shown" in summary_text(app)
        await pilot.press("enter")
        await pilot.pause()
        # Enter keeps the filter and gives the keys back to the list
        assert field.display and field.value == "char"
        assert app.query_one("#fleet").has_focus
        assert view_names(app) == ["charlie"]
        await pilot.press("escape")
        await pilot.pause()
        assert not field.display and field.value == ""
        assert view_names(app) == NAMES
        assert "shown" not in summary_text(app)
        assert app.dashboard.selected == "charlie"  # the cursor stays on the instance it was on


async def test_keys_typed_right_behind_slash_enter_and_escape_go_where_the_focus_went(dash) -> None:
    # In one burst the keys behind "/", Enter or Escape are routed before that key is
    # handled: they must still reach the field "/" opens, and the list Enter or Escape
    # gives the keys back to (tmux send-keys '/char', a fast typist).
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        table = app.query_one("#fleet")
        burst(app, "/char")  # the field is made by "/": the keys behind it still reach it
        await wait_until(
            pilot, lambda: app.query("#filter") and app.focused is app.query_one("#filter"), "the filter"
        )
        field = app.query_one("#filter")
        await pilot.pause()
        assert field.value == "char"
        assert view_names(app) == ["charlie"]
        await wait_until(pilot, lambda: "filter 'char'" in summary_text(app), "the header")
        burst(app, "\x1b/ch\rj")  # clear, filter again, keep it, then move down the list
        await wait_until(pilot, lambda: app.dashboard.selected == "echo", "j to move on from charlie")
        assert field.value == "ch" and field.display and table.has_focus
        assert view_names(app) == ["alpha", "bravo", "charlie", "echo", "golf"]
        burst(app, "//x")  # in the field, "/" is text (typed over "ch", selected as the field opens)
        await wait_until(pilot, lambda: field.has_focus, "the filter to open")
        await pilot.pause()
        assert field.value == "/x"
        burst(app, "\x1bj")
        await wait_until(pilot, lambda: view_names(app) == NAMES, "the filter cleared")
        await pilot.pause()
        assert field.value == "" and not field.display and table.has_focus


async def test_the_filter_matches_name_url_status_and_error_text(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        for typed, expected in [
            ("revoked", ["charlie"]),  # error text
            ("acme", ["echo"]),  # Chatwoot URL
            ("paused", ["bravo"]),  # status
            ("no integration", ["delta"]),
            ("ALPHA", ["alpha"]),  # case does not matter
        ]:
            await pilot.press("slash")
            app.query_one("#filter").insert_text_at_cursor(typed)  # typing is tested above
            await pilot.press("enter")
            await pilot.pause()
            assert view_names(app) == expected, typed
            await pilot.press("escape")
            await pilot.pause()
            assert view_names(app) == NAMES


async def test_escape_while_typing_clears_a_filter_that_matches_nothing(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("slash", "z", "z", "z")
        await wait_until(pilot, lambda: app.dashboard.selected is None, "an empty view")
        assert view_names(app) == []
        assert "No instance selected" in detail_text(app)
        assert "0/6 shown" in summary_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.dashboard.selected == "alpha", "the list back")
        assert view_names(app) == NAMES
        assert app.query_one("#fleet").has_focus


async def test_a_shows_only_rows_that_need_attention(dash) -> None:
    app = dash.app(dash.bridge())
    notes = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("a")
        await pilot.pause()
        # charlie: error; delta: no integration; golf: its live read fails
        assert view_names(app) == ["charlie", "delta", "golf"]
        assert "attention only" in summary_text(app)
        assert any("only rows that need attention" in message for _, message, _ in notes)
        await pilot.press("a")
        await pilot.pause()
        assert view_names(app) == NAMES
        assert any(message == "showing every instance" for _, message, _ in notes)


async def test_r_reads_everything_live_again_and_reloads_the_store(dash) -> None:
    sim = dash.bridge()
    app = dash.app(sim)
    notes = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        before = sim.stats.total
        assert before >= len(WITH_INTEGRATION)
        # another process adds an instance meanwhile
        other = dash.app()  # just for a second connection on the store
        other.store.add_instance("hotel", created_at="2026-04-21T08:00:00Z")
        other.store.upsert_integration(
            {
                **integration("alpha", instance_name="hotel", bridge_integration_id="int_hotel"),
                "chatwoot_api_token": "x",
            }
        )
        await pilot.press("r")
        await wait_until(pilot, lambda: "hotel" in app.dashboard.fleet.rows, "the new instance to be listed")
        await wait_until(
            pilot, lambda: sim.stats.total >= before + len(WITH_INTEGRATION), "a new round of live reads"
        )
        paths = sim.stats.paths[before:]
        for name in WITH_INTEGRATION:
            assert f"/v1/integrations/int_{name}" in paths
        assert any(message.endswith("instances live again") for _, message, _ in notes)
        assert all(auth == "Bearer dash-bridge-token" for auth in sim.stats.auth)


async def test_backfilled_inbox_ids_appear_without_a_restart(dash) -> None:
    dash.store.add_instance("hotel", created_at="2026-04-21T08:00:00Z")
    dash.store.upsert_integration(
        {
            **integration("alpha", instance_name="hotel", bridge_integration_id="int_hotel"),
            "chatwoot_inbox_id": 0,
            "chatwoot_api_token": dash.sealer.seal("hotel", "cwt_hotel_x"),
        }
    )
    sim = dash.bridge({**ROUTES, "int_hotel": live("active", inbox_id=901)})
    app = dash.app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "hotel")
        await wait_until(
            pilot, lambda: "chatwoot_inbox_id     901" in detail_text(app), "the backfilled inbox id"
        )
        # written back to the store (a backfill that met a busy store is retried on the next read)
        await wait_until(
            pilot,
            lambda: dash.store.integration("hotel").chatwoot_inbox_id == 901,
            "the backfill to be saved",
        )
        await wait_until(
            pilot, lambda: app.dashboard.fleet.rows["hotel"].inbox_id == 901, "the list to follow"
        )


async def test_question_mark_lists_every_key(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 50)) as pilot:
        await wait_settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for needle in (
            "move the cursor",
            "click a row to select it",
            "keep the filter",
            "clear the filter",
            "quit cwdash",
            "reveal / hide the selected token",
            "copy the token (OSC 52), not shown",
            "only rows that need attention",
            "pause / resume live reads",
            "command palette",
        ):
            assert needle in text, needle
        # the once-a-second repaint and live answers keep running under the help screen
        # (they once looked their widgets up on the active screen, and crashed here)
        ticks = app.dashboard.fleet.rows["alpha"].read_at
        app.dashboard.tick()
        await wait_until(
            pilot, lambda: app.dashboard.fleet.rows["alpha"].read_at != ticks, "a live answer under help"
        )
        assert app.is_running and isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_a_bridge_that_never_answers_does_not_block_keys_and_q_quits(dash) -> None:
    sim = dash.real_bridge(lambda ident: Reply(hang=True))
    # a live budget far longer than the test: every read stays in flight throughout
    quick = FAST._replace(selected_every=0.1, visible_every=0.1, round_every=0.1)
    app = dash.app(sim, timeout=60.0, settings=quick)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: sim.stats.in_flight == len(WITH_INTEGRATION), "every read to hang")
        assert "live read pending" in detail_text(app)
        await pilot.press("j", "j")
        await wait_until(pilot, lambda: app.dashboard.selected == "charlie", "the keys to work")
        text = detail_text(app)
        assert text.startswith("charlie") and "live read pending" in text
        await pilot.press("slash", "e", "c", "h", "o", "enter")
        await wait_until(pilot, lambda: app.dashboard.selected == "echo", "the filter to work")
        await pilot.press("escape", "s", "a", "a")
        await pilot.pause(0.5)  # several scheduling periods pass while every read hangs
        # reads never pile up behind a hung bridge: one request per instance, no more
        assert sim.stats.total == len(WITH_INTEGRATION)
        scheduler = scheduler_of(app)
        # every hanging read still in flight, none started again (the bridge saw one each);
        # delta (no integration) is read from the store, which may be caught in flight
        assert scheduler is not None and scheduler.in_flight - {"delta"} == set(WITH_INTEGRATION)
        assert "no answer yet" in summary_text(app)
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, "q to quit")
    assert app.return_code == 0


async def test_a_row_whose_status_changed_is_highlighted_for_a_moment(
    dash, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cwdash.tui.results
    import cwdash.tui.screen
    import cwdash.tui.table

    # the screen stamps changes at 1000 s; the list looks at them at whatever ``now[0]`` says
    now = [1000.0]
    monkeypatch.setattr(cwdash.tui.screen, "time", types.SimpleNamespace(monotonic=lambda: 1000.0))
    monkeypatch.setattr(cwdash.tui.results, "time", types.SimpleNamespace(monotonic=lambda: 1000.0))
    monkeypatch.setattr(cwdash.tui.table, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    answers = {"int_bravo": live("paused")}
    sim = dash.bridge(lambda ident: answers.get(ident, ROUTES.get(ident, live("active"))))
    app = dash.app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        table = app.query_one("#fleet")
        changed = table._style("changed")
        cursor = table._style("cursor")
        # never the cursor's look: no background of its own, underlined instead
        assert changed.bgcolor is None and changed.underline and not cursor.underline

        def bravo_highlighted() -> bool:
            strip = table.render_line(1 + app.dashboard.fleet.index_of("bravo"))
            texts = [segment.text for segment in strip]
            name = next(segment for segment in strip if "bravo" in segment.text)
            return "◆" in texts and bool(name.style.underline)

        answers["int_bravo"] = live("error", "whatsapp session disconnected")
        await pilot.press("r")
        await wait_until(
            pilot, lambda: app.dashboard.fleet.rows["bravo"].status == "error", "bravo's new state"
        )
        assert line_of_bravo(app).startswith("✖ error")
        assert bravo_highlighted()
        assert not any(
            segment.text == "◆" or segment.style.underline
            for segment in table.render_line(1 + app.dashboard.fleet.index_of("charlie"))
        )
        now[0] += cwdash.tui.table.HIGHLIGHT_SECONDS - 0.1
        assert bravo_highlighted()
        # "for a moment": then it fades
        now[0] += 0.2
        assert not bravo_highlighted()
        assert line_of_bravo(app).startswith("✖ error")


def line_of_bravo(app) -> str:  # type: ignore[no-untyped-def]
    return row_texts(app)[1 + app.dashboard.fleet.index_of("bravo")]


async def test_p_pauses_and_resumes_live_reads(dash) -> None:
    sim = dash.bridge()
    app = dash.app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert scheduler_of(app) is not None and scheduler_of(app).paused
        assert "PAUSED (p resumes)" in summary_text(app)
        before = sim.stats.total
        await pilot.press("r")  # a refresh asked while paused waits for the resume
        await pilot.pause(0.3)
        assert sim.stats.total == before
        await pilot.press("p")
        await wait_until(pilot, lambda: sim.stats.total >= before + len(WITH_INTEGRATION), "reads to resume")
        assert "PAUSED" not in summary_text(app)


async def test_the_list_scrollbar_and_offset_follow_the_filter_over_a_long_list(dash) -> None:
    """Content-size changes skip the screen's layout pass when no scrollbar comes or
    goes (tui/scrolling.py): the scrollbar and the scroll offset must still follow."""
    for i in range(150):
        dash.store.add_instance(f"{'x' if i % 2 else 'y'}-bulk-{i:03d}")
    app = dash.app(None)  # local only: the point is the list, not live reads
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot, lambda: app.dashboard.loaded and len(app.dashboard.fleet.view) == 156, "the whole list"
        )
        table = app.dashboard.table
        await pilot.press("G")  # to the last row: scrolled to the bottom
        await pilot.pause()
        assert table.show_vertical_scrollbar
        bottom = table.max_scroll_y
        assert table.scroll_offset.y == bottom > 0
        await pilot.press("slash", "x", "minus", "b")  # half the rows: still more than a screenful
        await pilot.pause()
        assert len(app.dashboard.fleet.view) == 75
        assert table.virtual_size.height == 76
        assert table.show_vertical_scrollbar
        assert table.max_scroll_y < bottom
        assert table.scroll_offset.y <= table.max_scroll_y  # kept in range as the list shrank
        assert table.vertical_scrollbar.window_virtual_size == 76
        await pilot.press(*"ulk", "minus", "0", "0", "1")  # one row: the scrollbar goes
        await wait_until(
            pilot, lambda: not table.show_vertical_scrollbar, f"the scrollbar to go {table.size}"
        )
        assert len(app.dashboard.fleet.view) == 1
        assert table.scroll_offset.y == 0
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.dashboard.fleet.view) == 156
        assert table.show_vertical_scrollbar
        assert table.vertical_scrollbar.window_virtual_size == 157


async def test_the_detail_scrollbar_follows_details_of_other_lengths(dash) -> None:
    """Moving between instances whose details differ in length changes the detail's
    content size without a layout pass (tui/scrolling.py): its scrollbar and scroll
    offset must follow all the same."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        detail = app.dashboard.detail
        await pilot.press("G")  # golf: the bridge does not know it, the failure makes a longer detail
        await wait_until(pilot, lambda: "bridge does not know" in detail_text(app), "golf's failure")
        await pilot.pause()
        long = detail.virtual_size.height
        assert long > detail.container_size.height  # overflows: the scrollbar is shown
        detail.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert detail.scroll_offset.y == detail.max_scroll_y > 0
        await pilot.press("k")  # echo: shorter, and still overflowing
        await wait_until(pilot, lambda: detail_text(app).startswith("echo"), "echo's detail")
        await pilot.pause()
        short = detail.virtual_size.height
        assert detail.container_size.height < short < long
        assert detail.vertical_scrollbar.window_virtual_size == short
        assert detail.scroll_offset.y <= detail.max_scroll_y


async def test_each_instance_s_detail_opens_at_its_top(dash) -> None:
    """A detail scrolled down (Tab, arrows) does not carry its scroll to the next instance:
    the name, status and last error are what the next one shows first."""
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        detail = app.dashboard.detail
        await pilot.press("tab")
        for _ in range(6):
            await pilot.press("down")
        await pilot.pause()
        assert detail.scroll_offset.y > 0  # the pane did scroll
        await pilot.press("tab", "j")
        await wait_until(pilot, lambda: detail.scroll_offset.y == 0, "the next instance's detail at its top")


async def test_shrinking_the_window_keeps_the_selected_row_in_view(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_settled(pilot)
        table = app.dashboard.table
        await pilot.press("G")  # the last row, far down a tall list
        await pilot.pause()
        await pilot.resize_terminal(80, 8)
        await wait_until(
            pilot,
            lambda: table.scroll_offset.y <= table.cursor < table.scroll_offset.y + table.size.height - 1,
            "the cursor's row in view after the resize",
        )
