"""The terminal driver: Textual's, with an input thread that sleeps until a key arrives.

Textual's :class:`~textual.drivers.linux_driver.LinuxDriver` waits for input in a loop
of ``select`` with a 0.1 s timeout, to notice its exit flag and the parser's timeouts (a
lone Escape is a key only once no sequence follows it). That is ten wake-ups a second of
a dashboard doing nothing: about a third of the CPU of a paused dashboard. Here the
thread blocks until a byte arrives or the exit flag is set (setting it writes to a wake
pipe), and uses a timeout only while the parser waits for the rest of a sequence.

Private Textual (``run_input_thread``'s contract, ``exit_event``, the parser's
``_timeout_time``): tests/dashboard/test_textual_private.py fails loudly if an upgrade
changes them.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import threading
from codecs import getincrementaldecoder

from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

PARSER_POLL = 0.1  # seconds: Textual's own step while the parser waits for a sequence's rest


class _WakingEvent(threading.Event):
    """The driver's exit flag: setting it also wakes the input thread's ``select``."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self.wake_fd = wake_fd

    def set(self) -> None:
        super().set()
        with contextlib.suppress(OSError):
            os.write(self.wake_fd, b"x")


class QuietDriver(LinuxDriver):
    """:class:`LinuxDriver` whose input thread wakes only for input, the exit flag, or a
    pending escape sequence's timeout."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._wake_read = -1
        self.exit_event = _WakingEvent(-1)
        self._open_wake_pipe()

    def _open_wake_pipe(self) -> None:
        """A wake pipe, again after :meth:`close`: Textual closes the driver at every
        suspend (ctrl+z, ``App.suspend``) and starts it again on resume; a closed pipe
        made the next input thread die on its first ``select`` (EBADF)."""
        if self._wake_read >= 0:
            return
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(wake_write, False)
        self.exit_event.wake_fd = wake_write

    def start_application_mode(self) -> None:
        self._open_wake_pipe()  # closed by a suspend: open again for the new input thread
        super().start_application_mode()

    def _sigtstp_application(self, *_: object) -> None:
        """ctrl+z: the terminal restored (all written: the writer thread is joined), then
        the whole job stopped, as the shell expects. Textual stops only its own process:
        under a wrapper (``uv run``, a script) the shell went on waiting for the wrapper,
        with no prompt and no way back. Without a shell's job control nothing stops."""
        if not job_control():
            return
        if self._auto_restart:
            self.suspend_application_mode()
            self._must_signal_resume = True  # the app hears of the resume (Textual's flag)
        os.killpg(os.getpgrp(), signal.SIGSTOP)

    def run_input_thread(self) -> None:
        """Textual's loop (same parser, same messages), with the timeout only when needed."""
        selector = selectors.SelectSelector()
        fileno, wake = self.fileno, self._wake_read
        selector.register(fileno, selectors.EVENT_READ)
        selector.register(wake, selectors.EVENT_READ)
        _drain(wake)  # a wake-up left from a previous run (suspend and resume)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            for key, mask in events:
                if key.fd == wake:
                    _drain(wake)
                elif mask & selectors.EVENT_READ:
                    data = decode(os.read(fileno, 1024 * 4), final=final)
                    if data:
                        for event in parser.feed(data):
                            self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process(selector.select(_timeout(parser)))
            selector.unregister(fileno)
            process(selector.select(0), final=True)
        finally:
            selector.close()
            with contextlib.suppress(Exception):
                for _ in parser.feed(""):
                    pass

    def close(self) -> None:
        super().close()
        for fd in (self._wake_read, self.exit_event.wake_fd):  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_read = self.exit_event.wake_fd = -1  # type: ignore[attr-defined]


def job_control() -> bool:
    """Whether a shell's job control can bring a stopped dashboard back (`fg`). A shell
    that controls jobs gives each its own process group; a dashboard that leads its
    session's group (``tmux new cwdash``, ``ssh -t host cwdash``, a container) has no
    such shell: stopped, it would stay stopped until the terminal closes."""
    try:
        return os.getpgrp() != os.getsid(0)
    except OSError:
        return False


def _timeout(parser: XTermParser) -> float | None:
    """None (block) unless the parser waits for the rest of a sequence."""
    due = parser._timeout_time
    if due is None:
        return None
    return min(PARSER_POLL, max(0.0, due - get_time()))


def _drain(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 64):
            pass
