"""Code snippets the templates need and Jinja cannot compute well: checks, converters and answer parsing.

openapi-python-client's parsed properties know each field's Python type but drop the spec's constraints
(``pattern``, ``minLength``, ``format: email``...). These helpers walk a property together with its raw schema
from ``openapi.yaml`` and return Python source for the generated modules, which run the helpers of
``generated/_checks.py`` (rendered from ``templates/checks.py.jinja``). ``scripts/generator.py`` registers them
as Jinja globals; every string they return is a Python literal built with ``repr``, never raw spec text.
"""

from __future__ import annotations

import datetime
from typing import Any

# The JSON kinds a property's values take on the wire, to tell the members of a union apart.
_JSON_KIND = {
    "StringProperty": "str",
    "DateTimeProperty": "str",
    "DateProperty": "str",
    "UuidProperty": "str",
    "IntProperty": "int",
    "FloatProperty": "number",
    "BooleanProperty": "bool",
    "ModelProperty": "dict",
    "ListProperty": "list",
    "NoneProperty": "null",
    "AnyProperty": "any",
}
# Properties whose whole check is the JSON kind test of their union branch.
_CHECKED_BY_KIND = frozenset({"StringProperty", "IntProperty", "FloatProperty", "BooleanProperty", "NoneProperty"})
_KIND_TEST = {
    "str": "isinstance({v}, str)",
    "int": "isinstance({v}, int) and not isinstance({v}, bool)",
    "number": "isinstance({v}, (int, float)) and not isinstance({v}, bool)",
    "bool": "isinstance({v}, bool)",
    "dict": "isinstance({v}, dict)",
    "list": "isinstance({v}, list)",
    "null": "{v} is None",
}
_KIND_TEXT = {
    "str": "a string",
    "int": "an integer",
    "number": "a number",
    "bool": "a boolean",
    "dict": "an object",
    "list": "an array",
    "null": "null",
}
_SCHEMA_TYPE = {
    "str": "string",
    "int": "integer",
    "number": "number",
    "bool": "boolean",
    "dict": "object",
    "list": "array",
    "null": "null",
}


def _raw(value: Any) -> Any:
    """The plain value of one of the generator's wrapped strings."""
    getter = getattr(value, "get_untrusted_value", None)
    return getter() if getter is not None else value


def _kind(prop: Any) -> str:
    name = type(prop).__name__
    if name == "EnumProperty":
        return "int" if prop.value_type is int else "str"
    return _JSON_KIND.get(name, "any")


class Codegen:
    """Snippets for one spec; ``spec`` is openapi.yaml as loaded."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    # --- the raw schema behind a property ---------------------------------------------------------------------

    def resolve(self, node: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 50:
            target: Any = self.spec
            for part in str(node["$ref"]).lstrip("#/").split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
            node, seen = target, seen + 1
        return node if isinstance(node, dict) else {}

    def _members(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        """The alternatives a schema allows: its anyOf/oneOf members, or one per type of a type list."""
        node = self.resolve(node)
        members = node.get("anyOf") or node.get("oneOf")
        if members:
            return [m for member in members for m in self._members(member)]
        types = node.get("type")
        if isinstance(types, list):
            return [{**node, "type": t} for t in types]
        return [node]

    def _member_for(self, node: dict[str, Any], prop: Any) -> dict[str, Any]:
        """The member of a (possibly union) schema that ``prop`` was built from."""
        want = _SCHEMA_TYPE.get(_kind(prop))
        members = self._members(node)
        for member in members:
            types = member.get("type")
            if types == want or (want == "number" and types == "integer"):
                return member
            if want == "object" and types is None and "properties" in member:
                return member
        return members[0] if len(members) == 1 else {}

    def model_properties(self, model: Any) -> dict[str, dict[str, Any]]:
        """Property name -> raw schema for a model, allOf parts included."""
        found: dict[str, dict[str, Any]] = {}

        def collect(node: dict[str, Any], depth: int) -> None:
            node = self.resolve(node)
            for name, schema in (node.get("properties") or {}).items():
                found.setdefault(name, schema)
            if depth < 10:
                for part in node.get("allOf") or ():
                    collect(part, depth + 1)

        collect(model.data.model_dump(mode="json", by_alias=True, exclude_none=True), 0)
        return found

    def _parameter_schema(self, endpoint: Any, prop: Any, location: str) -> dict[str, Any]:
        path_item = self.resolve(self.spec.get("paths", {}).get(_raw(endpoint.path), {}))
        operation = path_item.get(str(endpoint.method).lower(), {})
        for parameter in [*(path_item.get("parameters") or ()), *(operation.get("parameters") or ())]:
            parameter = self.resolve(parameter)
            if parameter.get("name") == _raw(prop.name) and parameter.get("in") == location:
                return parameter.get("schema") or {}
        return {}

    # --- checks on what callers build ------------------------------------------------------------------------

    def check(self, prop: Any, node: dict[str, Any], *, optional: bool = False) -> str:
        """A ``_c`` check expression for values of ``prop`` (``optional``: UNSET allowed too)."""
        inner = self._check(prop, self.resolve(node))
        return f"_c.one_of(_c.unset, {inner})" if optional else inner

    def _check(self, prop: Any, node: dict[str, Any]) -> str:
        name = type(prop).__name__
        if name == "StringProperty":
            member = self._member_for(node, prop)
            rules = []
            for key, arg in (("minLength", "min_length"), ("maxLength", "max_length"), ("pattern", "pattern")):
                if member.get(key) is not None:
                    rules.append(f"{arg}={member[key]!r}")
            if member.get("format") in ("email", "uri"):
                rules.append(f"fmt={member['format']!r}")
            return f"_c.string({', '.join(rules)})"
        if name in ("EnumProperty", "ModelProperty"):
            cls = prop.class_info.name
            if name == "EnumProperty":
                values = ", ".join(repr(v) for v in prop.values.values())
                return f"_c.instance({cls}, {f'one of {values} (or a {cls} member)'!r})"
            return f"_c.instance({cls})"
        if name == "ListProperty":
            items = self._member_for(node, prop).get("items") or {}
            return f"_c.list_of({self._check(prop.inner_property, self.resolve(items))})"
        if name == "UnionProperty":
            choices = [self._check(p, self.resolve(self._member_for(node, p))) for p in prop.inner_properties]
            return f"_c.one_of({', '.join(choices)})"
        simple = {
            "IntProperty": "_c.integer",
            "FloatProperty": "_c.number",
            "BooleanProperty": "_c.boolean",
            "DateTimeProperty": "_c.aware_datetime",
            "DateProperty": "_c.date_only",
            "NoneProperty": "_c.null",
        }
        return simple.get(name, "_c.anything")

    def field_check(self, model: Any, prop: Any) -> str:
        node = self.model_properties(model).get(_raw(prop.name), {})
        return self.check(prop, node, optional=not prop.required)

    def parameter_check(self, endpoint: Any, prop: Any, location: str) -> str:
        return self.check(prop, self._parameter_schema(endpoint, prop, location), optional=not prop.required)

    # --- enum arguments: the member or its plain value ---------------------------------------------------------

    @staticmethod
    def enum_of(prop: Any) -> Any:
        """The EnumProperty a field or parameter holds directly (alone or beside None), else None."""
        if type(prop).__name__ == "EnumProperty" and prop.value_type is str:
            return prop
        if type(prop).__name__ == "UnionProperty":
            enums = [p for p in prop.inner_properties if type(p).__name__ == "EnumProperty" and p.value_type is str]
            others = [p for p in prop.inner_properties if type(p).__name__ not in ("EnumProperty", "NoneProperty")]
            if len(enums) == 1 and not others:
                return enums[0]
        return None

    @staticmethod
    def enum_items_of(prop: Any) -> Any:
        """The str EnumProperty of a list's items (a list alone or beside None), else None."""
        lists = [prop] if type(prop).__name__ == "ListProperty" else []
        if type(prop).__name__ == "UnionProperty":
            lists = [p for p in prop.inner_properties if type(p).__name__ == "ListProperty"]
        if len(lists) == 1:
            return Codegen.enum_of(lists[0].inner_property)
        return None

    @staticmethod
    def enum_literal(prop: Any) -> str:
        """``Literal["sms", "email"]`` for a str enum's values, for signatures that accept the plain value."""
        return f"Literal[{', '.join(repr(v) for v in prop.values.values())}]"

    # --- parsing answers ---------------------------------------------------------------------------------------

    def field_parse(self, model_name: str, prop: Any, source: str) -> str:
        """Statements that set ``prop.python_name`` from ``source`` (``UNSET`` when absent and not required)."""
        target = str(prop.python_name)
        field = repr(str(_raw(prop.name)))
        declared = f"{target}: {prop.get_type_string().as_unembedded_code()}"
        body = self._parse(prop, source, target, model_name, field, [0, target])
        if prop.required:
            return "\n".join([declared, *body])
        return "\n".join([declared, f"if {source} is UNSET:", f"    {target} = UNSET", "else:", *_indent(body)])

    def value_parse(self, model_name: str, prop: Any, source: str, target: str) -> str:
        """Statements that set ``target`` (already declared) from ``source`` for a whole answer body."""
        return "\n".join(self._parse(prop, source, target, model_name, "''", [0, target]))

    def _parse(self, prop: Any, src: str, dst: str, model: str, field: str, counter: list[Any]) -> list[str]:
        """Statements that parse ``src`` into ``dst``; ``counter`` (number, field name) names the temporaries."""
        name = type(prop).__name__
        m = repr(model)
        if name in ("StringProperty", "IntProperty", "FloatProperty", "BooleanProperty", "NoneProperty"):
            kind = _kind(prop)
            test = _KIND_TEST[kind].format(v=src)
            lines = [f"if not ({test}):", f"    raise _c.wrong({m}, {field}, {_KIND_TEXT[kind]!r}, {src})"]
            return lines if src == dst else [*lines, f"{dst} = {src}"]
        if name == "DateTimeProperty":
            return [f"{dst} = _c.parse_datetime({src}, {m}, {field})"]
        if name == "DateProperty":
            return [f"{dst} = _c.parse_date({src}, {m}, {field})"]
        if name == "EnumProperty":
            cls = prop.class_info.name
            lookup = "str" if prop.value_type is str else "int"
            return [  # the common case, a known value, is a dict look-up; the helper handles the rest
                f"if type({src}) is {lookup} and (_member := {cls}._value2member_map_.get({src})) is not None:",
                f"    {dst} = _member  # type: ignore[assignment]",
                "else:",
                f"    {dst} = _c.enum_from_wire({cls}, {src}, {m}, {field})",
            ]
        if name == "ModelProperty":
            if field == "''":  # the whole answer: the model's own error already names it
                return [f"{dst} = {prop.class_info.name}.from_dict({src})"]
            return [
                "try:",
                f"    {dst} = {prop.class_info.name}.from_dict({src})",
                "except ResponseValidationError as exc:",
                f"    raise exc.nested({m}, {field}) from None",
            ]
        if name == "ListProperty" and type(prop.inner_property).__name__ == "ModelProperty":
            cls = prop.inner_property.class_info.name
            return [  # a comprehension; only a failure walks the list again to name the item
                f"if not isinstance({src}, list):",
                f"    raise _c.wrong({m}, {field}, 'an array', {src})",
                "try:",
                f"    {dst} = [{cls}.from_dict(_item) for _item in {src}]",
                "except ResponseValidationError:",
                f"    raise _c.item_error({src}, {cls}.from_dict, {m}, {field}) from None",
            ]
        if name == "ListProperty":
            counter[0] += 1
            n = f"_{counter[1]}_{counter[0]}"
            items, item, value = f"{n}_items", f"{n}_item", f"{n}_value"
            item_field = f'{field} + f"[{{len({items})}}]"'
            return [
                f"if not isinstance({src}, list):",
                f"    raise _c.wrong({m}, {field}, 'an array', {src})",
                f"{items}: list[Any] = []",
                f"{value}: Any",
                f"for {item} in {src}:",
                *_indent(self._parse(prop.inner_property, item, value, model, item_field, counter)),
                f"    {items}.append({value})",
                f"{dst} = {items}",
            ]
        if name == "UnionProperty":
            return self._parse_union(prop, src, dst, model, field, counter)
        return [] if src == dst else [f"{dst} = {src}"]  # AnyProperty and anything else: kept as it came

    def _parse_union(self, prop: Any, src: str, dst: str, model: str, field: str, counter: list[Any]) -> list[str]:
        by_kind: dict[str, list[Any]] = {}
        for member in prop.inner_properties:
            by_kind.setdefault(_kind(member), []).append(member)
        lines: list[str] = []
        for kind, members in by_kind.items():
            if kind == "any":
                continue
            keyword = "if" if not lines else "elif"
            lines.append(f"{keyword} {_KIND_TEST[kind].format(v=src)}:")
            if len(members) == 1 and type(members[0]).__name__ in _CHECKED_BY_KIND:
                lines += _indent([f"{dst} = {src}"])  # the kind test above is the whole check
                continue
            attempt = self._parse(members[-1], src, dst, model, field, counter)
            for member in reversed(members[:-1]):  # same JSON kind: try each in spec order
                first = self._parse(member, src, dst, model, field, counter)
                attempt = ["try:", *_indent(first), "except ResponseValidationError:", *_indent(attempt)]
            lines += _indent(attempt)
        if "any" in by_kind:
            lines += ["else:", f"    {dst} = {src}"] if lines else [f"{dst} = {src}"]
        else:
            expected = " or ".join(
                str(p.class_info.name) if type(p).__name__ == "ModelProperty" else _KIND_TEXT[_kind(p)]
                for p in prop.inner_properties
            )
            lines += ["else:", f"    raise _c.wrong({model!r}, {field}, {expected!r}, {src})"]
        return lines


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def declaration(prop: Any) -> str:
    """A parameter's declaration, like the generator's own, that also accepts an enum's plain values."""
    type_string = str(prop.get_type_string().as_unembedded_code())
    enum = Codegen.enum_of(prop)
    if enum is not None:
        type_string += " | " + Codegen.enum_literal(enum)
    item_enum = Codegen.enum_items_of(prop)
    if item_enum is not None:
        type_string += f" | list[{item_enum.class_info.name} | {Codegen.enum_literal(item_enum)}]"
    if prop.default is not None:
        default = f" = {prop.default.python_code.as_unembedded_code()}"
    else:
        default = "" if prop.required else " = UNSET"
    return f"{prop.python_name}: {type_string}{default}"


# --- resource groups (templates/endpoint_init.py.jinja) ------------------------------------------------------------

PAGE_PARAMETERS = ("page_index", "page_size")


def group_class(tag: str) -> str:
    """The class of a tag's group: ``practice_group`` -> ``PracticeGroupAPI``."""
    return "".join(part.capitalize() for part in str(tag).split("_")) + "API"


def _ok_responses(endpoint: Any) -> list[Any]:
    return [r for r in endpoint.responses.patterns if r.status_code.range[0] >= 200 and r.status_code.range[1] <= 299]


def return_type(endpoint: Any) -> str:
    types = sorted({str(r.prop.get_type_string().as_unembedded_code()) for r in _ok_responses(endpoint)})
    return " | ".join(types) if types else "None"


def _body_fields(endpoint: Any) -> list[Any] | None:
    """The properties of a single object body, to pass flat; None when the body cannot be flattened."""
    if len(endpoint.bodies) != 1 or endpoint.bodies[0].body_type != "json":
        return None
    prop = endpoint.bodies[0].prop
    if type(prop).__name__ != "ModelProperty" or not (prop.required_properties or prop.optional_properties):
        return None
    return list(prop.required_properties) + list(prop.optional_properties)


def _flat(prop: Any, name: str) -> str:
    """A flat keyword argument for a body field: optional ones default to UNSET, so the model's defaults apply."""
    type_string = str(prop.get_type_string().as_unembedded_code())
    enum = Codegen.enum_of(prop)
    if enum is not None:
        type_string += " | " + Codegen.enum_literal(enum)
    if prop.required and prop.default is None:
        return f"{name}: {type_string}"
    if "Unset" not in type_string:
        type_string += " | Unset"
    return f"{name}: {type_string} = UNSET"


def group_method(endpoint: Any) -> str:
    """The source of one group method: path parameters positional, body fields and query parameters flat."""
    name = str(endpoint.name)
    module = f"_{name}"
    route = f"{str(endpoint.method).upper()} {_raw(endpoint.path)}"
    returns = return_type(endpoint)
    taken = {str(p.python_name) for p in endpoint.path_parameters + endpoint.query_parameters}
    params = [f"{declaration(p)}" for p in endpoint.path_parameters]
    keywords = [declaration(p) for p in endpoint.query_parameters + endpoint.header_parameters]
    call = [f"{p.python_name}={p.python_name}" for p in endpoint.path_parameters]
    call += [f"{p.python_name}={p.python_name}" for p in endpoint.query_parameters + endpoint.header_parameters]
    body_lines: list[str] = []
    fields = _body_fields(endpoint)
    if endpoint.bodies and fields is not None:
        body = endpoint.bodies[0].prop
        model = str(body.class_info.name)
        pairs = []
        for field in fields:
            argument = str(field.python_name)
            if argument in taken or argument in ("self", "body"):
                argument = f"body_{argument}"
            keywords.append(_flat(field, argument))
            pairs.append(f'"{field.python_name}": {argument}')
        fields_dict = "{" + ", ".join(pairs) + "}"
        if body.required:
            body_lines.append(f"body = {model}(**_g.given({fields_dict}))")
        else:
            body_lines += [
                f"_fields = _g.given({fields_dict})",
                f"body: {model} | Unset = {model}(**_fields) if _fields else UNSET",
            ]
        call.append("body=body")
    elif endpoint.bodies:
        body = endpoint.bodies[0].prop
        type_string = " | ".join(
            str(b.prop.get_type_string(no_optional=True).as_unembedded_code()) for b in endpoint.bodies
        )
        keywords.insert(0, f"body: {type_string}" + ("" if body.required else " | Unset = UNSET"))
        call.append("body=body")
    signature = ", ".join(["self", *params, *(["*", *keywords] if keywords else [])])
    summary = str(_raw(endpoint.summary) or name).strip().replace('"""', "'''").replace("\\", "\\\\")
    lines = [
        f"@_g.operation({route!r}, {returns!r})",
        f"async def {name}({signature}) -> Response[{returns}]:",
        f'    """{summary}: ``{route}``. Await it for the answer; ``.raw(...)`` gives the whole Response."""',
        *["    " + line for line in body_lines],
        f"    return await {module}.asyncio_detailed({', '.join(['client=self._client', *call])})",
    ]
    return "\n".join(lines)


def _page_items(endpoint: Any) -> Any:
    """The item property of a paginated list's ``data``, or None when the operation is not one."""
    names = {str(p.python_name) for p in endpoint.query_parameters}
    oks = _ok_responses(endpoint)
    if not set(PAGE_PARAMETERS) <= names or len(oks) != 1 or type(oks[0].prop).__name__ != "ModelProperty":
        return None
    for prop in list(oks[0].prop.required_properties) + list(oks[0].prop.optional_properties):
        if str(_raw(prop.name)) != "data":
            continue
        candidates = prop.inner_properties if type(prop).__name__ == "UnionProperty" else [prop]
        for candidate in candidates:
            if type(candidate).__name__ == "ListProperty":
                return candidate.inner_property
    return None


def iterator_name(endpoint: Any) -> str:
    name = str(endpoint.name)
    return "iter_" + (name[len("list_") :] if name.startswith("list_") else name)


def group_iterator(endpoint: Any) -> str:
    """The ``iter_...`` method of a paginated list operation, or "" for any other operation."""
    item = _page_items(endpoint)
    if item is None:
        return ""
    name = str(endpoint.name)
    item_type = str(item.get_type_string().as_unembedded_code())
    others = [p for p in endpoint.query_parameters if str(p.python_name) not in PAGE_PARAMETERS]
    keywords = ["page_size: int = 100", "first_page: int = 0", *(declaration(p) for p in others)]
    page_types = {
        str(p.python_name): str(p.get_type_string(no_optional=True).as_unembedded_code())
        for p in endpoint.query_parameters
    }
    convert = {n: ("str({})" if page_types[n] == "str" else "{}") for n in PAGE_PARAMETERS}
    call = [
        "client=self._client",
        f"page_index={convert['page_index'].format('index')}",
        f"page_size={convert['page_size'].format('size')}",
        *(f"{p.python_name}={p.python_name}" for p in others),
    ]
    returns = return_type(endpoint)
    positional = [declaration(p) for p in endpoint.path_parameters]
    call = [str(p.python_name) for p in endpoint.path_parameters] + call
    signature = ", ".join(["self", *positional, "*", *keywords])
    owner = group_class(endpoint.tags[0] if endpoint.tags else "")
    lines = [
        f"def {iterator_name(endpoint)}({signature}) -> AsyncIterator[{item_type}]:",
        f'    """Every item of ``{name}``, page after page as the loop goes; stops at ``count`` or a short page."""',
        "",
        f"    async def fetch(index: int, size: int) -> tuple[list[{item_type}], object]:",
        f"        answer: {returns} = await self.{name}({', '.join(c for c in call if not c.startswith('client='))})",
        "        items = answer.data if isinstance(answer.data, list) else []",
        '        return items, getattr(answer, "count", None)',
        "",
        f'    return _g.paginate(fetch, page_size, first_page, "{owner}.{iterator_name(endpoint)}")',
    ]
    return "\n".join(lines)


def group_imports(endpoints: list[Any]) -> list[str]:
    """Imports a group module needs beyond its endpoints' own: body field and list item types."""
    found: set[str] = set()
    for endpoint in endpoints:
        found |= set(endpoint.relative_imports)
        props = [*(_body_fields(endpoint) or ()), _page_items(endpoint)]
        for prop in props:
            if prop is not None:  # the generator keeps model imports of lists and unions apart, as "lazy"
                found |= set(prop.get_imports(prefix="...")) | set(prop.get_lazy_imports(prefix="..."))
    return sorted(line for line in found if line.startswith("from ..."))


def coverage(spec: dict[str, Any], endpoint: Any) -> str:
    """The operation's ``x-coverage`` in openapi.yaml (how fully Hero's documentation describes it)."""
    path_item = spec.get("paths", {}).get(_raw(endpoint.path), {})
    operation = path_item.get(str(endpoint.method).lower(), {}) if isinstance(path_item, dict) else {}
    return str(operation.get("x-coverage", "")) if isinstance(operation, dict) else ""


# --- what the testing kit's FakeHero answers (templates/examples.py.jinja) ---------------------------------------

_PLACEHOLDER_STRINGS = {
    "date-time": "2026-03-29T09:30:00Z",  # the morning the clocks go forward: 10:30 BST in London
    "date": "2026-03-29",
    "email": "patient@example.com",
    "uri": "https://example.com/hero",
    "uuid": "00000000-0000-4000-8000-000000000001",
}


def _json(value: Any) -> Any:
    """``value`` as JSON would carry it: YAML reads unquoted timestamps as datetimes, the wire has strings."""
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class Examples:
    """Per operation: the success status, an answer body, the request body models and the parameters' schemas.

    The answer is the first of the spec's documented ``examples`` (or its ``example``); where the spec has none it
    is built from the answer schema with every property filled, so that every operation answers something its own
    model parses. Everything returned is a plain JSON value (``$ref``s resolved), for ``repr`` into Python source.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.codegen = Codegen(spec)

    def operation(self, endpoint: Any) -> dict[str, Any]:
        path, method = str(_raw(endpoint.path)), str(endpoint.method).lower()
        operation = self.codegen.resolve(self.codegen.spec.get("paths", {}).get(path, {})).get(method, {})
        status, answer = self._answer(operation)
        models: list[str] = []
        if endpoint.bodies:
            prop = endpoint.bodies[0].prop
            members = prop.inner_properties if type(prop).__name__ == "UnionProperty" else [prop]
            models = [str(m.class_info.name) for m in members if type(m).__name__ == "ModelProperty"]
        body = self.codegen.resolve(operation.get("requestBody") or {})
        return {
            "route": f"{method.upper()} {path}",
            "operation_id": str(endpoint.name),
            "status": status,
            "answer": _json(answer),
            "body_models": tuple(models),
            "body_required": bool(body.get("required")),
            "parameters": tuple(self._parameters(path, operation)),
        }

    def _answer(self, operation: dict[str, Any]) -> tuple[int, Any]:
        for code, response in (operation.get("responses") or {}).items():
            if not str(code).startswith("2"):
                continue
            media = (self.codegen.resolve(response).get("content") or {}).get("application/json")
            if media is None:
                return int(code), None
            for example in (media.get("examples") or {}).values():
                example = self.codegen.resolve(example)
                if "value" in example:
                    return int(code), example["value"]
            if "example" in media:
                return int(code), media["example"]
            return int(code), self.placeholder(media.get("schema") or {})
        return 200, None

    def _parameters(self, path: str, operation: dict[str, Any]) -> list[tuple[str, str, bool, dict[str, Any]]]:
        path_item = self.codegen.resolve(self.codegen.spec.get("paths", {}).get(path, {}))
        found: dict[tuple[str, str], tuple[str, str, bool, dict[str, Any]]] = {}
        for parameter in [*(path_item.get("parameters") or ()), *(operation.get("parameters") or ())]:
            parameter = self.codegen.resolve(parameter)
            if parameter.get("in") not in ("path", "query"):
                continue
            schema = self._plain(parameter.get("schema") or {}, 0)
            required = bool(parameter.get("required")) or parameter["in"] == "path"
            found[(parameter["name"], parameter["in"])] = (parameter["name"], parameter["in"], required, schema)
        return list(found.values())

    def _plain(self, node: Any, depth: int) -> dict[str, Any]:
        """A parameter's schema with ``$ref``s resolved and only what a query string can be checked against."""
        node = self.codegen.resolve(node)
        keep = ("type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "format")
        plain = {key: node[key] for key in keep if key in node}
        if "items" in node and depth < 5:
            plain["items"] = self._plain(node["items"], depth + 1)
        for keyword in ("anyOf", "oneOf"):
            if keyword in node and depth < 5:
                plain["anyOf"] = [self._plain(member, depth + 1) for member in node[keyword]]
        return plain

    def placeholder(self, node: Any, depth: int = 0) -> Any:
        """A JSON value of ``node``'s schema with every property filled: typed placeholders, never invented data."""
        node = self.codegen.resolve(node)
        if depth > 12:
            return None
        if "const" in node:
            return node["const"]
        if node.get("enum"):
            values = [value for value in node["enum"] if value is not None]
            return values[0] if values else None
        if "allOf" in node:
            merged: dict[str, Any] = {}
            for part in node["allOf"]:
                value = self.placeholder(part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        for keyword in ("anyOf", "oneOf"):
            members = [m for m in node.get(keyword) or () if self.codegen.resolve(m).get("type") != "null"]
            if members:
                return self.placeholder(members[0], depth + 1)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in node else "array" if "items" in node else None
        if kind == "object":
            properties = node.get("properties") or {}
            return {name: self.placeholder(schema, depth + 1) for name, schema in properties.items()}
        if kind == "array":
            return [self.placeholder(node.get("items") or {}, depth + 1)]
        if kind == "boolean":
            return False
        if kind in ("integer", "number"):
            return 1
        if kind == "string":
            if node.get("pattern") == r"^\d+$":
                return "1"
            return _PLACEHOLDER_STRINGS.get(str(node.get("format")), "text")
        return None if kind == "null" else {}
