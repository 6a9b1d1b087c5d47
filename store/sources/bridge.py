"""The integration gateway ("the bridge") as a live source.

``GET {BRIDGE_URL}/v1/integrations/{integration_id}`` with ``Authorization: Bearer
{BRIDGE_TOKEN}``, one overall time budget per read (RyzeAPI's own read uses 10 s), over
cwdash's lean keep-alive transport (:mod:`cwdash.store.sources.wire`), or through the
proxy the environment names (the client comes from :mod:`cwdash.store.sources.client`).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING
from urllib.parse import quote

from cwdash.store.endpoint import bridge_url_problem, display_url, header_token_ok, integration_id_problem
from cwdash.store.secret import Secret
from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.outcome import BRIDGE_WORDING, LiveFailure, LiveOutcome, Reason, parse_state

if TYPE_CHECKING:
    import httpx

    from cwdash.store.config import Config

WORDING = BRIDGE_WORDING


def from_config(config: Config) -> BridgeSource | None:
    """The bridge, when the configuration selects it (``CWDASH_SOURCE``, or by default
    when ``BRIDGE_URL`` and ``BRIDGE_TOKEN`` are both set)."""
    if config.live_source_name != "bridge":
        return None
    assert config.bridge_url and config.bridge_token
    return BridgeSource(
        config.bridge_url,
        config.bridge_token,
        timeout=config.live_timeout,
        max_connections=config.concurrency,
        ca_file=config.ca_file,
    )


URL_CACHE = 100_000  # integration ids whose checked URL is kept (a fleet's worth)


class BridgeSource(LiveSource):
    """Reads ``GET {BRIDGE_URL}/v1/integrations/{id}`` with one overall time budget per read."""

    wording = WORDING

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float,
        verify: ssl.SSLContext | None = None,
        max_connections: int = 16,
        ca_file: str | None = None,
    ) -> None:
        problem = bridge_url_problem(base_url.rstrip("/"))
        if problem:
            raise ValueError(problem)
        if not header_token_ok(token):
            raise ValueError("BRIDGE_TOKEN must be printable ASCII without spaces")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = Secret(token)
        self._verify = verify
        self._ca_file = ca_file
        self._max_connections = max_connections
        self._client: httpx.AsyncClient | None = None
        self._prefix = f"{self.base_url}/v1/integrations/"
        self._raw_prefix = b""
        self._urls: dict[str, httpx.URL] = {}  # checked URLs by integration id (url_for)

    def __repr__(self) -> str:
        return f"BridgeSource({display_url(self.base_url)!r})"

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client, made on the first read: loading httpx and the CA bundle
        is kept out of the dashboard's first paint."""
        if self._client is None:
            from cwdash.store.sources.client import http_client

            self._client = http_client(
                headers={
                    "Authorization": f"Bearer {self._token.reveal()}",
                    "Accept": "application/json",
                    # no compression: a small compressed answer may inflate without bound
                    "Accept-Encoding": "identity",
                },
                timeout=self.timeout,
                max_connections=self._max_connections,
                ca_file=self._ca_file,
                verify=self._verify,
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
        url = self._urls.get(integration_id)
        if url is not None:  # checked before: the same answer, without parsing it again each round
            return url
        problem = integration_id_problem(integration_id)
        if problem:
            return LiveFailure(Reason.BAD_ID, problem, WORDING)
        segment = quote(integration_id, safe="")
        from cwdash.store.sources.httpxload import load_httpx  # the first read is after the first paint

        httpx = load_httpx()
        if not self._raw_prefix:
            self._raw_prefix = httpx.URL(self._prefix).raw_path
        url = httpx.URL(self._prefix + segment)
        if url.raw_path != self._raw_prefix + segment.encode("ascii"):
            return LiveFailure(Reason.BAD_ID, "the request would leave /v1/integrations/", WORDING)
        if len(self._urls) >= URL_CACHE:
            self._urls.clear()
        self._urls[integration_id] = url
        return url

    async def read(self, target: LiveTarget) -> LiveOutcome:
        """One live read; the whole exchange, body included, fits in ``timeout`` seconds."""
        integration_id = target.integration_id
        url = self.url_for(integration_id)
        if isinstance(url, LiveFailure):
            return url
        from cwdash.store.sources.httpread import classify_transport, short
        from cwdash.store.sources.httpxload import load_httpx

        httpx = load_httpx()
        try:
            client = self.client  # a proxy or CA file that cannot be used is this read's failure
        except ValueError as exc:
            return LiveFailure(Reason.UNREACHABLE, short(str(exc), 300), WORDING)
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(client, url, integration_id)
        except TimeoutError:
            return LiveFailure(Reason.TIMEOUT, f"no complete answer within {self.timeout:g} s", WORDING)
        except httpx.TransportError as exc:
            return classify_transport(exc, WORDING)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            return LiveFailure(Reason.UNREACHABLE, short(str(exc)) or type(exc).__name__, WORDING)

    async def _exchange(self, client: httpx.AsyncClient, url: httpx.URL, integration_id: str) -> LiveOutcome:
        from cwdash.store.sources.httpread import discard_body, read_body_or_failure

        async with client.stream("GET", url) as response:
            code = response.status_code
            if not 200 <= code < 300:
                await discard_body(response)
            if code in (401, 403):
                return LiveFailure(Reason.UNAUTHORIZED, f"HTTP {code}", WORDING)
            if code == 404:
                return LiveFailure(Reason.NOT_FOUND, "HTTP 404", WORDING)
            if not 200 <= code < 300:
                return LiveFailure(
                    Reason.HTTP_ERROR, f"HTTP {code} {response.reason_phrase}".strip(), WORDING
                )
            body = await read_body_or_failure(response, WORDING)
        if isinstance(body, LiveFailure):
            return body
        return parse_state(body, integration_id, WORDING)
