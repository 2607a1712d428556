"""Limiter cost: CPU per grant with 10,000 waiters, and cancelling 20,000 waiters, ours beside a bare AsyncLimiter.

The anchor is ``aiolimiter.AsyncLimiter`` with the same rate, the leaky bucket users would reach for (and the one
``RateLimit(burst=...)`` puts in front of ours): it keeps no count of requests in flight, no lanes and no pause, so
it is the floor of what admitting a waiter costs on asyncio. Ours grants directly on the same loop and flags a
cancelled waiter, skipping it at the head. Both run the same workload one after the other in this process.

Grants: ``WAITERS`` tasks each acquire, release and queue again, on a limit of ``REQUESTS`` per ``SECONDS``, so the
queue stays ``WAITERS`` deep; CPU time (user + system) over ``GRANTS`` grants. Cancelling: ``CANCELLED`` tasks wait
on a spent limit and are cancelled in random order; wall time until every one has finished.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any, Protocol

import benchlib
from aiolimiter import AsyncLimiter
from benchlib import Row

from hero_health_client.limits import RateLimit, SlidingWindowLimiter

WAITERS = 10_000
REQUESTS = 200
SECONDS = 0.02
GRANTS = 20_000
CANCELLED = 20_000
GOAL_GRANT_US = 40.0
GOAL_CANCEL_S = 0.5


class Limiter(Protocol):
    async def acquire(self) -> Any: ...


class _NoRelease:
    async def release(self) -> None:
        """A leaky bucket has nothing to give back."""


class BareAsyncLimiter:
    """``aiolimiter.AsyncLimiter`` with ``acquire()`` returning a permit, so the workloads below drive both alike."""

    def __init__(self, limit: RateLimit) -> None:
        self._bucket = AsyncLimiter(limit.requests, limit.seconds)

    async def acquire(self) -> _NoRelease:
        await self._bucket.acquire()
        return _NoRelease()


async def _grant_cost(limiter: Limiter) -> float:
    """CPU microseconds per grant while ``WAITERS`` callers queue."""
    grants = 0
    done = asyncio.Event()
    measuring = False
    started_cpu = 0.0

    async def caller() -> None:
        nonlocal grants
        while not done.is_set():
            permit = await limiter.acquire()
            if measuring:
                grants += 1
                if grants >= GRANTS:
                    done.set()
            await permit.release()

    tasks = [asyncio.ensure_future(caller()) for _ in range(WAITERS)]
    await asyncio.sleep(0.2)  # every caller queued, the limiter in its steady state
    measuring, started_cpu = True, time.process_time()
    await done.wait()
    cpu = time.process_time() - started_cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 1e6 * cpu / grants


async def _cancel_cost(limiter: Limiter) -> float:
    """Seconds to cancel ``CANCELLED`` waiters in random order, until all have left."""
    held = await limiter.acquire()
    tasks = [asyncio.ensure_future(limiter.acquire()) for _ in range(CANCELLED)]
    await asyncio.sleep(0.1)
    order = tasks[:]
    random.Random(15).shuffle(order)
    started = time.perf_counter()
    for task in order:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - started
    await held.release()
    return elapsed


def main() -> list[Row | str]:
    limit = RateLimit(REQUESTS, SECONDS, margin=0)
    new_grant = asyncio.run(_grant_cost(SlidingWindowLimiter(limit)))
    bare_grant = asyncio.run(_grant_cost(BareAsyncLimiter(limit)))
    spent = RateLimit(1, 600)
    new_cancel = asyncio.run(_cancel_cost(SlidingWindowLimiter(spent)))
    bare_cancel = asyncio.run(_cancel_cost(BareAsyncLimiter(spent)))
    return [
        Row(
            f"CPU per grant with {WAITERS:,} waiters (us)",
            new_grant,
            f"bare AsyncLimiter {bare_grant:.1f} us; {GRANTS:,} grants at {REQUESTS} per {SECONDS:g} s",
            at_most=GOAL_GRANT_US,
        ),
        Row(
            "CPU per grant: ours / bare AsyncLimiter",
            new_grant / bare_grant,
            f"{new_grant:.1f} us vs {bare_grant:.1f} us",
        ),
        Row(
            f"cancel {CANCELLED:,} waiters in random order (s)",
            new_cancel,
            f"bare AsyncLimiter {bare_cancel:.2f} s",
            at_most=GOAL_CANCEL_S,
        ),
        Row(
            "cancelling: ours / bare AsyncLimiter",
            new_cancel / bare_cancel,
            f"{new_cancel:.3f} s vs {bare_cancel:.2f} s",
        ),
    ]


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "limiter cost", main())
