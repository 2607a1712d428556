"""The httpx transport where every request policy lives: auth, rate limit, retries, error mapping, logging.

Generated endpoint functions and ``HeroClient.request`` both send through it, so they share one behaviour without
knowing it exists.

Retry-After, one rule: a 429 pauses the key's limiter for the real Retry-After (at most ``MAX_PAUSE``, one hour, a
sanity bound). The caller that got the 429 retries after it if it is at most ``max_retry_after`` (default 60 s), and
otherwise gets ``RateLimitError`` at once. Every other caller of the key does the same in ``acquire``: it waits out
a remaining pause of at most ``max_retry_after`` and otherwise gets ``RateLimitError`` (``retry_after`` = the
remaining pause) at once, without sending. Nobody is held for a wait longer than its ``max_retry_after``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from ._redact import masked_request, path_template
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    RateLimitError,
    ResponseValidationError,
    error_for_response,
)
from .limits import KeyPausedError, Permit, RateLimiter, accepts_keyword

if TYPE_CHECKING:
    from .telemetry import Call, Telemetry

logger = logging.getLogger("hero_health_client")

# Methods whose repetition has the same effect as one request: safe to retry whatever happened.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Failures that prove the request never left: safe to retry even a POST.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request extension through which a view made by HeroClient.with_options() overrides the RetryPolicy.
RETRY_EXTENSION = "hero_retry_policy"
# The request extension through which a with_options(priority=) view names its rate-limiter lane.
PRIORITY_EXTENSION = "hero_priority"
PRIORITIES = ("interactive", "bulk")
# The longest a 429 pauses the key: a sanity bound on a Retry-After that claims hours or days.
MAX_PAUSE = 3600.0


@dataclass
class RetryPolicy:
    """How often and how patiently to retry: exponential backoff with full jitter, Retry-After honoured."""

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0  # a longer wait for a 429 pause is raised as RateLimitError instead of waited out

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be a whole number >= 0, got {self.max_retries!r}")
        value = self.max_retry_after
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
            raise ValueError(f"max_retry_after must be a finite number of seconds >= 0, got {value!r}")

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))


@dataclass
class ClientStats:
    """Counters for one client: what its callers cost."""

    requests: int = 0  # attempts that went to the network, retries included
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    limiter_wait: float = 0.0  # seconds spent waiting for the rate limiter, summed over requests (not wall time)
    limiter_waits: int = 0  # limiter grants (one per attempt that went through the limiter)
    limiter_wait_max: float = 0.0  # the longest single wait for the rate limiter, in seconds
    by_status: dict[int, int] = field(default_factory=dict)

    @property
    def limiter_wait_mean(self) -> float:
        """Mean seconds one attempt waited for the rate limiter (0.0 before any)."""
        return self.limiter_wait / self.limiter_waits if self.limiter_waits else 0.0

    def record_limiter_wait(self, waited: float) -> None:
        self.limiter_wait += waited
        self.limiter_waits += 1
        if waited > self.limiter_wait_max:
            self.limiter_wait_max = waited


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None  # "nan" or "inf" is not a wait
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def _read_error_answer(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """An error answer with its body read; one whose body is cut off or does not decode keeps only its status and
    headers (the status alone says which error to raise)."""
    try:
        await response.aread()
    except (httpx.TransportError, httpx.DecodingError):
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        response = httpx.Response(response.status_code, headers=headers, content=b"", request=request)
    finally:
        await response.aclose()
    return response


class HeroTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport; one instance per HeroClient, the limiter shared per API key."""

    def __init__(
        self,
        *,
        inner: httpx.AsyncBaseTransport,
        auth_headers: dict[str, str],
        limiter: RateLimiter | None,
        retry: RetryPolicy,
        stats: ClientStats,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._inner = inner
        self._auth_headers = auth_headers
        self._limiter = limiter
        self._retry = retry
        self.stats = stats
        self.closed = False
        self._telemetry = telemetry
        # Optional parts of the limiter protocol, used when the limiter (a custom one may not) supports them.
        self._max_wait = limiter is not None and accepts_keyword(type(limiter).acquire, "max_wait")
        self._priority = limiter is not None and accepts_keyword(type(limiter).acquire, "priority")

    def __repr__(self) -> str:
        return f"<HeroTransport limiter={self._limiter!r} retries={self._retry.max_retries}>"

    async def _acquire(self, route: str, retry: RetryPolicy, priority: str | None) -> Permit | None:
        if self._limiter is None:
            return None
        options: dict[str, Any] = {}
        if self._max_wait:
            options["max_wait"] = retry.max_retry_after
        if priority is not None and self._priority:
            options["priority"] = priority
        if not options:
            return await self._limiter.acquire()
        try:
            return await self._limiter.acquire(**options)
        except KeyPausedError as paused:
            # A wait nobody asked for: the key is paused (an earlier 429) beyond this caller's max_retry_after.
            limited = RateLimitError(
                status_code=429,
                error=None,
                message=None,
                response=None,
                route=route,
                detail=f"key paused by an earlier 429, retry after {paused.retry_after:.1f}s",
            )
            limited.retry_after = paused.retry_after
            raise limited from None

    async def _release(self, permit: Permit, unanswered: bool, request: httpx.Request) -> None:
        if not unanswered or not accepts_keyword(type(permit).release, "linger"):
            await permit.release()
            return
        # No answer: the request may still reach Hero (queued in a proxy, say). Count it until a window after the
        # latest it could plausibly arrive: this attempt's connect, write and read timeouts from now.
        timeouts = request.extensions.get("timeout") or {}
        linger = sum(float(timeouts.get(part) or 0.0) for part in ("connect", "write", "read"))
        await permit.release(linger=linger)  # type: ignore[call-arg]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.closed:
            raise ClientClosedError("this HeroClient is closed (aclose() or the end of async with); make a new one")
        request.headers.update(self._auth_headers)
        retry: RetryPolicy = request.extensions.get(RETRY_EXTENSION) or self._retry  # with_options() may set it
        method = request.method
        template = request.extensions.get("path_template") or path_template(request.url.path)
        route = f"{method} {template}"
        call = self._telemetry.start(method, template) if self._telemetry is not None else None
        if call is None:
            return await self._send(request, retry, route, None)
        status: int | None = None
        try:
            response = await self._send(request, retry, route, call)
            status = response.status_code
        except BaseException as exc:
            call.end(None, exc)
            raise
        call.end(status, None)
        return response

    async def _send(self, request: httpx.Request, retry: RetryPolicy, route: str, call: Call | None) -> httpx.Response:
        """The retry loop: limiter, attempt, error mapping; ``call`` records spans and metrics when on."""
        method = request.method
        priority: str | None = request.extensions.get(PRIORITY_EXTENSION)
        attempt = 0
        retry_reason: str | None = None
        while True:
            permit = await self._acquire(route, retry, priority)
            if permit is not None:
                self.stats.record_limiter_wait(permit.waited)
                if call is not None:
                    call.limiter_granted(permit.waited, getattr(permit, "reason", None))
            if call is not None:
                call.attempt_started(attempt, retry_reason)
            started = time.monotonic()
            self.stats.requests += 1
            failure: httpx.TransportError | None = None
            unanswered = True  # until an answer, or a failure that proves nothing left, says otherwise
            try:
                response = await self._inner.handle_async_request(request)
                unanswered = False
            except httpx.TransportError as exc:
                failure = exc
                unanswered = not isinstance(exc, NOT_SENT_ERRORS)
            finally:
                # The answer (or the failure) is in: Hero has seen this request, or never will, or (no answer) may
                # still see it. Release before any backoff, so the place is not held while this caller sleeps.
                if permit is not None:
                    await self._release(permit, unanswered, request)
            elapsed = time.monotonic() - started

            if failure is not None:
                reason = retry_reason = type(failure).__name__
                if call is not None:
                    call.attempt_ended(None, reason)
                logger.debug("%s -> %s attempt=%d elapsed=%.3fs", route, reason, attempt + 1, elapsed)
                safe = method in IDEMPOTENT_METHODS or isinstance(failure, NOT_SENT_ERRORS)
                if safe and attempt < retry.max_retries:
                    attempt = await self._wait_before_retry(route, reason, attempt, retry.backoff(attempt), retry)
                    continue
                error = APITimeoutError if isinstance(failure, httpx.TimeoutException) else APIConnectionError
                failure.request = masked_request(request)  # the cause must not carry the key either
                raise error(f"{reason} on {route} after {attempt + 1} attempt(s)") from failure

            status = response.status_code
            self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
            retry_reason = str(status)
            logger.debug("%s -> %d attempt=%d elapsed=%.3fs", route, status, attempt + 1, elapsed)
            if status < 400:
                # Read the body here, inside the retry loop: a GET cut off mid-body is retried like any failure,
                # while a POST cut off after its 2xx headers was processed by Hero and must not be sent again.
                try:
                    await response.aread()
                except (httpx.TransportError, httpx.DecodingError) as exc:
                    await response.aclose()
                    reason = retry_reason = type(exc).__name__
                    if call is not None:
                        call.attempt_ended(status, reason)
                    cut_off = isinstance(exc, httpx.TransportError)  # a body that does not decode will not next time
                    if cut_off and method in IDEMPOTENT_METHODS and attempt < retry.max_retries:
                        attempt = await self._wait_before_retry(route, reason, attempt, retry.backoff(attempt), retry)
                        continue
                    response.request = masked_request(request)
                    raise ResponseValidationError(
                        model=request.extensions.get("operation_id") or "answer",
                        field=None,
                        expected="a complete body" if cut_off else "a body in its declared encoding",
                        received=f"a body cut off ({reason})" if cut_off else f"a body that does not decode ({reason})",
                        route=route,
                        status_code=status,
                        response=response,
                    ) from exc
                if call is not None:
                    call.attempt_ended(status, None)
                return response

            response = await _read_error_answer(response, request)
            if call is not None:
                call.attempt_ended(status, None)
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            retryable = status in RETRYABLE_STATUSES and (method in IDEMPOTENT_METHODS or status == 429)
            patient_enough = retry_after is None or retry_after <= retry.max_retry_after
            will_retry = retryable and patient_enough and attempt < retry.max_retries
            delay = retry_after if retry_after is not None else retry.backoff(attempt)
            if status == 429:
                self.stats.rate_limited += 1
                if self._limiter is not None:
                    # Every caller of this key waits for the real Retry-After (not just this one): those who may
                    # wait that long wait in acquire(), the others are refused there at once.
                    await self._limiter.pause(min(delay, MAX_PAUSE))
                    delay = 0.0
            if will_retry:
                attempt = await self._wait_before_retry(route, str(status), attempt, delay, retry)
                continue
            response.request = masked_request(request)  # errors get logged: keep the key off them
            raise error_for_response(response, route=route, retry_after=retry_after)

    async def _wait_before_retry(self, route: str, reason: str, attempt: int, delay: float, retry: RetryPolicy) -> int:
        logger.info(
            "retrying %s after %s in %.2fs (retry %d of %d)", route, reason, delay, attempt + 1, retry.max_retries
        )
        self.stats.retries += 1
        if delay > 0:
            await asyncio.sleep(delay)
        return attempt + 1

    async def aclose(self) -> None:
        self.closed = True
        await self._inner.aclose()


class OptionsTransport(httpx.AsyncBaseTransport):
    """The transport of a ``HeroClient.with_options()`` view: the same HeroTransport (pool, limiter, counters),
    with the view's retry policy (and rate-limiter priority, if given) put on each
    request. Closing a view leaves the pool to the client it came from."""

    def __init__(self, inner: HeroTransport, retry: RetryPolicy, priority: str | None = None) -> None:
        self._inner = inner
        self._extensions: dict[str, Any] = {RETRY_EXTENSION: retry}
        if priority is not None:
            self._extensions[PRIORITY_EXTENSION] = priority

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.extensions = {**request.extensions, **self._extensions}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Nothing to close: the pool belongs to the client the view was made from."""
