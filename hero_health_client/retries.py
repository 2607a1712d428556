"""When a request is sent again: the retry policy, as a pure decision from one attempt and what it got.

Why a module of its own: the rule "retry only if Hero cannot have processed it, or repeating it changes nothing" is
the SDK's promise against a second SMS. It lives here once, with no I/O, so every send loop (the httpx transport,
and any other path that sends) asks the same question and gets the same answer, and the rule is tested as a table.

The rule, per attempt (``attempt`` 0 is the first):

- **No answer** (a transport failure). A failure that proves nothing left (``NOT_SENT_ERRORS``: refused, no
  connection in time, no free connection in the pool) is retried whatever the method; any other (a read timeout, a
  dropped connection) only for an idempotent method, since Hero may have processed it.
- **A success whose body broke off** is retried only for an idempotent method: a POST cut off after its 2xx headers
  was processed. A body that does not decode is never retried (it would not decode next time either).
- **An error status** in ``RETRYABLE_STATUSES`` is retried for an idempotent method; a 429 for any method (Hero
  refused it unprocessed). A Retry-After longer than ``max_retry_after`` is not waited out.
- Never more than ``max_retries`` retries. The wait is the Retry-After when the answer has one, else exponential
  backoff with full jitter. A 429 also pauses the key (every caller of it) for that wait, at most ``MAX_PAUSE``.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass

import httpx

from ._arguments import check_seconds

# Methods whose repetition has the same effect as one request: safe to retry whatever happened.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Failures that prove the request never left: safe to retry even a POST.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The longest a 429 pauses the key: a sanity bound on a Retry-After that claims hours or days.
MAX_PAUSE = 3600.0

# Why an attempt is not retried (``Decision.why_not``): for logs and tests, never shown with any request data.
NOT_IDEMPOTENT = "the method is not idempotent and Hero may have processed it"
NOT_RETRYABLE = "the status is not one that is retried"
DOES_NOT_DECODE = "the body does not decode, and would not next time"
TOO_LONG = "Retry-After is longer than max_retry_after"
EXHAUSTED = "max_retries reached"


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


@dataclass(frozen=True)
class Outcome:
    """What one attempt got, in the terms the policy needs (build it with the class methods).

    ``reason`` names it for logs and telemetry (``"503"``, ``"ConnectError"``, ``"ReadError"``); ``sent`` is False
    only when the failure proves the request never left; ``repeatable`` is False when the same request would fail
    the same way; ``retry_after`` is the answer's Retry-After in seconds.
    """

    reason: str
    status: int | None = None
    sent: bool = True
    repeatable: bool = True
    retry_after: float | None = None

    @classmethod
    def failed(cls, error: BaseException) -> Outcome:
        """No answer: the transport raised ``error`` (an httpx.TransportError, or one mapped to it)."""
        return cls(type(error).__name__, sent=not isinstance(error, NOT_SENT_ERRORS))

    @classmethod
    def body_failed(cls, status: int, error: BaseException) -> Outcome:
        """A success (``status``) whose body broke off (a TransportError) or does not decode (anything else)."""
        return cls(type(error).__name__, status=status, repeatable=isinstance(error, httpx.TransportError))

    @classmethod
    def answered(cls, status: int, retry_after: str | None = None) -> Outcome:
        """An error answer with ``status`` and its Retry-After header (raw, as received)."""
        return cls(str(status), status=status, retry_after=parse_retry_after(retry_after))


@dataclass(frozen=True)
class Decision:
    """The policy's answer: ``retry`` after ``delay`` seconds, or not (``why_not`` says why).

    ``pause`` (a 429 only): seconds to pause the key's limiter for, retried or not; whoever pauses the limiter
    waits there instead of sleeping ``delay`` as well.
    """

    retry: bool
    delay: float = 0.0
    why_not: str | None = None
    pause: float | None = None


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
        check_seconds("max_retry_after", self.max_retry_after, zero_ok=True)

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))

    def decide(self, method: str, attempt: int, outcome: Outcome) -> Decision:
        """Whether attempt number ``attempt`` (0 the first) of a ``method`` request that got ``outcome`` is sent
        again, after how long, and if not, why not (see the module docstring for the rule)."""
        why_not = self._why_not(method, attempt, outcome)
        if outcome.status == 429:
            delay = outcome.retry_after if outcome.retry_after is not None else self.backoff(attempt)
            return Decision(why_not is None, delay, why_not, pause=min(delay, MAX_PAUSE))
        if why_not is not None:
            return Decision(False, why_not=why_not)
        delay = outcome.retry_after if outcome.retry_after is not None else self.backoff(attempt)
        return Decision(True, delay)

    def _why_not(self, method: str, attempt: int, outcome: Outcome) -> str | None:
        if not outcome.repeatable:
            return DOES_NOT_DECODE
        answered_error = outcome.status is not None and outcome.status >= 400
        if answered_error and outcome.status not in RETRYABLE_STATUSES:
            return NOT_RETRYABLE
        # Hero refused a 429 unprocessed, and a failure that proves nothing left was never seen.
        unprocessed = outcome.status == 429 or not outcome.sent
        if not unprocessed and method not in IDEMPOTENT_METHODS:
            return NOT_IDEMPOTENT
        if outcome.retry_after is not None and outcome.retry_after > self.max_retry_after:
            return TOO_LONG
        if attempt >= self.max_retries:
            return EXHAUSTED
        return None
