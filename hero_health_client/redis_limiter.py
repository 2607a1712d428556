"""One API key's rate limit shared by every process and host that uses it, counted in Redis.

    limiter = RedisRateLimiter("redis://redis.internal:6379/0", requests=300, seconds=60)
    hero = HeroClient(api_key, practice_group_id, rate_limiter=limiter)   # HeroClient binds it to api_key
    ...
    await limiter.aclose()

Needs the ``redis`` extra: ``pip install 'hero-health-client[redis]'``.

Guarantee: the same as the in-process ``SlidingWindowLimiter``, across processes. No window of ``seconds`` as Hero
sees it holds more than ``requests`` requests made through limiters that share the Redis, prefix, key and limit.
Same counting rule: a request counts from its grant until ``seconds + margin`` after its release, and a grant is
made only while fewer than ``requests`` requests are counted. Hero sees a request after its grant and before its
answer, so any window of ``seconds`` meets only requests that were counted together at the latest grant among them.

How: sorted sets per key, scored by the time an entry stops counting, and Lua scripts that Redis runs atomically, so
there is no read-modify-write race between processes. All times are Redis's own (``TIME`` inside the scripts), so
hosts with skewed clocks agree. The acquire script drops expired entries, grants (adds an in-flight entry) if fewer
than ``requests`` remain, and otherwise answers how long until the earliest entry expires: the earliest a place can
free. The release script moves the entry to the finished set, counting until ``window`` later (plus ``linger`` for
a request that got no answer and may still reach Hero). In each event loop one waiting caller at a time asks Redis,
sleeping out that answer (capped at ``max_sleep``, with a few ms of jitter) while the others queue behind it in
order, so Redis sees a few calls per freed place per process, however many callers wait. A 429 ``pause`` sets a key
with an expiry that the acquire script honours everywhere; ``acquire(max_wait=s)`` refuses at once
(``KeyPausedError``) a caller that the pause would hold longer than ``s``.

Keys: ``{prefix}:{<sha256 of the API key>}:inflight|done|pause|epoch|void|bulk``; the key itself never reaches
Redis. The hash tag keeps one key's sets in one Redis Cluster slot, as scripts there require. Every key expires on
its own once unused.

Limits and failure modes:

- A process that dies mid-request never releases: its in-flight entry counts until grant + ``lease`` + window. That
  is still safe as long as a request reaches Hero within ``lease`` of its grant (connect, TLS, pool wait and send;
  the answer may take longer). Keep ``lease`` above the client's connect + write + pool timeouts (default 120 s).
- Redis's clock must not step backwards by more than ``margin`` (NTP slewing is fine; a manual step is not).
- Every limiter sharing a key must use the same ``requests``/``seconds``; the Redis state does not record them.
- A call that times out (a slow or stopped Redis) may still run once Redis resumes. The caller then voids its token
  (the ``void`` set, retried in the background until Redis hears it, for at most ``lease``): a late acquire of a
  voided token grants nothing, and an entry it already made is removed. A timed-out acquire leaves no place behind.
- Redis losing its state (a restart without persistence, ``FLUSHALL``, a failover to an empty replica): the
  ``epoch`` key names the state. A process that saw another epoch within ``lease + window`` knows the count is
  gone and pauses the key until a window after the new state began, so the requests Redis forgot have all left
  the window before anything more is granted. Only a process that never saw the old state (started after the
  loss) can grant before that pause is set; with ``appendonly yes`` (or RDB snapshots taken more often than the
  window) and ``maxmemory-policy noeviction`` or ``volatile-*`` nothing is lost in the first place.
- Redis unreachable (or failing) at ``acquire``: ``on_unavailable="raise"`` raises ``RateLimiterUnavailableError``
  and sends nothing. ``"local"`` warns once and falls back to an in-process limit of ``local_requests`` per window
  (set it to ``requests`` divided by the number of processes: the default, ``requests``, suits one process). The
  fallback keeps the guarantee through the outage and the return:

  * it counts this process's Redis grants too, and grants nothing for the first window of an outage (other
    processes may have spent that window just before Redis failed);
  * it asks Redis again every ``_RECHECK`` (5 s); callers queued on the fallback go back to Redis then too;
  * back on Redis, it first adds its local grants to Redis's count, and for a window plus the recheck interval
    and ``redis_timeout`` each grant needs both a Redis place and a local one, so processes still on their local
    budgets and those back on Redis cannot together exceed ``requests`` (a Redis grant asked for before this
    process noticed the outage or the return is given back and asked for again).

  What remains: a process that never noticed the outage (it sent nothing during it) spends Redis's budget while
  others still spend their local ones, so one window may hold up to ``(N - 1) * local_requests`` extra requests.
- A failed ``release`` is logged, never raised (the answer is already in), and retried in the background until
  Redis hears it or the entry's lease has passed.
- A failed ``pause`` is logged, never raised: this process pauses anyway; the retry's ``acquire`` meets the outage.

Priority: ``acquire(priority="bulk")`` asks for a place that bulk requests, across every process of the key, may
hold only ``floor(bulk_share * requests)`` of (the ``bulk`` set counts them); interactive requests may take any
place, so the rest of each window stays theirs. In each event loop, interactive and bulk callers wait in separate
lines, each first come, first served, so an interactive caller never queues behind bulk ones; it waits for Redis
about one round trip while bulk saturates the key. Places granted by the local fallback reach Redis as interactive
(they count in full; only the bulk cap forgets them).

A grant that waited over a second logs one INFO line (key fingerprint, wait, reason, callers of this loop ahead).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import random
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import urlsplit

try:
    import redis.asyncio as aioredis
    from redis.asyncio.connection import parse_url
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.commands.core import AsyncScript
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "hero_health_client.redis_limiter needs the redis package: pip install 'hero-health-client[redis]'"
    ) from exc

from ._arguments import check_seconds
from ._redact import fingerprint
from .errors import HeroError
from .limits import (
    PAUSED,
    WINDOW_FULL,
    KeyPausedError,
    Priority,
    RateLimit,
    RateLimiterFactory,
    SlidingWindowLimiter,
    check_priority,
    waits,
)
from .limits.sliding_window import LocalPermit

__all__ = ["RateLimiterUnavailableError", "RedisKeyLimiter", "RedisRateLimiter", "RedisUnavailableWarning"]

logger = logging.getLogger("hero_health_client")

OnUnavailable = Literal["raise", "local"]

_JITTER = 0.003  # seconds: spreads the processes' waiting callers so a freed place goes to a random one
_RECHECK = 5.0  # seconds between attempts to return to Redis while falling back to the local limiter
_UNAVAILABLE: tuple[type[Exception], ...] = (RedisError, OSError, asyncio.TimeoutError)
_NOT_GRANTED, _PAUSED, _VOID, _STATE_LOST = 0, 1, 2, 3  # why the acquire script did not grant
_ASK_AGAIN = object()

# Times are integer microseconds of Redis's clock; '%.0f' keeps them exact (Lua's own tostring keeps 14 digits).
# KEYS: inflight, done, pause, epoch, void, bulk. ARGV: limit, window, lease, token, inflight TTL (ms), the epoch
# this caller last saw ('' if none), a new epoch id, epoch TTL (ms), '1' for a bulk request, bulk places.
# Answers {granted, wait in us, why, epoch}. The bulk set holds the bulk entries of both others, with their scores.
_ACQUIRE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stamp = string.format('%.0f', now)
local window = tonumber(ARGV[2])
-- The epoch names this state. A caller that saw another epoch recently knows Redis lost the state (a restart
-- without persistence, a flush, a failover to an empty replica): hold everyone until a window after it began.
local epoch = redis.call('GET', KEYS[4])
if not epoch then epoch = ARGV[7] .. ':' .. stamp end
redis.call('SET', KEYS[4], epoch, 'PX', ARGV[8])
if ARGV[6] ~= '' and ARGV[6] ~= epoch then
  local began = tonumber(string.match(epoch, ':(%d+)$')) or now
  local hold = math.ceil((began + window - now) / 1000)
  if hold > 0 and redis.call('PTTL', KEYS[3]) < hold then redis.call('SET', KEYS[3], 'lost', 'PX', hold) end
end
local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then
  local why = 1
  if redis.call('GET', KEYS[3]) == 'lost' then why = 3 end
  return {0, paused * 1000, why, epoch}
end
-- A token whose caller gave up (timed out, cancelled) was voided: a late run of its acquire must not grant.
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', stamp)
if redis.call('ZSCORE', KEYS[5], ARGV[4]) then return {0, 0, 2, epoch} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', stamp)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', stamp)
local full = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[1])
local bulk = ARGV[9] == '1'
if bulk and not full then
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', stamp)
  if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[10]) then
    -- Bulk holds its share of the window: the rest is kept for interactive requests.
    local first = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
    return {0, math.ceil(math.min(tonumber(first[2]), now + window) - now), 0, epoch}
  end
end
if not full then
  local score = string.format('%.0f', now + tonumber(ARGV[3]) + window)
  redis.call('ZADD', KEYS[1], score, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  if bulk then
    redis.call('ZADD', KEYS[6], score, ARGV[4])
    redis.call('PEXPIRE', KEYS[6], ARGV[5])
  end
  return {1, 0, 0, epoch}
end
-- Full. A place frees when the earliest entry expires; an in-flight one no sooner than a window after its answer.
local free_at = now + window
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then free_at = math.min(free_at, tonumber(first[2])) end
end
return {0, math.ceil(free_at - now), 0, epoch}
"""

# KEYS: inflight, done, epoch, void, bulk. ARGV: token, how long it counts from now (us), done TTL (ms), '1' when the
# request was sent (it counts from now) or '0' when its caller gave up (void the token), void span (us), void TTL
# (ms), epoch TTL (ms). TTLs are only ever lengthened: entries of one set may count for different spans.
_RELEASE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
local key, score, ttl = KEYS[2], now + tonumber(ARGV[2]), tonumber(ARGV[3])
if ARGV[4] ~= '1' then key, score, ttl = KEYS[4], now + tonumber(ARGV[5]), tonumber(ARGV[6]) end
redis.call('ZADD', key, string.format('%.0f', score), ARGV[1])
if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
if redis.call('ZSCORE', KEYS[5], ARGV[1]) then
  if ARGV[4] == '1' then
    redis.call('ZADD', KEYS[5], string.format('%.0f', score), ARGV[1])
    if redis.call('PTTL', KEYS[5]) < ttl then redis.call('PEXPIRE', KEYS[5], ttl) end
  else
    redis.call('ZREM', KEYS[5], ARGV[1])
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[7]) end
return removed
"""

# Back from an outage: add this process's local grants to the count. KEYS: inflight, done. ARGV: their TTLs (ms),
# then (token, 'i' for in flight or 'd' for answered, how long it counts from now in us) for each.
_SYNC = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 3, #ARGV, 3 do
  local key = KEYS[2]
  if ARGV[i + 1] == 'i' then key = KEYS[1] end
  redis.call('ZADD', key, string.format('%.0f', now + tonumber(ARGV[i + 2])), ARGV[i])
end
for i, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < tonumber(ARGV[i]) then redis.call('PEXPIRE', key, ARGV[i]) end
end
return 1
"""

# Only ever lengthens a pause.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""


class RateLimiterUnavailableError(HeroError):
    """The Redis behind a shared rate limiter failed and ``on_unavailable="raise"``: the request was not sent."""


class RedisUnavailableWarning(RuntimeWarning):
    """The Redis behind a shared rate limiter failed; each process now limits itself (``on_unavailable="local"``)."""


def redact_url(url: str) -> str:
    """``url`` with its password (in the authority or a ``password=`` query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable Redis URL>"
    safe = url
    if password is not None:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        safe = safe.replace(parts.netloc, f"{userinfo.split(':', 1)[0]}:***@{hostport}", 1)
    if parts.query:
        pairs = [pair.partition("=") for pair in parts.query.split("&")]
        query = "&".join(k + eq + ("***" if k.lower() == "password" else v) for k, eq, v in pairs)
        safe = safe.replace("?" + parts.query, "?" + query, 1)
    return safe


def _check_url(url: object) -> str:
    """``url`` if redis-py can connect with it; a ValueError naming the parameter (never the password) if not."""
    if not isinstance(url, str):
        raise ValueError(f"url must be a Redis URL string, got {type(url).__name__}")
    safe = redact_url(url)
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("scheme")
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError("host")
        if parts.scheme == "unix" and not parts.path:
            raise ValueError("path")
        _ = parts.port  # raises for a port that is not a number in range
        parse_url(url)
    except ValueError:
        raise ValueError(
            f"url must be a Redis URL (redis://[[user]:password@]host[:port][/db], rediss://... or "
            f"unix:///path), got {safe}"
        ) from None
    return url


def _positive(name: str, value: object) -> float:
    return check_seconds(name, value)


@dataclass
class _Connection:
    """A Redis client and its scripts; redis.asyncio connections belong to one event loop, so one per loop."""

    client: aioredis.Redis
    acquire: AsyncScript
    release: AsyncScript
    pause: AsyncScript
    sync: AsyncScript


@dataclass(eq=False)
class _RedisPermit:
    """A place granted by Redis; ``mirror`` counts it in the process's fallback limiter too (``"local"`` mode)."""

    limiter: RedisKeyLimiter
    token: str
    waited: float
    mirror: LocalPermit | None = None
    released: bool = False
    reason: str | None = None
    queue_length: int = 0

    async def release(self, *, linger: float = 0.0) -> None:
        if not self.released:
            self.released = True
            if self.mirror is not None:
                self.mirror.release_now(linger=linger)
            # Shielded: a caller cancelled now must not leave the entry holding a place until its lease ends.
            task = self.limiter._release_in_background(self.token, sent=True, linger=linger)
            await asyncio.shield(task)


@dataclass(eq=False)
class _FallbackPermit:
    """A place granted by the in-process fallback while Redis was down; Redis hears of it once it is back."""

    limiter: RedisKeyLimiter
    local: LocalPermit
    token: str
    waited: float
    counts_until: float | None = None  # monotonic time it stops counting, once released
    uploaded: bool = False  # Redis holds it as in flight: its release must reach Redis
    released: bool = False
    reason: str | None = None
    queue_length: int = 0

    async def release(self, *, linger: float = 0.0) -> None:
        if self.released:
            return
        self.released = True
        self.local.release_now(linger=linger)
        with self.limiter._lock:
            self.counts_until = time.monotonic() + max(0.0, linger) + self.limiter._window
            uploaded = self.uploaded
        if uploaded:
            await asyncio.shield(self.limiter._release_in_background(self.token, sent=True, linger=linger))


def _lane(bulk: bool) -> Priority:
    return "bulk" if bulk else "interactive"


@dataclass
class _Note:
    """What one acquire learned on its way: callers ahead of it in this loop, whether it queued, why it waited."""

    ahead: int
    queued: bool = False
    reason: str | None = None

    def saw(self, reason: str | None) -> None:
        """A 429 pause, once met, stays the reason: it is the one a caller can act on."""
        if reason is not None and self.reason != PAUSED:
            self.reason = reason


class _Line:
    """One lane's waiting callers in one event loop: only the lock's holder asks Redis."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.size = 0  # callers in this line, the holder included


@dataclass
class _Lines:
    interactive: _Line
    bulk: _Line


class RedisRateLimiter:
    """Per-process handle on the Redis (one connection pool per event loop); ``bind(api_key)`` gives a key's limiter.

    Pass it as ``HeroClient(..., rate_limiter=...)``: the client binds it to its own key. One instance can serve
    many keys and clients. ``aclose()`` (or ``async with``) releases the connections.
    """

    def __init__(
        self,
        url: str,
        requests: int = 300,
        seconds: float = 60.0,
        *,
        margin: float | None = None,
        on_unavailable: OnUnavailable = "raise",
        prefix: str = "hero-health-client",
        lease: float = 120.0,
        local_requests: int | None = None,
        redis_timeout: float = 2.0,
        max_sleep: float = 5.0,
        bulk_share: float = 0.8,
    ) -> None:
        # Everything is checked here, naming the parameter: a mistake must not wait for the first request.
        url = _check_url(url)
        if on_unavailable not in ("raise", "local"):
            raise ValueError(f"on_unavailable must be 'raise' or 'local', got {on_unavailable!r}")
        lease, redis_timeout, max_sleep = (
            _positive(name, value)
            for name, value in (("lease", lease), ("redis_timeout", redis_timeout), ("max_sleep", max_sleep))
        )
        if not isinstance(prefix, str) or not prefix:
            raise ValueError("prefix must be a non-empty string")
        self.rate_limit = RateLimit(requests, seconds, margin, bulk_share=bulk_share)  # validates the numbers
        self.local_rate_limit = RateLimit(
            requests if local_requests is None else local_requests, seconds, margin, bulk_share=bulk_share
        )
        self.on_unavailable: OnUnavailable = on_unavailable
        self.prefix = prefix
        self.lease = lease
        self.max_sleep = max_sleep
        self._url = url
        self._safe_url = redact_url(url)
        self._redis_timeout = redis_timeout
        self._lock = threading.Lock()
        self._connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Connection] = (
            weakref.WeakKeyDictionary()
        )
        # Weakly: a key's limiter lives while a client (its transport) uses it; its counts live in Redis anyway.
        self._bound: weakref.WeakValueDictionary[str, RedisKeyLimiter] = weakref.WeakValueDictionary()
        self._down_until = 0.0  # monotonic time before which a failed Redis is not asked again ("local" mode)
        self._down = False
        self._warned = False
        self._background: set[asyncio.Task[None]] = set()

    def bind(self, api_key: str) -> RedisKeyLimiter:
        """The limiter for ``api_key``; the same object for every call with that key while any client uses it."""
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        with self._lock:
            limiter = self._bound.get(digest)
            if limiter is None:
                limiter = self._bound[digest] = RedisKeyLimiter(self, digest, fingerprint(api_key))
            return limiter

    def _connection(self) -> _Connection:
        loop = asyncio.get_running_loop()
        with self._lock:
            connection = self._connections.get(loop)
            if connection is None:
                client = aioredis.Redis.from_url(
                    self._url,
                    # No socket_timeout: redis-py would wrap each send in asyncio.wait_for, which on 3.11 can swallow
                    # a cancellation. _call bounds the whole call with asyncio.timeout instead.
                    socket_timeout=None,
                    socket_connect_timeout=self._redis_timeout,
                    # One immediate retry rides over a pooled connection that Redis closed; every script is
                    # idempotent (the entry's token is its member name), so a repeat cannot count twice.
                    retry=Retry(NoBackoff(), 1),
                )
                connection = _Connection(
                    client,
                    client.register_script(_ACQUIRE),
                    client.register_script(_RELEASE),
                    client.register_script(_PAUSE),
                    client.register_script(_SYNC),
                )
                self._connections[loop] = connection
            return connection

    async def _call(self, script: str, keys: list[str], args: list[str | int]) -> Any:
        connection = self._connection()
        call: AsyncScript = getattr(connection, script)
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that meets a finished call.
        async with asyncio.timeout(self._redis_timeout):
            result = await call(keys=keys, args=args)
        if self._down:
            self._down = False
            logger.warning("rate limiter: Redis at %s is back; sharing the budget again", self._safe_url)
        return result

    def _use_local(self) -> bool:
        return self.on_unavailable == "local" and time.monotonic() < self._down_until

    def _failed(self, exc: BaseException, during: str) -> str:
        """Note a Redis failure (logging once per outage, warning once per instance); the message to show."""
        message = (
            f"rate limiter: Redis at {self._safe_url} failed during {during} ({type(exc).__name__}: "
            f"{self._scrub(str(exc))})"
        )
        self._down_until = time.monotonic() + _RECHECK
        if not self._down:
            self._down = True
            then = "limiting each process on its own" if self.on_unavailable == "local" else "no requests are sent"
            logger.warning("%s; %s until it answers again", message, then)
        if self.on_unavailable == "local" and not self._warned:
            self._warned = True
            warnings.warn(
                f"{message}; falling back to an in-process limit of {self.local_rate_limit.requests} requests per "
                f"{self.local_rate_limit.seconds:g}s per process until Redis answers again",
                RedisUnavailableWarning,
                stacklevel=3,
            )
        return message

    def _scrub(self, text: str) -> str:
        password = urlsplit(self._url).password
        return text.replace(password, "***") if password else text

    def _in_background(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task that ``aclose`` waits for, so Redis hears of every release made before it."""
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def aclose(self) -> None:
        """Close the connection pools (the running loop's now; other running loops' in their own loop)."""
        current = asyncio.get_running_loop()
        # Let this loop's releases and take-backs finish first: they need the connection. A Redis that answers gets
        # one redis_timeout for them, a Redis known to be down none; what is left ends with its lease in Redis.
        mine = [t for t in list(self._background) if t.get_loop() is current]
        if mine:
            _, late = await asyncio.wait(mine, timeout=0 if self._down else self._redis_timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        with self._lock:
            connections = list(self._connections.items())
            self._connections.clear()
        for loop, connection in connections:
            if loop is current:
                await connection.client.aclose()
            elif loop.is_running():
                asyncio.run_coroutine_threadsafe(connection.client.aclose(), loop)

    async def __aenter__(self) -> RedisRateLimiter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        limit = self.rate_limit
        return (
            f"<RedisRateLimiter {limit.requests}/{limit.seconds:g}s at {self._safe_url} "
            f"on_unavailable={self.on_unavailable}>"
        )


class RedisKeyLimiter:
    """The shared limiter of one API key (a ``RateLimiter``); made by ``RedisRateLimiter.bind``."""

    def __init__(self, owner: RedisRateLimiter, digest: str, key_fingerprint: str) -> None:
        self._owner = owner
        self._fingerprint = key_fingerprint
        base = f"{owner.prefix}:{{{digest}}}"
        self._keys = [f"{base}:{name}" for name in ("inflight", "done", "pause", "epoch", "void", "bulk")]
        self._window = window = owner.rate_limit.window
        self._window_us = math.ceil(window * 1e6)
        self._lease_us = math.ceil(owner.lease * 1e6)
        self._inflight_ttl_ms = math.ceil((owner.lease + window) * 1000) + 1000
        self._done_ttl_ms = math.ceil(window * 1000) + 1000
        # Nothing this key counted outlives lease + window; an epoch idle that long has nothing left to forget.
        self._epoch_ttl_ms = self._inflight_ttl_ms + 1000
        self._epoch = ""  # the state this process last saw, and when it asked (an epoch is forgotten before Redis's)
        self._epoch_asked = -math.inf
        self._local = SlidingWindowLimiter(owner.local_rate_limit, log_waits=False)
        self._mirror = owner.on_unavailable == "local"  # count Redis grants locally too, for the fallback
        self._in_outage = False
        self._recover_until = 0.0
        self._unsynced: list[_FallbackPermit] = []
        self._lock = threading.Lock()
        self._lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Lines] = weakref.WeakKeyDictionary()

    def _line(self, bulk: bool) -> _Line:
        """This loop's line of waiting callers of one lane: asyncio.Lock wakes them first come, first served."""
        loop = asyncio.get_running_loop()
        with self._lock:
            lines = self._lines.get(loop)
            if lines is None:
                lines = self._lines[loop] = _Lines(_Line(), _Line())
        return lines.bulk if bulk else lines.interactive

    def _ahead(self, bulk: bool) -> int:
        """Callers of this loop that a new caller of the lane would wait behind (bulk also waits behind interactive)."""
        lines = self._lines.get(asyncio.get_running_loop())
        if lines is None:
            return 0
        return lines.interactive.size + (lines.bulk.size if bulk else 0)

    async def acquire(
        self, *, max_wait: float | None = None, priority: Priority = "interactive"
    ) -> _RedisPermit | _FallbackPermit:
        """Wait for a place; ``max_wait``: refuse at once (``KeyPausedError``) if a 429 pause is longer;
        ``priority="bulk"``: a place within the bulk share, in this loop's bulk line."""
        bulk = check_priority(priority)
        started = time.monotonic()
        note = _Note(ahead=self._ahead(bulk))
        while True:
            permit: _RedisPermit | _FallbackPermit | None
            if self._owner._use_local():
                permit = await self._acquire_local(max_wait, bulk, note)
            else:
                permit = await self._acquire_shared(max_wait, bulk, note)
            if permit is not None:
                permit.waited = time.monotonic() - started
                if note.reason is not None or note.queued:
                    permit.reason, permit.queue_length = note.reason or WINDOW_FULL, note.ahead
                waits.log_wait(self._fingerprint, permit.waited, permit.reason, permit.queue_length)
                return permit

    async def _acquire_local(self, max_wait: float | None, bulk: bool, note: _Note) -> _FallbackPermit | None:
        """During an outage: a place from the in-process fallback, or None when it is time to ask Redis again."""
        if not self._in_outage:
            self._in_outage = True
            # Other processes may have spent this window's budget just before Redis failed: grant nothing locally
            # until it has passed.
            self._local.hold(self._window)
        remaining = self._owner._down_until - time.monotonic()
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                local = await self._local.acquire(max_wait=max_wait, priority=_lane(bulk))
        except TimeoutError:
            note.saw(WINDOW_FULL)  # the fallback's first window, or its count
            return None
        note.saw(local.reason)
        return self._fallback(local)

    def _fallback(self, local: LocalPermit) -> _FallbackPermit:
        permit = _FallbackPermit(self, local, uuid.uuid4().hex, waited=local.waited)
        now = time.monotonic()
        with self._lock:
            # Places that stopped counting need not reach Redis: keep a long outage's list to one window's worth.
            if self._unsynced and (self._unsynced[0].counts_until or math.inf) <= now:
                self._unsynced = [p for p in self._unsynced if (p.counts_until or math.inf) > now]
            self._unsynced.append(permit)
        return permit

    async def _acquire_shared(
        self, max_wait: float | None, bulk: bool, note: _Note
    ) -> _RedisPermit | _FallbackPermit | None:
        """A place from Redis (and, for a while after an outage, from the fallback too); None if Redis failed and
        the fallback should serve."""
        local: LocalPermit | None = None
        if self._mirror and time.monotonic() < self._recover_until:
            # Back from an outage: other processes may still be granting on their own budgets, unknown to Redis.
            # Until they must have returned too, this process spends no more than its local share either.
            local = await self._local.acquire(max_wait=max_wait, priority=_lane(bulk))
            note.saw(local.reason)
        try:
            granted = await self._ask_redis(max_wait, local, bulk, note)
        except BaseException:
            if local is not None:
                local.cancel()
            raise
        if granted is _ASK_AGAIN:
            return None
        if granted is None and local is not None:
            return self._fallback(local)  # Redis failed again: the local place stands, and is uploaded later
        return cast("_RedisPermit | None", granted)

    async def _ask_redis(
        self, max_wait: float | None, local: LocalPermit | None, bulk: bool, note: _Note
    ) -> _RedisPermit | object | None:
        """Redis's grant; None if Redis failed; ``_ASK_AGAIN`` if this process fell back to its local limit while the
        call was under way (its grant did not account for the local places, so it is given back)."""
        line = self._line(bulk)
        line.size += 1
        try:
            if line.lock.locked():
                note.queued = True
            async with line.lock:
                return await self._ask_redis_at_head(max_wait, local, bulk, note)
        finally:
            line.size -= 1

    async def _ask_redis_at_head(
        self, max_wait: float | None, local: LocalPermit | None, bulk: bool, note: _Note
    ) -> _RedisPermit | object | None:
        owner = self._owner
        while not owner._use_local():
            if self._unsynced and not await self._sync():
                return None
            token = uuid.uuid4().hex
            asked = time.monotonic()
            known = self._epoch if asked - self._epoch_asked < self._epoch_ttl_ms / 1000 - 1.0 else ""
            args: list[str | int] = [
                owner.rate_limit.requests,
                self._window_us,
                self._lease_us,
                token,
                self._inflight_ttl_ms,
                known,
                uuid.uuid4().hex,
                self._epoch_ttl_ms,
                "1" if bulk else "0",
                owner.rate_limit.bulk_places,
            ]
            try:
                granted, wait_us, why, epoch = await owner._call("acquire", self._keys, args)
            except asyncio.CancelledError:
                self._take_back(token)  # the script may have run, or may still run: leave no grant behind
                raise
            except _UNAVAILABLE as exc:
                self._take_back(token)  # a slow Redis may still run it later
                message = owner._failed(exc, "acquire")
                if owner.on_unavailable == "raise":
                    raise RateLimiterUnavailableError(
                        f"{message}; not sending (pass on_unavailable='local' to fall back to a per-process limit)"
                    ) from None
                return None
            was_out = self._in_outage
            self._saw_redis(epoch.decode() if isinstance(epoch, bytes) else str(epoch), asked)
            if granted and local is None and self._mirror and (was_out or time.monotonic() < self._recover_until):
                # Asked before this process knew of the outage (or of its return): the grant must also fit the
                # local share, so give it back and ask again the recovering way.
                self._take_back(token)
                return _ASK_AGAIN
            if granted:
                mirror = local if local is not None else self._local.record(bulk=bulk) if self._mirror else None
                return _RedisPermit(self, token, waited=0.0, mirror=mirror)
            wait = int(wait_us) / 1e6
            if int(why) == _PAUSED and max_wait is not None and wait > max_wait:
                raise KeyPausedError(wait)
            if int(why) != _VOID:
                note.saw(PAUSED if int(why) == _PAUSED else WINDOW_FULL)
                await asyncio.sleep(min(wait, owner.max_sleep) + random.uniform(0, _JITTER))
        return None

    def _saw_redis(self, epoch: str, asked: float) -> None:
        self._epoch, self._epoch_asked = epoch, asked
        if self._in_outage:
            self._in_outage = False
            if self._mirror:
                self._recover_until = time.monotonic() + self._window + _RECHECK + self._owner._redis_timeout

    async def _sync(self) -> bool:
        """Back from an outage: tell Redis of the places granted locally, before granting any from Redis."""
        now = time.monotonic()
        with self._lock:
            batch = list(self._unsynced)
            in_flight = [p for p in batch if p.counts_until is None]
        args: list[str | int] = [self._inflight_ttl_ms, self._done_ttl_ms]
        longest = 0.0
        for permit in batch:
            if permit.counts_until is None:
                args += [permit.token, "i", self._lease_us + self._window_us]
            elif permit.counts_until > now:
                longest = max(longest, permit.counts_until - now)
                args += [permit.token, "d", math.ceil((permit.counts_until - now) * 1e6)]
        args[1] = max(self._done_ttl_ms, math.ceil(longest * 1000) + 1000)
        try:
            if len(args) > 2:
                await self._owner._call("sync", self._keys[:2], args)
        except _UNAVAILABLE as exc:
            self._owner._failed(exc, "sync")
            return False
        with self._lock:
            for permit in in_flight:
                permit.uploaded = True
            finished_meanwhile = [p for p in in_flight if p.counts_until is not None]
            self._unsynced = [p for p in self._unsynced if p not in batch]
        for permit in finished_meanwhile:  # released while the upload was under way: Redis must hear of it
            linger = (permit.counts_until or 0.0) - time.monotonic() - self._window
            self._release_in_background(permit.token, sent=True, linger=max(0.0, linger))
        return True

    def _take_back(self, token: str) -> None:
        self._release_in_background(token, sent=False, linger=0.0)

    def _release_in_background(self, token: str, *, sent: bool, linger: float) -> asyncio.Task[None]:
        return self._owner._in_background(self._release(token, sent=sent, linger=linger))

    async def _release(self, token: str, *, sent: bool, linger: float) -> None:
        """Tell Redis the request is answered (``sent``) or was given up; retried until Redis hears it, or until the
        entry has ended on its own (its lease)."""
        owner = self._owner
        linger_us = math.ceil(max(0.0, linger) * 1e6)
        args: list[str | int] = [
            token,
            self._window_us + linger_us,
            self._done_ttl_ms + linger_us // 1000,
            "1" if sent else "0",
            self._lease_us + self._window_us,
            self._inflight_ttl_ms,
            self._epoch_ttl_ms,
        ]
        keys = [self._keys[0], self._keys[1], self._keys[3], self._keys[4], self._keys[5]]
        give_up_at = time.monotonic() + owner.lease
        delay = 0.05
        while True:
            try:
                await owner._call("release", keys, args)
                return
            except _UNAVAILABLE as exc:
                owner._failed(exc, "release" if sent else "take-back")
                if time.monotonic() + delay > give_up_at:
                    return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def pause(self, seconds: float) -> None:
        await self._local.pause(seconds)
        milliseconds = math.ceil(max(0.0, seconds) * 1000)
        if milliseconds <= 0:
            return
        try:
            await self._owner._call("pause", self._keys[2:3], [milliseconds])
        except _UNAVAILABLE as exc:
            self._owner._failed(exc, "pause")

    def __repr__(self) -> str:
        limit = self._owner.rate_limit
        return (
            f"<RedisKeyLimiter key=…{self._fingerprint} {limit.requests}/{limit.seconds:g}s at {self._owner._safe_url}>"
        )


if TYPE_CHECKING:  # a RedisRateLimiter is what HeroClient binds, and what it binds is a RateLimiter
    _factory: type[RateLimiterFactory] = RedisRateLimiter
