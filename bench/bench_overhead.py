"""Overhead: HeroClient + generated endpoint per call, against raw httpx doing the same GET and JSON parse.

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

import benchlib
import httpx
from benchlib import Row

from hero_health_client import HeroClient, RateLimit
from hero_health_client.generated.api.messages import get_message_status
from tests.support.subprocess_server import StrictServerProcess

N = 2_000
CONCURRENCY = 100
ROUNDS = 5
WARMUP = 200
GOAL = 1.15

API_KEY = "bench-overhead-key"
PRACTICE_GROUP = "bench-practice-group"

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
    # Both sides use httpx's default pool (100 connections, 20 kept alive), as users get it, and send the same headers.
    raw = httpx.AsyncClient(
        base_url=url,
        timeout=30.0,
        headers={"x-api-key": API_KEY, "x-practice-group-id": PRACTICE_GROUP, "User-Agent": "bench"},
    )
    hero_off = HeroClient(API_KEY, PRACTICE_GROUP, base_url=url, rate_limit=None)
    # A limit that never binds: this measures the limiter's bookkeeping only.
    hero_on = HeroClient(API_KEY, PRACTICE_GROUP, base_url=url, rate_limit=RateLimit(10**6, 60))

    async def call_raw(i: int) -> object:
        response = await raw.get(f"/v1/messages/{i}/status")
        response.raise_for_status()
        return response.json()

    async def call_hero_off(i: int) -> object:
        return await get_message_status.asyncio(str(i), client=hero_off)

    async def call_hero_on(i: int) -> object:
        return await get_message_status.asyncio(str(i), client=hero_on)

    variants: dict[str, Call] = {"raw": call_raw, "hero": call_hero_off, "hero+limiter": call_hero_on}
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
        await raw.aclose()
        await hero_off.aclose()
        await hero_on.aclose()
    return timings


def main() -> list[Row | str]:
    with StrictServerProcess(limit=None) as server:
        timings = asyncio.run(_measure(server.url))
    raw = timings["raw"]
    rows: list[Row | str] = []
    for name, label in (("hero", "HeroClient, limiter off"), ("hero+limiter", "HeroClient, limiter on")):
        mine = timings[name]
        wall_ratio = statistics.median(m.wall / r.wall for m, r in zip(mine, raw, strict=True))
        cpu_ratio = statistics.median(m.cpu / r.cpu for m, r in zip(mine, raw, strict=True))
        wall_us = statistics.median(m.wall for m in mine) / N * 1e6
        raw_us = statistics.median(r.wall for r in raw) / N * 1e6
        cpu_us = statistics.median(m.cpu for m in mine) / N * 1e6
        raw_cpu_us = statistics.median(r.cpu for r in raw) / N * 1e6
        rows.append(
            Row(
                f"{label} / raw httpx (wall)",
                wall_ratio,
                f"{wall_us:.0f} vs {raw_us:.0f} us/call wall ({1e6 / wall_us:.0f}/s vs {1e6 / raw_us:.0f}/s)",
                at_most=GOAL,
            )
        )
        rows.append(
            Row(f"{label} / raw httpx (client CPU)", cpu_ratio, f"{cpu_us:.0f} vs {raw_cpu_us:.0f} us/call CPU")
        )
    spread = [f"{t.wall:.2f}" for t in raw]
    rows.append(f"{N} GETs x {ROUNDS} interleaved rounds at concurrency {CONCURRENCY}; raw round times (s): {spread}")
    return rows


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "overhead", main())
