"""Every secret value this process knows, and a function that blanks them out of a text.

The log file passes every line it writes through :func:`redact`: a token that reaches
a log record by accident (inside an exception message, say ``Illegal header value
b'Bearer …'``) is replaced there, whatever code wrote it. Secrets are registered where
they enter the process: the configuration's ``BRIDGE_TOKEN``, keys and URL password when
it is loaded, and every token as it is decrypted (:class:`cwdash.store.secret.Secret`).

Only small standard-library imports (no logging), so :mod:`cwdash.store.secret` can register cheaply.
"""

from __future__ import annotations

import re
import threading
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

MASK = "********"
# Shorter secrets are blanked only where they stand alone: blanking every "abc" would
# make the log unreadable, and a secret that short is no secret anyway.
SHORT = 8

_lock = threading.Lock()
_registered: set[str] = set()  # the values as registered; their forms are worked out with the pattern
_pattern: re.Pattern[str] | None = None


class _Revealing(Protocol):
    def reveal(self) -> str: ...


def _forms(value: str) -> set[str]:
    """The ways a value can appear in a text: as is, escaped by repr/JSON/bytes repr, URL-quoted."""
    import json  # worked out when a text is first redacted: the dashboard starts without it

    forms = {value, repr(value)[1:-1], json.dumps(value)[1:-1], quote(value, safe="")}
    forms.add(repr(value.encode("utf-8", "surrogatepass"))[2:-1])
    forms.update(part for part in value.split() if len(part) >= SHORT)  # a token cut at a newline
    return {f for f in forms if f.strip()}


def register(*values: str | _Revealing | None) -> None:
    """Remember secret values (plain strings or anything with ``reveal()``) for :func:`redact`."""
    global _pattern
    found: set[str] = set()
    for value in values:
        if value is None:
            continue
        text = value if isinstance(value, str) else value.reveal()
        if text and text.strip():
            found.add(text)
    with _lock:
        if not found <= _registered:
            _registered.update(found)
            _pattern = None


def register_url(url: str | None) -> None:
    """A URL's password (and user name), as written and decoded."""
    if not url:
        return
    try:
        parts = urlsplit(url)
        password, user = parts.password, parts.username
    except ValueError:
        # malformed (a bad port, say): take whatever sits between "//" and "@"
        netloc = url.split("//", 1)[-1].split("/", 1)[0]
        userinfo = netloc.rpartition("@")[0]
        user, _, password = userinfo.partition(":")
    for value in (password, user):
        if value:
            register(value, unquote(value))


def register_config(config: object) -> None:
    """The secrets of a :class:`cwdash.store.config.Config`: BRIDGE_TOKEN, RYZEAPI_TOKEN, both
    keys, the URLs' passwords."""
    register(
        getattr(config, "bridge_token", None),
        getattr(config, "ryzeapi_token", None),
        getattr(config, "key_text", None),
        getattr(config, "next_key_text", None),
    )
    register_url(getattr(config, "bridge_url", None))
    register_url(getattr(config, "ryzeapi_url", None))


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _registered:
            secrets = set().union(*map(_forms, _registered))
            parts = []
            for secret in sorted(secrets, key=len, reverse=True):  # longest first
                escaped = re.escape(secret)
                if len(secret) < SHORT:
                    escaped = f"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
                parts.append(escaped)
            _pattern = re.compile("|".join(parts))
        return _pattern


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by a mask."""
    pattern = _compiled()
    return text if pattern is None else pattern.sub(MASK, text)


def forget_all() -> None:
    """For tests: start from no known secrets."""
    global _pattern
    with _lock:
        _registered.clear()
        _pattern = None
