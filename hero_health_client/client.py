"""HeroClient: the one object users create. Credentials, environment, timeout and policy options."""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
from functools import cached_property
from typing import Any, Self

import httpx

from . import telemetry as _telemetry
from ._arguments import check_seconds
from ._network import BACKENDS, Backend, lazy_network_transport
from ._redact import fingerprint, redact_httpx_logs_for
from ._version import __version__
from .generated.client import Client
from .limits import RateLimit, RateLimiter, RateLimiterFactory, shared_limiter
from .transport import PRIORITIES, ClientStats, HeroTransport, OptionsTransport, RetryPolicy

PRODUCTION_URL = "https://api.herohealth.net"
STAGING_URL = "https://api.staging.htech.app"
MOCK_URL = "https://developer.herohealth.net/_mock/apis/public-api/openapi"

DEFAULT_TIMEOUT = 30.0
ENVIRONMENTS = {"production": PRODUCTION_URL, "staging": STAGING_URL, "mock": MOCK_URL}

logger = logging.getLogger("hero_health_client")

_DEFAULT_RATE_LIMIT = RateLimit()
_TRANSPORT_ARGS = ("limits", "verify", "cert", "http1", "http2", "trust_env", "proxy", "retries")


def _from_environment(name: str, value: str | None, variable: str) -> object:
    """``value``, or the environment variable that stands in for it; a ValueError naming both when neither is set."""
    if value is not None:
        return value
    found = os.environ.get(variable)
    if found is None or not found.strip():
        raise ValueError(f"{name} was not given and ${variable} is not set: pass {name}= or set {variable}")
    return found.strip()


def _environment_url() -> str:
    """$HERO_BASE_URL, else the URL of $HERO_ENVIRONMENT, else production."""
    url = os.environ.get("HERO_BASE_URL", "").strip()
    if url:
        return url
    name = os.environ.get("HERO_ENVIRONMENT", "").strip().lower()
    if not name:
        return PRODUCTION_URL
    if name not in ENVIRONMENTS:
        raise ValueError(f"$HERO_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {name!r}")
    return ENVIRONMENTS[name]


def _credential(name: str, value: object) -> str:
    """``value`` if it is a usable credential; a ValueError naming the parameter (never the value) if not."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty or whitespace")
    if value != value.strip():
        raise ValueError(f"{name} has leading or trailing whitespace; pass it exactly as Hero issued it")
    if not all("!" <= char <= "~" for char in value):
        # A header value with CR, LF, NUL, a space or a non-ASCII character (a pasted zero-width space) would fail
        # only at request time, with the value in the error's cause.
        raise ValueError(f"{name} may hold only visible ASCII characters (no spaces, control or non-ASCII characters)")
    return value


def _seconds(name: str, value: object) -> float:
    """``value`` as a finite number of seconds > 0, or a ValueError naming the parameter."""
    return check_seconds(name, value)


def _timeout(value: object) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        for part in ("connect", "read", "write", "pool"):
            if getattr(value, part) is not None:
                _seconds(f"timeout.{part}", getattr(value, part))
        return value
    return httpx.Timeout(_seconds("timeout", value))


def _base_url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"base_url must be an http(s) URL string, got {type(value).__name__}")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        url = None
    if url is None or url.scheme not in ("https", "http") or not url.host or any(c.isspace() for c in value):
        raise ValueError(f"base_url must be an http(s) URL with a host, got {value!r}")
    return value.rstrip("/")


def _aiohttp_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("httpx_aiohttp") is not None


class HeroClient(Client):
    """Async client for the Hero Health Public API; pass it as ``client=`` to any generated endpoint function.

    Every request carries ``x-api-key`` and ``x-practice-group-id``, waits for the API key's shared rate limiter,
    is retried when that is safe, and raises a typed error (``hero_health_client.errors``) for any error status.

    ``rate_limit=None`` turns the in-process limiter off; ``rate_limiter=`` supplies another limiter (e.g. the
    Redis one, to share the budget across processes). ``transport=`` replaces the network transport (tests);
    ``httpx_args`` go to ``httpx.AsyncClient``, and connection settings among them (``limits``, ``verify``,
    ``http2``, ...) to the network transport.

    ``backend`` picks the network transport: ``"httpx"`` (the default, httpx's own) or ``"aiohttp"`` (extra
    ``[aiohttp]``: several times less CPU per request under concurrency, HTTP/1.1 only, no proxy from the
    environment). Retries, timeouts and the never-a-second-POST rule are the same on both. Every client shares one
    SSL context per process, so a client per API key is cheap.

    ``telemetry`` (OpenTelemetry spans and metrics, ``hero_health_client.telemetry``): ``None`` (the default) is on
    whenever the application has configured a tracer or meter provider; ``False`` turns it off; ``True`` is the
    same as ``None`` but raises ``ValueError`` at once if ``opentelemetry-api`` is not installed.

    Every argument is checked here, naming the parameter: ``timeout`` (finite seconds > 0, or an httpx.Timeout of
    such), ``max_retries`` (a whole number >= 0), ``max_retry_after`` (the longest 429 pause, in seconds, that a
    caller waits out rather than getting ``RateLimitError``), ``base_url`` (http(s) with a host), and credentials
    (visible ASCII only). Once closed (``aclose`` or the end of ``async with``) the client raises
    ``ClientClosedError`` rather than opening a new connection pool.
    """

    def __init__(
        self,
        api_key: str | None = None,
        practice_group_id: str | None = None,
        *,
        base_url: str | None = None,
        rate_limit: RateLimit | None = _DEFAULT_RATE_LIMIT,
        rate_limiter: RateLimiter | RateLimiterFactory | None = None,
        max_retries: int = 2,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retry_after: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        httpx_args: dict[str, Any] | None = None,
        backend: Backend = "httpx",
        telemetry: bool | None = None,
    ) -> None:
        # Every argument is checked before anything shared (the key's limiter) is touched: a failed construction
        # changes nothing.
        api_key = _credential("api_key", _from_environment("api_key", api_key, "HERO_API_KEY"))
        practice_group_id = _credential(
            "practice_group_id", _from_environment("practice_group_id", practice_group_id, "HERO_PRACTICE_GROUP_ID")
        )
        base_url = _base_url(base_url if base_url is not None else _environment_url())
        http_timeout = _timeout(timeout)
        retry = RetryPolicy(max_retries=max_retries, max_retry_after=max_retry_after)
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise ValueError(f"rate_limit must be a RateLimit or None, got {type(rate_limit).__name__}")
        if rate_limiter is not None and rate_limit is not _DEFAULT_RATE_LIMIT:
            raise ValueError("pass either rate_limit or rate_limiter, not both")
        if rate_limiter is not None and not isinstance(rate_limiter, RateLimiter | RateLimiterFactory):
            kind = type(rate_limiter).__name__
            raise ValueError(f"rate_limiter must have acquire() and pause(), or bind(), got {kind}")
        # httpx ignores connection settings given to a client that has a transport, and ours always has one:
        # hand them to the network transport instead.
        httpx_args = dict(httpx_args or {})
        transport_args = {key: httpx_args.pop(key) for key in _TRANSPORT_ARGS if key in httpx_args}
        if transport is not None and transport_args:
            raise ValueError(f"pass {', '.join(transport_args)} to your own transport, not in httpx_args")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
        if backend == "aiohttp" and transport is None and not _aiohttp_installed():
            raise ValueError("backend='aiohttp' needs httpx-aiohttp: pip install 'hero-health-client[aiohttp]'")
        if telemetry not in (None, True, False):
            raise ValueError(f"telemetry must be None (automatic), True or False, got {telemetry!r}")
        if telemetry is True and not _telemetry.available():
            raise ValueError("telemetry=True needs opentelemetry-api: pip install 'hero-health-client[otel]'")

        if rate_limiter is None and rate_limit is not None:
            rate_limiter = shared_limiter(api_key, rate_limit)
        elif isinstance(rate_limiter, RateLimiterFactory):  # e.g. RedisRateLimiter: it counts under the key's hash
            rate_limiter = rate_limiter.bind(api_key)
        self.stats = ClientStats()
        self._key_fingerprint = fingerprint(api_key)
        self._practice_group_id = practice_group_id
        self._retry = retry
        self._priority: str | None = None
        url = httpx.URL(base_url)
        self._transport = HeroTransport(
            inner=transport or lazy_network_transport(backend, transport_args),
            auth_headers={"x-api-key": api_key, "x-practice-group-id": practice_group_id},
            limiter=rate_limiter,
            retry=retry,
            stats=self.stats,
            telemetry=None
            if telemetry is False
            else _telemetry.Telemetry(
                version=__version__,
                server_address=url.host,
                server_port=url.port,
                key_fingerprint=self._key_fingerprint,
            ),
        )
        super().__init__(
            base_url,
            headers={"User-Agent": f"hero-health-client/{__version__}"},
            timeout=http_timeout,
            httpx_args={**httpx_args, "transport": self._transport},
        )
        redact_httpx_logs_for(httpx.URL(self._base_url).host)
        logger.debug("HeroClient for key …%s at %s", self._key_fingerprint, self._base_url)

    @property
    def practice_group_id(self) -> str:
        return self._practice_group_id

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        priority: str | None = None,
    ) -> Self:
        """A view of this client whose calls use other settings; it shares the connection pool, the rate limiter
        and ``stats`` with this client, so it is cheap to make per call site:

            await hero.with_options(timeout=5.0, max_retries=0).booking.get_slot("4821")
            await hero.with_options(priority="bulk").messages.send_message(...)

        ``priority`` ("interactive" or "bulk") names the rate limiter's lane for the view's requests; a limiter
        without lanes (its ``acquire`` takes no ``priority``) ignores it.

        Closing the view closes nothing shared; closing this client ends the view too.
        """
        view = copy.copy(self)
        for klass in type(self).__mro__:  # the groups made for this client must not serve the view
            for name, value in vars(klass).items():
                if isinstance(value, cached_property):
                    view.__dict__.pop(name, None)
        if timeout is not None:
            view._timeout = _timeout(timeout)
        if max_retries is not None:
            view._retry = dataclasses.replace(self._retry, max_retries=max_retries)
        if priority is not None:
            if priority not in PRIORITIES:
                raise ValueError(f"priority must be one of {', '.join(map(repr, PRIORITIES))}, got {priority!r}")
            view._priority = priority
        view._async_client = None
        view._httpx_args = {
            **self._httpx_args,
            "transport": OptionsTransport(self._transport, view._retry, view._priority),
        }
        return view

    def __repr__(self) -> str:
        return (
            f"HeroClient(base_url={self._base_url!r}, api_key='…{self._key_fingerprint}', "
            f"practice_group_id={self._practice_group_id!r})"
        )

    __str__ = __repr__

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Call any path, for operations the spec does not cover, through the same auth, limiter and retries.

        Returns the response for a 2xx answer; raises the typed errors otherwise. ``json=None`` sends no body.
        """
        response = await self.get_async_httpx_client().request(method.upper(), path, params=params, json=json)
        return response
