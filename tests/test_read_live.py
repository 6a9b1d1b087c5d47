"""The dashboard's background read (ReadModel.read_live) against a real stand-in bridge:
what the listing knows is enough, the store is touched only to write a backfill, on one
long-lived connection, and a fleet row ends up as a full read would leave it."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable

import pytest

from cwdash.store.db import Store
from cwdash.store.fleet import Fleet, background_read
from cwdash.store.fleetrow import FleetRow, rows_from_listing
from cwdash.store.readmodel import NO_INTEGRATION, UNEXPECTED, LiveResult, ReadModel, StatusRead
from cwdash.store.refresh import RefreshScheduler, RefreshSettings
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import Reply, live
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.outcome import LiveState, Reason

TOKEN = "bridge-secret"


def model_for(store: Store, sealer: Sealer, url: str, **kwargs: float) -> ReadModel:
    return ReadModel(store, sealer, BridgeSource(url, TOKEN, timeout=2.0), **kwargs)


def run(model: ReadModel, *reads: tuple[str, str, int]) -> list[LiveResult]:
    async def go() -> list[LiveResult]:
        try:
            return [await model.read_live(LiveTarget(n, i), inbox) for n, i, inbox in reads]
        finally:
            await model.aclose()

    return asyncio.run(go())


def statements(store: Store) -> list[str]:
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    return seen


def test_a_live_read_never_touches_the_store(store: Store, sealer: Sealer, bridge) -> None:
    sim = bridge({"int_xyz789abc": live("error", "chatwoot: 401", inbox_id=42)})
    model = model_for(store, sealer, sim.url)
    seen = statements(store)
    (result,) = run(model, ("suporte", "int_xyz789abc", 42))
    assert result == LiveResult(LiveState("error", "chatwoot: 401", 42), 42)
    assert result.source == "live" and result.failure is None
    assert seen == []
    assert sim.stats.paths == ["/v1/integrations/int_xyz789abc"]
    assert model.backfills._thread is None  # nothing to write: no writer thread either


def test_a_failed_read_keeps_the_local_inbox_and_says_why(store: Store, sealer: Sealer, bridge) -> None:
    sim = bridge({})
    (result,) = run(model_for(store, sealer, sim.url), ("fresh", "int_fresh", 0))
    assert result.source == "local" and result.inbox_id == 0
    assert result.failure is not None and result.failure.reason is Reason.NOT_FOUND
    assert result.failure.describe() == "bridge does not know the integration: HTTP 404"


def test_backfills_go_through_one_long_lived_connection(
    store: Store, sealer: Sealer, bridge, document: Callable[..., dict]
) -> None:
    import json

    from cwdash.store.importer import import_text

    import_text(store, sealer, json.dumps([document("fresh2", chatwoot_inbox_id=0)]))
    sim = bridge(lambda ident: live("active", "", inbox_id=77))
    model = model_for(store, sealer, sim.url)
    opened: list[object] = []
    real_open = Store.open

    def counting_open(*args: object, **kwargs: object) -> Store:
        opened.append(threading.current_thread().name)
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    seen = statements(store)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Store, "open", staticmethod(counting_open))
        first, second, again = run(
            model, ("fresh", "int_fresh", 0), ("fresh2", "int_fresh2", 0), ("fresh", "int_fresh", 0)
        )
    assert (first.inbox_id, first.backfilled, first.backfill_error) == (77, True, None)
    assert (second.inbox_id, second.backfilled) == (77, True)
    assert (again.inbox_id, again.backfilled, again.backfill_error) == (77, False, None)  # already filled
    assert len(opened) == 1 and opened[0].startswith("cwdash-backfill")
    assert seen == []  # the reader's connection was never used
    assert store.integration("fresh").chatwoot_inbox_id == 77
    assert store.integration("fresh2").chatwoot_inbox_id == 77
    assert model.backfills._store is None  # closed with the model


def test_a_backfill_that_cannot_be_saved_is_said_and_retried_on_a_new_connection(
    store: Store, sealer: Sealer, bridge
) -> None:
    sim = bridge({"int_fresh": live("active", "", inbox_id=9)})
    model = model_for(store, sealer, sim.url, backfill_timeout=0.05)
    blocker = sqlite3.connect(store.path)

    async def go() -> tuple[LiveResult, LiveResult]:
        try:
            blocker.execute("BEGIN IMMEDIATE")
            locked = await model.read_live(LiveTarget("fresh", "int_fresh"), 0)
            blocker.execute("ROLLBACK")
            return locked, await model.read_live(LiveTarget("fresh", "int_fresh"), 0)
        finally:
            await model.aclose()

    locked, saved = asyncio.run(go())
    blocker.close()
    assert locked.source == "live" and locked.inbox_id == 9 and not locked.backfilled
    assert locked.backfill_error is not None and "locked" in locked.backfill_error
    assert saved.backfilled and saved.backfill_error is None
    assert store.integration("fresh").chatwoot_inbox_id == 9


def test_a_bug_in_the_source_is_a_generic_failure_and_a_logged_traceback(
    store: Store, sealer: Sealer, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(BridgeSource):
        async def read(self, target: LiveTarget) -> LiveState:  # type: ignore[override]
            raise ValueError(f"Illegal header value b'Bearer {TOKEN}'")

    model = ReadModel(store, sealer, Broken("http://127.0.0.1:9", TOKEN, timeout=1))
    with caplog.at_level(logging.ERROR, logger="cwdash.live"):
        (result,) = run(model, ("suporte", "int_xyz789abc", 42))
    assert result == LiveResult(UNEXPECTED, 42)
    assert TOKEN not in result.failure.describe()  # type: ignore[union-attr]
    assert "suporte" in caplog.text


@pytest.mark.parametrize(
    ("name", "reply"),
    [
        ("suporte", live("error", "chatwoot: 401", inbox_id=42)),
        ("fresh", live("active", "", inbox_id=31)),
        ("fresh", live("paused", "")),
        ("fresh", Reply(status=404, body={})),
        ("suporte", Reply(status=500, body={})),
        ("suporte", Reply(body="<html>", content_type="text/html")),
    ],
)
def test_a_row_ends_as_a_full_read_would_leave_it(
    store: Store, sealer: Sealer, bridge, name: str, reply: Reply
) -> None:
    sim = bridge(lambda ident: reply)
    by_listing = {row.name: row for row in rows_from_listing(store.iter_list())}
    full = {row.name: row for row in rows_from_listing(store.iter_list())}
    row, twin = by_listing[name], full[name]
    assert row.live_readable

    async def go() -> tuple[object, object]:
        model = model_for(store, sealer, sim.url)
        try:
            fast = await model.read_live(row.live_target(), row.inbox_id)
        finally:
            await model.aclose()
        with store.write():  # the same local row again for the full read
            store.conn.execute(
                "UPDATE chatwoot_integrations SET chatwoot_inbox_id = 0 WHERE instance_name = 'fresh'"
            )
        model = model_for(store, sealer, sim.url)
        try:
            slow = await model.status(name)
        finally:
            await model.aclose()
        return fast, slow

    fast, slow = asyncio.run(go())
    row.apply(fast, 1.0)  # type: ignore[arg-type]
    twin.apply(slow, 1.0)  # type: ignore[arg-type]
    assert (fast.backfilled, fast.backfill_error) == (slow.backfilled, slow.backfill_error)  # type: ignore[union-attr]

    def shown(r: FleetRow) -> tuple[object, ...]:
        return (
            r.status,
            r.last_error,
            r.inbox_id,
            r.failure,
            r.is_live,
            r.needs_attention,
            r.live_at,
            r.mapped,
        )

    assert shown(row) == shown(twin)


def test_fleet_rows_keep_the_integration_id_of_the_listing(store: Store) -> None:
    fleet = Fleet(store.list_rows())
    assert fleet.rows["suporte"].live_target() == LiveTarget("suporte", "int_xyz789abc")
    assert fleet.rows["suporte"].live_readable
    assert not fleet.rows["bare"].live_readable  # no integration: read by name, from the store
    streamed = {row.name: row.integration_id for row in rows_from_listing(store.iter_list())}
    assert streamed == {name: row.integration_id for name, row in fleet.rows.items()}
    # a new integration id from a fresh listing is a local change, taken in place
    changed = FleetRow.from_list_row(store.list_rows()[-1])
    changed.integration_id = "int_new"
    fleet.replace_local([changed] + [r for r in store.list_rows() if r.name != changed.name])
    assert fleet.rows[changed.name].integration_id == "int_new"


def test_the_scheduler_reads_targets_from_the_fleet(store: Store, sealer: Sealer, bridge) -> None:
    sim = bridge(lambda ident: live("paused", "", inbox_id=5))
    fleet = Fleet(store.list_rows())
    got: dict[str, object] = {}

    async def go() -> None:
        model = model_for(store, sealer, sim.url)

        async def reader(name: str) -> object:
            return await background_read(model, fleet, name, whole=name == "suporte")

        done = asyncio.Event()

        def on_result(name: str, result: object) -> None:
            got[name] = result
            fleet.rows[name].apply(result, 1.0)  # type: ignore[arg-type]
            if len(got) == len(fleet.rows):
                done.set()

        scheduler = RefreshScheduler(reader, on_result, RefreshSettings(rate=1000, round_every=0))  # type: ignore[arg-type]
        scheduler.set_names(list(fleet.rows))
        task = asyncio.create_task(scheduler.run())
        try:
            await asyncio.wait_for(done.wait(), 10)
        finally:
            scheduler.stop()
            await asyncio.gather(task, return_exceptions=True)
            await model.aclose()

    asyncio.run(go())
    assert isinstance(got["fresh"], LiveResult)
    assert isinstance(got["suporte"], StatusRead)  # "selected": the whole document, for the detail
    assert got["bare"] is NO_INTEGRATION  # no integration: the full read by name, from the store
    assert fleet.rows["fresh"].status == "paused" and fleet.rows["fresh"].inbox_id == 5
    assert store.integration("fresh").chatwoot_inbox_id == 5
    # (a round may start again before the scheduler stops: each path at least once, no other)
    assert sorted(set(sim.stats.paths)) == ["/v1/integrations/int_fresh", "/v1/integrations/int_xyz789abc"]
