"""The pacer: every request to RyzeAPI asks it first, and every answer tells it the budget.

RyzeAPI allows a token 100 requests a minute, shared by everyone using that token, and
says where it stands on every answer (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` in
Unix seconds). The pacer schedules from those numbers, not from a guess of its own:

- a request goes while ``remaining - reserve - in flight > 0``; the reserve
  (``CWDASH_RYZEAPI_RESERVE``, 10% of the limit by default) is left to the token's other
  users (a colleague's dashboard, a script);
- when that is used up, requests wait for the reset (read on the server's clock: the
  ``Date`` header gives the offset between the clocks);
- after a reset, or before the first answer, one request goes alone (a probe) and its
  answer says what the new window holds, so a budget emptied by someone else costs at
  most that one request a 429;
- a 429 blocks until the reset; the request that got it is tried once more after it, by
  the caller, never in a loop.

Waiters are served by priority (the dashboard's selected instance before the rows on
screen before the rest), then in arrival order. :meth:`Pacer.budget` is a snapshot for
the CLI's progress line and the dashboard's header: the budget left, the reset, and
why a request is waiting. The clock and the sleep are injectable for tests.

One pacer per RyzeAPI URL and token in a process (:func:`shared`): sync and the
dashboard's live source then count against one budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from cwdash.store.ryzeapi.reserve import DEFAULT_RESERVE, Reserve, parse_reserve

DEFAULT_WINDOW = 60.0  # seconds, until the answers say otherwise
MARGIN = 0.25  # seconds past the reset before the next probe: the server's reset must have happened
PRIORITY_SELECTED, PRIORITY_VISIBLE, PRIORITY_BACKGROUND = 0, 1, 2
__all__ = ["DEFAULT_RESERVE", "Budget", "Pacer", "PacerBusy", "Reserve", "parse_reserve", "shared"]


class PacerBusy(Exception):
    """The budget is used up for longer than the caller can wait."""

    def __init__(self, wait: float, because: str) -> None:
        super().__init__(because)
        self.wait = wait
        self.because = because


@dataclass(frozen=True, slots=True)
class Budget:
    """Where the token's budget stands, as the last answers said (None: not known yet)."""

    now: float
    limit: int | None
    remaining: int | None
    reserve: int
    reset_at: float | None  # on this machine's clock
    window: float
    waiting_until: float | None
    waiting_because: str
    requests: int
    limited: int  # 429s seen
    others_used: int  # requests of the token's other users seen this window (a lower bound)

    @property
    def left_for_us(self) -> int | None:
        if self.remaining is None:
            return None
        return max(0, self.remaining - self.reserve)

    @property
    def resets_in(self) -> float | None:
        return None if self.reset_at is None else max(0.0, self.reset_at - self.now)

    def describe(self) -> str:
        """One line: "budget 81/100 left (10 kept for other users), resets in 23 s"."""
        if self.limit is None:
            return "budget not known yet"
        remaining = "?" if self.remaining is None else str(self.remaining)
        text = f"budget {remaining}/{self.limit} left ({self.reserve} kept for other users)"
        if self.resets_in is not None:
            text += f", resets in {self.resets_in:.0f} s"
        return text

    def eta(self, requests: int, per_request: float) -> float:
        """Seconds until ``requests`` more are sent at this budget, each taking ``per_request``."""
        if requests <= 0:
            return 0.0
        if self.limit is None or self.remaining is None:
            return requests * per_request
        per_window = max(1, self.limit - self.reserve)
        now_left = self.left_for_us or 0
        if requests <= now_left:
            return requests * per_request
        later = requests - now_left
        to_reset = self.resets_in or 0.0
        windows, rest = divmod(later - 1, per_window)
        return to_reset + windows * self.window + (rest + 1) * per_request


Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]


class Pacer:
    """Admits requests inside the token's budget; see the module's documentation."""

    def __init__(
        self,
        *,
        reserve: Reserve = DEFAULT_RESERVE,
        max_in_flight: int = 1,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        margin: float = MARGIN,
    ) -> None:
        self.reserve = reserve
        self.max_in_flight = max(1, max_in_flight)
        self.clock = clock
        self.sleep = sleep
        self.margin = margin
        self.requests = 0
        self.limited = 0
        self._limit: int | None = None
        self._remaining: int | None = None
        self._reset: float | None = None  # the window's end, on our clock
        self._window_key: float | None = None  # the server's X-RateLimit-Reset of that window
        self._window = DEFAULT_WINDOW
        self._ours = 0  # our answers counted in this window
        self._others = 0
        self._in_flight = 0
        self._headerless = False
        self._blocked_until: float | None = None
        self._because = ""
        self._offsets: deque[float] = deque(maxlen=32)  # server clock minus ours, per answer
        self._queue: list[list[int]] = []
        self._seq = itertools.count()
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- what callers see ---------------------------------------------------------------

    def budget(self) -> Budget:
        now = self.clock()
        blocked = self._blocked_until is not None and now < self._blocked_until
        return Budget(
            now=now,
            limit=self._limit,
            remaining=self._remaining,
            reserve=self.reserve.of(self._limit) if self._limit else 0,
            reset_at=self._reset,
            window=self._window,
            waiting_until=self._blocked_until if blocked else None,
            waiting_because=self._because if blocked else "",
            requests=self.requests,
            limited=self.limited,
            others_used=self._others,
        )

    def wait_needed(self) -> float:
        """Seconds before a request could go at best (0 when it could go now)."""
        now = self.clock()
        if self._blocked_until is not None and now < self._blocked_until:
            return self._blocked_until - now
        if self._exhausted(now):
            return max(0.0, (self._reset or now) + self.margin - now)
        return 0.0

    # -- admitting a request ------------------------------------------------------------

    async def acquire(self, priority: int = PRIORITY_VISIBLE, max_wait: float | None = None) -> None:
        """Wait until a request may go. ``max_wait``: raise :class:`PacerBusy` instead of
        waiting for a reset further away than that. Call :meth:`observe` or :meth:`abandon` after."""
        event = self._changed()
        entry = [priority, next(self._seq)]
        heapq.heappush(self._queue, entry)
        try:
            while True:
                if self._queue[0] is entry:
                    now = self.clock()
                    wait = self._wait(now)
                    if wait is None:
                        heapq.heappop(self._queue)
                        self._in_flight += 1
                        self._notify()
                        return
                    if wait > 0:
                        if max_wait is not None and wait > max_wait:
                            raise PacerBusy(wait, self._because)
                        await self.sleep(wait)
                        continue
                await event.wait()
                event = self._changed()
        except BaseException:
            if entry in self._queue:
                self._queue.remove(entry)
                heapq.heapify(self._queue)
                self._notify()
            raise

    def _wait(self, now: float) -> float | None:
        """None: go now. 0: wait for an answer. More: wait that many seconds."""
        if self._blocked_until is not None:
            if now < self._blocked_until:
                return self._blocked_until - now
            self._blocked_until = None
            self._because = ""
            self._remaining = None  # a new window: the next answer says what it holds
        if self._in_flight >= self.max_in_flight:
            return 0.0
        if self._headerless:
            return None
        if self._remaining is None or (self._reset is not None and now >= self._reset):
            self._remaining = None
            return None if self._in_flight == 0 else 0.0  # one probe at a time
        if not self._exhausted(now):
            return None
        self._blocked_until = (self._reset if self._reset is not None else now + self._window) + self.margin
        self._because = self._why_exhausted()
        return self._blocked_until - now

    def _exhausted(self, now: float) -> bool:
        if self._remaining is None or self._limit is None or self._headerless:
            return False
        if self._reset is not None and now >= self._reset:
            return False
        return self._remaining - self.reserve.of(self._limit) - self._in_flight <= 0

    def _why_exhausted(self) -> str:
        limit = self._limit or 0
        reserve = self.reserve.of(limit)
        if self._others:
            return (
                f"the token's other users took {self._others} of its {limit} requests this window; "
                "waiting for the reset"
            )
        return (
            f"this window's share is used ({limit - reserve} of {limit}, {reserve} kept for the "
            "token's other users); waiting for the reset"
        )

    # -- what the answers say -----------------------------------------------------------

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Record an answer's rate headers (and a 429)."""
        now = self.clock()
        self._in_flight = max(0, self._in_flight - 1)
        self.requests += 1
        headers = {k.lower(): v for k, v in headers.items()}
        numbers = _rate_numbers(headers)
        date = _server_time(headers)
        if date is not None:
            self._offsets.append(date - now)
        if numbers is None:
            if status != 429 and self._limit is None:
                self._headerless = True  # a server without rate headers: only the in-flight cap applies
        else:
            self._headerless = False
            self._take(now, *numbers)
        if status == 429:
            self.limited += 1
            self._remaining = 0
            until = self._reset if self._reset is not None and self._reset > now else now + self._window
            self._blocked_until = until + self.margin
            self._because = (
                "RyzeAPI answered 429 (rate limit exceeded); "
                + (
                    f"the token's other users took {self._others} of its {self._limit} requests this window, "
                    if self._others
                    else ""
                )
                + "waiting for the reset"
            )
        self._notify()

    def _take(self, now: float, limit: int, remaining: int, reset: float) -> None:
        offset = max(self._offsets) if self._offsets else 0.0
        if self._window_key is not None and reset < self._window_key:
            return  # a late answer from a window already over
        self._limit = limit
        if reset != self._window_key:
            if self._window_key is not None and 1 <= reset - self._window_key <= 3600:
                self._window = reset - self._window_key
            self._window_key = reset
            self._reset = reset - offset
            self._remaining = remaining
            self._ours = 1
        else:
            self._remaining = remaining if self._remaining is None else min(self._remaining, remaining)
            self._ours += 1
        self._others = max(0, limit - self._remaining - self._ours - self._in_flight)

    def abandon(self) -> None:
        """A request that got no answer (the network failed): it no longer counts as in flight."""
        self._in_flight = max(0, self._in_flight - 1)
        self._notify()

    # -- waking waiters -----------------------------------------------------------------

    def _changed(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._event is None or self._loop is not loop:
            if self._loop is not None:  # a new event loop: the old one's requests and waiters are over
                self._in_flight = 0
                self._queue.clear()
            self._loop = loop
            self._event = asyncio.Event()
        return self._event

    def _notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        if event is not None:
            event.set()


def _rate_numbers(headers: Mapping[str, str]) -> tuple[int, int, float] | None:
    try:
        limit = int(headers["x-ratelimit-limit"])
        remaining = int(headers["x-ratelimit-remaining"])
        reset = float(headers["x-ratelimit-reset"])
    except (KeyError, ValueError, TypeError):
        return None
    if limit <= 0 or not 0 <= remaining <= limit or not math.isfinite(reset) or reset <= 0:
        return None
    return limit, remaining, reset


def _server_time(headers: Mapping[str, str]) -> float | None:
    value = headers.get("date")
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # on the first answer, not at start-up

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_SHARED: dict[tuple[str, str], Pacer] = {}


def shared(base_url: str, token: str, reserve: Reserve = DEFAULT_RESERVE, max_in_flight: int = 1) -> Pacer:
    """The one pacer of this process for a RyzeAPI URL and token (the token only as a digest)."""
    key = (base_url.rstrip("/"), hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest())
    pacer = _SHARED.get(key)
    if pacer is None:
        pacer = _SHARED[key] = Pacer(reserve=reserve, max_in_flight=max_in_flight)
    return pacer
