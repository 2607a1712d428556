"""Reading, validating and comparing OpenAPI documents: shared by fetch_spec.py and regenerate.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecError(Exception):
    """The document is not a valid OpenAPI description; the message says where."""


def parse_spec(text: str | bytes, *, source: str) -> dict[str, Any]:
    """Parse YAML or JSON text into a mapping, or raise SpecError naming ``source``."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{source}: not YAML/JSON: {exc}") from exc
    if not isinstance(doc, dict) or "openapi" not in doc:
        raise SpecError(f"{source}: expected an OpenAPI document (a mapping with an 'openapi' key)")
    return doc


def validate_spec(doc: Mapping[str, Any], *, source: str) -> None:
    """Raise SpecError unless ``doc`` is a valid OpenAPI 3.x description."""
    try:
        validate(doc)
    except OpenAPIValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "(document root)"
        raise SpecError(f"{source}: invalid OpenAPI at {where}: {exc.message}") from exc


def load_spec(path: Path) -> dict[str, Any]:
    """Read and validate the OpenAPI document at ``path``."""
    doc = parse_spec(path.read_bytes(), source=str(path))
    validate_spec(doc, source=str(path))
    return doc


def operations(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every operation keyed ``"METHOD /path"``."""
    found: dict[str, Mapping[str, Any]] = {}
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, Mapping) and method in item:
                found[f"{method.upper()} {path}"] = item[method]
    return found


def _fingerprint(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def summarize_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """A short Markdown summary of operations and schemas added, removed or changed from ``old`` to ``new``."""
    old_ops = operations(old or {})
    new_ops = operations(new)
    old_schemas = ((old or {}).get("components") or {}).get("schemas") or {}
    new_schemas = (new.get("components") or {}).get("schemas") or {}

    def section(
        title: str, before: Mapping[str, Any], after: Mapping[str, Any], label: Callable[[str, Any], str]
    ) -> list[str]:
        added = sorted(after.keys() - before.keys())
        removed = sorted(before.keys() - after.keys())
        changed = sorted(k for k in after.keys() & before.keys() if _fingerprint(after[k]) != _fingerprint(before[k]))
        lines = [f"{title}: {len(after)} ({len(added)} added, {len(removed)} removed, {len(changed)} changed)"]
        lines += [f"  + {label(k, after[k])}" for k in added]
        lines += [f"  - {label(k, before[k])}" for k in removed]
        lines += [f"  ~ {label(k, after[k])}" for k in changed]
        return lines

    def op_label(key: str, op: Mapping[str, Any]) -> str:
        return f"{key} ({op.get('operationId', 'no operationId')})"

    lines = ["OpenAPI changes" + ("" if old is not None else " (no previous document)")]
    lines += section("Operations", old_ops, new_ops, op_label)
    lines += section("Schemas", old_schemas, new_schemas, lambda key, _: key)
    if (old or {}).get("info", {}).get("version") != new.get("info", {}).get("version"):
        lines.append(f"Version: {(old or {}).get('info', {}).get('version')} -> {new.get('info', {}).get('version')}")
    return "\n".join(lines)
