"""The live read: one integration's current state from the integration gateway ("bridge").

The outcome is a value, never an exception: :class:`LiveState` when the bridge
answered usefully, :class:`LiveFailure` with a distinct :class:`Reason` otherwise.
The bridge sits behind :class:`LiveSource` so another live source can be added later.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import ssl
import sys
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from cwdash.store.secret import Secret

if TYPE_CHECKING:
    import httpx


def _httpx():  # type: ignore[no-untyped-def]
    """httpx, imported on the first live read rather than at start-up (~0.1 s)."""
    if "httpx" not in sys.modules:
        # httpx's own command-line client (httpx._main) pulls in rich, click and pygments
        # whenever they are installed (textual installs them): ~0.4 s more. cwdash never
        # uses that client, so it is kept from loading.
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    import httpx

    return httpx


STATUSES = ("active", "paused", "error")
MAX_BODY = 1024 * 1024


class Reason(Enum):
    """Why a live read did not produce a live state; each maps to a hint for the user."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    TLS = "tls"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    HTTP_ERROR = "http_error"
    BAD_ANSWER = "bad_answer"

    @property
    def title(self) -> str:
        return _TITLES[self]

    @property
    def hint(self) -> str:
        return _HINTS[self]


_TITLES = {
    Reason.TIMEOUT: "bridge timed out",
    Reason.UNREACHABLE: "bridge unreachable",
    Reason.TLS: "TLS failure",
    Reason.UNAUTHORIZED: "bridge rejected BRIDGE_TOKEN",
    Reason.NOT_FOUND: "bridge does not know the integration",
    Reason.HTTP_ERROR: "bridge error",
    Reason.BAD_ANSWER: "bad answer from bridge",
}
_HINTS = {
    Reason.TIMEOUT: "the bridge is slow or hung; check its load and logs",
    Reason.UNREACHABLE: "check BRIDGE_URL and that the bridge service is running",
    Reason.TLS: "the bridge's certificate is not trusted here; check BRIDGE_URL and its certificate",
    Reason.UNAUTHORIZED: "BRIDGE_TOKEN is wrong or expired; copy it from RyzeAPI's server .env",
    Reason.NOT_FOUND: "the bridge lost this integration; re-run `set` for this instance",
    Reason.HTTP_ERROR: "the bridge failed this request; check the bridge's logs",
    Reason.BAD_ANSWER: "the bridge answered something that is not an integration state",
}


@dataclass(frozen=True, slots=True)
class LiveState:
    """The volatile fields the bridge reports for one integration."""

    status: str
    last_error: str
    inbox_id: int | None


@dataclass(frozen=True, slots=True)
class LiveFailure:
    """A live read that failed, with its reason and a one-line detail."""

    reason: Reason
    detail: str

    def describe(self) -> str:
        return f"{self.reason.title}: {self.detail}"


LiveOutcome = LiveState | LiveFailure


class LiveSource(Protocol):
    """Anything that can read an integration's live state."""

    async def read(self, integration_id: str) -> LiveOutcome: ...

    async def aclose(self) -> None: ...


def parse_state(body: bytes) -> LiveOutcome:
    """Turn a bridge answer body into a LiveState, or a BAD_ANSWER failure saying what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        snippet = body[:60].decode("utf-8", "replace")
        return LiveFailure(Reason.BAD_ANSWER, f"not JSON (starts with {snippet!r})")
    except RecursionError:  # "[[[[…" nested deeper than the decoder's recursion limit
        return LiveFailure(Reason.BAD_ANSWER, "JSON nested too deeply")
    if not isinstance(data, dict):
        return LiveFailure(Reason.BAD_ANSWER, f"expected a JSON object, got {type(data).__name__}")
    status = data.get("status")
    if not isinstance(status, str):
        return LiveFailure(Reason.BAD_ANSWER, "no status field")
    if status not in STATUSES:
        shown = status[:40]
        return LiveFailure(Reason.BAD_ANSWER, f"unknown status {shown!r}")
    last_error = data.get("last_error", "")
    if last_error is None:
        last_error = ""
    if not isinstance(last_error, str):
        return LiveFailure(Reason.BAD_ANSWER, "last_error is not a string")
    inbox = data.get("inbox_id", data.get("chatwoot_inbox_id"))
    if inbox is not None and (isinstance(inbox, bool) or not isinstance(inbox, int) or inbox < 0):
        return LiveFailure(Reason.BAD_ANSWER, "inbox id is not a non-negative integer")
    return LiveState(status=status, last_error=last_error, inbox_id=inbox or None)


def _classify_transport(exc: httpx.TransportError) -> LiveFailure:
    httpx = _httpx()
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 10:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " ".join(dict.fromkeys(str(e) for e in chain))
    tls_errors = [e for e in chain if isinstance(e, ssl.SSLError)]
    if tls_errors or "CERTIFICATE" in text.upper():
        detail = getattr(tls_errors[0], "verify_message", None) if tls_errors else None
        reason = getattr(tls_errors[0], "reason", None) if tls_errors else None
        summary = ", ".join(str(part) for part in (reason, detail) if part)
        return LiveFailure(Reason.TLS, _short(summary or text) or "TLS handshake failed")
    if isinstance(exc, httpx.TimeoutException):
        return LiveFailure(Reason.TIMEOUT, "no answer in time")
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return LiveFailure(Reason.UNREACHABLE, "host name does not resolve")
    refused = any(isinstance(e, ConnectionRefusedError) for e in chain)
    if refused or "refused" in text.lower() or f"[Errno {errno.ECONNREFUSED}]" in text:
        return LiveFailure(Reason.UNREACHABLE, "connection refused")
    if "reset" in text.lower():
        return LiveFailure(Reason.UNREACHABLE, "connection reset")
    if isinstance(exc, httpx.RemoteProtocolError):
        return LiveFailure(Reason.UNREACHABLE, f"connection dropped ({_short(text) or 'closed early'})")
    return LiveFailure(Reason.UNREACHABLE, _short(text) or type(exc).__name__)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BridgeSource:
    """Reads ``GET {BRIDGE_URL}/v1/integrations/{id}`` with one overall time budget per read."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float,
        verify: bool | ssl.SSLContext = True,
        max_connections: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = Secret(token)
        self._verify = verify
        self._max_connections = max_connections
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"BridgeSource({self.base_url!r})"

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client, made on the first read: loading httpx and the CA bundle
        is kept out of the dashboard's first paint."""
        if self._client is None:
            httpx = _httpx()
            limit = self._max_connections
            from cwdash.store.wire import H11Transport

            self._client = httpx.AsyncClient(
                headers={"Authorization": f"Bearer {self._token.reveal()}", "Accept": "application/json"},
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
                transport=H11Transport(verify=self._verify, max_connections=limit),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def read(self, integration_id: str) -> LiveOutcome:
        """One live read; the whole exchange, body included, fits in ``timeout`` seconds."""
        url = f"{self.base_url}/v1/integrations/{quote(integration_id, safe='')}"
        client = self.client
        httpx = _httpx()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(client, url)
        except TimeoutError:
            return LiveFailure(Reason.TIMEOUT, f"no complete answer within {self.timeout:g} s")
        except httpx.TransportError as exc:
            return _classify_transport(exc)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            return LiveFailure(Reason.UNREACHABLE, _short(str(exc)) or type(exc).__name__)

    async def _exchange(self, client: httpx.AsyncClient, url: str) -> LiveOutcome:
        async with client.stream("GET", url) as response:
            code = response.status_code
            if not 200 <= code < 300:
                await _discard_body(response)
            if code in (401, 403):
                return LiveFailure(Reason.UNAUTHORIZED, f"HTTP {code}")
            if code == 404:
                return LiveFailure(Reason.NOT_FOUND, "HTTP 404")
            if not 200 <= code < 300:
                return LiveFailure(Reason.HTTP_ERROR, f"HTTP {code} {response.reason_phrase}".strip())
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    return LiveFailure(
                        Reason.BAD_ANSWER, f"answer larger than {MAX_BODY // 1024} KiB, not read further"
                    )
                chunks.append(chunk)
        return parse_state(b"".join(chunks))


async def _discard_body(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a small error answer to its end so its connection can carry the next read
    (a gateway failing every request would otherwise cost a new connection each time);
    a large one is abandoned and its connection closed."""
    size = 0
    with contextlib.suppress(TimeoutError, _httpx().HTTPError):
        async with asyncio.timeout(0.5):  # the answer's status is what counts, not its body
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > limit:
                    return
