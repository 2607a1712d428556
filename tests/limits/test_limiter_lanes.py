"""The in-process limiter at partner scale: priority lanes, many keys, cheap cancellation, permits that say why.

Orders and counts are asserted, never tight timings: windows are either long (nothing frees during the test) or
short with waits bounded generously.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import uuid

import pytest

from hero_health_client import HeroClient, RateLimit, SlidingWindowLimiter
from hero_health_client._redact import fingerprint
from hero_health_client.limits import PAUSED, WINDOW_FULL, KeyPausedError, shared_limiter
from hero_health_client.limits import registry as limits_module
from hero_health_client.limits import waits as waits_module


def fresh_key() -> str:
    return f"lanes-{uuid.uuid4().hex}"


async def settle() -> None:
    """Let every ready callback and task run (a few loop turns)."""
    for _ in range(5):
        await asyncio.sleep(0)


# -- arguments --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["urgent", "BULK", "", 1, None, b"bulk"])
async def test_an_unknown_priority_is_refused_naming_the_parameter(bad: object) -> None:
    limiter = SlidingWindowLimiter(RateLimit(5, 60))
    with pytest.raises(ValueError, match="priority must be 'interactive' or 'bulk'"):
        await limiter.acquire(priority=bad)  # type: ignore[arg-type]
    assert (await limiter.acquire()).queue_length == 0  # nothing was queued or counted by the refusal


@pytest.mark.parametrize("bad", [0, -0.1, 1.01, math.nan, math.inf, True, "0.5"])
def test_bulk_share_must_be_a_finite_share(bad: object) -> None:
    with pytest.raises(ValueError, match=r"RateLimit\.bulk_share"):
        RateLimit(10, 60, bulk_share=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("requests", "share", "places"), [(300, 0.8, 240), (10, 0.7, 7), (100, 0.29, 29), (10, 1.0, 10), (1, 0.8, 1)]
)
def test_bulk_places_is_the_floor_of_the_share_and_at_least_one(requests: int, share: float, places: int) -> None:
    assert RateLimit(requests, 60, bulk_share=share).bulk_places == places


# -- lanes ------------------------------------------------------------------------------------------------------


async def test_bulk_holds_at_most_its_share_and_interactive_gets_the_rest_at_once() -> None:
    limiter = SlidingWindowLimiter(RateLimit(10, 60, bulk_share=0.8))
    bulk = [await limiter.acquire(priority="bulk") for _ in range(8)]
    ninth = asyncio.ensure_future(limiter.acquire(priority="bulk"))
    await settle()
    assert not ninth.done()  # 8 of 10 is the bulk share
    interactive = [await asyncio.wait_for(limiter.acquire(), timeout=1) for _ in range(2)]
    assert all(p.reason is None and p.queue_length == 0 for p in interactive)
    third = asyncio.ensure_future(limiter.acquire())
    await settle()
    assert not third.done()  # now the window is full for everyone
    for permit in bulk + interactive:
        permit.cancel()  # never sent: the places come back at once
    await asyncio.wait_for(asyncio.gather(ninth, third), timeout=1)


async def test_interactive_takes_room_bulk_leaves_unused() -> None:
    limiter = SlidingWindowLimiter(RateLimit(4, 60, bulk_share=0.25))
    permits = [await asyncio.wait_for(limiter.acquire(), timeout=1) for _ in range(4)]
    assert len(permits) == 4  # the whole window, though bulk may hold only one place


async def test_a_freed_place_goes_to_interactive_before_bulk_and_bulk_stays_first_come_first_served() -> None:
    limiter = SlidingWindowLimiter(RateLimit(4, 60, bulk_share=0.5))
    held = [await limiter.acquire() for _ in range(4)]
    order: list[str] = []

    async def wait(name: str, priority: str) -> None:
        await limiter.acquire(priority=priority)  # type: ignore[arg-type]
        order.append(name)

    tasks = [asyncio.ensure_future(wait(f"bulk-{i}", "bulk")) for i in range(3)]
    await settle()
    tasks.append(asyncio.ensure_future(wait("interactive", "interactive")))  # arrives after the bulk callers
    await settle()
    assert order == []
    for permit in held:
        permit.cancel()
    await settle()
    # Interactive first although it came last; then bulk in arrival order up to its share (2 of 4).
    assert order == ["interactive", "bulk-0", "bulk-1"]
    assert not tasks[2].done()
    tasks[2].cancel()


async def test_an_interactive_caller_does_not_wait_behind_a_bulk_backlog() -> None:
    limiter = SlidingWindowLimiter(RateLimit(10, 60, bulk_share=0.8))
    for _ in range(8):
        await limiter.acquire(priority="bulk")
    backlog = [asyncio.ensure_future(limiter.acquire(priority="bulk")) for _ in range(1000)]
    await settle()
    permit = await asyncio.wait_for(limiter.acquire(), timeout=1)
    assert permit.reason is None and permit.queue_length == 0
    for task in backlog:
        task.cancel()
    await asyncio.gather(*backlog, return_exceptions=True)


# -- permits say why they waited ----------------------------------------------------------------------------------


async def test_a_permit_says_why_it_waited_and_how_many_were_ahead() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 0.05, margin=0))
    first = await limiter.acquire()
    assert (first.reason, first.queue_length) == (None, 0)
    waiting = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
    await settle()
    await first.release()
    permits = []
    for task in waiting:
        permit = await asyncio.wait_for(task, timeout=5)
        permits.append(permit)
        await permit.release()
    assert [(p.reason, p.queue_length) for p in permits] == [(WINDOW_FULL, 0), (WINDOW_FULL, 1), (WINDOW_FULL, 2)]


async def test_a_permit_held_by_a_pause_says_so() -> None:
    limiter = SlidingWindowLimiter(RateLimit(5, 60))
    await limiter.pause(0.05)
    permit = await asyncio.wait_for(limiter.acquire(), timeout=5)
    assert permit.reason == PAUSED and permit.waited >= 0.04


async def test_a_pause_that_arrives_while_waiting_is_the_reason_and_refuses_short_max_waits() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 0.05, margin=0))
    held = await limiter.acquire()
    patient = asyncio.ensure_future(limiter.acquire())
    hasty = asyncio.ensure_future(limiter.acquire(max_wait=0.05))
    await settle()
    await limiter.pause(0.1)  # the key got a 429 while they waited
    await held.release()
    with pytest.raises(KeyPausedError):
        await asyncio.wait_for(hasty, timeout=1)  # refused at once, not after the pause
    permit = await asyncio.wait_for(patient, timeout=5)
    assert permit.reason == PAUSED


async def test_a_long_wait_logs_one_info_line_with_the_fingerprint_never_the_key(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(waits_module, "LOG_WAITS_OVER", 0.02)  # the real threshold is 1 s
    key = fresh_key()
    limiter = shared_limiter(key, RateLimit(1, 0.05, margin=0))
    caplog.set_level(logging.INFO, logger="hero_health_client")
    await (await limiter.acquire()).release()  # no wait: no line
    assert not caplog.records
    waiting = [asyncio.ensure_future(limiter.acquire()) for _ in range(2)]
    permit = await asyncio.wait_for(waiting[0], timeout=5)
    await permit.release()
    await (await asyncio.wait_for(waiting[1], timeout=5)).release()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(lines) == 2
    assert lines[0].startswith(f"rate limiter: key …{fingerprint(key)} waited ")
    assert lines[0].endswith("s (window full, 0 waiting ahead)")
    assert lines[1].endswith("s (window full, 1 waiting ahead)")
    assert all(key not in line for line in lines)


async def test_a_short_wait_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    limiter = shared_limiter(fresh_key(), RateLimit(1, 0.05, margin=0))
    caplog.set_level(logging.DEBUG, logger="hero_health_client")
    await (await limiter.acquire()).release()
    await (await asyncio.wait_for(limiter.acquire(), timeout=5)).release()  # waited ~50 ms
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]


# -- cost ---------------------------------------------------------------------------------------------------------


async def test_cancelled_waiters_are_skipped_and_not_counted_ahead() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 60))
    held = await limiter.acquire()
    doomed = [asyncio.ensure_future(limiter.acquire()) for _ in range(500)]
    await settle()
    for task in doomed[::2] + doomed[1::2]:  # out of order
        task.cancel()
    await asyncio.gather(*doomed, return_exceptions=True)
    survivor = asyncio.ensure_future(limiter.acquire())
    await settle()
    held.cancel()
    permit = await asyncio.wait_for(survivor, timeout=1)
    assert permit.queue_length == 0  # the 500 cancelled callers were not ahead of it
    assert len(limiter._lanes[0]) <= 64 + 1  # flagged waiters are dropped, not kept forever


async def test_a_release_on_the_waiters_own_loop_hands_over_without_call_soon_threadsafe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 60))
    loop = asyncio.get_running_loop()
    held = await limiter.acquire()
    waiters = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
    await settle()
    threadsafe_calls = 0
    original = loop.call_soon_threadsafe

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal threadsafe_calls
        threadsafe_calls += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loop, "call_soon_threadsafe", counting)
    held.cancel()
    first = await asyncio.wait_for(waiters[0], timeout=1)
    first.cancel()
    await asyncio.wait_for(waiters[1], timeout=1)
    assert threadsafe_calls == 0
    waiters[2].cancel()


async def test_a_cancelled_waiter_that_was_just_granted_gives_its_place_on() -> None:
    limiter = SlidingWindowLimiter(RateLimit(1, 60))
    held = await limiter.acquire()
    granted_then_cancelled = asyncio.ensure_future(limiter.acquire())
    next_in_line = asyncio.ensure_future(limiter.acquire())
    await settle()
    held.cancel()  # grants the place to the first waiter (its future is resolved, its task not yet run)
    granted_then_cancelled.cancel()
    await asyncio.gather(granted_then_cancelled, return_exceptions=True)
    await asyncio.wait_for(next_in_line, timeout=1)


# -- many keys ----------------------------------------------------------------------------------------------------


async def test_a_429_on_one_key_never_pauses_another() -> None:
    paused = shared_limiter(fresh_key(), RateLimit(5, 60))
    other = shared_limiter(fresh_key(), RateLimit(5, 60))
    await paused.pause(60)
    with pytest.raises(KeyPausedError):
        await paused.acquire(max_wait=1)
    permit = await asyncio.wait_for(other.acquire(max_wait=1), timeout=1)
    assert permit.waited < 1 and permit.reason is None


def test_limiters_of_keys_no_client_uses_are_dropped() -> None:
    gc.collect()
    before = len(limits_module._shared) + len(limits_module._kept)
    for _ in range(10_000):
        shared_limiter(fresh_key(), RateLimit(5, 60))
    for _ in range(20):
        HeroClient(fresh_key(), "1", rate_limit=RateLimit(5, 60))
    gc.collect()
    assert len(limits_module._shared) + len(limits_module._kept) <= before + 5


async def test_a_key_s_counted_requests_survive_while_no_client_refers_to_its_limiter() -> None:
    key = fresh_key()
    limit = RateLimit(2, 60)
    limiter = shared_limiter(key, limit)
    for _ in range(2):
        await (await limiter.acquire()).release()  # the whole window, spent
    identity = id(limiter)
    del limiter
    gc.collect()
    for _ in range(200):  # new keys come and go meanwhile, sweeping the registry
        shared_limiter(fresh_key(), limit)
    gc.collect()
    again = shared_limiter(key, limit)
    assert id(again) == identity
    waiting = asyncio.ensure_future(again.acquire())
    await settle()
    assert not waiting.done()  # the two earlier requests still count
    waiting.cancel()


async def test_a_paused_key_stays_paused_when_its_clients_are_gone() -> None:
    key = fresh_key()
    await shared_limiter(key, RateLimit(5, 60)).pause(60)
    gc.collect()
    with pytest.raises(KeyPausedError):
        await shared_limiter(key, RateLimit(5, 60)).acquire(max_wait=1)


async def test_an_idle_key_with_no_client_is_forgotten_once_its_window_has_passed() -> None:
    key = fresh_key()
    limiter = shared_limiter(key, RateLimit(1, 0.01, margin=0))
    await (await limiter.acquire()).release()
    digest = next(k for k, v in limits_module._kept.items() if v is limiter)
    del limiter
    await asyncio.sleep(0.05)
    gc.collect()
    for _ in range(2 * limits_module._SWEEP_MIN + 10):  # enough new busy keys to make the registry sweep
        await (await shared_limiter(fresh_key(), RateLimit(1, 0.01, margin=0)).acquire()).release()
    await asyncio.sleep(0.05)
    for _ in range(4 * limits_module._SWEEP_MIN):
        shared_limiter(fresh_key(), RateLimit(1, 0.01, margin=0))
    gc.collect()
    assert digest not in limits_module._kept and digest not in limits_module._shared
