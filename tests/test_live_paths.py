"""No id, whatever it holds, makes a request outside ``{BRIDGE_URL}/v1/integrations/<one segment>``
(issue 9): refused at import and ``set``, and again at read time for rows other tools wrote."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from cwdash.store.db import Store
from cwdash.store.document import InvalidRecord, check_integration_id
from cwdash.store.importer import ImportError_, import_text
from cwdash.store.readmodel import MappedError, ReadModel
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import SimBridge, live
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.outcome import LiveFailure, LiveState, Reason

TOKEN = "bridge-secret"
PREFIX = "/v1/integrations/"

ESCAPING = [
    ".",
    "..",
    "",
    "   ",
    " .. ",
    "a/b",
    "../v1",
    "..%2f",
    "%2e%2e",
    "%2E%2E%2Fadmin",
    "..;",
    "a\\..\\b",
    "\uff0e\uff0e",  # fullwidth "..": NFKC folds it to ".."
    "a\uff0fb",  # fullwidth "/"
    "int\n1",
    "int\x00",
    "int\u200b",  # zero-width space
    "x" * 300,
]
FINE = ["int_xyz789abc", "int 1", "a?b#c", "...", ".hidden", "инт-1", "int~1:2@3"]


def one_segment(path: str) -> bool:
    rest = path[len(PREFIX) :] if path.startswith(PREFIX) else "/"
    return bool(rest) and "/" not in rest and rest not in (".", "..")


@pytest.mark.parametrize("ident", ESCAPING)
def test_escaping_ids_are_refused_by_the_rule(ident: str) -> None:
    with pytest.raises(InvalidRecord, match="bridge_integration_id"):
        check_integration_id(ident)


@pytest.mark.parametrize("ident", FINE)
def test_ordinary_ids_pass(ident: str) -> None:
    assert check_integration_id(ident) == ident


def test_no_read_leaves_the_integrations_path(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge(lambda ident: live("paused"))

    async def go() -> list[object]:
        source = BridgeSource(sim.url, TOKEN, timeout=2.0)
        try:
            return [await source.read(LiveTarget("suporte", ident)) for ident in [*ESCAPING, *FINE]]
        finally:
            await source.aclose()

    outcomes = asyncio.run(go())
    refused, read = outcomes[: len(ESCAPING)], outcomes[len(ESCAPING) :]
    for ident, outcome in zip(ESCAPING, refused, strict=True):
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.BAD_ID, (ident, outcome)
        assert outcome.reason.hint and "--bridge-id" in outcome.reason.hint
    assert read == [LiveState("paused", "", None)] * len(FINE)
    # the gateway saw only the fine ids, each as one segment under /v1/integrations/,
    # and the bearer token went nowhere else
    assert sim.stats.total == len(FINE)
    assert all(one_segment(p) for p in sim.stats.paths), sim.stats.paths
    assert len(sim.stats.auth) == len(FINE)


def test_a_base_path_is_kept_and_nothing_escapes_it(bridge: Callable[..., SimBridge]) -> None:
    sim = bridge(lambda ident: live())

    async def go() -> list[object]:
        source = BridgeSource(sim.url + "/gw/", TOKEN, timeout=2.0)
        try:
            return [await source.read(LiveTarget("suporte", i)) for i in ("..", "ok")]
        finally:
            await source.aclose()

    bad, _ = asyncio.run(go())
    assert isinstance(bad, LiveFailure) and bad.reason is Reason.BAD_ID
    assert sim.stats.paths == ["/gw/v1/integrations/ok"]


@pytest.mark.parametrize("ident", ESCAPING)
def test_import_refuses_escaping_ids(
    store: Store, sealer: Sealer, document: Callable[..., dict], ident: str
) -> None:
    text = "\n".join(json.dumps(d) for d in (document("good"), document("evil", bridge_integration_id=ident)))
    with pytest.raises(ImportError_, match=r"line 2 \('evil'\): bridge_integration_id"):
        import_text(store, sealer, text)
    assert store.integration("evil") is None and store.integration("good") is None  # all or nothing


@pytest.mark.parametrize("ident", ["..", ".", "a/b", "%2e%2e"])
def test_set_refuses_escaping_ids(cli, store, configure, ident: str) -> None:
    configure()
    run = cli("set", "suporte", "--bridge-id", ident)
    assert run.code == 2
    assert "--bridge-id" in run.err and "bridge_integration_id" in run.err
    assert "Traceback" not in run.err
    assert cli("status", "suporte", "--json", "--local").json()["bridge_integration_id"] == "int_xyz789abc"


def test_rows_written_by_other_tools_are_refused_at_read_time(
    store: Store, sealer: Sealer, db_path: Path, bridge: Callable[..., SimBridge]
) -> None:
    sim = bridge(lambda ident: live("error", "should never be read", inbox_id=5))
    with sqlite3.connect(db_path) as conn:  # another program, bypassing cwdash's checks
        conn.execute(
            "UPDATE chatwoot_integrations SET bridge_integration_id = '..' WHERE instance_name = 'fresh'"
        )

    async def go() -> object:
        model = ReadModel(store, sealer, BridgeSource(sim.url, TOKEN, timeout=2.0))
        try:
            return await model.status("fresh")
        finally:
            await model.aclose()

    result = asyncio.run(go())
    # refused as a bad row (the same rule as import and set), so never read live
    assert isinstance(result, MappedError) and result.message == "bad row: bridge_integration_id"
    assert sim.stats.total == 0  # no request: the token never left for /v1


def test_the_live_source_refuses_an_id_that_escapes_the_path_again(bridge: Callable[..., SimBridge]) -> None:
    """Defence in depth: whatever reaches the live source, no request leaves the path."""
    sim = bridge(lambda ident: live("error", "should never be read", inbox_id=5))

    async def go() -> object:
        source = BridgeSource(sim.url, TOKEN, timeout=2.0)
        try:
            return [
                await source.read(LiveTarget("suporte", ident)) for ident in ("..", ".", "a/b", "%2e%2e", "")
            ]
        finally:
            await source.aclose()

    for outcome in asyncio.run(go()):
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.BAD_ID
    assert sim.stats.total == 0
