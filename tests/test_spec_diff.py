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
    assert len(diff.operations_added) == 66
    assert diff.models_added == sorted(spec["components"]["schemas"])
