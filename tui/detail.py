"""The detail of the selected instance: every field, the flags, the source, the token.

Everything is built as :class:`rich.text.Text` from sanitised strings, never as
markup, so brackets or escape sequences in store or bridge data are shown literally.
The token is shown only while revealed; otherwise it is a mask and is never decrypted.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cwdash.store.config import NOT_CONFIGURED_HINT
from cwdash.store.document import FLAG_MEANINGS
from cwdash.store.fleet import FleetRow
from cwdash.store.readmodel import MappedError, StatusRead
from cwdash.store.sealing import Secret
from cwdash.store.text import literal, one_line
from cwdash.store.timefmt import age, ago
from cwdash.tui import look
from cwdash.tui.connections import detail_parts as connection_parts
from cwdash.tui.look import detail_style
from cwdash.tui.scrolling import set_content_size

if TYPE_CHECKING:
    from cwdash.tui.verify_book import VerifyView


class TokenView:
    """What the token line shows: masked, revealed (until ``hide_at``), or unopenable.
    (Plain classes here and in the header, not dataclasses: see tests/test_packaging.py.)"""

    __slots__ = ("hide_at", "problem", "secret")

    def __init__(
        self, secret: Secret | None = None, problem: str | None = None, hide_at: float | None = None
    ) -> None:
        self.secret = secret
        self.problem = problem
        self.hide_at = hide_at

    def __repr__(self) -> str:
        return "TokenView(…)"


class _Fields:
    """Label/value rows; long values wrap under their value column.

    Rendered by hand rather than with a Rich ``Table``: measuring a table costs about
    ten times as much, and the detail is rendered on every settled cursor move.
    """

    LABEL = 21

    def __init__(self) -> None:
        self.rows: list[tuple[str, Text]] = []

    def add(self, label: str, *parts: tuple[str, str] | str) -> None:
        value = Text()
        for part in parts:
            if isinstance(part, str):
                value.append(part)
            else:
                value.append(part[0], style=part[1])
        self.rows.append((label, value))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for label, value in self.rows:
            yield from _field_segments(console, options, label, value)

    def fingerprint(self) -> object:
        return tuple((label, fingerprint(value)) for label, value in self.rows)


class _Field:
    """One row of :class:`_Fields`, rendered alone (the pane keeps each row's lines)."""

    __slots__ = ("label", "value")

    def __init__(self, label: str, value: Text) -> None:
        self.label = label
        self.value = value

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from _field_segments(console, options, self.label, self.value)


def _field_segments(console: Console, options: ConsoleOptions, label: str, value: Text) -> RenderResult:
    """A label and its value, the value wrapped under its column; every line ends."""
    width = max(options.max_width, _Fields.LABEL + 2)
    room = width - _Fields.LABEL - 1
    lines = value.wrap(console, room, overflow="fold", no_wrap=False) if value else [Text()]
    head = Text(label[: _Fields.LABEL].ljust(_Fields.LABEL) + " ", style="dim")
    blank = Text(" " * (_Fields.LABEL + 1))
    new_line = Segment.line()
    for index, line in enumerate(lines):
        line.rstrip()
        yield from (head if index == 0 else blank).render(console, end="")
        yield from line.render(console, end="")
        yield new_line


def render_detail(
    row: FleetRow | None,
    read: StatusRead | MappedError | None,
    token: TokenView,
    *,
    gateway_configured: bool,
    no_reveal: bool,
    token_line: bool = True,
    verify: VerifyView | None = None,
    history: list[tuple[str, list[tuple[str, str] | str]]] | None = None,
) -> RenderableType:
    """The whole detail, built from literal Text (never markup); ``token_line=False``
    leaves the token out altogether (the full view, :mod:`cwdash.tui.fullview`); ``history``:
    label and parts of the rows history adds after last_error."""
    head = Text()
    if row is None:
        head.append("No instance selected.\n", style="dim")
        head.append("The list is empty or the filter matches nothing: Escape clears the filter.", style="dim")
        return head
    head.append(one_line(row.name, 200), style="bold")
    if row.site:  # --all-sites: whose instance this is
        head.append(f"  {look.G.sep} site ", style="dim")
        head.append(one_line(row.site, 100), style="bold")
    if isinstance(read, MappedError) or row.mapped is not None:
        # a bad row's state wins: a read by its listed name may find nothing, or another row
        error = row.mapped if row.bad or not isinstance(read, MappedError) else read
        assert error is not None
        head.append(f"\n{error.http_status}  {error.message}\n", style="bold red")
        head.append(f"what to do: {error.hint}", style="italic")
        return head
    if read is None:
        head.append("\nreading" + look.G.ellipsis, style="dim")
        return head
    doc = read.document
    fields = _Fields()
    fields.add("status", (one_line(doc.status, 100), detail_style(doc.status)))
    if row.connection:
        fields.add("connection.state", *connection_parts(row))
    _source_rows(fields, row, read, gateway_configured)
    if doc.last_error:
        fields.add("last_error", (literal(doc.last_error), "red"))
    else:
        fields.add("last_error", (f"{look.G.dash} (healthy)", "dim"))
    for label, parts in history or ():  # the 24 h strip and last transitions (tui/history_view.py)
        fields.add(label, *parts)
    if token_line:
        _token_row(fields, token, no_reveal)
    if verify is not None:
        _verify_rows(fields, verify)
    fields.add("bridge_integration_id", one_line(doc.bridge_integration_id, 400))
    fields.add("chatwoot_base_url", one_line(doc.chatwoot_base_url, 400))
    fields.add("chatwoot_account_id", str(doc.chatwoot_account_id))
    if doc.chatwoot_inbox_id:
        fields.add("chatwoot_inbox_id", str(doc.chatwoot_inbox_id))
    else:
        fields.add("chatwoot_inbox_id", "0 ", ("(not known yet: the bridge backfills it)", "dim"))
    fields.add("chatwoot_inbox_name", one_line(doc.chatwoot_inbox_name, 400) or look.G.dash)
    fields.add("created_at", one_line(doc.created_at, 100), (f"  ({age(doc.created_at)})", "dim"))
    fields.add("", "")
    for flag, meaning in FLAG_MEANINGS.items():
        on = getattr(doc, flag)
        fields.add(
            flag,
            ("on " if on else "off", "bold green" if on else "dim"),
            (f"  {meaning}", "" if on else "dim"),
        )
    return Group(head, fields)


def _source_rows(fields: _Fields, row: FleetRow, read: StatusRead, gateway_configured: bool) -> None:
    if not (read.source == "live" and row.live_at is not None) and row.written_at:
        # local values: how old they are (imported, set, synced or backfilled here)
        fields.add("local_written", one_line(row.written_at, 40), (f"  ({age(row.written_at)})", "dim"))
    if not gateway_configured:
        fields.add(
            "source",
            ("local", "yellow"),
            f"  integration gateway not configured: {NOT_CONFIGURED_HINT}",
        )
        return
    if read.source == "live" and row.live_at is not None:
        fields.add("source", ("live", "green"), f"  read {ago(time.monotonic() - row.live_at)}")
        return
    if row.failure is not None:
        last = f" (last live answer {ago(time.monotonic() - row.live_at)})" if row.live_at is not None else ""
        fields.add(
            "source", ("local", "yellow"), f"  live read failed: {one_line(row.failure.describe(), 300)}"
        )
        fields.add("", (f"what to do: {row.failure.hint}", "italic"), (last, "dim"))
        return
    fields.add("source", ("local", "yellow"), ("  live read pending", "dim"))


def _token_row(fields: _Fields, token: TokenView, no_reveal: bool) -> None:
    label = "chatwoot_api_token"
    if token.problem:
        problem = one_line(token.problem, 300)
        if "cannot be opened" not in problem:  # a sealing error says it itself, once
            problem = f"cannot be opened: {problem}"
        fields.add(label, (problem, "bold red"))
    elif token.secret is not None:
        left = max(0, int((token.hide_at or time.monotonic()) - time.monotonic()))
        fields.add(
            label,
            (literal(token.secret.reveal(), limit=500), "bold reverse"),
            (f"  (hides in {left}s; t hides)", "dim"),
        )
    elif no_reveal:
        fields.add(label, look.G.mask, ("  (reveal and copy are off: --no-reveal)", "dim"))
    else:
        fields.add(label, look.G.mask, ("  (t reveals, y copies)", "dim"))


VERIFY_STYLES = {
    "OK": "bold green",
    "WARNING": "bold yellow",
    "CRITICAL": "bold red",
    "UNKNOWN": "bold magenta",
}


def _verify_rows(fields: _Fields, verify: VerifyView) -> None:
    """The last verify (v): its level, when, each diagnosis and what to do; or that one runs."""
    result = verify.result
    running = ("  verify running" + look.G.ellipsis, "dim") if verify.running else ""
    if result is None:
        fields.add("verify", ("running" + look.G.ellipsis, "dim"))
        return
    level = result.level.name
    when = f"  {ago(time.monotonic() - result.finished_at)}, at {result.checked_at} in {result.elapsed:.1f} s"
    fields.add("verify", (level, VERIFY_STYLES.get(level, "bold")), (when, "dim"), running)
    if not result.diagnoses:
        fields.add("", (result.summary, "green"))
    for diagnosis in sorted(result.diagnoses, key=lambda d: -d.level.rank):
        fields.add("", (f"{diagnosis.reason}", VERIFY_STYLES.get(diagnosis.level.name, "")))
        fields.add("", (f"what to do: {diagnosis.what_to_do}", "italic"))


def fingerprint(content: RenderableType) -> object:
    """What ``content`` shows (text and styles), comparable; None when unknown."""
    if isinstance(content, Text):
        return (
            content.plain,
            str(content.style),
            tuple((s.start, s.end, str(s.style)) for s in content.spans),
        )
    if isinstance(content, str):
        return content
    if isinstance(content, Group):
        parts = tuple(fingerprint(r) for r in content.renderables)
        return None if None in parts else ("group", parts)
    if isinstance(content, _Fields):
        return ("fields", content.fingerprint())
    return None


class DetailPane(ScrollView, can_focus=True):
    """The selected instance's detail, scrollable, drawn with the line API.

    The content is rendered to lines once per change and the lines are kept: a repaint
    (scrolling, another widget changing) only copies them, and only a change in the
    number of lines costs a layout pass. A ``Static`` holding the same content made the
    whole screen reflow on every cursor move.
    """

    # The scrollbar's column is always reserved: the width the content is wrapped at
    # must not change when the scrollbar comes and goes.
    DEFAULT_CSS = """
    DetailPane { scrollbar-gutter: stable; }
    """

    BINDINGS = [
        Binding("up,k", "scroll_up", "Scroll up", show=False),
        Binding("down,j", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content: RenderableType = Text()
        self._lines: list[Strip] = []
        self._rendered_width = -1
        self._shown: object = None
        # each field row's lines, by what it shows, for the width and style they were made at
        self._field_lines: dict[object, list[Strip]] = {}
        self._field_lines_for: tuple[int, Style] | None = None
        self.rows_rendered = 0  # field rows rendered, not taken from _field_lines (tests count them)

    def show(self, content: RenderableType) -> None:
        """Show ``content``; nothing is rendered when it reads exactly as what is shown."""
        key = fingerprint(content)
        if key is not None and key == self._shown and self._rendered_width > 0:
            return
        self._shown = key
        self.content = content
        self._render_content()

    def _render_content(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            self._rendered_width = -1
            return  # not laid out yet: rendered on the first resize
        before, self._lines = self._lines, self._content_lines(width)
        same_shape = width == self._rendered_width and len(before) == len(self._lines)
        self._rendered_width = width
        set_content_size(self, Size(width, len(self._lines)))
        if not same_shape:
            self.refresh()
            return
        # Usually one line changed (an age: "read 25s ago"): repaint only the lines that did
        top = int(self.scroll_offset.y)
        for index, (old, new) in enumerate(zip(before, self._lines, strict=True)):
            if old != new and 0 <= index - top < self.size.height:
                self.refresh(Region(0, index - top, self.size.width, 1))

    def _content_lines(self, width: int) -> list[Strip]:
        """The content as lines. The detail's field rows are rendered one by one and kept:
        a tick usually changes one of them (an age), and rendering them all again was most
        of the cost of a tick with a row selected."""
        console = self.app.console
        options = console.options.update(width=width, height=None, highlight=False)
        style = self.rich_style

        def render(renderable: RenderableType) -> list[Strip]:
            return [
                Strip(line, width)
                for line in console.render_lines(renderable, options, style=style, pad=True)
            ]

        content = self.content
        if not (
            isinstance(content, Group)
            and content.renderables
            and isinstance(content.renderables[-1], _Fields)
        ):
            self._field_lines = {}
            return render(content)
        *parts, fields = content.renderables
        kept = self._field_lines if self._field_lines_for == (width, style) else {}
        fresh: dict[object, list[Strip]] = {}
        lines = [strip for part in parts for strip in render(part)]
        for label, value in fields.rows:  # type: ignore[attr-defined]
            key = (label, fingerprint(value))
            strips = fresh.get(key) or kept.get(key)
            if strips is None:
                strips = render(_Field(label, value))
                self.rows_rendered += 1
            fresh[key] = strips
            lines.extend(strips)
        self._field_lines, self._field_lines_for = fresh, (width, style)
        return lines

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._rendered_width:
            self._render_content()

    def notify_style_update(self) -> None:
        """A theme change: the kept lines carry the old background, so render them again."""
        super().notify_style_update()
        if self._rendered_width > 0:
            self._render_content()

    _frame_style: Style | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """The pane's style worked out once per frame (as the list does: tui/table.py).

        Empty (the first frame, before a row's detail is shown), the lines between its
        top and bottom edges are all alike: Textual works out one of them (the border,
        the padding, its colour filter) and the rest repeat it, instead of each worked
        out again (13M instructions of the first paint at 40 lines)."""
        self._frame_style = self.rich_style
        try:
            x, y, width, height = crop
            if self._lines or height < 4:
                return super().render_lines(crop)
            top = super().render_lines(Region(x, y, width, 2))
            bottom = super().render_lines(Region(x, y + height - 1, width, 1))
            if top[1] != bottom[0]:  # an edge of its own below the top (not in cwdash.tcss)
                return super().render_lines(crop)
            return [top[0], *[top[1]] * (height - 2), bottom[0]]
        finally:
            self._frame_style = None

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        style = self._frame_style or self.rich_style
        if 0 <= index < len(self._lines):
            return self._lines[index].crop_extend(0, width, style)
        return Strip.blank(width, style)
