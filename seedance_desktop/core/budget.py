"""The shared request budget: one 429 slows every job's requests, not only the one that got it.

Modellix limits requests per team (100/minute on the lowest tier, SPEC 5). When any request is
answered 429, every poller and submitter must hold back, or the others simply spend the budget
the server just told us we do not have. So every engine request first awaits
:meth:`RequestBudget.acquire`, which

* waits until the global "not before" time a 429 set (``Retry-After`` / ``X-RateLimit-Reset``,
  or a default pause when the server gave no hint), and
* for a while after a 429 spaces requests out (``slow_interval``), so the waiting pollers do not
  all fire in the same instant when the pause ends.

One budget per runtime: it is created where the runtime is composed (``runtime.compose``) and
handed to the engine, and only the engine notes 429s in it, once per error it catches (the client
makes one HTTP attempt per call and knows nothing of the budget).

All times are on the **monotonic** clock (``time.monotonic``): stepping the wall clock back an
hour must not stall every request for an hour. The clock and sleep are injected so tests run
without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

#: With no hint from the server, a 429 pauses all requests this long (service seconds).
DEFAULT_PAUSE = 2.0
#: After a 429, requests are spaced at least this far apart (service seconds)...
SLOW_INTERVAL = 0.6
#: ...for this long after the pause ends (service seconds).
SLOW_FOR = 60.0


class RequestBudget:
    """A global "not before" time plus a temporary minimum spacing, shared by all requests."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        time_scale: float = 1.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._scale = time_scale
        self.not_before = 0.0
        self._slow_until = 0.0
        self._next_slot = 0.0
        self.rate_limited_count = 0

    @property
    def slowed(self) -> bool:
        return self._clock() < self._slow_until

    def note_rate_limited(self, retry_at: float | None = None) -> None:
        """A 429 was seen (noted by the engine, once per error). ``retry_at`` is a time on this
        budget's (monotonic) clock; ``None`` means "no hint" (a default pause)."""
        now = self._clock()
        self.rate_limited_count += 1
        until = retry_at if retry_at is not None else now + DEFAULT_PAUSE / self._scale
        self.not_before = max(self.not_before, until)
        self._slow_until = max(self._slow_until, self.not_before + SLOW_FOR / self._scale)

    def wait_time(self) -> float:
        """Seconds a request starting now would wait (0: go), and reserve its slot."""
        now = self._clock()
        start = max(now, self.not_before)
        if now < self._slow_until:
            start = max(start, self._next_slot)
            self._next_slot = start + SLOW_INTERVAL / self._scale
        return start - now

    async def acquire(self) -> None:
        """Wait until this request may be sent. Loops because another 429 may arrive while
        waiting and push the "not before" time further out."""
        while True:
            delay = self.wait_time()
            if delay <= 0:
                return
            await self._sleep(delay)
            if self._clock() >= self.not_before:
                return


__all__ = ["DEFAULT_PAUSE", "RequestBudget", "SLOW_FOR", "SLOW_INTERVAL"]
