"""OpenTelemetry spans and metrics for Hero calls (extra ``[otel]``: only ``opentelemetry-api`` at run time).

Why our own and not ``opentelemetry-instrumentation-httpx``: that one names spans and attributes after the concrete
URL, which carries patient ids in the path and NHS numbers in the query. Ours use only the route template.

**When it is on.** Automatically, per call, when the application has configured an OpenTelemetry tracer provider
(spans) or meter provider (metrics), i.e. anything but the API's default proxy or a no-op provider;
``HeroClient(telemetry=False)`` turns it off. We never import OpenTelemetry ourselves until the application has:
a process that does not use it pays one dictionary look-up per call, and nothing at import.

**Spans.** One span per call (kind INTERNAL), named ``{METHOD} {route template}`` (``POST /v1/messages/send``),
wrapping the rate limiter, every attempt and every backoff; one child span per attempt (kind CLIENT, same name), as
the HTTP semantic conventions want one span per HTTP request sent.

- both: ``http.request.method``, ``url.template``, ``server.address``, ``server.port``, ``hero.api_key.fingerprint``;
  ``http.response.status_code`` when an answer came; ``error.type`` (the status code, e.g. ``"503"``, or the
  exception's class name) when it failed, with the span status ERROR.
- attempt: ``hero.limiter.wait_s`` (seconds this attempt waited for the rate limiter), ``hero.limiter.reason``
  (why it waited, when the limiter says: ``"window full"``, ``"paused after a 429"``), and on a retry
  ``http.request.resend_count`` (1 for the first retry) and ``hero.retry.reason`` (what the previous attempt got:
  ``"429"``, ``"503"``, ``"ConnectError"``, ...).
- call: ``hero.limiter.wait_s`` (summed over its attempts) and ``http.request.resend_count`` (retries made).

Never a concrete path, a query string, a body, a header, an id or the key (only its fingerprint).

**Metrics** (meter ``hero_health_client``), each with ``hero.api_key.fingerprint``:

- ``http.client.request.duration`` (histogram, s): one per attempt; ``http.request.method``, ``url.template``,
  ``server.address``, ``http.response.status_code`` or ``error.type``.
- ``hero.limiter.wait`` (histogram, s): one per limiter grant; ``http.request.method``, ``url.template``.
- ``hero.rate_limited`` (counter): 429 answers; ``http.request.method``, ``url.template``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

# Semantic-convention advisory buckets for HTTP durations (seconds), also used for limiter waits (up to a minute).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
WAIT_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
_UNCONFIGURED = frozenset({"ProxyTracerProvider", "NoOpTracerProvider", "_ProxyMeterProvider", "NoOpMeterProvider"})


def available() -> bool:
    """Whether opentelemetry-api is installed (``HeroClient(telemetry=True)`` needs it)."""
    import importlib.util

    return importlib.util.find_spec("opentelemetry") is not None


def _configured(module_name: str, getter: str) -> Any:
    """The application's configured provider from ``opentelemetry.<module>``, or None: not imported by anyone, or
    still the API's default."""
    module = sys.modules.get(module_name)
    if module is None:
        return None
    provider = getattr(module, getter)()
    return None if type(provider).__name__ in _UNCONFIGURED else provider


class Telemetry:
    """Per client: the constant attributes, and the tracer and instruments of the current providers."""

    def __init__(self, *, version: str, server_address: str, server_port: int | None, key_fingerprint: str) -> None:
        self._version = version
        self._base: dict[str, Any] = {"server.address": server_address, "hero.api_key.fingerprint": key_fingerprint}
        if server_port is not None:
            self._base["server.port"] = server_port
        self._tracer_for: tuple[Any, Any] = (None, None)  # (provider, tracer)
        self._meters_for: tuple[Any, Any] = (None, None)  # (provider, _Instruments)

    def call(self, method: str, template: str) -> Call | NoCall:
        """The telemetry object of one request: a recording ``Call``, or ``NO_CALL`` when nothing is configured."""
        return self.start(method, template) or NO_CALL

    def start(self, method: str, template: str) -> Call | None:
        """A Call for one request, or None (cheaply) when neither tracing nor metrics is configured."""
        tracer_provider = _configured("opentelemetry.trace", "get_tracer_provider")
        meter_provider = _configured("opentelemetry.metrics", "get_meter_provider")
        if tracer_provider is None and meter_provider is None:
            return None
        tracer = None
        if tracer_provider is not None:
            if self._tracer_for[0] is not tracer_provider:
                self._tracer_for = (tracer_provider, tracer_provider.get_tracer("hero_health_client", self._version))
            tracer = self._tracer_for[1]
        instruments = None
        if meter_provider is not None:
            if self._meters_for[0] is not meter_provider:
                self._meters_for = (
                    meter_provider,
                    _Instruments(meter_provider.get_meter("hero_health_client", self._version)),
                )
            instruments = self._meters_for[1]
        return Call(tracer, instruments, method, template, self._base)


class _Instruments:
    def __init__(self, meter: Any) -> None:
        self.duration = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests (one per attempt).",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.limiter_wait = meter.create_histogram(
            "hero.limiter.wait",
            unit="s",
            description="Time a request waited for the API key's rate limiter.",
            explicit_bucket_boundaries_advisory=WAIT_BUCKETS,
        )
        self.rate_limited = meter.create_counter(
            "hero.rate_limited", unit="{response}", description="429 answers from Hero."
        )


class Call:
    """The telemetry of one call: its span, the current attempt's span, and the metric records."""

    def __init__(
        self, tracer: Any, instruments: _Instruments | None, method: str, template: str, base: dict[str, Any]
    ) -> None:
        from opentelemetry import trace

        self._trace = trace
        self._instruments = instruments
        self._tracer = tracer
        self._name = f"{method} {template}"
        self._attributes = {**base, "http.request.method": method, "url.template": template}
        self._metric_attributes = {k: v for k, v in self._attributes.items() if k != "server.port"}
        self._short_attributes = {
            k: self._attributes[k] for k in ("hero.api_key.fingerprint", "http.request.method", "url.template")
        }
        self._span = (
            tracer.start_span(self._name, kind=trace.SpanKind.INTERNAL, attributes=self._attributes)
            if tracer is not None
            else None
        )
        self._attempt_span: Any = None
        self._attempt_started = 0.0
        self._waited = 0.0
        self._resends = 0
        self._pending_wait: tuple[float, str | None] = (0.0, None)  # the limiter's grant for the next attempt

    def limiter_granted(self, waited: float, reason: str | None) -> None:
        """The limiter let this attempt go after ``waited`` seconds (``reason``: why it had to wait, if known)."""
        self._waited += waited
        if self._instruments is not None:
            self._instruments.limiter_wait.record(waited, self._short_attributes)
        self._pending_wait = (waited, reason)

    def attempt_started(self, attempt: int, retry_reason: str | None) -> None:
        """An attempt is about to be sent (after the limiter); ``attempt`` 0 is the first."""
        self._attempt_started = time.monotonic()
        self._resends = attempt
        if self._tracer is None:
            return
        attributes = dict(self._attributes)
        waited, reason = self._pending_wait
        attributes["hero.limiter.wait_s"] = waited
        if reason:
            attributes["hero.limiter.reason"] = reason
        if attempt:
            attributes["http.request.resend_count"] = attempt
            if retry_reason:
                attributes["hero.retry.reason"] = retry_reason
        context = self._trace.set_span_in_context(self._span) if self._span is not None else None
        self._attempt_span = self._tracer.start_span(
            self._name, context=context, kind=self._trace.SpanKind.CLIENT, attributes=attributes
        )

    def attempt_ended(self, status: int | None, error_type: str | None) -> None:
        """The attempt got an answer with ``status``, or failed with ``error_type`` (an exception's class name)."""
        self._pending_wait = (0.0, None)
        if error_type is None and status is not None and status >= 400:
            error_type = str(status)
        if self._instruments is not None:
            attributes = dict(self._metric_attributes)
            if status is not None:
                attributes["http.response.status_code"] = status
            if error_type is not None:
                attributes["error.type"] = error_type
            self._instruments.duration.record(time.monotonic() - self._attempt_started, attributes)
            if status == 429:
                self._instruments.rate_limited.add(1, self._short_attributes)
        span = self._attempt_span
        if span is None:
            return
        self._attempt_span = None
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if error_type is not None:
            span.set_attribute("error.type", error_type)
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))
        span.end()

    def end(self, status: int | None, error: BaseException | None) -> None:
        """The call is over: answered with ``status``, or raised ``error``."""
        if self._attempt_span is not None:  # cancelled mid-attempt
            self.attempt_ended(None, type(error).__name__ if error is not None else "cancelled")
        span = self._span
        if span is None:
            return
        span.set_attribute("hero.limiter.wait_s", self._waited)
        if self._resends:
            span.set_attribute("http.request.resend_count", self._resends)
        error_status = getattr(error, "status_code", None)
        if isinstance(error_status, int):
            status = error_status
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if error is not None:
            span.set_attribute(
                "error.type", str(status) if status is not None and status >= 400 else type(error).__name__
            )
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))
        span.end()


class NoCall:
    """The telemetry of a call that records nothing (telemetry off, or no provider configured).

    It has ``Call``'s methods, each doing nothing, so a send loop calls them unconditionally: no ``if telemetry``
    branch in any loop, and the cost of an unrecorded call is a few empty method calls.
    """

    __slots__ = ()

    def limiter_granted(self, waited: float, reason: str | None) -> None:
        pass

    def attempt_started(self, attempt: int, retry_reason: str | None) -> None:
        pass

    def attempt_ended(self, status: int | None, error_type: str | None) -> None:
        pass

    def end(self, status: int | None, error: BaseException | None) -> None:
        pass


NO_CALL = NoCall()


class TelemetryOff:
    """``HeroClient(telemetry=False)``: like ``Telemetry``, but every call gets ``NO_CALL``."""

    __slots__ = ()

    def call(self, method: str, template: str) -> NoCall:
        return NO_CALL
