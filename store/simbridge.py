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


class SimBridge:
    """The stand-in server, on its own thread and event loop."""

    def __init__(
        self,
        router: Router | dict[str, Reply],
        *,
        token: str = "bridge-secret",
        tls: ssl.SSLContext | None = None,
        latency: float = 0.0,
        keep_paths: bool = True,
    ) -> None:
        self.router = router if callable(router) else self._from_dict(router)
        self.token = token
        self.tls = tls
        self.latency = latency
        self.keep_paths = keep_paths
        self.stats = Stats()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @staticmethod
    def _from_dict(routes: dict[str, Reply]) -> Router:
        return lambda ident: routes.get(ident, Reply(status=404, body={"error": "unknown integration"}))

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> SimBridge:
        self._thread = threading.Thread(target=self._run, name="simbridge", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> SimBridge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

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

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.stats.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    ConnectionError,
                    ssl.SSLError,
                ):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                path = parts[1] if len(parts) > 1 else "/"
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                auth = headers.get("authorization", "")
                self._count_in(path, auth)
                try:
                    keep = await self._respond(path, auth, writer)
                finally:
                    self._count_out()
                if not keep:
                    return
        except (ConnectionError, ssl.SSLError, OSError, asyncio.CancelledError):
            return  # a client gone, or the stand-in stopping while a reply hangs
        finally:
            with contextlib.suppress(Exception):
                writer.close()

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
        head = (
            f"HTTP/1.1 {reply.status} {_PHRASES.get(reply.status, 'Status')}\r\n"
            f"Content-Type: {reply.content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head)
        if reply.drip is None:
            writer.write(body)
            await writer.drain()
            return not reply.close_after
        await writer.drain()
        for i in range(len(body)):
            writer.write(body[i : i + 1])
            await writer.drain()
            await asyncio.sleep(reply.drip)
        return not reply.close_after


_PHRASES = {
    200: "OK",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


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
