"""The share of a RyzeAPI token's rate window left to its other users (``CWDASH_RYZEAPI_RESERVE``).

Apart from the pacer so that reading the configuration stays cheap (no asyncio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reserve:
    """How much of each window is left to the token's other users: a percentage of the
    limit, or a number of requests. Never the whole window: one request is always ours."""

    percent: float | None = 10.0
    count: int | None = None

    def of(self, limit: int) -> int:
        wanted = self.count if self.count is not None else math.ceil(limit * (self.percent or 0.0) / 100)
        return max(0, min(wanted, limit - 1))

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}%"


DEFAULT_RESERVE = Reserve()


def parse_reserve(text: str) -> Reserve:
    """``"10%"`` or ``"5"``; ValueError with the reason (the caller names the variable)."""
    raw = text.strip()
    if not raw:
        return DEFAULT_RESERVE
    try:
        if raw.endswith("%"):
            percent = float(raw[:-1])
            if not 0 <= percent < 100 or not math.isfinite(percent):
                raise ValueError
            return Reserve(percent=percent)
        count = int(raw)
        if not 0 <= count <= 1_000_000:
            raise ValueError
        return Reserve(percent=None, count=count)
    except ValueError:
        raise ValueError(
            f"must be a percentage of the limit below 100% (like 10%) or a number of requests, got {raw[:40]!r}"
        ) from None
