"""A strict per-key fake of Hero's rate limit, for the many-keys benchmark (not a benchmark itself).

Like ``tests.support.strict_server``, but every ``x-api-key`` has its own sliding window of ``limit`` arrivals per
``seconds``: an arrival past it is answered 429 and counted over the limit. ``GET /_stats`` returns, per key (the
benchmark's made-up keys, never real ones), every arrival time and whether it was accepted.

    python bench/keyed_server.py --limit 10 --seconds 2     # prints "PORT <n>", serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict, deque
from pathlib import Path

OK_BODY = json.dumps(
    {
        "id": "1",
        "scheduled_send_at": None,
        "write_to_record": False,
        "status": {"write_to_record_at": None, "sent_at": None, "response": "sent", "failure_reason": None},
        "errors": {"write_to_record": None, "send": None},
    }
).encode()
LIMITED_BODY = b'{"error":"rate_limited"}'


class KeyedServer:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.windows: dict[str, deque[float]] = defaultdict(deque)
        self.arrivals: dict[str, list[tuple[float, bool]]] = defaultdict(list)

    def admit(self, key: str) -> bool:
        now = time.monotonic()
        window = self.windows[key]
        while window and now - window[0] > self.seconds:
            window.popleft()
        window.append(now)
        ok = len(window) <= self.limit
        self.arrivals[key].append((now, ok))
        return ok

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                key, length = "", 0
                for line in header_lines:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value.strip())
                    elif name == "x-api-key":
                        key = value.strip()
                if length:
                    await reader.readexactly(length)
                if request_line.split(" ")[1].startswith("/_stats"):
                    status, body = "200 OK", json.dumps(self.arrivals).encode()
                elif self.admit(key):
                    status, body = "200 OK", OK_BODY
                else:
                    status, body = "429 Too Many Requests", LIMITED_BODY
                out = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                writer.write(out.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _serve(limit: int, seconds: float) -> None:
    server = KeyedServer(limit, seconds)
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=4096)
    print(f"PORT {listening.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


class KeyedServerProcess:
    """Context manager: the server in its own process on a free loopback port."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.args = [sys.executable, str(Path(__file__).resolve()), "--limit", str(limit), "--seconds", str(seconds)]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> KeyedServerProcess:
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"keyed server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def arrivals(self) -> dict[str, list[tuple[float, bool]]]:
        with urllib.request.urlopen(self.url + "/_stats", timeout=30) as answer:
            return {key: [(t, ok) for t, ok in rows] for key, rows in json.loads(answer.read()).items()}

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.limit, args.seconds))


if __name__ == "__main__":
    main()
