"""The in-process limiter as it was before the partner-scale round (not a benchmark itself): the baseline that
``bench_limiter_cost.py`` measures side by side with today's. Every hand-off goes through ``call_soon_threadsafe``
and a cancelled waiter leaves with ``deque.remove``. Trimmed of nothing that matters to those two costs.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import asyncio
import contextlib
import heapq
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from hero_health_client.limits import KeyPausedError, Permit, RateLimit


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


# A waiter that is not at the head looks up this often whether the head's event loop died (closed with the task
# still queued, which no exception handler ever sees); only then can nobody else pass it the turn.
_DEAD_LOOP_CHECK = 1.0


class _Waiter:
    """One queued ``acquire``; other threads and loops reach its futures only through ``call_soon_threadsafe``."""

    __slots__ = ("loop", "turn", "wake")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.turn: asyncio.Future[None] = loop.create_future()  # set when this waiter reaches the head
        self.wake: asyncio.Future[None] | None = None  # the head's current nap, cut short by a release

    def notify(self, future: asyncio.Future[None] | None) -> None:
        if future is not None:
            # RuntimeError: that loop is closed; _skip_dead removes its waiter.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_resolve, future)


@dataclass(eq=False)
class _LocalPermit:
    limiter: SlidingWindowLimiter
    waited: float
    loop: asyncio.AbstractEventLoop | None = None
    released: bool = False

    async def release(self, *, linger: float = 0.0) -> None:
        self.release_now(linger=linger)

    def release_now(self, *, linger: float = 0.0) -> None:
        if not self.released:
            self.released = True
            self.limiter._finished(self, linger)

    def cancel(self) -> None:
        """Give the place back uncounted: the request was never sent."""
        if not self.released:
            self.released = True
            self.limiter._finished(self, None)


class SlidingWindowLimiter:
    """In-process limiter shared safely by threads and event loops (state under a thread lock, no loop binding).

    Only the waiter at the head of the queue watches the clock; the others wait for their turn, so a thousand
    waiting callers cost no more than one. A caller cancelled while waiting leaves the queue without a trace. A
    waiter (or a granted permit) whose event loop was closed under it is skipped (counted as answered), so a dead
    loop cannot stall the other loops of the process.
    """

    def __init__(self, rate_limit: RateLimit) -> None:
        if not isinstance(rate_limit, RateLimit):
            raise TypeError(f"rate_limit must be a RateLimit, got {type(rate_limit).__name__}")
        self.rate_limit = rate_limit
        self._limit = rate_limit.requests
        self._window = rate_limit.window
        self._lock = threading.Lock()
        self._in_flight: set[_LocalPermit] = set()
        self._finished_at: list[float] = []  # heap of times at which answered requests stop counting
        self._paused_until = 0.0  # a 429 pause: callers that may not wait this long are refused
        self._held_until = 0.0  # a hold (the Redis limiter's first window of an outage): everyone waits
        self._queue: deque[_Waiter] = deque()
        self._smoothers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def _delay(self, now: float) -> float | None:
        """0 if a request may start now, else seconds until one may; None if only an answer can free a place."""
        finished = self._finished_at
        while finished and finished[0] <= now:
            heapq.heappop(finished)
        if max(self._paused_until, self._held_until) > now:
            return max(self._paused_until, self._held_until) - now
        if len(self._in_flight) + len(finished) >= self._limit:
            self._forget_dead_permits(now)
        if len(self._in_flight) + len(finished) < self._limit:
            return 0.0
        return finished[0] - now if finished else None

    def _forget_dead_permits(self, now: float) -> None:
        """Under the lock: a permit whose loop was closed will never be released; count it as answered now."""
        for permit in [p for p in self._in_flight if p.loop is not None and p.loop.is_closed()]:
            permit.released = True
            self._in_flight.discard(permit)
            heapq.heappush(self._finished_at, now + self._window)

    def _skip_dead(self) -> None:
        """Under the lock: drop waiters at the head whose event loop is closed (nobody will ever run them)."""
        queue = self._queue
        while queue and queue[0].loop.is_closed():
            queue.popleft()
            if queue:
                queue[0].notify(queue[0].turn)

    def _wake_head(self) -> None:
        """Under the lock: make the head of the queue look at the clock again."""
        self._skip_dead()
        if self._queue:
            self._queue[0].notify(self._queue[0].wake)

    def _pass_turn(self) -> None:
        """Under the lock, once the head has left: the next waiter becomes the head."""
        self._skip_dead()
        if self._queue:
            self._queue[0].notify(self._queue[0].turn)

    def _finished(self, permit: _LocalPermit, linger: float | None) -> None:
        with self._lock:
            if permit in self._in_flight:
                self._in_flight.discard(permit)
                if linger is not None:  # None: never sent, nothing to count
                    heapq.heappush(self._finished_at, time.monotonic() + max(0.0, linger) + self._window)
            self._wake_head()  # it may have been waiting for exactly this

    def _grant(self, started: float, loop: asyncio.AbstractEventLoop | None) -> _LocalPermit:
        """Under the lock: count a request as in flight from now."""
        permit = _LocalPermit(self, waited=time.monotonic() - started, loop=loop)
        self._in_flight.add(permit)
        return permit

    def record(self, loop: asyncio.AbstractEventLoop | None = None) -> _LocalPermit:
        """Count a request granted elsewhere (the Redis limiter mirrors its grants here), without waiting."""
        with self._lock:
            return self._grant(time.monotonic(), loop)

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

    def _check_pause(self, max_wait: float | None) -> None:
        """Under the lock: refuse at once a caller that the current pause would hold beyond ``max_wait``."""
        if max_wait is not None:
            remaining = self._paused_until - time.monotonic()
            if remaining > max_wait:
                raise KeyPausedError(remaining)

    async def acquire(self, *, max_wait: float | None = None) -> Permit:
        started = time.monotonic()
        with self._lock:
            self._check_pause(max_wait)
        smoother = self._smoother()
        if smoother is not None:
            await smoother.acquire()
        loop = asyncio.get_running_loop()
        me = _Waiter(loop)
        with self._lock:
            self._skip_dead()
            self._queue.append(me)
            if self._queue[0] is me:
                _resolve(me.turn)
        try:
            while not me.turn.done():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_DEAD_LOOP_CHECK):
                        await asyncio.shield(me.turn)
                if not me.turn.done():
                    with self._lock:
                        self._skip_dead()
                        if self._queue and self._queue[0] is me:
                            _resolve(me.turn)
            while True:
                with self._lock:
                    self._check_pause(max_wait)
                    delay = self._delay(time.monotonic())
                    if delay == 0.0:
                        self._queue.popleft()
                        self._pass_turn()
                        return self._grant(started, loop)
                    me.wake = loop.create_future()
                timer = loop.call_later(delay, _resolve, me.wake) if delay is not None else None
                try:
                    await me.wake
                finally:
                    if timer is not None:
                        timer.cancel()
        except BaseException:
            with self._lock:
                if me in self._queue:
                    was_head = self._queue[0] is me
                    self._queue.remove(me)
                    if was_head:
                        self._pass_turn()
            raise

    async def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + max(0.0, seconds))
            self._wake_head()  # a head already waiting must now see the pause, and may have to refuse it

    def hold(self, seconds: float) -> None:
        """Grant nothing for ``seconds``, without refusing anyone: a wait that is part of the limit, not a 429."""
        with self._lock:
            self._held_until = max(self._held_until, time.monotonic() + max(0.0, seconds))
            self._wake_head()

    def reconfigure(self, rate_limit: RateLimit) -> None:
        """Apply a new limit; requests in flight and answered ones keep counting."""
        if not isinstance(rate_limit, RateLimit):
            raise TypeError(f"rate_limit must be a RateLimit, got {type(rate_limit).__name__}")
        with self._lock:
            self.rate_limit = rate_limit
            self._limit = rate_limit.requests
            self._window = rate_limit.window
            self._smoothers.clear()
            self._wake_head()  # it may be able to go now, or must wait longer

    def __repr__(self) -> str:
        limit = self.rate_limit
        return f"<SlidingWindowLimiter {limit.requests}/{limit.seconds}s window={self._window}s>"
