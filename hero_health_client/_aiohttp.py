"""The aiohttp backend (extra ``[aiohttp]``): ``httpx_aiohttp.AiohttpTransport`` with failures mapped safely.

Why not use httpx-aiohttp's own mapping: it turns every ``aiohttp.ClientConnectionError`` it does not know better
into ``httpx.ConnectTimeout``, and ``ServerDisconnectedError`` (the server hung up after we sent the request) is one.
The policy transport treats ``ConnectTimeout`` as "never sent" and would send a POST again: a second SMS. Here every
aiohttp failure is mapped by what it proves:

- not sent (safe to retry a POST): ``ClientConnectorError`` (refused, DNS, TLS handshake, proxy connect) ->
  ``httpx.ConnectError``; ``ConnectionTimeoutError`` (no connection, or no free one in the pool, in time) ->
  ``httpx.ConnectTimeout``.
- maybe sent (a POST is not sent again): ``SocketTimeoutError`` and any other timeout -> ``httpx.ReadTimeout``;
  ``ServerDisconnectedError`` and malformed answers -> ``httpx.RemoteProtocolError``; a body cut off
  (``ClientPayloadError``), a reset connection and any other aiohttp error -> ``httpx.ReadError``.

The same mapping applies while the body is read. Differences from httpx's transport: HTTP/1.1 only, no write
timeout, and proxies only when passed as ``proxy=`` (environment variables are not read).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import NoReturn

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

_NOT_SENT: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
)
_MAYBE_SENT: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (asyncio.TimeoutError, httpx.ReadTimeout),  # aiohttp's ServerTimeoutError and SocketTimeoutError are these
    (aiohttp.ClientError, httpx.ReadError),
    (OSError, httpx.ReadError),
)


def _original(exc: BaseException) -> BaseException:
    """The aiohttp exception behind one that httpx-aiohttp re-raised as an httpx error."""
    cause = exc.__cause__
    if isinstance(exc, httpx.TransportError) and isinstance(cause, aiohttp.ClientError | asyncio.TimeoutError):
        return cause
    return exc


def translate(exc: BaseException) -> BaseException:
    """The httpx exception that says what ``exc`` (an aiohttp failure, or httpx-aiohttp's mapping of one) proves;
    anything else is returned unchanged."""
    original = _original(exc)
    for source, target in (*_NOT_SENT, *_MAYBE_SENT):
        if isinstance(original, source):
            return target(f"{type(original).__name__}: {original}")
    return exc


_FAILURES = (httpx.TransportError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def _reraise(exc: BaseException) -> NoReturn:
    mapped = translate(exc)
    if mapped is exc:
        raise exc
    raise mapped from _original(exc)


class _SafeStream(httpx.AsyncByteStream):
    """The answer's body, with failures while reading it mapped like those of the request."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except _FAILURES as exc:
            _reraise(exc)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except _FAILURES as exc:
            _reraise(exc)


class SafeAiohttpTransport(AiohttpTransport):
    """httpx-aiohttp's transport with the mapping above, for sending and for reading the body."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except _FAILURES as exc:
            _reraise(exc)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _SafeStream(stream)
        return response
