"""The in-process sliding-window limiter: the algorithm, one class (with its waiter and permit).

Hero allows 300 requests per minute per API key and answers 429 beyond that. A plain leaky bucket
(``aiolimiter.AsyncLimiter(300, 60)``) starts full and refills while it drains, so a sliding minute can see close
to 600 requests. The limiter here counts instead: a request may start only while fewer than ``requests`` requests
are in flight or finished within the last ``seconds + margin``. A request counts from the moment it is granted
until ``seconds + margin`` after its answer came back; since Hero sees a request after it was granted and before it
answers, no window of ``seconds`` as Hero sees it can hold more than ``requests`` requests, however much network
delay varies. Sustained throughput is ``requests`` per ``seconds + margin + round-trip time``, over 99% of the
limit for a 60 s window.

A request that got no answer (a read timeout, a dropped connection, a cancelled caller) may still reach Hero later,
queued in a proxy, say: its releaser passes ``linger`` (HeroClient: the attempt's connect + write + read timeouts),
and it counts until ``linger + seconds + margin`` after the failure. A request that Hero receives later than that is
the remaining risk.

Waiting callers are served first come, first served. The optional ``burst`` setting also spreads requests out with
an ``aiolimiter.AsyncLimiter`` in front of the count, for callers that would rather not spend the whole budget at
once.

A 429 ``pause(seconds)`` holds every caller of the key for the whole Retry-After. ``acquire(max_wait=s)`` refuses at
once, with ``KeyPausedError`` and the remaining pause, a caller that the pause would hold longer than ``s``, so
nobody sleeps through a wait it did not ask for.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on first use: only RateLimit(burst=...) needs it, and it costs import time
    from aiolimiter import AsyncLimiter

from . import waits
from .config import RateLimit
from .protocol import KeyPausedError, Priority, check_priority
from .waits import PAUSED, WINDOW_FULL


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if not future.done():
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


# Waiters on a loop other than the one whose timer drives the queue look this often whether that loop died (closed
# with its timer pending, which no exception handler ever sees); only then can nobody else hand out places.
_DEAD_LOOP_CHECK = 1.0


class _Waiter:
    """One queued ``acquire``. Whoever frees a place (a release, the queue's timer) grants it directly: the permit is
    stored here and ``future`` resolved, at once on the same loop, through ``call_soon_threadsafe`` from another."""

    __slots__ = ("ahead", "bulk", "future", "gone", "loop", "max_wait", "permit", "reason")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, bulk: bool, max_wait: float | None, reason: str, ahead: int
    ) -> None:
        self.loop = loop
        self.bulk = bulk
        self.max_wait = max_wait
        self.reason = reason
        self.ahead = ahead
        self.future: asyncio.Future[None] = loop.create_future()
        self.permit: LocalPermit | None = None
        self.gone = False  # cancelled, refused or granted: skipped (and dropped) when it reaches the head

    def settle(self, current: asyncio.AbstractEventLoop | None, error: BaseException | None = None) -> None:
        if self.loop is current:
            _settle(self.future, error)
        else:
            # RuntimeError: that loop is closed; its permit, if any, is counted as answered by _forget_dead_permits.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_settle, self.future, error)


@dataclass(eq=False)
class LocalPermit:
    limiter: SlidingWindowLimiter
    waited: float
    loop: asyncio.AbstractEventLoop | None = None
    bulk: bool = False
    reason: str | None = None
    queue_length: int = 0
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

    Two lanes, each first come, first served: ``acquire(priority="bulk")`` waits in the bulk lane, everything else
    in the interactive one. A freed place goes to the interactive lane's head first; bulk grants may hold at most
    ``RateLimit.bulk_places`` places of the window, so interactive callers always find the rest, and any place bulk
    leaves unused. An interactive caller never queues behind bulk ones.

    Whoever frees a place (a release, or the one timer that watches the window's earliest expiry) grants it to the
    head of the line directly, so a thousand waiting callers cost no more than one and a grant is one hand-off. A
    caller cancelled while waiting is flagged and skipped when it reaches the head (O(1), whatever the queue). A
    waiter (or a granted permit) whose event loop was closed under it is skipped (counted as answered), so a dead
    loop cannot stall the other loops of the process.
    """

    def __init__(self, rate_limit: RateLimit, *, key_fingerprint: str | None = None, log_waits: bool = True) -> None:
        if not isinstance(rate_limit, RateLimit):
            raise TypeError(f"rate_limit must be a RateLimit, got {type(rate_limit).__name__}")
        self.rate_limit = rate_limit
        self.key_fingerprint = key_fingerprint  # for the INFO line of a long wait; never the key itself
        self._log_waits = log_waits
        self._limit = rate_limit.requests
        self._bulk_limit = rate_limit.bulk_places
        self._window = rate_limit.window
        self._lock = threading.Lock()
        self._in_flight: set[LocalPermit] = set()
        self._bulk_in_flight = 0
        self._loops_in_flight: dict[asyncio.AbstractEventLoop | None, int] = {}  # the loops of requests in flight
        self._finished_at: list[float] = []  # heap of times at which answered requests stop counting
        self._bulk_finished_at: list[float] = []  # the same, for bulk requests only (they are in both heaps)
        self._paused_until = 0.0  # a 429 pause: callers that may not wait this long are refused
        self._held_until = 0.0  # a hold (the Redis limiter's first window of an outage): everyone waits
        self._lanes: tuple[deque[_Waiter], deque[_Waiter]] = (deque(), deque())  # interactive, bulk
        self._waiting = [0, 0]  # live waiters per lane (the deques also hold flagged ones until they reach the head)
        self._timer_at = math.inf  # when the armed timer fires, on which loop, and which arming is current
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._timer_token: object = None
        self._busy: Callable[[SlidingWindowLimiter], None] | None = None  # the registry's keep-alive, if shared
        self._kept = False  # whether the registry holds it strongly (it has state that counts)
        self._smoothers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncLimiter] = (
            weakref.WeakKeyDictionary()
        )

    # -- the count (all under the lock) --------------------------------------------------------------------------

    def _prune(self, now: float) -> None:
        for heap in (self._finished_at, self._bulk_finished_at):
            while heap and heap[0] <= now:
                heapq.heappop(heap)

    def _forget_dead_permits(self, now: float) -> None:
        """A permit whose loop was closed will never be released; count it as answered now."""
        if not any(loop is not None and loop.is_closed() for loop in self._loops_in_flight):
            return  # O(loops), not O(requests): this runs whenever the window is full
        for permit in [p for p in self._in_flight if p.loop is not None and p.loop.is_closed()]:
            permit.released = True
            self._count_finished(permit, now + self._window)

    def _count_finished(self, permit: LocalPermit, until: float | None) -> None:
        if permit in self._in_flight:
            self._in_flight.discard(permit)
            left = self._loops_in_flight[permit.loop] - 1
            if left:
                self._loops_in_flight[permit.loop] = left
            else:
                del self._loops_in_flight[permit.loop]
            if permit.bulk:
                self._bulk_in_flight -= 1
            if until is not None:  # None: never sent, nothing to count
                heapq.heappush(self._finished_at, until)
                if permit.bulk:
                    heapq.heappush(self._bulk_finished_at, until)

    def _blocked_for(self, now: float) -> float:
        return max(self._paused_until, self._held_until) - now

    def _idle(self, now: float) -> bool:
        """Under the lock: nothing counts, nothing is paused, nobody waits; forgetting it would lose nothing."""
        self._prune(now)
        return not self._in_flight and not self._finished_at and self._blocked_for(now) <= 0 and not any(self._waiting)

    def _head(self, lane: int, now: float) -> _Waiter | None:
        """The lane's first live waiter, dropping flagged ones and those whose loop died."""
        queue = self._lanes[lane]
        while queue:
            head = queue[0]
            if not head.gone and not head.loop.is_closed():
                return head
            queue.popleft()
            if not head.gone:
                head.gone = True
                self._waiting[lane] -= 1
        return None

    def _dispatch(self, now: float, current: asyncio.AbstractEventLoop | None) -> None:
        """Grant every place that is free to the heads of the lanes, interactive first; arm the timer if some wait."""
        self._prune(now)
        if self._blocked_for(now) > 0:
            heads = [h for h in (self._head(0, now), self._head(1, now)) if h is not None]
            if heads:
                self._arm(self._blocked_for(now), now, heads[0], current)
            return
        while True:
            interactive, bulk = self._head(0, now), self._head(1, now)
            if interactive is None and bulk is None:
                return
            counted = len(self._in_flight) + len(self._finished_at)
            if counted >= self._limit:
                self._forget_dead_permits(now)
                counted = len(self._in_flight) + len(self._finished_at)
            if counted >= self._limit:
                delay = self._finished_at[0] - now if self._finished_at else None
                self._arm(delay, now, interactive or bulk, current)  # type: ignore[arg-type]
                return
            if interactive is not None:
                self._hand_over(interactive, 0, now, current)
                continue
            assert bulk is not None
            if self._bulk_in_flight + len(self._bulk_finished_at) >= self._bulk_limit:
                delay = self._bulk_finished_at[0] - now if self._bulk_finished_at else None
                self._arm(delay, now, bulk, current)
                return
            self._hand_over(bulk, 1, now, current)

    def _hand_over(self, waiter: _Waiter, lane: int, now: float, current: asyncio.AbstractEventLoop | None) -> None:
        self._lanes[lane].popleft()
        waiter.gone = True
        self._waiting[lane] -= 1
        waiter.permit = self._grant(waiter.loop, waiter.bulk)
        waiter.settle(current)

    def _arm(
        self, delay: float | None, now: float, watcher: _Waiter, current: asyncio.AbstractEventLoop | None
    ) -> None:
        """Make sure a timer runs ``_dispatch`` when the next place frees (``None``: only a release frees one, but
        look again every ``_DEAD_LOOP_CHECK`` in case the request's loop died), on the loop of a live waiter."""
        delay = _DEAD_LOOP_CHECK if delay is None else max(0.0, delay)
        at = now + delay
        loop = self._timer_loop
        if loop is not None and not loop.is_closed() and self._timer_at <= at:
            return  # an earlier timer will look again
        loop = watcher.loop
        token = object()
        self._timer_at, self._timer_loop, self._timer_token = at, loop, token
        if loop is current:
            loop.call_later(delay, self._on_timer, token)
        else:
            with contextlib.suppress(RuntimeError):  # closed meanwhile: the next dispatch arms another loop
                loop.call_soon_threadsafe(loop.call_later, delay, self._on_timer, token)

    def _on_timer(self, token: object) -> None:
        with self._lock:
            if token is self._timer_token:
                self._timer_at, self._timer_loop = math.inf, None
            self._dispatch(time.monotonic(), _current_loop())

    def _keep_alive(self) -> None:
        """Under the lock, when state starts to count: a shared limiter stays in the registry until idle again, even
        if no client refers to it any more, so a client made a moment later still sees these requests."""
        if self._busy is not None and not self._kept:
            self._kept = True
            self._busy(self)

    def _grant(self, loop: asyncio.AbstractEventLoop | None, bulk: bool) -> LocalPermit:
        """Under the lock: count a request as in flight from now."""
        self._keep_alive()
        permit = LocalPermit(self, waited=0.0, loop=loop, bulk=bulk)
        self._in_flight.add(permit)
        self._loops_in_flight[loop] = self._loops_in_flight.get(loop, 0) + 1
        if bulk:
            self._bulk_in_flight += 1
        return permit

    def _finished(self, permit: LocalPermit, linger: float | None) -> None:
        with self._lock:
            now = time.monotonic()
            self._count_finished(permit, None if linger is None else now + max(0.0, linger) + self._window)
            self._dispatch(now, _current_loop())  # a waiter may have been waiting for exactly this

    def record(self, loop: asyncio.AbstractEventLoop | None = None, *, bulk: bool = False) -> LocalPermit:
        """Count a request granted elsewhere (the Redis limiter mirrors its grants here), without waiting."""
        with self._lock:
            return self._grant(loop, bulk)

    def _smoother(self) -> AsyncLimiter | None:
        burst = self.rate_limit.burst
        if burst is None:
            return None
        loop = asyncio.get_running_loop()
        with self._lock:
            smoother = self._smoothers.get(loop)
            if smoother is None:  # aiolimiter binds to one loop: keep one per loop
                from aiolimiter import AsyncLimiter

                smoother = AsyncLimiter(burst, burst * self._window / self._limit)
                self._smoothers[loop] = smoother
            return smoother

    def _check_pause(self, max_wait: float | None, now: float) -> None:
        """Under the lock: refuse at once a caller that the current pause would hold beyond ``max_wait``."""
        if max_wait is not None:
            remaining = self._paused_until - now
            if remaining > max_wait:
                raise KeyPausedError(remaining)

    # -- the interface ---------------------------------------------------------------------------------------------

    async def acquire(self, *, max_wait: float | None = None, priority: Priority = "interactive") -> LocalPermit:
        """Wait for a place. ``priority="bulk"``: wait in the bulk lane (see the class). ``max_wait``: refuse at once
        (``KeyPausedError``) if a 429 pause would hold this caller longer. The permit's ``reason`` and
        ``queue_length`` say why it waited and how many waited ahead of it."""
        bulk = check_priority(priority)
        started = time.monotonic()
        with self._lock:
            self._check_pause(max_wait, started)
        smoother = self._smoother()
        if smoother is not None:
            await smoother.acquire()
        loop = asyncio.get_running_loop()
        lane = 1 if bulk else 0
        with self._lock:
            now = time.monotonic()
            self._check_pause(max_wait, now)
            ahead = self._waiting[0] + (self._waiting[1] if bulk else 0)
            reason = PAUSED if self._paused_until > now else WINDOW_FULL
            me = _Waiter(loop, bulk, max_wait, reason, ahead)
            self._lanes[lane].append(me)
            self._waiting[lane] += 1
            if self._waiting[lane] == 1:  # behind a live waiter of its lane it cannot go first; the timer is armed
                self._dispatch(now, loop)
            immediate = me.permit is not None
        try:
            while not me.future.done():
                if self._timer_loop is loop or me.permit is not None:
                    await me.future
                else:  # the queue's timer runs on another loop, which may die: look now and then
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(_DEAD_LOOP_CHECK):
                            await asyncio.shield(me.future)
                    if not me.future.done():
                        with self._lock:
                            self._dispatch(time.monotonic(), loop)
            me.future.result()  # raises KeyPausedError if a pause refused it while it waited
        except BaseException:
            with self._lock:
                if not me.gone:
                    me.gone = True  # O(1): skipped when it reaches the head
                    self._waiting[lane] -= 1
                    self._compact(lane)
                permit, me.permit = me.permit, None
            if permit is not None:
                permit.cancel()  # granted as it was cancelled: the place goes to the next waiter
            raise
        permit = me.permit
        assert permit is not None
        permit.waited = time.monotonic() - started
        if not immediate:
            permit.reason, permit.queue_length = me.reason, ahead
        if self._log_waits:
            waits.log_wait(self.key_fingerprint, permit.waited, permit.reason, permit.queue_length)
        return permit

    def _compact(self, lane: int) -> None:
        """Under the lock: drop flagged waiters once they outnumber the live ones (amortised O(1) per cancel)."""
        queue = self._lanes[lane]
        if len(queue) > 2 * self._waiting[lane] + 64:
            live = [w for w in queue if not w.gone]
            queue.clear()
            queue.extend(live)

    async def pause(self, seconds: float) -> None:
        with self._lock:
            now = time.monotonic()
            self._paused_until = max(self._paused_until, now + max(0.0, seconds))
            self._keep_alive()
            remaining = self._paused_until - now
            current = _current_loop()
            for lane, queue in enumerate(self._lanes):  # O(waiters), once per 429
                for waiter in queue:
                    if waiter.gone:
                        continue
                    waiter.reason = PAUSED
                    if waiter.max_wait is not None and remaining > waiter.max_wait:
                        waiter.gone = True
                        self._waiting[lane] -= 1
                        waiter.settle(current, KeyPausedError(remaining))
                self._compact(lane)
            self._dispatch(now, current)  # re-arms the timer for the end of the pause

    def hold(self, seconds: float) -> None:
        """Grant nothing for ``seconds``, without refusing anyone: a wait that is part of the limit, not a 429."""
        with self._lock:
            now = time.monotonic()
            self._held_until = max(self._held_until, now + max(0.0, seconds))
            self._keep_alive()
            self._dispatch(now, _current_loop())

    def reconfigure(self, rate_limit: RateLimit) -> None:
        """Apply a new limit; requests in flight and answered ones keep counting."""
        if not isinstance(rate_limit, RateLimit):
            raise TypeError(f"rate_limit must be a RateLimit, got {type(rate_limit).__name__}")
        with self._lock:
            self.rate_limit = rate_limit
            self._limit = rate_limit.requests
            self._bulk_limit = rate_limit.bulk_places
            self._window = rate_limit.window
            self._smoothers.clear()
            self._dispatch(time.monotonic(), _current_loop())  # some may go now, or must wait longer

    def __repr__(self) -> str:
        limit = self.rate_limit
        return f"<SlidingWindowLimiter {limit.requests}/{limit.seconds}s window={self._window}s>"
