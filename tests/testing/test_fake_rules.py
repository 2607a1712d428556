"""FakeHero refuses what Hero refuses (400 naming the field, 429 with Retry-After), injects faults, and records
what arrived; the client's policy meets each of them as it would meet Hero."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hero_health_client import (
    APIConnectionError,
    APITimeoutError,
    HeroClient,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    ValidationError,
)
from hero_health_client.testing import FakeHero
from hero_health_client.types import ValidationErrorResponse

SENT = {"patient_id": "943", "message_type": "sms", "message_string": "Reminder: 09:30 tomorrow"}


class Clock:
    """A clock the test moves by hand, so window arithmetic is exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- 400 ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({**SENT, "patient_id": "P-943"}, ("patient_id",), "invalid_string"),
        ({**SENT, "message_type": "pigeon"}, ("message_type",), "invalid_enum_value"),
        ({**SENT, "message_string": ""}, ("message_string",), "too_small"),
        ({**SENT, "write_to_record": "yes"}, ("write_to_record",), "invalid_type"),
        ({k: v for k, v in SENT.items() if k != "message_string"}, ("message_string",), "invalid_type"),
        ({**SENT, "send_at": "tomorrow"}, ("send_at",), "invalid_type"),
    ],
    ids=["pattern", "enum", "min-length", "type", "missing", "date-time"],
)
async def test_a_bad_body_gets_heros_400_naming_the_field(body: dict[str, Any], path: tuple[str], code: str) -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        with pytest.raises(ValidationError) as caught:
            await hero.request("POST", "/v1/messages/send", json=body)
    (field,) = caught.value.field_errors
    assert (field.path, field.code) == (path, code)
    assert field.expected
    answer = caught.value.response
    assert answer is not None
    documented = ValidationErrorResponse.from_dict(answer.json())  # the spec's 400 shape, exactly
    assert documented.error is True and documented.status_code == 400
    assert "943" not in str(caught.value) and "P-943" not in str(caught.value)
    assert fake.calls() == [] and fake.calls(include_refused=True)[0].status == 400


async def test_a_nested_field_is_named_by_its_whole_path() -> None:
    fake = FakeHero()
    body = {"name": "Flu", "channel": "SMS", "content": "Hi", "recipients": [{"patient_id": 7}]}
    async with fake.client() as hero:
        with pytest.raises(ValidationError) as caught:
            await hero.request("POST", "/v1/batch_message", json=body)
    assert caught.value.field_errors[0].path[:2] == ("recipients", 0)


async def test_a_bad_query_parameter_or_a_broken_body_gets_400() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        with pytest.raises(ValidationError) as caught:
            await hero.request("GET", "/v1/batch_message", params={"status": "NOPE"})
        assert caught.value.field_errors[0].path == ("status",)
        assert caught.value.field_errors[0].code == "invalid_enum_value"
        with pytest.raises(ValidationError) as caught:
            await hero.get_async_httpx_client().post("/v1/messages/send", content=b"{not json")
        assert caught.value.field_errors[0].code == "invalid_json"


# --- 429 ------------------------------------------------------------------------------------------------------------


async def test_over_the_window_gets_429_with_retry_after_until_the_window_moves() -> None:
    clock = Clock()
    fake = FakeHero(rate_limit=(3, 60), clock=clock)
    async with fake.client(rate_limit=None, max_retries=0) as hero:
        for _ in range(3):
            await hero.practice_group.get_practice_group_by_id()
        clock.now += 20
        with pytest.raises(RateLimitError) as caught:
            await hero.practice_group.get_practice_group_by_id()
        assert caught.value.retry_after == 40
        clock.now += 40
        await hero.practice_group.get_practice_group_by_id()
    assert fake.rate_limited == 1
    assert [c.status for c in fake.requests] == [200, 200, 200, 429, 200]
    assert len(fake.calls()) == 4  # the refused one is not a call Hero acted on


async def test_a_client_without_a_limiter_meets_429s_and_one_with_the_fakes_limit_does_not() -> None:
    fake = FakeHero(rate_limit=(5, 60))
    async with fake.client(rate_limit=None, max_retries=0) as reckless:
        results = [await _attempt(reckless) for _ in range(7)]
    assert results.count("429") == 2 and fake.rate_limited == 2

    fake = FakeHero(rate_limit=(4, 0.25))
    async with fake.client() as careful:  # the client's limiter takes the fake's limit
        import asyncio

        await asyncio.gather(*(careful.practice_group.get_practice_group_by_id() for _ in range(10)))
    assert fake.rate_limited == 0 and len(fake.calls()) == 10


async def _attempt(hero: HeroClient) -> str:
    try:
        await hero.practice_group.get_practice_group_by_id()
    except RateLimitError:
        return "429"
    return "ok"


def test_the_default_limit_is_heros() -> None:
    fake = FakeHero()
    assert fake.rate_limit is not None and (fake.rate_limit.requests, fake.rate_limit.seconds) == (300, 60)
    assert FakeHero(rate_limit=None).rate_limit is None
    with pytest.raises(ValueError, match="rate_limit"):
        FakeHero(rate_limit=300)  # type: ignore[arg-type]


# --- faults ---------------------------------------------------------------------------------------------------------


async def test_a_post_that_got_a_500_is_not_resent() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.fail(hero.messages.send_message, status=500)
        with pytest.raises(ServerError):
            await hero.messages.send_message(**SENT)
    (call,) = fake.calls(hero.messages.send_message)
    assert (call.status, call.fault, call.json["patient_id"]) == (500, "status", "943")


async def test_a_get_that_got_a_500_is_retried() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.fail(hero.booking.get_appointment)
        appointment = await hero.booking.get_appointment("17")
    assert appointment.id
    assert [c.status for c in fake.calls(hero.booking.get_appointment)] == [500, 200]


async def test_a_fault_for_every_request_exhausts_the_retries() -> None:
    fake = FakeHero()
    async with fake.client(max_retries=2) as hero:
        fake.fail(status=503, times=None)  # any route
        with pytest.raises(ServerError):
            await hero.practice_group.get_practice_group_by_id()
    assert [c.status for c in fake.requests] == [503, 503, 503]


async def test_a_dropped_connection_after_a_post_arrived_is_raised_not_resent() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.fail(hero.messages.send_message, disconnect=True)
        with pytest.raises(APIConnectionError):
            await hero.messages.send_message(**SENT)
        fake.fail(hero.booking.get_appointment, disconnect=True)
        await hero.booking.get_appointment("17")  # a GET is safe to send again
    assert [(c.route, c.status, c.fault) for c in fake.requests] == [
        ("POST /v1/messages/send", None, "disconnect"),
        ("GET /v1/appointments/{id}", None, "disconnect"),
        ("GET /v1/appointments/{id}", 200, None),
    ]


async def test_a_refused_connection_is_retried_even_for_a_post_and_never_recorded() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.fail(hero.messages.send_message, connect=True)
        await hero.messages.send_message(**SENT)
    assert fake.connect_failures == 1
    assert [c.status for c in fake.calls(hero.messages.send_message)] == [200]


async def test_a_timeout_is_raised_and_recorded() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.fail(hero.messages.send_message, timeout=True)
        with pytest.raises(APITimeoutError):
            await hero.messages.send_message(**SENT)
    assert [(c.status, c.fault) for c in fake.requests] == [(None, "timeout")]


async def test_a_malformed_answer_says_the_request_was_processed() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.fail(hero.messages.send_message, malformed=True)
        with pytest.raises(ResponseValidationError) as caught:
            await hero.messages.send_message(**SENT)
    assert caught.value.request_processed
    assert [(c.status, c.fault) for c in fake.requests] == [(200, "malformed")]


def test_fail_takes_one_kind_of_fault() -> None:
    fake = FakeHero()
    with pytest.raises(ValueError, match="one kind"):
        fake.fail(timeout=True, disconnect=True)
    with pytest.raises(ValueError, match="error status"):
        fake.fail(status=200)


# --- records --------------------------------------------------------------------------------------------------------


async def test_records_carry_route_path_parameters_query_and_body() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        await hero.messages.send_message(**SENT)
        await hero.messages.list_batch_messages(page_size=10, status="QUEUED")
        await hero.patients.get_patient_by_id("943")
    sms, batches, patient = fake.requests
    assert sms.json == {**SENT, "write_to_record": False, "encrypted": False, "auto_write_to_record": False}
    assert (batches.route, batches.param("page_size"), batches.params["status"]) == (
        "GET /v1/batch_message",
        "10",
        ["QUEUED"],
    )
    assert (patient.route, patient.path, patient.path_params) == (
        "GET /v1/patients/{id}",
        "/v1/patients/943",
        {"id": "943"},
    )
    assert [c.json["patient_id"] for c in fake.calls(hero.messages.send_message)] == ["943"]
    fake.reset()
    assert fake.requests == [] and fake.rate_limited == 0


# --- the pytest plugin ----------------------------------------------------------------------------------------------


async def test_the_plugins_hero_fixture_talks_to_the_fake_hero_fixture(fake_hero: FakeHero, hero: HeroClient) -> None:
    await hero.messages.send_message(**SENT)
    assert [c.route for c in fake_hero.calls()] == ["POST /v1/messages/send"]


def test_the_plugin_works_after_install_in_strict_mode(tmp_path: Path) -> None:
    """A user's project: no conftest, pytest-asyncio in strict mode, fixtures from the entry point alone."""
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def fake_hero():
                from hero_health_client.testing import FakeHero
                return FakeHero(rate_limit=(2, 60))

            @pytest.mark.asyncio
            async def test_job(fake_hero, hero):
                await hero.practice_group.get_practice_group_by_id()
                assert fake_hero.rate_limit.requests == 2 and len(fake_hero.calls()) == 1
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "asyncio_mode=strict", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_importing_the_sdk_does_not_import_the_kit() -> None:
    code = "import sys, hero_health_client; assert 'hero_health_client.testing' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
