"""The pieces every send loop shares: the no-op telemetry call, the attempt record and the limiter gate."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest

from hero_health_client import RateLimit, RateLimitError
from hero_health_client._attempts import Attempts, LimiterGate
from hero_health_client.limits import KeyPausedError, SlidingWindowLimiter
from hero_health_client.retries import Decision, Outcome, RetryPolicy
from hero_health_client.stats import ClientStats
from hero_health_client.telemetry import NO_CALL, Call, NoCall, TelemetryOff


def test_the_no_op_call_has_every_method_of_call_with_the_same_signature() -> None:
    public = {name for name in vars(Call) if not name.startswith("_")}
    assert public == {name for name in vars(NoCall) if not name.startswith("_")}
    for name in public:
        assert inspect.signature(getattr(Call, name)) == inspect.signature(getattr(NoCall, name)), name
    assert TelemetryOff().call("GET", "/v1/x") is NO_CALL


class Recording:
    """A stand-in for telemetry.Call that records what the send loop told it."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def limiter_granted(self, waited: float, reason: str | None) -> None:
        self.events.append(("granted", waited, reason))

    def attempt_started(self, attempt: int, retry_reason: str | None) -> None:
        self.events.append(("started", attempt, retry_reason))

    def attempt_ended(self, status: int | None, error_type: str | None) -> None:
        self.events.append(("ended", status, error_type))

    def end(self, status: int | None, error: BaseException | None) -> None:
        self.events.append(("end", status))


class Permit:
    waited = 0.25
    reason = "window full"

    async def release(self) -> None:
        pass


async def test_attempts_record_stats_telemetry_and_logs_for_a_retried_call(
    no_sleep: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hero_health_client")
    stats, call = ClientStats(), Recording()
    attempts = Attempts("GET", "GET /v1/x", RetryPolicy(max_retries=1), stats, call)  # type: ignore[arg-type]
    attempts.begin(Permit())
    attempts.answered(503)
    decision = attempts.error_answer(Outcome.answered(503, "2"))
    assert decision == Decision(True, 2.0)
    await attempts.wait(decision)
    attempts.begin(None)
    attempts.answered(200)
    attempts.succeeded(200)
    assert call.events == [
        ("granted", 0.25, "window full"),
        ("started", 0, None),
        ("ended", 503, None),
        ("started", 1, "503"),
        ("ended", 200, None),
    ]
    assert (stats.requests, stats.retries, stats.by_status, stats.limiter_waits) == (2, 1, {503: 1, 200: 1}, 1)
    assert no_sleep == [2.0]
    text = caplog.text
    assert "GET /v1/x -> 503 attempt=1" in text and "GET /v1/x -> 200 attempt=2" in text
    assert "retrying GET /v1/x after 503 in 2.00s (retry 1 of 1)" in text


async def test_the_gate_turns_a_long_pause_into_rate_limit_error_and_absorbs_the_429_wait() -> None:
    limiter = SlidingWindowLimiter(RateLimit(10, 60))
    gate = LimiterGate(limiter)
    decision = await gate.pause_for(Decision(True, 30.0, pause=30.0))
    assert decision == Decision(True, 0.0, pause=30.0)  # the caller waits in acquire(), not in a sleep of its own
    with pytest.raises(RateLimitError) as refused:
        await gate.acquire("GET /v1/x", max_wait=5.0, priority=None)
    assert refused.value.retry_after == pytest.approx(30.0, abs=1.0)
    assert not isinstance(refused.value, KeyPausedError)
    assert await LimiterGate(None).pause_for(Decision(True, 30.0, pause=30.0)) == Decision(True, 30.0, pause=30.0)
    assert await LimiterGate(None).acquire("GET /v1/x", 5.0, None) is None
