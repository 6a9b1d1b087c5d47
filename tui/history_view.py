"""History in the dashboard (issue 14): every read applied to a row is an observation, its
transitions are events; SINCE and flap counts in the list, the selected instance's
timeline in the detail, the attention view by most recent breakage, ``c`` (what changed
since you last looked), alerts (a notification, the bell), and ``--on-change``.

Each site writes its own store (:class:`~cwdash.tui.history_state.SiteHistory`); what the
screen shows is kept by row key (:class:`~cwdash.tui.history_state.History`). Off the
screen's path:

- the history modules load after the first paint, on each site's thread, with its store's
  history (when each status began, when each instance last broke, the last hour's
  transitions) and a :class:`~cwdash.store.history.writer.HistoryWriter` whose ``observe``
  is all a result costs on the event loop (a dict lookup for its site, a comparison in
  memory); the writer batches its rows on its own thread;
- the timeline and ``c`` read the stores on those same threads (tui/history_reads.py);
- events the store has not been given yet are kept in memory and merged into what the
  store answers, so nothing seen on screen is missing there.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from textual.message import Message

from cwdash.store.fleetrow import split_key
from cwdash.tui.history_reads import HistoryReads

# cwdash.tui.history_state is imported where it is used: history loads after the first
# paint, and nothing of it is needed before (tests/test_packaging.py).
if TYPE_CHECKING:
    from cwdash.store.fleet import FleetRow, ListingDiff
    from cwdash.store.history.model import Event
    from cwdash.tui.history_state import HistoryLoaded, SiteHistory
    from cwdash.tui.sites import SiteSession

log = logging.getLogger("cwdash.history")
wall = time.time  # history's clock: epoch seconds (the snapshots freeze it)


class HistoryHandlers(HistoryReads):
    """The screen's history plumbing (a mixin, as tui/connections.py's)."""

    sessions: list[SiteSession]

    if TYPE_CHECKING:  # declared for the type checker only: a stub here would hide the real ones

        def reapply_view_soon(self) -> None: ...  # ListActions'

    # -- start, stop ----------------------------------------------------------------

    def history_start(self) -> None:
        """After the first paint: load each site's history on its thread."""
        from cwdash.tui.history_state import History, HistoryLoaded, SiteHistory, load_site

        app = self.app
        h = History(
            bell=bool(getattr(app, "bell_on_alert", False)),
            on_change=getattr(app, "on_change", None),
            clock=wall,
        )
        h.several = len(self.sessions) > 1
        self._history = h
        self.table.history = h
        for session in self.sessions:
            if session.store is None:  # a site that could not be opened: no history
                continue
            label = session.site or (session.config.site if session.config is not None else "") or ""
            sh = h.sites[session.site] = SiteHistory(session.site, label, session.store.path, session.config)
            future = sh.executor.submit(load_site, sh, wall)
            future.add_done_callback(lambda f, s=session.site: self._history_post(f, HistoryLoaded, s))
        if h.off:
            self._history_off()

    def _history_post(self, future: Any, kind: type[Message], site: str = "") -> None:
        from cwdash.tui.history_state import HistoryLoaded

        try:
            message = future.result()
        except Exception as exc:  # a bug: history stops, the dashboard does not
            log.exception("reading history failed")
            if kind is not HistoryLoaded:
                return
            problem = f"history is not shown: {type(exc).__name__}"
            message = HistoryLoaded(problem=problem, enabled=False, site=site)
        if message is not None:
            self.post_message(message)

    def history_settled(self) -> bool:
        """History has loaded (or is off) and has caught up with the reads applied before."""
        h = self._history
        return h is not None and h.settled

    def history_offers(self, action: str) -> bool:
        """``c`` is offered unless history is off in every site."""
        h = self._history
        return action != "changes" or h is None or not h.off

    def _history_off(self) -> None:
        self.table.show_history = False
        self.table.refresh()
        self.refresh_bindings()

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        from cwdash.tui.history_state import FLAP_KEEP

        h = self._history
        sh = h.sites.get(message.site) if h is not None and not h.closed else None
        if h is None or sh is None or sh.closed:
            return
        sh.ready = True
        if message.problem:
            where = f"{sh.site}: " if h.several else ""
            self.notify(where + message.problem, title="history", severity="warning", timeout=10)
        if not message.enabled or message.writer is None:
            sh.enabled = False
            if h.off:
                self._history_off()
            return
        if h.alerts is None:
            from cwdash.store.history.alerts import AlertEngine

            h.alerts = AlertEngine(unreachable_after=message.unreachable_after, clock=wall)
        if h.on_change and h.hook is None:
            from cwdash.store.history.hook import HookRunner

            h.hook = HookRunner(h.on_change)
        sh.writer = message.writer
        key = sh.key
        site = sh.site
        self.fleet.since_at.update({key(n): t for n, t in message.since.items()} if site else message.since)
        self.fleet.known_since.update(
            {key(n): t for n, t in message.since.items()} if site else message.since
        )
        self.fleet.broke_at.update({key(n): t for n, t in message.broke.items()} if site else message.broke)
        h.flaps.update({key(n): deque(ts, maxlen=FLAP_KEEP) for n, ts in message.flaps.items()})
        h.asked = None  # the selected instance's timeline: read now that history is here
        self.history_select(self.selected)
        sh.catching_up = True
        self._catch_up(sh, self.fleet.rows.read_rows(site))

    def _catch_up(self, sh: SiteHistory, rows: list[FleetRow]) -> None:
        """Observe the rows whose reads were applied before history arrived, a step at a time."""
        from cwdash.tui.history_state import CATCH_UP

        if sh.closed:
            return
        for row in rows[:CATCH_UP]:
            self.history_observe(row)
        if len(rows) > CATCH_UP:
            self.call_later(self._catch_up, sh, rows[CATCH_UP:])
            return
        sh.catching_up = False
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
        for sh in h.sites.values():
            sh.closed = True
            if sh.writer is not None:
                sh.writer.close(timeout=2.0)
            if sh.reader_store is not None:
                sh.executor.submit(sh.reader_store.close)
            sh.executor.shutdown(wait=False)

    # -- observations -----------------------------------------------------------------

    def history_observe(self, row: FleetRow) -> None:
        """A read was applied to ``row`` (or its connection changed): observe it in its site."""
        h = self._history
        sh = h.sites.get(row.site) if h is not None else None
        if sh is None or sh.writer is None:
            return
        at = wall()
        name = row.name
        writer = sh.writer
        first = name not in writer.detector
        error = row.last_error
        if error and not error.isascii():  # a lone surrogate cannot be stored: its escape can
            error = error.encode("utf-8", "backslashreplace").decode("utf-8")
        obs = sh.observation(
            name,
            row.status,
            error,
            row.connection or None,
            "live" if row.is_live else "local",
            not row.gone,
        )
        events = writer.observe(obs, at)
        if first:
            self.fleet.since_at.setdefault(row.key, at)  # first seen: in this state at least since now
        if events:
            self._history_events(sh, events)

    def history_observe_rows(self, rows: list[FleetRow]) -> None:
        """Connections listed (RyzeAPI): observed on rows read already; a row not read yet is
        first observed by its first read, connection included (observed here from the
        listing, its first read would be a "source local → live" flap of every row)."""
        for row in rows:
            if row.read_at is not None:
                self.history_observe(row)

    def history_listing(self, diff: ListingDiff) -> None:
        """A reload of a site's listing (before the screen marks it loaded): rows that
        appeared, changed or vanished. The first listing is no change."""
        h = self._history
        if h is None or not self.loaded:
            return
        rows = self.fleet.rows
        for row in diff.changed:
            self.history_observe(rows.get(row.key, row))
        for key in diff.removed:
            kept = rows.get(key)  # listed as gone until `r`
            if kept is not None:
                self.history_observe(kept)
                continue
            site, name = split_key(key)
            sh = h.sites.get(site)
            if sh is not None and sh.writer is not None and name in sh.writer.detector:
                events = sh.writer.observe(sh.observation(name, "", present=False), wall())
                if events:
                    self._history_events(sh, events)

    def _history_events(self, sh: SiteHistory, events: list[Event]) -> None:
        from cwdash.tui.history_state import FLAP_KEEP, PER_NAME

        h = self._history
        assert h is not None
        fleet = self.fleet
        resort = False
        for e in events:
            key = sh.key(e.name)
            sh.recent.append(e)
            mine = h.by_key.get(key)
            if mine is None:
                mine = h.by_key[key] = deque(maxlen=PER_NAME)
            mine.append(e)
            field_ = e.field
            if field_ in ("status", "presence"):
                fleet.since_at[key] = e.at
                resort = resort or fleet.sort_key == "since"
            if field_ != "last_error" and not (field_ == "connection" and not e.old):  # not: first learnt
                times = h.flaps.get(key)
                if times is None:
                    times = h.flaps[key] = deque(maxlen=FLAP_KEEP)
                times.append(e.at)
            if (field_ == "status" and e.new == "error" and e.old != "error") or (
                field_ == "connection" and e.old == "connected" and e.new != "connected"
            ):
                fleet.broke_at[key] = e.at
                resort = resort or fleet.sort_key == "broke"
            if h.hook is not None:
                row = fleet.rows.get(key)
                h.hook.submit(e, row.last_error if row is not None else "")
        if h.several:  # the alert names the site (and debounces each site's instance apart)
            events = [dataclasses.replace(e, name=f"{sh.site}/{e.name}") for e in events]
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
