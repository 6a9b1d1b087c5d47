"""A loopback server that answers with scripted bytes, for answers SimBridge cannot make:
compressed bodies, malformed HTTP. It records every request head it receives."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


class RawServer:
    """On 127.0.0.1; ``answer(head)`` gives the bytes to send; the connection is then closed."""

    def __init__(self, answer: Callable[[str], bytes]) -> None:
        self.answer = answer
        self.heads: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(1.0)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            pass  # wakes the accept
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            if self._stop.is_set():
                conn.close()
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        break
                    head += data
                text = head.decode("latin-1")
                self.heads.append(text)
                conn.sendall(self.answer(text))
                conn.shutdown(socket.SHUT_WR)


def http(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    """A whole HTTP/1.1 answer with a Content-Length."""
    lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body
