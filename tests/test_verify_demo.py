"""The demo's Chatwoot: every verify diagnosis on a few demo instances, the rest healthy."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cwdash.store import demo
from cwdash.store.db import Store
from cwdash.store.demochatwoot import FAULTS, DemoChatwoot
from cwdash.store.sealing import Sealer
from cwdash.store.verify.runner import Verifier

DIAGNOSIS = {
    "underscores": "underscores",
    "revoked": "token_rejected",
    "account_missing": "account_missing",
    "agent": "role_agent",
    "inbox_deleted": "inbox_deleted",
    "inbox_renamed": "inbox_renamed",
    "html": "html",
}


def test_the_demo_has_an_instance_for_each_diagnosis(db_path: Path, sealer: Sealer) -> None:
    store = Store.open(db_path, create=True)
    fleet = demo.plan(36)
    demo.seed_store(store, sealer, fleet)
    with DemoChatwoot() as world:
        faults = world.wire(store, sealer, fleet)
        assert sorted(faults.values()) == sorted(FAULTS)

        async def go() -> list:
            async with Verifier(store, sealer, budget=5, rate=1000) as verifier:
                return await verifier.verify_many(store.instance_names())

        results = dict(asyncio.run(go()))
    by_role = {inst.name: inst.behaviour for inst in fleet}
    for name, result in results.items():
        if by_role[name] == "none":
            continue
        codes = [d.code for d in getattr(result, "diagnoses", ())]
        if name in faults:
            assert codes == [DIAGNOSIS[faults[name]]], (name, faults[name], codes)
        elif by_role[name] == "badtoken":
            assert codes == ["token_unopened"]
        elif by_role[name] == "backfill":
            assert codes == ["inbox_unknown"]  # its inbox id is 0 until the demo bridge fills it
        elif by_role[name] != "vanishing":
            assert codes == [], (name, codes)
    store.close()
