"""Client-side rate limiting: the limiter interface and the in-process sliding-window limiter.

Hero allows 300 requests per minute per API key and answers 429 beyond that. A plain leaky bucket
(``aiolimiter.AsyncLimiter(300, 60)``) starts full and keeps leaking while it refills, so a sliding minute can see
close to 600 requests. The limiter here keeps a log of the last ``requests`` send slots instead and never hands out
a slot less than ``seconds + margin`` after the slot ``requests`` places before it. Any window of ``seconds`` as
the server sees it then holds at most ``requests`` requests, as long as the delay from slot to arrival at Hero
varies by less than ``margin`` (the default margin is 2% of the window, at most 1 s). Sustained throughput is
``requests / (seconds + margin)``, 98.4% of the limit with the defaults.

The optional ``burst`` setting spreads requests out with an ``aiolimiter.AsyncLimiter`` in front of the log, for
callers that would rather not send the whole budget at once; the log still gives the guarantee.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

from ._redact import fingerprint


@dataclass(frozen=True)
class RateLimit:
    """How many requests one API key may make per window, as Hero counts them.

    ``margin`` (seconds) is added to the window to absorb variation in network delay; ``None`` picks 2% of the
    window, between 10 ms and 1 s. ``burst`` caps how many requests may leave back to back (``None``: the whole
    budget).
    """

    requests: int = 300
    seconds: float = 60.0
    margin: float | None = None
    burst: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.requests, int) or self.requests < 1:
            raise ValueError(f"RateLimit.requests must be a whole number >= 1, got {self.requests!r}")
        if not self.seconds > 0:
            raise ValueError(f"RateLimit.seconds must be > 0, got {self.seconds!r}")
        if self.margin is not None and not self.margin >= 0:
            raise ValueError(f"RateLimit.margin must be >= 0 seconds or None, got {self.margin!r}")
        if self.burst is not None and not (isinstance(self.burst, int) and 1 <= self.burst <= self.requests):
            raise ValueError(f"RateLimit.burst must be a whole number from 1 to requests, got {self.burst!r}")

    @property
    def window(self) -> float:
        """Seconds between a slot and the slot ``requests`` places after it."""
        margin = self.margin if self.margin is not None else min(1.0, max(0.01, 0.02 * self.seconds))
        return self.seconds + margin


@runtime_checkable
class RateLimiter(Protocol):
    """What HeroClient needs from a limiter; one limiter serves every client of one API key."""

    async def acquire(self) -> float:
        """Wait until a request may be sent; return the seconds spent waiting."""
        ...

    async def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (Hero answered 429 with that Retry-After)."""
        ...


class SlidingWindowLimiter:
    """In-process limiter: a log of the last ``requests`` slots, shared safely by threads and event loops.

    Each ``acquire`` reserves its slot under a thread lock and then sleeps on its own event loop, so one instance
    serves any number of clients, loops and threads. A caller cancelled while waiting gives up its slot unused
    (counted as spent: the error is on the safe side).
    """

    def __init__(self, rate_limit: RateLimit) -> None:
        self.rate_limit = rate_limit
        self._window = rate_limit.window
        self._slots: deque[float] = deque(maxlen=rate_limit.requests)
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._smoothers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def _reserve(self, now: float) -> float:
        with self._lock:
            slot = max(now, self._paused_until)
            if len(self._slots) == self._slots.maxlen:
                slot = max(slot, self._slots[0] + self._window)
            if self._slots:
                slot = max(slot, self._slots[-1])
            self._slots.append(slot)
            return slot

    def _smoother(self) -> AsyncLimiter | None:
        burst = self.rate_limit.burst
        if burst is None:
            return None
        loop = asyncio.get_running_loop()
        with self._lock:
            smoother = self._smoothers.get(loop)
            if smoother is None:  # aiolimiter binds to one loop: keep one per loop
                smoother = AsyncLimiter(burst, burst * self._window / self.rate_limit.requests)
                self._smoothers[loop] = smoother
            return smoother

    async def acquire(self) -> float:
        started = time.monotonic()
        smoother = self._smoother()
        if smoother is not None:
            await smoother.acquire()
        while True:
            slot = self._reserve(time.monotonic())
            delay = slot - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._paused_until <= time.monotonic():
                return time.monotonic() - started
            # A 429 paused the key while we slept: this slot stays spent, wait for a new one after the pause.

    async def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + max(0.0, seconds))

    def __repr__(self) -> str:
        limit = self.rate_limit
        return f"<SlidingWindowLimiter {limit.requests}/{limit.seconds}s window={self._window}s>"


_shared: dict[str, SlidingWindowLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(api_key: str, rate_limit: RateLimit) -> SlidingWindowLimiter:
    """The one in-process limiter for ``api_key`` (keyed by its fingerprint, never the key itself).

    Every HeroClient of the process that uses the key gets the same limiter, whichever event loop it runs on.
    Asking for the same key with a different RateLimit is an error: two budgets for one key would overrun Hero's.
    """
    key = fingerprint(api_key)
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = SlidingWindowLimiter(rate_limit)
        elif limiter.rate_limit != rate_limit:
            raise ValueError(
                f"API key …{key} is already limited to {limiter.rate_limit} in this process; "
                f"every HeroClient of one key must use the same rate_limit (got {rate_limit})"
            )
        return limiter
