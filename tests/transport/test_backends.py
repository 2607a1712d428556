"""Both network backends (httpx's transport and aiohttp's) against real loopback servers that misbehave on cue.

MockTransport tests (test_transport.py) check the policy; these check that each backend's real failures reach the
policy as the right kind: "never sent" (a POST may be retried) or "maybe sent" (a POST is never sent again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest

from hero_health_client import (
    APIConnectionError,
    APITimeoutError,
    HeroClient,
    ResponseValidationError,
    ServerError,
)
from hero_health_client._aiohttp import SafeAiohttpTransport, translate
from hero_health_client._network import DEFAULT_LIMITS, shared_ssl_context
from hero_health_client.generated.api.messages import get_message_status, send_message
from hero_health_client.generated.models import MessageType, SendMessageRequest
from hero_health_client.transport import NOT_SENT_ERRORS

BACKENDS = ["httpx", "aiohttp"]
SENT = {"message_id": "9", "content": "hi", "created_at": "2026-03-29T01:30:00Z", "write_to_record": False}
STATUS = {
    "id": "1",
    "scheduled_send_at": None,
    "write_to_record": False,
    "status": {"write_to_record_at": None, "sent_at": None, "response": "sent", "failure_reason": None},
    "errors": {"write_to_record": None, "send": None},
}
SMS = SendMessageRequest(patient_id="1", message_type=MessageType.SMS, message_string="Your appointment is at 9:30")


class FaultServer:
    """A loopback HTTP/1.1 server that answers each request by the next action of its script (the last repeats):
    ``"ok"``, ``"500"``, ``"429"`` (Retry-After: 0), ``"hang-up"`` (close without answering), ``"silent"`` (never
    answer), ``"cut-off"`` (200 headers, then half the body and close). ``received`` counts complete requests."""

    def __init__(self, *script: str) -> None:
        self.script = list(script)
        self.received = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._hold = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FaultServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._hold.set()
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                await reader.readexactly(length)
                self.received += 1
                action = self.script.pop(0) if len(self.script) > 1 else self.script[0]
                if not await self._answer(action, head, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, action: str, head: bytes, writer: asyncio.StreamWriter) -> bool:
        """Write the answer; False when the connection is to be closed."""
        body = json.dumps(SENT if head.startswith(b"POST") else STATUS).encode()
        if action == "hang-up":
            return False
        if action == "silent":
            await self._hold.wait()
            return False
        if action == "cut-off":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
            writer.write(f"content-length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])
            await writer.drain()
            return False
        status, extra = {"ok": (200, ""), "500": (500, ""), "429": (429, "retry-after: 0\r\n")}[action]
        if status != 200:
            body = json.dumps({"error": "nope"}).encode()
        head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}content-length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        return True


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def hero_for(url: str, api_key: str, backend: str, **options: Any) -> AsyncIterator[HeroClient]:
    settings: dict[str, Any] = {"rate_limit": None, "max_retries": 2, "timeout": 5.0} | options
    async with HeroClient(api_key, "1", base_url=url, backend=backend, **settings) as hero:  # type: ignore[arg-type]
        yield hero


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_post_is_retried(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with hero_for(f"http://127.0.0.1:{closed_port()}", api_key, backend) as hero:
        with pytest.raises(APIConnectionError) as raised:
            await send_message.asyncio(client=hero, body=SMS)
    assert not isinstance(raised.value, APITimeoutError)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    assert hero.stats.retries == 2 and hero.stats.requests == 3  # never sent, so sent again (and again)


async def test_a_post_the_server_hung_up_on_is_not_resent(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with FaultServer("hang-up", "ok") as server, hero_for(server.url, api_key, backend) as hero:
        with pytest.raises(APIConnectionError) as raised:
            await send_message.asyncio(client=hero, body=SMS)
    assert server.received == 1
    assert not isinstance(raised.value.__cause__, NOT_SENT_ERRORS)


async def test_a_get_the_server_hung_up_on_is_retried(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with FaultServer("hang-up", "ok") as server, hero_for(server.url, api_key, backend) as hero:
        answer = await get_message_status.asyncio("1", client=hero)
    assert answer.id == "1" and server.received == 2


async def test_a_post_without_an_answer_in_time_is_not_resent(api_key: str, backend: str) -> None:
    async with (
        FaultServer("silent", "ok") as server,
        hero_for(server.url, api_key, backend, timeout=0.3) as hero,
    ):
        with pytest.raises(APITimeoutError) as raised:
            await send_message.asyncio(client=hero, body=SMS)
    assert server.received == 1
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)


async def test_a_get_without_an_answer_in_time_is_retried(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with (
        FaultServer("silent", "ok") as server,
        hero_for(server.url, api_key, backend, timeout=0.3) as hero,
    ):
        answer = await get_message_status.asyncio("1", client=hero)
    assert answer.id == "1" and server.received == 2


async def test_a_post_that_got_a_500_is_not_resent(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with FaultServer("500", "ok") as server, hero_for(server.url, api_key, backend) as hero:
        with pytest.raises(ServerError):
            await send_message.asyncio(client=hero, body=SMS)
    assert server.received == 1


async def test_a_post_refused_with_429_is_retried(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with FaultServer("429", "ok") as server, hero_for(server.url, api_key, backend) as hero:
        sent = await send_message.asyncio(client=hero, body=SMS)
    assert sent.message_id == "9" and server.received == 2
    assert hero.stats.rate_limited == 1


async def test_a_post_whose_answer_was_cut_off_is_not_resent(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with FaultServer("cut-off", "ok") as server, hero_for(server.url, api_key, backend) as hero:
        with pytest.raises(ResponseValidationError) as raised:
            await send_message.asyncio(client=hero, body=SMS)
    assert raised.value.request_processed is True
    assert server.received == 1


async def test_a_get_whose_answer_was_cut_off_is_retried(api_key: str, backend: str, no_sleep: list[float]) -> None:
    async with FaultServer("cut-off", "ok") as server, hero_for(server.url, api_key, backend) as hero:
        answer = await get_message_status.asyncio("1", client=hero)
    assert answer.id == "1" and server.received == 2


async def test_many_calls_share_the_pool(api_key: str, backend: str) -> None:
    async with FaultServer("ok") as server, hero_for(server.url, api_key, backend) as hero:
        answers = await asyncio.gather(*(get_message_status.asyncio(str(i), client=hero) for i in range(60)))
    assert len(answers) == 60 and server.received == 60


def _connection_key() -> Any:
    from aiohttp.client_reqrep import ConnectionKey

    return ConnectionKey("127.0.0.1", 1, False, False, None, None, None)


@pytest.mark.parametrize(
    ("failure", "expected", "not_sent"),
    [
        (lambda: aiohttp.ClientConnectorError(_connection_key(), OSError(111, "refused")), httpx.ConnectError, True),
        (lambda: aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout, True),
        (lambda: aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError, False),
        (lambda: aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout, False),
        (lambda: aiohttp.ServerTimeoutError("read"), httpx.ReadTimeout, False),
        (lambda: aiohttp.ClientPayloadError("cut"), httpx.ReadError, False),
        (lambda: aiohttp.ClientOSError(104, "reset"), httpx.ReadError, False),
        (lambda: aiohttp.ClientConnectionResetError("reset"), httpx.ReadError, False),
    ],
)
def test_aiohttp_failures_map_by_what_they_prove(failure: Any, expected: type[Exception], not_sent: bool) -> None:
    original = failure()
    for seen in (original, httpx.ConnectTimeout("as httpx-aiohttp maps it")):  # bare, or behind httpx-aiohttp's map
        if seen is not original:
            seen.__cause__ = original
        mapped = translate(seen)
        assert type(mapped) is expected
        assert isinstance(mapped, NOT_SENT_ERRORS) is not_sent


def test_other_errors_pass_through_unchanged() -> None:
    unsupported = httpx.UnsupportedProtocol("ftp")
    assert translate(unsupported) is unsupported


async def test_clients_share_one_ssl_context(api_key: str) -> None:
    first = HeroClient(api_key, "1")
    second = HeroClient(api_key + "-2", "1", backend="aiohttp")
    own = ssl.create_default_context()
    third = HeroClient(api_key + "-3", "1", httpx_args={"verify": own})
    try:
        contexts = [
            first._transport._inner.transport._pool._ssl_context,  # type: ignore[attr-defined]
            second._transport._inner.transport.ssl_context,  # type: ignore[attr-defined]
        ]
        assert all(context is shared_ssl_context() for context in contexts)
        assert third._transport._inner.transport._pool._ssl_context is own  # type: ignore[attr-defined]
        assert isinstance(second._transport._inner.transport, SafeAiohttpTransport)  # type: ignore[attr-defined]
        assert first._transport._inner.transport._pool._max_connections == DEFAULT_LIMITS.max_connections  # type: ignore[attr-defined]
    finally:
        for client in (first, second, third):
            await client.aclose()


def test_an_unknown_backend_is_refused(api_key: str) -> None:
    with pytest.raises(ValueError, match="backend must be one of 'httpx', 'aiohttp'"):
        HeroClient(api_key, "1", backend="curl")  # type: ignore[arg-type]
