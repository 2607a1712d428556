"""Every operation of openapi.yaml, called through its generated function with a HeroClient, against Prism.

Prism rejects a request that does not match the spec (an error status with an ``sl-violations`` header, which
HeroClient raises as a typed error) and flags answers that do not match it (``sl-violations`` entries located in
``response``). So a pass means: the generated function sends what the spec describes, and parses what comes back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hero_health_client import HeroAPIError, HeroClient, RequestValidationError, ValidationError
from hero_health_client.generated.models import MessageType, SendMessageRequest
from hero_health_client.generated.types import Response

from .spec_calls import ExampleMaker, Operation, call_arguments, load_spec, operations, response_type

pytestmark = [pytest.mark.contract, pytest.mark.asyncio(loop_scope="module")]

SPEC = load_spec()
OPERATIONS = operations(SPEC)
MAKER = ExampleMaker(SPEC)
DYNAMIC_RUNS = 3


def _violations(headers: Any, *, where: str) -> list[dict[str, Any]]:
    """Error-level entries of Prism's ``sl-violations`` header located in ``where`` (request or response)."""
    raw = headers.get("sl-violations")
    if not raw:
        return []
    try:
        found = json.loads(raw[raw.index("[") :])  # a long header is cut short and prefixed "Too many violations!"
    except ValueError:
        return [{"severity": "Error", "location": [where], "message": raw}]
    return [
        v
        for v in found
        if isinstance(v, dict) and v.get("severity") == "Error" and (v.get("location") or [""])[0] == where
    ]


def _describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(map(str, v.get('location', [])))}: {v.get('message')}" for v in violations) or "-"


async def _call(op: Operation, client: HeroClient, kwargs: dict[str, Any]) -> Response[Any]:
    """``asyncio_detailed``; Prism's rejection (raised by HeroClient as a typed error) fails the test saying why."""
    try:
        detailed: Response[Any] = await op.module().asyncio_detailed(client=client, **kwargs)
    except HeroAPIError as exc:
        response = exc.response
        violations = _describe(_violations(response.headers, where="request")) if response is not None else "-"
        body = response.text[:500] if response is not None else ""
        pytest.fail(f"{op}: Prism rejected the request: {exc}\n  violations: {violations}\n  body: {body}")
    return detailed


def _check_answer(op: Operation, detailed: Response[Any]) -> None:
    """Parsed into the generated model, and nothing in the exchange breaks the spec."""
    expected = response_type(op)
    assert isinstance(detailed.parsed, expected), (
        f"{op}: parsed {type(detailed.parsed).__name__}, expected {expected}; body: {detailed.content[:500]!r}"
    )
    request_side = _violations(detailed.headers, where="request")
    assert not request_side, f"{op}: Prism accepted the request with violations: {_describe(request_side)}"
    response_side = _violations(detailed.headers, where="response")
    assert not response_side, f"{op}: Prism's answer breaks the spec: {_describe(response_side)}"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
async def test_minimal_request(op: Operation, static_client: HeroClient) -> None:
    """Path and required parameters, required body fields: both generated functions, static answers."""
    kwargs = call_arguments(op, MAKER)
    detailed = await _call(op, static_client, kwargs)
    result = await op.module().asyncio(client=static_client, **kwargs)
    assert isinstance(result, response_type(op)), f"{op}: asyncio returned {type(result).__name__}"
    _check_answer(op, detailed)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
async def test_complete_request(op: Operation, static_client: HeroClient) -> None:
    """Every documented query parameter and body field, so that their serialisation is checked too."""
    detailed = await _call(op, static_client, call_arguments(op, MAKER, complete=True))
    _check_answer(op, detailed)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
async def test_dynamic_answers_parse(op: Operation, dynamic_client: HeroClient) -> None:
    """Answers generated from the schemas (nulls, optional fields, other alternatives) still parse, every time."""
    kwargs = call_arguments(op, MAKER)
    for _ in range(DYNAMIC_RUNS):
        _check_answer(op, await _call(op, dynamic_client, kwargs))


async def test_prism_rejects_what_breaks_the_spec(static_client: HeroClient) -> None:
    """The harness would notice: a body that breaks the spec comes back as a typed error naming the violation.

    The models refuse such a body before it leaves, so it goes through the escape hatch; Prism's ``sl-violations``
    header then names the field in ``field_errors``, as the ``make mock`` loop shows it.
    """
    with pytest.raises(RequestValidationError):
        SendMessageRequest(patient_id="not-a-number", message_type=MessageType.SMS, message_string="hi")
    bad = {"patient_id": "not-a-number", "message_type": "sms", "message_string": "hi"}
    with pytest.raises(ValidationError) as caught:
        await static_client.request("POST", "/v1/messages/send", json=bad)
    assert caught.value.response is not None
    violations = _violations(caught.value.response.headers, where="request")
    assert [v["location"] for v in violations] == [["request", "body", "patient_id"]], violations
    assert [error.path for error in caught.value.field_errors] == [("patient_id",)]
    assert "patient_id" in str(caught.value) and "not-a-number" not in str(caught.value)
