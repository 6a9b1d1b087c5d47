"""The RyzeAPI HTTP client: the two reads cwdash makes, each admitted by the pacer.

``GET {RYZEAPI_URL}/api/instance/list[?instanceName=a,b]`` and
``GET {RYZEAPI_URL}/api/chatwoot/list/{instance}``, with header ``token: RYZEAPI_TOKEN``,
over cwdash's lean transport (:mod:`cwdash.store.sources.wire`) with the bridge's rules
for hostile answers: a bounded body (:func:`~cwdash.store.sources.httpread.read_body`),
no compression asked for, no redirects, no proxy from the environment, and an instance
name sent as exactly one path segment (percent-encoded, the final path verified).

An answer is an :class:`Answer` (any HTTP status, the error envelope's message read);
a request that got none is a :class:`~cwdash.store.sources.outcome.LiveFailure` worded
for RyzeAPI. A 429 is tried once more after the reset (the pacer waits), never in a loop.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from cwdash.store.endpoint import display_url, header_token_ok, ryzeapi_url_problem
from cwdash.store.ryzeapi.listing import BadListing, Listed, parse_listing
from cwdash.store.ryzeapi.pacer import PRIORITY_VISIBLE, Pacer, PacerBusy
from cwdash.store.secret import Secret
from cwdash.store.sources.httpread import classify_transport, read_body_or_failure, short
from cwdash.store.sources.httpxload import load_httpx
from cwdash.store.sources.outcome import RYZEAPI_WORDING, LiveFailure, Reason

if TYPE_CHECKING:
    import httpx

WORDING = RYZEAPI_WORDING
LIST_PATH = "/api/instance/list"
STATUS_PATH = "/api/chatwoot/list/"
MAX_QUERY = 1800  # characters of instance names per filtered listing call
INSTANCE_NOT_FOUND = "instance not found"
NO_INTEGRATION = "no chatwoot integration for this instance"
GATEWAY_NOT_CONFIGURED = "integration gateway not configured"


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: its status, its body (bounded) and RyzeAPI's error message, if any."""

    status: int
    body: bytes
    message: str = ""

    def is_(self, status: int, message: str) -> bool:
        """Whether this is the mapped error ``status`` with ``message`` (case-insensitive)."""
        return self.status == status and self.message.strip().lower() == message

    def describe(self) -> str:
        return f"HTTP {self.status}" + (f" {short(self.message, 120)}" if self.message else "")


def failure_of(answer: Answer) -> LiveFailure:
    """The reason a non-200 answer stands for, worded for RyzeAPI."""
    code = answer.status
    if code in (401, 403):
        return LiveFailure(Reason.UNAUTHORIZED, answer.describe(), WORDING)
    if code == 429:
        return LiveFailure(Reason.RATE_LIMITED, answer.describe(), WORDING)
    if code == 404:
        return LiveFailure(Reason.NOT_FOUND, answer.describe(), WORDING)
    return LiveFailure(Reason.HTTP_ERROR, answer.describe(), WORDING)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one path segment of ``/api/chatwoot/list/``, or None."""
    if not isinstance(name, str) or not name:
        return "the instance name is empty"
    if name.strip() in (".", ".."):
        return "the instance name is a dot segment ('.' or '..')"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "the instance name contains control characters"
    return None


class RyzeApi:
    """One RyzeAPI server and token; see the module's documentation."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        pacer: Pacer,
        timeout: float = 10.0,
        verify: bool | ssl.SSLContext = True,
        max_connections: int = 4,
        ca_file: str | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        problem = ryzeapi_url_problem(base)
        if problem:
            raise ValueError(problem)
        if not header_token_ok(token):
            raise ValueError("RYZEAPI_TOKEN must be printable ASCII without spaces")
        self.base_url = base
        self.pacer = pacer
        self.timeout = timeout
        self._token = Secret(token)
        self._verify = verify
        self._ca_file = ca_file
        self._max_connections = max_connections
        self._client: httpx.AsyncClient | None = None
        self._status_prefix = b""

    def __repr__(self) -> str:
        return f"RyzeApi({display_url(self.base_url)!r})"

    @property
    def client(self) -> httpx.AsyncClient:
        """Made on the first request (httpx and the CA bundle load then, not at start)."""
        if self._client is None:
            # the one client factory: proxies from the environment, the system's trust
            # plus CWDASH_CA_FILE, the lean transport for direct connections
            from cwdash.store.sources.client import http_client

            self._client = http_client(
                headers={
                    "token": self._token.reveal(),
                    "Accept": "application/json",
                    "Accept-Encoding": "identity",  # a small compressed answer may inflate without bound
                },
                timeout=self.timeout,
                max_connections=self._max_connections,
                ca_file=self._ca_file,
                verify=self._verify if isinstance(self._verify, ssl.SSLContext) else None,
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # -- URLs -----------------------------------------------------------------------------

    def status_url(self, name: str) -> httpx.URL | LiveFailure:
        """``/api/chatwoot/list/<name as one segment>``, verified, or why there is none."""
        problem = name_problem(name)
        if problem:
            return LiveFailure(Reason.BAD_ID, problem, WORDING)
        httpx = load_httpx()
        prefix = self.base_url + STATUS_PATH
        if not self._status_prefix:
            self._status_prefix = httpx.URL(prefix).raw_path
        segment = quote(name, safe="")
        url = httpx.URL(prefix + segment)
        if url.raw_path != self._status_prefix + segment.encode("ascii") or url.query:
            return LiveFailure(Reason.BAD_ID, "the request would leave /api/chatwoot/list/", WORDING)
        return url

    def list_urls(self, names: Sequence[str] | None) -> list[httpx.URL]:
        """The listing's URL, or one per group of names (each query at most :data:`MAX_QUERY`)."""
        httpx = load_httpx()
        base = self.base_url + LIST_PATH
        if names is None:
            return [httpx.URL(base)]
        groups: list[list[str]] = [[]]
        size = 0
        for name in names:
            piece = len(quote(name, safe=""))
            if groups[-1] and size + piece + 3 > MAX_QUERY:
                groups.append([])
                size = 0
            groups[-1].append(name)
            size += piece + 3
        return [httpx.URL(base, params={"instanceName": ",".join(group)}) for group in groups if group]

    # -- the two reads --------------------------------------------------------------------

    async def instances(
        self, names: Sequence[str] | None = None, *, priority: int = PRIORITY_VISIBLE
    ) -> list[Listed] | Answer | LiveFailure:
        """Every instance the token sees (or the named ones: unknown names are left out),
        one call per group of names; the first answer that is not a listing is returned."""
        if names is not None:
            bad = [n for n in names if "," in n or name_problem(n)]
            if bad:
                return LiveFailure(
                    Reason.BAD_ID, f"{bad[0][:80]!r} cannot be put in the listing's name filter", WORDING
                )
            if not names:
                return []
        out: list[Listed] = []
        for url in self.list_urls(names):
            answer = await self.get(url, priority=priority)
            if isinstance(answer, LiveFailure):
                return answer
            single = names is not None and "," not in url.params.get("instanceName", ",")
            if single and answer.is_(404, INSTANCE_NOT_FOUND):
                continue  # a filter of one unknown name answers 404: none of that name
            if answer.status != 200:
                return answer
            try:
                out.extend(parse_listing(answer.body))
            except BadListing as exc:
                return LiveFailure(Reason.BAD_ANSWER, str(exc), WORDING)
        return out

    async def chatwoot_status(
        self,
        name: str,
        *,
        priority: int = PRIORITY_VISIBLE,
        max_wait: float | None = None,
        retry_429: bool = True,
    ) -> Answer | LiveFailure:
        """The Status/info read of ``name`` (any HTTP status), or why no answer came."""
        url = self.status_url(name)
        if isinstance(url, LiveFailure):
            return url
        return await self.get(url, priority=priority, max_wait=max_wait, retry_429=retry_429)

    async def get(
        self,
        url: httpx.URL,
        *,
        priority: int = PRIORITY_VISIBLE,
        max_wait: float | None = None,
        retry_429: bool = True,
    ) -> Answer | LiveFailure:
        """One GET, admitted by the pacer; after a 429, once more when the pacer allows."""
        answer = await self._get_once(url, priority, max_wait)
        if retry_429 and isinstance(answer, Answer) and answer.status == 429:
            answer = await self._get_once(url, priority, max_wait)
        return answer

    async def _get_once(self, url: httpx.URL, priority: int, max_wait: float | None) -> Answer | LiveFailure:
        try:
            async with asyncio.timeout(max_wait):
                await self.pacer.acquire(priority, max_wait)
        except PacerBusy as exc:
            return LiveFailure(Reason.RATE_LIMITED, f"{exc.because} (in {exc.wait:.0f} s)", WORDING)
        except TimeoutError:
            return LiveFailure(
                Reason.RATE_LIMITED, f"queued behind other RyzeAPI requests for {max_wait:g} s", WORDING
            )
        client = self.client
        httpx = load_httpx()
        answered = False
        try:
            async with asyncio.timeout(self.timeout), client.stream("GET", url) as response:
                answered = True
                self.pacer.observe(response.status_code, response.headers)
                return await self._answer(response)
        except TimeoutError:
            return LiveFailure(Reason.TIMEOUT, f"no complete answer within {self.timeout:g} s", WORDING)
        except httpx.TransportError as exc:
            return classify_transport(exc, WORDING)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            return LiveFailure(Reason.UNREACHABLE, short(str(exc)) or type(exc).__name__, WORDING)
        finally:
            if not answered:
                self.pacer.abandon()

    @staticmethod
    async def _answer(response: httpx.Response) -> Answer | LiveFailure:
        code = response.status_code
        body = await read_body_or_failure(response, WORDING)
        if isinstance(body, LiveFailure):
            return body
        return Answer(code, body, "" if code == 200 else error_message(body))


def error_message(body: bytes) -> str:
    """RyzeAPI's ``{"success": false, "error": {"message": ...}}`` message ('' when none)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    if isinstance(error, str):
        return error
    message = data.get("message")
    return message if isinstance(message, str) else ""
