"""FakeHero: the whole Hero API as an in-process httpx transport, for testing code that calls Hero."""

from __future__ import annotations

import asyncio
import copy
import http
import json as jsonlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from .._redact import path_template
from ..client import HeroClient
from ..generated._examples import EXAMPLES, OperationExample
from ..limits import RateLimit
from ..transport import RetryPolicy
from ._records import RecordedRequest
from ._routes import RouteTable, Target, route_of
from ._validate import Issue, check_body, check_parameters
from ._window import SlidingWindow, retry_after_header

Handler = Callable[[RecordedRequest], Any]
"""Computes an answer from the request: a JSON value (sent with the route's success status) or an httpx.Response."""

_NOT_GIVEN: Any = object()
_HERO_LIMIT = RateLimit(300, 60.0)


@dataclass
class _Answer:
    status: int | None
    json: Any
    headers: Mapping[str, str]
    handler: Handler | None
    remaining: int | None


@dataclass
class _Fault:
    route: str | None
    kind: str
    status: int
    headers: Mapping[str, str]
    remaining: int | None


class FakeHero(httpx.AsyncBaseTransport):
    """An in-process Hero: pass it as ``HeroClient(..., transport=fake)``, or take ``fake.client()``.

    It answers every operation of openapi.yaml, by default with the spec's documented example (or, where the spec
    has none, a value built from the answer's schema). Like Hero it refuses, before acting on a request:

    - over the rate limit: 429 with ``Retry-After``. ``rate_limit`` (default Hero's 300 per 60 s, as a
      ``RateLimit`` or ``(requests, seconds)``; None for no limit) is a strict sliding window over accepted
      arrivals, so a test notices a job that would meet 429s in production;
    - without ``x-api-key`` or ``x-practice-group-id``: 401;
    - a path, query or body that breaks the spec: 400 with Hero's body, naming the field
      (``{"error": true, "statusCode": 400, "message": [{"code", "expected", "path"}]}``);
    - a route the spec does not have (unless registered with ``on``): 404.

    ``on(...)`` sets answers, ``fail(...)`` injects faults, ``requests`` and ``calls(...)`` say what arrived.
    ``latency`` (seconds) delays every answer, to keep requests in flight. ``clock`` is the window's clock.
    """

    def __init__(
        self,
        *,
        rate_limit: RateLimit | tuple[int, float] | None = _HERO_LIMIT,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(rate_limit, tuple):
            rate_limit = RateLimit(*rate_limit)
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise ValueError(f"rate_limit must be a RateLimit, (requests, seconds) or None, got {rate_limit!r}")
        if not latency >= 0:
            raise ValueError(f"latency must be >= 0 seconds, got {latency!r}")
        self.rate_limit = rate_limit
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self.rate_limited = 0
        """How many requests were answered 429."""
        self.connect_failures = 0
        """How many connections ``fail(..., connect=True)`` refused (those requests never arrived)."""
        self._window = SlidingWindow(rate_limit.requests, rate_limit.seconds, clock) if rate_limit else None
        self._routes = RouteTable(EXAMPLES)
        self._answers: dict[str, list[_Answer]] = {}
        self._faults: list[_Fault] = []

    def __repr__(self) -> str:
        limit = f"{self.rate_limit.requests}/{self.rate_limit.seconds:g}s" if self.rate_limit else "off"
        return f"<FakeHero rate_limit={limit} requests={len(self.requests)}>"

    # --- what to answer -------------------------------------------------------------------------------------------

    def on(
        self,
        target: Target,
        json: Any = _NOT_GIVEN,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        handler: Handler | None = None,
        times: int | None = None,
    ) -> None:
        """Answer ``target`` (``hero.messages.send_message``, ``MessagesAPI.send_message`` or ``"POST /v1/..."``)
        with ``json``, or with what ``handler(request)`` returns, instead of the documented example.

        ``status`` defaults to the operation's success status; an error status without ``json`` gets Hero's error
        body. ``times=N`` applies to the next N matching requests only; the latest registration wins. A route
        string the spec does not have is served too (for ``hero.request(...)``), without validation.
        """
        route = route_of(target)
        if json is _NOT_GIVEN and handler is None and status is None:
            raise ValueError("on() needs json=..., handler=... or status=...")
        if json is not _NOT_GIVEN and handler is not None:
            raise ValueError("pass json or handler, not both")
        _positive("times", times)
        self._routes.add(route)
        answer = _Answer(status, json, dict(headers or {}), handler, times)
        self._answers.setdefault(route, []).insert(0, answer)

    def fail(
        self,
        target: Target | None = None,
        *,
        status: int | None = None,
        disconnect: bool = False,
        connect: bool = False,
        timeout: bool = False,
        malformed: bool = False,
        headers: Mapping[str, str] | None = None,
        times: int | None = 1,
    ) -> None:
        """Make the next ``times`` requests to ``target`` (any route when None) fail; ``times=None``: all of them.

        One kind per call: ``status`` (default 500) answers that error status; ``disconnect`` drops the connection
        after the request arrived (Hero may have acted on it); ``connect`` refuses the connection (nothing
        arrived, so it is not recorded); ``timeout`` never answers (``httpx.ReadTimeout``); ``malformed`` answers
        the success status with a cut-off JSON body. Faults fire in the order they were added, after validation.
        """
        kinds = [name for name, on in (("disconnect", disconnect), ("connect", connect), ("timeout", timeout)) if on]
        kinds += ["malformed"] if malformed else []
        if status is not None:
            kinds.insert(0, "status")
        if len(kinds) > 1:
            raise ValueError(f"fail() takes one kind of fault at a time, got {', '.join(kinds)}")
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"status must be an error status (400-599), got {status!r}")
        _positive("times", times)
        route = None if target is None else route_of(target)
        self._faults.append(_Fault(route, kinds[0] if kinds else "status", status or 500, dict(headers or {}), times))

    def reset(self) -> None:
        """Forget records, answers and faults, and empty the rate-limit window."""
        self.requests.clear()
        self.rate_limited = self.connect_failures = 0
        self._answers.clear()
        self._faults.clear()
        if self._window is not None:
            self._window.clear()

    # --- what arrived ---------------------------------------------------------------------------------------------

    def calls(self, target: Target | None = None, *, include_refused: bool = False) -> list[RecordedRequest]:
        """The requests to ``target`` (all routes when None) that Hero would have acted on, oldest first.

        Requests refused before any action (400, 401, 404, 429) are left out unless ``include_refused``: a 429
        and its successful retry are one SMS. Requests that met an injected fault are in: Hero may have acted.
        """
        route = None if target is None else route_of(target)
        return [
            call
            for call in self.requests
            if (route is None or call.route == route) and (include_refused or not call.refused)
        ]

    # --- a client wired to the fake -------------------------------------------------------------------------------

    def client(self, api_key: str | None = None, practice_group_id: str = "1", **options: Any) -> HeroClient:
        """A ``HeroClient`` that talks to this fake, with the production policy but for two things.

        Its API key is new (unless given), so its limiter is its own; ``rate_limit`` defaults to the fake's, so
        the client's limiter is what keeps it under the fake's. Retries back off 1-10 ms instead of 0.5-8 s, so
        a retried 500 does not slow a test down; ``Retry-After`` is still waited exactly. Other ``options`` go to
        ``HeroClient``. Close it (``async with``) when done.
        """
        options.setdefault("rate_limit", self.rate_limit)
        hero = HeroClient(api_key or f"fake-hero-{uuid.uuid4().hex}", practice_group_id, transport=self, **options)
        policy = hero._transport._retry
        hero._transport._retry = RetryPolicy(max_retries=policy.max_retries, backoff_base=0.001, backoff_max=0.01)
        return hero

    # --- the transport --------------------------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        matched = self._routes.match(request.method, request.url.path)
        route, path_params = matched or (f"{request.method} {path_template(request.url.path)}", {})
        fault = self._take_fault(route, before_arrival=True)
        if fault is not None:
            self.connect_failures += 1
            raise httpx.ConnectError("FakeHero refused the connection (fail(connect=True))", request=request)

        record = RecordedRequest(
            route=route,
            method=request.method,
            path=request.url.path,
            path_params=path_params,
            params={name: request.url.params.get_list(name) for name in request.url.params},
            json=_parse_json(content),
            headers=dict(request.headers),
            content=content,
        )
        try:
            response = await self._answer(request, record, matched is not None)
        except httpx.TransportError as exc:
            self.requests.append(replace(record, fault=_fault_name(exc)))
            raise
        self.requests.append(replace(record, status=response.status_code, fault=response.extensions.get("fault")))
        return response

    async def _answer(self, request: httpx.Request, record: RecordedRequest, known: bool) -> httpx.Response:
        route = record.route
        if self._window is not None:
            wait = self._window.admit()
            if wait is not None:
                self.rate_limited += 1
                return _error(429, "Too many requests for this API key", {"Retry-After": retry_after_header(wait)})
        if self.latency:
            await asyncio.sleep(self.latency)
        if not known:
            return _error(404, "No such route in openapi.yaml; register one with FakeHero.on()")
        if not request.headers.get("x-api-key") or not request.headers.get("x-practice-group-id"):
            return _error(401, "x-api-key and x-practice-group-id are required")
        example = EXAMPLES.get(route)
        if example is not None:
            found = check_parameters(example, record.path_params, record.params) or check_body(example, record.content)
            if found is not None:
                return _bad_request(found)

        fault = self._take_fault(route, before_arrival=False)
        if fault is not None:
            if fault.kind == "disconnect":
                raise httpx.RemoteProtocolError("FakeHero dropped the connection (fail(disconnect=True))")
            if fault.kind == "timeout":
                raise httpx.ReadTimeout("FakeHero did not answer (fail(timeout=True))")
            if fault.kind == "malformed":
                whole = jsonlib.dumps(example.answer if example else {}).encode()
                status = example.status if example else 200
                return _response(status, whole[: max(1, len(whole) // 2)], {}, fault="malformed")
            return _error(fault.status, "FakeHero failed on purpose (fail())", fault.headers, fault="status")
        return self._documented_or_registered(route, example, record)

    def _documented_or_registered(
        self, route: str, example: OperationExample | None, record: RecordedRequest
    ) -> httpx.Response:
        success = example.status if example else 200
        answers = self._answers.get(route, [])
        answer = next((a for a in answers if a.remaining is None or a.remaining > 0), None)
        if answer is None:
            body = copy.deepcopy(example.answer) if example else None
            return _json_response(success, body, {})
        if answer.remaining is not None:
            answer.remaining -= 1
        status = answer.status or success
        if answer.handler is not None:
            produced = answer.handler(record)
            if isinstance(produced, httpx.Response):
                return produced
            return _json_response(status, produced, answer.headers)
        if answer.json is _NOT_GIVEN:
            if status >= 400:
                return _error(status, "answer set with FakeHero.on()", answer.headers)
            return _json_response(status, copy.deepcopy(example.answer) if example else None, answer.headers)
        return _json_response(status, answer.json, answer.headers)

    def _take_fault(self, route: str, *, before_arrival: bool) -> _Fault | None:
        for fault in self._faults:
            if (fault.kind == "connect") != before_arrival or fault.route not in (None, route):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
            return fault
        return None

    async def aclose(self) -> None:
        """Nothing to release; several clients may share one fake."""


def _positive(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"{name} must be a whole number >= 1 or None, got {value!r}")


def _parse_json(content: bytes) -> Any:
    try:
        return jsonlib.loads(content) if content else None
    except ValueError:
        return None


def _fault_name(exc: httpx.TransportError) -> str:
    return "timeout" if isinstance(exc, httpx.TimeoutException) else "disconnect"


def _response(status: int, content: bytes, headers: Mapping[str, str], *, fault: str | None = None) -> httpx.Response:
    response = httpx.Response(
        status, headers={"content-type": "application/json", **headers}, content=content, extensions={}
    )
    if fault is not None:
        response.extensions["fault"] = fault
    return response


def _json_response(status: int, body: Any, headers: Mapping[str, str]) -> httpx.Response:
    content = b"" if body is None else jsonlib.dumps(body).encode()
    return _response(status, content, headers)


def _error(
    status: int, message: str, headers: Mapping[str, str] | None = None, *, fault: str | None = None
) -> httpx.Response:
    """Hero's error body for ``status`` (the shape of the spec's ``ErrorResponse``)."""
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Error"
    body = jsonlib.dumps({"error": phrase, "statusCode": status, "message": message}).encode()
    return _response(status, body, headers or {}, fault=fault)


def _bad_request(found: Issue) -> httpx.Response:
    """Hero's 400: ``error: true``, the status, and one ``{code, expected, path}`` per rejected field."""
    body = {"error": True, "statusCode": 400, "message": [found]}
    return _response(400, jsonlib.dumps(body).encode(), {})
