"""The detail of the selected instance: every field, the flags, the source, the token.

Everything is built as :class:`rich.text.Text` from sanitised strings, never as
markup, so brackets or escape sequences in store or bridge data are shown literally.
The token is shown only while revealed; otherwise it is a mask and is never decrypted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.document import FLAG_MEANINGS, StatusDocument
from store.fleet import FleetRow
from store.readmodel import MappedError, StatusRead
from store.sealing import Secret
from store.text import literal, one_line
from store.timefmt import age, span

MASK = "••••••••••••"
STATUS_STYLE = {"active": "bold green", "paused": "bold yellow", "error": "bold red"}


@dataclass
class TokenView:
    """What the token line shows: masked, revealed (until ``hide_at``), or unopenable."""

    secret: Secret | None = None
    problem: str | None = None
    hide_at: float | None = None

    def __repr__(self) -> str:
        return "TokenView(…)"


def _label(text: Text, name: str) -> None:
    text.append(f"{name:<22}", style="dim")


def render_detail(
    row: FleetRow | None,
    read: StatusRead | MappedError | None,
    token: TokenView,
    *,
    gateway_configured: bool,
    no_reveal: bool,
) -> Text:
    """The whole detail as one Text (wrapped by the Static that shows it)."""
    text = Text(no_wrap=False)
    if row is None:
        text.append("No instance selected.\n", style="dim")
        text.append("The list is empty or the filter matches nothing: Escape clears the filter.", style="dim")
        return text
    text.append(one_line(row.name, 200), style="bold")
    text.append("\n")
    if isinstance(read, MappedError) or row.mapped is not None:
        error = read if isinstance(read, MappedError) else row.mapped
        assert error is not None
        text.append(f"{error.http_status}  {error.message}\n", style="bold red")
        text.append(f"what to do: {error.hint}\n", style="italic")
        return text
    if read is None:
        text.append("reading…", style="dim")
        return text
    doc = read.document
    _label(text, "status")
    text.append(f"{doc.status}", style=STATUS_STYLE.get(doc.status, "bold"))
    text.append("\n")
    _source_lines(text, row, read, gateway_configured)
    text.append("\n")
    _label(text, "last_error")
    if doc.last_error:
        text.append(literal(doc.last_error), style="red")
    else:
        text.append("— (healthy)", style="dim")
    text.append("\n")
    _token_line(text, doc, token, no_reveal)
    rows: list[tuple[str, str]] = [
        ("bridge_integration_id", doc.bridge_integration_id),
        ("chatwoot_base_url", doc.chatwoot_base_url),
        ("chatwoot_account_id", str(doc.chatwoot_account_id)),
        (
            "chatwoot_inbox_id",
            str(doc.chatwoot_inbox_id)
            if doc.chatwoot_inbox_id
            else "0 (not known yet: the bridge backfills it)",
        ),
        ("chatwoot_inbox_name", doc.chatwoot_inbox_name or "—"),
        ("created_at", f"{doc.created_at}  ({age(doc.created_at)})"),
    ]
    for name, value in rows:
        _label(text, name)
        text.append(one_line(value, 400))
        text.append("\n")
    text.append("\n")
    for flag, meaning in FLAG_MEANINGS.items():
        on = getattr(doc, flag)
        _label(text, flag)
        text.append("on " if on else "off", style="bold green" if on else "dim")
        text.append(f"  {meaning}\n", style="" if on else "dim")
    return text


def _source_lines(text: Text, row: FleetRow, read: StatusRead, gateway_configured: bool) -> None:
    _label(text, "source")
    if not gateway_configured:
        text.append("local", style="yellow")
        text.append("  (integration gateway not configured: set BRIDGE_URL and BRIDGE_TOKEN)")
        return
    if read.source == "live" and row.live_at is not None:
        text.append("live", style="green")
        text.append(f"  read {span(time.monotonic() - row.live_at)} ago")
        return
    if row.failure is not None:
        text.append("local", style="yellow")
        text.append(f"  live read failed: {one_line(row.failure.describe(), 300)}\n")
        _label(text, "")
        text.append(f"what to do: {row.failure.reason.hint}", style="italic")
        if row.live_at is not None:
            text.append(f"  (last live answer {span(time.monotonic() - row.live_at)} ago)", style="dim")
        return
    text.append("local", style="yellow")
    text.append("  (live read pending)", style="dim")


def _token_line(text: Text, doc: StatusDocument, token: TokenView, no_reveal: bool) -> None:
    _label(text, "chatwoot_api_token")
    if token.problem:
        text.append("cannot be opened", style="bold red")
        text.append(f": {one_line(token.problem, 300)}\n")
        return
    if token.secret is not None:
        text.append(literal(token.secret.reveal(), limit=500), style="bold reverse")
        if token.hide_at is not None:
            text.append(
                f"  (hides in {max(0, int(token.hide_at - time.monotonic()))}s; t hides)", style="dim"
            )
        text.append("\n")
        return
    text.append(MASK)
    if no_reveal:
        text.append("  (reveal and copy are off: --no-reveal)\n", style="dim")
    else:
        text.append("  (t reveals, y copies)\n", style="dim")


class DetailPane(VerticalScroll):
    """A scrollable pane holding the selected instance's detail."""

    DEFAULT_CSS = """
    DetailPane > Static { width: 1fr; height: auto; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="detail-body")

    def show(self, content: Text) -> None:
        self.query_one("#detail-body", Static).update(content)
