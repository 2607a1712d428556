"""Redaction: route templates for paths the generated code did not name, and httpcore's header log lines."""

from __future__ import annotations

import logging

import httpx
import pytest

from hero_health_client import HeroClient, NotFoundError, _redact
from hero_health_client._redact import masked_request, path_template
from tests.conftest import Recorder


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/patients/943/merge", "/v1/patients/{id}/merge"),
        ("/v1/patients/smith", "/v1/patients/{id}"),  # a lower-case surname is an id, not a word
        ("/v1/messages/send", "/v1/messages/send"),
        ("/v1/invoicing/customers/default", "/v1/invoicing/customers/default"),
        ("/v1/appointments/12/book", "/v1/appointments/{id}/book"),  # documented, not in the spec
        ("/v1/appointments/jones/status", "/v1/appointments/{id}/status"),
        ("/v1/wibble/smith/jones", "/v1/{id}/{id}/{id}"),  # no template: only the spec's literal words survive
        ("/v1/patients?nhs_number=9434765919", "/v1/patients"),
    ],
)
def test_paths_become_route_templates(path: str, template: str) -> None:
    assert path_template(path) == template


async def test_escape_hatch_errors_and_logs_hold_no_surname(api_key: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(httpx.Response(404, json={"error": "not_found"}))
    async with HeroClient(api_key, "1", transport=recorder.transport, max_retries=0) as hero:
        with pytest.raises(NotFoundError) as raised:
            await hero.request("GET", "/v1/patients/smith")
    assert "smith" not in str(raised.value)
    assert "smith" not in caplog.text


def test_httpcore_header_lines_keep_no_header_values(api_key: str, caplog: pytest.LogCaptureFixture) -> None:
    HeroClient(api_key, "1")  # installs the filters
    caplog.set_level(logging.DEBUG)
    scope = _redact.SDK_REQUEST.set(True)  # as while HeroTransport sends (tests/transport/test_log_scope.py)
    line = (
        "receive_response_headers.complete return_value=(b'HTTP/1.1', 201, b'Created', [(b'Content-Type', "
        "b'application/json'), (b'Location', b'/v1/patients/9434765919'), (b'Set-Cookie', b'session=abc')])"
    )
    logging.getLogger("httpcore.http11").debug(line)
    logging.getLogger("httpcore.http2").debug(line)
    _redact.SDK_REQUEST.reset(scope)
    text = caplog.text
    assert "9434765919" not in text and "session=abc" not in text
    assert "status=201" in text and "Location: [redacted]" in text and "Content-Type: application/json" in text


def test_the_request_on_errors_is_a_masked_copy() -> None:
    request = httpx.Request("GET", "https://api.herohealth.net/v1/x", headers={"x-api-key": "sk_secret", "a": "b"})
    masked = masked_request(request)
    assert masked.headers["x-api-key"] == "[redacted]" and masked.headers["a"] == "b"
    assert request.headers["x-api-key"] == "sk_secret"
