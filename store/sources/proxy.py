"""httpx's standard transport through one proxy, its refusals named as the proxy's.

Loaded only when a proxy applies (it imports httpx's connection pool); the lean
transport (:mod:`cwdash.store.sources.wire`) carries every direct connection.
"""

from __future__ import annotations

import ssl

from cwdash.store.endpoint import display_url
from cwdash.store.sources.httpxload import load_httpx

httpx = load_httpx()

PROXY_SCHEMES = ("http", "https")


class ProxySettingError(ValueError):
    """A proxy variable cwdash cannot use (a SOCKS proxy, a URL that does not parse)."""


class ProxyFailure(httpx.ProxyError):
    """The proxy refused the connection or the request. ``proxy`` is its URL as it may be
    shown (no user or password); ``auth`` is True when it asked for credentials (407)."""

    proxy_failure = True  # how httpread recognises it without importing this module

    def __init__(self, message: str, *, proxy: str, auth: bool, request: httpx.Request) -> None:
        super().__init__(message, request=request)
        self.proxy = proxy
        self.auth = auth


def shown(proxy: str) -> str:
    """The proxy as it may be shown: scheme, host and port, never its credentials."""
    return display_url(proxy).rstrip("/")


def check_proxy(proxy: str) -> None:
    """Refuse a proxy URL the standard transport cannot use, naming it safely."""
    from urllib.parse import urlsplit

    try:
        scheme = urlsplit(proxy).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in PROXY_SCHEMES:
        raise ProxySettingError(
            f"the proxy {shown(proxy)} (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY) is not an http:// "
            "or https:// proxy; cwdash speaks to HTTP proxies only"
        )


def _one_line(exc: BaseException, limit: int = 80) -> str:
    return " ".join(str(exc).split())[:limit]


def _tls_in_chain(exc: BaseException) -> bool:
    cur: BaseException | None = exc
    for _ in range(10):
        if cur is None:
            return False
        if isinstance(cur, ssl.SSLError):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


class ProxyTransport(httpx.AsyncBaseTransport):
    """httpx's standard transport through ``proxy`` (``CONNECT`` for https, the absolute
    form for http), trusting ``verify`` for the gateway behind it."""

    def __init__(self, proxy: str, *, verify: ssl.SSLContext, max_connections: int) -> None:
        check_proxy(proxy)
        self.proxy = shown(proxy)
        self._inner = httpx.AsyncHTTPTransport(
            proxy=proxy,  # credentials in the URL become Proxy-Authorization
            verify=verify,
            trust_env=False,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    def __repr__(self) -> str:
        return f"ProxyTransport({self.proxy!r})"

    def _failure(self, what: str, request: httpx.Request, *, auth: bool) -> ProxyFailure:
        return ProxyFailure(f"proxy {self.proxy} {what}", proxy=self.proxy, auth=auth, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.ProxyError as exc:  # CONNECT answered with something other than 2xx
            text = _one_line(exc)
            auth = text.startswith("407")
            what = "needs authentication" if auth else "refused the tunnel"
            raise self._failure(f"{what} (answered {text})", request, auth=auth) from None
        except httpx.ConnectError as exc:
            if _tls_in_chain(exc):  # the tunnel stood; the gateway's certificate failed
                raise
            raise self._failure(
                f"could not be reached ({_one_line(exc) or 'connect failed'})", request, auth=False
            ) from exc
        if response.status_code == 407:  # a plain-http request, answered by the proxy itself
            await response.aclose()
            raise self._failure("needs authentication (answered 407)", request, auth=True)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
