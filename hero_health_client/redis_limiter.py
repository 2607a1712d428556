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

How: two sorted sets per key, scored by the time an entry stops counting, and two Lua scripts that Redis runs
atomically, so there is no read-modify-write race between processes. All times are Redis's own (``TIME`` inside the
scripts), so hosts with skewed clocks agree. The acquire script drops expired entries, grants (adds an in-flight
entry) if fewer than ``requests`` remain, and otherwise answers how long until the earliest entry expires: the
earliest a place can free. The release script moves the entry to the finished set, counting until ``window`` later.
In each event loop one waiting caller at a time asks Redis, sleeping out that answer (capped at ``max_sleep``, with a
few ms of jitter) while the others queue behind it in order, so Redis sees a few calls per freed place per process,
however many callers wait. A 429 ``pause`` sets a key with an expiry that the acquire script honours everywhere.

Keys: ``{prefix}:{<sha256 of the API key>}:inflight|done|pause``; the key itself never reaches Redis. The hash tag
keeps one key's sets in one Redis Cluster slot, as scripts there require. Every key expires on its own once unused.

Limits and failure modes:

- A process that dies mid-request never releases: its in-flight entry counts until grant + ``lease`` + window. That
  is still safe as long as a request reaches Hero within ``lease`` of its grant (connect, TLS, pool wait and send;
  the answer may take longer). Keep ``lease`` above the client's connect + write + pool timeouts (default 120 s).
- Redis's clock must not step backwards by more than ``margin`` (NTP slewing is fine; a manual step is not).
- Every limiter sharing a key must use the same ``requests``/``seconds``; the Redis state does not record them.
- Redis unreachable (or failing) at ``acquire``: ``on_unavailable="raise"`` raises ``RateLimiterUnavailableError``
  and sends nothing; ``"local"`` warns once and falls back to an in-process ``SlidingWindowLimiter`` of
  ``local_requests`` (default ``requests``) for ``seconds``, trying Redis again every few seconds. While local,
  each process has its own budget (N processes may send N times ``local_requests``), and for one window after
  Redis returns the requests made locally are not in Redis's count: the guarantee holds only when Redis is up.
- A failed ``release`` is logged, never raised (the answer is already in): the entry ends with its lease.
- A failed ``pause`` is logged, never raised: this process pauses anyway; the retry's ``acquire`` meets the outage.
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
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.commands.core import AsyncScript
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "hero_health_client.redis_limiter needs the redis package: pip install 'hero-health-client[redis]'"
    ) from exc

from ._redact import fingerprint
from .errors import HeroError
from .limits import Permit, RateLimit, RateLimiterFactory, SlidingWindowLimiter

__all__ = ["RateLimiterUnavailableError", "RedisKeyLimiter", "RedisRateLimiter", "RedisUnavailableWarning"]

logger = logging.getLogger("hero_health_client")

OnUnavailable = Literal["raise", "local"]

_JITTER = 0.003  # seconds: spreads the processes' waiting callers so a freed place goes to a random one
_RECHECK = 5.0  # seconds between attempts to return to Redis while falling back to the local limiter
_UNAVAILABLE: tuple[type[Exception], ...] = (RedisError, OSError, asyncio.TimeoutError)

# Times are integer microseconds of Redis's clock; '%.0f' keeps them exact (Lua's own tostring keeps 14 digits).
_ACQUIRE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then return {0, paused * 1000} end
local stamp = string.format('%.0f', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', stamp)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', stamp)
local window = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[3]) + window), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {1, 0}
end
-- Full. A place frees when the earliest entry expires; an in-flight one no sooner than a window after its answer.
local free_at = now + window
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then free_at = math.min(free_at, tonumber(first[2])) end
end
return {0, math.ceil(free_at - now)}
"""

# ARGV[4] is '1' when the request was sent (it counts a window from now) and '0' when it never left.
_RELEASE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[4] == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  redis.call('ZADD', KEYS[2], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return removed
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


@dataclass
class _Connection:
    """A Redis client and its scripts; redis.asyncio connections belong to one event loop, so one per loop."""

    client: aioredis.Redis
    acquire: AsyncScript
    release: AsyncScript
    pause: AsyncScript


@dataclass
class _RedisPermit:
    limiter: RedisKeyLimiter
    token: str
    waited: float
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            # Shielded: a caller cancelled now must not leave the entry holding a place until its lease ends.
            await asyncio.shield(self.limiter._owner._in_background(self.limiter._release(self.token, sent=True)))


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
    ) -> None:
        if on_unavailable not in ("raise", "local"):
            raise ValueError(f"on_unavailable must be 'raise' or 'local', got {on_unavailable!r}")
        if not lease > 0 or not redis_timeout > 0 or not max_sleep > 0:
            raise ValueError("lease, redis_timeout and max_sleep must be > 0 seconds")
        self.rate_limit = RateLimit(requests, seconds, margin)  # validates the numbers
        self.local_rate_limit = RateLimit(requests if local_requests is None else local_requests, seconds, margin)
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
        self._bound: dict[str, RedisKeyLimiter] = {}
        self._down_until = 0.0  # monotonic time before which a failed Redis is not asked again ("local" mode)
        self._down = False
        self._warned = False
        self._background: set[asyncio.Task[None]] = set()

    def bind(self, api_key: str) -> RedisKeyLimiter:
        """The limiter for ``api_key``; the same object for every call with that key."""
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
        # Let this loop's take-backs of cancelled grants finish first: they need the connection.
        await asyncio.gather(*(t for t in list(self._background) if t.get_loop() is current), return_exceptions=True)
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
        self._keys = [f"{base}:inflight", f"{base}:done", f"{base}:pause"]
        window = owner.rate_limit.window
        self._window_us = math.ceil(window * 1e6)
        self._lease_us = math.ceil(owner.lease * 1e6)
        self._inflight_ttl_ms = math.ceil((owner.lease + window) * 1000) + 1000
        self._done_ttl_ms = math.ceil(window * 1000) + 1000
        self._local = SlidingWindowLimiter(owner.local_rate_limit)
        self._lock = threading.Lock()
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    def _queue(self) -> asyncio.Lock:
        """This loop's line of waiting callers: asyncio.Lock wakes them first come, first served."""
        loop = asyncio.get_running_loop()
        with self._lock:
            queue = self._queues.get(loop)
            if queue is None:
                queue = self._queues[loop] = asyncio.Lock()
            return queue

    async def acquire(self) -> Permit:
        started = time.monotonic()
        owner = self._owner
        if not owner._use_local():
            async with self._queue():
                while not owner._use_local():
                    token = uuid.uuid4().hex
                    try:
                        granted, wait_us = await owner._call(
                            "acquire",
                            self._keys,
                            [owner.rate_limit.requests, self._window_us, self._lease_us, token, self._inflight_ttl_ms],
                        )
                    except asyncio.CancelledError:
                        # The script may have run: take the entry back so it does not hold a place for its lease.
                        owner._in_background(self._release(token, sent=False))
                        raise
                    except _UNAVAILABLE as exc:
                        message = owner._failed(exc, "acquire")
                        if owner.on_unavailable == "raise":
                            raise RateLimiterUnavailableError(
                                f"{message}; not sending (pass on_unavailable='local' to fall back to a "
                                "per-process limit)"
                            ) from None
                        break
                    if granted:
                        return _RedisPermit(self, token, waited=time.monotonic() - started)
                    await asyncio.sleep(min(int(wait_us) / 1e6, owner.max_sleep) + random.uniform(0, _JITTER))
        permit = await self._local.acquire()
        permit.waited = time.monotonic() - started
        return permit

    async def _release(self, token: str, *, sent: bool) -> None:
        owner = self._owner
        try:
            await owner._call(
                "release", self._keys[:2], [token, self._window_us, self._done_ttl_ms, "1" if sent else "0"]
            )
        except _UNAVAILABLE as exc:
            owner._failed(exc, "release")

    async def pause(self, seconds: float) -> None:
        await self._local.pause(seconds)
        milliseconds = math.ceil(max(0.0, seconds) * 1000)
        if milliseconds <= 0:
            return
        try:
            await self._owner._call("pause", self._keys[2:], [milliseconds])
        except _UNAVAILABLE as exc:
            self._owner._failed(exc, "pause")

    def __repr__(self) -> str:
        limit = self._owner.rate_limit
        return (
            f"<RedisKeyLimiter key=…{self._fingerprint} {limit.requests}/{limit.seconds:g}s at {self._owner._safe_url}>"
        )


if TYPE_CHECKING:  # a RedisRateLimiter is what HeroClient binds, and what it binds is a RateLimiter
    _factory: type[RateLimiterFactory] = RedisRateLimiter
