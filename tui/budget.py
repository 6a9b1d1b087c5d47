"""The dashboard on RyzeAPI's own API: the token's rate budget bounds the live reads.

RyzeAPI allows a token about 100 requests a minute, shared with its other users, so the
bridge's schedule (the selected row every 3 s, the rows on screen every 15 s, the whole
fleet every 2 minutes at 20 reads a second) cannot hold. :class:`BudgetGovernor` re-plans
it from what the pacer (:mod:`cwdash.store.ryzeapi.pacer`) last heard:

- reads start at the budget's pace, ``(limit - reserve) / window`` a second, less the
  instance listing's share (:mod:`cwdash.tui.connections`), so a fleet round takes as long
  as the budget says and the server never sees more than the limit minus the reserve;
- the selected row may take a fifth of that, the rows on screen three tenths, the round
  the rest (the selected and visible reads count for the round too);
- while the budget is spent (someone else used it, or a 429), the rows on screen and the
  round wait for the reset; the selected row still asks, at the front of the pacer's queue
  (:class:`Prioritised` gives every read its priority), and says why it waits.

The header (:func:`budget_text`) shows the budget left, its reset and the round's ETA.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from rich.text import Text

from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.outcome import LiveOutcome
from cwdash.store.timefmt import span
from cwdash.tui import look
from cwdash.tui.summary import LiveState

if TYPE_CHECKING:
    from cwdash.store.config import Config
    from cwdash.store.refresh import RefreshScheduler, RefreshSettings
    from cwdash.store.ryzeapi.pacer import Budget
    from cwdash.store.sources.ryzeapi import RyzeApiSource
    from cwdash.tui.feed import LiveFeed

ASSUMED_LIMIT, ASSUMED_WINDOW = 100, 60.0  # RyzeAPI's documented budget, until an answer says
SELECTED_SHARE, VISIBLE_SHARE = 0.2, 0.3
REPLAN_EVERY = 1.0  # seconds


class Prioritised(LiveSource):
    """RyzeAPI's source, each read given its priority in the pacer's queue: the selected
    instance first, the rows on screen next, the round last."""

    def __init__(self, source: RyzeApiSource, scheduler: RefreshScheduler) -> None:
        self.source = source
        self.scheduler = scheduler
        self.wording = source.wording  # type: ignore[misc]  # the source's words, per instance
        self._visible: tuple[object, frozenset[str]] = ((), frozenset())
        # the pacer's levels, loaded with RyzeAPI (not at start-up) and kept for every read
        from cwdash.store.ryzeapi.pacer import PRIORITY_BACKGROUND, PRIORITY_SELECTED, PRIORITY_VISIBLE

        self._levels = (PRIORITY_SELECTED, PRIORITY_VISIBLE, PRIORITY_BACKGROUND)

    def priority(self, name: str) -> int:
        scheduler = self.scheduler
        selected, visible_level, background = self._levels
        if name == scheduler.selected:
            return selected
        visible = scheduler.visible
        if self._visible[0] is not visible:  # a new tuple each tick: a set once per tick
            self._visible = (visible, frozenset(visible))
        return visible_level if name in self._visible[1] else background

    async def read(self, target: LiveTarget) -> LiveOutcome:
        return await self.source.read(target, priority=self.priority(target.instance_name))

    async def aclose(self) -> None:
        await self.source.aclose()


class BudgetGovernor:
    """Re-plans the scheduler's pace from the budget (on the feed's loop, where the
    scheduler asks :meth:`hold`), and holds the rows on screen and the round while it is spent."""

    def __init__(
        self,
        source: RyzeApiSource,
        scheduler: RefreshScheduler,
        base: RefreshSettings,
        *,
        listing_every: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.scheduler = scheduler
        self.base = base
        self.listing_every = listing_every
        self.clock = clock
        self.rate = 0.0
        self._planned_at: float | None = None
        self.plan()

    def hold(self) -> float:
        """Seconds the rows on screen and the round must wait (0: they may go)."""
        now = self.clock()
        if self._planned_at is None or now - self._planned_at >= REPLAN_EVERY:
            self.plan()
        return self.source.api.pacer.wait_needed()

    def plan(self) -> None:
        """The scheduler's settings for the budget as last heard."""
        self._planned_at = self.clock()
        pacer = self.source.api.pacer
        budget = pacer.budget()
        limit = budget.limit or ASSUMED_LIMIT
        window = budget.window if budget.limit else ASSUMED_WINDOW
        share = max(1, limit - pacer.reserve.of(limit))
        # the instance listing's share: one a round, at most one every ``listing_every``
        listings = math.ceil(window / max(1.0, self.listing_every, self.base.round_every))
        rate = max(0.01, (share - listings) / window) if share > listings else share / window / 2
        scheduler = self.scheduler
        names = len(scheduler.names)
        visible = max(1, len(scheduler.visible))
        base = self.base
        self.rate = min(base.rate, rate)
        scheduler.settings = base._replace(
            rate=self.rate,
            selected_every=max(base.selected_every, 1 / (self.rate * SELECTED_SHARE)),
            visible_every=max(base.visible_every, visible / (self.rate * VISIBLE_SHARE)),
            round_every=max(base.round_every, names / self.rate),
        )

    def round_eta(self) -> float:
        """Seconds until every instance of this round has been read, at this budget."""
        return self.source.budget.eta(self.scheduler.round_left, 1 / self.rate if self.rate else 1.0)


def budget_text(governor: BudgetGovernor, *, narrow: bool) -> Text:
    """The header's budget segment: left, reset, the round's ETA, or why reads wait."""
    budget: Budget = governor.source.budget
    text = Text()
    if budget.limit is None:
        text.append(f" {look.G.sep} budget not known yet", style="dim")
        return text
    left = budget.left_for_us or 0
    text.append(f" {look.G.sep} budget ", style="dim")
    text.append(f"{left}/{budget.limit}", style="bold yellow" if left == 0 else "")
    if not narrow:
        text.append(f" ({budget.reserve} kept)", style="dim")
    if budget.resets_in is not None:
        text.append(f", {'reset' if narrow else 'resets in'} {span(budget.resets_in)}", style="dim")
    if budget.waiting_until is not None:
        wait = max(0.0, budget.waiting_until - budget.now)
        text.append(f" {look.G.sep} waiting {span(wait)}", style="bold yellow")
        if not narrow and budget.waiting_because:
            text.append(f": {budget.waiting_because}", style="yellow")
        return text
    left_in_round = governor.scheduler.round_left
    if left_in_round:
        text.append(
            f" {look.G.sep} {'ETA' if narrow else 'round ETA'} {span(governor.round_eta())}", style="dim"
        )
    return text


def budget_for(
    feed: LiveFeed | None, source: LiveSource | None, listing_every: float
) -> BudgetGovernor | None:
    """With RyzeAPI as the live source, the governor of the feed's schedule (installed on the
    feed: the scheduler's hold, reads with priorities); None for any other source."""
    if feed is None or source is None or not source.has_budget:
        return None  # decided without importing RyzeAPI's modules: most starts don't need them
    ryzeapi = cast("RyzeApiSource", source)
    scheduler = feed.scheduler
    governor = BudgetGovernor(ryzeapi, scheduler, scheduler.settings, listing_every=listing_every)
    scheduler.hold = governor.hold
    feed.reader_source = Prioritised(ryzeapi, scheduler)
    return governor


def live_state(config: Config, governor: BudgetGovernor | None) -> LiveState:
    """What the header says of the live source: its name, its URL, and with RyzeAPI the budget."""
    if config.live_source_name == "ryzeapi":
        extra = None if governor is None else (lambda narrow: budget_text(governor, narrow=narrow))
        return LiveState(config.ryzeapi_url or "", label="RyzeAPI", extra=extra)
    return LiveState(config.bridge_url or "")
