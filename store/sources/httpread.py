"""What every HTTP live source shares: reading an answer's body within bounds, and
turning httpx's transport errors into a :class:`LiveFailure` with a distinct reason.

httpx is loaded by :func:`cwdash.store.sources.httpxload.load_httpx` on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ssl
from typing import TYPE_CHECKING

from cwdash.store.sources.httpxload import load_httpx
from cwdash.store.sources.inflate import BadEncoding, BodyTooLarge, Decoder, encodings_of
from cwdash.store.sources.outcome import LiveFailure, Reason, Wording

if TYPE_CHECKING:
    import httpx

MAX_BODY = 1024 * 1024


def classify_transport(exc: httpx.TransportError, wording: Wording) -> LiveFailure:
    """The reason a transport error stands for; never a header's text (it may hold a token)."""
    httpx = load_httpx()
    if getattr(exc, "malformed", False):  # wire.MalformedAnswer: the server spoke, badly
        return LiveFailure(Reason.BAD_ANSWER, f"malformed HTTP answer ({short(str(exc), 100)})", wording)
    if getattr(exc, "proxy_failure", False):  # proxy.ProxyFailure: its text names the proxy, no password
        reason = Reason.PROXY_AUTH if getattr(exc, "auth", False) else Reason.PROXY
        return LiveFailure(reason, short(str(exc)), wording)
    if isinstance(exc, httpx.LocalProtocolError):  # never its text: it may quote a header
        return LiveFailure(
            Reason.UNEXPECTED, f"the request could not be encoded (check {wording.credential})", wording
        )
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
        return LiveFailure(Reason.TLS, short(summary or text) or "TLS handshake failed", wording)
    if isinstance(exc, httpx.TimeoutException):
        return LiveFailure(Reason.TIMEOUT, "no answer in time", wording)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return LiveFailure(Reason.UNREACHABLE, "host name does not resolve", wording)
    refused = any(isinstance(e, ConnectionRefusedError) for e in chain)
    if refused or "refused" in text.lower() or f"[Errno {errno.ECONNREFUSED}]" in text:
        return LiveFailure(Reason.UNREACHABLE, "connection refused", wording)
    if "reset" in text.lower():
        return LiveFailure(Reason.UNREACHABLE, "connection reset", wording)
    if isinstance(exc, httpx.RemoteProtocolError):
        return LiveFailure(
            Reason.UNREACHABLE, f"connection dropped ({short(text) or 'closed early'})", wording
        )
    return LiveFailure(Reason.UNREACHABLE, short(text) or type(exc).__name__, wording)


def short(text: str, limit: int = 160) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def read_body(response: httpx.Response) -> bytes:
    """The answer's body, at most :data:`MAX_BODY` bytes both as sent and as decoded.

    The raw body is read and decoded here (never by httpx, whose decoders inflate a
    chunk whole); a decoder exists only for an answer that is encoded. Raises
    :class:`~cwdash.store.sources.inflate.BodyTooLarge` or ``BadEncoding``."""
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


async def read_body_or_failure(response: httpx.Response, wording: Wording) -> bytes | LiveFailure:
    """:func:`read_body`, with an answer too large or not decodable turned into the bad
    answer every source reports for it, worded for that source."""
    try:
        return await read_body(response)
    except BodyTooLarge:
        return LiveFailure(
            Reason.BAD_ANSWER, f"answer larger than {MAX_BODY // 1024} KiB, not read further", wording
        )
    except BadEncoding as exc:
        return LiveFailure(Reason.BAD_ANSWER, str(exc), wording)


async def discard_body(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a small error answer to its end so its connection can carry the next read
    (a gateway failing every request would otherwise cost a new connection each time);
    a large one is abandoned and its connection closed."""
    size = 0
    with contextlib.suppress(TimeoutError, load_httpx().HTTPError):
        async with asyncio.timeout(0.5):  # the answer's status is what counts, not its body
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > limit:
                    return
