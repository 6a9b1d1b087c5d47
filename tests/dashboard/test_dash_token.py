"""Pilot tests of the token: reveal and hide with t, hiding by itself and on another selection,
copy with y (OSC 52, wrapped for tmux), --no-reveal, and a token that cannot be opened."""

from __future__ import annotations

import argparse
import base64

import pytest
from dashkit import (
    TOKENS,
    burst,
    detail_text,
    record_notifications,
    screen_text,
    select,
    wait_settled,
    wait_until,
)

from cwdash.store.db import Store
from cwdash.tui.app import CwdashApp
from cwdash.tui.look import UNICODE

MASK = UNICODE.mask
pytestmark = pytest.mark.anyio


def capture_terminal(app: CwdashApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Everything the app writes to the terminal driver from now on (the headless driver drops it)."""
    written: list[str] = []
    driver = app._driver
    assert driver is not None
    original = driver.write

    def write(data: str) -> None:
        written.append(data)
        original(data)

    monkeypatch.setattr(driver, "write", write)
    return written


def osc52(written: list[str]) -> list[str]:
    return [w for w in written if "]52;" in w]


def audit_actions(path) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    store = Store.open(path)
    try:
        return [(name, action) for _, name, _, action in store.audit()]
    finally:
        store.close()


async def test_t_right_behind_cursor_keys_reveals_the_row_the_cursor_reached(dash) -> None:
    # "jjt" in one burst: t acts on charlie, and the cursor's own (later) messages about
    # the rows it passed must not take the selection back or hide the token.
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        burst(app, "jjt")
        await wait_until(pilot, lambda: audit_actions(dash.path) == [("charlie", "reveal")], "the reveal")
        await pilot.pause()
        assert app.dashboard.selected == "charlie"
        assert TOKENS["charlie"] in detail_text(app)


async def test_t_reveals_the_token_and_t_hides_it_again(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert MASK in detail_text(app) and "(t reveals, y copies)" in detail_text(app)
        assert TOKENS["alpha"] not in screen_text(app)
        await pilot.press("t")
        await pilot.pause()
        text = detail_text(app)
        assert TOKENS["alpha"] in text and MASK not in text
        assert "t hides" in text
        assert TOKENS["alpha"] in screen_text(app)  # on screen, in the detail pane
        await pilot.press("t")
        await pilot.pause()
        assert MASK in detail_text(app) and TOKENS["alpha"] not in detail_text(app)
        assert TOKENS["alpha"] not in screen_text(app)
        await wait_until(pilot, lambda: audit_actions(dash.path) == [("alpha", "reveal")], "the audit row")


async def test_a_revealed_token_hides_itself_after_the_reveal_time(dash) -> None:
    app = dash.app(dash.bridge(), reveal_seconds=1.5)  # long enough to see it shown on a loaded machine
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert TOKENS["alpha"] in detail_text(app)
        # the app checks once a second: wait for it, without asserting how soon
        await wait_until(pilot, lambda: MASK in detail_text(app), "the token to hide itself")
        assert app.dashboard.token.secret is None
        assert TOKENS["alpha"] not in screen_text(app)
        assert app.dashboard.selected == "alpha"


async def test_selecting_another_instance_hides_the_token(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert TOKENS["alpha"] in detail_text(app)
        await pilot.press("j")
        await wait_until(pilot, lambda: app.dashboard.selected == "bravo", "bravo")
        assert MASK in detail_text(app)
        assert TOKENS["alpha"] not in screen_text(app) and TOKENS["bravo"] not in screen_text(app)
        # back on alpha: still hidden, it does not come back by itself
        await pilot.press("k")
        await wait_until(pilot, lambda: app.dashboard.selected == "alpha", "alpha")
        assert MASK in detail_text(app) and TOKENS["alpha"] not in screen_text(app)
        # and a click on another row hides it too
        await pilot.press("t")
        await pilot.pause()
        assert TOKENS["alpha"] in detail_text(app)
        await pilot.click("#fleet", offset=(12, 3))
        await wait_until(pilot, lambda: app.dashboard.selected == "charlie", "charlie")
        assert MASK in detail_text(app) and TOKENS["alpha"] not in screen_text(app)


async def test_t_right_after_a_move_reveals_the_token_under_the_cursor(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("j", "t")  # no pause between the move and the key
        await pilot.pause()
        assert app.dashboard.selected == "bravo"
        text = detail_text(app)
        assert text.startswith("bravo") and TOKENS["bravo"] in text and TOKENS["alpha"] not in text


async def test_y_sends_osc52_without_showing_the_token_and_never_says_copied(
    dash, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = dash.app(dash.bridge())
    notes = record_notifications(app)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_settled(pilot)
        written = capture_terminal(app, monkeypatch)
        await pilot.press("y")
        await pilot.pause()
        payload = base64.b64encode(TOKENS["alpha"].encode()).decode()
        assert osc52(written) == [f"\x1b]52;c;{payload}\x07"]
        assert MASK in detail_text(app)
        assert TOKENS["alpha"] not in screen_text(app)
        assert app.clipboard == ""  # Textual's own copy never holds it
        (sent,) = [(title, message) for title, message, _ in notes if "token of alpha" in message]
        assert sent[0] == "sent" and "copied" not in sent[1]
        assert "token of alpha sent to the terminal as OSC 52, not shown" in sent[1]
        assert "allows clipboard writes" in sent[1] and "tmux" not in sent[1]
        await wait_until(
            pilot, lambda: audit_actions(dash.path) == [("alpha", "copy:osc52-unconfirmed")], "the audit row"
        )


async def test_y_inside_tmux_with_no_tmux_server_sends_only_the_passthrough_and_says_so(
    dash, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("TMUX", f"{tmp_path / 'no-server.sock'},4242,0")
    app = dash.app(dash.bridge())
    notes = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("j", "j")  # charlie
        await wait_until(pilot, lambda: app.dashboard.selected == "charlie", "charlie")
        written = capture_terminal(app, monkeypatch)
        await pilot.press("y")
        await wait_until(pilot, lambda: any(t == "not copied" for t, _, _ in notes), "the copy's report")
        payload = base64.b64encode(TOKENS["charlie"].encode()).decode()
        wrapped = f"\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\"
        assert osc52(written) == [wrapped]  # no bare OSC 52: with set-clipboard on tmux would keep it
        ((_, message, severity),) = [n for n in notes if n[0] == "not copied"]
        assert severity == "warning" and "the tmux server did not answer" in message
        assert "allow-passthrough on" in message
        assert TOKENS["charlie"] not in screen_text(app)
        await wait_until(
            pilot,
            lambda: audit_actions(dash.path) == [("charlie", "copy:osc52-unconfirmed")],
            "the audit row",
        )


async def test_no_reveal_refuses_reveal_and_copy(dash, monkeypatch: pytest.MonkeyPatch) -> None:
    app = dash.app(dash.bridge(), no_reveal=True)
    notes = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        written = capture_terminal(app, monkeypatch)
        assert "(reveal and copy are off: --no-reveal)" in detail_text(app)
        await pilot.press("t", "y")
        await pilot.pause()
        # the actions are also offered in the command palette: run them that way too
        await app.run_action("toggle_token")
        await app.run_action("copy_token")
        app.dashboard._open_token()  # and the path both actions share refuses on its own
        await pilot.pause()
        assert osc52(written) == []
        assert app.dashboard.token.secret is None
        assert MASK in detail_text(app)
        assert TOKENS["alpha"] not in screen_text(app)
        assert any("reveal and copy are off" in message for _, message, _ in notes)
        assert audit_actions(dash.path) == []
        # neither key is offered: not in the footer, not as a key (issue 12)
        assert (
            app.dashboard.check_action("toggle_token", ()) is False
            and app.dashboard.check_action("copy_token", ()) is False
        )
        footer = screen_text(app).splitlines()[-1]
        assert "Token" not in footer and "Copy" not in footer


def test_cwdash_no_reveal_setting_reaches_the_dashboard(dash, monkeypatch: pytest.MonkeyPatch) -> None:
    """CWDASH_NO_REVEAL=1 has the same effect as --no-reveal, through tui/launch.py."""
    from cwdash.tui import launch

    started: list[CwdashApp] = []
    monkeypatch.setattr(CwdashApp, "run", lambda self, *a, **k: started.append(self))
    monkeypatch.setenv("CWDASH_KEY", dash.key)
    monkeypatch.setenv("CWDASH_NO_REVEAL", "1")
    assert launch.run_dashboard(argparse.Namespace(env_file=None, db=str(dash.path), no_reveal=False)) == 0
    assert len(started) == 1 and started[0].no_reveal
    started[0].store.close()
    monkeypatch.delenv("CWDASH_NO_REVEAL")
    assert launch.run_dashboard(argparse.Namespace(env_file=None, db=str(dash.path), no_reveal=True)) == 0
    assert started[1].no_reveal
    started[1].store.close()
    assert launch.run_dashboard(argparse.Namespace(env_file=None, db=str(dash.path), no_reveal=False)) == 0
    assert not started[2].no_reveal
    started[2].store.close()


async def test_a_token_that_cannot_be_opened_says_why_and_the_rest_still_shows(
    dash, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = dash.app(dash.bridge())
    notes = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "echo")  # sealed under another key
        written = capture_terminal(app, monkeypatch)
        await pilot.press("t")
        await pilot.pause()
        text = detail_text(app)
        assert "cannot be opened" in text
        assert "wrong CWDASH_KEY" in text
        # the rest of the detail is all there
        for needle in (
            "status                active",
            "source                live",
            "bridge_integration_id int_echo",
            "chatwoot_base_url     https://cw.acme.example",
            "created_at            2026-04-20T10:15:30Z",
            "sign_messages         off",
            "reopen_resolved       on",
        ):
            assert needle in text, needle
        assert any(severity == "error" and "wrong CWDASH_KEY" in message for _, message, severity in notes)
        await pilot.press("y")
        await pilot.pause()
        assert osc52(written) == []
        assert TOKENS["echo"] not in screen_text(app)
        # the other tokens still open
        await select(pilot, "alpha")
        assert "cannot be opened" not in detail_text(app)
        await pilot.press("t")
        await pilot.pause()
        assert TOKENS["alpha"] in detail_text(app)


async def test_without_a_key_the_detail_says_so_and_still_shows(dash) -> None:
    app = dash.app(dash.bridge(), key=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        text = detail_text(app)
        assert "cannot be opened" in text and "CWDASH_KEY is not set" in text
        assert "bridge_integration_id int_alpha" in text and "status                active" in text
        await pilot.press("t")
        await pilot.pause()
        assert TOKENS["alpha"] not in screen_text(app)


async def test_a_revealed_token_copied_by_selection_leaves_textuals_clipboard_when_it_hides(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await pilot.press("t")
        await wait_until(pilot, lambda: app.dashboard.token.secret is not None, "the reveal")
        app.copy_to_clipboard(f"token  {TOKENS['alpha']}")  # what ctrl+c on a selection does
        await pilot.press("t")
        await pilot.pause()
        assert app.clipboard == ""
        await pilot.press("t")
        await wait_until(pilot, lambda: app.dashboard.token.secret is not None, "the reveal")
        app.copy_to_clipboard(TOKENS["alpha"][:12])  # or on a part of it
        await pilot.press("t")
        await pilot.pause()
        assert app.clipboard == ""
        app.copy_to_clipboard("alpha")  # other text is left alone
        await pilot.press("t", "t")
        await pilot.pause()
        assert app.clipboard == "alpha"
