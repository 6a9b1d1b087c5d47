"""History: the detector, the writer (batches, two processes, retention), the reader's queries."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from cwdash.store import schema
from cwdash.store.db import Store
from cwdash.store.history import tables
from cwdash.store.history.model import Detector, Observation, decode, encode
from cwdash.store.history.reader import HistoryReader, Segment
from cwdash.store.history.settings import HistorySettings, history_settings
from cwdash.store.history.writer import HistoryWriter


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def obs(name: str = "a", status: str = "active", error: str = "", **kw: object) -> Observation:
    return Observation(name, status, error, **kw)  # type: ignore[arg-type]


def writer(store: Store, clock: Clock, **kw: object) -> HistoryWriter:
    kw.setdefault("observer", "dashboard")
    return HistoryWriter(store, clock=clock, start=False, **kw)  # type: ignore[arg-type]


def rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, field, old, new, observer FROM history ORDER BY id").fetchall()
    finally:
        conn.close()


# -- the detector ---------------------------------------------------------------------------


def test_identical_reads_are_not_events_and_a_change_is_one_per_field() -> None:
    d = Detector(observer="check", site="prod")
    assert d.observe(obs(), 1.0) == []  # the baseline
    assert d.observe(obs(), 2.0) == []
    (event,) = d.observe(obs(status="error"), 3.0)
    assert (event.field, event.old, event.new, event.observer, event.site) == (
        "status",
        "active",
        "error",
        "check",
        "prod",
    )
    both = d.observe(obs(status="active", error="boom"), 4.0)
    assert [(e.field, e.old, e.new) for e in both] == [
        ("status", "error", "active"),
        ("last_error", "", "boom"),
    ]
    assert d.observe(obs(status="active", error="boom"), 5.0) == []


def test_a_failed_read_changes_only_the_source_and_an_unknown_connection_keeps_the_last() -> None:
    d = Detector()
    d.observe(obs(connection="connected"), 1.0)
    (event,) = d.observe(obs(status="paused", error="stale local", source="local"), 2.0)
    assert (event.field, event.old, event.new) == ("source", "live", "local")
    (back,) = d.observe(obs(connection=None), 3.0)
    assert (back.field, back.new) == ("source", "live")
    (lost,) = d.observe(obs(connection="loggedout"), 4.0)
    assert (lost.field, lost.old, lost.new) == ("connection", "connected", "loggedout")
    (gone,) = d.observe(obs(status="", present=False), 5.0)
    assert (gone.field, gone.old, gone.new) == ("presence", "present", "absent")


def test_a_common_state_costs_a_small_int() -> None:
    state = ("active", "", "connected", "live", "present")
    code = encode(state)
    assert isinstance(code, int) and code < 256 and decode(code) == state
    odd = ("weird", "", "", "live", "present")
    assert encode(odd) is odd and decode(odd) == odd
    d = Detector()
    for i in range(10_000):
        d.observe(obs(f"n{i}"), 1.0)
    assert all(isinstance(v, int) for v in d._last.values())


# -- the writer -----------------------------------------------------------------------------


def test_events_are_written_in_batches_with_the_store_as_the_truth(store: Store) -> None:
    clock = Clock()
    w = writer(store, clock)
    assert w.observe(obs("suporte")) == []
    clock.tick(10)
    assert w.observe(obs("suporte")) == []
    clock.tick(10)
    assert [e.field for e in w.observe(obs("suporte", "error", "inbox gone"))] == ["status", "last_error"]
    w.flush()
    assert rows(store.path) == [
        ("suporte", "status", "active", "error", "dashboard"),
        ("suporte", "last_error", "", "inbox gone", "dashboard"),
    ]
    reader = HistoryReader(store.conn, clock=clock)
    assert reader.since("suporte") == clock.now
    assert reader.last_broke() == {"suporte": clock.now}
    w.close()


def test_a_new_process_starts_from_the_recorded_state(store: Store) -> None:
    clock = Clock()
    first = writer(store, clock)
    first.observe(obs("suporte", "error"))
    first.close()
    second = writer(store, clock, names=["suporte"], observer="status")
    assert len(second.detector) == 1
    assert second.observe(obs("suporte", "error")) == []  # same as recorded: nothing
    second.close()
    assert rows(store.path) == []


def test_two_processes_record_one_transition_once(store: Store) -> None:
    clock = Clock()
    a, b = writer(store, clock), writer(store, clock, observer="check")
    for w in (a, b):
        w.observe(obs("suporte"))
        w.flush()
    clock.tick(5)
    assert a.observe(obs("suporte", "paused")) and b.observe(obs("suporte", "paused"))
    a.flush()
    b.flush()
    assert rows(store.path) == [("suporte", "status", "active", "paused", "dashboard")]


def test_since_flaps_changed_since_and_the_timeline(store: Store) -> None:
    clock = Clock()
    w = writer(store, clock)
    w.observe(obs("a"))
    start = clock.now
    for i in range(6):  # flaps every ten minutes
        clock.tick(600)
        w.observe(obs("a", "error" if i % 2 == 0 else "active"))
    clock.tick(60)
    w.observe(obs("a", "active", present=False))
    w.observe(obs("b"))
    w.flush()
    reader = HistoryReader(store.conn, clock=clock)
    assert reader.flaps() == {"a": 7}  # six status changes in the hour, and vanishing
    assert reader.flaps(["b"]) == {}
    assert reader.since("a") == clock.now and reader.since("b") == clock.now
    assert reader.since("nobody") is None
    changed = reader.changed_since(start + 1800)
    assert [(e.field, e.new) for e in changed] == [
        ("status", "active"),
        ("status", "error"),
        ("status", "active"),
        ("presence", "absent"),
    ]
    line = reader.timeline("a", hours=24)
    assert [s.status for s in line] == ["active", "error"] * 3 + ["active", "gone"]
    assert line[0] == Segment(start, start + 600, "active")
    assert line[-1].end == clock.now
    assert reader.timeline("nobody") == []
    (only,) = reader.timeline("b")
    assert only.status == "active"
    assert [e.new for e in reader.events("a", since=start + 3001)] == ["active", "absent"]
    w.close()


def test_retention_deletes_old_events_and_caps_each_instance(store: Store) -> None:
    clock = Clock()
    w = writer(store, clock, settings=HistorySettings(days=1, cap=5))
    for i in range(12):
        clock.tick(3600)
        w.observe(obs("a", "error" if i % 2 else "active"))
    w.flush()
    assert len(rows(store.path)) == 11
    clock.tick(3600 * 20)  # the first few are now older than a day
    w._maybe_compact()
    kept = HistoryReader(store.conn, clock=clock).events("a")
    assert len(kept) == 5 and kept[-1].at == clock.now - 3600 * 20
    w.close()


# -- versions, read-only, failures ----------------------------------------------------------


def test_an_old_store_is_migrated_by_the_first_history_write_never_by_a_read(tmp_path: Path, sealer) -> None:
    path = tmp_path / "old.db"
    Store.open(path, create=True).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE history")
    conn.execute("DROP TABLE history_state")
    conn.execute("DELETE FROM meta")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    store = Store.open(path)
    clock = Clock()
    w = writer(store, clock)
    w.observe(obs("a"))
    w._maybe_compact()  # nothing recorded yet: compaction does not migrate
    assert schema.version(store.conn) == 4
    assert HistoryReader(store.conn).flaps() == {}  # reads tolerate the missing tables
    w.flush()  # the first write migrates, as any write does
    assert schema.version(store.conn) == schema.LATEST == 6 and tables.present(store.conn)
    w.close()


def test_a_history_from_a_newer_cwdash_turns_history_off_with_one_line(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.conn.execute("UPDATE meta SET value = '9' WHERE name = 'history_version'")
    store.conn.commit()
    with caplog.at_level(logging.WARNING, logger="cwdash.history"):
        w = writer(store, Clock())
        w.observe(obs("a"))
        assert [e.field for e in w.observe(obs("a", "error"))] == ["status"]  # alerts still work
        w.close()
    assert w.off is not None and "newer cwdash" in w.off
    assert len([r for r in caplog.records if r.name == "cwdash.history"]) == 1
    assert rows(store.path) == []
    assert store.integration("suporte") is not None  # nothing else breaks


def test_a_history_table_without_our_columns_turns_history_off(store: Store) -> None:
    store.conn.execute("ALTER TABLE history DROP COLUMN observer")
    store.conn.commit()
    w = writer(store, Clock())
    assert w.off is not None and "observer" in w.off
    w.close()


def test_history_days_zero_turns_history_off_and_bad_values_are_refused() -> None:
    from cwdash.store.config import ConfigError

    assert not history_settings({"CWDASH_HISTORY_DAYS": "0"}).enabled
    assert history_settings({"CWDASH_HISTORY_CAP": "10"}).cap == 10
    for bad in ("x", "-1", "nan", "1e9"):
        with pytest.raises(ConfigError, match="CWDASH_HISTORY_DAYS"):
            history_settings({"CWDASH_HISTORY_DAYS": bad})


def test_a_locked_store_drops_the_batch_with_one_line_and_never_blocks(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    w = writer(store, clock, timeout=0.05)
    w.observe(obs("a"))
    w.flush()
    locker = sqlite3.connect(store.path)
    locker.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.WARNING, logger="cwdash.history"):
        for status in ("error", "active", "error"):
            clock.tick(1)
            assert w.observe(obs("a", status))  # the caller gets its events at once
            w.flush()
    locker.rollback()
    locker.close()
    assert w.dropped == 3 and w.failures == 3
    assert len([r for r in caplog.records if "history not saved" in r.message]) == 1
    clock.tick(1)
    w.observe(obs("a", "paused"))
    w.flush()  # the store is back: the history catches up with one event from what it holds
    assert rows(store.path) == [("a", "status", "active", "paused", "dashboard")]
    w.close()


def test_the_writer_thread_flushes_on_close(store: Store) -> None:
    clock = Clock()
    w = HistoryWriter(store, observer="dashboard", clock=clock, flush_every=0.01)
    w.observe(obs("a"))
    clock.tick(1)
    w.observe(obs("a", "error"))
    w.close()
    assert rows(store.path) == [("a", "status", "active", "error", "dashboard")]


def test_a_full_disk_drops_history_and_nothing_else_breaks(
    tmp_path: Path, sealer, caplog: pytest.LogCaptureFixture
) -> None:
    from test_store_opening import fill, tiny_filesystem

    with tiny_filesystem(tmp_path) as mount:
        path = mount / "cwdash.db"
        Store.open(path, create=True).close()
        store = Store.open(path)
        clock = Clock()
        w = writer(store, clock)
        w.observe(obs("a"))
        w.flush()
        fill(mount)
        with caplog.at_level(logging.WARNING, logger="cwdash.history"):
            for i in range(200):
                clock.tick(1)
                w.observe(obs("a", "error" if i % 2 else "active", "x" * 2000))
                w.flush()
        assert w.dropped > 0
        assert len([r for r in caplog.records if "history not saved" in r.message]) <= 2
        assert Store.open(path).list_rows() == []  # the store still reads
        w.close()
        store.close()


def test_text_that_is_not_valid_unicode_is_stored_as_escapes(store: Store) -> None:
    w = writer(store, Clock())
    w.observe(obs("a"))
    (_s, error) = w.observe(obs("a", "error", "bad \ud800 text"))
    assert error.new == "bad \\ud800 text"
    w.flush()
    assert rows(store.path)[-1][3] == "bad \\ud800 text"
    w.close()
