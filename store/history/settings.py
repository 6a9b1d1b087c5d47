"""History and alert settings from the configuration's variables, validated at start."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DAYS = 30.0
DEFAULT_CAP = 200  # events kept per instance at most: a flapping 10% of 100k stays near 340 MB
DEFAULT_UNREACHABLE_AFTER = 60.0  # seconds of failing live reads before an alert


@dataclass(frozen=True, slots=True)
class HistorySettings:
    days: float = DEFAULT_DAYS  # 0: history off
    cap: int = DEFAULT_CAP
    unreachable_after: float = DEFAULT_UNREACHABLE_AFTER

    @property
    def enabled(self) -> bool:
        return self.days > 0

    @property
    def window(self) -> float:
        """Seconds of history kept."""
        return self.days * 86400.0


def _number(env: Mapping[str, str], name: str, default: float, high: float) -> float:
    from cwdash.store.config import ConfigError

    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw[:40]!r}") from None
    if not math.isfinite(value) or value < 0 or value > high:
        raise ConfigError(f"{name} must be from 0 to {high:g}, got {raw[:40]!r}")
    return value


def history_settings(env: Mapping[str, str]) -> HistorySettings:
    """``CWDASH_HISTORY_DAYS`` (0 turns history off), ``CWDASH_HISTORY_CAP`` (events per
    instance) and ``CWDASH_ALERT_UNREACHABLE_AFTER`` (seconds)."""
    cap = _number(env, "CWDASH_HISTORY_CAP", DEFAULT_CAP, 1_000_000)
    return HistorySettings(
        days=_number(env, "CWDASH_HISTORY_DAYS", DEFAULT_DAYS, 3650),
        cap=max(1, int(cap)),
        unreachable_after=_number(env, "CWDASH_ALERT_UNREACHABLE_AFTER", DEFAULT_UNREACHABLE_AFTER, 86400),
    )
