"""OpenTelemetry spans and metrics, read back with the SDK's in-memory exporter and reader.

OpenTelemetry's global providers can be set once per process: this module sets them the first time it needs them
and clears the exporter before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hero_health_client import HeroClient, RateLimit, ServerError
from hero_health_client._redact import fingerprint
from hero_health_client.generated.api.messages import get_message_status, send_message
from hero_health_client.generated.models import MessageType, SendMessageRequest
from tests.conftest import Recorder
from tests.transport.test_transport import SENT, STATUS

PATIENT = "9434765919"
SMS = SendMessageRequest(patient_id=PATIENT, message_type=MessageType.SMS, message_string="Dear Ms Patient")
_STATE: dict[str, Any] = {}


@pytest.fixture
def otel() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    if not _STATE:
        exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        _STATE.update(exporter=exporter, reader=reader)
    _STATE["exporter"].clear()
    _STATE["reader"].get_metrics_data()  # drop what earlier tests recorded (cumulative: compare deltas instead)
    yield _STATE["exporter"], _STATE["reader"]


def metric_points(reader: InMemoryMetricReader, name: str, key_fingerprint: str) -> list[Any]:
    data = reader.get_metrics_data()
    points = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    points += [
                        p
                        for p in metric.data.data_points
                        if p.attributes.get("hero.api_key.fingerprint") == key_fingerprint
                    ]
    return points


def everything_recorded(spans: list[ReadableSpan], reader_points: list[Any]) -> str:
    text = " ".join(f"{s.name} {dict(s.attributes or {})} {s.status.description}" for s in spans)
    return text + " ".join(str(dict(p.attributes)) for p in reader_points)


async def test_a_retried_post_has_a_call_span_with_a_child_per_attempt(
    api_key: str, otel: tuple[InMemorySpanExporter, InMemoryMetricReader], no_sleep: list[float]
) -> None:
    exporter, reader = otel
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200, json=SENT))
    async with HeroClient(api_key, "practice-7", transport=recorder.transport, rate_limit=RateLimit(1000, 1)) as hero:
        await send_message.asyncio(client=hero, body=SMS)
    spans = exporter.get_finished_spans()
    call = [s for s in spans if s.kind is trace.SpanKind.INTERNAL]
    attempts = sorted((s for s in spans if s.kind is trace.SpanKind.CLIENT), key=lambda s: s.start_time or 0)
    assert [s.name for s in call] == ["POST /v1/messages/send"]
    assert [s.name for s in attempts] == ["POST /v1/messages/send"] * 2
    assert all(s.parent is not None and s.parent.span_id == call[0].context.span_id for s in attempts)
    first, second = (dict(s.attributes or {}) for s in attempts)
    base = {
        "http.request.method": "POST",
        "url.template": "/v1/messages/send",
        "server.address": "api.herohealth.net",
        "hero.api_key.fingerprint": fingerprint(api_key),
    }
    assert base.items() <= first.items() and base.items() <= second.items()
    assert first["http.response.status_code"] == 429 and first["error.type"] == "429"
    assert "http.request.resend_count" not in first and "hero.retry.reason" not in first
    assert second["http.response.status_code"] == 200 and "error.type" not in second
    assert second["http.request.resend_count"] == 1 and second["hero.retry.reason"] == "429"
    assert isinstance(second["hero.limiter.wait_s"], float)
    whole = dict(call[0].attributes or {})
    assert whole["http.response.status_code"] == 200 and whole["http.request.resend_count"] == 1
    assert "hero.limiter.wait_s" in whole

    durations = metric_points(reader, "http.client.request.duration", fingerprint(api_key))
    assert sorted(p.attributes["http.response.status_code"] for p in durations) == [200, 429]
    assert all(p.count == 1 for p in durations)
    limited = metric_points(reader, "hero.rate_limited", fingerprint(api_key))
    assert [p.value for p in limited] == [1]
    waits = metric_points(reader, "hero.limiter.wait", fingerprint(api_key))
    assert sum(p.count for p in waits) == 2

    recorded = everything_recorded(spans, durations + limited + waits)
    for secret in (api_key, PATIENT, "Dear Ms", "practice-7"):
        assert secret not in recorded


async def test_an_escape_hatch_call_names_only_the_route_template(
    api_key: str, otel: tuple[InMemorySpanExporter, InMemoryMetricReader]
) -> None:
    exporter, _ = otel
    recorder = Recorder(httpx.Response(200, json={}))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        await hero.request("GET", f"/v1/patients/{PATIENT}/merge", params={"nhs_number": PATIENT})
    spans = exporter.get_finished_spans()
    assert {s.name for s in spans} == {"GET /v1/patients/{id}/merge"}
    assert PATIENT not in everything_recorded(list(spans), [])


async def test_a_failed_call_marks_its_spans_as_errors(
    api_key: str, otel: tuple[InMemorySpanExporter, InMemoryMetricReader]
) -> None:
    exporter, _ = otel
    recorder = Recorder(httpx.Response(500, json={"error": "internal"}))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        with pytest.raises(ServerError):
            await send_message.asyncio(client=hero, body=SMS)
    spans = exporter.get_finished_spans()
    assert len(spans) == 2
    for span in spans:
        assert span.status.status_code is trace.StatusCode.ERROR
        assert (span.attributes or {})["error.type"] == "500"


async def test_a_connection_failure_names_its_class(
    api_key: str, otel: tuple[InMemorySpanExporter, InMemoryMetricReader], no_sleep: list[float]
) -> None:
    exporter, _ = otel
    recorder = Recorder(httpx.ConnectError("refused"), httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None) as hero:
        await get_message_status.asyncio("1", client=hero)
    attempts = sorted(
        (s for s in exporter.get_finished_spans() if s.kind is trace.SpanKind.CLIENT), key=lambda s: s.start_time or 0
    )
    assert [(s.attributes or {}).get("error.type") for s in attempts] == ["ConnectError", None]
    assert (attempts[1].attributes or {})["hero.retry.reason"] == "ConnectError"


async def test_the_limiter_reason_goes_on_the_attempt(
    api_key: str, otel: tuple[InMemorySpanExporter, InMemoryMetricReader]
) -> None:
    exporter, _ = otel

    class Permit:
        waited = 1.5
        reason = "window full"

        async def release(self) -> None:
            pass

    class Limiter:
        async def acquire(self) -> Permit:
            return Permit()

        async def pause(self, seconds: float) -> None:
            pass

    recorder = Recorder(httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limiter=Limiter()) as hero:
        await get_message_status.asyncio("1", client=hero)
    (attempt,) = [s for s in exporter.get_finished_spans() if s.kind is trace.SpanKind.CLIENT]
    assert (attempt.attributes or {})["hero.limiter.reason"] == "window full"
    assert (attempt.attributes or {})["hero.limiter.wait_s"] == 1.5


async def test_telemetry_false_records_nothing(
    api_key: str, otel: tuple[InMemorySpanExporter, InMemoryMetricReader]
) -> None:
    exporter, reader = otel
    recorder = Recorder(httpx.Response(200, json=STATUS))
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None, telemetry=False) as hero:
        await get_message_status.asyncio("1", client=hero)
    assert exporter.get_finished_spans() == ()
    assert metric_points(reader, "http.client.request.duration", fingerprint(api_key)) == []


def test_telemetry_must_be_a_bool_or_none(api_key: str) -> None:
    with pytest.raises(ValueError, match="telemetry must be None"):
        HeroClient(api_key, "1", telemetry="yes")  # type: ignore[arg-type]


def test_nothing_is_recorded_without_a_configured_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default proxy providers (nothing configured) and no-op ones turn telemetry off: no Call at all."""
    from hero_health_client.telemetry import Telemetry

    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.NoOpTracerProvider())
    monkeypatch.setattr(metrics, "get_meter_provider", lambda: metrics.NoOpMeterProvider())
    telemetry = Telemetry(version="0", server_address="h", server_port=None, key_fingerprint="f")
    assert telemetry.start("GET", "/v1/x") is None
