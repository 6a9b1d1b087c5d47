"""The one place the data side builds HTTP clients: proxies and trust, chosen per URL.

Proxies are taken from the environment the way curl and httpx take them
(``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, lower case too; on
macOS and Windows the system's proxy settings when none is set), by httpx's own
reading of them (:func:`environment_proxies`). A request a proxy applies to goes
through httpx's standard transport with that proxy (:mod:`cwdash.store.sources.proxy`);
every other request keeps cwdash's lean transport (:mod:`cwdash.store.sources.wire`),
whose low CPU cost per read the dashboard needs. Both trust the same certificates
(:mod:`cwdash.store.sources.trust`).

Every source (the bridge, RyzeAPI, the Chatwoot checks) gets its client here.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cwdash.store import redact
from cwdash.store.endpoint import display_url
from cwdash.store.sources.httpxload import load_httpx
from cwdash.store.sources.trust import tls_context

if TYPE_CHECKING:
    import httpx

PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
LOOPBACK = ("all://localhost", "all://127.0.0.1", "all://[::1]")


def environment_proxies() -> dict[str, str | None]:
    """httpx's reading of the proxy variables: URL pattern -> proxy URL, or None for
    "direct" (a ``NO_PROXY`` entry). Empty with ``NO_PROXY=*`` or no proxy set.

    httpx keeps this function private (it applies it only when it builds its own
    transport); tests/test_httpxload.py fails loudly if an upgrade moves it."""
    load_httpx()
    from httpx._utils import get_environment_proxies

    proxies = get_environment_proxies()
    for proxy in proxies.values():
        redact.register_url(proxy)  # a proxy's password never reaches the log
    if any(proxies.values()):
        # a proxy cannot reach this machine's loopback: never send it there (Go's rule too)
        proxies.update(dict.fromkeys(LOOPBACK))
    return proxies


def proxy_for(url: str, proxies: Mapping[str, str | None] | None = None) -> str | None:
    """The proxy URL a request to ``url`` goes through, or None for a direct connection;
    decided by the same patterns, in the same order, as the client's mounts."""
    httpx = load_httpx()
    from httpx._utils import URLPattern

    proxies = environment_proxies() if proxies is None else proxies
    target = httpx.URL(url)
    for pattern in sorted(URLPattern(key) for key in proxies):
        if pattern.matches(target):
            return proxies[pattern.pattern]
    return None


def http_client(
    *,
    headers: Mapping[str, str],
    timeout: float,
    max_connections: int = 16,
    ca_file: str | None = None,
    verify: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for a live source: the lean transport for direct connections, a
    proxy transport per proxy the environment names, one trust for both.

    It never follows redirects and never consults the environment by itself
    (``trust_env=False``: no ``.netrc``); the proxies are decided here, once.
    Raises ProxySettingError (a ValueError) for a proxy it cannot use, and
    CaFileError (a ValueError) for a ``CWDASH_CA_FILE`` it cannot load.
    """
    httpx = load_httpx()
    from cwdash.store.sources.wire import H11Transport

    proxies = environment_proxies()
    # The TLS context (~40 ms of loading trust bundles) is made when first needed: a gateway
    # on plain http (a bridge on the same host, the usual case) never pays it. A CA file or
    # a proxy still makes it now, so a bad CWDASH_CA_FILE is reported at once.
    context: ssl.SSLContext | None = verify
    if context is None and (ca_file or any(proxies.values())):
        context = tls_context(ca_file)
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for pattern, proxy in proxies.items():
        if proxy is None:
            mounts[pattern] = None  # NO_PROXY: the client's own (lean) transport
        else:
            from cwdash.store.sources.proxy import ProxyTransport

            mounts[pattern] = ProxyTransport(proxy, verify=context, max_connections=max_connections)
    client = httpx.AsyncClient(
        headers=dict(headers),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        transport=H11Transport(
            verify=context if context is not None else _default_context, max_connections=max_connections
        ),
        mounts=mounts,
    )
    client._cookies = no_cookies()  # private httpx: tests/test_wire.py checks it still applies
    return client


def _default_context() -> ssl.SSLContext:
    return tls_context(None)


def no_cookies() -> httpx.Cookies:
    """A cookie jar that keeps nothing: a live source sends no cookie back, so a gateway
    cannot pin a session on it, and no answer pays for parsing its Set-Cookie (a tenth of a
    background read's CPU in httpx)."""
    httpx = load_httpx()

    class NoCookies(httpx.Cookies):
        def extract_cookies(self, response: httpx.Response) -> None:
            return None

    return NoCookies()


@dataclass(frozen=True)
class Route:
    """How a request to a URL leaves this machine, as it may be shown."""

    url: str
    proxy: str | None  # display form: no user or password

    def describe(self) -> str:
        return f"through proxy {self.proxy}" if self.proxy else "direct (no proxy applies)"


def route(url: str) -> Route:
    """The route to ``url``, for ``cwdash doctor`` and ``-v``."""
    proxy = proxy_for(url)
    return Route(display_url(url), display_url(proxy).rstrip("/") if proxy else None)
