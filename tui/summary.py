"""The two-line header: counts by status, the gateway and its last answer, the view in force.

Counting is a pass over every row, so the counts are recomputed at most once a tick
and only when rows changed (:meth:`SummaryBar.mark_changed`); the widget repaints only
when its text differs, and never asks for a layout pass (its height is fixed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from cwdash.store.config import NOT_CONFIGURED_HINT
from cwdash.store.endpoint import display_url
from cwdash.store.fleet import Counts, Fleet
from cwdash.store.text import one_line
from cwdash.store.timefmt import ago

NARROW = 100  # columns: below this the header uses its short words


@dataclass
class LiveState:
    """What the header says about the live reads; ``None`` when no gateway is configured."""

    url: str
    last_answer: float | None = None
    paused: bool = False
    label: str = "gateway"  # how the header names the live source ("RyzeAPI")
    extra: Callable[[bool], Text] | None = None  # more after the last answer (the budget: tui/budget.py)


class SummaryBar(Static):
    """The header. ``title`` is the app's title; ``live`` is None without a gateway."""

    def __init__(self, fleet: Fleet, title: str, live: LiveState | None, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.fleet = fleet
        self.title_text = title
        self.live = live
        self.loaded = False
        self.expected = 0
        self._dirty = True
        self._counts: Counts | None = None
        self._counts_dirty = True
        self._text: Text | None = None

    def mark_changed(self, *, rows: bool = False) -> None:
        """Something shown changed; ``rows``: the counts must be taken again too."""
        self._dirty = True
        if rows:
            self._counts_dirty = True

    def update_summary(self) -> None:
        """Repaint if anything was marked changed since the last call."""
        if not self._dirty:
            return
        self._dirty = False
        if self._counts is None or self._counts_dirty:
            self._counts = self.fleet.counts()  # a pass over every row: at most once a tick
            self._counts_dirty = False
        text = self._text_for(self._counts)
        if text != self._text:
            self._text = text
            self.update(text, layout=False)  # a fixed two-line header: no reflow

    def _text_for(self, c: Counts) -> Text:
        live = self.live
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.title_text, style="bold")
        text.append("  ")
        if not self.loaded:
            text.append(f"loading {self.expected:,} instances…", style="dim")
        else:
            narrow = self.app.size.width < NARROW
            text.append(f"● {c.active:,} active", style="green")
            text.append("  ")
            text.append(f"◐ {c.paused:,} paused", style="yellow")
            text.append("  ")
            text.append(f"✖ {c.error:,} error", style="bold red" if c.error else "")
            text.append("  ")
            text.append(f"○ {c.no_integration:,} {'none' if narrow else 'no integration'}", style="dim")
            if c.number_offline:
                text.append("  ")
                text.append(
                    f"⚠ {c.number_offline:,} {'offline' if narrow else 'number offline'}", style="bold red"
                )
            if c.gone:
                text.append("  ")
                text.append(f"⊘ {c.gone:,} gone", style="bold magenta")
            if live is not None:
                text.append("  ")
                text.append(f"… {c.not_live:,} {'not live' if narrow else 'not read live yet'}", style="dim")
        text.append("\n")
        if live is None:
            text.append("gateway not configured", style="bold yellow")
            text.append(" · showing local data", style="dim")
        else:
            text.append(f"{live.label} ", style="dim")
            text.append(one_line(display_url(live.url), 60))
            if live.extra is not None:  # before the rest: what a narrow header keeps
                text.append_text(live.extra(self.app.size.width < NARROW))
            if live.last_answer is None:
                text.append(" · no answer yet", style="yellow")
            else:
                text.append(f" · last answer {ago(time.monotonic() - live.last_answer)}", style="dim")
            if c.failing:
                text.append(f" · {c.failing} failing", style="bold red")
            if live.paused:
                text.append(" · PAUSED (p resumes)", style="bold yellow")
        view = []
        fleet = self.fleet
        if fleet.attention_only:
            view.append("attention only")
        if fleet.filter_text:
            view.append(f"filter {one_line(fleet.filter_text, 30)!r}")
        if view or len(fleet.view) != len(fleet.rows):
            view.append(f"{len(fleet.view):,}/{len(fleet.rows):,} shown")
        if view:
            text.append(" · " + ", ".join(view), style="cyan")
        return text


class Banner(Static):
    """The line under the header for what stands in the way, the first that applies: the
    store, failing backfills, no gateway, a read-only store; hidden when none does."""

    def show_first(
        self, *, store_problem: str | None, unsaved: str, gateway_configured: bool, readonly: bool
    ) -> None:
        text = Text()
        if store_problem:
            text.append(f"store: {one_line(store_problem, 300)}", style="bold")
        elif unsaved:
            text.append(one_line(unsaved, 300), style="bold")
            text.append(" — the list and the live state are unaffected")
        elif not gateway_configured:
            text.append("integration gateway not configured", style="bold")
            text.append(f" — {NOT_CONFIGURED_HINT} (environment or .env); local data shown, marked local")
        elif readonly:
            text.append("store is read-only", style="bold")
            text.append(" — reading works; backfills and the token audit cannot be saved")
        self.update(text)
        self.display = bool(text.plain)
