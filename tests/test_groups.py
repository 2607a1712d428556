"""The resource groups: every operation of openapi.yaml is ``client.<tag>.<operation>``, shaped by the spec.

The expectations come from walking openapi.yaml itself, not from a list kept by hand, so an operation added to
the spec without its method (or with a signature that drifted) fails here.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from typing import Any

import attrs
import httpx
import pytest

from hero_health_client import HeroClient, RequestValidationError, ResponseValidationError
from hero_health_client.generated._groups import BoundOperation
from hero_health_client.types import UNSET, Admin
from tests.contract.spec_calls import ExampleMaker, Operation, call_arguments, load_spec, operations, snake

SPEC = load_spec()
OPERATIONS = operations(SPEC)
MAKER = ExampleMaker(SPEC)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _recorder(answer: dict[str, Any] | None = None) -> tuple[list[httpx.Request], httpx.MockTransport]:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=answer if answer is not None else {})

    return sent, httpx.MockTransport(handle)


def _client(transport: httpx.AsyncBaseTransport) -> HeroClient:
    return HeroClient("test-key", "1", transport=transport, rate_limit=None, max_retries=0)


def _method(op: Operation) -> Any:
    group_class = type(getattr(_client(httpx.MockTransport(lambda _: httpx.Response(500))), snake(op.tag)))
    return group_class.__dict__[snake(op.operation_id)]


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_operation_is_a_method_of_its_tag_group(op: Operation) -> None:
    client = _client(httpx.MockTransport(lambda _: httpx.Response(500)))
    group = getattr(client, snake(op.tag))
    method = getattr(group, snake(op.operation_id))
    assert isinstance(method, BoundOperation)
    assert method.operation.route == f"{op.method.upper()} {op.path}"


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_signature_follows_the_spec(op: Operation) -> None:
    parameters = inspect.signature(_method(op).detailed).parameters
    names = list(parameters)[1:]  # after self
    path = [snake(p["name"]) for p in op.parameters if p["in"] == "path"]
    assert names[: len(path)] == path, "path parameters come first, in order, positionally"
    for name in path:
        assert parameters[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert parameters[name].default is inspect.Parameter.empty

    for param in (p for p in op.parameters if p["in"] == "query"):
        declared = parameters[snake(param["name"])]
        assert declared.kind is inspect.Parameter.KEYWORD_ONLY
        assert (declared.default is inspect.Parameter.empty) == bool(param.get("required"))
        enum = _resolve(param.get("schema", {})).get("enum")
        for value in enum or ():
            assert repr(value) in str(declared.annotation), f"{param['name']} should accept the plain value {value!r}"

    body = _resolve(op.body_schema) if op.body_schema is not None else None
    if body is not None and body.get("properties") and not (body.get("anyOf") or body.get("oneOf")):
        required = set(body.get("required", ()))
        for field, schema in body["properties"].items():
            name = snake(field)
            declared = parameters.get(name) or parameters[f"body_{name}"]
            assert declared.kind is inspect.Parameter.KEYWORD_ONLY, f"body field {field} is a flat keyword"
            has_default = "default" in _resolve(schema)
            assert (declared.default is inspect.Parameter.empty) == (field in required and not has_default)
            if declared.default is not inspect.Parameter.empty:
                assert declared.default is UNSET, "an optional argument defaults to not sent"
    elif body is not None:
        assert "body" in parameters


def _flat_arguments(op: Operation) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """Arguments for the group method that mean the same as ``call_arguments`` for the generated function."""
    generated = call_arguments(op, MAKER, complete=True)
    signature = inspect.signature(_method(op).detailed).parameters
    path_names = [snake(p["name"]) for p in op.parameters if p["in"] == "path"]
    path = [generated[name] for name in path_names]
    keywords = {name: value for name, value in generated.items() if name not in path_names}
    body = keywords.pop("body", None)
    if body is not None and "body" not in signature:
        for field in attrs.fields(type(body)):
            value = getattr(body, field.name)
            if field.init and value is not UNSET:
                keywords[field.name if field.name in signature else f"body_{field.name}"] = value
    elif body is not None:
        keywords["body"] = body
    return path, keywords, generated


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
async def test_a_method_sends_what_the_generated_function_sends(op: Operation) -> None:
    path, keywords, generated = _flat_arguments(op)
    sent, transport = _recorder()
    async with _client(transport) as client:
        method = getattr(getattr(client, snake(op.tag)), snake(op.operation_id))
        with contextlib.suppress(ResponseValidationError):  # the empty answer need not parse: requests are compared
            await method.raw(*path, **keywords)
        with contextlib.suppress(ResponseValidationError):
            await op.module().asyncio_detailed(client=client, **generated)
    by_group, by_function = sent
    assert (by_group.method, by_group.url) == (by_function.method, by_function.url)
    body_of = [json.loads(r.content) if r.content else None for r in sent]
    assert body_of[0] == body_of[1]


def _is_paginated(op: Operation) -> bool:
    names = {p["name"] for p in op.parameters if p["in"] == "query"}
    if not {"page_index", "page_size"} <= names or op.method != "get":
        return False
    (ok,) = [r for code, r in SPEC["paths"][op.path][op.method]["responses"].items() if code.startswith("2")]
    schema = _resolve(_resolve(ok)["content"]["application/json"]["schema"])
    data = _resolve(schema.get("properties", {}).get("data", {}))
    return data.get("type") == "array" or any(_resolve(m).get("type") == "array" for m in data.get("anyOf", ()))


def test_list_operations_and_only_they_have_iterators() -> None:
    client = _client(httpx.MockTransport(lambda _: httpx.Response(500)))
    expected, found = set(), set()
    for op in OPERATIONS:
        group = getattr(client, snake(op.tag))
        name = snake(op.operation_id)
        iterator = "iter_" + name.removeprefix("list_")
        if _is_paginated(op):
            expected.add(iterator)
        if hasattr(group, iterator):
            found.add(iterator)
    assert expected and found == expected


async def test_an_iterator_walks_the_pages_and_yields_typed_items() -> None:
    pages: list[dict[str, str]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        pages.append(dict(request.url.params))
        index = int(request.url.params["page_index"])
        rows = [
            {"id": str(n), "first_name": "Ada", "last_name": "Lovelace", "email": "a@example.com"}
            | {"external_prescriber_id": None}
            for n in range(index * 2, min(index * 2 + 2, 5))
        ]
        return httpx.Response(200, json={"data": rows, "count": 5})

    async with _client(httpx.MockTransport(handle)) as client:
        admins = [admin async for admin in client.admin.iter_admins(page_size=2)]
    assert [a.id for a in admins] == ["0", "1", "2", "3", "4"]
    assert all(isinstance(a, Admin) for a in admins)
    assert pages == [{"page_index": str(i), "page_size": "2"} for i in range(3)]  # strings, as list_admins types them


@pytest.mark.parametrize("page_size", [0, -1, True, "10"])
def test_an_iterator_refuses_a_bad_page_size_at_once(page_size: Any) -> None:
    client = _client(httpx.MockTransport(lambda _: httpx.Response(500)))
    with pytest.raises(RequestValidationError, match=r"AdminAPI\.iter_admins\.page_size"):
        client.admin.iter_admins(page_size=page_size)


async def test_flat_arguments_are_checked_before_anything_is_sent() -> None:
    sent, transport = _recorder()
    async with _client(transport) as client:
        with pytest.raises(RequestValidationError) as refused:
            await client.messages.send_message(patient_id="943", message_type="fax", message_string="Hi")  # type: ignore[arg-type]
    assert refused.value.field == "SendMessageRequest.message_type"
    assert "'sms'" in str(refused.value) and sent == []


def test_groups_load_on_first_use_and_are_kept() -> None:
    client = _client(httpx.MockTransport(lambda _: httpx.Response(500)))
    assert "messages" not in vars(client)
    assert client.messages is client.messages
    assert client.messages._client is client
