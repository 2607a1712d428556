"""From openapi.yaml to calls of the generated client: which module serves each operation, and a valid request.

Requests are built from the schemas, not from the spec's ``example`` values, so a contract test checks the schemas
the generator read: the minimal request has the required fields only, the complete one has every documented field.
"""

from __future__ import annotations

import datetime
import enum
import importlib
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dateutil.parser import isoparse
from jsonschema import Draft202012Validator

from hero_health_client.generated.errors import ResponseValidationError
from hero_health_client.generated.types import Unset

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / "openapi.yaml"
API_PACKAGE = "hero_health_client.generated.api"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Schema = Mapping[str, Any]


def snake(name: str) -> str:
    """The generator's snake_case for tags, operationIds and parameters: ``getTaskV2`` -> ``get_task_v2``."""
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words)
    return re.sub(r"[^0-9a-zA-Z]+", "_", words).strip("_").lower()


def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        spec: dict[str, Any] = yaml.safe_load(fh)
    return spec


@dataclass(frozen=True)
class Operation:
    """One operation of the spec and the generated module that should call it."""

    method: str
    path: str
    operation_id: str
    tag: str
    parameters: tuple[Schema, ...]
    body_schema: Schema | None

    @property
    def module_name(self) -> str:
        return f"{API_PACKAGE}.{snake(self.tag)}.{snake(self.operation_id)}"

    def module(self) -> types.ModuleType:
        return importlib.import_module(self.module_name)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} ({self.operation_id})"


def operations(spec: Mapping[str, Any]) -> list[Operation]:
    """Every operation in document order; path-level parameters merged in, ``$ref`` parameters resolved."""
    found = []
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            params = {}
            for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
                param = _resolve(spec, raw)
                params[(param["name"], param["in"])] = param
            body = op.get("requestBody")
            body_schema = None
            if body is not None:
                body = _resolve(spec, body)
                body_schema = body["content"]["application/json"]["schema"]
            found.append(Operation(method, path, op["operationId"], op["tags"][0], tuple(params.values()), body_schema))
    return found


def _resolve(spec: Mapping[str, Any], node: Schema) -> Schema:
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, got {ref!r}")
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


class ExampleMaker:
    """Smallest valid JSON values for the spec's schemas (``complete=True``: every optional property too)."""

    DATE_TIME = "2026-03-29T09:30:00Z"  # the morning the clocks go forward: 10:30 BST in London
    DATE = "2026-03-29"
    KNOWN_PATTERNS: Mapping[str, str] = {r"^\d+$": "1"}

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def resolve(self, schema: Schema) -> Schema:
        return _resolve(self.spec, schema)

    def errors(self, value: Any, schema: Schema) -> list[str]:
        """Why ``value`` does not match ``schema`` (empty when it does); ``$ref``s resolve against the spec."""
        root = {**schema, "components": self.spec.get("components", {})}
        validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(value)]

    def make(self, schema: Schema, *, complete: bool = False, depth: int = 0) -> Any:
        if depth > 20:
            raise ValueError("schema nests deeper than 20 levels; recursive schema?")
        schema = self.resolve(schema)
        nested = depth + 1
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None] or schema["enum"]
            return values[0]
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.resolve(part)
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
                merged.update({k: v for k, v in part.items() if k not in ("required", "properties")})
            return self.make(merged, complete=complete, depth=nested)
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                for alternative in schema[keyword]:
                    candidate = self.make(alternative, complete=complete, depth=nested)
                    if not self.errors(candidate, schema):
                        return candidate
                raise ValueError(f"no alternative of a {keyword} yields a valid value: {dict(schema)}")

        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        if kind == "null":
            return None
        if kind == "object":
            properties = schema.get("properties", {})
            names = list(properties) if complete else list(schema.get("required", []))
            names += [n for n in schema.get("required", []) if n not in names]
            return {name: self.make(properties.get(name, {}), complete=complete, depth=nested) for name in names}
        if kind == "array":
            count = max(1, schema.get("minItems", 1))
            return [self.make(schema.get("items", {}), complete=complete, depth=nested) for _ in range(count)]
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            low = max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
            low = min(low, schema.get("maximum", low))
            return int(low) if kind == "integer" else low
        if kind == "string":
            return self._string(schema)
        raise ValueError(f"unsupported schema type {kind!r}")

    def _string(self, schema: Schema) -> str:
        fmt, pattern = schema.get("format"), schema.get("pattern")
        if pattern is not None:
            if pattern not in self.KNOWN_PATTERNS:
                raise ValueError(f"no example for pattern {pattern!r}: add one to ExampleMaker.KNOWN_PATTERNS")
            return self.KNOWN_PATTERNS[pattern]
        by_format = {
            "date-time": self.DATE_TIME,
            "date": self.DATE,
            "email": "patient@example.com",
            "uri": "https://example.com/hooks/hero",
            "uuid": "00000000-0000-4000-8000-000000000001",
        }
        text = by_format.get(fmt, "text") if fmt else "text"
        text = text.ljust(schema.get("minLength", 0), "x")
        return text[: schema["maxLength"]] if "maxLength" in schema else text


# --- JSON examples -> the Python values the generated functions take ---


def _members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for m in typing.get_args(annotation) if m not in (Unset, type(None))]
    return [annotation]


def to_python(value: Any, annotation: Any) -> Any:
    """``value`` (JSON) as the type a generated function or model expects: enums, datetimes, models, lists.

    For a union, the first member that accepts the value wins, preferring a model that knows every key.
    """
    if value is None and type(None) in typing.get_args(annotation):
        return None
    fallback: Any = None
    problems = []
    for member in _members(annotation):
        try:
            converted = _convert(value, member)
        except (TypeError, ValueError, KeyError, ResponseValidationError) as exc:
            problems.append(f"{getattr(member, '__name__', member)}: {type(exc).__name__} {exc}")
            continue
        if getattr(converted, "additional_properties", None):
            fallback = converted if fallback is None else fallback  # accepted only by stashing unknown keys
            continue
        return converted
    if fallback is not None:
        return fallback
    raise TypeError(f"{value!r} fits none of {annotation}: {'; '.join(problems)}")


def _convert(value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is list:
        if not isinstance(value, list):
            raise TypeError("not a list")
        (item,) = typing.get_args(tp)
        return [to_python(v, item) for v in value]
    if origin is dict or tp is Any:
        return value
    if not isinstance(tp, type):
        raise TypeError(f"unsupported annotation {tp!r}")
    if issubclass(tp, enum.Enum):
        return tp(value)
    if tp is datetime.datetime:
        return isoparse(value)
    if tp is datetime.date:
        return datetime.date.fromisoformat(value)
    if hasattr(tp, "from_dict"):
        if not isinstance(value, dict):
            raise TypeError("not an object")
        return tp.from_dict(value)
    if tp is bool or tp is str:
        if not isinstance(value, tp):
            raise TypeError(f"not a {tp.__name__}")
        return value
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or (tp is int and not isinstance(value, int)):
            raise TypeError(f"not a {tp.__name__}")
        return value
    raise TypeError(f"unsupported type {tp!r}")


def hints(function: Callable[..., Any]) -> dict[str, Any]:
    return typing.get_type_hints(function)


def call_arguments(op: Operation, maker: ExampleMaker, *, complete: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``op``'s generated function: path and required query parameters (``complete``: all
    query parameters), and the body as its generated model."""
    function = op.module().asyncio_detailed
    accepted = inspect.signature(function).parameters
    annotations = hints(function)
    kwargs: dict[str, Any] = {}
    for param in op.parameters:
        if param["in"] == "header":
            continue
        if not (param["in"] == "path" or param.get("required") or complete):
            continue
        name = snake(param["name"])
        if name not in accepted:
            raise LookupError(
                f"{op}: parameter {param['name']!r} is not {name!r} in {op.module_name}: {list(accepted)}"
            )
        kwargs[name] = to_python(maker.make(param.get("schema", {}), complete=complete), annotations[name])
    if op.body_schema is not None:
        body = maker.make(op.body_schema, complete=complete)
        problems = maker.errors(body, op.body_schema)
        if problems:
            raise ValueError(f"{op}: the example body does not match its own schema: {problems}")
        kwargs["body"] = to_python(body, annotations["body"])
    return kwargs


def response_type(op: Operation) -> Any:
    """What the generated ``asyncio`` function promises to return."""
    return hints(op.module().asyncio)["return"]
