"""Frame pacing: a key's repaint waits at most one short frame gap, never two frames.

Textual paints a screen from a timer on a fixed grid of 1/60 s. When the timer is
resumed after a pause (a paint is wanted), it ticks at once, but the grid then skips
to the second grid point from that moment: the next frame waits between one and two
periods, up to 33 ms. During a live round the screen paints a few times a second
(results, the clock), so a key pressed just after such a paint waited for that second
grid point: the tail of "key to repaint" (bench/run.py) was this wait, not the work.

:class:`FrameTimer` keeps Textual's contract (the callback runs while the timer is
resumed; paints coalesce while it waits) with one rule instead of a grid: a frame
starts no sooner than ``gap`` after the previous one, and at once when the previous one
is older. Private Textual (``Screen._update_timer``, ``Timer._run``, ``_active``,
``_tick``): tests/dashboard/test_textual_private.py fails loudly if an upgrade changes it.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from textual import _time
from textual._context import NoActiveAppError
from textual.timer import EventTargetGone, Timer

if TYPE_CHECKING:
    from collections.abc import Callable

    from cwdash.tui.clock import ScreenClock

FRAME_GAP = 1 / 120  # seconds: the shortest time between two frames of the dashboard


class FrameTimer(Timer):
    """A repeating timer for paints: at most one tick per ``interval``, as soon as allowed."""

    async def _run(self) -> None:
        last = -math.inf
        count = 0
        while True:
            await self._active.wait()
            wait = last + self._interval - _time.get_time()
            if wait > 0:
                await asyncio.sleep(wait)
                await self._active.wait()  # a layout pass may have painted meanwhile
            last = _time.get_time()
            count += 1
            try:
                await self._tick(next_timer=last, count=count)
            except (EventTargetGone, NoActiveAppError):
                break


class FramePacing:
    """Screen mixin (before ``Screen`` in the bases): Textual's paint timer is a :class:`FrameTimer`;
    after each frame the screen's ``clock`` (tui/clock.py), if any, looks at what changed."""

    _frame_timer: Timer | None = None
    clock: ScreenClock | None = None
    _timers: set[Timer]
    _on_timer_update: Callable[[], None]

    @property
    def _update_timer(self) -> Timer:
        if self._frame_timer is None:
            timer = FrameTimer(
                self,  # type: ignore[arg-type]
                FRAME_GAP,
                name="screen_update",
                callback=self._frame,
                pause=True,
            )
            timer._start()
            self._timers.add(timer)
            self._frame_timer = timer
        return self._frame_timer

    def _frame(self) -> None:
        self._on_timer_update()
        if self.clock is not None:
            self.clock.after_frame()
