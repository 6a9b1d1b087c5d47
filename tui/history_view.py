"""History in the dashboard (issue 14): every read applied to a row is an observation, its
transitions are events; SINCE and flap counts in the list, the selected instance's
timeline in the detail, the attention view by most recent breakage, ``c`` (what changed
since you last looked), alerts (a notification, the bell), and ``--on-change``.

Off the screen's path:

- the history modules load after the first paint, on a thread of their own, with the
  store's history (when each status began, when each instance last broke, the last
  hour's transitions) and a :class:`~cwdash.store.history.writer.HistoryWriter` whose
  ``observe`` is all a result costs on the event loop (a few µs: a comparison in memory);
  the writer batches its rows on its own thread;
- the timeline and ``c`` read the store on that same thread (one connection, its own),
  when the selection settles or ``c`` is pressed; the answers come back as messages;
- events the store has not been given yet are kept in memory (:attr:`History.recent`)
  and merged into what the store answers, so nothing seen on screen is missing there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from cwdash.store.text import one_line
from cwdash.tui import timeline

if TYPE_CHECKING:
    from textual.screen import Screen

    from cwdash.store.fleet import Fleet, FleetRow, ListingDiff
    from cwdash.store.history.model import Event
    from cwdash.tui.filter_input import FilterInput
    from cwdash.tui.table import FleetTable

    _Base = Screen[None]
else:
    _Base = object

log = logging.getLogger("cwdash.history")
wall = time.time  # history's clock: epoch seconds (the snapshots freeze it)
RECENT = 20_000  # events of this dashboard kept in memory for c (the store has them all)
PER_NAME = 50  # events of each instance kept in memory for its timeline
FLAP_KEEP = 100  # transition times kept per instance (the cell says 99+ beyond)
CATCH_UP = 5_000  # rows observed per step when history arrives after reads were applied
CHANGES_READ = 5_000


class History:
    """What the screen keeps of history; filled in from a thread after the first paint."""

    def __init__(self, *, bell: bool, on_change: str | None) -> None:
        self.bell = bell
        self.on_change = on_change
        self.enabled = True  # False: CWDASH_HISTORY_DAYS=0, or the settings are wrong
        self.ready = False  # loaded (or known off)
        self.catching_up = False
        self.closed = False
        self.writer: Any = None  # HistoryWriter
        self.alerts: Any = None  # AlertEngine
        self.hook: Any = None  # HookRunner
        self.observation: Any = None  # the Observation class, once loaded
        self.reader: Any = None  # HistoryReader, used on the executor's thread only
        self.reader_store: Any = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="cwdash-history-read")
        self.flaps: dict[str, deque[float]] = {}
        self.recent: deque[Event] = deque(maxlen=RECENT)
        self.by_name: dict[str, deque[Event]] = {}
        self.started_at = wall()
        self.last_look = self.started_at  # `c`: since when
        self.asked: str | None = None  # the instance whose timeline was last asked for
        self.timeline: tuple[str, list[timeline.Span], list[Event]] | None = None

    # -- what the list shows (FleetTable asks, for the rows on screen) -------------------

    def since_text(self, since_at: dict[str, float], name: str) -> str:
        return timeline.since_cell(since_at.get(name), wall())

    def flap_text(self, name: str) -> str:
        return timeline.flap_cell(timeline.flap_count(self.flaps.get(name), wall()))


@dataclass
class HistoryLoaded(Message):
    """The thread's start-up read: the writer and the store's history, or why there is none."""

    writer: Any = None
    since: dict[str, float] = field(default_factory=dict)
    broke: dict[str, float] = field(default_factory=dict)
    flaps: dict[str, list[float]] = field(default_factory=dict)
    unreachable_after: float = 60.0
    problem: str | None = None
    enabled: bool = True


@dataclass
class TimelineRead(Message):
    name: str
    spans: list[timeline.Span]
    events: list[Any]


@dataclass
class ChangesRead(Message):
    events: list[Any]
    since: float
    now: float


def _load(h: History, path: Path, site: str) -> HistoryLoaded:
    """On the executor's thread: settings, the writer (it seeds from the store), the reads."""
    import sqlite3

    from cwdash.store.config import ConfigError
    from cwdash.store.db import Store, StoreError
    from cwdash.store.history.model import Observation
    from cwdash.store.history.reader import HistoryReader
    from cwdash.store.history.recent import flap_times
    from cwdash.store.history.settings import history_settings
    from cwdash.store.history.writer import HistoryWriter

    try:
        settings = history_settings(os.environ)
    except ConfigError as exc:
        return HistoryLoaded(problem=f"history is off: {exc}", enabled=False)
    if not settings.enabled:
        return HistoryLoaded(enabled=False)
    h.observation = Observation
    try:
        store = Store.open(path)
        h.reader_store = store
        h.reader = HistoryReader(store.conn, clock=wall)
        writer = HistoryWriter(store, observer="dashboard", site=site, settings=settings, clock=wall)
        loaded = HistoryLoaded(
            writer,
            h.reader.since_all(),
            h.reader.last_broke(),
            flap_times(store.conn, wall() - timeline.FLAP_WINDOW, keep=FLAP_KEEP),
            settings.unreachable_after,
        )
    except (StoreError, sqlite3.Error, OSError) as exc:
        log.warning("history is not shown: %s", exc)
        return HistoryLoaded(problem=f"history is not shown: {one_line(str(exc), 300)}", enabled=False)
    if h.closed:  # the dashboard closed while this ran
        writer.close(timeout=2.0)
    return loaded


class HistoryHandlers(_Base):
    """The screen's history plumbing (a mixin, as tui/connections.py's)."""

    fleet: Fleet
    table: FleetTable
    filter_input: FilterInput
    store_path: Path
    selected: str | None
    loaded: bool
    _history: History | None = None

    if TYPE_CHECKING:  # declared for the type checker only: a stub here would hide the real ones

        def reapply_view_soon(self) -> None: ...  # ListActions'
        def _view_changed(self) -> None: ...  # ListActions'
        def _render_detail(self) -> None: ...  # the screen's

    # -- start, stop ----------------------------------------------------------------

    def history_start(self) -> None:
        """After the first paint: load history on its thread."""
        if len(getattr(self, "sessions", ())) > 1:
            # --all-sites: each site's history belongs in its own store; not wired yet, so
            # off rather than mixing sites in one store (the columns go with it)
            self.table.show_history = False
            return
        app = self.app
        h = History(
            bell=bool(getattr(app, "bell_on_alert", False)), on_change=getattr(app, "on_change", None)
        )
        self._history = h
        self.table.history = h
        site = getattr(getattr(self, "config", None), "site", None) or ""
        future = h.executor.submit(_load, h, self.store_path, site)
        future.add_done_callback(lambda f: self._history_post(f, HistoryLoaded))

    def _history_post(self, future: Any, kind: type[Message]) -> None:
        try:
            message = future.result()
        except Exception as exc:  # a bug: history stops, the dashboard does not
            log.exception("reading history failed")
            if kind is not HistoryLoaded:
                return
            message = HistoryLoaded(problem=f"history is not shown: {type(exc).__name__}", enabled=False)
        if message is not None:
            self.post_message(message)

    def history_settled(self) -> bool:
        """History has loaded (or is off) and has caught up with the reads applied before."""
        h = self._history
        return h is not None and h.ready and not h.catching_up

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        h = self._history
        if h is None or h.closed:
            return
        h.ready = True
        if message.problem:
            self.notify(message.problem, title="history", severity="warning", timeout=10)
        if not message.enabled or message.writer is None:
            h.enabled = False
            self.table.show_history = False
            self.table.refresh()
            return
        from cwdash.store.history.alerts import AlertEngine

        h.writer = message.writer
        h.alerts = AlertEngine(unreachable_after=message.unreachable_after, clock=wall)
        if h.on_change:
            from cwdash.store.history.hook import HookRunner

            h.hook = HookRunner(h.on_change)
        self.fleet.since_at.update(message.since)
        self.fleet.broke_at.update(message.broke)
        h.flaps = {n: deque(ts, maxlen=FLAP_KEEP) for n, ts in message.flaps.items()}
        h.asked = None  # the selected instance's timeline: read now that history is here
        self.history_select(self.selected)
        h.catching_up = True
        self._catch_up([row for row in self.fleet.rows.values() if row.read_at is not None])

    def _catch_up(self, rows: list[FleetRow]) -> None:
        """Observe the rows whose reads were applied before history arrived, a step at a time."""
        h = self._history
        if h is None or h.closed:
            return
        for row in rows[:CATCH_UP]:
            self.history_observe(row)
        if len(rows) > CATCH_UP:
            self.call_later(self._catch_up, rows[CATCH_UP:])
            return
        h.catching_up = False
        if self.fleet.sort_key in ("since", "broke"):
            self.reapply_view_soon()
        self.table.refresh()

    def on_unmount(self) -> None:
        # Textual calls each class's own handler along the MRO: the sites' feeds close in theirs
        self.history_close()

    def history_close(self) -> None:
        """On exit: no more hooks (a running one ends by its timeout), the queued rows written."""
        h = self._history
        if h is None:
            return
        h.closed = True
        if h.hook is not None:
            h.hook.close(wait=False)
        if h.writer is not None:
            h.writer.close(timeout=2.0)
        if h.reader_store is not None:
            h.executor.submit(h.reader_store.close)
        h.executor.shutdown(wait=False)

    # -- observations -----------------------------------------------------------------

    def history_observe(self, row: FleetRow) -> None:
        """A read was applied to ``row`` (or its connection changed): observe it."""
        h = self._history
        if h is None or h.writer is None:
            return
        at = wall()
        name = row.name
        writer = h.writer
        first = name not in writer.detector
        error = row.last_error
        if error and not error.isascii():  # a lone surrogate cannot be stored: its escape can
            error = error.encode("utf-8", "backslashreplace").decode("utf-8")
        obs = h.observation(
            name,
            row.status,
            error,
            row.connection or None,
            "live" if row.is_live else "local",
            not row.gone,
        )
        events = writer.observe(obs, at)
        if first:
            self.fleet.since_at.setdefault(name, at)  # first seen: in this state at least since now
        if events:
            self._history_events(events)

    def history_observe_rows(self, rows: list[FleetRow]) -> None:
        for row in rows:
            self.history_observe(row)

    def history_listing(self, diff: ListingDiff) -> None:
        """A reload of the listing (before the screen marks it loaded): rows that appeared,
        changed or vanished. The first listing is no change."""
        h = self._history
        if h is None or h.writer is None or not self.loaded:
            return
        rows = self.fleet.rows
        for row in diff.changed:
            self.history_observe(rows.get(row.name, row))
        for name in diff.removed:
            kept = rows.get(name)  # listed as gone until `r`
            if kept is not None:
                self.history_observe(kept)
            elif name in h.writer.detector:
                events = h.writer.observe(h.observation(name, "", present=False), wall())
                if events:
                    self._history_events(events)

    def _history_events(self, events: list[Event]) -> None:
        h = self._history
        assert h is not None
        fleet = self.fleet
        resort = False
        for e in events:
            h.recent.append(e)
            mine = h.by_name.get(e.name)
            if mine is None:
                mine = h.by_name[e.name] = deque(maxlen=PER_NAME)
            mine.append(e)
            field_ = e.field
            if field_ in ("status", "presence"):
                fleet.since_at[e.name] = e.at
                resort = resort or fleet.sort_key == "since"
            if field_ != "last_error" and not (field_ == "connection" and not e.old):  # not: first learnt
                times = h.flaps.get(e.name)
                if times is None:
                    times = h.flaps[e.name] = deque(maxlen=FLAP_KEEP)
                times.append(e.at)
            if (field_ == "status" and e.new == "error" and e.old != "error") or (
                field_ == "connection" and e.old == "connected" and e.new != "connected"
            ):
                fleet.broke_at[e.name] = e.at
                resort = resort or fleet.sort_key == "broke"
            if h.hook is not None:
                row = fleet.rows.get(e.name)
                h.hook.submit(e, row.last_error if row is not None else "")
        self._history_alert(h.alerts.feed(events))
        if resort:
            self.reapply_view_soon()

    # -- alerts ---------------------------------------------------------------------------

    def history_tick(self) -> None:
        """From the screen's 1 s tick: alerts that are due (reads failing too long, summaries)."""
        h = self._history
        if h is not None and h.alerts is not None:
            self._history_alert(h.alerts.tick())

    def _history_alert(self, alerts: list[Any]) -> None:
        if not alerts:
            return
        h = self._history
        for alert in alerts:
            severity = "warning" if alert.kind == "summary" else "error"
            self.notify(alert.message, title="alert", severity=severity, timeout=10)
        if h is not None and h.bell:
            self.app.bell()  # once for the batch: a bell per alert would be the storm debounce avoids

    # -- the selected instance's timeline -------------------------------------------------

    def history_select(self, name: str | None) -> None:
        """The selection settled on ``name``: read its timeline on the history thread."""
        h = self._history
        if h is None or h.reader is None or name is None or name == h.asked or h.closed:
            return
        h.asked = name
        future = h.executor.submit(self._read_timeline, h, name)
        future.add_done_callback(lambda f: self._history_post(f, TimelineRead))

    @staticmethod
    def _read_timeline(h: History, name: str) -> TimelineRead:
        spans = [timeline.Span(s.start, s.end, s.status) for s in h.reader.timeline(name, timeline.HOURS)]
        return TimelineRead(name, spans, h.reader.events(name, limit=PER_NAME))

    def on_timeline_read(self, message: TimelineRead) -> None:
        h = self._history
        if h is not None and message.name == self.selected:
            h.timeline = (message.name, message.spans, message.events)
            self._render_detail()

    def history_rows(self, row: FleetRow | None) -> list[tuple[str, list[tuple[str, str] | str]]]:
        """The detail's history rows of ``row``: the 24 h strip, how long in this state,
        flaps, the last transitions (from the store, then what it has not been given yet)."""
        h = self._history
        if h is None or row is None or not h.enabled or not h.ready:
            return []
        from cwdash.tui import look

        self.history_select(row.name)  # read once per selection, on the history thread
        now = wall()
        name = row.name
        read = h.timeline if h.timeline is not None and h.timeline[0] == name else None
        spans, stored = (read[1], read[2]) if read is not None else ([], [])
        seen = {(e.at, e.field, e.new) for e in stored}
        pending = [e for e in h.by_name.get(name, ()) if (e.at, e.field, e.new) not in seen]
        status = "gone" if row.gone else row.status
        strip = timeline.strip(timeline.extend(spans, pending, status, now), now)
        g = look.G
        rows: list[tuple[str, list[tuple[str, str] | str]]] = [
            ("last 24 h", [*timeline.strip_parts(strip), (" now", "dim")]),
        ]
        since_at = self.fleet.since_at.get(name)
        if since_at is not None:
            flaps = timeline.flap_count(h.flaps.get(name), now)
            note = f"  {g.flap}{flaps} in the last hour" if flaps else ""
            rows.append(
                (
                    "in this state",
                    [
                        timeline.since_cell(since_at, now),
                        (f"  since {timeline.clock_time(since_at)}{note}", "dim"),
                    ],
                )
            )
        events = [*stored, *pending]
        for index, parts in enumerate(timeline.transitions(events)):
            rows.append(("transitions" if index == 0 else "", parts))
        return rows

    # -- c: what changed since you last looked ----------------------------------------------

    def action_changes(self) -> None:
        h = self._history
        if h is None or not h.ready or h.reader is None:
            why = "history is off" if h is not None and h.ready else "history is still loading"
            self.notify(why, title="changes", timeout=3)
            return
        since, now = h.last_look, wall()
        future = h.executor.submit(
            lambda: ChangesRead(h.reader.changed_since(since, limit=CHANGES_READ), since, now)
        )
        future.add_done_callback(lambda f: self._history_post(f, ChangesRead))

    def on_changes_read(self, message: ChangesRead) -> None:
        h = self._history
        if h is None or h.closed:
            return
        from cwdash.tui.changes import ChangesScreen

        seen = {(e.at, e.name, e.field, e.new) for e in message.events}
        mine = [e for e in h.recent if e.at > message.since and (e.at, e.name, e.field, e.new) not in seen]
        h.last_look = message.now
        errors = {n: r.last_error for n, r in self.fleet.rows.items() if r.last_error}
        changes = timeline.summarise([*message.events, *mine], errors)
        self.app.push_screen(ChangesScreen(changes, message.since, message.now), callback=self._history_jump)

    def _history_jump(self, name: str | None) -> None:
        """Enter on an item of ``c``: the cursor goes to it (the view widened if it hides it)."""
        fleet = self.fleet
        if not name or name not in fleet.rows:
            return
        if fleet.index_of(name) is None:
            fleet.filter_text = ""
            fleet.attention_only = False
            if fleet.sort_key == "broke":
                fleet.sort_key = "name"
            self.filter_input.value = ""
            self.filter_input.display = False
            self._view_changed()
            self.notify("filter and attention view cleared to show it", timeout=3)
        index = fleet.index_of(name)
        if index is not None:
            self.table.move_to(index)
            with contextlib.suppress(Exception):
                self.set_focus(self.table)
