"""The demo's second site: a fleet read through the simulated RyzeAPI server.

``cwdash demo`` shows two sites in one dashboard (the ``--all-sites`` machinery): the
demo fleet read through the simulated bridge (:mod:`cwdash.store.demo`), and this one, a
few hundred instances behind :class:`~cwdash.store.simryze.SimRyze` on 127.0.0.1 with its
rate budget in the header, WhatsApp numbers logged out or disconnected, and statuses
and connections changing as you watch.
"""

from __future__ import annotations

import random

from cwdash.store.db import Store
from cwdash.store.sealing import Sealer
from cwdash.store.simryze import SimInstance, SimRyze, document
from cwdash.store.status import CONNECTED, CONNECTING, DISCONNECTED, LOGGEDOUT

BRIDGE_SITE, RYZE_SITE = "bridge", "ryzeapi"
RYZE_TOKEN = "demo-ryzeapi-token"
RYZE_INSTANCES = 240
RYZE_LIMIT = 300  # requests a minute: a round of the demo fleet in about a minute, the budget visible
EVOLVE_EVERY = 4.0  # seconds between a few instances changing status and connection
REGIONS = ("eu", "us", "br", "mx", "in", "za")


def ryze_fleet(count: int = RYZE_INSTANCES, seed: int = 5) -> list[SimInstance]:
    """``count`` instances with integrations (one in twelve without), some numbers offline."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        name = f"{REGIONS[i % len(REGIONS)]}-loja-{i // len(REGIONS) + 1:03d}"
        connection = rng.choices((CONNECTED, CONNECTING, DISCONNECTED, LOGGEDOUT), (80, 4, 8, 8))[0]
        integration = None if i % 12 == 11 else document(name, i)
        if integration is not None and rng.random() < 0.08:
            integration.update(status="error", last_error="chatwoot answered 401")
        out.append(SimInstance(name, connection, integration))
    return out


def seed_ryze_store(store: Store, sealer: Sealer, instances: list[SimInstance]) -> None:
    """The site's store as a ``cwdash sync`` would have left it (tokens sealed)."""
    records: list[tuple[str, dict[str, object] | None]] = []
    for inst in instances:
        if inst.integration is None:
            records.append((inst.name, None))
            continue
        row = dict(inst.integration)
        row["chatwoot_api_token"] = sealer.seal(inst.name, str(row["chatwoot_api_token"]))
        records.append((inst.name, row))
    store.import_records(records)


def ryze_server(instances: list[SimInstance]) -> SimRyze:
    """The simulated RyzeAPI server of the demo (not started)."""
    return SimRyze(instances, token=RYZE_TOKEN, limit=RYZE_LIMIT, evolve_every=EVOLVE_EVERY, version="v2")
