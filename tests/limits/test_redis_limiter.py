"""The Redis limiter against a real redis-server: atomic counting, hashed keys, shared pauses, outages, processes.

Each test module run starts its own ``redis-server`` on a free loopback port (no persistence) and stops it after.
Without the binary the tests are skipped, unless ``CI`` is set: CI installs it, so there its absence is a failure.

The throwaway redis-server and the multi-process fleet live in ``tests/support/redis_fleet.py`` (the bench uses
them too).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import random
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from typing import cast

import pytest
import redis.asyncio as aioredis

from hero_health_client import HeroClient, HeroError, RateLimit
from hero_health_client.generated.api.messages import get_message_status
from hero_health_client.limits import KeyPausedError
from hero_health_client.redis_limiter import (
    RateLimiterUnavailableError,
    RedisKeyLimiter,
    RedisRateLimiter,
    RedisUnavailableWarning,
    redact_url,
)
from scripts.mock_server import free_port
from tests.support.redis_fleet import redis_process, redis_server, run_fleet
from tests.support.strict_server import StrictServer
from tests.support.subprocess_server import StrictServerProcess

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install it")
        pytest.skip(reason)
    return binary


@pytest.fixture(scope="module")
def redis_url(redis_binary: str) -> Iterator[str]:
    with redis_server(redis_binary) as url:
        yield url


@pytest.fixture
def prefix() -> str:
    """A fresh key prefix per test, so tests sharing the server never see each other's counts."""
    return f"test-{uuid.uuid4().hex[:8]}"


async def redis_contents(url: str, prefix: str) -> dict[str, list[str]]:
    """Every key under ``prefix`` with its members or value, to check what reaches Redis."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    found: dict[str, list[str]] = {}
    async for key in client.scan_iter(match=f"{prefix}:*"):
        kind = await client.type(key)
        values = await client.zrange(key, 0, -1) if kind == "zset" else [await client.get(key)]
        found[key] = [str(value) for value in values]
    await client.aclose()
    return found


def most_in_any_window(spans: list[tuple[float, float]], seconds: float) -> int:
    """The most requests that any window of ``seconds`` could meet, each request being seen by the server at any
    moment of its span (grant, release). The busiest window ends at some grant, so checking those is enough."""
    return max(sum(1 for g, r in spans if g <= grant and r >= grant - seconds) for grant, _ in spans)


async def test_two_instances_with_many_coroutines_never_exceed_the_limit(redis_url: str, prefix: str) -> None:
    limit, seconds, run_for = 20, 0.5, 1.6
    first = RedisRateLimiter(redis_url, limit, seconds, prefix=prefix)
    second = RedisRateLimiter(redis_url, limit, seconds, prefix=prefix)
    spans: list[tuple[float, float]] = []

    async def caller(limiter: RedisKeyLimiter) -> None:
        while True:
            permit = await limiter.acquire()
            granted = time.monotonic()
            try:
                await asyncio.sleep(random.uniform(0, 0.02))
            finally:
                spans.append((granted, time.monotonic()))
                await permit.release()

    async with first, second:
        callers = [asyncio.create_task(caller(lim.bind("key"))) for lim in (first, second) for _ in range(40)]
        await asyncio.sleep(run_for)
        for task in callers:
            task.cancel()
        _, pending = await asyncio.wait(callers, timeout=5)
    assert not pending
    assert most_in_any_window(spans, seconds) <= limit
    # Windows open at ~0, ~0.52 and ~1.05 s within the run: each admits the whole budget.
    assert len(spans) >= 3 * limit


async def test_cancelled_callers_are_cancelled_and_leave_no_place_taken(redis_url: str, prefix: str) -> None:
    async with RedisRateLimiter(redis_url, 10**6, 1, prefix=prefix) as limiter:
        bound = limiter.bind("key")

        async def caller() -> None:
            while True:
                permit = await bound.acquire()
                await permit.release()

        callers = [asyncio.create_task(caller()) for _ in range(80)]
        await asyncio.sleep(0.3)
        for task in callers:
            task.cancel()
        _, pending = await asyncio.wait(callers, timeout=5)
    assert not pending  # no cancellation was swallowed on the way through redis-py
    contents = await redis_contents(redis_url, prefix)
    assert not [key for key, members in contents.items() if key.endswith(":inflight") and members]


async def test_redis_holds_only_a_hash_of_the_api_key(redis_url: str, prefix: str) -> None:
    api_key = f"sk_live_{uuid.uuid4().hex}"
    async with RedisRateLimiter(redis_url, 5, 60, prefix=prefix) as limiter:
        bound = limiter.bind(api_key)
        await (await bound.acquire()).release()
        await bound.acquire()
        await bound.pause(5)
        contents = await redis_contents(redis_url, prefix)
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    assert sorted(contents) == [f"{prefix}:{{{digest}}}:{name}" for name in ("done", "epoch", "inflight", "pause")]
    text = json.dumps(contents)
    assert api_key not in text and api_key[8:] not in text
    assert api_key not in repr(bound) and api_key not in repr(limiter)


async def test_a_pause_reaches_every_instance(redis_url: str, prefix: str) -> None:
    async with (
        RedisRateLimiter(redis_url, 100, 60, prefix=prefix) as first,
        RedisRateLimiter(redis_url, 100, 60, prefix=prefix) as second,
    ):
        await first.bind("key").pause(0.4)
        permit = await second.bind("key").acquire()
        await permit.release()
    assert 0.35 <= permit.waited < 1.5


async def test_in_flight_places_of_a_dead_process_end_after_lease_and_window(redis_url: str, prefix: str) -> None:
    async with RedisRateLimiter(redis_url, 2, 0.3, prefix=prefix, lease=0.3) as limiter:
        bound = limiter.bind("key")
        await bound.acquire()  # never released, as if the process died mid-request
        await bound.acquire()
        permit = await bound.acquire()
        await permit.release()
    assert 0.55 <= permit.waited < 1.5


async def test_hero_client_binds_the_factory_to_its_own_key(redis_url: str, prefix: str, api_key: str) -> None:
    async with (
        StrictServer(limit=10, seconds=1) as server,
        RedisRateLimiter(redis_url, 10, 1, prefix=prefix) as limiter,
        HeroClient(api_key, "1", base_url=server.url, rate_limiter=limiter) as hero,
    ):
        await get_message_status.asyncio("1", client=hero)
        contents = await redis_contents(redis_url, prefix)
    assert limiter.bind(api_key) is limiter.bind(api_key)
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    assert contents[f"{prefix}:{{{digest}}}:done"]  # the request was counted under the key's hash
    with pytest.raises(ValueError, match="not both"):
        HeroClient(api_key, "1", rate_limit=RateLimit(10, 1), rate_limiter=limiter)


def test_urls_are_shown_without_their_password() -> None:
    assert redact_url("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact_url("rediss://:s3cret@host/1") == "rediss://:***@host/1"
    assert redact_url("unix:///run/redis.sock?db=0&password=s3cret") == "unix:///run/redis.sock?db=0&password=***"
    assert redact_url("redis://host:6379") == "redis://host:6379"
    assert "s3cret" not in repr(RedisRateLimiter("redis://u:s3cret@host:6379/0"))


async def test_unreachable_redis_raises_a_typed_error_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    api_key = f"sk_live_{uuid.uuid4().hex}"
    url = f"redis://user:s3cret-pass@127.0.0.1:{free_port()}/0"  # nothing listens there
    async with RedisRateLimiter(url, 5, 60, on_unavailable="raise") as limiter:
        with caplog.at_level(logging.WARNING, logger="hero_health_client"):
            with pytest.raises(RateLimiterUnavailableError) as raised:
                await limiter.bind(api_key).acquire()
            await limiter.bind(api_key).pause(1)  # logged, not raised: the caller's 429 is the error to report
    assert isinstance(raised.value, HeroError)
    shown = str(raised.value) + caplog.text
    assert "user:***@127.0.0.1" in str(raised.value)
    assert "s3cret-pass" not in shown and api_key not in shown


async def test_unreachable_redis_falls_back_to_a_local_limit_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0"
    async with RedisRateLimiter(url, 3, 0.3, on_unavailable="local") as limiter:
        bound = limiter.bind("key")
        with pytest.warns(RedisUnavailableWarning) as warned:
            permits = [await bound.acquire() for _ in range(3)]
        # Another process may have spent the window just before Redis failed: the first local grant waits it out.
        assert permits[0].waited >= 0.25
        with pytest.raises(TimeoutError):  # the local budget of 3 is spent
            await asyncio.wait_for(bound.acquire(), 0.2)
        for permit in permits:
            await permit.release()
    assert len(warned) == 1
    assert "s3cret-pass" not in str(warned[0].message) + caplog.text


async def test_local_fallback_returns_to_redis_once_it_answers_again(
    redis_binary: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hero_health_client.redis_limiter._RECHECK", 0.2)
    port = free_port()
    with redis_server(redis_binary, port) as url:
        limiter = RedisRateLimiter(url, 100, 0.3, prefix=prefix, on_unavailable="local")
        bound = limiter.bind("key")
        await (await bound.acquire()).release()  # opens a pooled connection that the restart will break
    with pytest.warns(RedisUnavailableWarning):
        await (await bound.acquire()).release()  # Redis is down: the local limiter grants
    with redis_server(redis_binary, port) as url:
        await asyncio.sleep(0.25)
        permit = await bound.acquire()
        await permit.release()
        await limiter.aclose()
        contents = await redis_contents(url, prefix)
    assert [key for key in contents if key.endswith(":done")]  # counted in Redis again


@pytest.mark.parametrize(
    "url", ["redis//host:6379", "http://host:6379/0", "redis://", "redis://host:port/0", "redis://host:99999", 42]
)
def test_a_malformed_redis_url_is_refused_at_construction(url: object) -> None:
    with pytest.raises(ValueError, match="url"):
        RedisRateLimiter(url)  # type: ignore[arg-type]


def test_a_malformed_url_is_refused_without_its_password() -> None:
    with pytest.raises(ValueError) as raised:
        RedisRateLimiter("redis://:s3cret@host:notaport/0")
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize("name", ["lease", "redis_timeout", "max_sleep"])
@pytest.mark.parametrize("value", [0, -1, math.inf, math.nan, True])
def test_limiter_durations_must_be_finite_and_positive(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        RedisRateLimiter("redis://127.0.0.1:6379/0", **{name: value})  # type: ignore[arg-type]


async def test_a_long_pause_refuses_callers_that_may_not_wait_so_long(redis_url: str, prefix: str) -> None:
    async with (
        RedisRateLimiter(redis_url, 100, 60, prefix=prefix) as first,
        RedisRateLimiter(redis_url, 100, 60, prefix=prefix) as second,
    ):
        await first.bind("key").pause(30)
        with pytest.raises(KeyPausedError) as raised:
            await asyncio.wait_for(second.bind("key").acquire(max_wait=1.0), timeout=5)
    assert 25 < raised.value.retry_after <= 30


async def test_an_acquire_that_timed_out_against_a_slow_redis_leaves_no_grant(redis_binary: str, prefix: str) -> None:
    with redis_process(redis_binary) as (url, process):
        async with RedisRateLimiter(url, 1, 60, prefix=prefix, redis_timeout=0.3) as limiter:
            bound = limiter.bind("key")
            await (await limiter.bind("warm-up").acquire()).release()  # the connection and scripts are ready
            process.send_signal(signal.SIGSTOP)
            try:
                with pytest.raises(RateLimiterUnavailableError):
                    await bound.acquire()  # times out; Redis still holds the script, to run when it resumes
                await asyncio.sleep(0.3)
            finally:
                process.send_signal(signal.SIGCONT)
            # Redis runs the late acquire, and the take-back that voids it, in whichever order.
            if limiter._background:
                await asyncio.wait(list(limiter._background), timeout=10)
            contents = await redis_contents(url, prefix)
            assert not [key for key, members in contents.items() if key.endswith(":inflight") and members]
            permit = await asyncio.wait_for(bound.acquire(), timeout=3)  # the one place is free
            await permit.release()


async def test_after_redis_loses_its_state_the_key_waits_a_window(redis_binary: str, prefix: str) -> None:
    port = free_port()
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{port}/0", 10, 1.0, prefix=prefix)
    bound = limiter.bind("key")
    with redis_server(redis_binary, port):
        for _ in range(10):
            await (await bound.acquire()).release()  # the window's budget is spent
    with redis_server(redis_binary, port):  # restarted without persistence: the count is gone
        permit = await bound.acquire()
        await permit.release()
        await limiter.aclose()
    # The limiter saw the state it knew vanish, so it held the key for a window instead of granting at once.
    assert permit.waited >= 0.9


# The multi-process test: separate OS processes, one HeroClient each, one API key, one strict server.

FLEET_LIMIT, FLEET_SECONDS = 60, 2.0


def utilisation(arrivals: list[float], limit: int, seconds: float, windows: int) -> float:
    """Accepted share of the budget over the first ``windows`` whole windows after the first arrival."""
    start = arrivals[0]
    return sum(1 for t in arrivals if t < start + windows * seconds) / (windows * limit)


def test_four_processes_share_one_budget_without_a_single_429(redis_url: str) -> None:
    with StrictServerProcess(limit=FLEET_LIMIT, seconds=FLEET_SECONDS) as server:
        results = run_fleet(
            redis_url=redis_url,
            server_url=server.url,
            processes=4,
            callers=30,
            run_for=7.0,
            limit=FLEET_LIMIT,
            seconds=FLEET_SECONDS,
        )
        stats = server.stats()
    arrivals = sorted(cast("list[float]", stats["arrivals"]))
    assert stats["over_limit"] == 0
    assert sum(r["failed"] for r in results) == 0
    assert all(r["answered"] > 0 for r in results)  # every process got a share
    # 7 s holds three whole 2 s windows after the first arrival, each worth the full budget.
    assert utilisation(arrivals, FLEET_LIMIT, FLEET_SECONDS, windows=3) >= 0.9


def test_four_processes_stay_within_the_limit_through_a_redis_stop_and_a_restart(redis_binary: str) -> None:
    # Falling back to per-process limits and coming back must not let both budgets spend: not when Redis stops
    # (SIGSTOP: its calls time out, its state survives), nor when it restarts empty.
    limit, seconds, processes = 20, 1.0, 4
    port = free_port()
    redis = contextlib.ExitStack()
    _, process = redis.enter_context(redis_process(redis_binary, port))

    def outages() -> None:
        time.sleep(1.5)
        process.send_signal(signal.SIGSTOP)
        time.sleep(1.5)
        process.send_signal(signal.SIGCONT)
        time.sleep(1.0)
        redis.close()  # gone...
        time.sleep(0.5)
        redis.enter_context(redis_process(redis_binary, port))  # ...and back, without the state

    with redis, StrictServerProcess(limit=limit, seconds=seconds) as server:
        results = run_fleet(
            redis_url=f"redis://127.0.0.1:{port}/0",
            server_url=server.url,
            processes=processes,
            callers=10,
            run_for=7.5,
            limit=limit,
            seconds=seconds,
            meanwhile=outages,
            recheck=0.3,
            redis_options={"on_unavailable": "local", "local_requests": limit // processes, "redis_timeout": 0.3},
        )
        stats = server.stats()
    assert stats["over_limit"] == 0
    assert sum(r["failed"] for r in results) == 0
    assert all(r["answered"] > 0 for r in results)
    # Not starved either: 7.5 s of 20 per second would be 150; outages and their conservative windows cost some.
    assert stats["accepted"] >= 3 * limit


# -- priority, many keys, permits that say why --------------------------------------------------------------------


async def test_bulk_holds_at_most_its_share_across_instances_and_interactive_goes_at_once(
    redis_url: str, prefix: str
) -> None:
    async with (
        RedisRateLimiter(redis_url, 4, 60, prefix=prefix, bulk_share=0.5) as first,
        RedisRateLimiter(redis_url, 4, 60, prefix=prefix, bulk_share=0.5) as second,
    ):
        for _ in range(2):
            await asyncio.wait_for(first.bind("key").acquire(priority="bulk"), timeout=5)
        third_bulk = asyncio.ensure_future(second.bind("key").acquire(priority="bulk"))
        await asyncio.sleep(0.3)
        assert not third_bulk.done()  # two of four is the bulk share, across processes
        interactive = [await asyncio.wait_for(second.bind("key").acquire(), timeout=5) for _ in range(2)]
        assert [p.reason for p in interactive] == [None, None]
        blocked = asyncio.ensure_future(second.bind("key").acquire())
        await asyncio.sleep(0.3)
        assert not blocked.done()  # now the window is full for everyone
        third_bulk.cancel()
        blocked.cancel()
        await asyncio.gather(third_bulk, blocked, return_exceptions=True)


async def test_a_released_bulk_request_keeps_counting_as_bulk_for_its_window(redis_url: str, prefix: str) -> None:
    async with RedisRateLimiter(redis_url, 4, 0.4, prefix=prefix, bulk_share=0.25, margin=0) as limiter:
        bound = limiter.bind("key")
        await (await bound.acquire(priority="bulk")).release()
        started = time.monotonic()
        permit = await asyncio.wait_for(bound.acquire(priority="bulk"), timeout=5)
        await permit.release()
    assert time.monotonic() - started >= 0.3  # the first bulk place stayed taken a window after its answer
    assert permit.reason == "window full"


async def test_an_interactive_caller_does_not_queue_behind_bulk_callers(redis_url: str, prefix: str) -> None:
    async with RedisRateLimiter(redis_url, 10, 60, prefix=prefix, bulk_share=0.2) as limiter:
        bound = limiter.bind("key")
        for _ in range(2):
            await bound.acquire(priority="bulk")
        backlog = [asyncio.ensure_future(bound.acquire(priority="bulk")) for _ in range(50)]
        await asyncio.sleep(0.1)
        permit = await asyncio.wait_for(bound.acquire(), timeout=2)
        assert permit.reason is None and permit.queue_length == 0
        for task in backlog:
            task.cancel()
        await asyncio.gather(*backlog, return_exceptions=True)


async def test_redis_permits_say_why_they_waited(redis_url: str, prefix: str) -> None:
    async with RedisRateLimiter(redis_url, 1, 0.2, prefix=prefix, margin=0) as limiter:
        bound = limiter.bind("key")
        first = await bound.acquire()
        assert (first.reason, first.queue_length) == (None, 0)
        second, third = (asyncio.ensure_future(bound.acquire()) for _ in range(2))
        await asyncio.sleep(0.05)
        await first.release()
        granted = await asyncio.wait_for(second, timeout=5)
        await granted.release()
        last = await asyncio.wait_for(third, timeout=5)
        await last.release()
        assert (granted.reason, granted.queue_length) == ("window full", 0)
        assert (last.reason, last.queue_length) == ("window full", 1)
        await bound.pause(0.1)
        paused = await asyncio.wait_for(bound.acquire(), timeout=5)
        await paused.release()
        assert paused.reason == "paused after a 429"


async def test_a_long_redis_wait_logs_one_info_line_with_the_fingerprint(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hero_health_client._redact import fingerprint
    from hero_health_client.limits import waits as limits_module

    monkeypatch.setattr(limits_module, "LOG_WAITS_OVER", 0.05)
    key = f"secret-{uuid.uuid4().hex}"
    caplog.set_level(logging.INFO, logger="hero_health_client")
    async with RedisRateLimiter(redis_url, 5, 60, prefix=prefix) as limiter:
        bound = limiter.bind(key)
        await (await bound.acquire()).release()
        assert not caplog.records  # no wait, no line
        await bound.pause(0.2)
        await (await asyncio.wait_for(bound.acquire(), timeout=5)).release()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(lines) == 1
    assert lines[0].startswith(f"rate limiter: key …{fingerprint(key)} waited 0.")
    assert lines[0].endswith("s (paused after a 429, 0 waiting ahead)")
    assert key not in lines[0]


async def test_a_429_on_one_key_never_pauses_another_in_redis(redis_url: str, prefix: str) -> None:
    async with RedisRateLimiter(redis_url, 5, 60, prefix=prefix) as limiter:
        await limiter.bind("paused").pause(60)
        with pytest.raises(KeyPausedError):
            await limiter.bind("paused").acquire(max_wait=1)
        permit = await asyncio.wait_for(limiter.bind("other").acquire(max_wait=1), timeout=2)
        await permit.release()
    assert permit.reason is None


async def test_redis_refuses_an_unknown_priority_and_bulk_share(redis_url: str, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"RateLimit\.bulk_share"):
        RedisRateLimiter(redis_url, 5, 60, prefix=prefix, bulk_share=0)
    async with RedisRateLimiter(redis_url, 5, 60, prefix=prefix) as limiter:
        with pytest.raises(ValueError, match="priority must be 'interactive' or 'bulk'"):
            await limiter.bind("key").acquire(priority="urgent")  # type: ignore[arg-type]


def test_bound_key_limiters_are_dropped_once_no_client_uses_them() -> None:
    import gc

    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    kept = limiter.bind("kept")
    for i in range(2000):
        limiter.bind(f"key-{i}")
    gc.collect()
    assert list(limiter._bound.values()) == [kept]
