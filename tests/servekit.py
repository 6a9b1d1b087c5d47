"""``cwdash serve`` as a real process on 127.0.0.1 for the tests: started, its address read
from what it prints, stopped with SIGINT as Ctrl+C would."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_WAIT = 60.0  # a wait for the server to listen, not a timing assertion (two shared cores)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running ``cwdash serve``: its process, the URL it printed, everything it has said."""

    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """SIGINT (Ctrl+C) to the server alone; its return code once it has ended."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:  # it did not end: the test fails on the code, nothing is left
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    @property
    def said(self) -> str:
        return "".join(self.lines) + "".join(self.errors)


def _pump(stream: object, into: list[str], lines: queue.Queue[str | None] | None) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.append(line)
        if lines is not None:
            lines.put(line)
    if lines is not None:
        lines.put(None)


def start_serve(*options: str, env: dict[str, str] | None = None) -> Served:
    """``python -m cwdash serve OPTIONS``, returned once it printed its URL (or ended)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cwdash", "serve", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env if env is not None else dict(os.environ),
        start_new_session=True,  # its own group: a SIGKILL at the end reaches the browsers' processes too
    )
    served = Served(process)
    out: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, served.lines, out), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, served.errors, None), daemon=True).start()
    while True:
        try:
            line = out.get(timeout=START_WAIT)
        except queue.Empty:
            break
        if line is None:
            break
        if line.startswith("http://"):
            served.url = line.strip()
            break
    return served
