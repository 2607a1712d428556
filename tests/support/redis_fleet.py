"""A throwaway redis-server and a fleet of worker processes sharing one API key, for tests and the bench.

Why here and not in the test module: ``bench/bench_redis.py`` runs the same fleet, and the bench must not import a
test module. The worker: ``python -m tests.support.redis_fleet worker '<json>'`` (run from the repository root)
makes one HeroClient, prints READY, waits for a line on stdin, then hammers the server until ``run_for`` is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hero_health_client import HeroClient, HeroError, RateLimit
from hero_health_client.generated.api.messages import get_message_status
from hero_health_client.redis_limiter import RedisRateLimiter, RedisUnavailableWarning
from scripts.mock_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def redis_server(binary: str, port: int | None = None) -> Iterator[str]:
    """A throwaway redis-server (loopback, no persistence) in a temp dir; yields its URL."""
    with redis_process(binary, port) as (url, _):
        yield url


@contextlib.contextmanager
def redis_process(binary: str, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The same, yielding its URL and its process (to stop it with SIGSTOP, say)."""
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="hero-redis-") as workdir:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}")
                time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0", process
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGCONT)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def worker_command(config: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "tests.support.redis_fleet", "worker", json.dumps(config)]


async def _worker(config: dict[str, Any]) -> dict[str, int]:
    redis_url: str | None = config["redis_url"]
    limit, seconds = config["limit"], config["seconds"]
    options: dict[str, Any] = config.get("redis_options", {})
    if "recheck" in config:
        import hero_health_client.redis_limiter as module

        module._RECHECK = config["recheck"]
    if options:
        warnings.simplefilter("ignore", RedisUnavailableWarning)
    limiter = RedisRateLimiter(redis_url, limit, seconds, **options) if redis_url else None
    limits: dict[str, Any] = {"rate_limiter": limiter} if limiter else {"rate_limit": RateLimit(limit, seconds)}
    answered = failed = 0
    async with HeroClient(config["api_key"], "1", base_url=config["server_url"], max_retries=0, **limits) as hero:
        print("READY", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        async def caller() -> None:
            nonlocal answered, failed
            while True:
                try:
                    await get_message_status.asyncio("1", client=hero)
                    answered += 1
                except HeroError:
                    failed += 1

        callers = [asyncio.create_task(caller()) for _ in range(config["callers"])]
        await asyncio.sleep(config["run_for"])
        for task in callers:
            task.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
    if limiter is not None:
        await limiter.aclose()
    return {"answered": answered, "failed": failed}


def run_fleet(
    *,
    redis_url: str | None,
    server_url: str,
    processes: int,
    callers: int,
    run_for: float,
    limit: int,
    seconds: float,
    meanwhile: Callable[[], None] | None = None,
    **extra: Any,
) -> list[dict[str, int]]:
    """``processes`` workers sharing one API key, started together; each one's counts. ``meanwhile`` runs once
    they are going (to stop and restart Redis, say)."""
    config = {
        **extra,
        "redis_url": redis_url,
        "server_url": server_url,
        "api_key": f"fleet-key-{uuid.uuid4().hex}",
        "callers": callers,
        "run_for": run_for,
        "limit": limit,
        "seconds": seconds,
    }
    workers = [
        subprocess.Popen(
            worker_command(config), cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "READY":
                raise RuntimeError("a fleet worker did not start")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("GO\n")
            worker.stdin.flush()
        if meanwhile is not None:
            meanwhile()
        return [json.loads(worker.communicate(timeout=run_for + 30)[0]) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    print(json.dumps(asyncio.run(_worker(json.loads(sys.argv[2])))), flush=True)
