"""The token actions of the detail pane: reveal (t), hide, hide by itself, copy (y), audit.

Mixed into the dashboard screen, beside the detail it changes. The plaintext lives only
in :class:`~cwdash.tui.detail.TokenView` while revealed (until ``hide_at``) and in the
OSC 52 sequences for the moment they are written (inside tmux also on tmux's stdin, its
buffer deleted at once: :mod:`cwdash.tui.tmux_copy`). A copy says what was actually done
and nothing more; every reveal and copy is recorded in the store's audit table, with
how the copy went, from a thread, so the screen never waits for tmux or a busy store.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from cwdash.store.db import Store, StoreError
from cwdash.store.readmodel import ReadResult, StatusRead
from cwdash.store.sealing import TokenError
from cwdash.store.secret import Secret
from cwdash.tui.detail import TokenView
from cwdash.tui.textual_private import forget_clipboard, write_to_terminal

if TYPE_CHECKING:
    from textual.screen import Screen

    from cwdash.tui.tmux_copy import CopyReport

    _Base = Screen[None]
else:
    _Base = object

store_log = logging.getLogger("cwdash.store")


class TokenActions(_Base):
    """Reveal, hide and copy the selected instance's token; the screen provides the rest."""

    token: TokenView
    no_reveal: bool
    reveal_seconds: float
    selected: str | None
    current: ReadResult | None
    store_path: Path

    def _sync_selection(self) -> None: ...  # the screen's: catch up with the cursor

    if TYPE_CHECKING:  # declared only: SiteRouting's (a stub here would shadow it)

        def token_owner(self) -> tuple[str, Path | None]: ...  # the selected name, its site's store

    def _render_detail(self) -> None: ...  # the screen's

    def token_offers(self, action: str) -> bool:
        """With --no-reveal, t and y are not offered at all: neither in the footer nor as keys."""
        return not (action in ("toggle_token", "copy_token") and self.no_reveal)

    def hide_token(self) -> None:
        if self.token.secret is not None:
            # a revealed token selected on screen and copied (ctrl+c) sits in App.clipboard
            forget_clipboard(self.app, self.token.secret.reveal())
        self.token = TokenView()

    def hide_token_if_due(self, now: float) -> None:
        if self.token.hide_at is not None and now >= self.token.hide_at:
            self.hide_token()

    def _open_token(self) -> Secret | None:
        self._sync_selection()
        if self.no_reveal:
            self.notify("reveal and copy are off (--no-reveal / CWDASH_NO_REVEAL)", severity="warning")
            return None
        if not isinstance(self.current, StatusRead):
            self.notify("no token here: select an instance with an integration", severity="warning")
            return None
        try:
            return self.current.document.chatwoot_api_token.open()
        except TokenError as exc:
            self.token = TokenView(problem=str(exc))
            self._render_detail()
            self.notify(str(exc), title="token", severity="error")
            return None

    def action_toggle_token(self) -> None:
        self._sync_selection()
        if self.token.secret is not None:
            self.hide_token()
            self._render_detail()
            return
        secret = self._open_token()
        if secret is None:
            return
        self.token = TokenView(secret=secret, hide_at=time.monotonic() + self.reveal_seconds)
        self._render_detail()
        self.audit(*self.token_owner(), "reveal")

    def action_copy_token(self) -> None:
        secret = self._open_token()
        if secret is None:
            return
        name, store = self.token_owner()  # audited in the instance's own site's store
        from cwdash.tui.clipboard import osc52_sequences  # with the first copy, not at start

        write = osc52_sequences(secret.reveal())
        for sequence in write.sequences:
            write_to_terminal(self.app, sequence)
        if write.tmux:
            self._copy_through_tmux(name, store, secret, write.via)
        else:
            from cwdash.tui.tmux_copy import copy_report  # loaded with the first copy

            self._report_copy(name, store, copy_report(name, None, write.via))
        del secret, write

    @work(thread=True, group="copy", exit_on_error=False)
    def _copy_through_tmux(self, name: str, store: Path | None, secret: Secret, via: str) -> None:
        """Hand the token to tmux (a few short subprocesses), off the event loop.
        ``secret`` stays a Secret up to here: the worker's description shows its repr."""
        from cwdash.tui.tmux_copy import copy_report, deliver  # loaded with the first copy

        delivery = deliver(secret.reveal())
        del secret
        self._report_copy(name, store, copy_report(name, delivery, via), in_thread=True)

    def _report_copy(
        self, name: str, store: Path | None, report: CopyReport, *, in_thread: bool = False
    ) -> None:
        """Say what was done, and record exactly that (safe from a thread: notify posts)."""
        self.notify(report.message, title=report.title, severity=report.severity)  # type: ignore[arg-type]
        if report.severity == "error":
            store_log.error("copy of %r: %s", name, report.message)
        if in_thread:
            self._record_audit(name, store, report.audit)
        else:
            self.audit(name, store, report.audit)

    @work(thread=True, group="audit", exit_on_error=False)
    def audit(self, name: str, store: Path | None, action: str) -> None:
        """Record a reveal or copy in the store's audit table (``store``: the instance's
        site's; None: the screen's), off the event loop."""
        self._record_audit(name, store, action)

    def _record_audit(self, name: str, store: Path | None, action: str) -> None:
        try:
            writer = Store.open(store or self.store_path)
            try:
                writer.record_audit(name, action)
            finally:
                writer.close()
        except StoreError as exc:
            store_log.error("the %s of %r was not recorded in the audit table: %s", action, name, exc)
            # notify posts a message: safe from this thread
            self.notify(f"the {action} was not recorded in the audit table: {exc}", severity="warning")
