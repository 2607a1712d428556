"""Retries: when a request may be repeated, Retry-After, and never a second SMS after an ambiguous failure."""

from __future__ import annotations

import asyncio
import email.utils
import math
import time

import httpx
import pytest

from hero_health_client import (
    APIConnectionError,
    APITimeoutError,
    HeroAPIError,
    HeroClient,
    RateLimit,
    RateLimitError,
    ServerError,
    SlidingWindowLimiter,
)
from hero_health_client.generated.api.booking import edit_appointment
from hero_health_client.generated.api.messages import get_message_status, send_message
from hero_health_client.generated.models import EditAppointmentRequest, MessageType, SendMessageRequest
from hero_health_client.transport import parse_retry_after
from tests.conftest import Recorder

SENT = {
    "message_id": "9",
    "content": "hi",
    "created_at": "2026-03-29T01:30:00Z",
    "write_to_record": False,
    "snomed_code": None,
    "auth_token": None,
    "confirm_write_to_record_url": None,
    "submitted_by": None,
    "send_at": None,
}
STATUS = {
    "id": "1",
    "scheduled_send_at": None,
    "write_to_record": False,
    "status": {"write_to_record_at": None, "sent_at": None, "response": "sent", "failure_reason": None},
    "errors": {"write_to_record": None, "send": None},
}
SMS = SendMessageRequest(patient_id="1", message_type=MessageType.SMS, message_string="Your appointment is at 9:30")


def client(api_key: str, recorder: Recorder, **kwargs: object) -> HeroClient:
    return HeroClient(api_key, "1", transport=recorder.transport, rate_limit=RateLimit(1000, 1), **kwargs)  # type: ignore[arg-type]


async def test_post_is_not_resent_after_a_500(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.Response(500, json={"error": "internal"}), httpx.Response(200, json=SENT))
    async with client(api_key, recorder, max_retries=3) as hero:
        with pytest.raises(ServerError) as raised:
            await send_message.asyncio(client=hero, body=SMS)
    assert len(recorder.requests) == 1
    assert raised.value.status_code == 500
    assert no_sleep == []


@pytest.mark.parametrize("status", [502, 503, 504, 408])
async def test_post_is_not_resent_after_other_ambiguous_failures(
    api_key: str, no_sleep: list[float], status: int
) -> None:
    recorder = Recorder(httpx.Response(status), httpx.Response(200, json=SENT))
    async with client(api_key, recorder) as hero:
        with pytest.raises(HeroAPIError):
            await send_message.asyncio(client=hero, body=SMS)
    assert len(recorder.requests) == 1


async def test_post_is_not_resent_after_a_read_timeout(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json=SENT))
    async with client(api_key, recorder) as hero:
        with pytest.raises(APITimeoutError):
            await send_message.asyncio(client=hero, body=SMS)
    assert len(recorder.requests) == 1


async def test_post_is_retried_on_429_honouring_retry_after(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=SENT))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        sent = await send_message.asyncio(client=hero, body=SMS)
    assert sent.message_id == "9"
    assert len(recorder.requests) == 2
    assert no_sleep == [2.0]
    assert hero.stats.retries == 1 and hero.stats.rate_limited == 1


async def test_429_pauses_the_shared_limiter_for_every_caller(api_key: str) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "0.3"}), httpx.Response(200, json=STATUS))
    async with client(api_key, recorder) as hero:
        await get_message_status.asyncio("1", client=hero)
        assert hero.stats.limiter_wait >= 0.25  # the retry waited in the limiter, where every caller waits
        other = HeroClient(api_key, "2", transport=recorder.transport, rate_limit=RateLimit(1000, 1))
        await get_message_status.asyncio("1", client=other)
        await other.aclose()


async def test_post_is_retried_when_the_connection_was_never_made(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.ConnectError("refused"), httpx.Response(200, json=SENT))
    async with client(api_key, recorder) as hero:
        await send_message.asyncio(client=hero, body=SMS)
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
async def test_get_is_retried_on_transient_statuses(api_key: str, no_sleep: list[float], status: int) -> None:
    recorder = Recorder(httpx.Response(status), httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        status_answer = await get_message_status.asyncio("1", client=hero)
    assert status_answer.id == "1"
    assert len(recorder.requests) == 2
    assert len(no_sleep) == 1 and 0 <= no_sleep[0] <= 0.5


async def test_put_is_retried_on_a_read_error(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.ReadError("reset"), httpx.Response(200, json={}))
    body = EditAppointmentRequest.from_dict({"practitioner_id": "1", "duration": 15, "start_time": None})
    async with client(api_key, recorder) as hero:
        await edit_appointment.asyncio("5", client=hero, body=body)
    assert len(recorder.requests) == 2


async def test_retries_stop_at_max_retries_with_growing_backoff(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.Response(503))
    async with client(api_key, recorder, max_retries=3) as hero:
        with pytest.raises(ServerError):
            await get_message_status.asyncio("1", client=hero)
    assert len(recorder.requests) == 4
    assert len(no_sleep) == 3
    assert all(0 <= slept <= ceiling for slept, ceiling in zip(no_sleep, (0.5, 1.0, 2.0), strict=True))


async def test_connection_failures_become_typed_errors(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    async with client(api_key, recorder, max_retries=1) as hero:
        with pytest.raises(APIConnectionError) as raised:
            await get_message_status.asyncio("1", client=hero)
    assert not isinstance(raised.value, APITimeoutError)
    assert "GET /v1/messages/{id}/status" in str(raised.value)
    assert len(recorder.requests) == 2


async def test_a_long_retry_after_is_raised_not_waited(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        with pytest.raises(RateLimitError) as raised:
            await get_message_status.asyncio("1", client=hero)
    assert raised.value.retry_after == 3600
    assert len(recorder.requests) == 1


async def test_retried_post_sends_the_same_body(api_key: str, no_sleep: list[float]) -> None:
    recorder = Recorder(httpx.Response(429), httpx.Response(200, json=SENT))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        await send_message.asyncio(client=hero, body=SMS)
    first, second = (request.content for request in recorder.requests)
    assert first == second and b"Your appointment" in first


def test_retry_after_parsing() -> None:
    assert parse_retry_after("12") == 12
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") == 0
    assert parse_retry_after("nan") is None and parse_retry_after("inf") is None
    now = 1_800_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0


def test_max_retries_must_be_sensible(api_key: str) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        HeroClient(api_key, "1", max_retries=-1)


async def test_the_limiter_place_is_released_before_the_backoff_sleep(
    api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    class Permit:
        waited = 0.0

        async def release(self) -> None:
            events.append("release")

    class Limiter:
        async def acquire(self) -> Permit:
            events.append("acquire")
            return Permit()

        async def pause(self, seconds: float) -> None:
            events.append("pause")

    async def fake_sleep(delay: float) -> None:
        events.append("sleep")

    monkeypatch.setattr("hero_health_client._attempts.asyncio.sleep", fake_sleep)
    recorder = Recorder(httpx.ReadError("reset"), httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limiter=Limiter()) as hero:
        await get_message_status.asyncio("1", client=hero)
    assert events == ["acquire", "release", "sleep", "acquire", "release"]


async def test_a_long_retry_after_pauses_the_key_for_its_real_length_and_refuses_waiters_at_once(api_key: str) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "120"}), httpx.Response(200, json=STATUS))
    async with client(api_key, recorder) as hero:
        with pytest.raises(RateLimitError) as first:
            await get_message_status.asyncio("1", client=hero)
        limiter = hero._transport._limiter
        assert isinstance(limiter, SlidingWindowLimiter)
        assert 110 < limiter._paused_until - time.monotonic() <= 120  # the real Retry-After, not a 60 s cap
        other = HeroClient(api_key, "2", transport=recorder.transport, rate_limit=RateLimit(1000, 1))
        with pytest.raises(RateLimitError) as second:  # would wait beyond its max_retry_after: told at once
            await asyncio.wait_for(get_message_status.asyncio("1", client=other), timeout=5)
        await other.aclose()
    assert first.value.retry_after == 120
    assert second.value.retry_after is not None and 100 < second.value.retry_after <= 120
    assert "GET /v1/messages/{id}/status" in str(second.value)
    assert len(recorder.requests) == 1  # nothing was sent while the key was paused


async def test_callers_that_may_wait_out_a_pause_do(api_key: str) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "0.4"}), httpx.Response(200, json=STATUS))
    async with client(api_key, recorder, max_retry_after=1.0) as hero:
        await get_message_status.asyncio("1", client=hero)
    assert hero.stats.limiter_wait >= 0.35 and len(recorder.requests) == 2


async def test_a_request_without_an_answer_keeps_counting_beyond_the_window(api_key: str) -> None:
    # Hero may still receive a request whose answer we gave up on (queued in a proxy): its place is held for the
    # attempt's connect + write + read timeouts (3 x 0.5 s here) plus the window, not just the window.
    recorder = Recorder(httpx.ReadTimeout("slow"))
    limit = RateLimit(1, 0.2, margin=0)
    async with HeroClient(
        api_key, "1", transport=recorder.transport, rate_limit=limit, max_retries=0, timeout=0.5
    ) as hero:
        with pytest.raises(APITimeoutError):
            await get_message_status.asyncio("1", client=hero)
        limiter = hero._transport._limiter
        assert limiter is not None
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(limiter.acquire(), timeout=1.0)


async def test_a_request_that_never_left_counts_only_its_window(api_key: str) -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    limit = RateLimit(1, 0.2, margin=0)
    async with HeroClient(
        api_key, "1", transport=recorder.transport, rate_limit=limit, max_retries=0, timeout=0.5
    ) as hero:
        with pytest.raises(APIConnectionError):
            await get_message_status.asyncio("1", client=hero)
        limiter = hero._transport._limiter
        assert limiter is not None
        permit = await asyncio.wait_for(limiter.acquire(), timeout=2.0)
        await permit.release()


@pytest.mark.parametrize("value", [True, -1, math.inf, math.nan, "60"])
def test_max_retry_after_must_be_sensible(api_key: str, value: object) -> None:
    with pytest.raises(ValueError, match="max_retry_after"):
        HeroClient(api_key, "1", max_retry_after=value)  # type: ignore[arg-type]


class LaneLimiter:
    """A limiter with lanes, as limits.py's limiters have them: ``acquire(..., priority=)``; records each lane."""

    def __init__(self, waits: list[float] | None = None) -> None:
        self.lanes: list[str] = []
        self.waits = list(waits or [])

    async def acquire(self, *, max_wait: float | None = None, priority: str = "interactive") -> object:
        self.lanes.append(priority)
        waited = self.waits.pop(0) if self.waits else 0.0

        class Permit:
            async def release(self) -> None:
                pass

        permit = Permit()
        permit.waited = waited  # type: ignore[attr-defined]
        return permit

    async def pause(self, seconds: float) -> None:
        pass


async def test_with_options_priority_reaches_the_limiter(api_key: str) -> None:
    limiter = LaneLimiter()
    recorder = Recorder(httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limiter=limiter) as hero:  # type: ignore[arg-type]
        await get_message_status.asyncio("1", client=hero.with_options(priority="bulk"))
        await get_message_status.asyncio("1", client=hero)
        await get_message_status.asyncio("1", client=hero.with_options(priority="interactive"))
        await get_message_status.asyncio("1", client=hero.with_options(priority="bulk").with_options(timeout=5))
    assert limiter.lanes == ["bulk", "interactive", "interactive", "bulk"]


async def test_a_limiter_without_lanes_is_not_given_a_priority(api_key: str) -> None:
    calls: list[dict[str, object]] = []

    class Permit:
        waited = 0.0

        async def release(self) -> None:
            pass

    class PlainLimiter:
        async def acquire(self, max_wait: float | None = None) -> Permit:
            calls.append({"max_wait": max_wait})
            return Permit()

        async def pause(self, seconds: float) -> None:
            pass

    recorder = Recorder(httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limiter=PlainLimiter()) as hero:
        await get_message_status.asyncio("1", client=hero.with_options(priority="bulk"))
    assert calls == [{"max_wait": 60.0}]


@pytest.mark.parametrize("value", ["urgent", "BULK", 1, ""])
def test_priority_must_be_a_known_lane(api_key: str, value: object) -> None:
    hero = HeroClient(api_key, "1", rate_limit=None)
    with pytest.raises(ValueError, match="priority must be one of 'interactive', 'bulk'"):
        hero.with_options(priority=value)  # type: ignore[arg-type]


async def test_stats_report_count_mean_and_max_of_limiter_waits(api_key: str, no_sleep: list[float]) -> None:
    limiter = LaneLimiter(waits=[0.5, 0.0, 2.5])
    recorder = Recorder(httpx.Response(503), httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limiter=limiter) as hero:  # type: ignore[arg-type]
        assert hero.stats.limiter_wait_mean == 0.0
        await get_message_status.asyncio("1", client=hero)  # two attempts: 0.5 s, then 0.0 s
        await get_message_status.asyncio("1", client=hero)  # 2.5 s
    assert hero.stats.limiter_waits == 3
    assert hero.stats.limiter_wait == pytest.approx(3.0)
    assert hero.stats.limiter_wait_mean == pytest.approx(1.0)
    assert hero.stats.limiter_wait_max == pytest.approx(2.5)
