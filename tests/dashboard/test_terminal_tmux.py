"""The dashboard in a real terminal (a private tmux server, tests/tmuxkit.py): ctrl+z hands
the terminal back to the shell and `fg` brings the dashboard back whole, under a wrapper
process too; ctrl+c quits from a dialog and leaves the terminal as it was.

Found in tmux (session 6's review): Textual stopped only its own process, so under
``uv run`` the shell never got its prompt back; the driver closed its wake pipe at the
suspend, so the input thread died on resume (EBADF); and after `fg` the screen stayed
blank but for what changed."""

from __future__ import annotations

import os
import shlex
import sys
import threading
import tty

import pytest
from test_quiet_driver import Recording, next_key
from tmuxkit import needs_tmux, private_tmux, wait_for

START = 60.0  # seconds: only stops a broken test from hanging (two cores shared by many)


@pytest.mark.anyio
async def test_the_input_thread_runs_again_after_a_suspend() -> None:
    """Textual closes the driver at every suspend and starts a new input thread on resume."""
    ours, theirs = os.openpty()
    tty.setraw(theirs)
    driver = Recording(theirs)
    try:
        for _ in range(2):  # running, suspended (closed), resumed
            driver._open_wake_pipe()  # what start_application_mode does first
            driver.exit_event.clear()
            thread = threading.Thread(target=driver.run_input_thread, daemon=True)
            thread.start()
            os.write(ours, b"j")
            assert next_key(driver) == "j"
            driver.exit_event.set()
            thread.join(10)
            assert not thread.is_alive()
            driver.close()  # as suspend_application_mode does
    finally:
        os.close(ours)
        os.close(theirs)


class Pane:
    """One tmux pane of the private server: its text, its terminal modes, keys to it."""

    def __init__(self, server, target: str) -> None:  # type: ignore[no-untyped-def]
        self.server = server
        self.target = target

    def text(self, *, joined: bool = False) -> str:
        """The pane's text; ``joined``: lines the pane wrapped joined again (tmux's -J)."""
        return self.server.tmux("capture-pane", "-p", *(["-J"] if joined else []), "-t", self.target).stdout

    def flags(self) -> dict[str, str]:
        names = ("alternate_on", "cursor_flag", "mouse_any_flag")
        shown = self.server.tmux("display", "-p", "-t", self.target, " ".join(f"#{{{n}}}" for n in names))
        return dict(zip(names, shown.stdout.split(), strict=False))

    def keys(self, *keys: str) -> None:
        self.server.tmux("send-keys", "-t", self.target, *keys)

    def type(self, line: str) -> None:
        self.server.tmux("send-keys", "-t", self.target, "-l", line)
        self.keys("Enter")

    def at_prompt(self) -> bool:
        lines = [line for line in self.text().splitlines() if line.strip()]
        return bool(lines) and lines[-1] == "$" and self.flags()["alternate_on"] == "0"

    def dashboard_whole(self, shown: str = "STATUS") -> bool:
        """On screen, header to footer (after `fg`, not only what changed since)."""
        lines = self.text().splitlines()
        return (
            self.flags()["alternate_on"] == "1"
            and bool(lines)
            and lines[0].startswith(" cwdash")
            and shown in "\n".join(lines)
            and "Help" in lines[-1]
        )


@needs_tmux
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="job control of a Linux shell")
def test_ctrl_z_fg_and_ctrl_c_in_a_real_terminal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with private_tmux("off") as server:
        target = f"{server.session}:0"
        env = " ".join(
            f"{name}={shlex.quote(str(tmp_path / name.lower()))}"
            for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
        )
        shell = f"env -i PATH=/usr/bin:/bin TERM=screen-256color HOME={shlex.quote(str(tmp_path))}"
        server.tmux("respawn-pane", "-k", "-t", target, f"{shell} bash --norc --noprofile -i")
        pane = Pane(server, target)
        pane.type("PS1='$ '; clear")
        wait_for(pane.at_prompt, "the shell")
        # a wrapper process, as `uv run` is: the shell's job is the wrapper and the dashboard
        command = f"{shlex.quote(sys.executable)} -m cwdash demo; true"
        pane.type(f"env {env} LANG=C.UTF-8 sh -c {shlex.quote(command)}")
        wait_for(pane.dashboard_whole, "the dashboard", START)

        for shown in ("STATUS", "cwdash keys"):  # from the list, then with the help open
            pane.keys("C-z")
            wait_for(lambda: "Stopped" in pane.text() and pane.at_prompt(), "the shell's prompt", START)
            assert pane.flags()["cursor_flag"] == "1" and pane.flags()["mouse_any_flag"] == "0"
            pane.type("fg")
            wait_for(lambda s=shown: pane.dashboard_whole(s), f"the dashboard back, whole ({shown})", START)
            if shown == "STATUS":
                pane.keys("?")  # keys still arrive: the input thread runs again
                wait_for(lambda: "cwdash keys" in pane.text(), "the help", START)

        pane.keys("C-c")  # from the open help: quits
        wait_for(pane.at_prompt, "the prompt after ctrl+c", START)
        flags = pane.flags()
        assert flags["cursor_flag"] == "1" and flags["mouse_any_flag"] == "0"
        pane.type("echo ended $?")
        wait_for(lambda: "ended 0" in pane.text(), "the exit status")
        lines = [line.rstrip() for line in pane.text(joined=True).splitlines() if line.strip()]
        assert not any("Traceback" in line or "Error" in line for line in lines)
        # nothing left at the prompt: no key or escape sequence typed into the shell
        # (`fg` echoes the job's command line, joined again whatever the pane's width: the
        # line before ours ends it)
        assert lines[-4].endswith("demo; true'") and lines[-3:] == ["$ echo ended $?", "ended 0", "$"], lines


@needs_tmux
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="job control of a Linux shell")
def test_ctrl_z_without_a_shell_keeps_the_dashboard_running(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``tmux new cwdash``: no shell to go back to. Stopped, the dashboard would stay
    stopped until the terminal closed: ctrl+z says so instead, and the keys still work."""
    with private_tmux("off") as server:
        target = f"{server.session}:0"
        home = shlex.quote(str(tmp_path))
        command = f"{shlex.quote(sys.executable)} -m cwdash demo; echo ended $?; sleep 60"
        server.tmux(
            "respawn-pane", "-k", "-t", target,
            f"env -i PATH=/usr/bin:/bin TERM=screen-256color HOME={home} XDG_CONFIG_HOME={home} "
            f"XDG_STATE_HOME={home} LANG=C.UTF-8 sh -c {shlex.quote(command)}",
        )  # fmt: skip
        pane = Pane(server, target)
        wait_for(pane.dashboard_whole, "the dashboard", START)
        pane.keys("C-z")
        wait_for(lambda: "not suspended" in pane.text(), "what ctrl+z did", START)
        assert pane.flags()["alternate_on"] == "1"
        pane.keys("?")
        wait_for(lambda: "cwdash keys" in pane.text(), "the help: keys still arrive", START)
        pane.keys("C-c")
        wait_for(lambda: "ended 0" in pane.text(), "the dashboard to end", START)
