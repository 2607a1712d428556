"""Prism's ``sl-violations`` header becomes the ``field_errors`` of a ``ValidationError``.

Against the local mock every 400 body is the placeholder generated from the spec's example
(``(body): expected string (string)``); Prism's real reason is in the header, a JSON array of
``{location, severity, code, message}``. The headers below were captured from the Prism this repo pins
(``node_modules/.bin/prism``) for requests that break ``openapi.yaml``. A header that cannot be read must not turn
a 400 into a crash: the error falls back to what the body says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hero_health_client import FieldError, HeroClient, HeroError, NotFoundError, ValidationError
from hero_health_client.generated.api.messages import send_message
from hero_health_client.generated.models import MessageType, SendMessageRequest
from scripts import mock_server
from tests.conftest import Recorder

PRISM_BODY = {"error": True, "statusCode": 0, "message": [{"code": "string", "expected": "string", "path": [None]}]}
HERO_BODY = {
    "error": "validation_error",
    "statusCode": 400,
    "message": [{"code": "invalid_string", "expected": "digits", "path": ["patient_id"]}],
}

PATTERN = [
    {
        "location": ["request", "body", "patient_id"],
        "severity": "Error",
        "code": "pattern",
        "message": 'Request body property patient_id must match pattern "^\\d+$"',
    }
]
ENUM_AND_MIN_LENGTH = [
    {
        "location": ["request", "body", "message_type"],
        "severity": "Error",
        "code": "enum",
        "message": "Request body property message_type must be equal to one of the allowed values: hero, sms, "
        "email, nhs_app",
    },
    {
        "location": ["request", "body", "message_string"],
        "severity": "Error",
        "code": "minLength",
        "message": "Request body property message_string must NOT have fewer than 1 characters",
    },
]
QUERY_TYPE = [
    {
        "location": ["request", "query", "page_index"],
        "severity": "Error",
        "code": "type",
        "message": "Request query parameter page_index must be integer",
    }
]
REQUIRED = [
    {
        "location": ["request", "body"],
        "severity": "Error",
        "code": "required",
        "message": "Request body must have required property 'patient_id'",
    }
]
NESTED = [
    {
        "location": ["request", "body", "invoice_items_attributes", "0", "quantity"],
        "severity": "Error",
        "code": "type",
        "message": "Request body property invoice_items_attributes/0/quantity must be integer",
    }
]


def answer(status: int, violations: str | None, body: Any = PRISM_BODY) -> httpx.Response:
    headers = {"sl-violations": violations} if violations is not None else {}
    return httpx.Response(status, json=body, headers=headers)


async def raised_by(api_key: str, response: httpx.Response) -> HeroError:
    recorder = Recorder(response)
    async with HeroClient(api_key, "1", transport=recorder.transport, rate_limit=None, max_retries=2) as hero:
        with pytest.raises(HeroError) as caught:
            await hero.request("POST", "/v1/messages/send", json={"patient_id": "abc"})
    assert len(recorder.requests) == 1
    return caught.value


def paths(errors: tuple[FieldError, ...]) -> list[tuple[str | int, ...]]:
    return [tuple(fe.path) for fe in errors]


@pytest.mark.parametrize("status", [400, 422])
@pytest.mark.parametrize(
    ("violations", "fields", "codes"),
    [
        (PATTERN, ["patient_id"], ["pattern"]),
        (ENUM_AND_MIN_LENGTH, ["message_type", "message_string"], ["enum", "minLength"]),
        (QUERY_TYPE, ["page_index"], ["type"]),
    ],
    ids=["pattern", "two-violations", "query-parameter"],
)
async def test_violations_become_field_errors_naming_the_field(
    status: int, violations: list[dict[str, Any]], fields: list[str], codes: list[str], api_key: str
) -> None:
    exc = await raised_by(api_key, answer(status, json.dumps(violations)))
    assert isinstance(exc, ValidationError)
    from_header = [fe for fe in exc.field_errors if fe.path and fe.path[-1] in fields]
    assert [fe.path[-1] for fe in from_header] == fields
    assert [fe.code for fe in from_header] == codes
    for fe, violation in zip(from_header, violations, strict=True):
        assert all(isinstance(part, str | int) for part in fe.path)
        # The location after "request" (the body's own path may drop "body", as Hero's 400 bodies do).
        after_request = tuple(violation["location"][1:])
        assert tuple(fe.path) in (after_request, after_request[1:]), fe.path
        assert isinstance(fe, FieldError)
    text = str(exc)
    for field in fields:
        assert field in text


async def test_the_placeholder_body_no_longer_hides_the_reason(api_key: str) -> None:
    """The issue: every mock 400 read ``(body): expected string (string)``; the header's entries now lead."""
    exc = await raised_by(api_key, answer(400, json.dumps(PATTERN)))
    assert isinstance(exc, ValidationError)
    assert "patient_id" in str(exc)
    assert exc.field_errors[0].path[-1] == "patient_id"
    assert "expected string (string)" not in str(exc)  # the placeholder is not a reason


async def test_a_nested_location_keeps_every_part(api_key: str) -> None:
    exc = await raised_by(api_key, answer(400, json.dumps(NESTED)))
    assert isinstance(exc, ValidationError)
    nested = [fe for fe in exc.field_errors if fe.path and fe.path[-1] == "quantity"]
    assert len(nested) == 1
    assert [str(p) for p in nested[0].path[-3:]] == ["invoice_items_attributes", "0", "quantity"]


async def test_a_missing_required_field_is_named(api_key: str) -> None:
    """Prism locates ``required`` at the object and names the property only in its message."""
    exc = await raised_by(api_key, answer(400, json.dumps(REQUIRED)))
    assert isinstance(exc, ValidationError)
    assert any(fe.code == "required" for fe in exc.field_errors)
    assert "patient_id" in str(exc)


async def test_the_api_key_and_values_stay_out_of_the_text(api_key: str) -> None:
    exc = await raised_by(api_key, answer(400, json.dumps(PATTERN)))
    assert api_key not in str(exc) and api_key not in repr(exc)


def _truncated() -> str:
    """What Prism sends when the JSON is longer than ~8 KiB: a prefix and the JSON cut mid-entry."""
    many = json.dumps(PATTERN * 200)
    return f"Too many violations! {many[: 8 * 1024 - 100]}"


UNREADABLE: dict[str, str] = {
    "not-json": "request body is wrong",
    "empty": "",
    "json-null": "null",
    "json-string": json.dumps("patient_id"),
    "empty-array": "[]",
    "array-of-scalars": "[1, 2, 3]",
    "unclosed": '[{"location": ["request", "body", "patient_id"], "code": ',
}
ODD_BUT_PARSEABLE: dict[str, str] = {
    "location-not-a-list": json.dumps([{"location": "request.body.patient_id", "code": "pattern"}]),
    "entries-without-location": json.dumps([{"severity": "Error", "code": "pattern"}]),
    "json-object": json.dumps(PATTERN[0]),
    "truncated-by-prism": _truncated(),
    "odd-location-parts": json.dumps([{"location": [None, {}, 3, "patient_id"], "code": 5, "message": None}]),
    "extra-keys": json.dumps([PATTERN[0] | {"schema": {"type": "string"}, "path": "x"}]),
    "non-ascii": json.dumps([PATTERN[0] | {"message": "d\u00e9j\u00e0 vu \u2603"}]),
}


@pytest.mark.parametrize("header", list(UNREADABLE.values()), ids=list(UNREADABLE))
async def test_an_unreadable_header_falls_back_to_the_body(header: str, api_key: str) -> None:
    exc = await raised_by(api_key, answer(400, header, body=HERO_BODY))
    assert isinstance(exc, ValidationError)
    assert paths(exc.field_errors) == [("patient_id",)]
    assert exc.field_errors[0].code == "invalid_string"


@pytest.mark.parametrize("header", list(ODD_BUT_PARSEABLE.values()), ids=list(ODD_BUT_PARSEABLE))
async def test_an_odd_header_does_not_crash(header: str, api_key: str) -> None:
    exc = await raised_by(api_key, answer(400, header, body=HERO_BODY))
    assert isinstance(exc, ValidationError)
    for fe in exc.field_errors:
        assert isinstance(fe, FieldError)
        assert all(isinstance(part, str | int) for part in fe.path)
        assert fe.expected is None or isinstance(fe.expected, str)
        assert fe.code is None or isinstance(fe.code, str)
    str(exc)  # the text builds


async def test_without_the_header_the_body_is_used_as_before(api_key: str) -> None:
    exc = await raised_by(api_key, answer(400, None, body=HERO_BODY))
    assert isinstance(exc, ValidationError)
    assert paths(exc.field_errors) == [("patient_id",)]


async def test_a_header_on_another_4xx_does_not_change_its_class(api_key: str) -> None:
    exc = await raised_by(api_key, answer(404, json.dumps(PATTERN), body={"error": "not_found"}))
    assert isinstance(exc, NotFoundError)


# --- the development loop itself, against the Prism this repo pins ---


@pytest.fixture(scope="module")
def prism() -> Iterator[str]:
    if not mock_server.prism_installed():
        pytest.skip(f"Prism is not installed ({mock_server.PRISM_BIN}): run `make node`")
    with mock_server.prism_server(dynamic=False, reuse=False) as url:
        yield url


@pytest.mark.contract
async def test_prism_rejection_names_the_field(prism: str, api_key: str) -> None:
    """A value newer than the spec, sent on purpose as a pseudo-member, is refused by the mock: the error says where."""
    body = SendMessageRequest(patient_id="943", message_type=MessageType("whatsapp"), message_string="hi")
    async with HeroClient(api_key, "1", base_url=prism, rate_limit=None, max_retries=0) as hero:
        with pytest.raises(ValidationError) as caught:
            await send_message.asyncio(client=hero, body=body)
        with pytest.raises(ValidationError) as raw:
            await hero.request("POST", "/v1/messages/send", json={"patient_id": "abc", "message_type": "sms"})
    assert [fe.path[-1] for fe in caught.value.field_errors if fe.path] == ["message_type"]
    assert "message_type" in str(caught.value)
    named = {fe.path[-1] for fe in raw.value.field_errors if fe.path}
    assert "patient_id" in named
    assert "patient_id" in str(raw.value) and "message_string" in str(raw.value)  # the latter: a missing field
