"""Verifying Hero's webhook signatures and parsing the event they carry.

Hero signs ``"{timestamp}.{raw body}"`` with HMAC-SHA256 keyed by the webhook's ``signing_key`` and sends the
timestamp and signature in ``X-Herohealth-Timestamp`` and ``X-Herohealth-Signature``. The body must be the bytes
as received: re-serialised JSON would not match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._arguments import check_seconds
from .generated.models.appointment_cancelled_event import AppointmentCancelledEvent
from .generated.models.appointment_confirmed_event import AppointmentConfirmedEvent
from .generated.models.appointment_rescheduled_event import AppointmentRescheduledEvent
from .generated.models.form_submission_created_event import FormSubmissionCreatedEvent
from .generated.models.patient_medical_record_updated_event import PatientMedicalRecordUpdatedEvent
from .generated.models.prescription_issued_event import PrescriptionIssuedEvent

TIMESTAMP_HEADER = "x-herohealth-timestamp"
SIGNATURE_HEADER = "x-herohealth-signature"

WebhookEvent = (
    AppointmentConfirmedEvent
    | AppointmentRescheduledEvent
    | AppointmentCancelledEvent
    | FormSubmissionCreatedEvent
    | PrescriptionIssuedEvent
    | PatientMedicalRecordUpdatedEvent
)

EVENT_MODELS: dict[str, Any] = {
    "appointment.confirmed": AppointmentConfirmedEvent,
    "appointment.rescheduled": AppointmentRescheduledEvent,
    "appointment.cancelled": AppointmentCancelledEvent,
    "form-submission.created": FormSubmissionCreatedEvent,
    "prescription.issued": PrescriptionIssuedEvent,
    "patient.medical-record-updated": PatientMedicalRecordUpdatedEvent,
}


class WebhookVerificationError(ValueError):
    """The delivery is not provably from Hero, or is too old; answer it with 400 and do not act on it."""


def _timestamp_seconds(raw: str) -> float:
    """Hero's docs do not fix the timestamp format: accept Unix seconds, Unix milliseconds or ISO 8601 with an offset.

    Anything that cannot be compared with the current time is refused: ``nan`` and ``inf`` (``nan`` passes every
    comparison test by failing it), and an ISO time without an offset (whose meaning depends on this host's zone).
    """
    try:
        value = float(raw)
    except ValueError:
        return _iso_seconds(raw)
    if not math.isfinite(value):
        raise WebhookVerificationError("webhook timestamp is not a finite number")
    return value / 1000 if value > 1e11 else value


def _iso_seconds(raw: str) -> float:
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise WebhookVerificationError("webhook timestamp is neither Unix time nor ISO 8601") from exc
    if parsed.utcoffset() is None:
        raise WebhookVerificationError("webhook timestamp is an ISO 8601 time without a UTC offset")
    return parsed.timestamp()


def _expected_signatures(signing_key: str | bytes, signed: bytes) -> list[bytes]:
    key = signing_key.encode() if isinstance(signing_key, str) else signing_key
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return [digest.hex().encode(), base64.b64encode(digest)]


def _matches(signature: str, expected: list[bytes]) -> bool:
    candidate = signature.strip()
    if "=" in candidate[:8] and candidate.split("=", 1)[0].lower() in ("sha256", "v1"):
        candidate = candidate.split("=", 1)[1]
    given = candidate.encode()
    lowered = given.lower()
    # Compare against every accepted encoding, each in constant time, without stopping early.
    results = [hmac.compare_digest(lowered, expected[0]), hmac.compare_digest(given, expected[1])]
    return any(results)


def verify_webhook(
    signing_key: str | bytes,
    headers_or_timestamp: Mapping[str, str] | str | int | float,
    raw_body: bytes | str,
    signature: str | None = None,
    tolerance: float = 300,
    *,
    now: float | None = None,
) -> WebhookEvent | dict[str, Any]:
    """Check a delivery's signature and age, then parse its event.

    Pass the request's headers (any mapping; names are matched without regard to case) or the timestamp and
    ``signature`` yourself. Raises WebhookVerificationError for a bad or missing signature, or a timestamp more
    than ``tolerance`` seconds away from now (a replay). Returns the generated event model for known event types,
    and the decoded JSON object for event types this SDK does not know yet.
    """
    if not signing_key:
        raise ValueError("signing_key must not be empty")
    check_seconds("tolerance", tolerance, zero_ok=True)
    if now is not None and (isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now)):
        raise ValueError("now must be a finite Unix time or None")
    if isinstance(headers_or_timestamp, Mapping):
        lowered = {str(k).lower(): v for k, v in headers_or_timestamp.items()}
        timestamp = lowered.get(TIMESTAMP_HEADER)
        signature = signature if signature is not None else lowered.get(SIGNATURE_HEADER)
        if timestamp is None:
            raise WebhookVerificationError("missing X-Herohealth-Timestamp header")
    else:
        timestamp = str(headers_or_timestamp)
    if not signature:
        raise WebhookVerificationError("missing X-Herohealth-Signature header")

    sent_at = _timestamp_seconds(str(timestamp))
    age = (time.time() if now is None else now) - sent_at
    if not abs(age) <= tolerance:  # written so that a NaN, had one got here, fails too
        raise WebhookVerificationError(f"webhook timestamp is {age:.0f}s from now, beyond the {tolerance:g}s tolerance")

    body = raw_body.encode() if isinstance(raw_body, str) else raw_body
    signed = str(timestamp).encode() + b"." + body
    if not _matches(signature, _expected_signatures(signing_key, signed)):
        raise WebhookVerificationError("webhook signature does not match the signing key")

    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise WebhookVerificationError("webhook body is not JSON") from exc
    if not isinstance(payload, dict):
        raise WebhookVerificationError("webhook body is not a JSON object")
    model = EVENT_MODELS.get(str(payload.get("event")))
    if model is None:
        return payload
    try:
        event: WebhookEvent = model.from_dict(payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise WebhookVerificationError(f"{payload.get('event')} payload lacks a required field: {exc!r}") from exc
    return event
