"""``cwdash check``'s rules, without I/O: the categories, the thresholds and the plugin line.

Thresholds follow the monitoring-plugin convention: a category *exceeds* a threshold when
its count is greater than it (``--warn 1`` warns at 2). A threshold is a count (``5``) or
a share of the instances checked (``10%``); one value applies to every category, and
``CATEGORY=VALUE`` items set one category: ``--warn 0,disconnected=10%`` warns on any
error or unreachable instance, and on more than 10% disconnected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

ERROR, DISCONNECTED, UNREACHABLE = "error", "disconnected", "unreachable"
CATEGORIES = (ERROR, DISCONNECTED, UNREACHABLE)
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
WORDS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}


class ThresholdError(ValueError):
    """A ``--warn``/``--crit`` value cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class Threshold:
    value: float
    percent: bool = False

    def limit(self, total: int) -> float:
        """The count the threshold stands for among ``total`` instances."""
        return self.value * total / 100.0 if self.percent else self.value

    def text(self, total: int) -> str:
        return f"{round(self.limit(total), 2):g}"


Thresholds = dict[str, Threshold]


def _threshold(text: str, option: str) -> Threshold:
    raw = text.strip()
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    try:
        value = float(number)
    except ValueError:
        raise ThresholdError(f"{option}: {text[:40]!r} is not a number or a percentage") from None
    if not math.isfinite(value) or value < 0 or (percent and value > 100):
        raise ThresholdError(f"{option}: {text[:40]!r} must be from 0 (or 0% to 100%)")
    return Threshold(value, percent)


def parse_thresholds(spec: str | None, option: str) -> Thresholds:
    """``1``, ``10%``, ``error=1,disconnected=10%`` or a mix (the plain value for the
    categories not named)."""
    if spec is None:
        return {}
    every: Threshold | None = None
    named: Thresholds = {}
    for item in spec.split(","):
        if not item.strip():
            raise ThresholdError(f"{option}: empty item in {spec[:60]!r}")
        category, sep, value = item.partition("=")
        if not sep:
            every = _threshold(item, option)
            continue
        category = category.strip().lower()
        if category not in CATEGORIES:
            raise ThresholdError(
                f"{option}: unknown category {category[:30]!r} (one of {', '.join(CATEGORIES)})"
            )
        named[category] = _threshold(value, option)
    if every is not None:
        for category in CATEGORIES:
            named.setdefault(category, every)
    return named


@dataclass
class Tally:
    """Counts of the instances checked; one instance may be in several categories."""

    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    ok: int = 0

    def add(self, categories: tuple[str, ...]) -> None:
        self.total += 1
        if not categories:
            self.ok += 1
        for category in categories:
            self.counts[category] += 1


def verdict(tally: Tally, warn: Thresholds, crit: Thresholds) -> int:
    def exceeded(limits: Thresholds) -> bool:
        return any(tally.counts[c] > t.limit(tally.total) for c, t in limits.items())

    return CRITICAL if exceeded(crit) else WARNING if exceeded(warn) else OK


def plugin_line(code: int, tally: Tally, warn: Thresholds, crit: Thresholds) -> str:
    """``CWDASH OK - 98 ok, 2 error, ... | error=2;1;5;0;100 ... ok=98`` (Nagios perfdata:
    label=value;warn;crit;min;max, thresholds as counts)."""
    counts = tally.counts
    summary = f"{tally.ok} ok, " + ", ".join(f"{counts[c]} {c}" for c in CATEGORIES)
    perf = []
    for c in CATEGORIES:
        w = warn[c].text(tally.total) if c in warn else ""
        k = crit[c].text(tally.total) if c in crit else ""
        perf.append(f"{c}={counts[c]};{w};{k};0;{tally.total}")
    perf.append(f"ok={tally.ok}")
    return f"CWDASH {WORDS[code]} - {summary} | {' '.join(perf)}"


def unknown_line(reason: str) -> str:
    return f"CWDASH UNKNOWN - {reason}"
