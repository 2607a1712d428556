"""Compare two OpenAPI documents and classify every change as breaking or additive for the SDK's callers.

    python scripts/spec_diff.py OLD NEW [--json]

Prints one line per change (``breaking  WHERE: WHAT`` or ``additive  WHERE: WHAT``) and, last, ``change: breaking``,
``change: additive`` or ``change: none``. The spec-update job and ``fetch_spec.py`` print this same report.

What is compared is the shape callers see, not the text of the documents: ``$ref``s are resolved (so pointing a
``$ref`` at another, equal schema is no change, and pointing it at a different one is judged by what differs),
``allOf`` is merged, ``anyOf``/``oneOf`` become a list of alternatives, OpenAPI 3.0 ``nullable`` and 3.1 type lists
with ``"null"`` both become "may be null", and cycles are followed once. A *model* is an entry of
``components/schemas``.

Each change is judged by the direction in which data flows. A **request** is what callers send (parameters and
request bodies): the server accepting less breaks them. A **response** is what callers receive (response bodies
and headers): the server returning more kinds of value breaks them, because their code must now handle it.

Breaking:

- an operation removed, or its path or method changed (same ``operationId`` under another path/method); its
  ``operationId`` or first tag changed (the SDK's function is renamed or moves module);
- a parameter (by name and ``in``) or request field added as required, or an optional one becoming required;
  a request body added as required or becoming required;
- a parameter, field, request body, response header or media type removed;
- a type narrowed in a request or widened in a response; a type changed (neither narrower nor wider) anywhere.
  "Wider" means accepting more kinds of value: ``string`` -> ``string|null``, ``integer`` -> ``number``,
  a typed schema -> an untyped one, an ``anyOf``/``oneOf`` gaining a member. So an ``anyOf`` gaining a member is
  additive in a request and breaking in a response, and losing one the reverse;
- a ``format`` changed that the generator maps to its own Python type (``date``, ``date-time``, ``uuid``,
  ``binary``), in either direction; other formats follow the narrow/widen rule (adding one narrows);
- an enum value removed from a request enum, or an enum added to a request value that had none;
  a response enum dropped altogether (the SDK's field turns from an enum class into ``str``);
- a response field that was required becoming optional, or one that was not nullable becoming nullable;
- ``additionalProperties`` narrowed in a request (for example to ``false``);
- a value constraint (``maxLength``, ``minimum``, ``pattern`` and the like) tightened in a request;
- a success (2xx) response added or removed (the SDK function's return type changes);
- a model removed or renamed (a rename is a removed model whose shape equals an added one).

Additive: new operations, models, optional parameters and fields, response fields; enum values added anywhere and
removed from responses (the SDK's enums keep values they do not know); types widened in a request or narrowed in a
response; error (non-2xx) responses added or removed; media types added; ``deprecated`` set; constraint changes
other than tightening a request; and changes to ``description``, ``summary`` or ``title``. Examples, servers, tags'
descriptions and ``x-`` extensions are not compared.

A model no operation uses is judged in both directions (breaking if either is), since callers may both build and
read it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so it runs as a script from anywhere
from scripts.spec_tools import HTTP_METHODS, SpecError, parse_spec

BREAKING = "breaking"
ADDITIVE = "additive"
Direction = Literal["request", "response"]
Classification = Literal["breaking", "additive", "none"]

SCHEMA_PREFIX = "#/components/schemas/"
TYPED_FORMATS = frozenset({"date", "date-time", "uuid", "binary"})  # formats the generator turns into Python types
DOC_KEYS = ("description", "summary", "title")
IGNORED_KEYS = frozenset({"description", "summary", "title", "example", "examples", "externalDocs", "$comment"})
# (keyword, True when a larger value is tighter)
CONSTRAINTS = (
    ("minLength", True),
    ("maxLength", False),
    ("minimum", True),
    ("maximum", False),
    ("exclusiveMinimum", True),
    ("exclusiveMaximum", False),
    ("minItems", True),
    ("maxItems", False),
    ("minProperties", True),
    ("maxProperties", False),
    ("multipleOf", None),
    ("pattern", None),
    ("uniqueItems", True),
)
MAX_DEPTH = 200  # a guard on top of the cycle check; real schemas are a few dozen levels at most


@dataclass(frozen=True, order=True)
class Change:
    """One difference that callers can notice."""

    kind: str  # BREAKING or ADDITIVE
    where: str  # "GET /v1/x query parameter page" or "Patient.address.postcode"
    what: str
    operation: str | None = None  # "METHOD /path" when the change is in the operation itself
    model: str | None = None  # the components/schemas entry whose own definition changed

    def line(self) -> str:
        return f"{self.kind:<9} {self.where}: {self.what}"


@dataclass
class SpecDiff:
    """Every change between two documents, and which operations and models were added, removed or changed."""

    changes: list[Change]
    operations_added: list[str] = field(default_factory=list)
    operations_removed: list[str] = field(default_factory=list)
    operations_changed: list[str] = field(default_factory=list)
    models_added: list[str] = field(default_factory=list)
    models_removed: list[str] = field(default_factory=list)
    models_changed: list[str] = field(default_factory=list)
    old_version: str | None = None
    new_version: str | None = None

    @property
    def classification(self) -> Classification:
        if any(c.kind == BREAKING for c in self.changes):
            return "breaking"
        return "additive" if self.changes else "none"

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.kind == BREAKING]

    @property
    def additive(self) -> list[Change]:
        return [c for c in self.changes if c.kind == ADDITIVE]

    def render(self) -> str:
        """The plain-text report; its last line is ``change: breaking|additive|none``."""
        lines = []
        if self.old_version != self.new_version:
            lines.append(f"Spec version: {self.old_version} -> {self.new_version}")
        for title, added, removed, changed in (
            ("Operations", self.operations_added, self.operations_removed, self.operations_changed),
            ("Models", self.models_added, self.models_removed, self.models_changed),
        ):
            lines.append(f"{title}: {len(added)} added, {len(removed)} removed, {len(changed)} changed")
        lines.append(f"Changes: {len(self.breaking)} breaking, {len(self.additive)} additive")
        lines += [f"  {c.line()}" for c in self.breaking + self.additive]
        lines.append(f"change: {self.classification}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "classification": self.classification}


@dataclass
class _Shape:
    """A schema flattened for comparison: refs resolved, allOf merged, alternatives and nullability split out."""

    raw: Mapping[str, Any]
    source: Any = None  # the node as written (perhaps a $ref), for comparing through schema()
    name: str | None = None  # the components/schemas entry it came from
    split: bool = False  # one type of a multi-type scalar, with no source of its own
    types: frozenset[str] | None = None  # None: any type; never contains "null"
    nullable: bool = False
    variants: list[Any] = field(default_factory=list)  # raw anyOf/oneOf members other than null, when two or more
    enum: frozenset[str] | None = None  # JSON-encoded values
    format: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    additional: Any = None  # None/True: anything; False: nothing; a mapping: a schema
    items: Any = None
    constraints: dict[str, Any] = field(default_factory=dict)
    read_only: bool = False
    write_only: bool = False
    docs: dict[str, str] = field(default_factory=dict)


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _covers(types: frozenset[str], kind: str) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def _show_types(types: frozenset[str] | None, nullable: bool = False) -> str:
    shown = "any" if types is None else "|".join(sorted(types)) or "nothing"
    return shown + ("|null" if nullable and types is not None else "")


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object, kind: type = Mapping) -> list[Any]:
    """The members of ``value`` of type ``kind``: odd input (a mapping where a list belongs, None) gives []."""
    return [v for v in value if isinstance(v, kind)] if isinstance(value, list) else []


def _path_key(path: str) -> str:
    """``/v1/x/{id}`` and ``/v1/x/{x_id}`` are one URL; the parameter rename is judged on its own."""
    return re.sub(r"\{[^}]*\}", "{}", path)


class _Document:
    """One side of the comparison: JSON-pointer lookups and schema flattening, both safe on cycles and odd input."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self._canonical: dict[int, tuple[object, Any]] = {}  # id -> (the schema, kept alive; its canonical form)

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return None  # external reference: not followed
        node: Any = self.doc
        for part in ref[1:].split("/")[1:] if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def resolve(self, node: Any) -> tuple[Mapping[str, Any], str | None]:
        """Follow ``$ref`` chains; return the target and the name of the first components/schemas entry passed."""
        name: str | None = None
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                return {}, name
            seen.add(ref)
            if name is None and ref.startswith(SCHEMA_PREFIX):
                name = ref[len(SCHEMA_PREFIX) :].replace("~1", "/").replace("~0", "~")
            siblings = {k: v for k, v in node.items() if k != "$ref" and k not in IGNORED_KEYS}
            target = self.pointer(ref)
            if siblings:  # OpenAPI 3.1 allows keywords beside $ref; they constrain the target further
                return {"allOf": [target if isinstance(target, Mapping) else {}, siblings]}, name
            node = target
        return _mapping(node), name

    def shape(self, node: Any, _merging: frozenset[int] = frozenset()) -> _Shape:
        """Flatten ``node``; ``_merging`` holds the schemas being flattened further up, so cycles stop."""
        schema, name = self.resolve(node)
        shape = _Shape(raw=schema, source=node, name=name)
        if id(schema) in _merging:
            return shape  # a schema made of itself: no constraint beyond what the outer levels say
        inner = _merging | {id(schema)}
        for member in _list(schema.get("allOf")):
            self._merge(shape, self.shape(member, inner))
        self._merge(shape, self._own(schema))
        alternatives = [m for key in ("anyOf", "oneOf") for m in _list(schema.get(key))]
        if alternatives:
            others = []
            for member in alternatives:
                member_shape = self.shape(member, inner)
                if member_shape.types == frozenset() and member_shape.nullable and not member_shape.variants:
                    shape.nullable = True  # anyOf: [X, {type: "null"}] is a nullable X
                else:
                    others.append(member)
            if len(others) == 1 and shape.types is None and not shape.properties and shape.items is None:
                single = self.shape(others[0], inner)
                single.nullable = single.nullable or shape.nullable
                single.docs = {**shape.docs, **single.docs}
                return single
            shape.variants = others
        return shape

    @staticmethod
    def _own(schema: Mapping[str, Any]) -> _Shape:
        own = _Shape(raw=schema)
        kind = schema.get("type")
        kinds = {kind} if isinstance(kind, str) else {k for k in _list(kind, str)}
        values = schema["enum"] if isinstance(schema.get("enum"), list) else None
        if "const" in schema:
            values = [schema["const"]]
        if values is not None:
            own.enum = frozenset(_json(v) for v in values if v is not None)
            if not kinds:
                kinds = {_type_of(v) for v in values}
            elif None in values:
                kinds.add("null")
        if not kinds and ("properties" in schema or "additionalProperties" in schema):
            kinds = {"object"}
        if not kinds and "items" in schema:
            kinds = {"array"}
        typed = bool(kinds) or "type" in schema
        own.nullable = "null" in kinds or schema.get("nullable") is True
        kinds.discard("null")
        own.types = frozenset(kinds) if typed else None
        own.format = schema.get("format") if isinstance(schema.get("format"), str) else None
        own.properties = dict(_mapping(schema.get("properties")))
        own.required = frozenset(_list(schema.get("required"), str))
        own.additional = schema.get("additionalProperties")
        own.items = schema.get("items")
        own.constraints = {k: schema[k] for k, _ in CONSTRAINTS if k in schema}
        own.read_only = schema.get("readOnly") is True
        own.write_only = schema.get("writeOnly") is True
        own.docs = {k: schema[k] for k in DOC_KEYS if isinstance(schema.get(k), str)}
        return own

    @staticmethod
    def _merge(into: _Shape, other: _Shape) -> None:
        """allOf: the value must satisfy every member."""
        if other.types is not None:
            into.types = other.types if into.types is None else into.types & other.types
        into.nullable = into.nullable or other.nullable  # allOf: [X], nullable: true is how 3.0 says "X or null"
        if other.enum is not None:
            into.enum = other.enum if into.enum is None else into.enum & other.enum
        into.format = other.format or into.format
        into.properties.update(other.properties)
        into.required |= other.required
        if other.additional is not None:
            into.additional = other.additional
        if other.items is not None:
            into.items = other.items
        into.constraints.update(other.constraints)
        into.read_only |= other.read_only
        into.write_only |= other.write_only
        into.variants += other.variants
        into.docs.update(other.docs)

    def canonical(self, node: Any, stack: tuple[int, ...] = ()) -> Any:
        """A comparable form of a schema that ignores ref names and prose; a cycle becomes its distance back."""
        target, _ = self.resolve(node)
        if id(target) in stack:
            return ["cycle", len(stack) - stack.index(id(target))]
        if len(stack) > MAX_DEPTH:
            return ["deep"]
        if id(target) in self._canonical:
            return self._canonical[id(target)][1]
        result = self._canonical_of(target, (*stack, id(target)))
        if "cycle" not in _json(result):  # the form of a schema inside a cycle depends on where the walk entered it
            self._canonical[id(target)] = (target, result)
        return result

    def _canonical_of(self, target: Mapping[str, Any], stack: tuple[int, ...]) -> Any:
        out: dict[str, Any] = {}
        for key, value in sorted(target.items()):
            if key in IGNORED_KEYS or key.startswith("x-"):
                continue
            if key in ("properties", "patternProperties", "$defs") and isinstance(value, Mapping):
                out[key] = {k: self.canonical(v, stack) for k, v in sorted(value.items())}
            elif key in ("items", "additionalProperties", "not", "contains") and isinstance(value, Mapping):
                out[key] = self.canonical(value, stack)
            elif key in ("allOf", "anyOf", "oneOf", "prefixItems") and isinstance(value, list):
                out[key] = sorted((self.canonical(v, stack) for v in value), key=_json)
            elif key == "required" and isinstance(value, list):
                out[key] = sorted(str(v) for v in value)
            elif key == "type":
                out[key] = sorted(value) if isinstance(value, list) else [value]
            else:
                out[key] = value
        if out.get("nullable") is True:
            del out["nullable"]
            out["type"] = sorted({*out.get("type", []), "null"})
        return out


@dataclass
class _Context:
    """Where the walk is: the operation (or model) it started from, for attributing and locating changes."""

    direction: Direction
    where: str
    operation: str | None
    model: str | None
    depth: int = 0

    def at(self, suffix: str) -> _Context:
        return _Context(self.direction, self.where + suffix, self.operation, self.model, self.depth + 1)


class _Differ:
    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.old = _Document(old)
        self.new = _Document(new)
        self.changes: dict[tuple[str, str, str], Change] = {}
        self._done: set[tuple[int, int, str]] = set()
        self._keep: list[object] = []  # keeps compared objects alive so their ids stay unique
        self.edges: defaultdict[str, set[str]] = defaultdict(set)  # "op:GET /x" or "model:Name" -> models used
        self.reached: set[tuple[str, Direction]] = set()

    # -- recording -------------------------------------------------------------------------------------------------

    def add(self, kind: str, ctx: _Context, what: str) -> None:
        change = Change(kind, ctx.where, what, None if ctx.model else ctx.operation, ctx.model)
        self.changes.setdefault((change.kind, change.where, change.what), change)

    def by_direction(self, ctx: _Context, *, breaks_requests: bool, breaks_responses: bool, what: str) -> None:
        broken = breaks_requests if ctx.direction == "request" else breaks_responses
        self.add(BREAKING if broken else ADDITIVE, ctx, what)

    def docs(self, ctx: _Context, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for key in DOC_KEYS:
            if old.get(key) != new.get(key):
                self.add(ADDITIVE, ctx, f"{key} changed")

    # -- schemas ---------------------------------------------------------------------------------------------------

    def schema(self, old: Any, new: Any, ctx: _Context) -> None:
        old_target, old_name = self.old.resolve(old)
        new_target, new_name = self.new.resolve(new)
        if ctx.depth > MAX_DEPTH:
            return
        if old_name is not None and old_name == new_name:
            self.edges[f"model:{ctx.model}" if ctx.model else f"op:{ctx.operation}"].add(new_name)
            self.reached.add((new_name, ctx.direction))
            ctx = _Context(ctx.direction, new_name, ctx.operation, new_name, ctx.depth)
        elif old_name != new_name and (old_name or new_name):
            ctx = ctx.at(f" (now {new_name or 'inline'}, was {old_name or 'inline'})")
        key = (id(old_target), id(new_target), ctx.direction)
        if key in self._done:
            return
        self._done.add(key)
        self._keep.append((old_target, new_target))
        self.shapes(self.old.shape(old), self.new.shape(new), ctx)

    def shapes(self, old: _Shape, new: _Shape, ctx: _Context) -> None:
        if ctx.depth > MAX_DEPTH:
            return
        for key in DOC_KEYS:
            if old.docs.get(key) != new.docs.get(key):
                self.add(ADDITIVE, ctx, f"{key} changed")
        if old.nullable != new.nullable:
            self.by_direction(
                ctx,
                breaks_requests=not new.nullable,
                breaks_responses=new.nullable,
                what="may now be null" if new.nullable else "may no longer be null",
            )
        old_variants, new_variants = self.alternatives(old, self.old), self.alternatives(new, self.new)
        if len(old_variants) == 1 and len(new_variants) == 1:
            self.single(old_variants[0], new_variants[0], ctx)
        else:
            self.variants(old_variants, new_variants, ctx)

    @staticmethod
    def alternatives(shape: _Shape, doc: _Document) -> list[_Shape]:
        """anyOf/oneOf members, or a multi-type scalar split per type, so ``type: [a, b]`` equals ``anyOf: [a, b]``."""
        if shape.variants:
            return [doc.shape(v) for v in shape.variants]
        scalar = not shape.properties and shape.items is None and shape.additional in (None, True)
        if shape.types is not None and len(shape.types) > 1 and scalar:
            return [
                _Shape(raw=shape.raw, split=True, types=frozenset({t}), format=shape.format, enum=shape.enum)
                for t in sorted(shape.types)
            ]
        return [shape]

    def variants(self, old: list[_Shape], new: list[_Shape], ctx: _Context) -> None:
        """Pair the alternatives (equal shape, then same model, same types, overlapping types); the rest differ."""

        def label(shape: _Shape) -> str:
            return shape.name or _show_types(shape.types)

        def key(shape: _Shape, doc: _Document) -> str:
            return _json([doc.canonical(shape.raw), sorted(shape.types or ["any"]), shape.split])

        def tier(a: _Shape, b: _Shape, same_shape: bool) -> int | None:
            if same_shape:
                return 0
            if a.name is not None and a.name == b.name:
                return 1
            if a.types == b.types:
                return 2
            if a.types is None or b.types is None or a.types & b.types:
                return 3
            return None

        old_keys = [key(s, self.old) for s in old]
        new_keys = [key(s, self.new) for s in new]
        unmatched_old, unmatched_new = list(range(len(old))), list(range(len(new)))
        pairs: list[tuple[int, int]] = []
        for wanted in range(4):
            for i in list(unmatched_old):
                j = next((j for j in unmatched_new if tier(old[i], new[j], old_keys[i] == new_keys[j]) == wanted), None)
                if j is not None:
                    pairs.append((i, j))
                    unmatched_old.remove(i)
                    unmatched_new.remove(j)
        for i, j in sorted(pairs):
            sub = ctx.at(f" ({label(new[j])} alternative)" if len(new) > 1 else "")
            if old[i].split or new[j].split:
                self.single(old[i], new[j], sub)
            else:
                self.schema(old[i].source, new[j].source, sub)
        for i in unmatched_old:
            self.by_direction(
                ctx,
                breaks_requests=True,
                breaks_responses=False,
                what=f"alternative {label(old[i])} removed (anyOf/oneOf lost a member)",
            )
        for j in unmatched_new:
            self.by_direction(
                ctx,
                breaks_requests=False,
                breaks_responses=True,
                what=f"alternative {label(new[j])} added (anyOf/oneOf gained a member)",
            )

    def single(self, old: _Shape, new: _Shape, ctx: _Context) -> None:
        if old.variants or new.variants:
            self.shapes(old, new, ctx.at(""))  # a member that is itself an anyOf
            return
        if not self.types(old, new, ctx):
            return
        self.format(old, new, ctx)
        self.enum(old, new, ctx)
        self.constraints(old, new, ctx)
        self.properties(old, new, ctx)
        self.additional(old, new, ctx)
        if old.items is not None or new.items is not None:
            self.schema(old.items or {}, new.items or {}, ctx.at("[]"))

    def types(self, old: _Shape, new: _Shape, ctx: _Context) -> bool:
        """Report a type change; False when the types have nothing in common (nothing deeper is worth comparing)."""
        if old.types == new.types:
            return True
        widened = old.types is not None and (new.types is None or any(not _covers(old.types, t) for t in new.types))
        narrowed = new.types is not None and (old.types is None or any(not _covers(new.types, t) for t in old.types))
        change = f"type {_show_types(old.types)} -> {_show_types(new.types)}"
        if widened and narrowed:
            self.add(BREAKING, ctx, f"{change} (changed)")
            common = old.types is None or new.types is None or bool(old.types & new.types)
            return common
        self.by_direction(
            ctx,
            breaks_requests=narrowed,
            breaks_responses=widened,
            what=f"{change} ({'narrowed' if narrowed else 'widened'})",
        )
        return True

    def format(self, old: _Shape, new: _Shape, ctx: _Context) -> None:
        if old.format == new.format:
            return
        what = f"format {old.format or 'none'} -> {new.format or 'none'}"
        if old.format in TYPED_FORMATS or new.format in TYPED_FORMATS:
            self.add(BREAKING, ctx, f"{what} (the SDK's Python type changes)")
        elif old.format and new.format:
            self.add(BREAKING, ctx, f"{what} (changed)")
        else:
            narrowed = new.format is not None
            self.by_direction(ctx, breaks_requests=narrowed, breaks_responses=not narrowed, what=what)

    def enum(self, old: _Shape, new: _Shape, ctx: _Context) -> None:
        if old.enum == new.enum:
            return
        if old.enum is None and new.enum is not None:
            self.by_direction(ctx, breaks_requests=True, breaks_responses=False, what="now restricted to an enum")
            return
        if new.enum is None and old.enum is not None:
            self.by_direction(
                ctx, breaks_requests=False, breaks_responses=True, what="no longer an enum (any value of its type)"
            )
            return
        assert old.enum is not None and new.enum is not None
        removed, added = sorted(old.enum - new.enum), sorted(new.enum - old.enum)
        if removed:
            self.by_direction(
                ctx, breaks_requests=True, breaks_responses=False, what=f"enum values removed: {', '.join(removed)}"
            )
        if added:
            self.add(ADDITIVE, ctx, f"enum values added: {', '.join(added)}")

    def constraints(self, old: _Shape, new: _Shape, ctx: _Context) -> None:
        for key, larger_is_tighter in CONSTRAINTS:
            before, after = old.constraints.get(key), new.constraints.get(key)
            if before == after:
                continue
            if after is None:
                tighter = False
            elif before is None or larger_is_tighter is None:
                tighter = True
            else:
                try:
                    tighter = (after > before) if larger_is_tighter else (after < before)
                except TypeError:
                    tighter = True
            what = f"{key} {before if before is not None else 'none'} -> {after if after is not None else 'none'}"
            self.by_direction(ctx, breaks_requests=tighter, breaks_responses=False, what=what)

    def properties(self, old: _Shape, new: _Shape, ctx: _Context) -> None:
        hidden = "read_only" if ctx.direction == "request" else "write_only"

        def visible(shape: _Shape, doc: _Document) -> dict[str, Any]:
            return {k: v for k, v in shape.properties.items() if not getattr(doc.shape(v), hidden)}

        before, after = visible(old, self.old), visible(new, self.new)
        for name in sorted(before.keys() - after.keys()):
            self.add(BREAKING, ctx.at(f".{name}"), "field removed")
        for name in sorted(after.keys() - before.keys()):
            required = name in new.required
            self.by_direction(
                ctx.at(f".{name}"),
                breaks_requests=required,
                breaks_responses=False,
                what=f"{'required' if required else 'optional'} field added",
            )
        for name in sorted(before.keys() & after.keys()):
            sub = ctx.at(f".{name}")
            was, now = name in old.required, name in new.required
            if was != now:
                self.by_direction(
                    sub,
                    breaks_requests=now,
                    breaks_responses=was,
                    what="optional -> required" if now else "required -> optional",
                )
            self.schema(before[name], after[name], sub)

    def additional(self, old: _Shape, new: _Shape, ctx: _Context) -> None:
        def kind(value: Any) -> str:
            if value is False:
                return "none"
            return "schema" if isinstance(value, Mapping) else "any"

        before, after = kind(old.additional), kind(new.additional)
        if before == after == "schema":
            self.schema(old.additional, new.additional, ctx.at(".*"))
        elif before != after:
            rank = {"none": 0, "schema": 1, "any": 2}
            narrowed = rank[after] < rank[before]
            what = f"additionalProperties {before} -> {after}"
            self.by_direction(ctx, breaks_requests=narrowed, breaks_responses=False, what=what)

    # -- operations ------------------------------------------------------------------------------------------------

    def parameters(self, path_item: Mapping[str, Any], op: Mapping[str, Any], doc: _Document) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for source in (path_item.get("parameters"), op.get("parameters")):
            for param in _list(source):
                resolved, _ = doc.resolve(param)
                if isinstance(resolved.get("name"), str):
                    found[f"{resolved.get('in', 'query')} parameter {resolved['name']}"] = resolved
        return found

    @staticmethod
    def content_schemas(holder: Mapping[str, Any]) -> dict[str, Any]:
        return {media: _mapping(body).get("schema", {}) for media, body in _mapping(holder.get("content")).items()}

    def operation(
        self,
        key: str,
        old_item: Mapping[str, Any],
        old_op: Mapping[str, Any],
        new_item: Mapping[str, Any],
        new_op: Mapping[str, Any],
    ) -> None:
        req = _Context("request", key, key, None)
        self.docs(req, old_op, new_op)
        if old_op.get("operationId") != new_op.get("operationId"):
            what = (
                f"operationId {old_op.get('operationId')} -> {new_op.get('operationId')} (the SDK function is renamed)"
            )
            self.add(BREAKING, req, what)
        old_tags, new_tags = old_op.get("tags") or [None], new_op.get("tags") or [None]
        if old_tags[0] != new_tags[0]:
            self.add(BREAKING, req, f"first tag {old_tags[0]} -> {new_tags[0]} (the SDK module moves)")
        if bool(old_op.get("deprecated")) != bool(new_op.get("deprecated")):
            self.add(ADDITIVE, req, "deprecated" if new_op.get("deprecated") else "no longer deprecated")

        old_params = self.parameters(old_item, old_op, self.old)
        new_params = self.parameters(new_item, new_op, self.new)
        for name in sorted(old_params.keys() - new_params.keys()):
            self.add(BREAKING, req.at(f" {name}"), "parameter removed")
        for name in sorted(new_params.keys() - old_params.keys()):
            required = new_params[name].get("required") is True
            kind = BREAKING if required else ADDITIVE
            self.add(kind, req.at(f" {name}"), f"{'required' if required else 'optional'} parameter added")
        for name in sorted(old_params.keys() & new_params.keys()):
            before, after = old_params[name], new_params[name]
            sub = req.at(f" {name}")
            self.docs(sub, before, after)
            was, now = before.get("required") is True, after.get("required") is True
            if was != now:
                self.add(BREAKING if now else ADDITIVE, sub, "optional -> required" if now else "required -> optional")
            if bool(before.get("deprecated")) != bool(after.get("deprecated")):
                self.add(ADDITIVE, sub, "deprecated" if after.get("deprecated") else "no longer deprecated")
            old_schema = before.get("schema", next(iter(self.content_schemas(before).values()), {}))
            new_schema = after.get("schema", next(iter(self.content_schemas(after).values()), {}))
            self.schema(old_schema, new_schema, sub)

        self.request_body(old_op, new_op, req.at(" request body"))
        self.responses(old_op, new_op, _Context("response", key, key, None))

    def request_body(self, old_op: Mapping[str, Any], new_op: Mapping[str, Any], ctx: _Context) -> None:
        before, _ = self.old.resolve(old_op.get("requestBody"))
        after, _ = self.new.resolve(new_op.get("requestBody"))
        if not before and not after:
            return
        if not after:
            self.add(BREAKING, ctx, "request body removed")
            return
        required = after.get("required") is True
        if not before:
            self.add(BREAKING if required else ADDITIVE, ctx, f"{'required' if required else 'optional'} body added")
            return
        self.docs(ctx, before, after)
        if (before.get("required") is True) != required:
            self.add(
                BREAKING if required else ADDITIVE, ctx, "optional -> required" if required else "required -> optional"
            )
        self.media(self.content_schemas(before), self.content_schemas(after), ctx)

    def media(self, before: dict[str, Any], after: dict[str, Any], ctx: _Context) -> None:
        for media in sorted(before.keys() - after.keys()):
            self.add(BREAKING, ctx, f"media type {media} removed")
        for media in sorted(after.keys() - before.keys()):
            self.add(ADDITIVE, ctx, f"media type {media} added")
        for media in sorted(before.keys() & after.keys()):
            self.schema(before[media], after[media], ctx.at(f" ({media})") if len(after) > 1 else ctx)

    def responses(self, old_op: Mapping[str, Any], new_op: Mapping[str, Any], ctx: _Context) -> None:
        before = {str(k): v for k, v in _mapping(old_op.get("responses")).items()}
        after = {str(k): v for k, v in _mapping(new_op.get("responses")).items()}
        for code in sorted(before.keys() | after.keys()):
            sub = ctx.at(f" response {code}")
            success = code.startswith("2")
            if code not in after:
                self.add(BREAKING if success else ADDITIVE, sub, "response removed")
                continue
            if code not in before:
                self.add(BREAKING if success else ADDITIVE, sub, "response added")
                continue
            old_response, _ = self.old.resolve(before[code])
            new_response, _ = self.new.resolve(after[code])
            self.docs(sub, old_response, new_response)
            self.headers(old_response, new_response, sub)
            self.media(self.content_schemas(old_response), self.content_schemas(new_response), sub)

    def headers(self, old: Mapping[str, Any], new: Mapping[str, Any], ctx: _Context) -> None:
        before = {str(k).lower(): v for k, v in _mapping(old.get("headers")).items()}
        after = {str(k).lower(): v for k, v in _mapping(new.get("headers")).items()}
        for name in sorted(before.keys() - after.keys()):
            self.add(BREAKING, ctx.at(f" header {name}"), "header removed")
        for name in sorted(after.keys() - before.keys()):
            self.add(ADDITIVE, ctx.at(f" header {name}"), "header added")
        for name in sorted(before.keys() & after.keys()):
            old_header, _ = self.old.resolve(before[name])
            new_header, _ = self.new.resolve(after[name])
            self.schema(old_header.get("schema", {}), new_header.get("schema", {}), ctx.at(f" header {name}"))


def _operations(doc: _Document) -> dict[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """``{normalised "METHOD /path": (display key, path item, operation)}``."""
    found: dict[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]] = {}
    for path, raw_item in _mapping(doc.doc.get("paths")).items():
        item, _ = doc.resolve(raw_item)  # a path item may be a $ref (OpenAPI 3.1 components/pathItems)
        for method in HTTP_METHODS:
            if isinstance(item.get(method), Mapping):
                found[f"{method.upper()} {_path_key(str(path))}"] = (f"{method.upper()} {path}", item, item[method])
    return found


def _closure(edges: Mapping[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += edges.get(f"model:{name}", ())
    return seen


def diff_specs(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> SpecDiff:
    """Every caller-visible change from ``old`` (None: an empty document) to ``new``."""
    old = _mapping(old)
    differ = _Differ(old, new)
    old_ops, new_ops = _operations(differ.old), _operations(differ.new)
    info = _Context("request", "info", None, None)
    differ.docs(info, _mapping(old.get("info")), _mapping(new.get("info")))
    old_tags = {t.get("name"): t for t in _list(old.get("tags"))}
    for tag in _list(new.get("tags")):
        if tag.get("name") in old_tags:
            differ.docs(_Context("request", f"tag {tag.get('name')}", None, None), old_tags[tag.get("name")], tag)
    added = {k: new_ops[k] for k in new_ops.keys() - old_ops.keys()}
    removed = {k: old_ops[k] for k in old_ops.keys() - new_ops.keys()}
    moved: list[tuple[str, str]] = []
    for key, (shown, _, op) in sorted(removed.items()):
        op_id = op.get("operationId")
        target = next((k for k, (_, _, o) in sorted(added.items()) if op_id and o.get("operationId") == op_id), None)
        if target is not None:
            moved.append((shown, added.pop(target)[0]))
            new_shown, new_item, new_op = new_ops[target]
            differ.operation(new_shown, old_ops[key][1], op, new_item, new_op)
            del removed[key]
    for old_shown, new_shown in moved:
        differ.add(BREAKING, _Context("request", new_shown, new_shown, None), f"moved from {old_shown}")
    for shown, _, _ in removed.values():
        differ.add(BREAKING, _Context("request", shown, shown, None), "operation removed")
    for shown, _, _ in added.values():
        differ.add(ADDITIVE, _Context("request", shown, shown, None), "operation added")
    for key in sorted(old_ops.keys() & new_ops.keys()):
        shown, new_item, new_op = new_ops[key]
        differ.operation(shown, old_ops[key][1], old_ops[key][2], new_item, new_op)

    old_models = _mapping(_mapping(old.get("components")).get("schemas"))
    new_models = _mapping(_mapping(new.get("components")).get("schemas"))
    models_added = sorted(new_models.keys() - old_models.keys())
    models_removed = sorted(old_models.keys() - new_models.keys())
    twins: dict[str, str] = {}  # removed model -> the added model of the same shape
    for name in models_removed:
        shape = _json(differ.old.canonical(old_models[name]))
        twin = next(
            (
                a
                for a in models_added
                if a not in twins.values() and _json(differ.new.canonical(new_models[a])) == shape
            ),
            None,
        )
        if twin is not None:
            twins[name] = twin
            differ.add(BREAKING, _Context("request", name, None, name), f"model renamed to {twin}")
    for name in models_removed:
        if name not in twins:
            differ.add(BREAKING, _Context("request", name, None, name), "model removed")
    for name in models_added:
        if name not in twins.values():
            differ.add(ADDITIVE, _Context("request", name, None, name), "model added")
    for name in sorted(old_models.keys() & new_models.keys()):
        if (name, "request") in differ.reached or (name, "response") in differ.reached:
            continue  # compared already, in the direction(s) operations use it
        ref = {"$ref": SCHEMA_PREFIX + name.replace("~", "~0").replace("/", "~1")}
        for direction in ("request", "response"):
            differ.schema(ref, ref, _Context(direction, name, None, name))

    changes = sorted(differ.changes.values(), key=lambda c: (c.kind != BREAKING, c.where, c.what))
    changed_models = {c.model for c in changes if c.model} - set(models_removed) - set(models_added)
    direct_ops = {c.operation for c in changes if c.operation}
    display_added = {v[0] for v in added.values()}
    display_removed = {v[0] for v in removed.values()}
    ops_changed = sorted(
        shown
        for key, (shown, _, _) in new_ops.items()
        if shown not in display_added
        and (shown in direct_ops or _closure(differ.edges, f"op:{shown}") & changed_models)
    )
    return SpecDiff(
        changes=changes,
        operations_added=sorted(display_added),
        operations_removed=sorted(display_removed | {old for old, _ in moved}),
        operations_changed=ops_changed,
        models_added=models_added,
        models_removed=models_removed,
        models_changed=sorted(m for m in changed_models if m in old_models and m in new_models),
        old_version=str(_mapping(old.get("info")).get("version")) if old else None,
        new_version=str(_mapping(new.get("info")).get("version")),
    )


def load(path: Path) -> dict[str, Any]:
    """Read a spec file; documents that are YAML mappings but not quite OpenAPI are still compared."""
    data = path.read_bytes()
    try:
        return parse_spec(data, source=str(path))
    except SpecError:
        doc = yaml.safe_load(data) if data.strip() else {}
        if isinstance(doc, dict):
            return doc
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path, help="the spec before")
    parser.add_argument("new", type=Path, help="the spec after")
    parser.add_argument("--json", action="store_true", help="print the changes as JSON instead")
    args = parser.parse_args(argv)
    try:
        old, new = load(args.old), load(args.new)
    except (OSError, SpecError, yaml.YAMLError) as exc:
        print(f"spec_diff: cannot read a spec: {exc}", file=sys.stderr)
        return 2
    diff = diff_specs(old, new)
    if args.json:
        print(json.dumps(diff.to_json(), indent=2, sort_keys=True))
    else:
        print(diff.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
