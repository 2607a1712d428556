"""The in-process limiter: the sliding-window guarantee as a strict server sees it, sharing, pauses, loops."""

from __future__ import annotations

import asyncio
import math
import threading
import time
import uuid

import httpx
import pytest

from hero_health_client import HeroClient, RateLimit, SlidingWindowLimiter
from hero_health_client.generated.api.messages import get_message_status
from hero_health_client.limits import shared_limiter
from tests.conftest import Recorder
from tests.support.strict_server import StrictServer

STATUS = {
    "id": "1",
    "scheduled_send_at": None,
    "write_to_record": False,
    "status": {"write_to_record_at": None, "sent_at": None, "response": "sent", "failure_reason": None},
    "errors": {"write_to_record": None, "send": None},
}


async def hammer(hero: HeroClient, callers: int, seconds: float) -> int:
    """Closed-loop callers, each sending again as soon as its answer is in; returns answers received."""
    done = 0
    deadline = time.monotonic() + seconds

    async def caller() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            await get_message_status.asyncio("1", client=hero)
            done += 1

    await asyncio.gather(*(caller() for _ in range(callers)))
    return done


async def test_a_strict_server_sees_no_request_over_the_limit_under_concurrent_load(api_key: str) -> None:
    async with (
        StrictServer(limit=30, seconds=1.0) as server,
        HeroClient(api_key, "1", base_url=server.url, rate_limit=RateLimit(30, 1.0), max_retries=0) as hero,
    ):
        answered = await hammer(hero, callers=60, seconds=3.5)
    assert server.stats.over_limit == 0
    assert server.stats.max_in_window(1.0) <= 30
    assert hero.stats.rate_limited == 0
    # Four windows start inside 3.5 s (at ~0, 1, 2, 3 s); each admits the full 30.
    assert answered >= 4 * 30


async def test_two_clients_of_one_key_share_one_budget(api_key: str) -> None:
    limit = RateLimit(20, 1.0)
    async with (
        StrictServer(limit=20, seconds=1.0) as server,
        HeroClient(api_key, "1", base_url=server.url, rate_limit=limit, max_retries=0) as first,
        HeroClient(api_key, "2", base_url=server.url, rate_limit=limit, max_retries=0) as second,
    ):
        await asyncio.gather(hammer(first, 20, 2.5), hammer(second, 20, 2.5))
    assert server.stats.over_limit == 0
    assert first.stats.requests > 0 and second.stats.requests > 0


async def test_clients_of_different_keys_have_their_own_budgets(api_key: str) -> None:
    first = shared_limiter(api_key, RateLimit(5, 60))
    assert shared_limiter(api_key, RateLimit(5, 60)) is first
    assert shared_limiter(api_key + "-other", RateLimit(5, 60)) is not first


def test_a_second_rate_limit_for_a_key_is_refused_and_changes_nothing(api_key: str) -> None:
    first = HeroClient(api_key, "1", rate_limit=RateLimit(5, 60))
    with pytest.raises(ValueError, match="rate_limit") as raised:
        HeroClient(api_key, "1", rate_limit=RateLimit(10, 60))
    assert api_key not in str(raised.value)
    limiter = first._transport._limiter
    assert isinstance(limiter, SlidingWindowLimiter)
    assert limiter.rate_limit == RateLimit(5, 60)
    assert HeroClient(api_key, "2", rate_limit=RateLimit(5, 60))._transport._limiter is limiter


@pytest.mark.parametrize("bad", [(300, 60), {"requests": 300}, 300, "300/60"])
async def test_a_rate_limit_that_is_not_a_rate_limit_is_refused_before_touching_the_key(
    api_key: str, bad: object
) -> None:
    recorder = Recorder(httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=RateLimit(5, 60)) as first:
        with pytest.raises(ValueError, match="rate_limit"):
            HeroClient(api_key, "1", rate_limit=bad)  # type: ignore[arg-type]
        limiter = first._transport._limiter
        assert isinstance(limiter, SlidingWindowLimiter) and limiter.rate_limit == RateLimit(5, 60)
        await get_message_status.asyncio("1", client=first)  # the key's existing client still works


def test_a_failed_construction_leaves_the_key_without_a_limiter(api_key: str) -> None:
    with pytest.raises(ValueError, match="timeout"):
        HeroClient(api_key, "1", rate_limit=RateLimit(5, 60), timeout=-1)
    # The failed client set nothing up: a different RateLimit for the key is still the first one, so accepted.
    assert HeroClient(api_key, "1", rate_limit=RateLimit(7, 60))._transport._limiter is not None


def test_the_registry_is_keyed_by_the_full_hash_not_the_short_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two keys whose display fingerprints collide (as a 32-bit tag does after ~65,000 keys) keep their own budgets.
    monkeypatch.setattr("hero_health_client.limits.registry.fingerprint", lambda secret: "deadbeef")
    monkeypatch.setattr("hero_health_client._redact.fingerprint", lambda secret: "deadbeef")
    first, second = f"key-a-{uuid.uuid4().hex}", f"key-b-{uuid.uuid4().hex}"
    assert shared_limiter(first, RateLimit(5, 60)) is not shared_limiter(second, RateLimit(5, 60))


def test_a_closed_event_loop_does_not_stall_the_key_for_other_loops() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 0.2, margin=0))
    dead = asyncio.new_event_loop()
    stranded: list[asyncio.Task[object]] = []

    async def strand() -> None:
        await limiter.acquire()  # granted, and never released: its loop dies first
        stranded.append(dead.create_task(limiter.acquire()))  # queued behind it, at the head of the line
        await asyncio.sleep(0.05)

    dead.run_until_complete(strand())
    dead.close()  # closed with its task still queued: no exception handler of that task ever runs

    async def other_loop() -> float:
        started = time.monotonic()
        permit = await asyncio.wait_for(limiter.acquire(), timeout=5)
        await permit.release()
        return time.monotonic() - started

    assert asyncio.run(other_loop()) < 5


def test_a_waiter_behind_a_dead_head_gets_its_turn() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 0.3, margin=0))
    held_by_live_loop = []

    async def first_grant() -> None:
        held_by_live_loop.append(await limiter.acquire())

    asyncio.run(first_grant())  # spent; its window starts when released below
    dead = asyncio.new_event_loop()
    stranded: list[asyncio.Task[object]] = []

    async def strand() -> None:
        stranded.append(dead.create_task(limiter.acquire()))  # the head of the queue, on a loop about to die
        await asyncio.sleep(0.05)

    dead.run_until_complete(strand())

    async def other_loop() -> None:
        waiting = asyncio.ensure_future(limiter.acquire())  # queued behind the head while its loop still lives
        await asyncio.sleep(0.05)
        dead.close()
        held_by_live_loop[0].release_now()
        permit = await asyncio.wait_for(waiting, timeout=5)
        await permit.release()

    asyncio.run(other_loop())


async def test_a_lowered_limit_still_counts_earlier_requests() -> None:
    limiter = SlidingWindowLimiter(RateLimit(3, 10))
    for _ in range(2):
        await (await limiter.acquire()).release()
    limiter.reconfigure(RateLimit(2, 10))
    waiting = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the two earlier requests fill the new, smaller window
    waiting.cancel()


def test_the_limiter_works_across_event_loops_run_one_after_another(api_key: str) -> None:
    limit = RateLimit(3, 0.5)

    async def run() -> int:
        async with StrictServer(limit=3, seconds=0.5) as server:
            async with HeroClient(api_key, "1", base_url=server.url, rate_limit=limit, max_retries=0) as hero:
                await asyncio.gather(*(get_message_status.asyncio("1", client=hero) for _ in range(4)))
            return server.stats.over_limit

    assert asyncio.run(run()) == 0
    assert asyncio.run(run()) == 0  # a new loop, the same shared limiter: no warning, no hang


def test_the_limiter_is_shared_by_threads_with_their_own_loops() -> None:
    limiter = SlidingWindowLimiter(RateLimit(10, 0.5, margin=0))
    grants: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        async def go() -> None:
            for _ in range(10):
                permit = await limiter.acquire()
                with lock:
                    grants.append(time.monotonic())
                await permit.release()

        asyncio.run(go())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    grants.sort()
    assert len(grants) == 30
    assert all(later - earlier >= 0.5 for earlier, later in zip(grants, grants[10:], strict=False))


async def test_a_request_in_flight_holds_its_place_until_answered() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 0.05, margin=0))
    first = await limiter.acquire()
    second = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.15)  # three windows pass, but the first request has no answer yet
    assert not second.done()
    await first.release()
    started = time.monotonic()
    permit = await second
    assert time.monotonic() - started >= 0.04  # a full window after the answer
    await permit.release()


async def test_pause_holds_every_caller() -> None:
    limiter = SlidingWindowLimiter(RateLimit(100, 1.0))
    await limiter.pause(0.2)
    started = time.monotonic()
    permits = await asyncio.gather(*(limiter.acquire() for _ in range(5)))
    assert time.monotonic() - started >= 0.19
    assert all(p.waited >= 0.19 for p in permits)


async def test_a_cancelled_waiter_does_not_block_the_queue() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 0.1, margin=0))
    held = await limiter.acquire()
    doomed = asyncio.ensure_future(limiter.acquire())
    patient = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.01)
    doomed.cancel()
    await held.release()
    permit = await asyncio.wait_for(patient, timeout=2)
    await permit.release()


async def test_burst_spreads_requests_out() -> None:
    limiter = SlidingWindowLimiter(RateLimit(10, 1.0, burst=2, margin=0))
    started = time.monotonic()
    for _ in range(4):
        await (await limiter.acquire()).release()
    # Two leave at once; the next two drip at 10 per second.
    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"requests": 0}, "requests"),
        ({"requests": 1.5}, "requests"),
        ({"seconds": 0}, "seconds"),
        ({"seconds": math.inf}, "seconds"),
        ({"seconds": math.nan}, "seconds"),
        ({"requests": True}, "requests"),
        ({"margin": math.inf}, "margin"),
        ({"margin": -1}, "margin"),
        ({"requests": 5, "burst": 6}, "burst"),
    ],
)
def test_rate_limit_rejects_nonsense(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=f"RateLimit.{field}"):
        RateLimit(**kwargs)  # type: ignore[arg-type]


def test_default_margin_scales_with_the_window() -> None:
    assert RateLimit(300, 60).window == pytest.approx(60.06)
    assert RateLimit(60, 2).window == pytest.approx(2.002)
    assert RateLimit(300, 60, margin=0.5).window == 60.5
