"""The httpx transport where every request policy lives: auth, rate limit, retries, error mapping, logging.

Generated endpoint functions and ``HeroClient.request`` both send through it, so they share one behaviour without
knowing it exists.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from dataclasses import dataclass, field

import httpx

from ._redact import path_template
from .errors import APIConnectionError, APITimeoutError, ResponseValidationError, error_for_response
from .limits import RateLimiter

logger = logging.getLogger("hero_health_client")

# Methods whose repetition has the same effect as one request: safe to retry whatever happened.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Failures that prove the request never left: safe to retry even a POST.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class RetryPolicy:
    """How often and how patiently to retry: exponential backoff with full jitter, Retry-After honoured."""

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is raised as RateLimitError instead of waited out

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"max_retries must be a whole number >= 0, got {self.max_retries!r}")

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))


@dataclass
class ClientStats:
    """Counters for one client: what its callers cost."""

    requests: int = 0  # attempts that went to the network, retries included
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    limiter_wait: float = 0.0  # seconds spent waiting for the rate limiter, summed over requests
    by_status: dict[int, int] = field(default_factory=dict)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


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
    ) -> None:
        self._inner = inner
        self._auth_headers = auth_headers
        self._limiter = limiter
        self._retry = retry
        self.stats = stats

    def __repr__(self) -> str:
        return f"<HeroTransport limiter={self._limiter!r} retries={self._retry.max_retries}>"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers.update(self._auth_headers)
        method = request.method
        route = f"{method} {request.extensions.get('path_template') or path_template(request.url.path)}"
        attempt = 0
        while True:
            permit = await self._limiter.acquire() if self._limiter is not None else None
            if permit is not None:
                self.stats.limiter_wait += permit.waited
            started = time.monotonic()
            self.stats.requests += 1
            try:
                response = await self._inner.handle_async_request(request)
            except httpx.TransportError as exc:
                failure: httpx.TransportError | None = exc
            else:
                failure = None
            finally:
                # The answer (or the failure) is in: Hero has seen this request, or never will. Release before any
                # backoff, so the place is not held while this caller sleeps.
                if permit is not None:
                    await permit.release()
            elapsed = time.monotonic() - started

            if failure is not None:
                reason = type(failure).__name__
                logger.debug("%s -> %s attempt=%d elapsed=%.3fs", route, reason, attempt + 1, elapsed)
                safe = method in IDEMPOTENT_METHODS or isinstance(failure, NOT_SENT_ERRORS)
                if safe and attempt < self._retry.max_retries:
                    attempt = await self._wait_before_retry(route, reason, attempt, self._retry.backoff(attempt))
                    continue
                error = APITimeoutError if isinstance(failure, httpx.TimeoutException) else APIConnectionError
                raise error(f"{reason} on {route} after {attempt + 1} attempt(s)") from failure

            status = response.status_code
            self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
            logger.debug("%s -> %d attempt=%d elapsed=%.3fs", route, status, attempt + 1, elapsed)
            if status < 400:
                # Read the body here, inside the retry loop: a GET cut off mid-body is retried like any failure,
                # while a POST cut off after its 2xx headers was processed by Hero and must not be sent again.
                try:
                    await response.aread()
                except httpx.TransportError as exc:
                    await response.aclose()
                    reason = type(exc).__name__
                    if method in IDEMPOTENT_METHODS and attempt < self._retry.max_retries:
                        attempt = await self._wait_before_retry(route, reason, attempt, self._retry.backoff(attempt))
                        continue
                    raise ResponseValidationError(
                        model=request.extensions.get("operation_id") or "answer",
                        field=None,
                        expected="a complete body",
                        received=f"a body cut off ({reason})",
                        route=route,
                        status_code=status,
                        response=response,
                    ) from exc
                return response

            await response.aread()
            await response.aclose()
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            retryable = status in RETRYABLE_STATUSES and (method in IDEMPOTENT_METHODS or status == 429)
            patient_enough = retry_after is None or retry_after <= self._retry.max_retry_after
            will_retry = retryable and patient_enough and attempt < self._retry.max_retries
            delay = retry_after if retry_after is not None else self._retry.backoff(attempt)
            if status == 429:
                self.stats.rate_limited += 1
                if self._limiter is not None:
                    # Every caller of this key waits, not just this one; our retry then waits in acquire().
                    await self._limiter.pause(min(delay, self._retry.max_retry_after))
                    delay = 0.0
            if will_retry:
                attempt = await self._wait_before_retry(route, str(status), attempt, delay)
                continue
            response.request = request
            raise error_for_response(response, route=route, retry_after=retry_after)

    async def _wait_before_retry(self, route: str, reason: str, attempt: int, delay: float) -> int:
        logger.info(
            "retrying %s after %s in %.2fs (retry %d of %d)", route, reason, delay, attempt + 1, self._retry.max_retries
        )
        self.stats.retries += 1
        if delay > 0:
            await asyncio.sleep(delay)
        return attempt + 1

    async def aclose(self) -> None:
        await self._inner.aclose()
