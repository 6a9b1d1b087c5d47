"""The built-in demo: a throwaway store with a realistic fleet and a simulated gateway.

No set-up and no network beyond 127.0.0.1: the fleet covers every state the dashboard
shows (active, paused, error, no integration, a token that cannot be opened, an inbox
id the gateway backfills) and the simulated gateway answers with latency, changes
some states over time and produces every live-read failure reason at least once.

Every mapped state shows in the one list within the first minute: an instance without
integration (404 ``no chatwoot integration``), one deleted while you watch (404
``instance not found``, shown as gone: :func:`delete_later`), and a few of a second
fleet whose gateway is not configured (503 ``integration gateway not configured``:
:class:`DemoReadModel`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cwdash.store.db import Store, StoreError
from cwdash.store.document import StatusDocument
from cwdash.store.readmodel import GATEWAY_NOT_CONFIGURED, LiveResult, ReadModel, ReadResult
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import Reply, live
from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.outcome import LiveOutcome

CITIES = [
    "suporte",
    "vendas",
    "financeiro",
    "recepcao",
    "cobranca",
    "sac",
    "logistica",
    "marketing",
    "rh",
    "ouvidoria",
    "atendimento",
    "comercial",
    "posvenda",
    "agendamento",
    "delivery",
    "farmacia",
    "clinica",
    "escola",
    "imobiliaria",
    "oficina",
    "academia",
    "hotel",
    "pousada",
    "restaurante",
    "padaria",
    "petshop",
    "otica",
    "joalheria",
    "livraria",
    "floricultura",
]
HOSTS = ["https://chatwoot.example.com", "https://app.chatwoot.example.org", "https://cw.acme.example"]
ERRORS = [
    "chatwoot: 401 Unauthorized (access token revoked?)",
    "chatwoot: inbox 17 not found",
    "whatsapp session disconnected; scan the QR code again",
    "chatwoot: 422 Unprocessable Entity: contact phone number is invalid",
]
# Each failure reason of the live read appears on at least one demo instance.
FAULTS: dict[str, Reply] = {
    "timeout": Reply(hang=True),
    "unreachable": Reply(reset=True),
    "unauthorized": Reply(status=401, body={"error": "invalid service token"}),
    "not_found": Reply(status=404, body={"error": "integration not found"}),
    "http_error": Reply(status=502, body={"error": "upstream chatwoot timeout"}),
    "bad_answer": Reply(body="<html><body>maintenance</body></html>", content_type="text/html"),
}


@dataclass(frozen=True)
class DemoInstance:
    name: str
    bridge_id: str
    local_status: str
    behaviour: (
        str  # "healthy", "flapping", "backfill", "tls", "vanishing", "nogateway", a FAULTS key, or "none"
    )


def demo_names(count: int) -> list[str]:
    names = []
    for i in range(count):
        base = CITIES[i % len(CITIES)]
        names.append(base if i < len(CITIES) else f"{base}-{i // len(CITIES) + 1}")
    return names


def plan(count: int, seed: int = 7) -> list[DemoInstance]:
    """Decide each demo instance's role; the first ones cover every state."""
    rng = random.Random(seed)
    special = [
        "healthy",
        "backfill",
        "flapping",
        "none",
        "badtoken",
        *FAULTS,
        "tls",
        "paused",
        "error",
        "none",
        "vanishing",
        "nogateway",
        "nogateway",
    ]
    out = []
    for i, name in enumerate(demo_names(count)):
        if i < len(special):
            behaviour = special[i]
        else:
            behaviour = rng.choices(["healthy", "paused", "error", "flapping", "none"], [70, 8, 8, 8, 6])[0]
        status = {"paused": "paused", "error": "error"}.get(behaviour, "active")
        out.append(DemoInstance(name, f"int_{rng.getrandbits(40):010x}", status, behaviour))
    return out


def seed_store(store: Store, sealer: Sealer, instances: list[DemoInstance], *, seed: int = 7) -> None:
    """Fill ``store`` with the demo fleet (tokens sealed as usual)."""
    rng = random.Random(seed)
    records: list[tuple[str, dict[str, object] | None]] = []
    wrong = Sealer(bytes(32))  # a token sealed under another key: "cannot be opened"
    for i, inst in enumerate(instances):
        if inst.behaviour == "none":
            records.append((inst.name, None))
            continue
        token = f"demo_{rng.getrandbits(64):016x}"
        sealed = (wrong if inst.behaviour == "badtoken" else sealer).seal(inst.name, token)
        created = time.gmtime(time.time() - rng.randint(3600, 400 * 86400))
        records.append(
            (
                inst.name,
                {
                    "instance_name": inst.name,
                    "status": inst.local_status,
                    "bridge_integration_id": inst.bridge_id,
                    "chatwoot_base_url": HOSTS[i % len(HOSTS)],
                    "chatwoot_account_id": 1 + i % 9,
                    "chatwoot_api_token": sealed,
                    "chatwoot_inbox_id": 0 if inst.behaviour == "backfill" else 10 + i,
                    "chatwoot_inbox_name": f"WhatsApp - {inst.name.title()}",
                    "last_error": rng.choice(ERRORS) if inst.local_status == "error" else "",
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", created),
                    "sign_messages": rng.random() < 0.6,
                    "ignore_groups": rng.random() < 0.5,
                    "start_as_pending": rng.random() < 0.3,
                    "reopen_resolved": rng.random() < 0.7,
                },
            )
        )
    store.import_records(records)


class DemoRouter:
    """The simulated gateway's behaviour: latency, flapping states, every failure reason."""

    def __init__(self, instances: list[DemoInstance], *, latency: float = 0.15, seed: int = 7) -> None:
        self.by_id = {inst.bridge_id: inst for inst in instances}
        self.latency = latency
        self.rng = random.Random(seed)
        self.started = time.monotonic()
        self.index = {inst.bridge_id: i for i, inst in enumerate(instances)}

    def __call__(self, ident: str) -> Reply:
        inst = self.by_id.get(ident)
        if inst is None or inst.behaviour == "none":
            return Reply(status=404, body={"error": "integration not found"})
        if inst.behaviour == "vanishing" and time.monotonic() - self.started >= VANISH_AFTER:
            return Reply(status=404, body={"error": "instance not found"})
        delay = self.latency * (0.5 + self.rng.random())
        if inst.behaviour in FAULTS:
            reply = FAULTS[inst.behaviour]
            return Reply(**{**reply.__dict__, "delay": delay})
        phase = int((time.monotonic() - self.started) // 20)
        if inst.behaviour == "flapping" and (phase + self.index[ident]) % 2:
            reply = live("error", "chatwoot: 503 Service Unavailable (retrying in 30s)")
        elif inst.behaviour == "backfill":
            reply = live("active", "", inbox_id=900 + self.index[ident])
        elif inst.local_status == "error":
            reply = live("error", ERRORS[self.index[ident] % len(ERRORS)])
        else:
            reply = live(inst.local_status)
        reply.delay = delay
        return reply


VANISH_AFTER = 15.0  # seconds into the demo: the "vanishing" instance is deleted
log = logging.getLogger("cwdash.store")


def delete_later(path: Path, instances: list[DemoInstance], after: float = VANISH_AFTER) -> threading.Timer:
    """Delete the "vanishing" instances from the store ``after`` seconds from now, as
    another process would: the dashboard shows them gone (404 instance not found)."""

    def delete() -> None:
        try:
            store = Store.open(path)
            try:
                for inst in instances:
                    if inst.behaviour == "vanishing":
                        store.delete_integration(inst.name)
                        with store.write():
                            store.conn.execute("DELETE FROM instances WHERE name = ?", (inst.name,))
            finally:
                store.close()
        except StoreError as exc:  # a demo nicety: never worth a crash
            log.warning("the demo could not delete its vanishing instance: %s", exc)

    timer = threading.Timer(after, delete)
    timer.daemon = True
    timer.start()
    return timer


class DemoReadModel(ReadModel):
    """The demo's read model: the instances of its second fleet ("nogateway") have no
    gateway configured, so their reads answer 503 like a read model without one."""

    def __init__(self, *args: object, no_gateway: frozenset[str] = frozenset(), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.no_gateway = no_gateway

    async def status(self, name: str, *, live: bool = True) -> ReadResult:
        if live and name in self.no_gateway:
            document = self.document(name)
            return document if not isinstance(document, StatusDocument) else GATEWAY_NOT_CONFIGURED
        return await super().status(name, live=live)

    async def read_live(self, target: LiveTarget, local_inbox_id: int) -> LiveResult:
        if target.instance_name in self.no_gateway:  # what status() answers, as the full read would
            return await self.status(target.instance_name)  # type: ignore[return-value]
        return await super().read_live(target, local_inbox_id)


class RoutedSource(LiveSource):
    """A live source that sends some integration ids to another source (the demo's TLS gateway)."""

    def __init__(self, default: LiveSource, routes: dict[str, LiveSource]) -> None:
        self.default = default
        self.routes = routes

    async def read(self, target: LiveTarget) -> LiveOutcome:
        return await self.routes.get(target.integration_id, self.default).read(target)

    async def aclose(self) -> None:
        for source in {id(s): s for s in [self.default, *self.routes.values()]}.values():
            await source.aclose()
