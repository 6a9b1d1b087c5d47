"""Issue 12, the data side: natural order, the fleet-wide failure counts, the selected row kept
by a live re-apply, rows deleted while watched kept as gone, the local write time (schema v3),
back-off from a gateway that refuses everything, and the demo's mapped states."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from cwdash.store import demo, schema
from cwdash.store.config import generate_key, parse_key
from cwdash.store.db import ListRow, Store
from cwdash.store.fleet import Fleet, diff_listing
from cwdash.store.fleetrow import natural_key
from cwdash.store.readmodel import (
    GATEWAY_NOT_CONFIGURED,
    INSTANCE_NOT_FOUND,
    LiveResult,
    StatusRead,
)
from cwdash.store.refresh import REFUSALS_TO_BACK_OFF, RefreshScheduler, RefreshSettings
from cwdash.store.sealing import Sealer
from cwdash.store.sources.outcome import LiveFailure, LiveState, Reason
from cwdash.store.timefmt import since


def row(name: str, status: str = "active", error: str = "") -> ListRow:
    return ListRow(name, True, status, error, "https://chat.example.com", 1, 5, "", f"int_{name}")


def names(f: Fleet) -> list[str]:
    return [r.name for r in f.view]


def test_natural_order_puts_academia_2_before_academia_10() -> None:
    f = Fleet([row(n) for n in ["academia-10", "academia", "academia-2", "Bravo", "academia-1"]])
    assert names(f)[:4] == ["academia", "academia-1", "academia-2", "academia-10"]
    assert natural_key("a-2") < natural_key("a-10") and natural_key("x") == "x"
    f.sort_key = "status"
    f.rebuild()
    assert names(f)[:4] == ["academia", "academia-1", "academia-2", "academia-10"]


def test_counts_say_how_most_reads_fail_and_failed_reads_are_not_unread() -> None:
    f = Fleet([row(n) for n in "abcde"])
    refused = LiveFailure(Reason.UNAUTHORIZED, "HTTP 401")
    for name in "abcd":
        f.rows[name].apply(LiveResult(refused, 5), 1.0)
    c = f.counts()
    assert (c.failing, c.read, c.not_live) == (4, 4, 1)  # e: never read; a-d: read and failing
    assert c.top_failure is not None and c.top_failure.reason is Reason.UNAUTHORIZED and c.top_failing == 4
    assert c.top_failure.title == "bridge rejected BRIDGE_TOKEN"


def test_a_live_reapply_keeps_the_selected_row_listed_and_drops_the_others() -> None:
    f = Fleet([row("a", "error", "x"), row("b", "error", "y"), row("c")])
    f.filter_text = "err"
    f.rebuild()
    assert names(f) == ["a", "b"]
    for name in "ab":
        f.rows[name].apply(LiveResult(LiveState("active", "", 5), 5), 1.0)
    f.rebuild(full=True, keep="a")  # "a" is under the cursor: it stays until the cursor leaves
    assert names(f) == ["a"]
    f.rebuild(full=True)
    assert names(f) == []


def test_rows_deleted_while_watched_stay_listed_as_gone_until_a_reload_drops_them() -> None:
    f = Fleet([row("a"), row("b"), row("c")])
    listing = [f.rows["a"], f.rows["c"]]
    f.apply_diff(
        diff_listing(f.rows, [type(r)(r.name, True, "active", "", r.base_url, 1, 5) for r in listing]),
        keep_gone=True,
    )
    assert names(f) == ["a", "b", "c"] and f.rows["b"].gone and f.rows["b"].mapped == INSTANCE_NOT_FOUND
    f.filter_text = "not found"  # the filter finds mapped states by their message
    f.rebuild()
    assert names(f) == ["b"]
    f.filter_text = ""
    f.apply_diff(
        diff_listing(f.rows, [type(r)(r.name, True, "active", "", r.base_url, 1, 5) for r in listing])
    )
    f.rebuild()
    assert names(f) == ["a", "c"]


# -- the local write time: schema v3 ---------------------------------------------------------


def _v2_store(path: Path) -> None:
    """A store as cwdash wrote it before schema v3."""
    store = Store.open(path, create=True)
    store.add_instance("old", created_at="2026-01-01T00:00:00Z")
    store.upsert_integration(
        {
            "instance_name": "old",
            "status": "active",
            "bridge_integration_id": "int_old",
            "chatwoot_base_url": "https://chat.example.com",
            "chatwoot_account_id": 1,
            "chatwoot_api_token": "sealed-not-opened-here",
            "chatwoot_inbox_id": 0,
            "chatwoot_inbox_name": "",
            "last_error": "",
            "created_at": "2026-01-01T00:00:00Z",
            "sign_messages": False,
            "ignore_groups": False,
            "start_as_pending": False,
            "reopen_resolved": False,
        }
    )
    store.close()
    conn = sqlite3.connect(path)  # back to v2: the column goes, the version too
    conn.execute("ALTER TABLE chatwoot_integrations DROP COLUMN local_written_at")
    conn.execute("UPDATE chatwoot_integrations SET updated_at = '2026-02-03T04:05:06Z'")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


def test_a_v2_store_is_listed_as_it_is_then_migrated_by_the_first_write(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _v2_store(path)
    store = Store.open(path)
    assert schema.version(store.conn) == 2
    (listed,) = store.list_rows()
    assert listed.name == "old" and listed.written_at == ""  # read as it is: no write time yet
    store.backfill_inbox("old", 77)  # a write migrates, then stamps the row
    (listed,) = store.list_rows()
    assert schema.version(store.conn) == schema.LATEST == 6
    assert (
        listed.written_at != "" and since(listed.written_at) is not None and since(listed.written_at) < 3600
    )
    store.close()


def test_the_migration_starts_each_row_from_its_updated_at(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _v2_store(path)
    store = Store.open(path, create=True)  # create migrates at once
    (listed,) = store.list_rows()
    assert listed.written_at == "2026-02-03T04:05:06Z"
    store.close()


# -- back-off from a gateway that refuses everything ---------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def refused() -> StatusRead:
    return LiveResult(LiveFailure(Reason.UNAUTHORIZED, "HTTP 401"), 0)  # type: ignore[return-value]


def test_refusals_in_a_row_hold_every_read_then_one_probe_at_a_time_ever_further_apart() -> None:
    clock = Clock()
    s = RefreshScheduler(lambda n: None, lambda n, r: None, RefreshSettings(), clock=clock)  # type: ignore[arg-type,return-value]
    s.jitter = lambda: 1.0  # the longest wait: delay * (0.5 + 1/2)
    for i in range(REFUSALS_TO_BACK_OFF - 1):
        s.note(f"n{i}", refused())
    assert not s.backing_off and s._backing_off(clock.now) == 0
    s.note("last", refused())
    assert s.backing_off and s._backing_off(clock.now) == pytest.approx(2.0)
    clock.now += 2.0
    assert s._backing_off(clock.now) == 0
    s._probe = "probe"  # what run() records when it starts the one read allowed
    assert s._backing_off(clock.now) > 0  # nothing else starts while the probe runs
    s.note("probe", refused())
    assert s.backoff_level == 2 and s._backing_off(clock.now) == pytest.approx(4.0)
    s.note("late", refused())  # a read started before the back-off: no longer wait
    assert s.backoff_level == 2
    s.jitter = lambda: 0.0
    for _ in range(3, 12):
        s._probe = "probe"
        s.note("probe", refused())
    assert s._backing_off(clock.now) == pytest.approx(30.0)  # capped at 60 s, jittered down to half
    s.note("x", LiveResult(LiveState("active", "", None), 0))  # type: ignore[arg-type]
    assert not s.backing_off and s._backing_off(clock.now) == 0


def test_a_refusing_gateway_gets_a_few_reads_not_a_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """40 requests in 30 s, all answered 401 (the issue): now the reads stop after the
    first refusals and wait for the back-off (here made longer than the test)."""
    import cwdash.store.refresh as refresh

    asyncio.run(_refusing(monkeypatch, refresh))


async def _refusing(monkeypatch: pytest.MonkeyPatch, refresh) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(refresh, "BACKOFF_FIRST", 3600.0)
    reads: list[str] = []

    async def reader(name: str) -> StatusRead:
        reads.append(name)
        return refused()

    s = RefreshScheduler(reader, lambda n, r: None, RefreshSettings(concurrency=2, rate=1000, round_every=0))
    s.set_names([f"i{n}" for n in range(200)])
    task = asyncio.create_task(s.run())
    while not s.backing_off:
        await asyncio.sleep(0.01)
    seen = len(reads)
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert len(reads) == seen <= REFUSALS_TO_BACK_OFF + 2  # the threshold and the reads then in flight
    s.refresh_now()  # r: try again now
    while len(reads) == seen:
        await asyncio.sleep(0.01)
    s.stop()
    await asyncio.gather(task, return_exceptions=True)


def test_a_start_waiting_for_its_slot_when_the_back_off_begins_does_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a low rate the next start waits for its slot while the last refusal comes in:
    that start must not become one more request to the gateway refusing everything."""
    import cwdash.store.refresh as refresh

    async def scenario() -> None:
        monkeypatch.setattr(refresh, "BACKOFF_FIRST", 3600.0)
        reads: list[str] = []

        async def reader(name: str) -> StatusRead:
            reads.append(name)
            return refused()

        s = RefreshScheduler(
            reader, lambda n, r: None, RefreshSettings(concurrency=2, rate=20, round_every=0)
        )
        s.set_names([f"i{n}" for n in range(50)])
        task = asyncio.create_task(s.run())
        while not s.backing_off:
            await asyncio.sleep(0.01)
        for _ in range(10):  # several of the rate's slots (1/20 s each) go by
            await asyncio.sleep(0.02)
        assert reads == [f"i{n}" for n in range(REFUSALS_TO_BACK_OFF)]
        s.refresh_now()  # r: reads start again at once
        while len(reads) == REFUSALS_TO_BACK_OFF:
            await asyncio.sleep(0.01)
        s.stop()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())


# -- the demo: every mapped state in its one list ---------------------------------------------


def test_the_demo_plans_a_vanishing_instance_and_a_fleet_without_gateway() -> None:
    behaviours = [inst.behaviour for inst in demo.plan(36)]
    assert "vanishing" in behaviours and behaviours.count("nogateway") >= 2 and "none" in behaviours


def test_the_demo_answers_503_for_its_second_fleet_and_deletes_its_vanishing_instance(tmp_path: Path) -> None:
    asyncio.run(_demo_states(tmp_path))


async def _demo_states(tmp_path: Path) -> None:
    key = generate_key()
    sealer = Sealer(parse_key(key))
    store = Store.open(tmp_path / "demo.db", create=True)
    fleet = demo.plan(36)
    demo.seed_store(store, sealer, fleet)
    no_gateway = frozenset(i.name for i in fleet if i.behaviour == "nogateway")
    model = demo.DemoReadModel(store, sealer, None, no_gateway=no_gateway)
    (name, *_) = sorted(no_gateway)
    assert await model.status(name) is GATEWAY_NOT_CONFIGURED
    copy = model.on_store(store)  # the dashboard's feed reads through a copy on its own connection
    assert isinstance(copy, demo.DemoReadModel) and copy.no_gateway == no_gateway
    (vanishing,) = [i.name for i in fleet if i.behaviour == "vanishing"]
    demo.delete_later(store.path, fleet, after=0).join(10)
    assert await model.status(vanishing) is INSTANCE_NOT_FOUND
    await model.aclose()
    store.close()
