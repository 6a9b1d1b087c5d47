"""Verify's safety: one at a time per instance, a bounded fleet run, the token nowhere but the header."""
# ruff: noqa: F811  (the fixtures of verifykit are imported by name and taken as arguments)

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from verifykit import CASES, World, doc, fleet, token_of, world  # noqa: F401

from cwdash.store.db import Store
from cwdash.store.readmodel import MappedError
from cwdash.store.sealing import Sealer
from cwdash.store.simchatwoot import SimChatwoot
from cwdash.store.verify.result import VerifyResult
from cwdash.store.verify.runner import IN_FLIGHT, Pacer, Verifier


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_a_second_verify_of_the_same_instance_is_refused_while_one_runs(
    fleet: Store,
    sealer: Sealer,
) -> None:
    key = (str(fleet.path), "healthy")
    assert IN_FLIGHT.claim(key)  # one is running (another thread of the dashboard)
    try:

        async def go() -> VerifyResult | MappedError:
            async with Verifier(fleet, sealer, budget=2) as verifier:
                return await verifier.verify("healthy")

        result = run(go())
    finally:
        IN_FLIGHT.release(key)
    assert isinstance(result, VerifyResult)
    assert [d.code for d in result.diagnoses] == ["busy"] and result.exit_code == 3
    assert "already running" in result.summary
    assert fleet.audit() == []  # refused before the token was opened


def test_two_at_once_on_a_hung_chatwoot_one_runs_one_is_refused(db_path: Path, sealer: Sealer) -> None:
    from cwdash.store.importer import import_text

    with SimChatwoot(hang=True) as hung:
        store = Store.open(db_path, create=True)
        import json

        import_text(store, sealer, json.dumps([doc("slow", hung.url)]))

        async def go() -> list[VerifyResult | MappedError]:
            async with Verifier(store, sealer, budget=0.3) as verifier:
                return list(await asyncio.gather(verifier.verify("slow"), verifier.verify("slow")))

        results = run(go())
    codes = sorted(d.code for r in results if isinstance(r, VerifyResult) for d in r.diagnoses)
    assert codes == ["busy", "timeout"]
    assert not IN_FLIGHT.running((str(store.path), "slow"))  # released after the run
    store.close()


def test_a_fleet_runs_within_its_concurrency(fleet: Store, sealer: Sealer, monkeypatch) -> None:
    state = {"now": 0, "max": 0}
    original = Verifier.verify

    async def counted(self: Verifier, name: str) -> VerifyResult | MappedError:
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        try:
            await asyncio.sleep(0.01)
            return await original(self, name)
        finally:
            state["now"] -= 1

    monkeypatch.setattr(Verifier, "verify", counted)

    async def go() -> list:
        async with Verifier(fleet, sealer, budget=2, concurrency=2, rate=1000) as verifier:
            return await verifier.verify_many([*CASES, "healthy"])

    results = run(go())
    assert [name for name, _ in results] == list(CASES)  # each once, in the order asked
    assert state["max"] == 2


def test_the_pacer_spaces_starts_by_its_rate(monkeypatch) -> None:
    """No clock is read by the test: the pacer's requested sleeps are recorded."""
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def record(delay: float) -> None:
        slept.append(round(delay, 3))
        await real_sleep(0)

    async def go() -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "time", lambda: 100.0)  # a frozen clock
        monkeypatch.setattr(asyncio, "sleep", record)
        pacer = Pacer(5.0)
        for _ in range(4):
            await pacer.wait()

    run(go())
    assert slept == [0.2, 0.4, 0.6]  # the first starts at once, then one every 1/5 s


def test_the_token_is_in_no_result_repr_or_log(
    fleet: Store,
    sealer: Sealer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    async def go() -> list:
        async with Verifier(fleet, sealer, budget=2) as verifier:
            results = await verifier.verify_many(CASES)
            return [*results, repr(verifier), repr(vars(verifier))]

    everything = repr(run(go()))
    for _name, result in [r for r in run(go()) if isinstance(r, tuple)]:
        everything += repr(result.as_json()) + "\n".join(result.text_lines())
    everything += caplog.text
    for name in CASES:
        assert token_of(name) not in everything


def test_verify_from_the_command_line_logs_no_token(cli, fleet: Store, configure, tmp_path: Path) -> None:
    log = tmp_path / "cwdash.log"
    configure(CWDASH_LOG_FILE=str(log))
    out = ""
    for name in CASES:
        r = cli("-v", "verify", name)
        out += r.out + r.err
    r = cli("verify", "--all", "--json")
    out += r.out + r.err + (log.read_text() if log.exists() else "")
    for name in CASES:
        assert token_of(name) not in out
