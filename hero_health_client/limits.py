"""Client-side rate limiting: the limiter interface and the in-process sliding-window limiter.

Hero allows 300 requests per minute per API key and answers 429 beyond that. A plain leaky bucket
(``aiolimiter.AsyncLimiter(300, 60)``) starts full and refills while it drains, so a sliding minute can see close
to 600 requests. The limiter here counts instead: a request may start only while fewer than ``requests`` requests
are in flight or finished within the last ``seconds + margin``. A request counts from the moment it is granted
until ``seconds + margin`` after its answer came back; since Hero sees a request after it was granted and before it
answers, no window of ``seconds`` as Hero sees it can hold more than ``requests`` requests, however much network
delay varies. Sustained throughput is ``requests`` per ``seconds + margin + round-trip time``, over 99% of the
limit for a 60 s window.

Waiting callers are served first come, first served. The optional ``burst`` setting also spreads requests out with
an ``aiolimiter.AsyncLimiter`` in front of the count, for callers that would rather not spend the whole budget at
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

from ._redact import fingerprint

logger = logging.getLogger("hero_health_client")


@dataclass(frozen=True)
class RateLimit:
    """How many requests one API key may make per window, as Hero counts them.

    ``margin`` (seconds) is added to the window as a guard against timer and clock granularity; ``None`` picks
    0.1% of the window, between 1 ms and 100 ms. ``burst`` caps how many requests may leave back to back
    (``None``: the whole budget).
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
        """Seconds a finished request keeps counting against the budget."""
        margin = self.margin if self.margin is not None else min(0.1, max(0.001, 0.001 * self.seconds))
        return self.seconds + margin


@runtime_checkable
class Permit(Protocol):
    """Leave to send one request; release it once the answer (or the failure) is in."""

    waited: float  # seconds the caller waited for it

    async def release(self) -> None: ...


@runtime_checkable
class RateLimiter(Protocol):
    """What HeroClient needs from a limiter; one limiter serves every client of one API key."""

    async def acquire(self) -> Permit:
        """Wait until a request may be sent."""
        ...

    async def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (Hero answered 429 with that Retry-After)."""
        ...


@runtime_checkable
class RateLimiterFactory(Protocol):
    """A limiter that must know the API key (the Redis one counts under the key's hash): HeroClient binds it."""

    def bind(self, api_key: str) -> RateLimiter:
        """The limiter for ``api_key``."""
        ...


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Waiter:
    """One queued ``acquire``; other threads and loops reach its futures only through ``call_soon_threadsafe``."""

    __slots__ = ("loop", "turn", "wake")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.turn: asyncio.Future[None] = loop.create_future()  # set when this waiter reaches the head
        self.wake: asyncio.Future[None] | None = None  # the head's current nap, cut short by a release

    def notify(self, future: asyncio.Future[None] | None) -> None:
        if future is not None:
            # RuntimeError: that loop is closed; its task was cancelled and is leaving the queue.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_resolve, future)


@dataclass
class _LocalPermit:
    limiter: SlidingWindowLimiter
    waited: float
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            self.limiter._finished()


class SlidingWindowLimiter:
    """In-process limiter shared safely by threads and event loops (state under a thread lock, no loop binding).

    Only the waiter at the head of the queue watches the clock; the others wait for their turn, so a thousand
    waiting callers cost no more than one. A caller cancelled while waiting leaves the queue without a trace.
    """

    def __init__(self, rate_limit: RateLimit) -> None:
        self.rate_limit = rate_limit
        self._limit = rate_limit.requests
        self._window = rate_limit.window
        self._lock = threading.Lock()
        self._in_flight = 0
        self._finished_at: deque[float] = deque()  # answer times still inside the window, oldest first
        self._paused_until = 0.0
        self._queue: deque[_Waiter] = deque()
        self._smoothers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def _delay(self, now: float) -> float | None:
        """0 if a request may start now, else seconds until one may; None if only an answer can free a place."""
        finished = self._finished_at
        while finished and finished[0] + self._window <= now:
            finished.popleft()
        if self._paused_until > now:
            return self._paused_until - now
        if self._in_flight + len(finished) < self._limit:
            return 0.0
        return finished[0] + self._window - now if finished else None

    def _wake_head(self) -> None:
        """Under the lock: make the head of the queue look at the clock again."""
        if self._queue:
            self._queue[0].notify(self._queue[0].wake)

    def _pass_turn(self) -> None:
        """Under the lock, once the head has left: the next waiter becomes the head."""
        if self._queue:
            self._queue[0].notify(self._queue[0].turn)

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._finished_at.append(time.monotonic())
            self._wake_head()  # it may have been waiting for exactly this

    def _smoother(self) -> AsyncLimiter | None:
        burst = self.rate_limit.burst
        if burst is None:
            return None
        loop = asyncio.get_running_loop()
        with self._lock:
            smoother = self._smoothers.get(loop)
            if smoother is None:  # aiolimiter binds to one loop: keep one per loop
                smoother = AsyncLimiter(burst, burst * self._window / self._limit)
                self._smoothers[loop] = smoother
            return smoother

    async def acquire(self) -> Permit:
        started = time.monotonic()
        smoother = self._smoother()
        if smoother is not None:
            await smoother.acquire()
        loop = asyncio.get_running_loop()
        me = _Waiter(loop)
        with self._lock:
            self._queue.append(me)
            if self._queue[0] is me:
                _resolve(me.turn)
        try:
            await me.turn
            while True:
                with self._lock:
                    delay = self._delay(time.monotonic())
                    if delay == 0.0:
                        self._in_flight += 1
                        self._queue.popleft()
                        self._pass_turn()
                        return _LocalPermit(self, waited=time.monotonic() - started)
                    me.wake = loop.create_future()
                timer = loop.call_later(delay, _resolve, me.wake) if delay is not None else None
                try:
                    await me.wake
                finally:
                    if timer is not None:
                        timer.cancel()
        except BaseException:
            with self._lock:
                was_head = self._queue[0] is me
                self._queue.remove(me)
                if was_head:
                    self._pass_turn()
            raise

    async def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + max(0.0, seconds))

    def reconfigure(self, rate_limit: RateLimit) -> None:
        """Apply a new limit; requests in flight and answered ones keep counting."""
        with self._lock:
            self.rate_limit = rate_limit
            self._limit = rate_limit.requests
            self._window = rate_limit.window
            self._smoothers.clear()
            self._wake_head()  # it may be able to go now, or must wait longer

    def __repr__(self) -> str:
        limit = self.rate_limit
        return f"<SlidingWindowLimiter {limit.requests}/{limit.seconds}s window={self._window}s>"


_shared: dict[str, SlidingWindowLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(api_key: str, rate_limit: RateLimit) -> SlidingWindowLimiter:
    """The one in-process limiter for ``api_key`` (keyed by its fingerprint, never the key itself).

    Every HeroClient of the process that uses the key gets the same limiter, whichever event loop it runs on, and
    it outlives them: a client made a moment after another one closed still sees its requests. Asking for the key
    with a different RateLimit switches the key's one budget to the new setting (with a warning), rather than
    opening a second budget that would overrun Hero's.
    """
    key = fingerprint(api_key)
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = SlidingWindowLimiter(rate_limit)
        elif limiter.rate_limit != rate_limit:
            logger.warning(
                "API key …%s: rate limit changed from %s to %s for every client of the key",
                key,
                limiter.rate_limit,
                rate_limit,
            )
            limiter.reconfigure(rate_limit)
        return limiter
