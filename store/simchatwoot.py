"""A simulated Chatwoot on 127.0.0.1 (the API a verify reads), an nginx-like proxy in front
of it that drops underscore headers, and a server that answers a web page.

- :class:`SimChatwoot`: ``GET /api/v1/profile`` (the token's user and its accounts with
  their roles) and ``GET /api/v1/accounts/{a}/inboxes/{i}``, with Chatwoot's answers
  (contract.md): 401 ``Invalid Access Token``, 401 ``You are not authorized to access this
  account``, 404 ``Resource could not be found``. The token is read from
  ``api_access_token`` or ``Api-Access-Token``, as Chatwoot (Rack) reads both. Tokens,
  accounts and inboxes are set up, revoked, deleted and renamed by its methods; ``hang``
  makes it read requests and never answer.
- :class:`UnderscoreProxy`: a reverse proxy that forwards every request to one upstream
  and drops the request headers whose names hold an underscore, as nginx does without
  ``underscores_in_headers on;``.
- :class:`HtmlServer`: answers every request with a web page (a base URL that is not the API).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import threading
from dataclasses import dataclass, field

from cwdash.store.simhttp import LoopServer, Request, answer, read_request

INVALID_TOKEN = {"error": "Invalid Access Token"}
NOT_AUTHORIZED = {"error": "You are not authorized to access this account"}
NOT_FOUND = {"error": "Resource could not be found"}
_INBOX = re.compile(r"^/api/v1/accounts/(\d+)/inboxes/(\d+)$")


@dataclass
class SimUser:
    """The user a token belongs to: account id -> role ("administrator" or "agent")."""

    name: str
    roles: dict[int, str] = field(default_factory=dict)

    def profile(self, accounts: dict[int, str]) -> dict[str, object]:
        return {
            "id": abs(hash(self.name)) % 10_000,
            "name": self.name,
            "email": f"{self.name.lower().replace(' ', '.')}@example.com",
            "accounts": [
                {"id": a, "name": accounts.get(a, f"Account {a}"), "role": role, "status": "active"}
                for a, role in sorted(self.roles.items())
            ],
        }


class SimChatwoot(LoopServer):
    """The simulated Chatwoot; every request is recorded as (path, header the token came in)."""

    thread_name = "simchatwoot"

    def __init__(self, *, hang: bool = False, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(tls=tls)
        self.hang = hang
        self.users: dict[str, SimUser] = {}  # token -> user
        self.accounts: dict[int, str] = {}  # account id -> name
        self.inboxes: dict[tuple[int, int], str] = {}  # (account, inbox) -> name
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    # -- the world -------------------------------------------------------------------------

    def add_token(self, token: str, roles: dict[int, str], user: str = "Ana Admin") -> None:
        with self._lock:
            self.users[token] = SimUser(user, dict(roles))
            for account in roles:
                self.accounts.setdefault(account, f"Account {account}")

    def revoke(self, token: str) -> None:
        with self._lock:
            self.users.pop(token, None)

    def add_inbox(self, account: int, inbox: int, name: str) -> None:
        with self._lock:
            self.inboxes[(account, inbox)] = name

    def delete_inbox(self, account: int, inbox: int) -> None:
        with self._lock:
            self.inboxes.pop((account, inbox), None)

    def rename_inbox(self, account: int, inbox: int, name: str) -> None:
        self.add_inbox(account, inbox, name)

    # -- serving ---------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            if request is None:
                return
            if self.hang:
                await asyncio.sleep(3600)
                return
            status, body = self.route(request)
            close = (request.header("connection") or "").lower() == "close"
            writer.write(answer(status, body, close=close))
            await writer.drain()
            if close:
                return

    def route(self, request: Request) -> tuple[int, object]:
        """The answer to one request (no I/O: tests may call it directly)."""
        path = request.target.split("?", 1)[0]
        via = "api_access_token" if request.header("api_access_token") is not None else "Api-Access-Token"
        token = request.header("api_access_token") or request.header("api-access-token") or ""
        with self._lock:
            self.seen.append((path, via if token else "none"))
            user = self.users.get(token)
            if path == "/api/v1/profile":
                return (401, INVALID_TOKEN) if user is None else (200, user.profile(self.accounts))
            match = _INBOX.match(path)
            if match is None:
                return 404, {"error": "Not Found"}
            if user is None:
                return 401, INVALID_TOKEN
            account, inbox = int(match.group(1)), int(match.group(2))
            if account not in user.roles:
                return 401, NOT_AUTHORIZED
            name = self.inboxes.get((account, inbox))
            if name is None:
                return 404, NOT_FOUND
            return 200, {"id": inbox, "name": name, "channel_type": "Channel::Api", "account_id": account}


class UnderscoreProxy(LoopServer):
    """A reverse proxy to ``upstream`` (host, port) that drops underscore headers (nginx's default)."""

    thread_name = "underscoreproxy"

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__()
        self.upstream = upstream
        self.dropped: list[str] = []  # names of the headers it dropped

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        if request is None:
            return
        kept = []
        for name, value in request.lines:
            if "_" in name:
                self.dropped.append(name)
            elif name.lower() not in ("connection", "keep-alive", "host"):
                kept.append((name, value))
        host, port = self.upstream
        head = [f"{request.method} {request.target} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in kept),
                "Connection: close"]  # fmt: skip
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.write(
                answer(
                    502, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html", close=True
                )
            )
            await writer.drain()
            return
        try:
            up_writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            await up_writer.drain()
            reply = await up_reader.read()  # the upstream closes after its answer
        finally:
            up_writer.close()
        writer.write(_closing(reply))
        await writer.drain()


def _closing(reply: bytes) -> bytes:
    """The upstream's answer with ``Connection: close``: this proxy serves one request per connection."""
    head, sep, body = reply.partition(b"\r\n\r\n")
    return head + b"\r\nConnection: close" + sep + body


class HtmlServer(LoopServer):
    """Answers every request with a web page, 200: what a base URL pointing at a site, not
    at Chatwoot's API, gets."""

    thread_name = "htmlserver"
    PAGE = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader) is not None:
            writer.write(answer(200, self.PAGE, content_type="text/html; charset=utf-8"))
            await writer.drain()
