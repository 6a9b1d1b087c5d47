"""A simulated RyzeAPI server on 127.0.0.1: the two reads cwdash makes, rate limited.

- ``GET /api/instance/list[?instanceName=a,b]``: the instances the token sees (every one
  for a TokenAccount, its own for a TokenInstance); the name filter ignores unknown
  names, except that a filter of one unknown name answers 404.
- ``GET /api/chatwoot/list/{instance}``: the Status/info document, in either documented
  version (``version="v1"``: token in plaintext and the four flags; ``"v2"``: neither),
  or the seed's errors (404 ``instance not found``, 404 ``no chatwoot integration for
  this instance``, 503 ``integration gateway not configured``), 401 ``Invalid token``.
- A fixed-window rate limiter per token (``limit`` requests per ``window`` seconds, the
  window starting at its first request): ``X-RateLimit-Limit/-Remaining/-Reset`` and a
  ``Date`` on every answer, 429 with RyzeAPI's body when over, no ``Retry-After``.
  :meth:`SimRyze.drain` plays another user of the token emptying the window.
- Instances change status and connection over time (:meth:`SimRyze.evolve`, or every
  ``evolve_every`` seconds of its clock on its own).

The clock is injectable so tests can share a fake one with the pacer. Every request is
recorded (time, kind, status) for the tests' and the benchmark's counts.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from cwdash.store import simhttp
from cwdash.store.simhttp import LoopServer, read_request
from cwdash.store.status import CONNECTION_STATES, STATUSES

LIST_PATH = "/api/instance/list"
STATUS_PREFIX = "/api/chatwoot/list/"
LIMITED_BODY = {"success": False, "error": {"message": "Rate limit exceeded. Try again later."}}


def _error(message: str) -> dict[str, object]:
    return {"success": False, "error": {"message": message}}


@dataclass
class SimInstance:
    """One WhatsApp number, with its Chatwoot integration (a status document) or none."""

    name: str
    connection: str = "connected"
    integration: dict[str, object] | None = None

    def item(self, name_key: str) -> dict[str, object]:
        """The instance as the listing shows it."""
        chatwoot = None
        if self.integration is not None:
            chatwoot = {"enabled": True, "inboxName": self.integration.get("chatwoot_inbox_name")}
        return {
            name_key: self.name,
            "connection": {
                "state": self.connection,
                "numberJid": f"55119{zlib.crc32(self.name.encode()) % 10**8:08d}@s.whatsapp.net",
                "presenceStatus": "available",
                "displayStatus": "online" if self.connection == "connected" else "offline",
            },
            "profile": {"name": self.name, "pictureUrl": None, "isBusiness": False, "businessName": None},
            "integrations": {"chatwoot": chatwoot, "webhook": None, "websocket": None},
        }


def document(name: str, index: int = 0, **changes: object) -> dict[str, object]:
    """A Status/info document (the seed's shape) for instance ``name``."""
    out: dict[str, object] = {
        "instance_name": name,
        "status": "active",
        "bridge_integration_id": f"int_{index:06d}",
        "chatwoot_base_url": f"https://chatwoot{index % 3}.example.com",
        "chatwoot_account_id": 1 + index % 7,
        "chatwoot_api_token": f"sk_sim_{index:06d}_token",
        "chatwoot_inbox_id": 100 + index,
        "chatwoot_inbox_name": f"WhatsApp - {name}",
        "last_error": "",
        "created_at": "2026-04-20T10:15:30Z",
        "sign_messages": index % 2 == 0,
        "ignore_groups": False,
        "start_as_pending": index % 5 == 0,
        "reopen_resolved": True,
    }
    out.update(changes)
    return out


def fleet(count: int, *, without_integration_every: int = 10) -> list[SimInstance]:
    """``count`` instances ``inst-0000``...; every ``without_integration_every``-th has none."""
    out = []
    for i in range(count):
        name = f"inst-{i:04d}"
        bare = without_integration_every and i % without_integration_every == without_integration_every - 1
        out.append(SimInstance(name, CONNECTION_STATES[0], None if bare else document(name, i)))
    return out


@dataclass
class Window:
    end: float = 0.0
    used: int = 0


@dataclass
class Seen:
    """One request: when (sim clock), what (``list`` or ``status``), the answer's status, by whom."""

    at: float
    kind: str
    status: int
    token: str
    window: float = 0.0  # the end of the rate window it fell in


class SimRyze(LoopServer):
    """The simulated server, on its own thread and event loop (:class:`~cwdash.store.simhttp.LoopServer`)."""

    thread_name = "simryze"

    def __init__(
        self,
        instances: list[SimInstance] | int = 0,
        *,
        token: str = "ryze-token",
        instance_tokens: dict[str, str] | None = None,
        version: str = "v1",
        limit: int = 100,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
        module_configured: bool = True,
        wrapper: str | None = "data",
        name_key: str = "name",
        evolve_every: float | None = None,
        seed: int = 11,
    ) -> None:
        super().__init__()
        self.instances = {i.name: i for i in (fleet(instances) if isinstance(instances, int) else instances)}
        self.token = token
        self.instance_tokens = dict(instance_tokens or {})  # TokenInstance -> its instance
        self.version = version
        self.limit = limit
        self.window = window
        self.clock = clock
        self.module_configured = module_configured
        self.wrapper = wrapper
        self.name_key = name_key
        self.evolve_every = evolve_every
        self.rng = random.Random(seed)
        self.seen: list[Seen] = []
        self._windows: dict[str, Window] = {}
        self._next_evolve: float | None = None
        self._lock = threading.Lock()

    # -- control --------------------------------------------------------------------------

    def drain(self, token: str | None = None) -> None:
        """Another user of ``token`` spends what is left of its current window."""
        with self._lock:
            window = self._window(token or self.token, self.clock())
            window.used = self.limit

    def evolve(self, changes: int = 3) -> list[str]:
        """Change the status and connection of a few instances at random; their names."""
        with self._lock:
            return self._evolve(changes)

    def _evolve(self, changes: int) -> list[str]:
        names = sorted(self.instances)
        picked = self.rng.sample(names, min(changes, len(names)))
        for name in picked:
            inst = self.instances[name]
            inst.connection = self.rng.choice(CONNECTION_STATES)
            if inst.integration is not None:
                status = self.rng.choice(STATUSES)
                inst.integration["status"] = status
                inst.integration["last_error"] = "chatwoot answered 401" if status == "error" else ""
        return picked

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for s in self.seen
                if (kind is None or s.kind == kind) and (status is None or s.status == status)
            )

    # -- serving ----------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await read_request(reader)) is not None:
            headers = {k.lower(): v for k, v in request.lines}  # the last of a repeated header, as before
            status, body, extra = self.answer(request.target, headers)
            writer.write(simhttp.answer(status, body, extra=extra))
            await writer.drain()

    def _window(self, token: str, now: float) -> Window:
        window = self._windows.setdefault(token, Window())
        if now >= window.end:
            window.end = math.ceil(now + self.window)
            window.used = 0
        return window

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, object, dict[str, str]]:
        """The answer to one request: status, JSON body, headers (no I/O: tests call it directly)."""
        with self._lock:
            now = self.clock()
            if self.evolve_every:
                if self._next_evolve is None:
                    self._next_evolve = now + self.evolve_every
                while now >= self._next_evolve:
                    self._evolve(max(1, len(self.instances) // 20))
                    self._next_evolve += self.evolve_every
            token = headers.get("token") or headers.get("authorization", "").removeprefix("Bearer ").strip()
            window = self._window(token, now)
            extra = {"Date": formatdate(now, usegmt=True)}
            url = urlsplit(target)
            kind = (
                "list"
                if url.path == LIST_PATH
                else "status"
                if url.path.startswith(STATUS_PREFIX)
                else "other"
            )
            if window.used >= self.limit:
                status, body = 429, LIMITED_BODY
            else:
                window.used += 1
                status, body = self._route(url.path, url.query, token)
            extra.update({"X-RateLimit-Limit": str(self.limit),
                          "X-RateLimit-Remaining": str(max(0, self.limit - window.used)),
                          "X-RateLimit-Reset": str(int(window.end))})  # fmt: skip
            self.seen.append(Seen(now, kind, status, token[:12], window.end))
            return status, body, extra

    def _route(self, path: str, query: str, token: str) -> tuple[int, object]:
        own = self.instance_tokens.get(token)
        if token != self.token and own is None:
            return 401, _error("Invalid token")
        if path == LIST_PATH:
            return self._listing(query, own)
        if not path.startswith(STATUS_PREFIX) or "/" in path[len(STATUS_PREFIX) :]:
            return 404, _error("route not found")
        name = unquote(path[len(STATUS_PREFIX) :])
        if own is not None and name != own:
            return 403, _error("token does not grant access to this instance")
        if not self.module_configured:
            return 503, _error("integration gateway not configured")
        inst = self.instances.get(name)
        if inst is None:
            return 404, _error("instance not found")
        if inst.integration is None:
            return 404, _error("no chatwoot integration for this instance")
        doc = dict(inst.integration)
        if self.version == "v2":
            for key in (
                "chatwoot_api_token",
                "sign_messages",
                "ignore_groups",
                "start_as_pending",
                "reopen_resolved",
            ):
                doc.pop(key, None)
        return 200, doc

    def _listing(self, query: str, own: str | None) -> tuple[int, object]:
        names = sorted(self.instances) if own is None else [own]
        wanted = parse_qs(query).get("instanceName")
        if wanted is not None and own is None:
            asked = [n for n in ",".join(wanted).split(",") if n]
            known = [n for n in asked if n in self.instances]
            if len(asked) == 1 and not known:
                return 404, _error("Instance not found")
            names = [n for n in names if n in set(known)]
        items = [self.instances[n].item(self.name_key) for n in names if n in self.instances]
        message = f"{len(items)} Instance{'' if len(items) == 1 else 's'} found"
        if self.wrapper is None:
            return 200, items
        return 200, {"success": True, "message": message, self.wrapper: items}
