"""The two-line header: counts by status, the gateway and its last answer, the view in force.

Counting is a pass over every row, so the counts are recomputed at most once a tick
and only when rows changed (:meth:`SummaryBar.mark_changed`); the widget repaints only
when its text differs, and never asks for a layout pass (its height is fixed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from cwdash.store.config import NOT_CONFIGURED_HINT
from cwdash.store.endpoint import display_url
from cwdash.store.fleet import Counts, Fleet, FleetRow, Tally
from cwdash.store.refresh import REFUSING, RefreshScheduler
from cwdash.store.status import ACTIVE, ERROR, GONE, NO_INTEGRATION, PAUSED
from cwdash.store.text import one_line
from cwdash.store.timefmt import ago, clock
from cwdash.tui import look

if TYPE_CHECKING:
    from textual.widget import Widget

NARROW = 100  # columns: below this the header uses its short words


class LiveState:
    """What the header says about the live reads; ``None`` when no gateway is configured."""

    __slots__ = ("extra", "label", "last_answer", "paused", "url")

    def __init__(
        self,
        url: str,
        last_answer: float | None = None,
        paused: bool = False,
        label: str = "gateway",  # how the header names the live source ("RyzeAPI")
        extra: Callable[[bool], Text] | None = None,  # more after the last answer (the budget: tui/budget.py)
    ) -> None:
        self.url = url
        self.last_answer = last_answer
        self.paused = paused
        self.label = label
        self.extra = extra


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
        self._tally: Tally | None = None  # the counts, kept up to date by recount()
        self._text: Text | None = None

    @property
    def counts(self) -> Counts | None:
        """The counts last shown (None before the first)."""
        return self._counts

    def mark_changed(self, *, rows: bool = False, site: str | None = None) -> None:
        """Something shown changed; ``rows``: the counts must be taken again too (``site``:
        only that site's rows changed, see SitesSummary)."""
        self._dirty = True
        if rows:
            self._counts_dirty = True

    def on_resize(self) -> None:
        """The words depend on the width (short below :data:`NARROW`; each site's counts
        as wide as fit): written again at once, not at the next tick, which a paused clock
        or an open dialog puts off for seconds (tmux showed the 200-column words cut at 80)."""
        self.mark_changed()
        self.update_summary()

    def recount(self, row: FleetRow, n: int, site: str = "") -> None:
        """Count ``row`` out (``n`` -1, before a live result changes it) or in again (``n``
        1, after): a live round then costs the counts two steps per result, not a pass
        over every row per tick. Nothing to do while a full count is due anyway."""
        self._dirty = True
        if not self._counts_dirty and self._tally is not None:
            self._tally.add(row, n)

    def take_counts(self) -> Counts:
        """The counts now: a pass over every row when marked changed, else the tally's."""
        if self._tally is None or self._counts_dirty:
            self._tally = self.fleet.tally()  # a pass over every site's columns: at most once a tick
            self._counts_dirty = False
        return self._tally.counts()

    def update_summary(self) -> None:
        """Repaint if anything was marked changed since the last call."""
        if not self._dirty:
            return
        self._dirty = False
        self._counts = self.take_counts()
        text = self._text_for(self._counts)
        if text != self._text:
            self._text = text
            self.update(text, layout=False)  # a fixed two-line header: no reflow

    def _text_for(self, c: Counts) -> Text:
        live = self.live
        text = Text(no_wrap=True, overflow="crop" if look.G.ascii else "ellipsis")
        text.append(self.title_text, style="bold")
        text.append("  ")
        g = look.G
        dot = f" {g.sep} "
        if not self.loaded:
            text.append(f"loading {self.expected:,} instances{g.ellipsis}", style="dim")
        else:
            narrow = self.app.size.width < NARROW

            def count(state: str, number: int, style: str, word: str | None = None) -> None:
                glyph, _, label = look.state_label(state).partition(" ")
                text.append(f"{glyph} {number:,} {word or label}", style=style)
                text.append(" " if narrow else "  ")

            count(ACTIVE, c.active, "green")
            count(PAUSED, c.paused, "yellow")
            count(ERROR, c.error, "bold red" if c.error else "")
            count(NO_INTEGRATION, c.no_integration, "dim")
            if c.number_offline:
                text.append(
                    f"{look.G.warn} {c.number_offline:,} {'offline' if narrow else 'number offline'}",
                    style="bold red",
                )
                text.append(" " if narrow else "  ")
            if c.gone:
                count(GONE, c.gone, "bold magenta")
            if live is not None and c.not_live:
                text.append(f"{c.not_live:,} {'unread' if narrow else 'not read yet'}", style="dim")
            text.rstrip()
        text.append("\n")
        # What the list is showing comes first on the second line, so a narrow header that
        # cuts the line's end never hides that reads are paused or the list is filtered.
        view = []
        fleet = self.fleet
        if fleet.attention_only:
            view.append("attention only")
        if fleet.filter_text:
            view.append(f"filter {one_line(fleet.filter_text, 30)!r}")
        if view or len(fleet.view) != len(fleet.rows):
            view.append(f"{len(fleet.view):,}/{len(fleet.rows):,} shown")
        if live is not None and live.paused:
            text.append("PAUSED (p resumes)", style="bold yellow")
            text.append(dot)
        if view:
            text.append(", ".join(view), style="cyan")
            text.append(dot)
        if live is None:
            text.append("gateway not configured", style="bold yellow")
            text.append(f"{dot}showing local data", style="dim")
        else:
            text.append(f"{live.label} ", style="dim")
            text.append(one_line(display_url(live.url), 60))
            if live.extra is not None:  # before the rest: what a narrow header keeps
                text.append_text(live.extra(self.app.size.width < NARROW))
            if live.last_answer is not None:
                text.append(f"{dot}last live answer {ago(time.monotonic() - live.last_answer)}", style="dim")
            elif c.failing:
                text.append(f"{dot}no live answer yet", style="bold red")  # answers came: all failures
            else:
                text.append(f"{dot}no answer yet", style="yellow")
            if c.failing:
                text.append(f"{dot}{c.failing:,} failing", style="bold red")
        return text


def fleet_down(c: Counts, since: str, scheduler: RefreshScheduler | None = None) -> str:
    """One line when most reads fail the same way, and the way is the gateway's (it is
    unreachable, refuses the credential, times out...), else "". Worded by the failing
    source (``failure.title`` and ``hint``): "bridge unreachable since 03:12 — ..."."""
    failure = c.top_failure
    if failure is None or failure.reason not in REFUSING:
        return ""
    if c.read < min(3, c.total) or 2 * c.top_failing <= c.read:
        return ""
    line = (
        f"{failure.title} since {since} {look.G.dash} {c.top_failing:,} of {c.read:,} reads; {failure.hint}"
    )
    if scheduler is not None and scheduler.backing_off:
        line += "; reading less often until one gets through (r: try now)"
    return line


class FleetDown:
    """The banner's "since": when most reads started failing the same way."""

    def __init__(self) -> None:
        self.since: str | None = None

    def line(self, counts: Counts | None, scheduler: RefreshScheduler | None) -> str:
        if counts is None:
            return ""
        since = self.since or clock()
        line = fleet_down(counts, since, scheduler)
        self.since = since if line else None
        return line


def banner_line(
    *,
    store_problem: str | None,
    unsaved: str,
    gateway_configured: bool,
    readonly: bool,
    fleet_down: str = "",
) -> Text:
    """The banner's line: what stands in the way, the first that applies ("" when none does)."""
    text = Text()
    dash = f" {look.G.dash} "
    if store_problem:
        text.append(f"store: {one_line(store_problem, 300)}", style="bold")
    elif fleet_down:
        text.append(one_line(fleet_down, 400), style="bold")
    elif unsaved:
        text.append(one_line(unsaved, 300), style="bold")
        text.append(f"{dash}the list and the live state are unaffected")
    elif not gateway_configured:
        text.append("integration gateway not configured", style="bold")
        text.append(f"{dash}{NOT_CONFIGURED_HINT} (environment or .env); local data shown, marked local")
    elif readonly:
        text.append("store is read-only", style="bold")
        text.append(f"{dash}reading works; backfills and the token audit cannot be saved")
    return text


class Banner(Static):
    """The line under the header for what stands in the way (:func:`banner_line`); hidden
    when nothing does."""

    def show(self, text: Text) -> None:
        if text.plain != getattr(self, "_shown_text", None):  # checked every tick: no repaint when the same
            self._shown_text = text.plain
            self.update(text)
            self.display = bool(text.plain)


class BannerSlot:
    """The banner's place under the header: the :class:`Banner` is mounted there the first
    time it has a line to show. Hidden, as it is at almost every start, it would still be
    styled and laid out before the first paint (about 3M instructions at 100k)."""

    def __init__(self, screen: Widget, after: Widget) -> None:
        self.screen = screen
        self.after = after
        self.widget: Banner | None = None

    def show_first(
        self,
        *,
        store_problem: str | None,
        unsaved: str,
        gateway_configured: bool,
        readonly: bool,
        fleet_down: str = "",
    ) -> None:
        """Show :func:`banner_line`, mounting the banner the first time it has a line."""
        text = banner_line(
            store_problem=store_problem,
            unsaved=unsaved,
            gateway_configured=gateway_configured,
            readonly=readonly,
            fleet_down=fleet_down,
        )
        if self.widget is None:
            if not text.plain:
                return  # nothing to say: as the hidden banner would be
            self.widget = Banner(id="banner", markup=False)
            self.screen.mount(self.widget, after=self.after)
        self.widget.show(text)
