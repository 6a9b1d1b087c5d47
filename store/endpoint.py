"""Where the live read goes: the gateway's base URL and one integration's path segment.

One rule each, used everywhere a value comes in (configuration, import, ``set``) and
again at read time, because the store may hold rows written by other tools:

- ``BRIDGE_URL`` is an http(s) URL with a host and nothing a request could be led
  astray by: no user or password (httpx would send them as Basic auth in place of
  the bearer token, and they would be shown), no query, no fragment, no spaces.
- An integration id becomes exactly one path segment under ``/v1/integrations/``:
  never empty, never a dot segment, never something that a server decoding or
  normalising the path could turn into a separator or a dot segment.
- A token sent in a header (``BRIDGE_TOKEN``, ``RYZEAPI_TOKEN``) is printable ASCII
  without spaces.

Messages never repeat the value: a URL may carry a password, and an id may carry
anything.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_ID_LENGTH = 256
# "/" and "\" separate segments (the latter for servers that treat it as one); "%"
# would let a server that decodes twice see "%2f" or "%2e%2e"; ";" starts a path
# parameter that some servers strip (``..;`` is then ``..``).
_ID_FORBIDDEN = frozenset("/\\%;")


def integration_id_problem(value: object) -> str | None:
    """Why ``value`` cannot be an integration id in a request path, or None when it can."""
    if not isinstance(value, str):
        return "bridge_integration_id must be a string"
    if not value.strip():
        return "bridge_integration_id is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"bridge_integration_id is longer than {MAX_ID_LENGTH} characters"
    if value.isascii():
        # the common case, cheap: printable ASCII only
        if any(c in _ID_FORBIDDEN or not " " <= c <= "~" for c in value):
            return _FORBIDDEN_MESSAGE
        folded = value
    else:
        if any(unicodedata.category(c) in ("Cc", "Cs", "Cf", "Zl", "Zp") for c in value):
            return _FORBIDDEN_MESSAGE
        folded = unicodedata.normalize("NFKC", value)  # "．．" and "／" are ".." and "/" to some servers
        if any(c in _ID_FORBIDDEN or unicodedata.category(c) == "Cc" for c in folded):
            return _FORBIDDEN_MESSAGE
    if folded.strip(" \t") in (".", ".."):
        return "bridge_integration_id is a dot segment ('.' or '..'), which would leave /v1/integrations/"
    return None


_FORBIDDEN_MESSAGE = (
    "bridge_integration_id must be one path segment: no '/', '\\', '%', ';' or control characters"
)


def bridge_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be ``BRIDGE_URL``, or None when it can. Never repeats the URL."""
    return url_problem(url, "BRIDGE_URL", "the bridge is authenticated with BRIDGE_TOKEN")


def ryzeapi_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be ``RYZEAPI_URL`` (same rules as ``BRIDGE_URL``), or None."""
    return url_problem(url, "RYZEAPI_URL", "RyzeAPI is authenticated with RYZEAPI_TOKEN")


def url_problem(url: str, variable: str, auth: str) -> str | None:
    """Why ``url`` cannot be the base URL held in ``variable``, or None. Never repeats the URL."""
    if any(ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F for c in url):
        return f"{variable} contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number in range
    except ValueError:
        return f"{variable} is not a valid URL"
    del port
    if parts.scheme.lower() not in ("http", "https"):
        return f"{variable} must start with http:// or https://"
    if "@" in parts.netloc:
        return f"{variable} must not contain a user name or password (user:password@); {auth}"
    if not parts.hostname:
        return f"{variable} has no host"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return f"{variable} must not have a query (?...) or a fragment (#...)"
    if any(seg in (".", "..") for seg in parts.path.split("/")):
        return f"{variable} must not contain '.' or '..' path segments"
    return None


def header_token_ok(token: str) -> bool:
    """Whether ``token`` can be sent in a header as it is: printable ASCII, no spaces (a
    line break or a non-ASCII character would break the request or be mangled by it)."""
    return bool(token) and token.isascii() and token.isprintable() and " " not in token


def display_url(url: str) -> str:
    """``url`` as it may be shown: scheme, host, port and path; never a user or password,
    a query or a fragment (whatever produced the URL)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else netloc + parts.path
