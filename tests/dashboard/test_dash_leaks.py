"""While masked, the plaintext token is nowhere: not on screen, not in the app's log, not in
the messages the app passes around, not in a crash report (Textual's prints local variables)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import textual.constants
from dashkit import NAMES, TOKENS, detail_text, record_notifications, screen_text, select, wait_settled

import cwdash.tui.clipboard
from cwdash.tui.app import CwdashApp

pytestmark = pytest.mark.anyio


def leaked(text: str) -> list[str]:
    """The instances whose plaintext token appears in ``text``."""
    return [name for name, token in TOKENS.items() if token in text]


async def test_a_masked_token_is_nowhere_on_screen_in_the_log_or_in_messages(
    dash, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    log_file = tmp_path / "textual.log"
    monkeypatch.setattr(textual.constants, "LOG_FILE", str(log_file))  # what TEXTUAL_LOG sets
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    app = dash.app(dash.bridge())
    raised = record_notifications(app)  # every one, also those that timed out before the end
    screens: list[str] = []
    async with app.run_test(
        size=(100, 40), notifications=True, message_hook=lambda m: messages.append(repr(m))
    ) as pilot:
        await wait_settled(pilot)
        app.log("dashboard test: the log is being written")
        for name in NAMES:
            await select(pilot, name)
            screens.append(screen_text(app))
            screens.append(detail_text(app))
        screens.append(app.export_screenshot())
        # copy puts the plaintext on the terminal's clipboard only, and says so
        await select(pilot, "alpha")
        await pilot.press("y")
        await pilot.pause()
        # an unopenable token: the message names the cause, not a token
        await select(pilot, "echo")
        await pilot.press("t")
        await pilot.pause()
        for keys in (("question_mark",), ("escape",), ("slash", "a", "l"), ("enter",), ("a",), ("s",)):
            await pilot.press(*keys)
            await pilot.pause()
            screens.append(screen_text(app))
        screens.append(app.export_screenshot())
    notifications = [f"{title} {message}" for title, message, _ in raised]
    assert any("token of alpha sent to the terminal" in n for n in notifications)  # the copy did happen
    log = log_file.read_text(encoding="utf-8")
    assert "dashboard test: the log is being written" in log  # the log was on
    assert messages  # and the hook saw the app's messages
    assert leaked("\n".join(screens)) == []
    assert leaked(log) == []
    assert leaked(caplog.text) == []
    assert leaked("\n".join(messages)) == []
    assert leaked("\n".join(notifications)) == []


def copy_that_crashes(text: str, environ: dict[str, str] | None = None) -> object:
    """Stands in for osc52_sequences: fails with the plaintext token in a local variable."""
    raise RuntimeError("clipboard exploded")


@pytest.mark.parametrize("revealed", [False, True], ids=["masked", "revealed"])
async def test_a_crash_report_shows_no_token(
    dash, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], revealed: bool
) -> None:
    monkeypatch.setattr(cwdash.tui.clipboard, "osc52_sequences", copy_that_crashes)  # imported by the copy
    app = dash.app(dash.bridge())
    reports: list[str] = []
    with pytest.raises(RuntimeError, match="clipboard exploded"):
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_settled(pilot)
            if revealed:
                await pilot.press("t")
                await pilot.pause()
                assert TOKENS["alpha"] in detail_text(app)
            await pilot.press("y")  # copy_that_crashes(<the plaintext>) raises
            await pilot.pause()
            reports.extend(str(r) for r in app._exit_renderables)
    report = capsys.readouterr().err
    # the crash report was printed, with its traceback
    assert "RuntimeError" in report and "clipboard exploded" in report
    assert "copy_that_crashes" in report
    assert leaked(report) == []
    assert leaked("\n".join(reports)) == []
    assert app.dashboard.token.secret is None  # _fatal_error hides a revealed token first


async def test_textual_default_crash_report_would_leak_the_token(
    dash, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The control for the test above: the check does catch a leak. With Textual's own
    _fatal_error (locals shown), the same crash prints the plaintext token."""
    from textual.app import App

    monkeypatch.setattr(cwdash.tui.clipboard, "osc52_sequences", copy_that_crashes)  # imported by the copy
    monkeypatch.setattr(CwdashApp, "_fatal_error", App._fatal_error)
    app = dash.app(dash.bridge())
    with pytest.raises(RuntimeError, match="clipboard exploded"):
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_settled(pilot)
            await select(pilot, "alpha")
            await pilot.press("y")
            await pilot.pause()
    report = capsys.readouterr().err
    assert "clipboard exploded" in report
    assert leaked(report) == ["alpha"]
