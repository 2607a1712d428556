"""Overhead: HeroClient + generated endpoint per call, against raw httpx and raw aiohttp doing the same GET + JSON.

The server (``tests.support.strict_server`` with no limit) runs in its own process, so the client's event loop and
CPU time are the client's alone. Rounds are interleaved (the order rotates each round) and each variant's ratio is
the median over rounds of (variant time / raw time of the same round), so slow phases of a noisy machine hit both
sides of a ratio alike.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import benchlib
import httpx
from benchlib import Row

from hero_health_client import HeroClient, RateLimit
from hero_health_client._network import DEFAULT_LIMITS
from hero_health_client.generated.api.messages import get_message_status
from tests.support.subprocess_server import StrictServerProcess

N = 1_000
CONCURRENCY = 100
ROUNDS = 4
WARMUP = 200
GOAL = 1.15

API_KEY = "bench-overhead-key"
PRACTICE_GROUP = "bench-practice-group"
SMALL_POOL = httpx.Limits(max_connections=10, max_keepalive_connections=10)
HEADERS = {"x-api-key": API_KEY, "x-practice-group-id": PRACTICE_GROUP, "User-Agent": "bench"}

Call = Callable[[int], Awaitable[object]]


@dataclass
class Timing:
    wall: float
    cpu: float


async def _drive(call: Call, n: int) -> Timing:
    """``n`` calls from ``CONCURRENCY`` closed-loop workers; wall and this process's CPU seconds."""
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < n:
            index = next_index
            next_index += 1
            await call(index)

    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


async def _measure(url: str) -> dict[str, list[Timing]]:
    # raw httpx twice: with the pool HeroClient uses (DEFAULT_LIMITS, httpx's default: 100 connections, 20 kept
    # alive), so the overhead ratio compares like with like, and with a small pool (10, all kept alive).
    raw_small = httpx.AsyncClient(base_url=url, timeout=30.0, headers=HEADERS, limits=SMALL_POOL)
    raw = httpx.AsyncClient(base_url=url, timeout=30.0, headers=HEADERS, limits=DEFAULT_LIMITS)
    session = aiohttp.ClientSession(
        base_url=url,
        headers=HEADERS,
        connector=aiohttp.TCPConnector(limit=DEFAULT_LIMITS.max_connections or 0),
        timeout=aiohttp.ClientTimeout(total=30.0),
    )
    hero_off = HeroClient(API_KEY, PRACTICE_GROUP, base_url=url, rate_limit=None)
    # A limit that never binds: this measures the limiter's bookkeeping only.
    hero_on = HeroClient(API_KEY, PRACTICE_GROUP, base_url=url, rate_limit=RateLimit(10**6, 60))
    hero_aiohttp = HeroClient(API_KEY, PRACTICE_GROUP, base_url=url, rate_limit=RateLimit(10**6, 60), backend="aiohttp")

    async def call_raw_small(i: int) -> object:
        response = await raw_small.get(f"/v1/messages/{i}/status")
        response.raise_for_status()
        return response.json()

    async def call_raw(i: int) -> object:
        response = await raw.get(f"/v1/messages/{i}/status")
        response.raise_for_status()
        return response.json()

    async def call_aiohttp(i: int) -> object:
        async with session.get(f"/v1/messages/{i}/status") as response:
            response.raise_for_status()
            return await response.json()

    def hero_call(hero: HeroClient) -> Call:
        async def call(i: int) -> object:
            return await get_message_status.asyncio(str(i), client=hero)

        return call

    variants: dict[str, Call] = {
        "raw httpx, pool 10/10": call_raw_small,
        "raw httpx": call_raw,
        "raw aiohttp": call_aiohttp,
        "hero": hero_call(hero_off),
        "hero+limiter": hero_call(hero_on),
        "hero aiohttp": hero_call(hero_aiohttp),
    }
    timings: dict[str, list[Timing]] = {name: [] for name in variants}
    try:
        for call in variants.values():  # open the connections, warm caches and lazy imports
            await _drive(call, WARMUP)
        names = list(variants)
        for round_ in range(ROUNDS):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                timings[name].append(await _drive(variants[name], N))
    finally:
        await raw_small.aclose()
        await raw.aclose()
        await session.close()
        for hero in (hero_off, hero_on, hero_aiohttp):
            await hero.aclose()
    return timings


def _ratio(timings: dict[str, list[Timing]], mine: str, theirs: str, part: str) -> float:
    pairs = zip(timings[mine], timings[theirs], strict=True)
    return statistics.median(getattr(m, part) / getattr(t, part) for m, t in pairs)


def _us(timings: dict[str, list[Timing]], name: str, part: str) -> float:
    return statistics.median(getattr(t, part) for t in timings[name]) / N * 1e6


def main() -> list[Row | str]:
    with StrictServerProcess(limit=None) as server:
        timings = asyncio.run(_measure(server.url))
    rows: list[Row | str] = []
    comparisons = (
        ("hero", "raw httpx", "HeroClient, limiter off / raw httpx", GOAL),
        ("hero+limiter", "raw httpx", "HeroClient, limiter on / raw httpx", GOAL),
        ("hero aiohttp", "raw aiohttp", "HeroClient backend=aiohttp / raw aiohttp", None),
        ("hero aiohttp", "raw httpx", "HeroClient backend=aiohttp / raw httpx", None),
        ("raw aiohttp", "raw httpx", "raw aiohttp / raw httpx", None),
        ("raw httpx, pool 10/10", "raw httpx", "raw httpx, pool 10/10 / default pool 100/20", None),
    )
    for mine, theirs, label, goal in comparisons:
        rows.append(
            Row(
                f"{label} (wall)",
                _ratio(timings, mine, theirs, "wall"),
                f"{_us(timings, mine, 'wall'):.0f} vs {_us(timings, theirs, 'wall'):.0f} us/call wall",
                at_most=goal,
            )
        )
        rows.append(
            Row(
                f"{label} (client CPU)",
                _ratio(timings, mine, theirs, "cpu"),
                f"{_us(timings, mine, 'cpu'):.0f} vs {_us(timings, theirs, 'cpu'):.0f} us/call CPU",
            )
        )
    spread = [f"{t.wall:.2f}" for t in timings["raw httpx"]]
    rows.append(
        f"{N} GETs x {ROUNDS} interleaved rounds at concurrency {CONCURRENCY}, a small JSON body; "
        f"raw httpx round times (s): {spread}. HeroClient's default pool is {DEFAULT_LIMITS}."
    )
    return rows


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "overhead", main())
