"""scripts/spec_diff.py: one fixture spec pair per rule (tests/fixtures/spec_diff/<case>/), plus odd inputs.

Each case folder holds ``new.yaml``, optionally ``old.yaml`` (``base.yaml`` otherwise), and ``expected.yaml``: the
classification and report lines that must appear. Every fixture is itself a valid OpenAPI document, so the cases
are ones Hero could really publish.
"""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import spec_diff
from scripts.spec_tools import load_spec
from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "spec_diff"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@functools.cache
def _validated(path: Path) -> dict[str, Any]:
    return load_spec(path)


def _load(path: Path) -> dict[str, Any]:
    """A fresh copy of a validated fixture (validation is slow, so each file is validated once)."""
    return copy.deepcopy(_validated(path))


def _pair(case: str) -> tuple[Path, Path]:
    folder = FIXTURES / case
    old = folder / "old.yaml"
    return (old if old.exists() else FIXTURES / "base.yaml"), folder / "new.yaml"


def test_there_is_a_case_per_rule() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_fixture_pair(case: str) -> None:
    old_path, new_path = _pair(case)
    expected = yaml.safe_load((FIXTURES / case / "expected.yaml").read_text(encoding="utf-8"))

    diff = spec_diff.diff_specs(_load(old_path), _load(new_path))
    report = diff.render().splitlines()

    assert report[-1] == f"change: {expected['change']}"
    assert diff.classification == expected["change"]
    lines = [line.strip() for line in report]
    for wanted in expected["lines"]:
        assert wanted in lines, f"{case}: {wanted!r} not in report:\n" + "\n".join(report)
    if expected["change"] == "none":
        assert diff.changes == []


def test_the_command_line_prints_the_report_with_the_class_last() -> None:
    old, new = _pair("operation_removed")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "spec_diff.py"), str(old), str(new)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines()[-1] == "change: breaking"
    assert "breaking  GET /v1/patients/{patientId}: operation removed" in result.stdout


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _pair("optional_parameter_added")
    assert spec_diff.main([str(old), str(new), "--json"]) == 0
    out = yaml.safe_load(capsys.readouterr().out)
    assert out["classification"] == "additive"
    assert out["operations_changed"] == ["GET /v1/patients"]


def test_unreadable_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    assert spec_diff.main([str(bad), str(FIXTURES / "base.yaml")]) == 2
    assert "cannot read a spec" in capsys.readouterr().err


def _base() -> dict[str, Any]:
    return _load(FIXTURES / "base.yaml")


def test_changelog_lists_operations_and_models_added_changed_and_removed() -> None:
    old, new = _base(), _base()
    del new["paths"]["/v1/patients/{patientId}"]
    new["components"]["schemas"]["Address"] = {"type": "object"}
    del new["components"]["schemas"]["Legacy"]
    new["components"]["schemas"]["Relative"]["properties"]["age"] = {"type": "integer"}

    diff = spec_diff.diff_specs(old, new)

    assert diff.operations_removed == ["GET /v1/patients/{patientId}"]
    assert diff.models_added == ["Address"]
    assert diff.models_removed == ["Legacy"]
    assert diff.models_changed == ["Relative"]
    # Relative is reached through Patient, which both remaining operations return
    assert diff.operations_changed == ["GET /v1/patients", "POST /v1/patients"]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("paths"),
        lambda d: d.update(paths=None, components=None),
        lambda d: d.update(paths=[]),
        lambda d: d["components"]["schemas"].update(Loop={"$ref": "#/components/schemas/Loop"}),
        lambda d: d["components"]["schemas"].update(
            A={"allOf": [{"$ref": "#/components/schemas/B"}]}, B={"allOf": [{"$ref": "#/components/schemas/A"}]}
        ),
        lambda d: d["components"]["schemas"].update(
            A={"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "null"}]},
            B={"oneOf": [{"$ref": "#/components/schemas/A"}, {"type": "string"}]},
        ),
        lambda d: d["components"]["schemas"]["Patient"]["properties"].update(
            x={"$ref": "#/components/schemas/Missing"}
        ),
        lambda d: d["components"]["schemas"]["Patient"]["properties"].update(x={"$ref": "other.yaml#/Thing"}),
        lambda d: d["components"]["schemas"]["Patient"].update(required="name", allOf={"not": "a list"}),
        lambda d: d["paths"]["/v1/patients"]["get"].update(parameters={"name": "odd"}, responses=None),
        lambda d: d["components"]["schemas"]["Patient"]["properties"].update(
            flag=True, enum_of_objects={"enum": [{"a": 1}, [2], None]}
        ),
    ],
)
def test_odd_inputs_never_crash(mutate: Any) -> None:
    before, after = _base(), _base()
    mutate(after)
    for old, new in ((before, after), (after, before), (after, copy.deepcopy(after))):
        report = spec_diff.diff_specs(old, new).render()
        assert report.splitlines()[-1] in {"change: breaking", "change: additive", "change: none"}


def test_cycles_across_both_documents_terminate_and_still_see_deep_changes() -> None:
    old, new = _base(), _base()
    for doc in (old, new):
        doc["components"]["schemas"]["Relative"]["properties"]["parent"] = {"$ref": "#/components/schemas/Patient"}
    new["components"]["schemas"]["Patient"]["properties"]["family"]["items"] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "integer"},
            "relatives": {"type": "array", "items": {"$ref": "#/components/schemas/Relative"}},
        },
    }
    diff = spec_diff.diff_specs(old, new)
    assert "breaking  Patient.family[] (now inline, was Relative).name: type string -> integer (changed)" in [
        c.line() for c in diff.changes
    ]


def test_the_committed_spec_against_itself_is_no_change() -> None:
    spec = _load(REPO_ROOT / "openapi.yaml")
    diff = spec_diff.diff_specs(spec, _load(REPO_ROOT / "openapi.yaml"))
    assert diff.classification == "none"


def test_every_operation_of_the_committed_spec_is_added_from_nothing() -> None:
    spec = _load(REPO_ROOT / "openapi.yaml")
    diff = spec_diff.diff_specs(None, spec)
    assert diff.classification == "additive"
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    expected = sorted(f"{m.upper()} {path}" for path, item in spec["paths"].items() for m in item if m in methods)
    assert sorted(diff.operations_added) == expected
    assert diff.models_added == sorted(spec["components"]["schemas"])


# -- more pairs, written inline: equivalent spellings, shared components, and the direction rules -----------------


def _doc(
    schemas: dict[str, Any],
    req: dict[str, Any] | None = None,
    resp: dict[str, Any] | None = None,
    params: list[Any] | None = None,
    version: str = "3.1.0",
) -> dict[str, Any]:
    body = {"schema": resp or {"$ref": "#/components/schemas/Out"}}
    op: dict[str, Any] = {
        "operationId": "op",
        "responses": {"200": {"description": "ok", "content": {"application/json": body}}},
    }
    if req is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": req}}}
    if params is not None:
        op["parameters"] = params
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": op}},
        "components": {"schemas": schemas},
    }


def _inline_cases() -> list[Any]:
    cases: list[Any] = []

    def _case(name: str, old: dict[str, Any], new: dict[str, Any], want: str) -> None:
        cases.append(pytest.param(old, new, want, id=name))

    doc = _doc

    def R(n: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{n}"}

    base = {
        "Out": {"type": "object", "properties": {"a": {"type": "string"}}},
        "In": {"type": "object", "properties": {"b": {"type": "string"}}},
    }
    s30 = copy.deepcopy(base)
    s30["Out"]["properties"]["a"] = {"type": "string", "nullable": True}
    s31 = copy.deepcopy(base)
    s31["Out"]["properties"]["a"] = {"type": ["string", "null"]}
    _case("3.0 nullable == 3.1 type list", doc(s30, version="3.0.3"), doc(s31), "none")
    s_any = copy.deepcopy(base)
    s_any["Out"]["properties"]["a"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    _case("anyOf [x,null] == type list", doc(s31), doc(s_any), "none")
    _case("response gains null via anyOf", doc(base), doc(s_any), "breaking")
    _case(
        "request gains null via anyOf",
        doc(base, req=R("In")),
        doc(
            {**base, "In": {"type": "object", "properties": {"b": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}},
            req=R("In"),
        ),
        "additive",
    )
    o = doc(base)
    n = doc(base)
    n["info"]["description"] = "new words"
    _case("info description only", o, n, "additive")
    p_old = doc(base, params=[{"$ref": "#/components/parameters/Page"}])
    p_old["components"]["parameters"] = {"Page": {"name": "page", "in": "query", "schema": {"type": "integer"}}}
    p_new = copy.deepcopy(p_old)
    p_new["components"]["parameters"]["Page"]["required"] = True
    _case("components/parameters becomes required", p_old, p_new, "breaking")
    p_new2 = copy.deepcopy(p_old)
    p_new2["components"]["parameters"]["Page"]["schema"] = {"type": "integer", "enum": [1, 2]}
    _case("param gains enum (narrow)", p_old, p_new2, "breaking")
    node = {"Out": {"type": "object", "properties": {"children": {"type": "array", "items": R("Out")}}}}
    node2 = copy.deepcopy(node)
    node2["Out"]["properties"]["extra"] = {"type": "string"}
    _case("recursive response optional add", doc(node), doc(node2), "additive")
    node3 = copy.deepcopy(node)
    node3["Out"]["properties"]["children"]["items"] = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": R("Out")}},
        "required": ["children"],
    }
    _case("recursive inline unroll, response optional->required", doc(node), doc(node3), "additive")
    one = {
        **base,
        "A": {"type": "object", "properties": {"x": {"type": "string"}}},
        "B": {"type": "object", "properties": {"y": {"type": "integer"}}},
    }
    _case(
        "request body oneOf gains member",
        doc(one, req={"oneOf": [R("A")]}),
        doc(one, req={"oneOf": [R("A"), R("B")]}),
        "additive",
    )
    _case(
        "response oneOf gains member",
        doc(one, resp={"oneOf": [R("A")]}),
        doc(one, resp={"oneOf": [R("A"), R("B")]}),
        "breaking",
    )
    _case(
        "response oneOf loses member",
        doc(one, resp={"oneOf": [R("A"), R("B")]}),
        doc(one, resp={"oneOf": [R("A")]}),
        "additive",
    )
    _case(
        "request oneOf loses member",
        doc(one, req={"oneOf": [R("A"), R("B")]}),
        doc(one, req={"oneOf": [R("A")]}),
        "breaking",
    )
    _case(
        "allOf[ref]+description == ref",
        doc(one, resp={"allOf": [R("A")], "description": "d"}),
        doc(one, resp=R("A")),
        "additive",
    )
    _case("allOf[ref] == ref", doc(one, resp={"allOf": [R("A")]}), doc(one, resp=R("A")), "none")
    e = {**base, "E1": {"type": "string", "enum": ["a", "b"]}, "E2": {"type": "string", "enum": ["a"]}}
    _case("response ref retarget to narrower enum", doc(e, resp=R("E1")), doc(e, resp=R("E2")), "additive")
    _case("request ref retarget to narrower enum", doc(e, req=R("E1")), doc(e, req=R("E2")), "breaking")
    rq = {
        **base,
        "In2": {"type": "object", "required": ["c"], "properties": {"b": {"type": "string"}, "c": {"type": "string"}}},
    }
    _case("request retarget to schema with extra required", doc(rq, req=R("In")), doc(rq, req=R("In2")), "breaking")
    _case("response retarget to schema with extra required", doc(rq, resp=R("In")), doc(rq, resp=R("In2")), "additive")
    w = copy.deepcopy(base)
    w["In"]["properties"]["b"] = {"type": ["string", "integer"]}
    _case("request type widened via list", doc(base, req=R("In")), doc(w, req=R("In")), "additive")
    _case("request type narrowed via list", doc(w, req=R("In")), doc(base, req=R("In")), "breaking")
    _case("response type widened via list", doc(base, resp=R("In")), doc(w, resp=R("In")), "breaking")
    _case("response type narrowed via list", doc(w, resp=R("In")), doc(base, resp=R("In")), "additive")
    pi_old = doc(base)
    pi_old["paths"]["/y"] = {"$ref": "#/components/pathItems/Y"}
    pi_old["components"]["pathItems"] = {
        "Y": {"get": {"operationId": "y", "responses": {"200": {"description": "ok"}}}}
    }
    pi_new = copy.deepcopy(pi_old)
    del pi_new["components"]["pathItems"]["Y"]["get"]
    _case("path item ref op removed", pi_old, pi_new, "breaking")
    ap = copy.deepcopy(base)
    ap["In"]["additionalProperties"] = False
    _case("request additionalProperties false", doc(base, req=R("In")), doc(ap, req=R("In")), "breaking")
    mr = copy.deepcopy(base)
    mr["Extra"] = {"type": "object"}
    _case("model added", doc(base), doc(mr), "additive")
    _case("model removed", doc(mr), doc(base), "breaking")
    desc = copy.deepcopy(base)
    desc["Out"]["properties"]["a"]["description"] = "hello"
    _case("field description", doc(base), doc(desc), "additive")
    fm = copy.deepcopy(base)
    fm["Out"]["properties"]["a"]["format"] = "date-time"
    _case("format date-time added (response)", doc(base), doc(fm), "breaking")
    _case(
        "no paths at all",
        {"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "webhooks": {}},
        {"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "webhooks": {}},
        "none",
    )
    # response required -> nullable for required field
    rn = copy.deepcopy(base)
    rn["Out"]["required"] = ["a"]
    rn2 = copy.deepcopy(rn)
    rn2["Out"]["properties"]["a"] = {"type": ["string", "null"]}
    _case("response required becomes nullable", doc(rn), doc(rn2), "breaking")
    # op method changed
    m_old = doc(base)
    m_new = doc(base)
    m_new["paths"]["/x"]["put"] = m_new["paths"]["/x"].pop("post")
    _case("method changed", m_old, m_new, "breaking")
    # ops without operationId path change
    noid_old = doc(base)
    del noid_old["paths"]["/x"]["post"]["operationId"]
    noid_new = copy.deepcopy(noid_old)
    noid_new["paths"]["/z"] = noid_new["paths"].pop("/x")
    _case("path changed no operationId", noid_old, noid_new, "breaking")
    return cases


@pytest.mark.parametrize(("old", "new", "want"), _inline_cases())
def test_inline_pair(old: dict[str, Any], new: dict[str, Any], want: str) -> None:
    diff = spec_diff.diff_specs(old, new)
    assert diff.classification == want, diff.render()
