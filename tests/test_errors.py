"""Mapping error answers to typed errors, and keeping patient data out of their text."""

from __future__ import annotations

import httpx
import pytest

from hero_health_client import (
    AuthenticationError,
    GDPRRestrictionError,
    HeroAPIError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from hero_health_client.errors import error_for_response

ROUTE = "POST /v1/messages/send"


def answer(status: int, body: object = None, content: bytes | None = None) -> httpx.Response:
    if content is not None:
        return httpx.Response(status, content=content)
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, HeroAPIError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_type(status: int, error_type: type[HeroAPIError]) -> None:
    error = error_for_response(answer(status, {"error": "code_x", "message": "text"}), route=ROUTE)
    assert type(error) is error_type
    assert error.status_code == status and error.error == "code_x" and error.message == "text"
    assert str(error) == f"HTTP {status} code_x from {ROUTE}"


def test_validation_errors_name_the_fields() -> None:
    body = {
        "error": True,
        "statusCode": 400,
        "message": [
            {"code": "invalid_type", "expected": "string", "path": ["patient_id"]},
            {"code": "too_small", "expected": "non-empty string", "path": ["recipients", 0, "nhs_number"]},
        ],
    }
    error = error_for_response(answer(400, body), route=ROUTE)
    assert isinstance(error, ValidationError)
    assert [str(f) for f in error.field_errors] == [
        "patient_id: expected string (invalid_type)",
        "recipients.0.nhs_number: expected non-empty string (too_small)",
    ]
    assert "patient_id: expected string" in str(error)
    assert error.field_errors[1].path == ("recipients", 0, "nhs_number")


def test_422_is_a_validation_error_too() -> None:
    assert isinstance(error_for_response(answer(422, {}), route=ROUTE), ValidationError)


def test_gdpr_restriction() -> None:
    body = {
        "error": "gdpr_restriction",
        "message": "Patient has restricted data sharing",
        "restrictions": ["sms", "email"],
    }
    error = error_for_response(answer(403, body), route=ROUTE)
    assert isinstance(error, GDPRRestrictionError) and isinstance(error, PermissionDeniedError)
    assert error.restrictions == ("sms", "email")
    assert "patient restricts sms, email" in str(error)


def test_rate_limit_error_carries_retry_after() -> None:
    error = error_for_response(answer(429, {}), route=ROUTE, retry_after=12.0)
    assert isinstance(error, RateLimitError) and error.retry_after == 12.0
    assert "retry after 12s" in str(error)


@pytest.mark.parametrize("content", [b"", b"<html>Bad gateway</html>", b"[1, 2]", b'"text"'])
def test_bodies_that_are_not_json_objects_still_map(content: bytes) -> None:
    error = error_for_response(answer(502, content=content), route=ROUTE)
    assert isinstance(error, ServerError) and error.error is None and error.message is None


def test_free_text_stays_out_of_the_message() -> None:
    body = {"error": "not_found", "message": "No patient Jane Doe with NHS number 943 476 5919"}
    error = error_for_response(answer(404, body), route="GET /v1/patients/{id}")
    assert "Jane" not in str(error) and "943" not in str(error) and "Jane" not in repr(error)
    assert error.message == body["message"]
