"""History's reads for the screen (a mixin of :class:`~cwdash.tui.history_view.HistoryHandlers`):
the selected instance's timeline from its site's store, and ``c``, what changed since you
last looked, from every site's store (each read on its site's thread), with the events
the stores have not been given yet."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from cwdash.store.fleetrow import split_key

# History's state and the timeline's drawing load with history itself, after the first
# paint (tests/test_packaging.py): imported where they are used, never at the top.
if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.message import Message
    from textual.screen import Screen

    from cwdash.store.fleet import Fleet, FleetRow
    from cwdash.tui.history_state import ChangesRead, History, TimelineRead
    from cwdash.tui.table import FleetTable

    _Base = Screen[None]
else:
    _Base = object

log = logging.getLogger("cwdash.history")


class HistoryReads(_Base):
    fleet: Fleet
    table: FleetTable
    clear_filter_field: Callable[[], None]  # tui/fields.py
    selected: str | None
    loaded: bool
    _history: History | None = None

    if TYPE_CHECKING:  # declared for the type checker only: a stub here would hide the real ones

        def _view_changed(self) -> None: ...  # ListActions'
        def _render_detail(self) -> None: ...  # the screen's
        def _history_post(self, future: Any, kind: type[Message], site: str = "") -> None: ...

    # -- the selected instance's timeline -------------------------------------------------

    def history_select(self, key: str | None) -> None:
        """The selection settled on ``key``: read its timeline on its site's history thread."""
        h = self._history
        if h is None or key is None or key == h.asked or h.closed:
            return
        site, name = split_key(key)
        sh = h.sites.get(site)
        if sh is None or sh.reader is None or sh.closed:
            return
        from cwdash.tui.history_state import TimelineRead, read_timeline

        h.asked = key
        future = sh.executor.submit(read_timeline, sh, key, name)
        future.add_done_callback(lambda f: self._history_post(f, TimelineRead))

    def on_timeline_read(self, message: TimelineRead) -> None:
        h = self._history
        if h is not None and message.key == self.selected:
            h.timeline = (message.key, message.spans, message.events)
            self._render_detail()

    def history_rows(self, row: FleetRow | None) -> list[tuple[str, list[tuple[str, str] | str]]]:
        """The detail's history rows of ``row``: the 24 h strip, how long in this state,
        flaps, the last transitions (from its site's store, then what it has not been given yet)."""
        h = self._history
        sh = h.sites.get(row.site) if h is not None and row is not None else None
        if h is None or row is None or sh is None or not sh.enabled or not sh.ready:
            return []
        from cwdash.tui import look, timeline

        key = row.key
        self.history_select(key)  # read once per selection, on the history thread
        now = h.clock()
        read = h.timeline if h.timeline is not None and h.timeline[0] == key else None
        spans, stored = (read[1], read[2]) if read is not None else ([], [])
        seen = {(e.at, e.field, e.new) for e in stored}
        pending = [e for e in h.by_key.get(key, ()) if (e.at, e.field, e.new) not in seen]
        status = "gone" if row.gone else row.status
        strip = timeline.strip(timeline.extend(spans, pending, status, now), now)
        g = look.G
        rows: list[tuple[str, list[tuple[str, str] | str]]] = [
            ("last 24 h", [*timeline.strip_parts(strip), (" now", "dim")]),
        ]
        since_at = self.fleet.since_at.get(key)
        if since_at is not None:
            flaps = timeline.flap_count(h.flaps.get(key), now)
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
        from cwdash.tui.history_state import CHANGES_READ, ChangesRead, when_all

        h = self._history
        readers = [] if h is None else [s for s in h.sites.values() if s.reader is not None and not s.closed]
        if h is None or not readers:
            why = "history is off" if h is not None and h.ready else "history is still loading"
            self.notify(why, title="changes", timeout=3)
            return
        since, now = h.last_look, h.clock()
        futures = [s.executor.submit(s.reader.changed_since, since, limit=CHANGES_READ) for s in readers]

        def post() -> None:
            try:
                parts = [(s.site, f.result()) for s, f in zip(readers, futures, strict=True)]
            except Exception:  # a bug: c says nothing, the dashboard goes on
                log.exception("reading what changed failed")
                return
            self.post_message(ChangesRead(parts, since, now))

        when_all(futures, post)

    def on_changes_read(self, message: ChangesRead) -> None:
        h = self._history
        if h is None or h.closed:
            return
        from cwdash.tui import timeline
        from cwdash.tui.changes import ChangesScreen

        errors = self.fleet.rows.errors()  # each site's error texts by name
        changes: list[timeline.Change] = []
        for site, stored in message.parts:
            sh = h.sites[site]
            seen = {(e.at, e.name, e.field, e.new) for e in stored}
            mine = [
                e for e in sh.recent if e.at > message.since and (e.at, e.name, e.field, e.new) not in seen
            ]
            for change in timeline.summarise([*stored, *mine], errors.get(site)):
                where = site if h.several else ""
                changes.append(dataclasses.replace(change, key=sh.key(change.name), site=where))
        changes.sort(key=lambda c: -c.last_at)
        h.last_look = message.now
        self.app.push_screen(ChangesScreen(changes, message.since, message.now), callback=self._history_jump)

    def _history_jump(self, key: str | None) -> None:
        """Enter on an item of ``c``: the cursor goes to its row (the view widened if it hides it)."""
        fleet = self.fleet
        if not key or key not in fleet.rows:
            return
        if fleet.index_of(key) is None:
            fleet.filter_text = ""
            fleet.attention_only = False
            if fleet.sort_key == "broke":
                fleet.sort_key = "name"
            self.clear_filter_field()
            self._view_changed()
            self.notify("filter and attention view cleared to show it", timeout=3)
        index = fleet.index_of(key)
        if index is not None:
            self.table.move_to(index)
            with contextlib.suppress(Exception):
                self.set_focus(self.table)
