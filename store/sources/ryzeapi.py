"""RyzeAPI's own HTTP API as a live source: the Status/info read by instance name.

``GET {RYZEAPI_URL}/api/chatwoot/list/{instance}`` with header ``token: RYZEAPI_TOKEN``.
RyzeAPI performs the bridge read itself, so the answer's ``status`` and ``last_error``
are live; its ``chatwoot_inbox_id`` fills a local 0, as the bridge's inbox id does.

Every read asks the token's pacer (:mod:`cwdash.store.ryzeapi.pacer`) first: a read
that would wait for the rate window longer than the read's time budget fails at once
as "RyzeAPI rate limit reached", and a 429 is its own reason, never retried here (the
dashboard's next round reads again). :meth:`RyzeApiSource.connections` gives the
WhatsApp connection state of the whole fleet from one listing call.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cwdash.store.ryzeapi.client import Answer, RyzeApi, failure_of
from cwdash.store.ryzeapi.listing import Listed
from cwdash.store.ryzeapi.pacer import DEFAULT_RESERVE, PRIORITY_VISIBLE, Budget, Pacer, shared
from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.outcome import RYZEAPI_WORDING, LiveFailure, LiveOutcome, Reason, parse_state

if TYPE_CHECKING:
    from cwdash.store.config import Config

WORDING = RYZEAPI_WORDING


def from_config(config: Config) -> RyzeApiSource | None:
    """RyzeAPI, when the configuration selects it (``CWDASH_SOURCE``, or by default when
    only ``RYZEAPI_URL`` and ``RYZEAPI_TOKEN`` are set)."""
    if config.live_source_name != "ryzeapi":
        return None
    return RyzeApiSource(api_from_config(config, max_connections=config.concurrency))


def api_from_config(config: Config, *, max_connections: int = 4) -> RyzeApi:
    """The configuration's RyzeAPI server and token on the process's one pacer for them,
    so sync and the dashboard's live source count against the same budget."""
    assert config.ryzeapi_url and config.ryzeapi_token
    pacer = shared(config.ryzeapi_url, config.ryzeapi_token, config.ryzeapi_reserve or DEFAULT_RESERVE)
    return RyzeApi(
        config.ryzeapi_url,
        config.ryzeapi_token,
        pacer=pacer,
        timeout=config.live_timeout,
        max_connections=max_connections,
        ca_file=config.ca_file,
    )


class RyzeApiSource(LiveSource):
    """Reads one integration's live state from RyzeAPI's Status/info, paced."""

    wording = WORDING
    has_budget = True

    def __init__(self, api: RyzeApi, *, priority: int = PRIORITY_VISIBLE) -> None:
        self.api = api
        self.priority = priority

    @classmethod
    def connect(
        cls,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        pacer: Pacer | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> RyzeApiSource:
        """A source on its own pacer (tests, the demo)."""
        api = RyzeApi(base_url, token, pacer=pacer or Pacer(), timeout=timeout, verify=verify)
        return cls(api)

    def __repr__(self) -> str:
        return f"RyzeApiSource({self.api!r})"

    @property
    def budget(self) -> Budget:
        """Where the token's budget stands (for the dashboard's header)."""
        return self.api.pacer.budget()

    async def aclose(self) -> None:
        await self.api.aclose()

    async def read(self, target: LiveTarget, *, priority: int | None = None) -> LiveOutcome:
        """One Status/info read; never waits for the rate window longer than its time budget."""
        answer = await self.api.chatwoot_status(
            target.instance_name,
            priority=self.priority if priority is None else priority,
            max_wait=self.api.timeout,
            retry_429=False,
        )
        if isinstance(answer, LiveFailure):
            return answer
        if answer.status == 429:
            budget = self.api.pacer.budget()
            resets = f"; resets in {budget.resets_in:.0f} s" if budget.resets_in is not None else ""
            return LiveFailure(Reason.RATE_LIMITED, answer.describe() + resets, WORDING)
        if answer.status != 200:
            return failure_of(answer)
        return parse_state(answer.body, target.integration_id or None, WORDING)

    async def connections(self, names: Sequence[str] | None = None) -> dict[str, Listed] | LiveFailure:
        """The WhatsApp connection of every instance the token sees (or of ``names``), from
        one listing call (one per group of names)."""
        listed = await self.api.instances(names, priority=self.priority)
        if isinstance(listed, LiveFailure):
            return listed
        if isinstance(listed, Answer):
            return failure_of(listed)
        return {item.name: item for item in listed}
