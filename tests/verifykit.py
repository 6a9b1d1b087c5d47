"""The Chatwoot side of the verify tests: the simulated Chatwoot, the underscore-dropping
proxy and the web page server on 127.0.0.1, and a store with one instance per fault."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from storekit import SEED_DOCUMENT

from cwdash.store.db import Store
from cwdash.store.importer import import_text
from cwdash.store.sealing import Sealer
from cwdash.store.simchatwoot import HtmlServer, SimChatwoot, UnderscoreProxy

ACCOUNT = 5
INBOX = 42
INBOX_NAME = "WhatsApp - Orion"


def token_of(name: str) -> str:
    return f"cw-secret-{name}-tok"


@dataclass
class World:
    chatwoot: SimChatwoot
    proxy: UnderscoreProxy
    html: HtmlServer

    def stop(self) -> None:
        for server in (self.proxy, self.html, self.chatwoot):
            server.stop()


# instance name -> (where its base URL points, how Chatwoot is set up for its token)
CASES = {
    "healthy": "ok",
    "renamed": "renamed",
    "proxied": "underscores",
    "revoked": "revoked",
    "elsewhere": "account_missing",
    "agent": "agent",
    "deleted": "inbox_deleted",
    "webpage": "html",
    "closed": "refused",
}


def doc(name: str, base_url: str, **changes: object) -> dict[str, object]:
    """The seed's document for instance ``name``, its Chatwoot at ``base_url`` with its own token."""
    return {
        **SEED_DOCUMENT,
        "instance_name": name,
        "bridge_integration_id": f"int_{name}",
        "chatwoot_base_url": base_url,
        "chatwoot_account_id": ACCOUNT,
        "chatwoot_api_token": token_of(name),
        "chatwoot_inbox_id": INBOX,
        "chatwoot_inbox_name": INBOX_NAME,
        **changes,
    }


def setup_case(world: World, name: str, case: str) -> dict[str, object]:
    """Set Chatwoot up for ``case`` and give the instance's document. Every case shares
    account 5 and its inbox 42 (named as the documents say); inbox 44 was renamed,
    inbox 43 never existed (deleted)."""
    cw = world.chatwoot
    cw.add_inbox(ACCOUNT, INBOX, INBOX_NAME)
    cw.add_inbox(ACCOUNT, INBOX + 2, INBOX_NAME + " (renamed)")
    roles = {ACCOUNT: "agent" if case == "agent" else "administrator"}
    if case == "account_missing":
        roles = {ACCOUNT + 1: "administrator"}
    if case != "revoked":
        cw.add_token(token_of(name), roles)
    url = {"underscores": world.proxy.url, "html": world.html.url, "refused": "http://127.0.0.1:9"}.get(
        case, cw.url
    )
    inbox = {"inbox_deleted": INBOX + 1, "renamed": INBOX + 2}.get(case, INBOX)
    return doc(name, url, chatwoot_inbox_id=inbox)


@pytest.fixture
def world() -> Iterator[World]:
    chatwoot = SimChatwoot().start()
    w = World(chatwoot, UnderscoreProxy(("127.0.0.1", chatwoot.port)).start(), HtmlServer().start())
    yield w
    w.stop()


@pytest.fixture
def fleet(world: World, db_path: Path, sealer: Sealer) -> Iterator[Store]:
    """A store with one instance per case of :data:`CASES`, and one without integration."""
    records = [setup_case(world, name, case) for name, case in CASES.items()]
    records.append({"instance_name": "bare"})
    store = Store.open(db_path, create=True)
    import_text(store, sealer, json.dumps(records))
    yield store
    store.close()


@pytest.fixture
def add_instance(db_path: Path, sealer: Sealer) -> Callable[..., None]:
    """Add one more instance to the store (its token sealed)."""

    def add(document: dict[str, object]) -> None:
        store = Store.open(db_path, create=True)
        try:
            import_text(store, sealer, json.dumps([document]))
        finally:
            store.close()

    return add
