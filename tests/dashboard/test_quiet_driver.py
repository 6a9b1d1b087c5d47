"""The terminal driver (tui/driver.py): its input thread blocks until a key arrives, yet
keys, a lone Escape and the exit flag behave as with Textual's own driver."""

from __future__ import annotations

import os
import queue
import threading
import tty

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

from cwdash.tui.app import CwdashApp
from cwdash.tui.driver import QuietDriver, _timeout

pytestmark = pytest.mark.anyio


class Recording(QuietDriver):
    """The driver with what it would post to the app kept in a queue."""

    def __init__(self, fileno: int) -> None:
        super().__init__(object())  # type: ignore[arg-type]  # the app is never reached here
        self.fileno = fileno
        self.got: queue.SimpleQueue[object] = queue.SimpleQueue()

    def process_message(self, message: object) -> None:  # type: ignore[override]
        self.got.put(message)


def next_key(driver: Recording) -> str:
    while True:
        message = driver.got.get(timeout=10)
        if isinstance(message, events.Key):
            return message.key


def test_nothing_pending_means_no_timeout() -> None:
    parser = XTermParser()
    assert _timeout(parser) is None  # the thread blocks: no wake-ups while no key comes
    list(parser.feed("\x1b"))  # a lone Escape: is a sequence coming?
    wait = _timeout(parser)
    assert wait is not None and wait <= 0.1


async def test_keys_a_lone_escape_and_the_exit_flag() -> None:
    ours, theirs = os.openpty()
    tty.setraw(theirs)  # as Textual sets the terminal: keys arrive one by one
    driver = Recording(theirs)
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        os.write(ours, b"p")
        assert next_key(driver) == "p"
        os.write(ours, b"\x1b")
        assert next_key(driver) == "escape"  # delivered once no sequence followed
        driver.exit_event.set()  # wakes the blocked select: the thread ends
        thread.join(10)
        assert not thread.is_alive()
    finally:
        driver.exit_event.set()
        driver.close()
        os.close(ours)
        os.close(theirs)


def test_the_app_uses_it_where_textual_would_use_the_linux_driver() -> None:
    assert issubclass(QuietDriver, LinuxDriver)
    assert CwdashApp.get_driver_class.__qualname__.startswith("CwdashApp")
