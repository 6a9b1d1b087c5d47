"""An unexpected error in a live read (issue 9): the row keeps its local values, the screen
and the command line get a generic reason without the exception's text (it quoted the
bearer token once: ``Illegal header value b'Bearer …'``), and the log gets the traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from cwdash.store.db import Store
from cwdash.store.fleet import FleetRow
from cwdash.store.readmodel import READ_FAILED, ReadModel, ReadResult, StatusRead
from cwdash.store.refresh import RefreshScheduler, RefreshSettings
from cwdash.store.sealing import Sealer
from cwdash.store.secret import Secret
from cwdash.store.simbridge import SimBridge, live
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, Reason

BRIDGE_TOKEN = "bridge-secret"  # tests/conftest.py's, which the bridge fixture serves


class Exploding:
    """A live source with a bug whose message quotes the token."""

    async def read(self, target: object) -> LiveOutcome:
        raise ValueError(f"Illegal header value b'Bearer {BRIDGE_TOKEN}'")

    async def aclose(self) -> None:
        pass


def status(store: Store, sealer: Sealer, source: object, name: str = "fresh") -> ReadResult:
    async def go() -> ReadResult:
        model = ReadModel(store, sealer, source)  # type: ignore[arg-type]
        try:
            return await model.status(name)
        finally:
            await model.aclose()

    return asyncio.run(go())


def check_generic_fallback(result: ReadResult, store: Store, sealer: Sealer) -> None:
    local = ReadModel(store, sealer, None).local("fresh")
    assert isinstance(local, StatusRead)
    assert isinstance(result, StatusRead), result  # never a 500 mapped error
    assert result.source == "local"
    assert result.document == local.document  # every local field kept
    assert result.failure is not None and result.failure.reason is Reason.UNEXPECTED
    shown = f"{result.failure.describe()} {result.failure.hint}"
    assert BRIDGE_TOKEN not in shown and "Illegal header" not in shown
    assert "see the log" in shown


def test_a_bug_in_the_live_source_keeps_local_data_and_goes_to_the_log(
    store: Store, sealer: Sealer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="cwdash.live"):
        result = status(store, sealer, Exploding())
    check_generic_fallback(result, store, sealer)
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.name == "cwdash.live" and "fresh" in record.getMessage()
    assert (
        BRIDGE_TOKEN not in record.getMessage()
    )  # the message itself; the traceback is the handler's to redact


def test_a_token_a_header_cannot_carry_never_reaches_the_screen(
    store: Store, sealer: Sealer, bridge: Callable[..., SimBridge]
) -> None:
    """The incident itself: a newline in the token (config refuses it now; this is the
    second line of defence, for a source built some other way)."""
    sim = bridge(lambda ident: live())
    source = BridgeSource(sim.url, BRIDGE_TOKEN, timeout=2.0)
    source._token = Secret(f"{BRIDGE_TOKEN}\nX-Injected: 1")
    result = status(store, sealer, source)
    assert isinstance(result, StatusRead) and result.source == "local"
    assert isinstance(result.failure, LiveFailure)
    assert BRIDGE_TOKEN not in result.failure.describe()
    assert result.document.last_error == "stale local error"
    assert sim.stats.total == 0


def test_the_dashboard_row_keeps_its_local_values(store: Store, sealer: Sealer) -> None:
    """Through the refresh loop, as the dashboard reads: a local row with the generic reason."""
    got: list[ReadResult] = []
    model = ReadModel(store, sealer, Exploding())  # type: ignore[arg-type]

    async def go() -> None:
        done = asyncio.Event()

        def on_result(name: str, result: ReadResult) -> None:
            got.append(result)
            done.set()

        sched = RefreshScheduler(model.status, on_result, RefreshSettings(rate=1000, round_every=0))
        sched.set_names(["fresh"])
        task = asyncio.create_task(sched.run())
        await asyncio.wait_for(done.wait(), 10)
        sched.stop()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(go())
    check_generic_fallback(got[0], store, sealer)


def test_a_failed_read_in_the_refresh_loop_does_not_blank_the_row() -> None:
    """Whatever still escapes a read (a store breaking mid-read) keeps the row's local values."""
    row = FleetRow("fresh", True, "paused", "stale local error", "https://cw.example", 5, 0)
    row.apply(READ_FAILED, 1.0)
    assert row.mapped is None  # not shown as "gone" with blank fields
    assert (row.status, row.last_error, row.base_url, row.account_id) == (
        "paused",
        "stale local error",
        "https://cw.example",
        5,
    )
    assert row.failure is not None and row.failure.reason is Reason.UNEXPECTED
    assert row.needs_attention


def test_the_cli_shows_local_status_and_a_generic_reason(
    cli, store, configure, bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = bridge(lambda ident: live())
    configure(sim)
    monkeypatch.setattr(BridgeSource, "read", Exploding.read)
    local = cli("status", "fresh", "--json", "--local").json()
    run = cli("status", "fresh", "--json")
    assert run.code == 0, run.err
    assert run.json() == local
    assert "unexpected error in the live read" in run.err
    assert BRIDGE_TOKEN not in run.err + run.out and "Traceback" not in run.err
