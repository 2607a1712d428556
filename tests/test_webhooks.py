"""Webhook signatures: HMAC-SHA256 over "{timestamp}.{body}", constant-time, replay window, event models."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from hero_health_client import WebhookVerificationError, verify_webhook
from hero_health_client.generated.models import AppointmentConfirmedEvent, PrescriptionIssuedEvent

KEY = "whsec_test_signing_key"
NOW = 1_790_000_000
BODY = json.dumps(
    {"object": "Appointment", "id": "123", "practice_group_id": "77", "event": "appointment.confirmed"}
).encode()


def sign(timestamp: str, body: bytes, key: str = KEY) -> str:
    return hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def headers(timestamp: str, body: bytes = BODY, **extra: str) -> dict[str, str]:
    return {"X-Herohealth-Timestamp": timestamp, "X-Herohealth-Signature": sign(timestamp, body), **extra}


def test_a_valid_delivery_parses_into_its_event_model() -> None:
    event = verify_webhook(KEY, headers(str(NOW)), BODY, now=NOW + 10)
    assert isinstance(event, AppointmentConfirmedEvent)
    assert (event.id, event.practice_group_id, event.event) == ("123", "77", "appointment.confirmed")


def test_timestamp_and_signature_can_be_passed_directly() -> None:
    body = json.dumps(
        {"object": "Prescription", "id": "9", "practice_group_id": "77", "event": "prescription.issued"}
    ).encode()
    event = verify_webhook(KEY, NOW, body.decode(), sign(str(NOW), body), now=NOW)
    assert isinstance(event, PrescriptionIssuedEvent)


def test_header_names_are_case_insensitive_and_base64_is_accepted() -> None:
    digest = hmac.new(KEY.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).digest()
    delivered = {"x-herohealth-timestamp": str(NOW), "X-HEROHEALTH-SIGNATURE": base64.b64encode(digest).decode()}
    assert isinstance(verify_webhook(KEY, delivered, BODY, now=NOW), AppointmentConfirmedEvent)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b"123", b"124")),  # body changed
        lambda h, b: ({**h, "X-Herohealth-Signature": sign(str(NOW), b, key="other")}, b),  # wrong key
        lambda h, b: ({**h, "X-Herohealth-Timestamp": str(NOW + 1)}, b),  # timestamp changed
        lambda h, b: ({**h, "X-Herohealth-Signature": ""}, b),  # empty signature
    ],
)
def test_tampered_deliveries_are_rejected(tamper: object) -> None:
    delivered, body = tamper(headers(str(NOW)), BODY)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError):
        verify_webhook(KEY, delivered, body, now=NOW)


def test_stale_and_future_timestamps_are_rejected() -> None:
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(KEY, headers(str(NOW)), BODY, now=NOW + 301)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(KEY, headers(str(NOW)), BODY, now=NOW - 301)
    assert verify_webhook(KEY, headers(str(NOW)), BODY, tolerance=600, now=NOW + 500)


def test_millisecond_and_iso_timestamps() -> None:
    millis = str(NOW * 1000)
    assert verify_webhook(KEY, headers(millis), BODY, now=NOW)
    iso = "2026-09-21T12:00:00Z"
    assert verify_webhook(KEY, headers(iso), BODY, now=1_789_992_000)


def test_missing_headers() -> None:
    with pytest.raises(WebhookVerificationError, match="Timestamp"):
        verify_webhook(KEY, {"X-Herohealth-Signature": "ab"}, BODY, now=NOW)
    with pytest.raises(WebhookVerificationError, match="Signature"):
        verify_webhook(KEY, {"X-Herohealth-Timestamp": str(NOW)}, BODY, now=NOW)


def test_unknown_events_come_back_as_plain_json() -> None:
    body = json.dumps({"object": "Message", "id": "5", "practice_group_id": "77", "event": "write-to-record.failed"})
    event = verify_webhook(KEY, headers(str(NOW), body.encode()), body.encode(), now=NOW)
    assert event == json.loads(body)


def test_errors_never_echo_the_key_or_body() -> None:
    with pytest.raises(WebhookVerificationError) as raised:
        verify_webhook(KEY, headers(str(NOW)), BODY + b" ", now=NOW)
    assert KEY not in str(raised.value) and "123" not in str(raised.value)


def test_an_empty_signing_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="signing_key"):
        verify_webhook("", headers(str(NOW)), BODY, now=NOW)


@pytest.mark.parametrize("timestamp", ["nan", "NaN", "inf", "-inf", "1e400", "2026-09-21T12:00:00", "2026-09-21"])
def test_timestamps_that_cannot_be_compared_with_now_are_refused(timestamp: str) -> None:
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(KEY, headers(timestamp), BODY, now=NOW)


def test_a_nan_passed_directly_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(KEY, float("nan"), BODY, sign("nan", BODY), now=NOW)


@pytest.mark.parametrize("tolerance", [float("nan"), float("inf"), -1])
def test_tolerance_must_be_a_finite_number(tolerance: float) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        verify_webhook(KEY, headers(str(NOW)), BODY, tolerance=tolerance, now=NOW)
