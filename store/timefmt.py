"""Relative ages ("3d ago") for RFC 3339 timestamps and monotonic instants."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_rfc3339(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def span_step(seconds: float) -> float:
    """How far apart :func:`span`'s (and :func:`ago`'s) values are at ``seconds``: where an
    age shown on screen next reads differently (the screen's clock, tui/clock.py)."""
    if seconds < 10:
        return 1.0
    if seconds < 60:
        return 5.0
    if seconds < 3600:
        return 60.0
    if seconds < 86400:
        return 3600.0
    return 86400.0


def span(seconds: float) -> str:
    """A compact duration: ``4s``, ``25s``, ``12m``, ``3h``, ``5d``, ``2y``.

    Exact to the second below 10 s, then in steps of 5 s below a minute: ages on
    screen change (and cost a repaint) at most every 5 s once they are old enough
    that the exact second no longer matters.
    """
    seconds = abs(seconds)
    if seconds < 10:
        return f"{int(seconds)}s"
    if seconds < 60:
        return f"{int(seconds) // 5 * 5}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 86400 * 365:
        return f"{int(seconds // 86400)}d"
    return f"{int(seconds // (86400 * 365))}y"


def ago(seconds: float) -> str:
    """``"just now"`` under 10 s, else ``"25s ago"``, ``"3m ago"``: for text that is
    re-rendered on the clock, where a per-second change would cost a repaint a second."""
    return "just now" if seconds < 10 else f"{span(seconds)} ago"


def since(value: str, now: datetime | None = None) -> float | None:
    """Seconds from an RFC 3339 time to now (None if unparseable)."""
    when = parse_rfc3339(value)
    if when is None:
        return None
    return max(0.0, ((now or datetime.now(UTC)) - when).total_seconds())


def age(value: str, now: datetime | None = None) -> str:
    """``"219d ago"`` for an RFC 3339 time (``"in 2h"`` for the future); ``"?"`` if unparseable."""
    when = parse_rfc3339(value)
    if when is None:
        return "?"
    delta = ((now or datetime.now(UTC)) - when).total_seconds()
    return f"{span(delta)} ago" if delta >= 0 else f"in {span(delta)}"


def clock() -> str:
    """The local wall-clock time as ``03:12``, for "since" in messages."""
    return datetime.now().strftime("%H:%M")  # naive: local time
