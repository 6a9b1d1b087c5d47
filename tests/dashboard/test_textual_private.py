"""Fails loudly when a Textual upgrade removes or changes a private part cwdash relies on
(see cwdash/tui/textual_private.py and cwdash/tui/crash.py for why each is used)."""

from __future__ import annotations

import inspect

from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver


def test_the_app_driver_writes_raw_sequences() -> None:
    app = App()
    assert hasattr(app, "_driver") and app._driver is None  # set once running
    assert list(inspect.signature(HeadlessDriver.write).parameters) == ["self", "data"]


def test_the_crash_hooks_cwdash_overrides_exist() -> None:
    for name, params in {
        "_handle_exception": ["self", "error"],
        "_fatal_error": ["self"],
        "_print_error_renderables": ["self"],
        "_close_messages_no_wait": ["self"],
    }.items():
        method = getattr(App, name, None)
        assert callable(method), f"textual.App.{name} is gone: update cwdash/tui/crash.py"
        assert list(inspect.signature(method).parameters) == params, name
    assert hasattr(App(), "_exit_renderables")


def test_the_screen_compositor_the_tests_read() -> None:
    """tests/dashboard/dashkit.screen_text renders the screen as the terminal shows it."""
    from textual._compositor import Compositor

    assert "full" in inspect.signature(Compositor.render_update).parameters
    assert "screen_stack" in inspect.signature(Compositor.render_update).parameters
    assert hasattr(App, "_background_screens")


def test_the_paint_timer_cwdash_replaces_exists() -> None:
    """tui/frames.py paces the screen's paints with its own Timer (Screen._update_timer)."""
    from textual.screen import Screen
    from textual.timer import Timer

    assert isinstance(inspect.getattr_static(Screen, "_update_timer"), property)
    assert callable(Screen._on_timer_update)
    assert inspect.iscoroutinefunction(Timer._run) and inspect.iscoroutinefunction(Timer._tick)
    assert list(inspect.signature(Timer._tick).parameters) == ["self", "next_timer", "count"]
    timer = Timer(App(), 1.0, pause=True)  # not started: no loop needed
    assert hasattr(timer, "_interval") and not timer._active.is_set()


def test_the_border_table_ascii_mode_rewrites() -> None:
    """cwdash/tui/asciimode.py: every border type is a 3x3 table of one-cell strings."""
    from textual import _border

    assert callable(_border.get_box.cache_clear)
    for kind, rows in _border.BORDER_CHARS.items():
        assert len(rows) == 3 and all(len(row) == 3 for row in rows), kind


def test_the_input_loop_cwdash_replaces_exists() -> None:
    """tui/driver.py: QuietDriver replaces LinuxDriver.run_input_thread, wraps exit_event and
    reads the parser's _timeout_time."""
    from textual._xterm_parser import XTermParser
    from textual.drivers.linux_driver import LinuxDriver

    assert list(inspect.signature(LinuxDriver.run_input_thread).parameters) == ["self"]
    source = inspect.getsource(LinuxDriver)
    assert "self.exit_event = Event()" in source and "self.exit_event.set()" in source
    assert "_timeout_time" in inspect.getsource(XTermParser.__mro__[1])
    assert "parser.tick" in inspect.getsource(LinuxDriver.run_input_thread) or "tick = parser.tick" in source


def test_the_suspend_handler_cwdash_replaces_exists() -> None:
    """tui/driver.py: QuietDriver replaces LinuxDriver._sigtstp_application (registered as
    SIGTSTP's handler in __init__) and sets _must_signal_resume when _auto_restart."""
    from textual.drivers.linux_driver import LinuxDriver

    source = inspect.getsource(LinuxDriver)
    assert "signal.signal(signal.SIGTSTP, self._sigtstp_application)" in source
    assert "self._must_signal_resume = True" in inspect.getsource(LinuxDriver._sigtstp_application)
    assert "if self._auto_restart:" in inspect.getsource(LinuxDriver._sigtstp_application)
