"""y inside a real tmux (a private server of the test's own) for each set-clipboard value:
what is said, that no tmux buffer keeps the token, and what the audit records."""

from __future__ import annotations

import pytest
from dashkit import TOKENS, record_notifications, screen_text, select, wait_settled, wait_until
from test_dash_token import audit_actions
from tmuxkit import needs_tmux, private_tmux  # tests/tmuxkit.py

pytestmark = [pytest.mark.anyio, needs_tmux]

EXPECTED = {
    # value: (title, severity, audit, words the message must hold)
    "on": ("copied", "information", "copy:tmux", "copied through tmux (load-buffer -w, set-clipboard on)"),
    "external": (
        "copied",
        "information",
        "copy:tmux",
        "copied through tmux (load-buffer -w, set-clipboard external)",
    ),
    "off": (
        "copy not confirmed",
        "warning",
        "copy:tmux-unconfirmed",
        "with set-clipboard off tmux may keep it from the terminal's clipboard: "
        "`tmux set -g set-clipboard on` makes copying work",
    ),
}


@pytest.mark.parametrize("value", ["on", "external", "off"])
async def test_y_inside_tmux_says_what_tmux_did(dash, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    title, severity, audit, words = EXPECTED[value]
    with private_tmux(value) as server:
        monkeypatch.setenv("TMUX", server.tmux_value)
        app = dash.app(dash.bridge())
        notes = record_notifications(app)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_settled(pilot)
            await select(pilot, "bravo")
            await pilot.press("y")
            await wait_until(pilot, lambda: any("token of bravo" in m for _, m, _ in notes), "the report")
            ((said_title, message, said_severity),) = [n for n in notes if "token of bravo" in n[1]]
            assert (said_title, said_severity) == (title, severity)
            assert words in message and TOKENS["bravo"] not in message
            if value == "off":
                assert "copied" not in message
            await wait_until(pilot, lambda: audit_actions(dash.path) == [("bravo", audit)], "the audit row")
            assert server.buffers() == []  # tmux keeps nothing
            assert not any(TOKENS["bravo"] in text for text in server.buffer_contents())
            assert app.clipboard == ""  # nor does Textual
            assert TOKENS["bravo"] not in screen_text(app)
