"""The live read's configuration, validated at start: the bridge and the refresh limits.

A value that would only fail later, mid-read (a token a header cannot carry, a URL
with a password, a timeout of ``inf``), is refused here with a message that names the
variable. ``BRIDGE_URL`` and ``BRIDGE_TOKEN`` are never repeated in a message (a URL
may carry a password); the numbers are not secret and are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cwdash.store.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_LIVE_TIMEOUT,
    DEFAULT_RATE,
    DEFAULT_ROUND_EVERY,
    SOURCES,
    ConfigError,
)
from cwdash.store.endpoint import bridge_url_problem, header_token_ok, ryzeapi_url_problem

# (lowest, highest, what the number is): beyond these a value is a typo, not a setting.
_FLOATS = {
    "CWDASH_LIVE_TIMEOUT": (DEFAULT_LIVE_TIMEOUT, 0.0, 3600.0, "a number of seconds"),
    "CWDASH_RATE": (DEFAULT_RATE, 0.0, 10_000.0, "a number of reads per second"),
    "CWDASH_ROUND_EVERY": (DEFAULT_ROUND_EVERY, 0.0, 7 * 86400.0, "a number of seconds"),
}
MAX_CONCURRENCY = 1024


def bounded_float(env: Mapping[str, str], name: str) -> float:
    """A finite number above 0 and at most a sane maximum; the default when unset."""
    default, low, high, what = _FLOATS[name]
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {raw!r}")
    if not value > low:
        raise ConfigError(f"{name} must be greater than {low:g}, got {raw!r}")
    if value > high:
        raise ConfigError(f"{name} must be at most {high:g}, got {raw!r}")
    return value


def concurrency(env: Mapping[str, str]) -> int:
    raw = env.get("CWDASH_CONCURRENCY", "").strip()
    if not raw:
        return DEFAULT_CONCURRENCY
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"CWDASH_CONCURRENCY must be a whole number, got {raw[:40]!r}") from None
    if not 1 <= value <= MAX_CONCURRENCY:
        raise ConfigError(f"CWDASH_CONCURRENCY must be from 1 to {MAX_CONCURRENCY}, got {raw[:40]!r}")
    return value


def bridge_url(env: Mapping[str, str]) -> str | None:
    """``BRIDGE_URL`` without its trailing ``/``, or None when unset. Never echoed."""
    url = (env.get("BRIDGE_URL") or "").strip().rstrip("/")
    if not url:
        return None
    problem = bridge_url_problem(url)
    if problem:
        raise ConfigError(f"{problem}; fix BRIDGE_URL (environment or .env)")
    return url


def bridge_token(env: Mapping[str, str]) -> str | None:
    """``BRIDGE_TOKEN``, or None when unset. It goes into a header: printable ASCII only.
    Never echoed."""
    token = (env.get("BRIDGE_TOKEN") or "").strip()
    if not token:
        return None
    if not header_token_ok(token):
        raise ConfigError(
            "BRIDGE_TOKEN contains spaces, control characters (a line break?) or non-ASCII "
            "characters; copy it again from RyzeAPI's server .env"
        )
    return token


def live_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The live read's fields of :class:`cwdash.store.config.Config`, validated."""
    return {
        "bridge_url": bridge_url(env),
        "bridge_token": bridge_token(env),
        "live_timeout": bounded_float(env, "CWDASH_LIVE_TIMEOUT"),
        "concurrency": concurrency(env),
        "rate": bounded_float(env, "CWDASH_RATE"),
        "round_every": bounded_float(env, "CWDASH_ROUND_EVERY"),
    }


def ryzeapi_url(env: Mapping[str, str]) -> str | None:
    """``RYZEAPI_URL`` without its trailing ``/``, or None when unset. Never echoed."""
    url = (env.get("RYZEAPI_URL") or "").strip().rstrip("/")
    if not url:
        return None
    problem = ryzeapi_url_problem(url)
    if problem:
        raise ConfigError(f"{problem}; fix RYZEAPI_URL (environment or .env)")
    return url


def ryzeapi_token(env: Mapping[str, str]) -> str | None:
    """``RYZEAPI_TOKEN`` (sent as header ``token``), or None when unset. Never echoed."""
    token = (env.get("RYZEAPI_TOKEN") or "").strip()
    if not token:
        return None
    if not header_token_ok(token):
        raise ConfigError(
            "RYZEAPI_TOKEN contains spaces, control characters (a line break?) or non-ASCII "
            "characters; copy it again from RyzeAPI"
        )
    return token


def ryzeapi_settings(env: Mapping[str, str], source: str | None = None) -> dict[str, Any]:
    """RyzeAPI's fields of :class:`cwdash.store.config.Config` and the source selection, validated.

    ``source`` (``--source``) wins over ``CWDASH_SOURCE``; a source named without its
    two variables is refused here, not at the first read."""
    reserve = None  # unset: the default, as Config says (and the module stays unloaded at start)
    if env.get("CWDASH_RYZEAPI_RESERVE", "").strip():
        from cwdash.store.ryzeapi.reserve import parse_reserve

        try:
            reserve = parse_reserve(env["CWDASH_RYZEAPI_RESERVE"])
        except ValueError as exc:
            raise ConfigError(f"CWDASH_RYZEAPI_RESERVE {exc}") from None
    settings: dict[str, Any] = {
        "ryzeapi_url": ryzeapi_url(env),
        "ryzeapi_token": ryzeapi_token(env),
        "ryzeapi_reserve": reserve,
    }
    said_as = "--source" if source else "CWDASH_SOURCE"
    chosen = (source or env.get("CWDASH_SOURCE") or "").strip().lower() or None
    if chosen is not None and chosen not in SOURCES:
        raise ConfigError(f"{said_as} must be one of {', '.join(SOURCES)}, got {chosen[:40]!r}")
    if chosen == "ryzeapi" and not (settings["ryzeapi_url"] and settings["ryzeapi_token"]):
        raise ConfigError(f"{said_as} is ryzeapi, but RYZEAPI_URL and RYZEAPI_TOKEN are not both set")
    if chosen == "bridge" and not (env.get("BRIDGE_URL", "").strip() and env.get("BRIDGE_TOKEN", "").strip()):
        raise ConfigError(f"{said_as} is bridge, but BRIDGE_URL and BRIDGE_TOKEN are not both set")
    settings["source"] = chosen
    return settings
