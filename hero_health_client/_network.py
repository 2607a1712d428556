"""The network transport under the policy transport: httpx's own (the default) or aiohttp's, built cheaply.

Why a module of its own: ``HeroClient`` only says which backend; what each needs (a shared SSL context, pool limits,
aiohttp's error mapping) lives here, so the client stays about configuration and the policy transport about policy.

- **One SSL context per process.** Building a verifying ``ssl.SSLContext`` (loading certifi's bundle) costs 35-55 ms
  of blocking CPU; a client per API key must not pay it each time. Every network transport we build gets the same
  context unless the caller passed ``verify`` or ``cert`` of their own. An ``SSLContext`` may be shared by any number
  of connections, threads and event loops.
- **Built on first use.** The network transport (and with it the SSL context, httpcore or aiohttp) is made when the
  client sends its first request, not when it is created: creating a client is then only configuration, and a
  process that makes clients it never uses pays nothing for them.
- **Pool limits by measurement** (``bench/bench_overhead.py``): httpx's default, see ``DEFAULT_LIMITS`` for why.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable
from typing import Any, Literal

import httpx

Backend = Literal["httpx", "aiohttp"]
BACKENDS: tuple[Backend, ...] = ("httpx", "aiohttp")

# Measured (bench/bench_overhead.py, concurrency 100 on loopback): httpcore's pool bookkeeping grows with waiting
# requests x connections, so a pool of 10 (all kept alive) costs about 0.65x the CPU per request of httpx's default
# (100, 20 kept alive), 20/20 the same as the default, and 100/100 about 2x. We keep httpx's default all the same:
# Hero's limit (300 a minute per key) keeps few requests in flight except in a burst, and in a burst a small pool
# holds granted requests until its pool timeout, which then spend rate-limit budget on retries (10 connections at a
# 2 s answer time carry only Hero's whole limit). Callers with fast answers and high concurrency can pass
# ``httpx_args={"limits": httpx.Limits(max_connections=10, max_keepalive_connections=10)}``.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def shared_ssl_context(trust_env: bool = True) -> ssl.SSLContext:
    """The process's verifying SSL context (certifi's bundle, or $SSL_CERT_FILE / $SSL_CERT_DIR when
    ``trust_env``), built on first use only."""
    return _ssl_context(bool(trust_env))


@functools.cache
def _ssl_context(trust_env: bool) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=trust_env)


class LazyTransport(httpx.AsyncBaseTransport):
    """A network transport built by ``build`` on the first request (see the module docstring)."""

    def __init__(self, build: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._build: Callable[[], httpx.AsyncBaseTransport] | None = build
        self._transport: httpx.AsyncBaseTransport | None = None

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        if self._transport is None:
            assert self._build is not None
            self._transport, self._build = self._build(), None
        return self._transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await (self._transport or self.transport).handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


def lazy_network_transport(backend: Backend, args: dict[str, Any]) -> LazyTransport:
    """``network_transport(backend, args)``, built on the first request."""
    args = dict(args)
    return LazyTransport(lambda: network_transport(backend, args))


def network_transport(backend: Backend, args: dict[str, Any]) -> httpx.AsyncBaseTransport:
    """A new network transport of ``backend`` with the caller's connection settings ``args`` (``limits``,
    ``verify``, ``cert``, ``http2``, ``proxy``, ...), the shared SSL context and our pool limits by default."""
    args = dict(args)
    if "verify" not in args and "cert" not in args:
        args["verify"] = shared_ssl_context(bool(args.get("trust_env", True)))
    args.setdefault("limits", DEFAULT_LIMITS)
    if backend == "aiohttp":
        from ._aiohttp import SafeAiohttpTransport  # aiohttp is an optional extra, loaded only when chosen

        return SafeAiohttpTransport(**args)
    return httpx.AsyncHTTPTransport(**args)
