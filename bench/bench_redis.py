"""Several processes, one API key: the Redis limiter against a limiter per process, at a strict server.

Four OS processes, each with its own HeroClient (30 closed-loop callers of ``get_message_status``), share one key
whose limit the strict server (its own process) enforces: 60 requests per 2 s sliding window. With the Redis
limiter they share one budget: no request over the limit, and nearly all of it used. With the in-process limiter
each process spends a whole budget of its own, so the server sees four times the limit and answers 429. Starts its
own redis-server (skipped, with a note, when the binary is missing). The workers and server helpers are the ones
``tests/support/redis_fleet.py`` uses.
"""

from __future__ import annotations

import shutil
from collections import deque
from typing import cast

import benchlib
from benchlib import Row

from tests.support.redis_fleet import redis_server, run_fleet
from tests.support.subprocess_server import StrictServerProcess

PROCESSES = 4
CALLERS = 30
LIMIT, SECONDS = 60, 2.0
RUN_FOR = 9.0
WINDOWS = 4  # whole windows after the first arrival that fit in RUN_FOR: the span utilisation is measured over
GOAL = 0.9


def accepted_arrivals(arrivals: list[float], limit: int, seconds: float) -> list[float]:
    """The arrivals the strict server accepted (its own rule replayed: every arrival counts in the window)."""
    window: deque[float] = deque()
    accepted = []
    for t in arrivals:
        while window and t - window[0] > seconds:
            window.popleft()
        window.append(t)
        if len(window) <= limit:
            accepted.append(t)
    return accepted


def _fleet(redis_url: str | None) -> tuple[float, int, int, int]:
    """Budget share used over WINDOWS windows, requests over the limit, answers, errors raised to callers."""
    with StrictServerProcess(limit=LIMIT, seconds=SECONDS) as server:
        results = run_fleet(
            redis_url=redis_url,
            server_url=server.url,
            processes=PROCESSES,
            callers=CALLERS,
            run_for=RUN_FOR,
            limit=LIMIT,
            seconds=SECONDS,
        )
        stats = server.stats()
    arrivals = sorted(cast("list[float]", stats["arrivals"]))
    accepted = accepted_arrivals(arrivals, LIMIT, SECONDS)
    used = sum(1 for t in accepted if t < arrivals[0] + WINDOWS * SECONDS) / (WINDOWS * LIMIT)
    over = cast(int, stats["over_limit"])
    return used, over, sum(r["answered"] for r in results), sum(r["failed"] for r in results)


def main() -> list[Row | str]:
    binary = shutil.which("redis-server")
    if binary is None:
        return ["skipped: redis-server is not installed (apt-get install redis-server)"]
    with redis_server(binary) as url:
        shared = _fleet(url)
    local = _fleet(None)
    setup = f"{PROCESSES} processes x {CALLERS} callers, one key, server limit {LIMIT}/{SECONDS:g}s, {RUN_FOR:g}s"
    return [
        Row(
            "Redis limiter: share of the budget used",
            shared[0],
            f"over {WINDOWS} windows; {shared[2]} answered, {shared[1]} over the limit, {shared[3]} errors",
            at_least=GOAL,
        ),
        Row("Redis limiter: requests over the limit", shared[1], "429s the strict server counted", at_most=0),
        Row(
            "per-process limiters: requests over the limit",
            local[1],
            f"{local[2]} answered, {local[3]} RateLimitErrors raised; accepted share of the budget {local[0]:.3f}",
        ),
        setup,
    ]


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "redis", main())
