"""Many keys in one process: 200 keys, each at its own limit, against a strict per-key server.

A partner serving many practices runs one key per practice group, all in one process. Each key gets its own
HeroClient (its own connection pool; one shared SSL context keeps that cheap) and ``CALLERS``
closed-loop callers, far more demand than its ``LIMIT`` per ``SECONDS``. The server (own process) keeps a sliding
window per ``x-api-key`` and answers 429 past it: "over the limit" is what Hero would have seen.

Utilisation of a key is its accepted arrivals in ``[t0, t0 + WINDOWS * SECONDS)`` over ``WINDOWS * LIMIT``, t0 being
its first arrival. Keys start spread over one window, as practices' days do, not all in the same millisecond (each
key's window opens with a burst of ``LIMIT`` requests, never all 2,000 at once). CPU per request is this process's
CPU time (user + system) over the requests answered: the client's own cost at partner scale, limiter included.
"""

from __future__ import annotations

import asyncio
import ssl
import statistics
import time
import uuid

import benchlib
import httpx
from benchlib import Row
from keyed_server import KeyedServerProcess

from hero_health_client import HeroClient, HeroError, RateLimit
from hero_health_client.generated.api.messages import get_message_status

KEYS = int(__import__("os").environ.get("BENCH_KEYS", "200"))
LIMIT = 10
SECONDS = 5.0  # 200 keys x 10 per 5 s = 400 requests a second: what one core of the bench machine can send
WINDOWS = 4
CALLERS = 4  # per key: 800 callers in all
TAIL = 0.5
GOAL_UTILISATION = 0.97


async def _run(url: str) -> tuple[int, int, float]:
    """Answers, errors, CPU seconds of this process during the run."""
    # One pool per key, as one HeroClient per key has; one SSL context for all (building one costs ~60 ms).
    context = ssl.create_default_context()
    pools = [httpx.AsyncHTTPTransport(verify=context) for _ in range(KEYS)]
    clients = [
        HeroClient(
            f"bench-keys-{uuid.uuid4().hex}",
            "bench",
            base_url=url,
            rate_limit=RateLimit(LIMIT, SECONDS),
            transport=pool,
            max_retries=0,
        )
        for pool in pools
    ]
    answered = errors = 0

    async def caller(hero: HeroClient, offset: float) -> None:
        nonlocal answered, errors
        await asyncio.sleep(offset)
        while True:
            try:
                await get_message_status.asyncio("1", client=hero)
                answered += 1
            except HeroError:
                errors += 1

    cpu = time.process_time()
    try:
        async with asyncio.timeout(SECONDS + WINDOWS * SECONDS + TAIL):
            await asyncio.gather(
                *(caller(hero, i * SECONDS / KEYS) for i, hero in enumerate(clients) for _ in range(CALLERS))
            )
    except TimeoutError:
        pass
    cpu = time.process_time() - cpu
    for hero in clients:
        await hero.aclose()
    return answered, errors, cpu


def main() -> list[Row | str]:
    with KeyedServerProcess(LIMIT, SECONDS) as server:
        answered, errors, cpu = asyncio.run(_run(server.url))
        arrivals = server.arrivals()
    over = sum(1 for rows in arrivals.values() for _, ok in rows if not ok)
    utilisation = []
    for rows in arrivals.values():
        t0 = rows[0][0]
        accepted = sum(1 for t, ok in rows if ok and t - t0 < WINDOWS * SECONDS)
        utilisation.append(accepted / (WINDOWS * LIMIT))
    utilisation.sort()
    total = sum(len(rows) for rows in arrivals.values())
    return [
        Row(
            f"{KEYS} keys: requests over the limit (server)",
            over,
            f"{total} arrivals over {len(arrivals)} keys, {LIMIT} per {SECONDS:g} s each; {errors} calls raised",
            at_most=0,
        ),
        Row(
            f"{KEYS} keys: utilisation of the worst key",
            utilisation[0],
            f"median {statistics.median(utilisation):.3f}, best {utilisation[-1]:.3f} over {WINDOWS} windows",
            at_least=GOAL_UTILISATION,
        ),
        Row(
            f"{KEYS} keys: client CPU per request (ms)",
            1000 * cpu / max(answered, 1),
            f"{cpu:.2f} s CPU for {answered} answers ({answered / (SECONDS * (WINDOWS + 1) + TAIL):.0f}/s aggregate)",
        ),
    ]


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "keys", main())
