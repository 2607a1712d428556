"""The network transport under the policy transport: httpx's own (the default) or aiohttp's, built cheaply.

Why a module of its own: ``HeroClient`` only says which backend; what each needs (a shared SSL context, pool limits,
aiohttp's error mapping) lives here, so the client stays about configuration and the policy transport about policy.

- **One SSL context per process.** Building a verifying ``ssl.SSLContext`` (loading certifi's bundle) costs 35-55 ms
  of blocking CPU; a client per API key must not pay it each time. Every network transport we build gets the same
  context unless the caller passed ``verify`` or ``cert`` of their own. An ``SSLContext`` may be shared by any number
  of connections, threads and event loops.
- **Pool limits by measurement** (``bench/bench_overhead.py``): see ``DEFAULT_LIMITS``.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any, Literal

import httpx

Backend = Literal["httpx", "aiohttp"]
BACKENDS: tuple[Backend, ...] = ("httpx", "aiohttp")

# httpx's default pool (100 connections, 20 kept alive) spends much of a request's CPU in httpcore's pool
# bookkeeping, which walks every connection on each request; fewer connections, all kept alive, cost less per
# request and open no new connections in a burst. 20 connections answer 300 requests a minute (Hero's limit per
# key) even at a 4 s round trip; a caller beyond them waits for a free connection (the pool timeout), not for Hero.
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=20)


def shared_ssl_context(trust_env: bool = True) -> ssl.SSLContext:
    """The process's verifying SSL context (certifi's bundle, or $SSL_CERT_FILE / $SSL_CERT_DIR when
    ``trust_env``), built on first use only."""
    return _ssl_context(bool(trust_env))


@functools.cache
def _ssl_context(trust_env: bool) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=trust_env)


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
