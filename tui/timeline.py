"""How an instance's history looks: the list's SINCE and flap cells, the detail's 24 h
strip and its last transitions, the ``c`` list's lines. Pure functions of history data
(epoch seconds, :class:`~cwdash.store.history.model.Event`-like objects), no I/O.

Everything shown is built from sanitised text (:func:`~cwdash.store.text.one_line`,
:func:`~cwdash.store.text.literal`), never markup; glyphs come from :mod:`cwdash.tui.look`
(ASCII where the terminal needs it), and the strip's glyphs differ in height, so it reads
without colour (NO_COLOR).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cwdash.store.status import ACTIVE, ERROR, GONE, PAUSED, UNKNOWN
from cwdash.store.text import literal, one_line
from cwdash.store.timefmt import span
from cwdash.tui import look

HOURS = 24.0
CELLS = 24  # the strip: one cell per hour (fits the narrowest detail)
FLAP_WINDOW = 3600.0
SHOWN_TRANSITIONS = 6
# which state a strip cell shows when several fall in its half hour: the worst
_WORST = {ERROR: 5, GONE: 4, UNKNOWN: 3, PAUSED: 2, ACTIVE: 1, "": 0}
_FIELD_WORDS = {"status": "status", "connection": "WhatsApp", "source": "source", "presence": "listed"}


class EventLike(Protocol):
    at: float
    name: str
    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time in one state (``gone`` while absent)."""

    start: float
    end: float
    status: str


def since_cell(since_at: float | None, now: float) -> str:
    """The SINCE cell: ``3m``, ``2h``, ``4d`` ('' when not known)."""
    return "" if since_at is None else span(max(0.0, now - since_at))


def flap_count(times: Iterable[float] | None, now: float) -> int:
    return 0 if times is None else sum(1 for t in times if now - t < FLAP_WINDOW)


def flap_cell(count: int) -> str:
    """The flap cell: ``↯3`` (``x3`` in ASCII); '' for none; ``↯99+`` at most."""
    if count <= 0:
        return ""
    return f"{look.G.flap}{count if count < 100 else '99+'}"


def _state(status: str) -> str:
    return status if status in _WORST else UNKNOWN


def extend(spans: Sequence[Span], events: Iterable[EventLike], status: str, now: float) -> list[Span]:
    """``spans`` (from the store) followed by ``events`` not yet written (status and
    presence changes, oldest first); the last span reaches ``now``. Without any span, the
    current ``status`` since ``now``."""
    out = list(spans)
    present = not (out and out[-1].status == GONE)
    for e in events:
        if e.field == "status":
            current = e.new
        elif e.field == "presence":
            present = e.new != "absent"
            current = out[-1].status if out and out[-1].status != GONE else status
        else:
            continue
        shown = current if present else GONE
        if out and out[-1].status == shown:
            continue
        if out:
            last = out[-1]
            out[-1] = Span(last.start, max(last.start, min(e.at, now)), last.status)
        out.append(Span(min(e.at, now), now, shown))
    if not out:
        return [Span(now, now, status)]
    last = out[-1]
    out[-1] = Span(last.start, max(now, last.start), last.status)
    return out


def strip(spans: Sequence[Span], now: float, cells: int = CELLS, hours: float = HOURS) -> list[str]:
    """The state each cell of the strip shows ('' where nothing is known), oldest first;
    the last cell is the current state."""
    start = now - hours * 3600.0
    width = hours * 3600.0 / cells
    out = [""] * cells
    for s in spans:
        first = min(cells - 1, max(0, int((s.start - start) // width)))
        last = min(cells - 1, int((min(s.end, now) - start) // width))
        state = _state(s.status)
        for i in range(first, last + 1):
            if _WORST[state] > _WORST[out[i]]:
                out[i] = state
    return out


def strip_parts(states: Sequence[str]) -> list[tuple[str, str]]:
    """The strip as (text, style) runs: one glyph per cell, consecutive cells merged."""
    glyphs = look.G.timeline
    parts: list[tuple[str, str]] = []
    for state in states:
        glyph = glyphs.get(state, glyphs[UNKNOWN])
        style = look.TIMELINE_STYLE.get(state, "bold")
        if parts and parts[-1][1] == style and parts[-1][0][-1:] == glyph:
            parts[-1] = (parts[-1][0] + glyph, style)
        else:
            parts.append((glyph, style))
    return parts


def clock_time(at: float) -> str:
    """``14:02:11``, local time (the date too when not today)."""
    here = time.localtime(at)
    if time.strftime("%Y-%m-%d", here) == time.strftime("%Y-%m-%d", time.localtime(time.time())):
        return time.strftime("%H:%M:%S", here)
    return time.strftime("%m-%d %H:%M", here)


def describe(e: EventLike, *, limit: int = 60) -> str:
    """``status active → error``: one transition in words (literal values)."""
    if e.field == "last_error":
        return "error text " + (f"{look.G.arrow} {one_line(e.new, limit)}" if e.new else "cleared")
    word = _FIELD_WORDS.get(e.field, one_line(e.field, 20))
    old, new = one_line(e.old, 30) or look.G.dash, one_line(e.new, 30) or look.G.dash
    return f"{word} {old} {look.G.arrow} {new}"


def transitions(
    events: Sequence[EventLike], shown: int = SHOWN_TRANSITIONS
) -> list[list[tuple[str, str] | str]]:
    """The detail's last transitions, newest first: time, what changed, and the error text
    it came with (literal); error-text changes that came with another change are folded in."""
    errors = {(e.at, e.name): e.new for e in events if e.field == "last_error"}
    moves = [e for e in events if e.field != "last_error"]
    alone = [e for e in events if e.field == "last_error" and not any(m.at == e.at for m in moves)]
    picked = sorted([*moves, *alone], key=lambda e: e.at)[-shown:]
    lines: list[list[tuple[str, str] | str]] = []
    for e in reversed(picked):
        parts: list[tuple[str, str] | str] = [(clock_time(e.at), "dim"), "  ", describe(e)]
        text = errors.get((e.at, e.name), "") if e.field != "last_error" else ""
        if text:
            parts.append((f": {literal(text, limit=300)}", "red"))
        lines.append(parts)
    return lines


@dataclass(frozen=True, slots=True)
class Change:
    """One instance in the ``c`` list: what changed since you last looked."""

    name: str
    what: str  # first old → last new of its most telling field
    count: int
    last_at: float
    error: str
    key: str = ""  # its row's key ("" : the name), where Enter goes
    site: str = ""  # named in the line with several sites


_TELLING = ("status", "connection", "presence", "source", "last_error")


def summarise(events: Iterable[EventLike], errors: dict[str, str] | None = None) -> list[Change]:
    """One :class:`Change` per instance, the most recent first."""
    by_name: dict[str, list[EventLike]] = {}
    for e in sorted(events, key=lambda e: e.at):
        by_name.setdefault(e.name, []).append(e)
    out = []
    for name, evs in by_name.items():
        field = next(f for f in _TELLING if any(e.field == f for e in evs))
        mine = [e for e in evs if e.field == field]
        first, last = mine[0], mine[-1]
        if field == "last_error":
            what = describe(last, limit=40)
        else:
            word = _FIELD_WORDS.get(field, field)
            old, new = one_line(first.old, 30) or look.G.dash, one_line(last.new, 30) or look.G.dash
            what = f"{word} {old} {look.G.arrow} {new}"
        count = sum(1 for e in evs if e.field != "last_error") or len(evs)
        error = (errors or {}).get(name, "")
        out.append(Change(name, what, count, evs[-1].at, error))
    out.sort(key=lambda c: -c.last_at)
    return out


def change_line(change: Change, now: float) -> str:
    """One line of the ``c`` list (sanitised: shown as it is)."""
    times = f"{change.count} changes" if change.count > 1 else "1 change"
    error = f"  {one_line(change.error, 80)}" if change.error else ""
    who = one_line(change.name, 40)
    if change.site:
        who = f"{one_line(change.site, 20)}/{who}"
    return f"{who}  {change.what}  ({times}, last {span(max(0.0, now - change.last_at))} ago){error}"
