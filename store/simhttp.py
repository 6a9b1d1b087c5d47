"""The plumbing the simulated servers share: a server on 127.0.0.1 with its own thread and
event loop, reading a request's head and writing an answer.

The simulators (:mod:`~cwdash.store.simbridge`, :mod:`~cwdash.store.simryze`,
:mod:`~cwdash.store.simchatwoot`) are real HTTP servers so that tests and the demo meet
real network events; each subclass gives :meth:`LoopServer.handle` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import threading
from dataclasses import dataclass
from typing import Self

PHRASES = {
    200: "OK",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
READ_ERRORS = (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError)


@dataclass(frozen=True)
class Request:
    """A request's head: method, target, and its header lines as sent (names and order kept)."""

    method: str
    target: str
    lines: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive, ``_`` and ``-`` apart), or None."""
        wanted = name.lower()
        return next((v for k, v in self.lines if k.lower() == wanted), None)


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request's head, or None when the client went away (bodies are not read:
    the simulated APIs are read with GET)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except READ_ERRORS:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    headers = tuple((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line))
    return Request(parts[0], parts[1] if len(parts) > 1 else "/", headers)


def answer(
    status: int,
    body: object,
    *,
    content_type: str = "application/json",
    extra: dict[str, str] | None = None,
    close: bool = False,
) -> bytes:
    """A whole HTTP/1.1 answer; ``body`` is JSON unless it is bytes."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = [
        f"HTTP/1.1 {status} {PHRASES.get(status, 'Status')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(payload)}",
        *(f"{k}: {v}" for k, v in (extra or {}).items()),
        *(["Connection: close"] if close else []),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload


class LoopServer:
    """A server on 127.0.0.1 (an ephemeral port), on its own thread and event loop; a subclass
    sets ``thread_name`` and ``backlog`` and gives :meth:`handle`."""

    thread_name = "simserver"
    backlog = 256

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls, backlog=self.backlog)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.handle(reader, writer)
        except (ConnectionError, ssl.SSLError, OSError, asyncio.CancelledError):
            return  # a client gone, or the server stopping while a reply hangs
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection (the subclass's)."""
        raise NotImplementedError
