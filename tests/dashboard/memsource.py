"""An in-memory live source for the dashboard tests that are not about the network.

It answers from the same routes as the bridge stand-in (store/simbridge.py) and turns
each :class:`Reply` into the outcome :class:`~cwdash.store.sources.bridge.BridgeSource` makes of
the same answer on the wire (the same reasons, the same detail texts), with no socket,
no HTTP client and no server thread. Tests whose subject is the network (TLS, hangs,
faults, the wire) keep the real stand-in on 127.0.0.1.

It is a :class:`~cwdash.store.sources.base.LiveSource`: given a target (instance name and
integration id), it returns an outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import quote

from cwdash.store.simbridge import PREFIX, Reply, Stats
from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, Reason, parse_state


class MemorySource(LiveSource):
    """Answers like a bridge stand-in serving ``routes`` for ``token`` (the one the app sends)."""

    def __init__(
        self,
        routes: dict[str, Reply] | Callable[[str], Reply],
        *,
        token: str,
        sent_token: str,
        url: str = "http://bridge.memory.test",
    ) -> None:
        self.router = routes.get if isinstance(routes, dict) else routes
        self.token = token
        self.sent_token = sent_token
        self.url = url
        self.stats = Stats()
        self.closed = False

    async def read(self, target: LiveTarget) -> LiveOutcome:
        ident = target.integration_id
        s = self.stats
        s.total += 1
        s.in_flight += 1
        s.max_in_flight = max(s.max_in_flight, s.in_flight)
        s.paths.append(PREFIX + quote(ident, safe=""))
        s.auth.append(f"Bearer {self.sent_token}")
        try:
            return await self._answer(ident)
        finally:
            s.in_flight -= 1

    async def _answer(self, ident: str) -> LiveOutcome:
        if self.sent_token != self.token:
            reply = Reply(status=401, body={"error": "unauthorized"})
        else:
            reply = self.router(ident) or Reply(status=404, body={"error": "integration not found"})
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.hang:
            await asyncio.Event().wait()  # until the read is cancelled
        code = reply.status
        if code in (401, 403):
            return LiveFailure(Reason.UNAUTHORIZED, f"HTTP {code}")
        if code == 404:
            return LiveFailure(Reason.NOT_FOUND, "HTTP 404")
        if not 200 <= code < 300:
            return LiveFailure(Reason.HTTP_ERROR, f"HTTP {code} {HTTPStatus(code).phrase}".strip())
        return parse_state(reply.payload(), ident)

    async def aclose(self) -> None:
        self.closed = True
