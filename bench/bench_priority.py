"""Priority: an interactive request while a bulk job saturates the key, with lanes and without (all one queue).

One key, ``LIMIT`` per ``SECONDS``; ``BULK`` closed-loop callers (a reminder run) keep its queue full. Every ``EVERY``
seconds one interactive request (a receptionist booking) asks for a place; its wait for the limiter is measured
against the round trip of its request. With lanes the bulk callers use ``priority="bulk"`` and hold at most 80% of
the window, so the interactive request finds a place at once. The baseline marks the bulk callers interactive too,
as before this round: the booking queues behind the whole reminder run. Both run side by side, each against its
own strict server (own process).

The limiter is called directly around each request (``acquire(priority=...)``, then the HeroClient call, then
``release``) so this measures the limiter's lanes whatever the transport passes along.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import benchlib
from benchlib import Row

from hero_health_client import HeroClient, HeroError, RateLimit
from hero_health_client.generated.api.messages import get_message_status
from hero_health_client.limits import shared_limiter
from tests.support.subprocess_server import StrictServerProcess

LIMIT = 20
SECONDS = 2.0
BULK = 40
WARM_UP = 2.5  # seconds of bulk alone, so the queue is full before the first probe
PROBES = 10
EVERY = 0.8  # seconds between interactive probes: within the 20% the lanes keep for them


async def _variant(url: str, lanes: bool) -> tuple[list[float], list[float], int]:
    """Interactive waits, their round trips, bulk answers."""
    key = f"bench-priority-{uuid.uuid4().hex}"
    limiter = shared_limiter(key, RateLimit(LIMIT, SECONDS))
    bulk_priority = "bulk" if lanes else "interactive"
    answered = 0
    async with HeroClient(key, "bench", base_url=url, rate_limit=None, max_retries=0) as hero:

        async def bulk_caller() -> None:
            nonlocal answered
            while True:
                permit = await limiter.acquire(priority=bulk_priority)  # type: ignore[arg-type]
                try:
                    await get_message_status.asyncio("1", client=hero)
                    answered += 1
                except HeroError:
                    pass
                finally:
                    await permit.release()

        async def probe() -> tuple[float, float]:
            permit = await limiter.acquire(priority="interactive")
            sent = time.monotonic()
            try:
                await get_message_status.asyncio("1", client=hero)
            finally:
                await permit.release()
            return permit.waited, time.monotonic() - sent

        bulk = [asyncio.ensure_future(bulk_caller()) for _ in range(BULK)]
        await asyncio.sleep(WARM_UP)
        probes = []
        for _ in range(PROBES):
            probes.append(asyncio.ensure_future(probe()))
            await asyncio.sleep(EVERY)
        results = await asyncio.gather(*probes)
        for task in bulk:
            task.cancel()
        await asyncio.gather(*bulk, return_exceptions=True)
    return [w for w, _ in results], [r for _, r in results], answered


async def _both(lanes_url: str, plain_url: str) -> tuple[tuple[list[float], list[float], int], ...]:
    return tuple(await asyncio.gather(_variant(lanes_url, True), _variant(plain_url, False)))


def main() -> list[Row | str]:
    with StrictServerProcess(LIMIT, SECONDS) as lanes_server, StrictServerProcess(LIMIT, SECONDS) as plain_server:
        (waits, trips, bulk_done), (plain_waits, _, plain_done) = asyncio.run(_both(lanes_server.url, plain_server.url))
        over = int(str(lanes_server.stats()["over_limit"])) + int(str(plain_server.stats()["over_limit"]))
    trip = statistics.median(trips)
    ms = 1000
    return [
        Row(
            "interactive wait while bulk saturates / round trip (max)",
            max(waits) / trip,
            f"wait median {ms * statistics.median(waits):.2f} ms, max {ms * max(waits):.2f} ms; "
            f"round trip median {ms * trip:.2f} ms; {PROBES} probes, {BULK} bulk callers, {bulk_done} bulk answers",
            at_most=1.0,
        ),
        Row(
            "interactive wait: one queue / lanes (median, times longer)",
            statistics.median(plain_waits) / max(statistics.median(waits), 1e-6),
            f"one queue: median {statistics.median(plain_waits):.2f} s, max {max(plain_waits):.2f} s "
            f"({plain_done} bulk answers); lanes: median {ms * statistics.median(waits):.2f} ms",
        ),
        Row("requests over the limit (both servers)", over, f"{LIMIT} per {SECONDS:g} s", at_most=0),
    ]


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "priority", main())
