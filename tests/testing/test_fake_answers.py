"""FakeHero answers every operation of openapi.yaml with something its model parses, and accepts the requests
the generated client sends; ``on()`` replaces answers per method, per operation and per route."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from hero_health_client import HeroClient, NotFoundError
from hero_health_client.generated._examples import EXAMPLES
from hero_health_client.generated.api import OPERATIONS as TABLE
from hero_health_client.generated.api.messages import MessagesAPI
from hero_health_client.testing import FakeHero, RecordedRequest, route_of
from tests.contract.spec_calls import Operation, call_arguments, snake
from tests.test_groups import MAKER, OPERATIONS, SPEC, _flat_arguments

STATUS = EXAMPLES["GET /v1/messages/{id}/status"].answer
SENT = {"patient_id": "943", "message_type": "sms", "message_string": "Reminder: 09:30 tomorrow"}


def test_the_fake_knows_every_operation_of_the_spec() -> None:
    assert set(EXAMPLES) == {f"{method} {path}" for _, _, method, path in TABLE}
    assert len(EXAMPLES) == len(OPERATIONS)


@pytest.mark.parametrize("complete", [False, True], ids=["required-only", "every-field"])
@pytest.mark.parametrize("op", OPERATIONS, ids=str)
async def test_every_group_method_gets_an_answer_its_model_parses(op: Operation, complete: bool) -> None:
    path, keywords, _ = _flat_arguments(op) if complete else _required_arguments(op)
    fake = FakeHero()
    async with fake.client() as hero:
        method = getattr(getattr(hero, snake(op.tag)), snake(op.operation_id))
        detailed = await method.raw(*path, **keywords)
    (call,) = fake.requests
    assert call.status == EXAMPLES[call.route].status == detailed.status_code, call  # a 400 would fail here
    assert detailed.parsed is not None
    assert type(detailed.parsed).__name__ in method.operation.model.split(" | ")
    assert call.route == method.operation.route


def _required_arguments(op: Operation) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """The flat arguments of ``_flat_arguments`` cut down to path parameters and what the spec requires."""
    path, keywords, generated = _flat_arguments(op)
    minimal = call_arguments(op, MAKER)
    body = minimal.get("body")
    wanted = {name for name in minimal if name != "body"}
    if body is not None:
        wanted |= set(body.to_dict()) | {f"body_{name}" for name in body.to_dict()}
    return path, {k: v for k, v in keywords.items() if k in wanted or k == "body"}, generated


async def test_the_documented_example_is_the_default_answer() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        sent = await hero.messages.send_message(**SENT)
    assert sent.to_dict() == EXAMPLES["POST /v1/messages/send"].answer


@pytest.mark.parametrize(
    "target", [MessagesAPI.send_message, "POST /v1/messages/send", "post /v1/messages/send/"], ids=repr
)
async def test_on_replaces_the_answer_of_an_operation(target: Any) -> None:
    fake = FakeHero()
    answer = {"message_id": "m-1", "content": "Hi", "created_at": "2026-10-25T01:30:00Z", "write_to_record": False}
    fake.on(target, json=answer)
    async with fake.client() as hero:
        assert (await hero.messages.send_message(**SENT)).message_id == "m-1"
        assert (await hero.messages.send_message(**SENT)).message_id == "m-1"  # every time, not once


async def test_on_a_bound_method_with_times_then_back_to_the_example() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.on(hero.messages.get_message_status, json={**STATUS, "id": "9"}, times=1)
        first = await hero.messages.get_message_status("9")
        second = await hero.messages.get_message_status("9")
    assert first.id == "9"
    assert second.to_dict() == EXAMPLES["GET /v1/messages/{id}/status"].answer


async def test_the_latest_registration_wins() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.on(hero.messages.get_message_status, json={**STATUS, "id": "old"})
        fake.on(hero.messages.get_message_status, json={**STATUS, "id": "new"}, times=1)
        assert (await hero.messages.get_message_status("1")).id == "new"
        assert (await hero.messages.get_message_status("1")).id == "old"


async def test_a_handler_answers_from_the_request() -> None:
    fake = FakeHero()

    def echo(call: RecordedRequest) -> dict[str, Any]:
        return {"message_id": f"for-{call.json['patient_id']}", "content": call.json["message_string"],
                "created_at": "2026-10-25T01:30:00Z", "write_to_record": False}  # fmt: skip

    fake.on("POST /v1/messages/send", handler=echo)
    async with fake.client() as hero:
        sent = await hero.messages.send_message(**SENT)
    assert (sent.message_id, sent.content) == ("for-943", SENT["message_string"])


async def test_an_error_status_answer_raises_the_typed_error() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        fake.on(hero.patients.get_patient_by_id, status=404)
        with pytest.raises(NotFoundError) as caught:
            await hero.patients.get_patient_by_id("943")
    assert caught.value.route == "GET /v1/patients/{id}"


async def test_a_route_outside_the_spec_is_404_until_registered() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        with pytest.raises(NotFoundError):
            await hero.request("POST", "/v1/appointments/12/book", json={"confirm": True})
        fake.on("POST /v1/appointments/{id}/book", json={"booked": True})
        booked = await hero.request("POST", "/v1/appointments/12/book", json={"confirm": True})
    assert booked.json() == {"booked": True}
    assert fake.requests[-1].route == "POST /v1/appointments/{id}/book"
    assert fake.requests[-1].path_params == {"id": "12"}


async def test_literal_segments_win_over_placeholders() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        await hero.request("GET", "/v1/messages/assignee/collection")
        await hero.request("GET", "/v1/invoicing/customers/default")
    assert [c.route for c in fake.requests] == [
        "GET /v1/messages/assignee/collection",
        "GET /v1/invoicing/customers/default",
    ]


async def test_requests_without_credentials_get_401() -> None:
    fake = FakeHero()
    async with httpx.AsyncClient(transport=fake, base_url="https://api.herohealth.net") as raw:
        answer = await raw.get("/v1/me")
    assert answer.status_code == 401
    assert fake.requests[0].refused


def test_route_of_names_operations_three_ways() -> None:
    hero = HeroClient("test-key-route-of", "1", rate_limit=None)
    assert route_of(hero.messages.send_message) == "POST /v1/messages/send"
    assert route_of(MessagesAPI.send_message) == "POST /v1/messages/send"
    assert route_of("get /v1/me?x=1") == "GET /v1/me"
    with pytest.raises(ValueError, match="METHOD /path"):
        route_of("/v1/me")
    with pytest.raises(TypeError, match="group method"):
        route_of(42)


def test_on_refuses_what_it_cannot_answer() -> None:
    fake = FakeHero()
    with pytest.raises(ValueError, match=r"json=\.\.\., handler=\.\.\. or status"):
        fake.on("GET /v1/me")
    with pytest.raises(ValueError, match="not both"):
        fake.on("GET /v1/me", json={}, handler=lambda call: {})
    with pytest.raises(ValueError, match="times"):
        fake.on("GET /v1/me", json={}, times=0)


async def test_answers_are_json_with_the_documented_status() -> None:
    fake = FakeHero()
    async with fake.client() as hero:
        created = await hero.request("POST", "/v1/invoicing/invoices", json=_invoice())
    assert created.status_code == EXAMPLES["POST /v1/invoicing/invoices"].status == 201
    assert created.headers["content-type"] == "application/json"
    json.loads(created.content)


def _invoice() -> dict[str, Any]:
    schema = SPEC["paths"]["/v1/invoicing/invoices"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body: dict[str, Any] = MAKER.make(schema)
    return body
