"""httpcore's header lines are redacted for the SDK's own requests only: another HTTP client keeps its log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from hero_health_client import HeroClient

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLocation: /v1/patients/9434765919\r\n"
    b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
)


@contextlib.asynccontextmanager
async def loopback_server() -> AsyncIterator[str]:
    """A server on a free loopback port that answers every request with ANSWER; closed on exit."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(ANSWER)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


def header_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("httpcore") and "receive_response_headers.complete" in r.getMessage()
    ]


async def test_other_clients_keep_their_httpcore_lines_and_ours_are_redacted(
    api_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with loopback_server() as url, HeroClient(api_key, "1", base_url=url, rate_limit=None) as hero:
        await hero.request("GET", "/v1/anything")
        ours = header_lines(caplog)
        caplog.clear()
        async with httpx.AsyncClient() as other:  # the same process, after a HeroClient installed its filters
            await other.get(f"{url}/v1/other")
        theirs = header_lines(caplog)
    assert ours and theirs
    assert all("9434765919" not in line for line in ours)
    assert any("Location: [redacted]" in line for line in ours)
    assert any("/v1/patients/9434765919" in line for line in theirs)  # untouched
