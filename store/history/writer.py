"""Writing history: :class:`HistoryWriter` turns observations into events at once, and
writes them to the store later, in batches, on a thread of its own.

``observe`` runs on the caller's thread (the dashboard calls it for every live result)
and costs a few microseconds: the :class:`~.model.Detector` compares in memory, and only
a change (or an instance seen for the first time) is queued. The writer thread sleeps
while nothing is queued; the first change wakes it, it gathers for ``flush_every`` seconds
(or until ``batch`` changes wait), and writes them in one transaction per batch on its
own connection, with a busy timeout. Inside that
transaction each change is compared with ``history_state``, the last state recorded by
any process, so the events written are the store's own truth even when two cwdash
processes watch the same fleet.

A write that fails (a full disk, a store locked past the timeout, a read-only file) drops
its batch: one line in the log (``cwdash.history``), :attr:`HistoryWriter.dropped`
counts the changes lost, and the caller never waits. The next change of an instance is
then compared with what the store holds, so the history catches up with one event.

Where the migration happens: opening never migrates; the first batch is a write, and a
write migrates an older store to schema 5 first (:meth:`cwdash.store.db.Store.write`),
as a backfill already did. A store whose history tables come from a newer cwdash, or a
read-only store, turns history off (:attr:`HistoryWriter.off` says why, once).

Retention (:mod:`.settings`): events older than ``CWDASH_HISTORY_DAYS`` are deleted, and
each instance keeps at most ``CWDASH_HISTORY_CAP`` events (applied on close too); the
writer thread compacts after a write, at most every ``compact_every`` seconds (the last
time is kept in the store, so short-lived commands such as ``check`` from cron share it),
in transactions of a few thousand rows.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from cwdash.store.db import BUSY_TIMEOUT, Store, StoreError
from cwdash.store.history import tables
from cwdash.store.history.model import (
    ABSENT,
    FIELDS,
    PRESENCE,
    PRESENT,
    STATUS,
    Detector,
    Event,
    Observation,
    State,
    broken,
)
from cwdash.store.history.settings import HistorySettings

log = logging.getLogger("cwdash.history")

COMPACTED_ROW = "history_compacted_at"  # meta: when history was last compacted (epoch seconds)
DELETE_CHUNK = 2000
STATE_SQL = (
    "SELECT status, last_error, connection, source, present, seen_at, status_since, broke_at "
    "FROM history_state WHERE name = ?"
)
INSERT_EVENT = "INSERT INTO history (at, name, field, old, new, observer, site) VALUES (?, ?, ?, ?, ?, ?, ?)"
UPSERT_STATE = (
    "INSERT OR REPLACE INTO history_state (name, status, last_error, connection, source, present, "
    "seen_at, status_since, broke_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# a change waiting to be written: (at, name, new state, observer, site)
Change = tuple[float, str, State, str, str]


def seed_detector(detector: Detector, conn: sqlite3.Connection, names: Iterable[str] | None = None) -> int:
    """Load the last recorded state of every instance (or of ``names``); how many were found.

    One indexed read of ``history_state``; nothing when the store has no history yet."""
    sql = "SELECT name, status, last_error, connection, source, present FROM history_state"
    try:
        if names is None:
            rows: Iterable[tuple] = conn.execute(sql)
        else:
            wanted = list(names)
            rows = []
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows.extend(conn.execute(f"{sql} WHERE name IN ({marks})", chunk).fetchall())
        found = 0
        for name, status, error, connection, source, present in rows:
            if type(name) is str:
                detector.seed(
                    name, (str(status), str(error), str(connection), str(source), _presence(present))
                )
                found += 1
        return found
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise


def _presence(value: object) -> str:
    return ABSENT if value == 0 else PRESENT


def apply_changes(conn: sqlite3.Connection, changes: list[Change]) -> tuple[list[tuple], set[str]]:
    """Inside a write transaction: compare each change with ``history_state``, write the
    events and the new states. Returns the event rows written and the names they touch."""
    current: dict[str, tuple] = {}
    events: list[tuple] = []
    for at, name, state, observer, site in changes:
        row = current.get(name)
        if row is None:
            found = conn.execute(STATE_SQL, (name,)).fetchone()
            row = (name, *found) if found is not None else None
        if row is None:  # first seen anywhere: a baseline, not an event
            status = state[0]
            current[name] = (
                name,
                *state[:4],
                int(state[4] == PRESENT),
                at,
                at,
                at if status == "error" else None,
            )
            continue
        old: State = (str(row[1]), str(row[2]), str(row[3]), str(row[4]), _presence(row[5]))
        seen_at, since, broke_at = row[6], row[7], row[8]
        for field, before, after in zip(FIELDS, old, state, strict=True):
            if before == after:
                continue
            events.append((at, name, field, before, after, observer, site))
            if field in (STATUS, PRESENCE):
                since = at
            if broken(field, before, after):
                broke_at = at
        current[name] = (name, *state[:4], int(state[4] == PRESENT), seen_at, since, broke_at)
    if events:
        conn.executemany(INSERT_EVENT, events)
    conn.executemany(UPSERT_STATE, list(current.values()))
    return events, {e[1] for e in events}


class HistoryWriter:
    """Observations in, events out at once, rows written later; see the module."""

    def __init__(
        self,
        store: Store,
        *,
        observer: str,
        site: str = "",
        settings: HistorySettings | None = None,
        names: Iterable[str] | None = None,
        clock: Callable[[], float] = time.time,
        flush_every: float = 0.5,
        batch: int = 500,
        compact_every: float = 300.0,
        max_queue: int = 200_000,
        timeout: float = BUSY_TIMEOUT,
        start: bool = True,
    ) -> None:
        """``store`` is read here, on the caller's thread, to seed the detector (all
        instances, or ``names``); the writer thread opens the same file on its own."""
        self.path = Path(store.path)
        self.settings = settings or HistorySettings()
        self.detector = Detector(observer=observer, site=site)
        self.clock = clock
        self.flush_every = flush_every
        self.batch = batch
        self.compact_every = compact_every
        self.max_queue = max_queue
        self.timeout = timeout
        self.off: str | None = None  # why history is not written, when it is not
        self.dropped = 0  # changes lost: a failed write, or the queue full
        self.written = 0  # events written
        self.failures = 0  # batches that could not be written
        self._queue: deque[Change] = deque()
        self._wake = threading.Event()  # a change is waiting (or close)
        self._full = threading.Event()  # write now: a batch is full, or close
        self._stopping = False
        self._store: Store | None = None
        self._touched: set[str] = set()  # names with new events since the last cap check
        self._last_failure = ""
        self._compacted_at: float | None = None
        self._thread: threading.Thread | None = None
        self._check(store)
        if self.off is None:
            seed_detector(self.detector, store.conn, names)
        if start:
            self.start()

    def _check(self, store: Store) -> None:
        if not self.settings.enabled:
            self.off = "history is off (CWDASH_HISTORY_DAYS=0)"
        elif store.readonly:
            self.off = f"history is not recorded: the store {self.path} is open read-only"
        else:
            with contextlib.suppress(sqlite3.DatabaseError):
                problem = tables.problem(store.conn)
                if problem:
                    self.off = f"history is off: {problem}"
        if self.off and self.settings.enabled:
            log.warning("%s", self.off)

    # -- on the caller's thread ---------------------------------------------------------

    def observe(self, obs: Observation, at: float | None = None) -> list[Event]:
        """The events ``obs`` makes, at once; any change is queued for the writer thread."""
        if at is None:
            at = self.clock()
        detector = self.detector
        known = obs.name in detector
        events = detector.observe(obs, at)
        if (events or not known) and self.off is None:
            queue = self._queue
            if len(queue) >= self.max_queue:
                self.dropped += 1
            else:
                state = detector.state(obs.name)
                assert state is not None
                queue.append((at, obs.name, state, detector.observer, detector.site))
                if len(queue) == 1:
                    self._wake.set()  # the first change wakes the writer
                elif len(queue) >= self.batch:
                    self._full.set()  # a full batch is written at once
        return events

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        if self._thread is None and self.off is None:
            self._thread = threading.Thread(target=self._run, name="cwdash-history", daemon=True)
            self._thread.start()

    def flush(self) -> None:
        """Write what is queued now, on the caller's thread (tests, a writer not started)."""
        self._drain()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and stop the thread (waits at most ``timeout`` seconds)."""
        self._stopping = True
        self._wake.set()
        self._full.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        else:
            self._drain()
            self._close_store()

    # -- on the writer thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                # Asleep while nothing changes (an idle dashboard wakes no thread): the first
                # change queued wakes it, then it gathers for ``flush_every`` (or until a
                # batch is full, or close) and writes them in one transaction.
                self._wake.wait()
                self._wake.clear()
                if not self._stopping and len(self._queue) < self.batch:
                    self._full.wait(self.flush_every)
                self._full.clear()
                stopping = self._stopping
                self._drain()
                if self.off is None:
                    self._maybe_compact(final=stopping)
                if stopping:
                    break
        except Exception:  # a bug: history stops, the dashboard does not
            log.exception("the history writer stopped")
            self.off = "history stopped after an unexpected error; see the log"
        finally:
            self._close_store()

    def _drain(self) -> None:
        queue = self._queue
        while queue:
            changes = [queue.popleft() for _ in range(min(self.batch, len(queue)))]
            if self.off is not None:
                self.dropped += len(changes)
                continue
            self._write(changes)

    def _open(self) -> Store:
        if self._store is None:
            store = Store.open(self.path, timeout=self.timeout)
            if store.readonly:
                store.close()
                raise StoreError(
                    f"the store {self.path} is open read-only ({store.notice or 'not writable'})"
                )
            problem = tables.problem(store.conn)
            if problem:
                store.close()
                self.off = f"history is off: {problem}"
                log.warning("%s", self.off)
                raise StoreError(self.off)
            self._store = store
        return self._store

    def _write(self, changes: list[Change]) -> None:
        try:
            store = self._open()
            with store.write():
                events, touched = apply_changes(store.conn, changes)
        except (StoreError, sqlite3.Error) as exc:
            self._failed(len(changes), exc)
            return
        except Exception:  # a bug: this batch is lost, history goes on
            log.exception("unexpected error writing history (%d changes dropped)", len(changes))
            self.dropped += len(changes)
            self.failures += 1
            self._close_store()
            return
        self.written += len(events)
        self._touched |= touched
        self._last_failure = ""

    def _failed(self, lost: int, exc: Exception) -> None:
        self.dropped += lost
        self.failures += 1
        message = str(exc)
        if message != self._last_failure:  # one line per kind of failure, not one per batch
            log.warning("history not saved (%d changes dropped): %s", lost, message)
            self._last_failure = message
        self._close_store()  # opened afresh next time: the file may have been fixed or replaced

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(sqlite3.Error):
                store.close()

    def _maybe_compact(self, *, final: bool = False) -> None:
        now = self.clock()
        try:
            store = self._open()
            if not tables.present(store.conn):
                return  # nothing recorded yet: compaction must not be what migrates the store
            if self._compacted_at is None:
                self._compacted_at = _meta_float(store.conn, COMPACTED_ROW)
            due = self._compacted_at is None or now - self._compacted_at >= self.compact_every
            if due and not final:
                compact(store, now - self.settings.window, now)
                self._compacted_at = now
            if self._touched and (due or final):
                touched, self._touched = self._touched, set()
                trim(store, touched, self.settings.cap)
        except (StoreError, sqlite3.Error) as exc:
            self._failed(0, exc)


def _meta_float(conn: sqlite3.Connection, name: str) -> float | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return float(row[0]) if row else None
    except (sqlite3.OperationalError, ValueError, TypeError):
        return None


def compact(store: Store, cutoff: float, now: float) -> int:
    """Delete events older than ``cutoff`` (and the states of instances gone since before it),
    a few thousand rows per transaction; how many events went."""
    removed = 0
    while True:
        with store.write():
            n = store.conn.execute(
                "DELETE FROM history WHERE id IN (SELECT id FROM history WHERE at < ? ORDER BY at LIMIT ?)",
                (cutoff, DELETE_CHUNK),
            ).rowcount
        removed += n
        if n < DELETE_CHUNK:
            break
    with store.write():
        store.conn.execute("DELETE FROM history_state WHERE present = 0 AND status_since < ?", (cutoff,))
        store.conn.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (COMPACTED_ROW, repr(now))
        )
    return removed


def trim(store: Store, names: Iterable[str], cap: int) -> int:
    """Keep at most ``cap`` events of each of ``names`` (the newest); how many went."""
    removed = 0
    pending = list(names)
    for i in range(0, len(pending), 200):
        with store.write():
            for name in pending[i : i + 200]:
                count = store.conn.execute("SELECT count(*) FROM history WHERE name = ?", (name,)).fetchone()[
                    0
                ]
                if count > cap:
                    removed += store.conn.execute(
                        "DELETE FROM history WHERE id IN "
                        "(SELECT id FROM history WHERE name = ? ORDER BY at, id LIMIT ?)",
                        (name, count - cap),
                    ).rowcount
    return removed
