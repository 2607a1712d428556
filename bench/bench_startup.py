"""Start-up: ``import hero_health_client`` + a ``HeroClient``, against ``import httpx``; the cost of more clients.

Each figure comes from a fresh interpreter (so nothing is imported or cached yet), the two kinds interleaved over
``ROUNDS`` rounds; the ratio is the median over rounds of (hero time / httpx time of the same round). Times are
measured inside the child around the statements, so the interpreter's own start-up is not in either.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

import benchlib
from benchlib import REPO_ROOT, Row

ROUNDS = 9
IMPORT_GOAL = 1.5
SECOND_CLIENT_GOAL_MS = 2.0

HTTPX = "import time; t = time.perf_counter(); import httpx; print(time.perf_counter() - t)"
HERO = (
    "import time; t = time.perf_counter(); import hero_health_client as h; "
    "c = h.HeroClient('bench-key', 'bench-group'); print(time.perf_counter() - t)"
)
CLIENTS = """
import json, time
import hero_health_client as h
first = h.HeroClient("bench-key-0", "g")
t = time.process_time(); first._transport._inner.transport; built = time.process_time() - t
costs = []
for i in range(1, 21):
    t = time.process_time()
    client = h.HeroClient(f"bench-key-{i}", "g")
    client._transport._inner.transport  # what its first request builds: the pool, with the shared SSL context
    costs.append(time.process_time() - t)
print(json.dumps({"first_transport": built, "more": costs}))
"""


# The same, in an asyncio service: asyncio (which any such program has imported already) is loaded before timing.
IN_SERVICE = "import asyncio; "


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def main() -> list[Row | str]:
    # Byte-compile the package first, as pip does on install: this machine sets PYTHONDONTWRITEBYTECODE, so
    # otherwise every child would compile our modules from source while httpx's came compiled from its wheel.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO_ROOT / "hero_health_client")], check=True, cwd=REPO_ROOT
    )
    httpx_times, hero_times = [], []
    for _ in range(ROUNDS):
        httpx_times.append(float(_run(HTTPX)))
        hero_times.append(float(_run(HERO)))
    ratio = statistics.median(h / x for h, x in zip(hero_times, httpx_times, strict=True))
    service_httpx, service_hero = [], []
    for _ in range(ROUNDS):
        service_httpx.append(float(_run(IN_SERVICE + HTTPX)))
        service_hero.append(float(_run(IN_SERVICE + HERO)))
    service_ratio = statistics.median(h / x for h, x in zip(service_hero, service_httpx, strict=True))
    clients = json.loads(_run(CLIENTS))
    more_ms = statistics.median(clients["more"]) * 1e3
    return [
        Row(
            "import hero_health_client + HeroClient() / import httpx",
            ratio,
            f"{statistics.median(hero_times) * 1e3:.0f} vs {statistics.median(httpx_times) * 1e3:.0f} ms",
            at_most=IMPORT_GOAL,
        ),
        Row(
            "the same with asyncio already imported (an asyncio service) / import httpx",
            service_ratio,
            f"{statistics.median(service_hero) * 1e3:.0f} vs {statistics.median(service_httpx) * 1e3:.0f} ms",
            at_most=IMPORT_GOAL,
        ),
        Row(
            "CPU of a further client, its pool built (ms)",
            more_ms,
            f"median of 20; the first client's pool (SSL context, httpcore import): "
            f"{clients['first_transport'] * 1e3:.0f} ms, once per process",
            at_most=SECOND_CLIENT_GOAL_MS,
        ),
        "Measured with the package byte-compiled, as an installed wheel is (pip compiles on install).",
        "A client builds its network transport (and the process its one SSL context) on its first request.",
    ]


if __name__ == "__main__":
    benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "startup", main())
