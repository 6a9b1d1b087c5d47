"""The dashboard's crash report: logged with its traceback, shown without a secret.

Textual's own report prints every frame's local variables (a revealed token among
them). Here the report has no locals, every known secret is blanked from the
exception's text (a header value can carry ``BRIDGE_TOKEN``), the full traceback goes
to the log file first, and the last line says where that log is.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.text import Text

from cwdash.store import logfile, redact
from cwdash.store.text import one_line

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object


class CrashReport(_Base):
    """Mixed into the App, before ``App``: overrides Textual's crash handling."""

    _crash: BaseException | None = None
    _log_hint = ""

    def _hide_token(self) -> None:  # the app's: a revealed token is hidden before anything else
        pass

    def _handle_exception(self, error: Exception) -> None:
        """Every crash of the app goes to the log first, with its traceback (secrets blanked)."""
        self._hide_token()
        self._crash = error
        self._log_hint = logfile.log_exception("the dashboard crashed", error)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's crash report, without local variables (they could hold a revealed token)
        and with every known secret blanked from the exception's text."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self._hide_token()
        self.bell()
        error = self._crash
        exc_info = (type(error), error, error.__traceback__) if error is not None else sys.exc_info()
        trace = Traceback.extract(*exc_info, show_locals=False)  # type: ignore[arg-type]
        for stack in trace.stacks:  # an exception's text may carry a token (a header value, say)
            stack.exc_value = redact.redact(stack.exc_value)
        traceback = Traceback(trace, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """The crash report, then where the log holds it (one line, unwrapped: a path to copy)."""
        crashed = bool(self._exit_renderables)
        super()._print_error_renderables()
        if crashed and self._log_hint:
            self.error_console.print(Text(f"cwdash: {one_line(self._log_hint, 400)}"), soft_wrap=True)
