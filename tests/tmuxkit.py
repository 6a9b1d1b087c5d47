"""A private tmux server for tests: its own socket, its own session, killed at the end.

Only this server is ever killed (``tmux -S <our socket> kill-server``); the machine's
tmux, if any, is never touched. ``tmux_value`` is what $TMUX holds inside one of its
panes, so a tmux command run with it talks to this server and no other.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class PrivateTmux:
    def __init__(self, folder: Path) -> None:
        self.socket = folder / "tmux.sock"  # short: a socket path is limited to ~100 bytes
        self.session = f"cwdash-test-{os.getpid()}"
        self.tmux_value = ""
        self._client: tuple[int, int] | None = None
        self.client_output = bytearray()

    def tmux(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=20,
            env=env,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )

    def start(self, set_clipboard: str) -> None:
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", self.session, "-x", "80", "-y", "24")
        self.tmux("set", "-g", "set-clipboard", set_clipboard)
        pid = self.tmux("display", "-p", "#{pid}").stdout.strip()
        session_id = self.tmux("display", "-p", "-t", self.session, "#{session_id}").stdout.strip()
        self.tmux_value = f"{self.socket},{pid},{session_id.lstrip('$')}"

    def buffers(self) -> list[str]:
        """Every tmux buffer's name and content, one line each."""
        done = self.tmux("list-buffers", "-F", "#{buffer_name}: #{buffer_sample}", check=False)
        return done.stdout.splitlines()

    def buffer_contents(self) -> list[str]:
        names = self.tmux("list-buffers", "-F", "#{buffer_name}", check=False).stdout.split()
        return [self.tmux("show-buffer", "-b", name, check=False).stdout for name in names]

    def attach(self) -> None:
        """A client in a pseudo-terminal of ours (TERM=xterm-256color), its output collected:
        what tmux sends to "the terminal" lands in ``client_output``."""
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the client
            os.environ["TERM"] = "xterm-256color"
            os.environ.pop("TMUX", None)
            os.execvp("tmux", ["tmux", "-S", str(self.socket), "attach", "-t", self.session])
        self._client = (pid, fd)

        def read() -> None:
            while True:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return
                if not data:
                    return
                self.client_output.extend(data)

        threading.Thread(target=read, daemon=True).start()
        wait_for(lambda: self.tmux("list-clients", check=False).stdout.strip() != "", "the client to attach")

    def close(self) -> None:
        self.tmux("kill-server", check=False)  # -S: our server only
        if self._client is not None:
            pid, fd = self._client
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(fd)


def wait_for(predicate, what: str, limit: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``predicate()``; ``limit`` only stops a broken test from hanging."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@contextmanager
def private_tmux(set_clipboard: str) -> Iterator[PrivateTmux]:
    with tempfile.TemporaryDirectory(prefix="cwt-") as folder:
        server = PrivateTmux(Path(folder))
        try:
            server.start(set_clipboard)
            yield server
        finally:
            server.close()
