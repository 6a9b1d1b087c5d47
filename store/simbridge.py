"""A real HTTP stand-in of the integration gateway, served on 127.0.0.1.

The demo, the tests and the benchmarks all use it, so timeouts, refused and reset
connections, slow bodies and TLS failures are real network events, not mocks. It
answers ``GET /v1/integrations/{id}`` from a routing function and counts the
requests it sees (total, maximum in flight, maximum per second).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from cwdash.store.simhttp import LoopServer, answer, read_request

PREFIX = "/v1/integrations/"


@dataclass
class Reply:
    """What the stand-in does for one request."""

    status: int = 200
    body: object = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False
    drip: float | None = None
    reset: bool = False
    close_after: bool = False  # answer, then close the connection without saying so first
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str) and self.content_type != "application/json":
            return self.body.encode()
        return json.dumps(self.body).encode()


def live(status: str = "active", last_error: str = "", inbox_id: int | None = None, **extra: object) -> Reply:
    """A healthy answer carrying an integration's live state."""
    body: dict[str, object] = {"status": status, "last_error": last_error, **extra}
    if inbox_id is not None:
        body["inbox_id"] = inbox_id
    return Reply(body=body)


Router = Callable[[str], Reply]


@dataclass
class Stats:
    """Request counts, for tests and the benchmark's limit checks."""

    total: int = 0
    connections: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    max_per_second: int = 0
    paths: list[str] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    _window: deque[float] = field(default_factory=deque)


class SimBridge(LoopServer):
    """The stand-in server, on its own thread and event loop (:class:`~cwdash.store.simhttp.LoopServer`)."""

    thread_name = "simbridge"
    backlog = 512

    def __init__(
        self,
        router: Router | dict[str, Reply],
        *,
        token: str = "bridge-secret",
        tls: ssl.SSLContext | None = None,
        latency: float = 0.0,
        keep_paths: bool = True,
    ) -> None:
        super().__init__(tls=tls)
        self.router = router if callable(router) else self._from_dict(router)
        self.token = token
        self.latency = latency
        self.keep_paths = keep_paths
        self.stats = Stats()
        self._lock = threading.Lock()

    @staticmethod
    def _from_dict(routes: dict[str, Reply]) -> Router:
        return lambda ident: routes.get(ident, Reply(status=404, body={"error": "unknown integration"}))

    def _count_in(self, path: str, auth: str) -> None:
        with self._lock:
            s = self.stats
            s.total += 1
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
            now = time.monotonic()
            s._window.append(now)
            while s._window and s._window[0] <= now - 1.0:
                s._window.popleft()
            s.max_per_second = max(s.max_per_second, len(s._window))
            if self.keep_paths:
                s.paths.append(path)
                s.auth.append(auth)

    def _count_out(self) -> None:
        with self._lock:
            self.stats.in_flight -= 1

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.stats.connections += 1
        while (request := await read_request(reader)) is not None:
            auth = request.header("authorization") or ""
            self._count_in(request.target, auth)
            try:
                keep = await self._respond(request.target, auth, writer)
            finally:
                self._count_out()
            if not keep:
                return

    async def _respond(self, path: str, auth: str, writer: asyncio.StreamWriter) -> bool:
        if auth != f"Bearer {self.token}":
            reply = Reply(status=401, body={"error": "unauthorized"})
        elif not path.startswith(PREFIX):
            reply = Reply(status=404, body={"error": "no route"})
        else:
            reply = self.router(unquote(path[len(PREFIX) :]))
        if self.latency:
            await asyncio.sleep(self.latency)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.hang:
            await asyncio.sleep(3600)
            return False
        if reply.reset:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        body = reply.payload()
        whole = answer(reply.status, body, content_type=reply.content_type)
        if reply.drip is None:
            writer.write(whole)
            await writer.drain()
            return not reply.close_after
        writer.write(whole[: len(whole) - len(body)])  # the head now, the body a byte at a time
        await writer.drain()
        for i in range(len(body)):
            writer.write(body[i : i + 1])
            await writer.drain()
            await asyncio.sleep(reply.drip)
        return not reply.close_after


def self_signed_context() -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1.

    Clients that verify certificates (as cwdash does) refuse it: a real TLS failure.
    """
    return self_signed()[0]


def self_signed() -> tuple[ssl.SSLContext, bytes]:
    """A server TLS context for 127.0.0.1 and its certificate (PEM), for a client to trust."""
    import datetime
    import ipaddress
    import os
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cwdash simulated gateway")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        with open(cert_path, "wb") as fh:
            fh.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as fh:
            fh.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
    return context, cert.public_bytes(serialization.Encoding.PEM)
