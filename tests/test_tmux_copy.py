"""Copy through tmux itself (cwdash.tui.tmux_copy): a real private tmux server with a client
in a pseudo-terminal of ours, for each set-clipboard value; what is said and recorded."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from tmuxkit import needs_tmux, private_tmux, wait_for

from cwdash.tui import tmux_copy
from cwdash.tui.tmux_copy import (
    COPY_OSC52_UNCONFIRMED,
    COPY_TMUX,
    COPY_TMUX_UNCONFIRMED,
    TmuxDelivery,
    copy_report,
    deliver,
)

TOKEN = "cwt_tmux_PLAINTEXT_51f0e9a2"
VIA = "OSC 52 through tmux's passthrough"


@needs_tmux
@pytest.mark.parametrize("value", ["on", "external"])
def test_tmux_takes_the_token_sends_it_to_the_terminal_and_keeps_no_buffer(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with private_tmux(value) as server:
        server.attach()
        monkeypatch.setenv("TMUX", server.tmux_value)
        delivery = deliver(TOKEN)
        assert delivery == TmuxDelivery(True, value, None, None) and delivery.delivered
        # what tmux sent to the terminal it is attached to: the token, as OSC 52
        payload = base64.b64encode(TOKEN.encode()).decode().encode()
        wait_for(lambda: b"\x1b]52;" in server.client_output and payload in server.client_output, "OSC 52")
        assert not any(TOKEN in text for text in server.buffer_contents())
        assert server.buffers() == []
        report = copy_report("alpha", delivery, VIA)
        assert report.title == "copied" and report.audit == COPY_TMUX
        assert f"set-clipboard {value}" in report.message and TOKEN not in report.message


@needs_tmux
def test_set_clipboard_off_is_not_called_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    with private_tmux("off") as server:
        monkeypatch.setenv("TMUX", server.tmux_value)
        delivery = deliver(TOKEN)
        assert delivery.taken and delivery.set_clipboard == "off" and not delivery.delivered
        assert server.buffers() == []
        report = copy_report("alpha", delivery, VIA)
        assert report.title == "copy not confirmed" and report.severity == "warning"
        assert "copied" not in report.message
        assert "`tmux set -g set-clipboard on`" in report.message
        assert report.audit == COPY_TMUX_UNCONFIRMED


def test_no_tmux_command_is_not_delivered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to run there
    monkeypatch.setenv("TMUX", "/nowhere/tmux.sock,1,0")
    delivery = deliver(TOKEN)
    assert not delivery.taken and "not found" in (delivery.problem or "")
    report = copy_report("alpha", delivery, VIA)
    assert report.title == "not copied" and report.audit == COPY_OSC52_UNCONFIRMED
    assert "allow-passthrough on" in report.message


@needs_tmux
def test_a_tmux_server_that_is_not_there_is_not_delivered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TMUX", f"{tmp_path / 'gone.sock'},1,0")
    delivery = deliver(TOKEN)
    assert delivery == TmuxDelivery(False, None, "the tmux server did not answer")
    assert copy_report("alpha", delivery, VIA).title == "not copied"


def test_the_token_goes_on_stdin_never_on_a_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], object]] = []

    def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append((argv, kwargs.get("input")))
        out = "external\n" if argv[1:2] == ["show"] else ""
        return subprocess.CompletedProcess(argv, 0, out, "")

    monkeypatch.setattr(tmux_copy.shutil, "which", lambda name: "/usr/bin/tmux")
    assert deliver(TOKEN, run=run).delivered
    assert all(TOKEN not in " ".join(argv) for argv, _ in calls)
    (load,) = [(argv, stdin) for argv, stdin in calls if "load-buffer" in argv]
    assert load[1] == TOKEN and load[0][-2:] == ["-w", "-"]
    name = load[0][load[0].index("-b") + 1]
    assert name.startswith("cwdash-") and [a for a, _ in calls if "delete-buffer" in a] == [
        ["tmux", "delete-buffer", "-b", name]
    ]


def test_a_buffer_that_could_not_be_deleted_is_said_with_how_to_delete_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []

    def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if "load-buffer" in argv:
            made.append(argv[argv.index("-b") + 1])
        if "delete-buffer" in argv:
            return subprocess.CompletedProcess(argv, 1, "", "server busy")
        out = {"show": "on\n", "list-buffers": "\n".join(made)}.get(argv[1], "")
        return subprocess.CompletedProcess(argv, 0, out, "")

    monkeypatch.setattr(tmux_copy.shutil, "which", lambda name: "/usr/bin/tmux")
    delivery = deliver(TOKEN, run=run)
    assert delivery.leftover == made[0]
    report = copy_report("alpha", delivery, VIA)
    assert report.severity == "error" and f"`tmux delete-buffer -b {made[0]}`" in report.message
    assert "is deleted" not in report.message


def test_outside_tmux_osc52_is_sent_not_claimed_copied() -> None:
    report = copy_report("alpha", None, "OSC 52")
    assert report.title == "sent" and "copied" not in report.message
    assert "sent to the terminal as OSC 52" in report.message and report.audit == COPY_OSC52_UNCONFIRMED
