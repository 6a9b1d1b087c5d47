"""The token actions of the detail pane: reveal (t), hide, hide by itself, copy (y), audit.

Mixed into the dashboard screen, beside the detail it changes. The plaintext lives only
in :class:`~cwdash.tui.detail.TokenView` while revealed (until ``hide_at``) and in the
OSC 52 sequences for the moment they are written; every reveal and copy is recorded in
the store's audit table from a thread, so the screen never waits for a busy store.
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
from cwdash.store.text import one_line
from cwdash.tui.clipboard import osc52_sequences
from cwdash.tui.detail import TokenView
from cwdash.tui.textual_private import write_to_terminal

if TYPE_CHECKING:
    from textual.screen import Screen

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

    def _render_detail(self) -> None: ...  # the screen's

    def hide_token(self) -> None:
        self.token = TokenView()

    def hide_token_if_due(self, now: float) -> None:
        if self.token.hide_at is not None and now >= self.token.hide_at:
            self.hide_token()

    def _open_token(self) -> object | None:
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
        self.token = TokenView(secret=secret, hide_at=time.monotonic() + self.reveal_seconds)  # type: ignore[arg-type]
        self._render_detail()
        self.audit(self.selected or "", "reveal")

    def action_copy_token(self) -> None:
        secret = self._open_token()
        if secret is None:
            return
        write = osc52_sequences(secret.reveal())  # type: ignore[attr-defined]
        for sequence in write.sequences:
            write_to_terminal(self.app, sequence)
        del secret, write
        self.notify(
            f"token of {one_line(self.selected or '', 60)} copied to the clipboard, not shown "
            f"({osc52_sequences('', None).via}; the terminal must allow OSC 52)",
            title="copied",
        )
        self.audit(self.selected or "", "copy")

    @work(thread=True, group="audit", exit_on_error=False)
    def audit(self, name: str, action: str) -> None:
        """Record a reveal or copy in the store's audit table, off the event loop."""
        try:
            writer = Store.open(self.store_path)
            try:
                writer.record_audit(name, action)
            finally:
                writer.close()
        except StoreError as exc:
            store_log.error("the %s of %r was not recorded in the audit table: %s", action, name, exc)
            # notify posts a message: safe from this thread
            self.notify(f"the {action} was not recorded in the audit table: {exc}", severity="warning")
