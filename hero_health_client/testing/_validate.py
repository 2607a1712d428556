"""Checking a request against the spec the way Hero does, and the issue a 400 names.

Bodies are checked with the generated models: ``from_dict`` for JSON types and required keys, then the models'
own validators (patterns, lengths, formats, closed enums), nested models included. Path and query parameters are
checked against their schemas from the generated table. The first problem found becomes one issue of Hero's 400
body: ``{"code": ..., "expected": ..., "path": [...]}``.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from ..generated import models
from ..generated._checks import spec_pattern
from ..generated._examples import OperationExample, Parameter
from ..generated.errors import RequestValidationError, ResponseValidationError

Issue = dict[str, Any]
Path = list[str | int]

_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def issue(path: Path, expected: str, code: str) -> Issue:
    """One entry of the ``message`` list of Hero's 400 body."""
    return {"code": code, "expected": expected, "path": path}


def _split(field: str) -> Path:
    """``recipients[0].phone`` -> ``["recipients", 0, "phone"]``."""
    return [int(index) if index else name for index, name in _PATH_PART.findall(field)]


def _code(expected: str, received: str) -> str:
    """A Hero-style (zod) code for one of the generated checks' complaints."""
    if expected.startswith("one of"):
        return "invalid_enum_value"
    if received in ("an empty str", "a str that is too short"):
        return "too_small"
    if received == "a str that is too long":
        return "too_big"
    if received.startswith("a str that"):
        return "invalid_string"
    return "invalid_type"


def check_body(example: OperationExample, content: bytes) -> Issue | None:
    """The first problem of a request body, or None when the body is what the operation takes."""
    if not content:
        return issue([], "a JSON body", "invalid_type") if example.body_required else None
    try:
        body = json.loads(content)
    except ValueError:
        return issue([], "a JSON body", "invalid_json")
    if not example.body_models:
        return None
    first: Issue | None = None
    for name in example.body_models:  # a union of bodies (e.g. PDS registration): any member will do
        found = _check_model(getattr(models, name), body)
        if found is None:
            return None
        first = first or found
    return first


def _check_model(model: Any, body: Any) -> Issue | None:
    try:
        instance = model.from_dict(body)
    except ResponseValidationError as exc:
        return issue(_split(exc.field or ""), exc.expected, _code(exc.expected, exc.received))
    return _check_instance(instance, [])


def _check_instance(instance: Any, path: Path) -> Issue | None:
    """Run a parsed model's validators, then those of the models and enums inside it."""
    try:
        attrs.validate(instance)
    except RequestValidationError as exc:
        field = exc.field.split(".", 1)[1] if "." in exc.field else ""
        return issue(path + _split(field), exc.expected, _code(exc.expected, exc.received))
    for attribute in attrs.fields(type(instance)):
        if attribute.name == "additional_properties":
            continue
        found = _check_value(getattr(instance, attribute.name), [*path, attribute.name])
        if found is not None:
            return found
    return None


def _check_value(value: Any, path: Path) -> Issue | None:
    if attrs.has(type(value)):
        return _check_instance(value, path)
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _check_value(item, [*path, index])
            if found is not None:
                return found
    if isinstance(value, enum.Enum) and value.value not in type(value)._value2member_map_:
        allowed = ", ".join(repr(member.value) for member in type(value))
        return issue(path, f"one of {allowed}", "invalid_enum_value")
    return None


def check_parameters(
    example: OperationExample, path_params: Mapping[str, str], query: Mapping[str, list[str]]
) -> Issue | None:
    """The first path or query parameter that breaks its schema, or a required one that is missing."""
    for parameter in example.parameters:
        if parameter.location == "path":
            values = [path_params[parameter.name]] if parameter.name in path_params else []
        else:
            values = list(query.get(parameter.name, ()))
        if not values:
            if parameter.required:
                return issue([parameter.name], f"{_describe(parameter.schema)} (required)", "invalid_type")
            continue
        found = _check_parameter(parameter, values)
        if found is not None:
            return found
    return None


def _check_parameter(parameter: Parameter, values: list[str]) -> Issue | None:
    schema = parameter.schema
    if schema.get("type") == "array":
        item_schema = schema.get("items") or {}
        for index, value in enumerate(values):
            expected = _scalar_problem(item_schema, value)
            if expected is not None:
                return issue([parameter.name, index], expected, _parameter_code(item_schema))
        return None
    if len(values) > 1:
        return issue([parameter.name], f"one {_describe(schema)}", "invalid_type")
    expected = _scalar_problem(schema, values[0])
    return None if expected is None else issue([parameter.name], expected, _parameter_code(schema))


def _parameter_code(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "invalid_enum_value"
    return "invalid_string" if schema.get("pattern") or schema.get("format") else "invalid_type"


def _describe(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(repr(value) for value in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_describe(member) for member in schema["anyOf"])
    kind = schema.get("type", "string")
    text = {"integer": "an integer", "number": "a number", "boolean": "true or false", "array": "a list"}.get(
        kind, "a string"
    )
    if schema.get("pattern"):
        text += f" matching {schema['pattern']}"
    return text


def _scalar_problem(schema: Mapping[str, Any], value: str) -> str | None:
    """What ``value`` (as it came in the URL) should have been, or None when ``schema`` takes it."""
    if "anyOf" in schema:
        members = schema["anyOf"]
        return None if any(_scalar_problem(m, value) is None for m in members) else _describe(schema)
    kind = schema.get("type", "string")
    if "enum" in schema and value not in [str(v).lower() if isinstance(v, bool) else str(v) for v in schema["enum"]]:
        return _describe(schema)
    if kind == "integer" and re.fullmatch(r"-?\d+", value) is None:
        return _describe(schema)
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return _describe(schema)
    if kind == "boolean" and value not in ("true", "false"):
        return _describe(schema)
    if kind == "string":
        if schema.get("pattern") and spec_pattern(schema["pattern"]).search(value) is None:
            return _describe(schema)
        if len(value) < schema.get("minLength", 0):
            return f"{_describe(schema)} of at least {schema['minLength']} characters"
    return None
