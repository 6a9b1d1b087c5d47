"""A lean HTTP/1.1 keep-alive transport for httpx: h11 over asyncio streams.

Why it exists: httpx's default transport (httpcore's connection pool over anyio)
costs about 2 ms of CPU per request. The dashboard reads the fleet live at up to
hundreds of requests a second, on the same interpreter (and GIL) as the screen, so
that cost became key presses waiting. h11 is the HTTP/1.1 state machine httpcore
itself uses; driven straight over asyncio's streams it costs about a quarter of
that. httpx stays the client: URLs, headers, timeouts and its exception types are
unchanged, so everything above this module (error classification included) is too.

Only what the live read needs: HTTP/1.1 over TCP or TLS, no proxies, no HTTP/2.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Callable

import h11

from cwdash.store.sources.httpxload import load_httpx

httpx = load_httpx()  # without httpx's command-line client (see httpxload)

READ_SIZE = 64 * 1024
MAX_INFORMATIONAL = 10  # 1xx answers skipped before the final one; more is a malformed answer


class MalformedAnswer(httpx.RemoteProtocolError):
    """The server answered, but not in HTTP/1.1 (a bad chunk, conflicting lengths, a
    flood of 1xx answers...): a bad answer, not a network failure."""

    malformed = True


class _Connection:
    """One open connection to one origin, with its h11 state."""

    __slots__ = ("eof", "h11", "idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0
        self.eof = False  # the server closed its side: a protocol error now is a cut answer

    def usable(self, now: float, expiry: float) -> bool:
        """Whether an idle connection can carry another request (the server may have closed it)."""
        return (
            now - self.idle_since < expiry
            and not self.reader.at_eof()
            and not self.writer.transport.is_closing()
            and self.h11.our_state is h11.IDLE
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


class _Stale(Exception):
    """A reused connection failed before any of the answer arrived: safe to retry once."""


def _timeout(request: httpx.Request, which: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(which)
    return value if isinstance(value, int | float) else None


class H11Transport(httpx.AsyncBaseTransport):
    """Keep-alive connections per origin, at most ``max_connections`` requests at once."""

    def __init__(
        self,
        *,
        verify: bool | ssl.SSLContext | Callable[[], ssl.SSLContext] = True,
        max_connections: int = 16,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._verify = verify
        self._ssl: ssl.SSLContext | None = None
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: dict[tuple[bytes, bytes, int], list[_Connection]] = {}
        self._expiry = keepalive_expiry
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            if isinstance(self._verify, ssl.SSLContext):
                self._ssl = self._verify
            elif callable(self._verify):  # made at the first https connection (plain http never pays)
                self._ssl = self._verify()
            else:
                self._ssl = httpx.create_ssl_context(verify=self._verify, trust_env=False)
        return self._ssl

    # -- the pool ---------------------------------------------------------------------

    def _checkout(self, origin: tuple[bytes, bytes, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.usable(now, self._expiry):
                return conn
            conn.close()
        return None

    def checkin(self, origin: tuple[bytes, bytes, int], conn: _Connection) -> None:
        """Take back a connection whose answer was read whole, for the next request."""
        if self._closed:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(origin, []).append(conn)

    async def _connect(self, request: httpx.Request) -> _Connection:
        url = request.url
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        tls = self._ssl_context() if url.scheme == "https" else None
        try:
            async with asyncio.timeout(_timeout(request, "connect")):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=READ_SIZE
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout("connect timed out", request=request) from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return _Connection(reader, writer)

    # -- one exchange -----------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {request.url.scheme!r}", request=request)
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port or 0)
        try:
            async with asyncio.timeout(_timeout(request, "pool")):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise httpx.PoolTimeout("no free connection in time", request=request) from exc
        try:
            conn = self._checkout(origin)
            if conn is not None:
                try:
                    return await self._exchange(request, origin, conn, reused=True)
                except _Stale:
                    pass  # the server closed it while idle: once more on a new connection
            conn = await self._connect(request)
            return await self._exchange(request, origin, conn, reused=False)
        except BaseException:
            self.release()
            raise

    async def _exchange(
        self, request: httpx.Request, origin: tuple[bytes, bytes, int], conn: _Connection, *, reused: bool
    ) -> httpx.Response:
        try:
            head = await self._send_and_read_head(request, conn, reused=reused)
        except BaseException:
            conn.close()
            raise
        body = _Body(self, origin, conn, request)
        return httpx.Response(
            status_code=head.status_code,
            headers=head.headers,
            stream=body,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
        )

    async def _send_and_read_head(
        self, request: httpx.Request, conn: _Connection, *, reused: bool
    ) -> h11.Response:
        h = conn.h11
        target = request.url.raw_path
        try:
            out = h.send(h11.Request(method=request.method, target=target, headers=request.headers.raw))
        except h11.LocalProtocolError:
            # h11's message quotes the offending header, which may be the bearer token
            raise httpx.LocalProtocolError(
                "the request has a header HTTP does not allow", request=request
            ) from None
        assert out is not None
        try:
            async with asyncio.timeout(_timeout(request, "write")):
                conn.writer.write(out)
                async for chunk in request.stream:  # type: ignore[union-attr]
                    data = h.send(h11.Data(data=chunk))
                    if data:
                        conn.writer.write(data)
                end = h.send(h11.EndOfMessage())
                if end:
                    conn.writer.write(end)
                await conn.writer.drain()
        except TimeoutError as exc:
            raise httpx.WriteTimeout("write timed out", request=request) from exc
        except OSError as exc:
            if reused:
                raise _Stale from exc
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc
        for _ in range(MAX_INFORMATIONAL + 1):
            event = await _next_event(request, conn, reused=reused)
            if isinstance(event, h11.Response):
                return event
            # 1xx informational answers are skipped; the final answer follows
            reused = False
        raise MalformedAnswer(f"more than {MAX_INFORMATIONAL} informational (1xx) answers", request=request)

    def release(self) -> None:
        """An exchange ended (its answer read or abandoned): one more may start."""
        self._slots.release()

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


async def _next_event(request: httpx.Request, conn: _Connection, *, reused: bool = False) -> object:
    """The next h11 event, reading from the socket as needed; errors become httpx's."""
    h = conn.h11
    while True:
        try:
            event = h.next_event()
        except h11.RemoteProtocolError as exc:
            raise _protocol_error(exc, conn, request) from exc
        if event is not h11.NEED_DATA:
            return event
        try:
            async with asyncio.timeout(_timeout(request, "read")):
                data = await conn.reader.read(READ_SIZE)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("read timed out", request=request) from exc
        except OSError as exc:
            if reused and h.their_state is h11.SEND_RESPONSE:
                raise _Stale from exc
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        if not data:
            if reused and h.their_state is h11.SEND_RESPONSE:
                raise _Stale
            if h.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            conn.eof = True
        try:
            h.receive_data(data)
        except h11.RemoteProtocolError as exc:
            raise _protocol_error(exc, conn, request) from exc


def _protocol_error(exc: h11.RemoteProtocolError, conn: _Connection, request: httpx.Request) -> Exception:
    """An answer cut short by the server closing is a dropped connection; anything else
    h11 refuses is a malformed answer."""
    if conn.eof:
        return httpx.RemoteProtocolError(str(exc), request=request)
    return MalformedAnswer(str(exc), request=request)


class _Body(httpx.AsyncByteStream):
    """An answer's body, read as it is consumed; the connection goes back to the pool
    only when the whole answer was read and both sides agree to keep it open."""

    def __init__(
        self,
        transport: H11Transport,
        origin: tuple[bytes, bytes, int],
        conn: _Connection,
        request: httpx.Request,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._conn: _Connection | None = conn
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        while True:
            event = await _next_event(self._request, conn)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            h = conn.h11
            if h.our_state is h11.DONE and h.their_state is h11.DONE:
                h.start_next_cycle()
                self._transport.checkin(self._origin, conn)
            else:
                conn.close()
        except h11.LocalProtocolError:
            conn.close()
        finally:
            self._transport.release()
