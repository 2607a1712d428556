"""The retry policy as a table: method x attempt x outcome -> retry or not, after how long, and why not."""

from __future__ import annotations

import httpx
import pytest

from hero_health_client import retries
from hero_health_client.retries import Decision, Outcome, RetryPolicy

POLICY = RetryPolicy(max_retries=2, backoff_base=0.5, backoff_max=8.0, max_retry_after=60.0)
BACKOFF = object()  # the expected delay is a backoff draw: between 0 and base * 2**attempt

CASES: list[tuple[str, str, int, Outcome, bool, object, str | None]] = [
    # id, method, attempt, outcome, retry?, delay, why not
    ("GET 503 retried", "GET", 0, Outcome.answered(503), True, BACKOFF, None),
    ("GET 503 with Retry-After", "GET", 0, Outcome.answered(503, "7"), True, 7.0, None),
    ("GET 503 last attempt", "GET", 2, Outcome.answered(503), False, 0.0, retries.EXHAUSTED),
    ("POST 503 not resent", "POST", 0, Outcome.answered(503), False, 0.0, retries.NOT_IDEMPOTENT),
    ("POST 500 not resent", "POST", 0, Outcome.answered(500), False, 0.0, retries.NOT_IDEMPOTENT),
    ("PATCH 502 not resent", "PATCH", 0, Outcome.answered(502), False, 0.0, retries.NOT_IDEMPOTENT),
    ("PUT 504 retried", "PUT", 1, Outcome.answered(504), True, BACKOFF, None),
    ("DELETE 408 retried", "DELETE", 0, Outcome.answered(408), True, BACKOFF, None),
    ("GET 404 not retried", "GET", 0, Outcome.answered(404), False, 0.0, retries.NOT_RETRYABLE),
    ("GET 400 not retried", "GET", 0, Outcome.answered(400), False, 0.0, retries.NOT_RETRYABLE),
    ("GET 501 not retried", "GET", 0, Outcome.answered(501), False, 0.0, retries.NOT_RETRYABLE),
    ("POST 429 retried after Retry-After", "POST", 0, Outcome.answered(429, "3"), True, 3.0, None),
    ("POST 429 without Retry-After backs off", "POST", 1, Outcome.answered(429), True, BACKOFF, None),
    ("POST 429 beyond max_retry_after", "POST", 0, Outcome.answered(429, "61"), False, 61.0, retries.TOO_LONG),
    ("GET 429 at max_retry_after exactly", "GET", 0, Outcome.answered(429, "60"), True, 60.0, None),
    ("POST 429 last attempt", "POST", 2, Outcome.answered(429, "1"), False, 1.0, retries.EXHAUSTED),
    ("GET 503 Retry-After too long", "GET", 0, Outcome.answered(503, "120"), False, 0.0, retries.TOO_LONG),
    ("POST refused: never sent", "POST", 0, Outcome.failed(httpx.ConnectError("x")), True, BACKOFF, None),
    ("POST connect timeout: never sent", "POST", 1, Outcome.failed(httpx.ConnectTimeout("x")), True, BACKOFF, None),
    ("POST pool timeout: never sent", "POST", 0, Outcome.failed(httpx.PoolTimeout("x")), True, BACKOFF, None),
    (
        "POST never sent, last attempt",
        "POST",
        2,
        Outcome.failed(httpx.ConnectError("x")),
        False,
        0.0,
        retries.EXHAUSTED,
    ),
    (
        "POST read timeout: maybe sent",
        "POST",
        0,
        Outcome.failed(httpx.ReadTimeout("x")),
        False,
        0.0,
        retries.NOT_IDEMPOTENT,
    ),
    (
        "POST hung up: maybe sent",
        "POST",
        0,
        Outcome.failed(httpx.RemoteProtocolError("x")),
        False,
        0.0,
        retries.NOT_IDEMPOTENT,
    ),
    ("GET read error retried", "GET", 0, Outcome.failed(httpx.ReadError("x")), True, BACKOFF, None),
    ("GET read timeout, last attempt", "GET", 2, Outcome.failed(httpx.ReadTimeout("x")), False, 0.0, retries.EXHAUSTED),
    ("GET body cut off retried", "GET", 0, Outcome.body_failed(200, httpx.ReadError("x")), True, BACKOFF, None),
    (
        "POST body cut off not resent",
        "POST",
        0,
        Outcome.body_failed(201, httpx.ReadError("x")),
        False,
        0.0,
        retries.NOT_IDEMPOTENT,
    ),
    (
        "GET body undecodable",
        "GET",
        0,
        Outcome.body_failed(200, httpx.DecodingError("x")),
        False,
        0.0,
        retries.DOES_NOT_DECODE,
    ),
]


@pytest.mark.parametrize(
    ("method", "attempt", "outcome", "retry", "delay", "why_not"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_the_decision_table(
    method: str, attempt: int, outcome: Outcome, retry: bool, delay: object, why_not: str | None
) -> None:
    decision = POLICY.decide(method, attempt, outcome)
    assert decision.retry is retry
    assert decision.why_not == why_not
    if delay is BACKOFF:
        assert 0.0 <= decision.delay <= POLICY.backoff_base * 2**attempt
    else:
        assert decision.delay == delay


def test_a_429_always_pauses_the_key_for_its_wait_bounded_by_max_pause() -> None:
    assert POLICY.decide("POST", 0, Outcome.answered(429, "3")).pause == 3.0
    assert POLICY.decide("POST", 0, Outcome.answered(429, "90000")).pause == retries.MAX_PAUSE  # refused, yet paused
    drawn = POLICY.decide("GET", 0, Outcome.answered(429))
    assert drawn.pause == drawn.delay and 0.0 <= drawn.delay <= POLICY.backoff_base
    assert POLICY.decide("GET", 0, Outcome.answered(503, "3")).pause is None


def test_no_retries_means_no_retry_whatever_happened() -> None:
    none = RetryPolicy(max_retries=0)
    for outcome in (Outcome.answered(503), Outcome.answered(429, "1"), Outcome.failed(httpx.ConnectError("x"))):
        assert none.decide("GET", 0, outcome) == Decision(
            False, outcome.retry_after or 0.0, retries.EXHAUSTED, pause=1.0 if outcome.status == 429 else None
        )


def test_outcomes_name_what_the_attempt_got() -> None:
    assert Outcome.failed(httpx.ConnectError("x")) == Outcome("ConnectError", sent=False)
    assert Outcome.failed(httpx.ReadTimeout("x")) == Outcome("ReadTimeout", sent=True)
    assert Outcome.answered(429, "Soon") == Outcome("429", status=429, retry_after=None)  # unreadable: no wait
    assert Outcome.body_failed(200, httpx.DecodingError("x")).repeatable is False


@pytest.mark.parametrize("value", [-1, -0.5, float("nan"), float("inf"), True, "1", None])
def test_max_retry_after_is_checked_naming_it(value: object) -> None:
    with pytest.raises(ValueError, match=r"max_retry_after must be a finite number of seconds >= 0"):
        RetryPolicy(max_retry_after=value)  # type: ignore[arg-type]
