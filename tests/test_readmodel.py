"""The read model: the seed's rules, once, for both the CLI and the dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from cwdash.store.config import generate_key, parse_key
from cwdash.store.db import Store
from cwdash.store.document import FIELDS
from cwdash.store.readmodel import (
    GATEWAY_NOT_CONFIGURED,
    INSTANCE_NOT_FOUND,
    NO_INTEGRATION,
    MappedError,
    ReadModel,
    StatusRead,
    merge,
)
from cwdash.store.sealing import Sealer, TokenError
from cwdash.store.simbridge import Reply, SimBridge, live
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.outcome import LiveFailure, LiveState, Reason

TOKEN = "bridge-secret"


def model_for(store: Store, sealer: Sealer, url: str | None, timeout: float = 1.0) -> ReadModel:
    source = BridgeSource(url, TOKEN, timeout=timeout) if url else None
    return ReadModel(store, sealer, source)


def status(model: ReadModel, name: str, *, live: bool = True) -> StatusRead | MappedError:
    async def go() -> StatusRead | MappedError:
        try:
            return await model.status(name, live=live)
        finally:
            await model.aclose()

    return asyncio.run(go())


def ok(result: StatusRead | MappedError) -> StatusRead:
    assert isinstance(result, StatusRead), result
    return result


def test_live_values_replace_status_and_last_error(
    store: Store, sealer: Sealer, bridge: Callable[..., SimBridge]
) -> None:
    sim = bridge({"int_xyz789abc": live("error", "chatwoot: 401 Unauthorized")})
    read = ok(status(model_for(store, sealer, sim.url), "suporte"))
    assert read.source == "live"
    assert read.failure is None
    assert read.document.status == "error"
    assert read.document.last_error == "chatwoot: 401 Unauthorized"
    assert read.document.chatwoot_inbox_id == 42  # a known inbox id is never replaced
    assert store.integration("suporte").status == "active"  # live values are not written back


def test_document_has_fourteen_fields_in_seed_order(store: Store, sealer: Sealer) -> None:
    read = ok(status(model_for(store, sealer, None), "suporte", live=False))
    doc = read.document.as_json()
    assert list(doc) == list(FIELDS)
    assert len(doc) == 14
    assert doc["chatwoot_api_token"] == "sk_live_abc123..."
    assert doc["ignore_groups"] is False and doc["start_as_pending"] is False  # flags always present


@pytest.mark.parametrize(
    ("name", "error"),
    [("ghost", INSTANCE_NOT_FOUND), ("bare", NO_INTEGRATION)],
)
def test_mapped_404s(store: Store, sealer: Sealer, name: str, error: MappedError) -> None:
    for live_read in (True, False):
        assert status(model_for(store, sealer, "http://127.0.0.1:9"), name, live=live_read) is error
    assert error.http_status == 404


def test_mapped_404s_come_before_the_gateway_check(store: Store, sealer: Sealer) -> None:
    assert status(model_for(store, sealer, None), "ghost") is INSTANCE_NOT_FOUND
    assert status(model_for(store, sealer, None), "bare") is NO_INTEGRATION


def test_gateway_not_configured_is_503_unless_local(store: Store, sealer: Sealer) -> None:
    assert status(model_for(store, sealer, None), "suporte") is GATEWAY_NOT_CONFIGURED
    assert GATEWAY_NOT_CONFIGURED.http_status == 503
    assert GATEWAY_NOT_CONFIGURED.envelope() == {
        "success": False,
        "error": {"message": "integration gateway not configured"},
    }
    read = ok(status(model_for(store, sealer, None), "suporte", live=False))
    assert read.source == "local" and read.failure is None


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(status=500), Reason.HTTP_ERROR),
        (Reply(status=404), Reason.NOT_FOUND),
        (Reply(hang=True), Reason.TIMEOUT),
        (Reply(body="nope", content_type="text/plain"), Reason.BAD_ANSWER),
    ],
    ids=lambda v: v.name if isinstance(v, Reason) else None,
)
def test_failed_live_read_falls_back_to_local_and_says_why(
    store: Store, sealer: Sealer, bridge: Callable[..., SimBridge], reply: Reply, reason: Reason
) -> None:
    sim = bridge({"int_fresh": reply})
    read = ok(status(model_for(store, sealer, sim.url, timeout=0.3), "fresh"))
    assert read.source == "local"
    assert read.failure is not None and read.failure.reason is reason
    assert read.document.status == "paused"
    assert read.document.last_error == "stale local error"
    assert read.document.chatwoot_inbox_id == 0
    assert not read.backfilled


def test_live_inbox_id_backfills_a_zero(
    store: Store, sealer: Sealer, bridge: Callable[..., SimBridge]
) -> None:
    sim = bridge({"int_fresh": live("active", "", inbox_id=77)})
    read = ok(status(model_for(store, sealer, sim.url), "fresh"))
    assert read.backfilled
    assert read.document.chatwoot_inbox_id == 77
    assert store.integration("fresh").chatwoot_inbox_id == 77
    # the chatwoot_inbox_id field name is accepted as well, and a filled id is never replaced
    sim.router = lambda ident: Reply(body={"status": "active", "chatwoot_inbox_id": 78})
    read = ok(status(model_for(store, sealer, sim.url), "fresh"))
    assert not read.backfilled
    assert read.document.chatwoot_inbox_id == 77
    assert store.integration("fresh").chatwoot_inbox_id == 77


def test_backfill_never_clobbers_a_value_set_meanwhile(
    store: Store, sealer: Sealer, db_path: Path, bridge: Callable[..., SimBridge]
) -> None:
    def answer(ident: str) -> Reply:
        # another writer sets the inbox id while the live read is in flight
        other = Store.open(db_path)
        other.conn.execute(
            "UPDATE chatwoot_integrations SET chatwoot_inbox_id = 500 WHERE instance_name = 'fresh'"
        )
        other.conn.commit()
        other.close()
        return live("active", "", inbox_id=77)

    sim = bridge(answer)
    read = ok(status(model_for(store, sealer, sim.url), "fresh"))
    assert not read.backfilled
    assert store.integration("fresh").chatwoot_inbox_id == 500


def test_backfill_failure_is_reported_not_raised(
    store: Store, sealer: Sealer, db_path: Path, bridge: Callable[..., SimBridge]
) -> None:
    sim = bridge({"int_fresh": live("active", "", inbox_id=77)})
    locker = Store.open(db_path)
    locker.conn.execute("BEGIN IMMEDIATE")
    try:
        model = model_for(store, sealer, sim.url)
        model.backfill_timeout = 0.1
        read = ok(status(model, "fresh"))
    finally:
        locker.conn.execute("ROLLBACK")
        locker.close()
    assert read.source == "live"
    assert not read.backfilled
    assert read.backfill_error and "locked" in read.backfill_error.lower()
    assert store.integration("fresh").chatwoot_inbox_id == 0


def test_token_is_only_decrypted_on_request(store: Store, bridge: Callable[..., SimBridge]) -> None:
    wrong = Sealer(parse_key(generate_key()))
    sim = bridge({"int_xyz789abc": live()})
    read = ok(status(model_for(store, wrong, sim.url), "suporte"))  # the read itself succeeds
    assert read.document.status == "active"
    assert "sk_live" not in repr(read)
    with pytest.raises(TokenError, match="suporte"):
        read.document.as_json()
    assert "chatwoot_api_token" not in read.document.as_json(include_token=False)


def test_missing_key_is_reported_when_the_token_is_opened(store: Store) -> None:
    model = ReadModel(store, None, None, key_problem="CWDASH_KEY is not set")
    read = ok(asyncio.run(model.status("suporte", live=False)))
    with pytest.raises(TokenError, match="CWDASH_KEY is not set"):
        read.document.chatwoot_api_token.open()


def test_merge_is_pure() -> None:
    from cwdash.store.document import SealedToken, StatusDocument

    doc = StatusDocument(
        "a", "active", "int_a", "https://x", 1, SealedToken("a", "", None), 0, "", "", "2026-01-01T00:00:00Z",
        False, False, False, False,
    )  # fmt: skip
    assert merge(doc, LiveState("paused", "e", 3)).document.chatwoot_inbox_id == 3
    failed = merge(doc, LiveFailure(Reason.TIMEOUT, "slow"))
    assert failed.document is doc and failed.source == "local"


def test_a_backfill_that_gave_up_is_retried_by_the_next_read(
    store: Store, sealer: Sealer, db_path: Path, bridge: Callable[..., SimBridge]
) -> None:
    sim = bridge({"int_fresh": live("active", "", inbox_id=77)})
    model = model_for(store, sealer, sim.url)
    model.backfill_timeout = 0.1

    async def go() -> tuple[StatusRead | MappedError, StatusRead | MappedError]:
        locker = Store.open(db_path)
        locker.conn.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            first = await model.status("fresh")
        finally:
            locker.conn.execute("ROLLBACK")
            locker.close()
        second = await model.status("fresh")  # the lock is gone: the same value lands now
        await model.aclose()
        return first, second

    first, second = asyncio.run(go())
    assert ok(first).backfill_error and not ok(first).backfilled
    assert ok(second).backfilled
    assert store.integration("fresh").chatwoot_inbox_id == 77
