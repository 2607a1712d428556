"""Memory: peak RSS of one client with 5,000 requests in flight at once, HeroClient against raw httpx.

Each variant runs in a fresh process (peak RSS is per process; the variants run side by side), against its own
server process that holds every request until all of them have arrived and then at least ``HOLD`` seconds more, so
the 5,000 really are in flight together (the server reports the most it held at once). The delta is the peak RSS
during the burst minus the RSS just before it, with the client built and one request already made (lazy imports
done).

Run as a script with ``serve`` or ``client ...`` it is one of those processes; run.py only calls ``main()``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import benchlib
import httpx
from benchlib import Row

from hero_health_client import HeroClient, RateLimit
from hero_health_client.generated.api.messages import get_message_status
from tests.support.strict_server import OK_BODY as BODY

N = 5_000
HOLD = 1.0
BARRIER_TIMEOUT = 60.0  # answer anyway if fewer than N ever arrive; the reported peak then shows it
VARIANTS = ("raw", "hero")  # HeroClient as configured by default: limiter on (here at a limit that never binds)


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the holding server -------------------------------------------------------------------------------------------


class HoldingServer:
    """HTTP/1.1 on loopback; ``/_warm`` answers at once, ``/_peak`` tells and resets the most held at once."""

    def __init__(self, expect: int, hold: float) -> None:
        self.expect = expect
        self.hold = hold
        self.held = 0
        self.peak = 0
        self.arrived = 0
        self.all_in = asyncio.Event()

    def _reset(self) -> None:
        self.held = self.peak = self.arrived = 0
        self.all_in = asyncio.Event()

    async def _answer_after_hold(self) -> None:
        arrived_at = time.monotonic()
        self.held += 1
        self.arrived += 1
        self.peak = max(self.peak, self.held)
        all_in = self.all_in
        if self.arrived >= self.expect:
            all_in.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), BARRIER_TIMEOUT)
        await asyncio.sleep(max(0.0, arrived_at + self.hold - time.monotonic()))
        self.held -= 1

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                body = BODY
                if path.startswith(b"/_peak"):
                    body = json.dumps({"peak": self.peak, "arrived": self.arrived}).encode()
                    self._reset()
                elif not path.startswith(b"/_warm"):
                    await self._answer_after_hold()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _serve(expect: int, hold: float) -> None:
    server = HoldingServer(expect, hold)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=8192)
    print(f"PORT {listener.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


# --- the measured client ------------------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Restart VmHWM from the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def _client(variant: str, url: str, n: int) -> dict[str, float]:
    # Room for every request at once on both sides. HeroClient takes the pool through ``transport=``: httpx ignores
    # ``limits`` when a transport is given. No keep-alive: httpcore's pool scans every idle connection for each idle
    # connection, which at 5,000 takes minutes, and nothing is reused here anyway.
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    timeout = httpx.Timeout(120.0)
    client: httpx.AsyncClient | HeroClient
    call: Callable[[int], Awaitable[object]]
    if variant == "raw":
        raw = client = httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)

        async def call_raw(i: int) -> object:
            response = await raw.get(f"/v1/messages/{i}/status")
            response.raise_for_status()
            return response.json()

        call = call_raw
    else:
        hero = client = HeroClient(
            "bench-memory-key",
            "bench-practice-group",
            base_url=url,
            rate_limit=RateLimit(10**6, 60),
            timeout=timeout,
            transport=httpx.AsyncHTTPTransport(limits=limits),
        )

        async def call_hero(i: int) -> object:
            return await get_message_status.asyncio(str(i), client=hero)

        call = call_hero

    async with client:
        if isinstance(client, HeroClient):
            await client.request("GET", "/_warm")
        else:
            await client.get("/_warm")
        gc.collect()
        before = _status_kib("VmRSS")
        exact = _reset_peak_rss()
        started = time.monotonic()
        results = await asyncio.gather(*(call(i) for i in range(n)))
        elapsed = time.monotonic() - started
        peak = _status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert len(results) == n
    return {"before_kib": before, "peak_kib": peak, "elapsed": elapsed, "exact": float(exact)}


# --- orchestration ------------------------------------------------------------------------------------------------


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)


def _measure_all() -> dict[str, dict[str, float]]:
    """Every variant at once, each client with its own server: peak RSS is per process, and this halves the run."""
    servers = [_start(["serve", "--expect", str(N), "--hold", str(HOLD)]) for _ in VARIANTS]
    clients: list[subprocess.Popen[str]] = []
    try:
        urls = []
        for server in servers:
            assert server.stdout is not None
            urls.append(f"http://127.0.0.1:{int(server.stdout.readline().split()[1])}")
        clients = [_start(["client", variant, url, str(N)]) for variant, url in zip(VARIANTS, urls, strict=True)]
        results = {}
        for variant, url, client in zip(VARIANTS, urls, clients, strict=True):
            out, _ = client.communicate(timeout=600)
            if client.returncode != 0:
                raise RuntimeError(f"{variant} client failed (exit {client.returncode}); its stderr is above")
            results[variant] = json.loads(out.strip().splitlines()[-1])
            with urllib.request.urlopen(url + "/_peak", timeout=10) as answer:
                results[variant]["server_peak"] = json.loads(answer.read())["peak"]
        return results
    finally:
        for process in clients + servers:
            process.kill()
            process.wait(timeout=10)


def main() -> list[Row | str]:
    results = _measure_all()

    def delta(variant: str) -> float:
        r = results[variant]
        return (r["peak_kib"] - r["before_kib"]) * 1024

    rows: list[Row | str] = []
    raw = delta("raw")
    for variant, label in (("raw", "raw httpx"), ("hero", "HeroClient")):
        r = results[variant]
        detail = (
            f"peak RSS +{delta(variant) / 2**20:.1f} MiB ({delta(variant) / N / 1024:.1f} KiB/request) over "
            f"{r['before_kib'] / 1024:.0f} MiB; server held {int(r['server_peak'])} at once; {r['elapsed']:.1f} s"
        )
        if variant == "raw":
            rows.append(Row(f"{label}: peak RSS delta per request (KiB)", delta(variant) / N / 1024, detail))
        else:
            rows.append(Row(f"{label} / raw httpx (peak RSS delta)", delta(variant) / raw, detail))
    if not all(r["exact"] for r in results.values()):
        rows.append("VmHWM could not be reset; peak taken from ru_maxrss (includes start-up)")
    burst = statistics.median(r["elapsed"] for r in results.values())
    rows.append(
        f"{N} concurrent GETs, one connection each, held {HOLD:g} s; both clients at once, median burst {burst:.1f} s"
    )
    return rows


def _cli() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="role", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--expect", type=int, default=N)
    serve.add_argument("--hold", type=float, default=HOLD)
    client = sub.add_parser("client")
    client.add_argument("variant", choices=VARIANTS)
    client.add_argument("url")
    client.add_argument("n", type=int)
    args = parser.parse_args()
    _raise_fd_limit()
    if args.role == "serve":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args.expect, args.hold))
    else:
        print(json.dumps(asyncio.run(_client(args.variant, args.url, args.n))))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("serve", "client"):
        _cli()
    else:
        benchlib.run_standalone(__doc__.splitlines()[0] if __doc__ else "memory", main())
