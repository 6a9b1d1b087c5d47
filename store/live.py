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
import logging
import ssl
import sys
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from cwdash.store.endpoint import bridge_url_problem, display_url, integration_id_problem
from cwdash.store.inflate import BadEncoding, BodyTooLarge, Decoder, encodings_of
from cwdash.store.secret import Secret
from cwdash.store.status import STATUSES

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


MAX_BODY = 1024 * 1024
MAX_INTEGER = 2**63 - 1  # the store's INTEGER column: a larger inbox id could not be kept
ID_FIELDS = ("id", "integration_id", "bridge_integration_id")

log = logging.getLogger("cwdash.live")
log.addHandler(logging.NullHandler())  # without a configured log, nothing reaches stderr


class Reason(Enum):
    """Why a live read did not produce a live state; each maps to a hint for the user."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    TLS = "tls"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    HTTP_ERROR = "http_error"
    BAD_ANSWER = "bad_answer"
    BAD_ID = "bad_id"
    UNEXPECTED = "unexpected"

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
    Reason.BAD_ID: "integration id not usable",
    Reason.UNEXPECTED: "unexpected error in the live read",
}
_HINTS = {
    Reason.TIMEOUT: "the bridge is slow or hung; check its load and logs",
    Reason.UNREACHABLE: "check BRIDGE_URL and that the bridge service is running",
    Reason.TLS: "the bridge's certificate is not trusted here; check BRIDGE_URL and its certificate",
    Reason.UNAUTHORIZED: "BRIDGE_TOKEN is wrong or expired; copy it from RyzeAPI's server .env",
    Reason.NOT_FOUND: "the bridge lost this integration; re-run `set` for this instance",
    Reason.HTTP_ERROR: "the bridge failed this request; check the bridge's logs",
    Reason.BAD_ANSWER: "the bridge answered something that is not an integration state",
    Reason.BAD_ID: "the row's bridge_integration_id is not one URL path segment; "
    "set the right one with `cwdash set NAME --bridge-id ID`",
    Reason.UNEXPECTED: "local values shown; the log has the details",
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


def parse_state(body: bytes, integration_id: str | None = None) -> LiveOutcome:
    """Turn a bridge answer body into a LiveState, or a BAD_ANSWER failure saying what is wrong.

    With ``integration_id``, an answer that names another integration (``id``,
    ``integration_id`` or ``bridge_integration_id``) is not taken as this one's state.
    """
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
    if inbox is not None and inbox > MAX_INTEGER:
        return LiveFailure(Reason.BAD_ANSWER, f"inbox id is larger than {MAX_INTEGER}")
    if integration_id is not None:
        for key in ID_FIELDS:
            named = data.get(key)
            if named is not None and not _same_id(named, integration_id):
                return LiveFailure(Reason.BAD_ANSWER, f"the answer's {key} names another integration")
    return LiveState(status=status, last_error=last_error, inbox_id=inbox or None)


def _same_id(named: object, integration_id: str) -> bool:
    if isinstance(named, str):
        return named == integration_id
    return isinstance(named, int) and not isinstance(named, bool) and str(named) == integration_id


def _classify_transport(exc: httpx.TransportError) -> LiveFailure:
    httpx = _httpx()
    if getattr(exc, "malformed", False):  # cwdash.store.wire.MalformedAnswer: the server spoke, badly
        return LiveFailure(Reason.BAD_ANSWER, f"malformed HTTP answer ({_short(str(exc), 100)})")
    if isinstance(exc, httpx.LocalProtocolError):  # never its text: it may quote a header
        return LiveFailure(Reason.UNEXPECTED, "the request could not be encoded (check BRIDGE_TOKEN)")
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
        problem = bridge_url_problem(base_url.rstrip("/"))
        if problem:
            raise ValueError(problem)
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise ValueError("BRIDGE_TOKEN must be printable ASCII without spaces")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = Secret(token)
        self._verify = verify
        self._max_connections = max_connections
        self._client: httpx.AsyncClient | None = None
        self._prefix = f"{self.base_url}/v1/integrations/"
        self._raw_prefix = b""

    def __repr__(self) -> str:
        return f"BridgeSource({display_url(self.base_url)!r})"

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client, made on the first read: loading httpx and the CA bundle
        is kept out of the dashboard's first paint."""
        if self._client is None:
            httpx = _httpx()
            limit = self._max_connections
            from cwdash.store.wire import H11Transport

            self._client = httpx.AsyncClient(
                headers={
                    "Authorization": f"Bearer {self._token.reveal()}",
                    "Accept": "application/json",
                    # no compression: a small compressed answer may inflate without bound
                    "Accept-Encoding": "identity",
                },
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
                transport=H11Transport(verify=self._verify, max_connections=limit),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def url_for(self, integration_id: str) -> httpx.URL | LiveFailure:
        """The one URL a read of ``integration_id`` may go to, or why there is none.

        The id must be one path segment (checked again here: the store may hold rows
        written by other tools), and the URL httpx will request is verified to be
        ``{BRIDGE_URL path}/v1/integrations/<that segment>``, exactly."""
        problem = integration_id_problem(integration_id)
        if problem:
            return LiveFailure(Reason.BAD_ID, problem)
        segment = quote(integration_id, safe="")
        httpx = _httpx()
        if not self._raw_prefix:
            self._raw_prefix = httpx.URL(self._prefix).raw_path
        url = httpx.URL(self._prefix + segment)
        if url.raw_path != self._raw_prefix + segment.encode("ascii"):
            return LiveFailure(Reason.BAD_ID, "the request would leave /v1/integrations/")
        return url

    async def read(self, integration_id: str) -> LiveOutcome:
        """One live read; the whole exchange, body included, fits in ``timeout`` seconds."""
        url = self.url_for(integration_id)
        if isinstance(url, LiveFailure):
            return url
        client = self.client
        httpx = _httpx()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(client, url, integration_id)
        except TimeoutError:
            return LiveFailure(Reason.TIMEOUT, f"no complete answer within {self.timeout:g} s")
        except httpx.TransportError as exc:
            return _classify_transport(exc)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            return LiveFailure(Reason.UNREACHABLE, _short(str(exc)) or type(exc).__name__)

    async def _exchange(self, client: httpx.AsyncClient, url: httpx.URL, integration_id: str) -> LiveOutcome:
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
            try:
                body = await _read_body(response)
            except BodyTooLarge:
                return LiveFailure(
                    Reason.BAD_ANSWER, f"answer larger than {MAX_BODY // 1024} KiB, not read further"
                )
            except BadEncoding as exc:
                return LiveFailure(Reason.BAD_ANSWER, str(exc))
        return parse_state(body, integration_id)


async def _read_body(response: httpx.Response) -> bytes:
    """The answer's body, at most :data:`MAX_BODY` bytes both as sent and as decoded.

    The raw body is read and decoded here (never by httpx, whose decoders inflate a
    chunk whole); a decoder exists only for an answer that is encoded."""
    encodings = response.headers.get_list("content-encoding")
    decoder = Decoder(encodings_of(encodings), MAX_BODY) if encodings else None
    if decoder is not None and not decoder.active:
        decoder = None  # "identity"
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge
        if decoder is None:
            chunks.append(chunk)
        else:
            chunks.extend(decoder.feed(chunk))
            await asyncio.sleep(0)  # the read's time budget can end it between chunks
    if decoder is not None:
        chunks.extend(decoder.finish())
    return b"".join(chunks)


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
