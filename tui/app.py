"""The cwdash dashboard: the fleet list, the selected instance's detail, live state in the background.

The screen never waits for the network: live reads run in a worker through
:class:`cwdash.store.refresh.RefreshScheduler` on a thread with an event loop of its own,
and their results reach the screen in batches a few times a second; every rule
about merging local and live data is the read model's.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from importlib import resources

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from cwdash.store import redact
from cwdash.store.config import Config
from cwdash.store.db import Store, StoreError
from cwdash.store.endpoint import display_url
from cwdash.store.fleet import SORT_KEYS, Counts, Fleet, ListingDiff, diff_listing, rows_from_listing
from cwdash.store.readmodel import MappedError, ReadModel, ReadResult, StatusRead, merge
from cwdash.store.refresh import RefreshScheduler, RefreshSettings
from cwdash.store.sealing import TokenError
from cwdash.store.text import one_line
from cwdash.store.timefmt import ago
from cwdash.tui.clipboard import osc52_sequences
from cwdash.tui.crash import CrashReport
from cwdash.tui.detail import DetailPane, TokenView, render_detail
from cwdash.tui.failures import ReadFailures
from cwdash.tui.filter_input import FilterInput
from cwdash.tui.help import HelpScreen
from cwdash.tui.notices import LiteralNotifications
from cwdash.tui.table import FleetTable

STYLES = str(resources.files("cwdash.styles") / "cwdash.tcss")  # a package resource, installed or not
REVEAL_SECONDS = 20.0
STORE_CHECK_EVERY = 2.0  # seconds between checks for commits by other processes
RESULTS_EVERY = 0.25  # seconds: live results are applied and painted in batches at most this often
DETAIL_SETTLE = 0.06  # seconds the cursor must rest before a racing cursor's detail renders
WIDE = 140
FIRST_PAGE = 200
# For bench/run.py: exit once the first screen is painted ("paint") or the whole list is loaded ("loaded").
EXIT_AFTER = os.environ.get("CWDASH_EXIT_AFTER", "")
store_log = logging.getLogger("cwdash.store")


class ResultsReady(Message):
    """Live results are waiting in the queue (posted by the refresh thread)."""


class RowsLoaded(Message):
    """A fresh local listing of the store (from the loader thread), as its differences
    with what is shown (on the first load: every row past the first page)."""

    def __init__(self, rows: ListingDiff, seconds: float) -> None:
        super().__init__()
        self.rows = rows
        self.seconds = seconds


class CwdashApp(LiteralNotifications, CrashReport, App[None]):
    """The dashboard. Every notification is literal text, identical ones coalesce (cwdash.tui.notices);
    a crash is logged and reported without a secret (cwdash.tui.crash)."""

    CSS_PATH = STYLES
    TITLE = "cwdash"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="quit cwdash"),
        Binding(
            "slash", "filter", "Filter", key_display="/", id="filter", tooltip="filter the list as you type"
        ),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="read every instance live again, now"),
        Binding("a", "attention", "Attn", id="attention", tooltip="only rows that need attention"),
        Binding("s", "sort", "Sort", id="sort", tooltip="sort by the next column"),
        Binding("S", "sort_reverse", "Reverse", id="sort_reverse", show=False, tooltip="reverse the sort"),
        Binding("t", "toggle_token", "Token", id="token", tooltip="reveal / hide the selected token"),
        Binding("y", "copy_token", "Copy", id="copy", tooltip="copy the token (OSC 52), not shown"),
        Binding("p", "pause", "Pause", id="pause", show=False, tooltip="pause / resume live reads"),
        Binding("question_mark", "help", "Keys", key_display="?", id="help", tooltip="show every key"),
    ]

    def __init__(
        self,
        config: Config,
        store: Store,
        model: ReadModel,
        *,
        no_reveal: bool = False,
        label: str = "",
        settings: RefreshSettings | None = None,
        reveal_seconds: float = REVEAL_SECONDS,
        notices: Sequence[str] = (),
    ) -> None:
        super().__init__()
        redact.register_config(config)  # blanked in the log from here on
        self.failures = ReadFailures()
        self.notices = tuple(notices)
        self.config = config
        self.store = store
        self.model = model
        self.no_reveal = no_reveal
        self.label = label
        self.reveal_seconds = reveal_seconds
        self.fleet = Fleet()
        self.expected = 0
        self.loaded = False
        self.selected: str | None = None
        self.current: ReadResult | None = None
        self.token = TokenView()
        self.last_answer: float | None = None
        self.store_version: int | None = None
        self.store_problem: str | None = None
        self._summary_dirty = True
        self._last_move = 0.0
        self._last_reload = 0.0
        self._reload_gap = STORE_CHECK_EVERY
        self._counts: Counts | None = None
        self._counts_dirty = True
        self._summary_text: Text | None = None
        self._detail_timer: Timer | None = None
        self.scheduler: RefreshScheduler | None = None
        self._reader: ReadModel | None = None
        self._results: deque[tuple[str, ReadResult]] = deque()
        self._results_lock = threading.Lock()
        self._drain_pending = False
        if model.gateway_configured:
            self.scheduler = RefreshScheduler(
                self._read,
                self._on_result,
                settings or RefreshSettings(config.concurrency, config.rate, round_every=config.round_every),
            )

    # -- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Kept as attributes, not queried: ``App.query_one`` searches the active
        # screen, which is the help screen while it is open.
        self.summary = Static(id="summary", markup=False)
        self.banner = Static(id="banner", markup=False)
        self.table = FleetTable(self.fleet, id="fleet")
        self.filter_input = FilterInput(
            self._apply_filter,
            placeholder="filter: name, URL, status or error text — Enter keeps, Esc clears",
            id="filter",
        )
        self.detail = DetailPane(id="detail")
        yield self.summary
        yield self.banner
        with Container(id="body"):
            with Vertical(id="list-pane"):
                yield self.table
                yield self.filter_input
            yield self.detail
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.title = "cwdash" + (f" · {self.label}" if self.label else "")
        self.filter_input.display = False
        self._layout_for(self.size.width)
        self._update_banner()
        self._update_summary()
        self.table.focus()
        for notice in self.notices:  # e.g. a store or .env readable by other users
            self.notify(one_line(notice, 400), severity="warning", timeout=15)
        self._first_page()
        if EXIT_AFTER == "paint":
            self.call_after_refresh(self.exit)
        # The rest of the listing and the live reads start once the first page is on
        # screen: started earlier, they compete with the first paint for the GIL.
        self.call_after_refresh(self._after_first_paint)
        self.set_interval(1.0, self._tick)
        self.set_interval(STORE_CHECK_EVERY, self._check_store)

    def _after_first_paint(self) -> None:
        self.load_rows()
        if self.scheduler is not None:
            self.run_refresh()

    def on_resize(self, event: object) -> None:
        self._layout_for(self.size.width)

    def _layout_for(self, width: int) -> None:
        self.screen.set_class(width >= WIDE, "-wide")

    # -- loading the store -----------------------------------------------------------

    def _first_page(self) -> None:
        """Paint the top of the list at once; the whole listing follows from a thread."""
        try:
            # noted before the first read: a commit by another process from here on
            # is seen by the store watcher, even one landing before its first check
            self.store_version = self.store.data_version()
            self.expected = self.store.instance_count()
            first = list(rows_from_listing(self.store.iter_list(limit=FIRST_PAGE)))
        except StoreError as exc:
            self._store_failed(str(exc))
            return
        self.fleet.add_first(first)
        table = self.table
        table.empty_text = "no instances in the store: add some with `cwdash import FILE`"
        table.view_changed()
        if len(first) >= self.expected:
            self.loaded = True
            if self.scheduler is not None:
                self.scheduler.set_names([r.name for r in self.fleet.view])
        self._summary_dirty = self._counts_dirty = True
        self._update_summary()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_rows(self) -> None:
        """Read the whole listing on a connection of its own, off the event loop."""
        started = time.monotonic()
        try:
            reader = Store.open(self.store.path)
            try:
                listing = rows_from_listing(reader.iter_list())
                rows = diff_listing(self.fleet.rows, listing)
            finally:
                reader.close()
        except StoreError as exc:
            self.call_from_thread(self._store_failed, str(exc))
            return
        self.post_message(RowsLoaded(rows, time.monotonic() - started))

    def _store_failed(self, message: str) -> None:
        store_log.error("reading the store failed: %s", message)
        self.store_problem = message
        self._update_banner()
        self.notify(message, title="store", severity="error", timeout=10)

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        table = self.table
        keep = self.selected if self.loaded else None
        # A big store takes a while to list: the next reload waits ten times as long.
        self._reload_gap = max(STORE_CHECK_EVERY, 10 * message.seconds)
        diff = message.rows
        if self.loaded and not diff.changed and not diff.removed:
            self.store_problem = None
            self._update_banner()
            return
        added, removed = self.fleet.apply_diff(diff, keep=keep)
        self.failures.forget(diff.removed)
        if not self.loaded:
            # Everything alive after the first load (the fleet, the screen) is long-lived:
            # kept out of the collector's full passes, which otherwise walk it all in the
            # middle of a key press (pauses of 70 ms with 2k instances; see bench/). Once
            # only, after a young-generation pass: a freeze keeps whatever garbage it
            # catches for good (failed reads leave exception cycles behind all the time).
            gc.collect(1)
            gc.freeze()
        names_changed = bool(added or removed) or not self.loaded
        self.loaded = True
        self.store_problem = None
        table.empty_text = "no instances in the store: add some with `cwdash import FILE`"
        table.view_changed()
        if self.scheduler is not None and names_changed:
            self.scheduler.set_names(list(self.fleet.rows))
        self._summary_dirty = self._counts_dirty = True
        self._update_summary()
        self._update_banner()
        if self.selected is not None:
            self._show_detail(refresh_local=True)
        if EXIT_AFTER == "loaded":
            self.call_after_refresh(self.exit)

    def _check_store(self) -> None:
        """Reload the listing when another process committed to the store."""
        try:
            version = self.store.data_version()
        except StoreError as exc:
            if self.store_problem != str(exc):
                store_log.error("checking the store failed: %s", exc)
            self.store_problem = str(exc)
            self._update_banner()
            return
        if self.store_version is None:
            self.store_version = version
        elif version != self.store_version and time.monotonic() - self._last_reload >= self._reload_gap:
            self.store_version = version
            self._last_reload = time.monotonic()
            self.load_rows()

    # -- live refresh ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def run_refresh(self) -> None:
        """Live reads on an event loop of their own, in this thread.

        The HTTP work of hundreds of reads a second then never queues in front of a
        key press on the screen's loop. The reads use a store connection of their own;
        the live source is used (and closed) only here.
        """
        asyncio.run(self._refresh_main())

    async def _refresh_main(self) -> None:
        assert self.scheduler is not None
        store = Store.open(self.store.path)
        self._reader = ReadModel(
            store,
            self.model.sealer,
            self.model.live,
            key_problem=self.model.key_problem,
            backfill_timeout=self.model.backfill_timeout,
        )
        scheduler = self.scheduler

        async def watch_app() -> None:
            # the app may end without telling this thread: stop with it
            while self.is_running and not scheduler._stopping:
                await asyncio.sleep(0.2)
            scheduler.stop()

        watchdog = asyncio.create_task(watch_app())
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler.run()
        finally:
            watchdog.cancel()
            await self._reader.aclose()
            store.close()

    async def _read(self, name: str) -> ReadResult:
        assert self._reader is not None
        return await self._reader.status(name)

    def _on_result(self, name: str, result: ReadResult) -> None:
        """A live read finished (on the refresh thread): queue it for the screen, which
        applies what arrived in one go, a few times a second."""
        with self._results_lock:
            self._results.append((name, result))
            notify = not self._drain_pending
            self._drain_pending = True
        if notify:
            self.post_message(ResultsReady())  # thread-safe; one per batch

    def on_results_ready(self, message: ResultsReady) -> None:
        self.set_timer(RESULTS_EVERY, self._drain_results)

    def _drain_results(self) -> None:
        with self._results_lock:
            batch = list(self._results)
            self._results.clear()
            self._drain_pending = False
        for name, result in batch:
            self._apply_result(name, result)
        self.table.refresh_rows({name for name, _ in batch})  # the header follows on the next tick

    def _apply_result(self, name: str, result: ReadResult) -> None:
        row = self.fleet.rows.get(name)
        if row is None:
            return
        now = time.monotonic()
        row.apply(result, now)
        if isinstance(result, StatusRead) and result.source == "live":
            self.last_answer = now
        # logged when a read starts failing or recovers; unsaved backfills: one banner line
        if self.failures.note(name, result):
            self._update_banner()
        self._summary_dirty = self._counts_dirty = True
        if name == self.selected:
            self.current = result
            self._render_detail()

    # -- the detail ----------------------------------------------------------------

    @on(FleetTable.CursorMoved)
    def _cursor_moved(self, message: FleetTable.CursorMoved) -> None:
        now = time.monotonic()
        held = now - self._last_move < DETAIL_SETTLE
        self._last_move = now
        if self._detail_timer is not None:
            self._detail_timer.stop()
            self._detail_timer = None
        if not held:
            self._select(message.name, force=True)
            return
        # The cursor is racing (a held key, a fast scroll): the list repaints at once,
        # the detail follows as soon as the cursor rests, so keys never queue up
        # behind detail renders.
        self._select(message.name, show=False)
        self._detail_timer = self.set_timer(DETAIL_SETTLE, self._settle_detail)

    def _settle_detail(self) -> None:
        self._detail_timer = None
        self._show_detail(refresh_local=True)

    def _select(self, name: str | None, *, force: bool = False, show: bool = True) -> None:
        """Make ``name`` the selected instance; the token hides when the selection changes."""
        changed = name != self.selected
        if changed:
            self._hide_token()
            self.selected = name
            self.current = None
            if self.scheduler is not None:
                self.scheduler.select(name)
        if show and (changed or force):
            self._show_detail(refresh_local=True)

    def _sync_selection(self) -> None:
        """Catch up with the cursor before acting on "the selected instance".

        Cursor moves arrive as messages; a key pressed right after a move must act on
        the row under the cursor, not on the one selected a moment ago.
        """
        self._select(self.table.cursor_name)

    def _show_detail(self, *, refresh_local: bool) -> None:
        """Show the selected instance at once from the store and its last live outcome."""
        name = self.selected
        row = self.fleet.rows.get(name) if name is not None else None
        if row is not None and (refresh_local or self.current is None):
            try:
                local = self.model.local(row.name)
            except StoreError as exc:
                store_log.error("reading %r from the store failed: %s", row.name, exc)
                self.notify(str(exc), title="store", severity="error")
                local = None
            if isinstance(local, StatusRead):
                self.current = merge(local.document, row.outcome())
            elif isinstance(local, MappedError):
                self.current = local
                if row.mapped is None and self.loaded:
                    row.apply(local, time.monotonic())
        self._render_detail()

    def _render_detail(self) -> None:
        name = self.selected
        row = self.fleet.rows.get(name) if name is not None else None
        if row is not None and row.mapped is None and isinstance(self.current, MappedError):
            self.current = None
        if self.model.sealer is None and self.token.problem is None and isinstance(self.current, StatusRead):
            self.token.problem = self.model.key_problem
        content = render_detail(
            row,
            self.current,
            self.token,
            gateway_configured=self.model.gateway_configured,
            no_reveal=self.no_reveal,
        )
        self.detail.show(content)

    # -- the token -----------------------------------------------------------------

    def _hide_token(self) -> None:
        self.token = TokenView()

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
            self._hide_token()
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
            self.write_terminal(sequence)
        del secret, write
        self.notify(
            f"token of {one_line(self.selected or '', 60)} copied to the clipboard, not shown "
            f"({osc52_sequences('', None).via}; the terminal must allow OSC 52)",
            title="copied",
        )
        self.audit(self.selected or "", "copy")

    def write_terminal(self, sequence: str) -> None:
        """Write a raw escape sequence to the terminal (OSC 52)."""
        if self._driver is not None:
            self._driver.write(sequence)

    @work(thread=True, group="audit", exit_on_error=False)
    def audit(self, name: str, action: str) -> None:
        """Record a reveal or copy in the store's audit table, off the event loop."""
        try:
            writer = Store.open(self.store.path)
            try:
                writer.record_audit(name, action)
            finally:
                writer.close()
        except StoreError as exc:
            store_log.error("the %s of %r was not recorded in the audit table: %s", action, name, exc)
            self.notify(f"the {action} was not recorded in the audit table: {exc}", severity="warning")

    # -- list actions --------------------------------------------------------------

    def _view_changed(self) -> None:
        self.fleet.rebuild()
        self.table.view_changed()
        self._summary_dirty = True
        self._update_summary()

    def action_filter(self) -> None:
        field = self.filter_input
        field.display = True
        field.focus()

    def _apply_filter(self, value: str) -> None:
        if value != self.fleet.filter_text:
            self.fleet.filter_text = value
            self._view_changed()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        field = self.filter_input
        if not event.value:
            field.display = False
        self.table.focus()

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", None)
        if key != "escape":
            return
        field = self.filter_input
        if field.has_focus or field.value:
            field.value = ""
            field.display = False
            self._apply_filter("")
            self.table.focus()
            getattr(event, "stop", lambda: None)()

    def action_attention(self) -> None:
        self.fleet.attention_only = not self.fleet.attention_only
        self._view_changed()
        self.notify(
            "showing only rows that need attention (error, live read failing, no integration)"
            if self.fleet.attention_only
            else "showing every instance",
            timeout=3,
        )

    def action_sort(self) -> None:
        keys = SORT_KEYS
        index = keys.index(self.fleet.sort_key) if self.fleet.sort_key in keys else -1
        self.fleet.sort_key = keys[(index + 1) % len(keys)]
        self.fleet.sort_reverse = False
        self._view_changed()

    def action_sort_reverse(self) -> None:
        self.fleet.sort_reverse = not self.fleet.sort_reverse
        self._view_changed()

    @on(FleetTable.SortRequested)
    def _sort_requested(self, message: FleetTable.SortRequested) -> None:
        if self.fleet.sort_key == message.key:
            self.fleet.sort_reverse = not self.fleet.sort_reverse
        else:
            self.fleet.sort_key = message.key
            self.fleet.sort_reverse = False
        self._view_changed()

    def action_refresh(self) -> None:
        self.load_rows()
        if self.scheduler is None:
            self.notify(
                "integration gateway not configured: set BRIDGE_URL and BRIDGE_TOKEN; reloaded local data"
            )
            return
        self.scheduler.refresh_now()
        self.notify(f"reading {len(self.fleet.rows):,} instances live again", timeout=3)

    def action_pause(self) -> None:
        if self.scheduler is None:
            return
        self.scheduler.pause(not self.scheduler.paused)
        self.notify("live reads paused" if self.scheduler.paused else "live reads resumed", timeout=3)
        self._summary_dirty = True
        self._update_summary()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(list(self.BINDINGS)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_token", "copy_token") and self.no_reveal:
            return None  # shown disabled in the footer
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action in ("quit", "help"):
                continue
            yield SystemCommand(
                binding.description,
                binding.tooltip or binding.description,
                lambda action=binding.action: self.run_action(action),
            )

    # -- periodic ------------------------------------------------------------------

    def _tick(self) -> None:
        table = self.table
        if self.scheduler is not None:
            self.scheduler.set_visible(table.visible_names())
        if self.token.hide_at is not None and time.monotonic() >= self.token.hide_at:
            self._hide_token()
        table.tick(time.monotonic())
        self._summary_dirty = True
        self._update_summary()
        if self.selected is not None:
            self._render_detail()  # the pane skips content that reads the same

    def _update_summary(self) -> None:
        if not self._summary_dirty:
            return
        self._summary_dirty = False
        if self._counts is None or self._counts_dirty:
            self._counts = self.fleet.counts()  # a pass over every row: at most once a tick
            self._counts_dirty = False
        c = self._counts
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.title, style="bold")
        text.append("  ")
        if not self.loaded:
            text.append(f"loading {self.expected:,} instances…", style="dim")
        else:
            narrow = self.size.width < 100
            text.append(f"● {c.active:,} active", style="green")
            text.append("  ")
            text.append(f"◐ {c.paused:,} paused", style="yellow")
            text.append("  ")
            text.append(f"✖ {c.error:,} error", style="bold red" if c.error else "")
            text.append("  ")
            text.append(f"○ {c.no_integration:,} {'none' if narrow else 'no integration'}", style="dim")
            if c.gone:
                text.append("  ")
                text.append(f"⊘ {c.gone:,} gone", style="bold magenta")
            if self.scheduler is not None:
                text.append("  ")
                text.append(f"… {c.not_live:,} {'not live' if narrow else 'not read live yet'}", style="dim")
        text.append("\n")
        if self.scheduler is None:
            text.append("gateway not configured", style="bold yellow")
            text.append(" · showing local data", style="dim")
        else:
            text.append("gateway ", style="dim")
            text.append(one_line(display_url(self.config.bridge_url or ""), 60))
            if self.last_answer is None:
                text.append(" · no answer yet", style="yellow")
            else:
                text.append(f" · last answer {ago(time.monotonic() - self.last_answer)}", style="dim")
            if c.failing:
                text.append(f" · {c.failing} failing", style="bold red")
            if self.scheduler.paused:
                text.append(" · PAUSED (p resumes)", style="bold yellow")
        view = []
        if self.fleet.attention_only:
            view.append("attention only")
        if self.fleet.filter_text:
            view.append(f"filter {one_line(self.fleet.filter_text, 30)!r}")
        if view or len(self.fleet.view) != len(self.fleet.rows):
            view.append(f"{len(self.fleet.view):,}/{len(self.fleet.rows):,} shown")
        if view:
            text.append(" · " + ", ".join(view), style="cyan")
        if text != self._summary_text:
            self._summary_text = text
            self.summary.update(text, layout=False)  # a fixed two-line header: no reflow

    def _update_banner(self) -> None:
        banner = self.banner
        text = Text()
        unsaved = self.failures.banner()
        if self.store_problem:
            text.append(f"store: {one_line(self.store_problem, 300)}", style="bold")
        elif unsaved:
            text.append(one_line(unsaved, 300), style="bold")
            text.append(" — the list and the live state are unaffected")
        elif not self.model.gateway_configured:
            text.append("integration gateway not configured", style="bold")
            text.append(
                " — set BRIDGE_URL and BRIDGE_TOKEN (environment or .env); local data shown, marked local"
            )
        elif self.store.readonly:
            text.append("store is read-only", style="bold")
            text.append(" — reading works; backfills and the token audit cannot be saved")
        banner.update(text)
        banner.display = bool(text.plain)

    async def on_unmount(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()  # the refresh thread closes the live source itself
        else:
            await self.model.aclose()
