"""A strict fake of Hero's rate limit: a loopback HTTP/1.1 server that counts arrivals in a sliding window.

Every request that arrives while the last ``seconds`` already hold ``limit`` arrivals is answered 429 and
counted in ``over_limit``: the number a client-side limiter must keep at zero. ``limit=None`` turns it into a plain
fast server (for overhead benchmarks). Answers are small JSON bodies; ``GET /_stats`` returns the counters.

Run in-process (``async with StrictServer(...) as server``) or as its own process, which is what benchmarks and
multi-process tests want so that the server does not share an event loop with its clients:

    python -m tests.support.strict_server --limit 60 --seconds 2     # prints "PORT <n>", serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field

OK_BODY = json.dumps(
    {
        "id": "1",
        "scheduled_send_at": None,
        "write_to_record": False,
        "status": {"write_to_record_at": None, "sent_at": None, "response": "sent", "failure_reason": None},
        "errors": {"write_to_record": None, "send": None},
    }
).encode()


@dataclass
class ServerStats:
    """What the server saw; ``arrivals`` are monotonic arrival times of every request, accepted or not."""

    accepted: int = 0
    over_limit: int = 0
    arrivals: list[float] = field(default_factory=list)

    def max_in_window(self, seconds: float) -> int:
        """The most arrivals any sliding window of ``seconds`` held (closed on both ends)."""
        best, start = 0, 0
        for end, t in enumerate(self.arrivals):
            while t - self.arrivals[start] > seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def as_dict(self) -> dict[str, object]:
        return {"accepted": self.accepted, "over_limit": self.over_limit, "arrivals": self.arrivals}


class StrictServer:
    """The server; ``port`` is known once started."""

    def __init__(self, limit: int | None = None, seconds: float = 60.0, *, host: str = "127.0.0.1") -> None:
        self.limit = limit
        self.seconds = seconds
        self.host = host
        self.port = 0
        self.stats = ServerStats()
        self._window: deque[float] = deque()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        self.stats = ServerStats()
        self._window.clear()

    def _admit(self) -> bool:
        now = time.monotonic()
        self.stats.arrivals.append(now)
        if self.limit is None:
            self.stats.accepted += 1
            return True
        window = self._window
        while window and now - window[0] > self.seconds:
            window.popleft()
        window.append(now)  # every arrival counts, as it would at a server that meters before answering
        if len(window) > self.limit:
            self.stats.over_limit += 1
            return False
        self.stats.accepted += 1
        return True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in header_lines:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length:
                    await reader.readexactly(length)
                path = request_line.split(" ")[1] if " " in request_line else "/"
                if path.startswith("/_stats"):
                    status, body = "200 OK", json.dumps(self.stats.as_dict()).encode()
                elif path.startswith("/_reset"):
                    self.reset()
                    status, body = "200 OK", b"{}"
                elif self._admit():
                    status, body = "200 OK", OK_BODY
                else:
                    status, body = "429 Too Many Requests", b'{"error":"rate_limited"}'
                head_out = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                writer.write(head_out.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self) -> StrictServer:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> StrictServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _serve(limit: int | None, seconds: float, port: int) -> None:
    server = StrictServer(limit, seconds)
    server.port = port
    await server.start()
    print(f"PORT {server.port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="requests per window (default: no limit)")
    parser.add_argument("--seconds", type=float, default=60.0, help="window length in seconds")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.limit, args.seconds, args.port))


if __name__ == "__main__":
    main()
