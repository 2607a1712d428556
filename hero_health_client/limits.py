"""Client-side rate limiting: the limiter interface and the in-process sliding-window limiter.

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
import functools
import hashlib
import heapq
import inspect
import logging
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # imported on first use: only RateLimit(burst=...) needs it, and it costs import time
    from aiolimiter import AsyncLimiter

from ._arguments import check_seconds
from ._redact import fingerprint
from .errors import HeroError

logger = logging.getLogger("hero_health_client")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class RateLimit:
    """How many requests one API key may make per window, as Hero counts them.

    ``margin`` (seconds) is added to the window as a guard against timer and clock granularity; ``None`` picks
    0.1% of the window, between 1 ms and 100 ms. ``burst`` caps how many requests may leave back to back
    (``None``: the whole budget). ``bulk_share``: the share of the window that requests marked
    ``priority="bulk"`` may hold together (``bulk_places``); interactive requests may use every place.
    """

    requests: int = 300
    seconds: float = 60.0
    margin: float | None = None
    burst: int | None = None
    bulk_share: float = 0.8

    def __post_init__(self) -> None:
        if not _whole(self.requests) or self.requests < 1:
            raise ValueError(f"RateLimit.requests must be a whole number >= 1, got {self.requests!r}")
        check_seconds("RateLimit.seconds", self.seconds)
        if self.margin is not None:
            check_seconds("RateLimit.margin (or None)", self.margin, zero_ok=True)
        if self.burst is not None and not (_whole(self.burst) and 1 <= self.burst <= self.requests):
            raise ValueError(f"RateLimit.burst must be a whole number from 1 to requests, got {self.burst!r}")
        if not _finite(self.bulk_share) or not 0 < self.bulk_share <= 1:
            raise ValueError(f"RateLimit.bulk_share must be a finite number > 0 and <= 1, got {self.bulk_share!r}")

    @property
    def bulk_places(self) -> int:
        """How many places of the window bulk requests may hold: ``floor(bulk_share * requests)``, at least 1 (else
        a small budget could never serve bulk at all)."""
        return max(1, math.floor(self.bulk_share * self.requests + 1e-9))

    @property
    def window(self) -> float:
        """Seconds a finished request keeps counting against the budget."""
        margin = self.margin if self.margin is not None else min(0.1, max(0.001, 0.001 * self.seconds))
        return self.seconds + margin


@runtime_checkable
class Permit(Protocol):
    """Leave to send one request; release it once the answer (or the failure) is in.

    ``release(linger=s)`` (optional in custom permits) says the request got no answer and may still reach Hero up
    to ``s`` seconds from now: it keeps counting until a window after that. The built-in permits also carry
    ``reason`` (``"window full"``, ``"paused after a 429"``, or None when the caller did not queue) and
    ``queue_length`` (waiters ahead of it when it started waiting); read them with ``getattr``, custom permits may
    lack them.
    """

    waited: float  # seconds the caller waited for it

    async def release(self) -> None: ...


@runtime_checkable
class RateLimiter(Protocol):
    """What HeroClient needs from a limiter; one limiter serves every client of one API key.

    Limiters may also accept ``acquire(max_wait=s)``: a caller the key's 429 pause would hold longer than ``s``
    seconds gets ``KeyPausedError`` at once instead; and ``acquire(priority="bulk")`` (or ``"interactive"``, the
    default). HeroClient passes each keyword only when the limiter's signature has it.
    """

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


class KeyPausedError(HeroError):
    """The key is paused (Hero answered 429) for longer than this caller may wait; ``retry_after`` in seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"the API key is paused by a 429 for another {retry_after:.1f}s, beyond the caller's wait")


@lru_cache(maxsize=256)
def accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    """Whether ``function`` takes the keyword ``name``: the optional parts of the limiter protocol."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


Priority = Literal["interactive", "bulk"]
PRIORITIES: tuple[Priority, ...] = ("interactive", "bulk")

WINDOW_FULL = "window full"
PAUSED = "paused after a 429"
LOG_WAITS_OVER = 1.0  # seconds: a grant that waited longer logs one INFO line


def check_priority(priority: object) -> bool:
    """True for ``"bulk"``, False for ``"interactive"``; a ValueError naming ``priority`` for anything else."""
    if priority == "bulk" and isinstance(priority, str):
        return True
    if priority == "interactive" and isinstance(priority, str):
        return False
    shown = repr(priority) if isinstance(priority, str) and len(priority) <= 20 else type(priority).__name__
    raise ValueError(f"priority must be 'interactive' or 'bulk', got {shown}")


def log_wait(key_fingerprint: str | None, waited: float, reason: str | None, queue_length: int) -> None:
    """The one INFO line for a grant that waited longer than a second (never the key: its fingerprint)."""
    if waited > LOG_WAITS_OVER and logger.isEnabledFor(logging.INFO):
        who = f"key …{key_fingerprint}" if key_fingerprint else "a key"
        logger.info(
            "rate limiter: %s waited %.1fs (%s, %d waiting ahead)", who, waited, reason or WINDOW_FULL, queue_length
        )


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
        self.permit: _LocalPermit | None = None
        self.gone = False  # cancelled, refused or granted: skipped (and dropped) when it reaches the head

    def settle(self, current: asyncio.AbstractEventLoop | None, error: BaseException | None = None) -> None:
        if self.loop is current:
            _settle(self.future, error)
        else:
            # RuntimeError: that loop is closed; its permit, if any, is counted as answered by _forget_dead_permits.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_settle, self.future, error)


@dataclass(eq=False)
class _LocalPermit:
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
        self._in_flight: set[_LocalPermit] = set()
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

    def _count_finished(self, permit: _LocalPermit, until: float | None) -> None:
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

    def _grant(self, loop: asyncio.AbstractEventLoop | None, bulk: bool) -> _LocalPermit:
        """Under the lock: count a request as in flight from now."""
        self._keep_alive()
        permit = _LocalPermit(self, waited=0.0, loop=loop, bulk=bulk)
        self._in_flight.add(permit)
        self._loops_in_flight[loop] = self._loops_in_flight.get(loop, 0) + 1
        if bulk:
            self._bulk_in_flight += 1
        return permit

    def _finished(self, permit: _LocalPermit, linger: float | None) -> None:
        with self._lock:
            now = time.monotonic()
            self._count_finished(permit, None if linger is None else now + max(0.0, linger) + self._window)
            self._dispatch(now, _current_loop())  # a waiter may have been waiting for exactly this

    def record(self, loop: asyncio.AbstractEventLoop | None = None, *, bulk: bool = False) -> _LocalPermit:
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

    async def acquire(self, *, max_wait: float | None = None, priority: Priority = "interactive") -> _LocalPermit:
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
            log_wait(self.key_fingerprint, permit.waited, permit.reason, permit.queue_length)
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


_shared: weakref.WeakValueDictionary[str, SlidingWindowLimiter] = weakref.WeakValueDictionary()  # by full SHA-256
_kept: dict[str, SlidingWindowLimiter] = {}  # limiters with state that counts, kept even with no client left
_shared_lock = threading.Lock()
_SWEEP_MIN = 64
_sweep_over = _SWEEP_MIN  # sweep _kept when it grows past this: amortised O(1) per new key, size <= 2x the busy ones


def _keep(key: str, limiter: SlidingWindowLimiter) -> None:
    """Called under the limiter's lock when it starts counting (a plain dict store: atomic, no other lock)."""
    _kept[key] = limiter


def _sweep() -> None:
    """Under ``_shared_lock``: stop keeping limiters that went idle (those with clients stay, weakly, in _shared)."""
    now = time.monotonic()
    for key, limiter in list(_kept.items()):
        with limiter._lock:  # a grant on another thread re-keeps it under this same lock: no lost keep-alive
            if limiter._idle(now):
                limiter._kept = False
                _kept.pop(key, None)


class RateLimitConflictError(ValueError):
    """A second RateLimit for an API key that already has a limiter in this process with another one."""


def shared_limiter(api_key: str, rate_limit: RateLimit) -> SlidingWindowLimiter:
    """The one in-process limiter for ``api_key`` (keyed by its SHA-256, never the key itself).

    Every HeroClient of the process that uses the key gets the same limiter, whichever event loop it runs on. The
    registry holds a limiter strongly only while it has state that counts (requests in flight or within the window,
    a pause, waiters), and weakly otherwise: a client made a moment after another one closed still sees its
    requests, yet a process that goes through many keys keeps only the limiters of keys in use. Asking for the key
    with a different RateLimit raises ``RateLimitConflictError`` and changes nothing: another library in the
    process must not be able to change (or double) your budget. ``limiter.reconfigure(...)`` changes it on purpose.
    """
    if not isinstance(rate_limit, RateLimit):
        raise TypeError(f"rate_limit must be a RateLimit or None, got {type(rate_limit).__name__}")
    key = hashlib.sha256(api_key.encode()).hexdigest()
    global _sweep_over
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = SlidingWindowLimiter(rate_limit, key_fingerprint=fingerprint(api_key))
            limiter._busy = functools.partial(_keep, key)
            if len(_kept) > _sweep_over:
                _sweep()
                _sweep_over = max(_SWEEP_MIN, 2 * len(_kept))
        elif limiter.rate_limit != rate_limit:
            raise RateLimitConflictError(
                f"rate_limit: API key …{fingerprint(api_key)} already has a limiter in this process with "
                f"{limiter.rate_limit}; every client of one key must pass the same RateLimit (got {rate_limit})"
            )
        return limiter
