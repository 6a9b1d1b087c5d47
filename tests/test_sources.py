"""Live sources behind one interface: the base class, the wording of reasons, the factory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cwdash.store.config import load_config
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel, StatusRead
from cwdash.store.sealing import Sealer
from cwdash.store.sources import factory
from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.outcome import (
    BRIDGE_WORDING,
    LiveFailure,
    LiveOutcome,
    LiveState,
    Reason,
    Wording,
)

# The texts users read before sources were pluggable: the bridge's must not change.
BRIDGE_TITLES = {
    Reason.TIMEOUT: "bridge timed out",
    Reason.UNREACHABLE: "bridge unreachable",
    Reason.TLS: "TLS failure",
    Reason.UNAUTHORIZED: "bridge rejected BRIDGE_TOKEN",
    Reason.NOT_FOUND: "bridge does not know the integration",
    Reason.HTTP_ERROR: "bridge error",
    Reason.BAD_ANSWER: "bad answer from bridge",
    Reason.BAD_ID: "integration id not usable",
    Reason.PROXY: "proxy refused",
    Reason.PROXY_AUTH: "proxy needs authentication",
    Reason.UNEXPECTED: "unexpected error in the live read",
    Reason.RATE_LIMITED: "bridge rate limit reached",
}
BRIDGE_HINTS = {
    Reason.TIMEOUT: "the bridge is slow or hung; check its load and logs",
    Reason.UNREACHABLE: "check BRIDGE_URL and that the bridge service is running",
    Reason.TLS: "the bridge's certificate is not trusted here: trust its CA with CWDASH_CA_FILE=PATH",
    Reason.UNAUTHORIZED: "BRIDGE_TOKEN is wrong or expired; copy it from RyzeAPI's server .env",
    Reason.NOT_FOUND: "the bridge lost this integration; re-run `set` for this instance",
    Reason.HTTP_ERROR: "the bridge failed this request; check the bridge's logs",
    Reason.BAD_ANSWER: "the bridge answered something that is not an integration state",
    Reason.BAD_ID: "the row's bridge_integration_id is not one URL path segment; "
    "set the right one with `cwdash set NAME --bridge-id ID`",
    Reason.PROXY: "the proxy (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is down or refused the bridge; "
    "check the proxy, or list the bridge's host in NO_PROXY to go direct",
    Reason.PROXY_AUTH: "the proxy wants a user and password: put them in the proxy's URL "
    "(HTTPS_PROXY=http://USER:PASSWORD@proxy:port), or ask for the bridge's host in NO_PROXY",
    Reason.UNEXPECTED: "local values shown; the log has the details",
    Reason.RATE_LIMITED: "the requests a minute of BRIDGE_TOKEN are used up (by cwdash and the token's "
    "other users); reads resume after the reset",
}

OTHER = Wording(
    name="RyzeAPI",
    url="RYZEAPI_URL",
    credential="RYZEAPI_TOKEN",
    credential_hint="RYZEAPI_TOKEN is wrong or expired",
    target="instance name",
    target_hint="the instance name cannot be read by RyzeAPI",
)


def test_the_bridge_texts_read_exactly_as_before() -> None:
    for reason in Reason:
        failure = LiveFailure(reason, "detail")
        assert failure.title == reason.title == BRIDGE_TITLES[reason]
        assert failure.hint == reason.hint == BRIDGE_HINTS[reason]
        assert failure.describe() == f"{BRIDGE_TITLES[reason]}: detail"
    assert BridgeSource.wording is BRIDGE_WORDING
    assert BridgeSource("http://127.0.0.1:9", "t", timeout=1).name == "bridge"


def test_another_source_is_named_in_its_reasons() -> None:
    for reason in Reason:
        failure = LiveFailure(reason, "x", OTHER)
        assert "bridge" not in (failure.title + failure.hint).lower()
    assert LiveFailure(Reason.TIMEOUT, "x", OTHER).describe() == "RyzeAPI timed out: x"
    assert LiveFailure(Reason.UNAUTHORIZED, "x", OTHER).title == "RyzeAPI rejected RYZEAPI_TOKEN"
    assert LiveFailure(Reason.UNREACHABLE, "x", OTHER).hint == (
        "check RYZEAPI_URL and that the RyzeAPI service is running"
    )


def test_a_source_must_implement_read() -> None:
    class Nothing(LiveSource):
        pass

    with pytest.raises(TypeError):
        Nothing()  # type: ignore[abstract]


class ByName(LiveSource):
    """A source keyed by instance name, as RyzeAPI's own API will be."""

    wording = OTHER

    def __init__(self, states: dict[str, LiveOutcome]) -> None:
        self.states = states
        self.seen: list[LiveTarget] = []
        self.closed = False

    async def read(self, target: LiveTarget) -> LiveOutcome:
        self.seen.append(target)
        return self.states.get(target.instance_name, LiveFailure(Reason.NOT_FOUND, "HTTP 404", self.wording))

    async def aclose(self) -> None:
        self.closed = True


def test_the_read_model_reads_any_source_with_what_the_listing_knows(store: Store, sealer: Sealer) -> None:
    source = ByName({"suporte": LiveState("paused", "", None)})
    model = ReadModel(store, sealer, source)

    async def go() -> tuple[object, object]:
        try:
            return await model.status("suporte"), await model.status("fresh")
        finally:
            await model.aclose()

    found, missing = asyncio.run(go())
    assert isinstance(found, StatusRead) and found.source == "live" and found.document.status == "paused"
    assert isinstance(missing, StatusRead) and missing.failure is not None
    assert missing.failure.describe() == "RyzeAPI does not know the integration: HTTP 404"
    assert source.seen == [LiveTarget("suporte", "int_xyz789abc"), LiveTarget("fresh", "int_fresh")]
    assert source.closed


def test_the_factory_picks_the_bridge_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    assert factory.live_source(load_config(None)) is None
    monkeypatch.setenv("BRIDGE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("BRIDGE_TOKEN", "tok")
    monkeypatch.setenv("CWDASH_CONCURRENCY", "3")
    source = factory.live_source(load_config(None))
    assert isinstance(source, BridgeSource)
    assert source.base_url == "http://127.0.0.1:9" and source._max_connections == 3


def test_the_factory_loads_only_the_source_in_use() -> None:
    """The dashboard's start imports no live source; a bridge fleet never loads RyzeAPI's client."""
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "os.environ.update(BRIDGE_URL='http://127.0.0.1:9', BRIDGE_TOKEN='tok')\n"
        "from cwdash.store.config import load_config\n"
        "from cwdash.store.sources.factory import live_source\n"
        "assert not [m for m in sys.modules if m.startswith(('cwdash.store.sources.bridge', 'cwdash.store.ryzeapi.client'))]\n"
        "live_source(load_config(None, default_env=False))\n"
        "assert 'cwdash.store.sources.bridge' in sys.modules\n"
        "assert not [m for m in sys.modules if m.startswith(('cwdash.store.ryzeapi.client', 'cwdash.store.sources.ryzeapi'))]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_read_model_asks_the_factory(
    monkeypatch: pytest.MonkeyPatch, store: Store, sealer: Sealer, db_path: Path
) -> None:
    made = ByName({})
    monkeypatch.setenv("CWDASH_SOURCE", "ryzeapi")
    monkeypatch.setenv("RYZEAPI_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("RYZEAPI_TOKEN", "tok")
    monkeypatch.setattr(factory, "SOURCES", {"bridge": lambda config: None, "ryzeapi": lambda config: made})
    model = ReadModel.from_config(load_config(None), store)
    assert model.live is made and model.gateway_configured
    assert ReadModel.from_config(load_config(None), store, live=False).live is None
