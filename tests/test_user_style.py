"""Code written the way a user of the SDK writes it, type-checked with ``mypy --strict`` in CI (``make typecheck``).

No ``cast``, no ``type: ignore``, one import of the SDK plus ``hero_health_client.types``: if the public surface
stops type-checking for users, this file fails before they do.
"""

from __future__ import annotations

import datetime
import json

import httpx

from hero_health_client import HeroClient, HeroError, RequestValidationError
from hero_health_client.types import MessageType, SendMessageResponse, Unset


def fake_hero(sent: list[dict[str, object]]) -> httpx.MockTransport:
    """Answers the two operations the reminder job uses, and records what was sent."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/messages/send":
            body = json.loads(request.content)
            sent.append(body)
            return httpx.Response(
                200,
                json={
                    "message_id": str(len(sent)),
                    "content": body["message_string"],
                    "created_at": "2026-10-25T09:00:00Z",
                    "write_to_record": body.get("write_to_record", False),
                },
            )
        return httpx.Response(
            200,
            json={
                "id": "17",
                "practitioner_id": "3",
                "location_id": "4",
                "appointment_type_id": "5",
                "start_time": "2026-10-25T01:30:00Z",
            },
        )

    return httpx.MockTransport(answer)


async def remind(hero: HeroClient, appointment_id: str, patient_id: str) -> SendMessageResponse:
    appointment = await hero.booking.get_appointment(appointment_id)
    when = appointment.start_time
    text = "your appointment" if isinstance(when, Unset) or when is None else f"your appointment at {when:%H:%M}"
    return await hero.messages.send_message(
        patient_id=patient_id,
        message_type="sms",
        message_string=f"Reminder: {text}.",
        write_to_record=True,
        send_at=datetime.datetime(2026, 10, 24, 18, 0, tzinfo=datetime.UTC),
    )


async def test_a_reminder_job_written_against_the_public_surface() -> None:
    sent: list[dict[str, object]] = []
    async with HeroClient("test-key", "1", transport=fake_hero(sent), rate_limit=None) as hero:
        reply = await remind(hero, "17", "943")
        detailed = await hero.messages.send_message.raw(
            patient_id="943", message_type=MessageType.EMAIL, message_string="Second channel"
        )
        try:
            await hero.messages.send_message(patient_id="not a number", message_type="sms", message_string="x")
        except RequestValidationError as refused:
            field = refused.field
        except HeroError:
            field = "another error"
    assert reply.message_id == "1" and reply.content.startswith("Reminder")
    assert detailed.status_code == 200 and detailed.parsed is not None and detailed.parsed.message_id == "2"
    assert field == "SendMessageRequest.patient_id"
    assert sent[0]["send_at"] == "2026-10-24T18:00:00Z" and sent[0]["write_to_record"] is True
    assert len(sent) == 2
