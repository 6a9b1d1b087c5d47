"""What the dashboard keeps of history (issue 14), and the messages its threads send.

:class:`History` is the screen's one object: what the list and the detail show (SINCE,
flaps, each row's recent events, all by row key, so the same instance name in two sites
never mixes), the alerts and the ``--on-change`` hook. :class:`SiteHistory` is one site's
part: its own store's writer and reader, on a thread of its own. With one site there is
one of each, of site "" (row keys are instance names); with ``--all-sites``, one per site
whose store opened, and a site whose history is off (a newer history table, a broken
store) leaves the others on.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from cwdash.store.fleetrow import row_key
from cwdash.store.text import one_line
from cwdash.tui import timeline

if TYPE_CHECKING:
    from cwdash.store.config import Config
    from cwdash.store.history.model import Event

log = logging.getLogger("cwdash.history")
RECENT = 20_000  # events of each site kept in memory for c (the store has them all)
PER_NAME = 50  # events of each instance kept in memory for its timeline
FLAP_KEEP = 100  # transition times kept per instance (the cell says 99+ beyond)
CATCH_UP = 5_000  # rows observed per step when history arrives after reads were applied
CHANGES_READ = 5_000


class SiteHistory:
    """One site's history: its store's writer (events written there, naming the site) and
    reader (used on :attr:`executor`'s thread only)."""

    def __init__(self, site: str, label: str, path: Path, config: Config | None = None) -> None:
        self.config = (
            config  # the site's settings (CWDASH_HISTORY_DAYS, ...): its env file's, as `check` reads them
        )
        self.site = site  # the session's site: what row keys are made of ("" with one site)
        self.label = label  # the site named in its events (CWDASH_SITE): config.site with one site
        self.path = path
        self.enabled = True  # False: CWDASH_HISTORY_DAYS=0, the settings are wrong, the store fails
        self.ready = False  # loaded (or known off)
        self.catching_up = False
        self.closed = False
        self.writer: Any = None  # HistoryWriter
        self.observation: Any = None  # the Observation class, once loaded
        self.reader: Any = None  # HistoryReader
        self.reader_store: Any = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="cwdash-history-read")
        self.recent: deque[Event] = deque(maxlen=RECENT)

    def key(self, name: str) -> str:
        return row_key(self.site, name)


class History:
    """What the screen keeps of history; each site's part is filled in from its thread."""

    def __init__(self, *, bell: bool, on_change: str | None, clock: Callable[[], float]) -> None:
        self.bell = bell
        self.on_change = on_change
        self.clock = clock
        self.sites: dict[str, SiteHistory] = {}
        self.several = False  # alerts and c name the site
        self.closed = False
        self.alerts: Any = None  # AlertEngine (one: debounced per row)
        self.hook: Any = None  # HookRunner (one: one command at a time per site and instance)
        self.flaps: dict[str, deque[float]] = {}  # by row key
        self.by_key: dict[str, deque[Event]] = {}
        self.started_at = clock()
        self.last_look = self.started_at  # `c`: since when
        self.asked: str | None = None  # the row key whose timeline was last asked for
        self.timeline: tuple[str, list[timeline.Span], list[Event]] | None = None

    @property
    def ready(self) -> bool:
        return all(s.ready for s in self.sites.values())

    @property
    def settled(self) -> bool:
        return self.ready and not any(s.catching_up for s in self.sites.values())

    @property
    def off(self) -> bool:
        """Known off in every site (or no site has a store)."""
        return all(s.ready and not s.enabled for s in self.sites.values())

    # -- what the list shows (FleetTable asks, for the rows on screen) -------------------

    def since_text(self, since_at: dict[str, float], key: str) -> str:
        return timeline.since_cell(since_at.get(key), self.clock())

    def flap_text(self, key: str) -> str:
        return timeline.flap_cell(timeline.flap_count(self.flaps.get(key), self.clock()))


@dataclass
class HistoryLoaded(Message):
    """A site's start-up read: the writer and the store's history, or why there is none."""

    writer: Any = None
    since: dict[str, float] = field(default_factory=dict)
    broke: dict[str, float] = field(default_factory=dict)
    flaps: dict[str, list[float]] = field(default_factory=dict)
    unreachable_after: float = 60.0
    problem: str | None = None
    enabled: bool = True
    site: str = ""


@dataclass
class TimelineRead(Message):
    key: str
    spans: list[timeline.Span]
    events: list[Any]


@dataclass
class ChangesRead(Message):
    """Each site's changes from its store: (site, events)."""

    parts: list[tuple[str, list[Any]]]
    since: float
    now: float


def load_site(sh: SiteHistory, clock: Callable[[], float]) -> HistoryLoaded:
    """On the site's thread: settings, the writer (it seeds from the store), the reads."""
    import sqlite3

    from cwdash.store.config import ConfigError
    from cwdash.store.db import Store, StoreError
    from cwdash.store.history.model import Observation
    from cwdash.store.history.reader import HistoryReader
    from cwdash.store.history.recent import flap_times
    from cwdash.store.history.settings import history_settings
    from cwdash.store.history.writer import HistoryWriter

    site = sh.site
    try:
        # the site's configuration (environment, env file, site file), as every command reads it
        settings = sh.config.history_settings() if sh.config is not None else history_settings(os.environ)
    except ConfigError as exc:
        return HistoryLoaded(problem=f"history is off: {exc}", enabled=False, site=site)
    if not settings.enabled:
        return HistoryLoaded(enabled=False, site=site)
    sh.observation = Observation
    try:
        store = Store.open(sh.path)
        sh.reader_store = store
        sh.reader = HistoryReader(store.conn, clock=clock)
        writer = HistoryWriter(store, observer="dashboard", site=sh.label, settings=settings, clock=clock)
        loaded = HistoryLoaded(
            writer,
            sh.reader.since_all(),
            sh.reader.last_broke(),
            flap_times(store.conn, clock() - timeline.FLAP_WINDOW, keep=FLAP_KEEP),
            settings.unreachable_after,
            site=site,
        )
    except (StoreError, sqlite3.Error, OSError) as exc:
        sh.reader = None
        log.warning("history is not shown%s: %s", f" for site {site}" if site else "", exc)
        problem = f"history is not shown: {one_line(str(exc), 300)}"
        return HistoryLoaded(problem=problem, enabled=False, site=site)
    if sh.closed:  # the dashboard closed while this ran
        writer.close(timeout=2.0)
    return loaded


def read_timeline(sh: SiteHistory, key: str, name: str) -> TimelineRead:
    """On the site's thread: ``name``'s last 24 h and its last transitions."""
    spans = [timeline.Span(s.start, s.end, s.status) for s in sh.reader.timeline(name, timeline.HOURS)]
    return TimelineRead(key, spans, sh.reader.events(name, limit=PER_NAME))


def when_all(futures: Sequence[Future[Any]], then: Callable[[], None]) -> None:
    """Call ``then`` (on whichever thread finishes last) once every future is done."""
    lock = threading.Lock()
    left = [len(futures)]

    def done(_: Future[Any]) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        then()

    for future in futures:
        future.add_done_callback(done)
