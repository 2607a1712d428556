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

from typing import Any

import httpx

from ._attempts import Attempts, LimiterGate
from ._redact import SDK_REQUEST, masked_request, path_template
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    ResponseValidationError,
    error_for_response,
)
from .limits import PRIORITIES, RateLimiter
from .retries import (
    IDEMPOTENT_METHODS,
    MAX_PAUSE,
    NOT_SENT_ERRORS,
    RETRYABLE_STATUSES,
    Decision,
    Outcome,
    RetryPolicy,
    parse_retry_after,
)
from .stats import ClientStats
from .telemetry import Telemetry, TelemetryOff

# Re-exported: they were defined here before retries.py and stats.py existed, and callers import them from here.
__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_PAUSE",
    "NOT_SENT_ERRORS",
    "PRIORITIES",
    "PRIORITY_EXTENSION",
    "RETRYABLE_STATUSES",
    "RETRY_EXTENSION",
    "ClientStats",
    "HeroTransport",
    "OptionsTransport",
    "RetryPolicy",
    "parse_retry_after",
]

# The request extension through which a view made by HeroClient.with_options() overrides the RetryPolicy.
RETRY_EXTENSION = "hero_retry_policy"
# The request extension through which a with_options(priority=) view names its rate-limiter lane.
PRIORITY_EXTENSION = "hero_priority"


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


def _linger(request: httpx.Request) -> float:
    """How long an unanswered attempt may still reach Hero (queued in a proxy, say): its connect, write and read
    timeouts from now."""
    timeouts = request.extensions.get("timeout") or {}
    return sum(float(timeouts.get(part) or 0.0) for part in ("connect", "write", "read"))


class HeroTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport; one instance per HeroClient, the limiter shared per API key.

    The send loop here is mechanism only: what to record is ``_attempts.Attempts``, whether to retry is
    ``retries.RetryPolicy.decide``, and the limiter is reached through ``_attempts.LimiterGate``.
    """

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
        self._gate = LimiterGate(limiter)
        self._retry = retry
        self.stats = stats
        self.closed = False
        self._telemetry: Telemetry | TelemetryOff = telemetry if telemetry is not None else TelemetryOff()

    @property
    def _limiter(self) -> RateLimiter | None:
        return self._gate.limiter

    def __repr__(self) -> str:
        return f"<HeroTransport limiter={self._limiter!r} retries={self._retry.max_retries}>"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.closed:
            raise ClientClosedError("this HeroClient is closed (aclose() or the end of async with); make a new one")
        request.headers.update(self._auth_headers)
        retry: RetryPolicy = request.extensions.get(RETRY_EXTENSION) or self._retry  # with_options() may set it
        method = request.method
        template = request.extensions.get("path_template") or path_template(request.url.path)
        call = self._telemetry.call(method, template)
        attempts = Attempts(method, f"{method} {template}", retry, self.stats, call)
        scope = SDK_REQUEST.set(True)  # httpcore's header lines of this request get redacted, no one else's
        try:
            response = await self._send(request, attempts)
        except BaseException as exc:
            call.end(None, exc)
            raise
        finally:
            SDK_REQUEST.reset(scope)
        call.end(response.status_code, None)
        return response

    async def _send(self, request: httpx.Request, attempts: Attempts) -> httpx.Response:
        """The retry loop: one attempt after another until one returns an answer or raises."""
        while True:
            result = await self._attempt(request, attempts)
            if isinstance(result, httpx.Response):
                return result
            await attempts.wait(result)

    async def _attempt(self, request: httpx.Request, attempts: Attempts) -> httpx.Response | Decision:
        """One attempt: the limiter, the network, then the answer; a Decision to retry, or the final answer."""
        priority: str | None = request.extensions.get(PRIORITY_EXTENSION)
        permit = await self._gate.acquire(attempts.route, attempts.policy.max_retry_after, priority)
        attempts.begin(permit)
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
            await self._gate.release(permit, _linger(request) if unanswered else None)
        if failure is not None:
            return self._failed(request, failure, attempts)
        attempts.answered(response.status_code)
        if response.status_code < 400:
            return await self._read_success(request, response, attempts)
        return await self._error_answer(request, response, attempts)

    def _failed(self, request: httpx.Request, failure: httpx.TransportError, attempts: Attempts) -> Decision:
        outcome = Outcome.failed(failure)
        decision = attempts.failed(outcome)
        if decision.retry:
            return decision
        error = APITimeoutError if isinstance(failure, httpx.TimeoutException) else APIConnectionError
        failure.request = masked_request(request)  # the cause must not carry the key either
        raise error(f"{outcome.reason} on {attempts.route} after {attempts.number + 1} attempt(s)") from failure

    async def _read_success(
        self, request: httpx.Request, response: httpx.Response, attempts: Attempts
    ) -> httpx.Response | Decision:
        """Read the body here, inside the retry loop: a GET cut off mid-body is retried like any failure, while a
        POST cut off after its 2xx headers was processed by Hero and must not be sent again."""
        status = response.status_code
        try:
            await response.aread()
        except (httpx.TransportError, httpx.DecodingError) as exc:
            await response.aclose()
            outcome = Outcome.body_failed(status, exc)
            decision = attempts.body_failed(outcome)
            if decision.retry:
                return decision
            response.request = masked_request(request)
            cut_off, reason = outcome.repeatable, outcome.reason
            raise ResponseValidationError(
                model=request.extensions.get("operation_id") or "answer",
                field=None,
                expected="a complete body" if cut_off else "a body in its declared encoding",
                received=f"a body cut off ({reason})" if cut_off else f"a body that does not decode ({reason})",
                route=attempts.route,
                status_code=status,
                response=response,
            ) from exc
        attempts.succeeded(status)
        return response

    async def _error_answer(self, request: httpx.Request, response: httpx.Response, attempts: Attempts) -> Decision:
        response = await _read_error_answer(response, request)
        outcome = Outcome.answered(response.status_code, response.headers.get("retry-after"))
        # A 429 pauses every caller of this key for the real Retry-After (not just this one): those who may wait
        # that long wait in acquire(), the others are refused there at once.
        decision = await self._gate.pause_for(attempts.error_answer(outcome))
        if decision.retry:
            return decision
        response.request = masked_request(request)  # errors get logged: keep the key off them
        raise error_for_response(response, route=attempts.route, retry_after=outcome.retry_after)

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
