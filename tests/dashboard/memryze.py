"""An in-memory RyzeAPI source for the dashboard tests that are not about the network.

A :class:`~cwdash.store.sources.ryzeapi.RyzeApiSource` whose Status/info reads and instance
listings answer from dictionaries (no socket, no server thread): the screen treats it as
RyzeAPI (the WhatsApp column, the listing once a round, the budget in the header). Its
pacer is a real one, told the budget by hand (:meth:`MemoryRyze.answered`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cwdash.store.ryzeapi.listing import Listed
from cwdash.store.ryzeapi.pacer import Pacer
from cwdash.store.sources.base import LiveTarget
from cwdash.store.sources.outcome import RYZEAPI_WORDING, LiveFailure, LiveOutcome, LiveState, Reason
from cwdash.store.sources.ryzeapi import RyzeApiSource


class _Api:
    def __init__(self, pacer: Pacer, timeout: float) -> None:
        self.pacer = pacer
        self.timeout = timeout
        self.base_url = "https://ryzeapi.memory.test"

    async def aclose(self) -> None:
        pass


class MemoryRyze(RyzeApiSource):
    """Answers ``states`` (name -> status) and ``connections`` (name -> connection.state)."""

    url = "https://ryzeapi.memory.test"

    def __init__(
        self, states: dict[str, str], connections: dict[str, str], *, pacer: Pacer | None = None
    ) -> None:
        super().__init__(_Api(pacer or Pacer(), 0.5))  # type: ignore[arg-type]
        self.states = states
        self.connection_states = connections
        self.reads: list[tuple[str, int | None]] = []  # (name, priority)
        self.listings = 0

    async def read(self, target: LiveTarget, *, priority: int | None = None) -> LiveOutcome:
        self.reads.append((target.instance_name, priority))
        status = self.states.get(target.instance_name)
        if status is None:
            return LiveFailure(Reason.NOT_FOUND, "HTTP 404 instance not found", RYZEAPI_WORDING)
        return LiveState(status, "", None)

    async def connections(self, names: Sequence[str] | None = None) -> dict[str, Listed] | LiveFailure:
        self.listings += 1
        return {name: Listed(name, state, None, "") for name, state in self.connection_states.items()}

    def answered(self, limit: int, remaining: int, reset: float) -> None:
        """Tell the pacer an answer carried these rate headers."""
        self.api.pacer._in_flight += 1  # observe() counts an answer to a request that went
        self.api.pacer.observe(
            200,
            {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(reset),
            },
        )
