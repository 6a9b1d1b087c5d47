"""A forward HTTP proxy on 127.0.0.1 for tests, and a private CA.

The proxy speaks both ways a client uses a proxy: ``CONNECT host:port`` (a tunnel, for
https) and the absolute form (``GET http://host:port/path``, for http). Host names
resolve only through its own table (``hosts``): a gateway name such as
``bridge.internal`` reaches 127.0.0.1 only through the proxy, as an internal name
does behind a corporate proxy. With ``credentials`` set it answers 407 to any request
without that ``Proxy-Authorization``.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ForwardProxy:
    hosts: dict[str, str] = field(default_factory=dict)  # name -> address (the port is kept)
    credentials: tuple[str, str] | None = None
    seen: list[str] = field(default_factory=list)  # request lines, as received
    port: int = 0

    def __post_init__(self) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user is not None else ""
        return f"http://{auth}127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    # -- serving -----------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _resolve(self, host: str, port: int) -> tuple[str, int] | None:
        address = self.hosts.get(host)
        return (address, port) if address else None

    def _authorized(self, headers: dict[str, str]) -> bool:
        if self.credentials is None:
            return True
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return headers.get("proxy-authorization", "") == f"Basic {expected}"

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            raw, _, rest = head.partition(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            self.seen.append(lines[0])
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
            if not self._authorized(headers):
                conn.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
                )
                return
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                self._tunnel(conn, self._resolve(host, int(port)), rest)
            else:
                self._forward(conn, method, target, lines[1:], rest)

    def _tunnel(self, conn: socket.socket, where: tuple[str, int] | None, rest: bytes) -> None:
        if where is None:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            upstream = socket.create_connection(where, timeout=5)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            upstream.sendall(rest)
        _pipe(conn, upstream)

    def _forward(
        self, conn: socket.socket, method: str, target: str, header_lines: list[str], rest: bytes
    ) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        where = self._resolve(parts.hostname or "", parts.port or 80)
        if where is None:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        upstream = socket.create_connection(where, timeout=5)
        kept = [h for h in header_lines if not h.lower().startswith(("proxy-", "connection:"))]
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        request = (
            f"{method} {path} HTTP/1.1\r\n" + "".join(f"{h}\r\n" for h in kept) + "Connection: close\r\n\r\n"
        )
        upstream.sendall(request.encode("latin-1") + rest)
        _pipe(conn, upstream)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until either side closes."""

    def copy(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    other = threading.Thread(target=copy, args=(b, a), daemon=True)
    other.start()
    copy(a, b)
    other.join(5)
    b.close()


def private_ca(tmp: Path, *names: str):
    """A CA made for this test, a server certificate from it for ``names``, and the CA's
    PEM bundle written to ``tmp/ca.pem``."""
    import ssl

    import trustme

    ca = trustme.CA()
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*names).configure_cert(server)
    bundle = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return server, bundle
