"""Several sites for the ``--all-sites`` dashboard tests: each a store on disk holding the
fixed fleet (dashkit.FLEET) sealed under a key of its own, read through an in-memory live
source whose answers a test may change while the dashboard runs (``answers[site]``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dashkit import BRIDGE_TOKEN, CREATED, FLEET, QUICK, ROUTES, TOKENS
from memsource import MemorySource

from cwdash.store.config import Config, generate_key, parse_key
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel
from cwdash.store.refresh import RefreshSettings
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import Reply
from cwdash.tui.app import CwdashApp
from cwdash.tui.sites import SiteSpec


def same_token(site: str, name: str) -> str:
    return TOKENS[name]


def seed_site(path: Path, site: str, key: str, token_for: Callable[[str, str], str] = same_token) -> None:
    """The fixed fleet in a store of its own, every token sealed under ``key``."""
    store = Store.open(path, create=True)
    sealer = Sealer(parse_key(key))
    for name, values in FLEET:
        store.add_instance(name, created_at=CREATED)
        if values is not None:
            store.upsert_integration(
                {**values, "chatwoot_api_token": sealer.seal(name, token_for(site, name))}
            )
    store.close()


class Sites:
    """Each test's sites; ``token_for(site, name)`` is the plaintext token sealed in a site."""

    def __init__(
        self, tmp_path: Path, settings: RefreshSettings, token_for: Callable[[str, str], str] = same_token
    ) -> None:
        self.tmp = tmp_path
        self.settings = settings
        self.token_for = token_for
        self.stores: list[Store] = []
        self.paths: dict[str, Path] = {}
        self.answers: dict[str, dict[str, Reply]] = {}

    def site(self, site: str, routes: dict[str, Reply] = ROUTES, *, token: str = BRIDGE_TOKEN) -> SiteSpec:
        key = generate_key()
        path = self.paths[site] = self.tmp / f"{site}.db"
        seed_site(path, site, key, self.token_for)
        config = Config(
            db_path=path,
            key_text=key,
            bridge_url="http://bridge.memory.test",
            bridge_token=BRIDGE_TOKEN,
            site=site,
        )
        store = Store.open(path)
        self.stores.append(store)
        model = ReadModel.from_config(config, store)
        answers = self.answers[site] = dict(routes)
        model.live = MemorySource(answers, token=token, sent_token=BRIDGE_TOKEN)
        return SiteSpec(site, config, store, model)

    def app(self, *specs: SiteSpec) -> CwdashApp:
        first = next(s for s in specs if s.model is not None)
        assert first.config is not None and first.store is not None and first.model is not None
        return CwdashApp(
            first.config,
            first.store,
            first.model,
            label="all sites",
            sites=list(specs),
            settings=self.settings,
            timing=QUICK,
            depth="truecolor",
        )

    def audit(self, site: str) -> list[tuple[str, str]]:
        store = Store.open(self.paths[site])
        try:
            return [(name, action) for _, name, _, action in store.audit()]
        finally:
            store.close()

    def close(self) -> None:
        for store in self.stores:
            store.close()
