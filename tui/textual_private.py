"""The one place cwdash uses a private part of Textual, and why.

- :func:`write_to_terminal`: the OSC 52 copy writes raw escape sequences through the
  app's driver (``App._driver``). Textual's public ``App.copy_to_clipboard`` writes a
  bare OSC 52 only (tmux drops it unless ``set-clipboard on``; we also need tmux's and
  screen's DCS passthrough, see :mod:`cwdash.tui.clipboard`), and it keeps the copied
  text in ``App.clipboard`` — for us, a plaintext token held for the app's lifetime.
- :func:`forget_clipboard`: a revealed token selected on screen and copied with Textual's
  own ctrl+c stays in ``App.clipboard`` (``App._clipboard``); it is dropped when the
  token hides. Textual has no public way to clear it.

:mod:`cwdash.tui.asciimode` rewrites Textual's border table (``textual._border.BORDER_CHARS``,
cached by ``get_box``) in ASCII where the terminal cannot show more: every border type
(toasts' edge, inputs, dialogs) at once, where styles would have to name every widget.

The crash report (:mod:`cwdash.tui.crash`) overrides Textual's private crash handling
(``_handle_exception``, ``_fatal_error``, ``_print_error_renderables``): Textual has no
public hook to leave frame locals (a revealed token) out of its report.

``tests/dashboard/test_textual_private.py`` fails loudly if a Textual upgrade removes or
changes any of these.
"""

from __future__ import annotations

from textual.app import App


def write_to_terminal(app: App[object], sequence: str) -> None:
    """Write a raw escape sequence to the terminal; nothing when headless without a driver."""
    driver = app._driver
    if driver is not None:
        driver.write(sequence)


def forget_clipboard(app: App[object], secret: str) -> None:
    """Drop Textual's own copy of a selection (``App._clipboard``, kept for in-app paste)
    when it holds ``secret``: text selected on screen and copied with ctrl+c lands there."""
    held = app.clipboard
    if held and secret and (secret in held or (len(held) >= 8 and held in secret)):
        app._clipboard = ""
