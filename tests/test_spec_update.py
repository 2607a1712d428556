"""The spec-update job (scripts/spec_update.py): its pieces, and a rehearsal of the whole job.

The rehearsal copies the repository (without .venv, node_modules and .git) into a temporary folder, serves a
modified openapi.yaml from a loopback HTTP server, and runs the job's own script there end to end, as the workflow
does. It then checks the generated code, the changelog, the version, the report and the workflow outputs that
change should give: one additive change, one breaking change with a failing suite, and one run with no change.
The real worktree is never touched.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import hero_health_client
from scripts import spec_update
from scripts.spec_diff import diff_specs
from tests.conftest import REPO_ROOT

DATE = "2026-01-02"
LEFT_OUT = {".venv", "node_modules", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache", "bench"}


# -- the pieces ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "change", "expected"),
    [
        ("0.1.0", "breaking", "0.2.0"),
        ("0.1.3", "breaking", "0.2.0"),
        ("0.1.3", "additive", "0.1.4"),
        ("0.1.3", "none", "0.1.4"),
        ("1.4.2", "breaking", "2.0.0"),
        ("1.4.2", "additive", "1.5.0"),
        ("1.4.2", "none", "1.4.3"),
    ],
)
def test_version_rule(version: str, change: str, expected: str) -> None:
    assert spec_update.bump_version(version, change) == expected


def test_a_version_it_cannot_bump_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"version: expected MAJOR\.MINOR\.PATCH"):
        spec_update.bump_version("1.0.0rc1", "additive")


def test_the_project_version_is_read_and_written_in_the_project_table_only() -> None:
    text = '[build-system]\nversion = "9"\n\n[project]\nname = "x"\nversion = "0.1.0"\n\n[tool.x]\nversion = "7"\n'
    assert spec_update.read_version(text) == "0.1.0"
    assert spec_update.write_version(text, "0.2.0") == text.replace('version = "0.1.0"', 'version = "0.2.0"')
    with pytest.raises(ValueError, match=r"pyproject\.toml: expected a version"):
        spec_update.read_version("[project]\nname = 'x'\n")


def test_the_changelog_entry_goes_above_the_newest_release() -> None:
    text = spec_update.CHANGELOG_HEADER + "\n## [0.1.0] - 2026-01-01\n\n- First.\n"
    result = spec_update.insert_changelog(text, "## [0.1.1] - 2026-01-02\n\n- Next.\n")
    assert result.index("## [Unreleased]") < result.index("## [0.1.1]") < result.index("## [0.1.0]")
    assert spec_update.insert_changelog(None, "## [0.1.1] - x\n").startswith("# Changelog")


def test_the_sdk_says_which_spec_it_was_generated_from() -> None:
    spec = (REPO_ROOT / "openapi.yaml").read_bytes()
    assert hashlib.sha256(spec).hexdigest() == hero_health_client.SPEC_SHA256
    assert str(yaml.safe_load(spec)["info"]["version"]) == hero_health_client.SPEC_VERSION


def test_the_changelog_names_what_was_added_changed_and_removed() -> None:
    old = yaml.safe_load((REPO_ROOT / "tests/fixtures/spec_diff/base.yaml").read_text(encoding="utf-8"))
    new = yaml.safe_load((REPO_ROOT / "tests/fixtures/spec_diff/base.yaml").read_text(encoding="utf-8"))
    del new["paths"]["/v1/patients/{patientId}"]
    new["components"]["schemas"]["Address"] = {"type": "object"}
    new["components"]["schemas"]["Patient"]["required"].remove("name")

    entry = spec_update.changelog_entry(diff_specs(old, new), version="0.2.0", date=DATE, spec_sha256="ab" * 32)

    assert entry.startswith(f"## [0.2.0] - {DATE}\n")
    assert "Change: **breaking**." in entry
    added, rest = entry.split("### Added", 1)[1].split("### Changed", 1)
    changed, removed = rest.split("### Removed", 1)
    assert "- Model `Address`." in added
    assert "- Model `Patient`." in changed and "**Breaking:** `Patient.name`: required -> optional." in changed
    assert "- Operation `GET /v1/patients/{patientId}`." in removed


def test_outputs_go_to_the_github_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(target))
    spec_update.write_outputs({"changed": "true", "title": "a\nb"})
    assert target.read_text(encoding="utf-8") == "changed=true\ntitle=a b\n"


# -- the rehearsal ---------------------------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL of openapi.yaml, the file it serves), on loopback."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/openapi.yaml", root / "openapi.yaml"
    server.shutdown()
    server.server_close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the repository to run the job in."""
    copy = tmp_path / "repo"
    shutil.copytree(
        REPO_ROOT,
        copy,
        ignore=lambda folder, names: [
            n for n in names if (Path(folder) == REPO_ROOT and n in LEFT_OUT) or n == "__pycache__"
        ],
    )
    return copy


def _spec() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO_ROOT / "openapi.yaml").read_text(encoding="utf-8")))


def _run_job(repo: Path, url: str, test_command: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    outputs = repo.parent / "github_output"
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "scripts" / "spec_update.py"),
            "--url",
            url,
            "--test-command",
            test_command,
            "--report",
            str(repo.parent / "report.md"),
            "--date",
            DATE,
        ],
        cwd=repo,
        env={**os.environ, "GITHUB_OUTPUT": str(outputs)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = outputs.read_text(encoding="utf-8").splitlines() if outputs.exists() else []
    return result, dict(line.split("=", 1) for line in lines)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _generated_changes(repo: Path) -> tuple[set[str], set[str], set[str]]:
    """(added, removed, changed) files of the copy's generated package against the real one."""
    before = _tree(REPO_ROOT / "hero_health_client" / "generated")
    after = _tree(repo / "hero_health_client" / "generated")
    changed = {name for name in before.keys() & after.keys() if before[name] != after[name]}
    return after.keys() - before.keys(), before.keys() - after.keys(), changed


def _spec_info(repo: Path) -> dict[str, str]:
    namespace: dict[str, Any] = {}
    exec((repo / "hero_health_client" / "generated" / "_spec_info.py").read_text(encoding="utf-8"), namespace)
    return {"version": namespace["SPEC_VERSION"], "sha256": namespace["SPEC_SHA256"]}


def _version(repo: Path) -> str:
    return spec_update.read_version((repo / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.rehearsal
def test_rehearsal_additive_change(repo: Path, served: tuple[str, Path]) -> None:
    url, served_file = served
    spec = _spec()
    spec["info"]["version"] = "1.1.0"
    status = {**spec["paths"]["/v1/partners/heidi/token"]["get"], "operationId": "getHeidiStatus"}
    spec["paths"]["/v1/partners/heidi/status"] = {"get": status}
    spec["components"]["schemas"]["HeidiToken"]["properties"]["scopes"] = {"type": "array", "items": {"type": "string"}}
    served_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    # the suite the job runs here: the new operation's module imports from the regenerated package in the copy
    probe = "import hero_health_client as h, hero_health_client.generated.api.partners.get_heidi_status; "
    probe += "assert h.SPEC_VERSION == '1.1.0', h.__file__"
    real_spec = (REPO_ROOT / "openapi.yaml").read_bytes()

    result, outputs = _run_job(repo, url, f'{sys.executable} -c "{probe}"')

    assert outputs["changed"] == "true"
    assert outputs["change"] == "additive"
    assert outputs["tests"] == "passed" and outputs["draft"] == "false", result.stdout
    assert outputs["version"] == "0.1.1" == _version(repo)
    assert outputs["title"] == "Hero API spec 1.1.0 (additive): SDK 0.1.1"
    # the spec and the generated code
    assert (repo / "openapi.yaml").read_bytes() == served_file.read_bytes()
    assert _spec_info(repo) == {"version": "1.1.0", "sha256": hashlib.sha256(served_file.read_bytes()).hexdigest()}
    added, removed, changed = _generated_changes(repo)
    assert added == {"api/partners/get_heidi_status.py"}
    assert removed == set()
    assert {"_spec_info.py", "models/heidi_token.py", "api/__init__.py"} <= changed
    assert "scopes" in (repo / "hero_health_client/generated/models/heidi_token.py").read_text(encoding="utf-8")
    assert "/v1/partners/heidi/status" in (
        repo / "hero_health_client/generated/api/partners/get_heidi_status.py"
    ).read_text(encoding="utf-8")
    # the changelog, above the previous release
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog[changelog.index(f"## [0.1.1] - {DATE}") : changelog.index("## [0.1.0]")]
    assert "Change: **additive**." in entry
    assert "- Operation `GET /v1/partners/heidi/status`." in entry.split("### Added")[1]
    assert "- Model `HeidiToken`." in entry.split("### Changed")[1]
    assert "### Removed" not in entry
    # the pull request body
    report = (repo.parent / "report.md").read_text(encoding="utf-8")
    assert report.startswith("## Hero API spec update: additive\n")
    assert "- `GET /v1/partners/heidi/status`: operation added" in report
    assert "- `HeidiToken.scopes`: optional field added" in report
    assert "\nchange: additive\n```" in report
    assert "[!WARNING]" not in report
    # the real worktree is untouched
    assert (REPO_ROOT / "openapi.yaml").read_bytes() == real_spec


@pytest.mark.rehearsal
def test_rehearsal_breaking_change_with_a_failing_suite(repo: Path, served: tuple[str, Path]) -> None:
    url, served_file = served
    spec = _spec()
    del spec["paths"]["/v1/partners/heidi/token"]
    spec["components"]["schemas"]["HeidiToken"]["required"].remove("token")
    served_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    # a real part of the suite, which counts the operations: it fails now that one is gone
    suite = f"{sys.executable} -m pytest -q -p no:cacheprovider tests/test_generated.py"

    result, outputs = _run_job(repo, url, suite)

    assert outputs["change"] == "breaking"
    assert outputs["tests"] == "failed" and outputs["draft"] == "true", result.stdout
    assert outputs["version"] == "0.2.0" == _version(repo)
    added, removed, changed = _generated_changes(repo)
    assert removed == {"api/partners/get_heidi_token.py", "api/partners/__init__.py"}
    assert added == set()
    assert {"_spec_info.py", "models/heidi_token.py"} <= changed
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog[changelog.index(f"## [0.2.0] - {DATE}") : changelog.index("## [0.1.0]")]
    assert "Change: **breaking**." in entry
    assert "- Operation `GET /v1/partners/heidi/token`." in entry.split("### Removed")[1]
    assert "**Breaking:** `HeidiToken.token`: required -> optional." in entry
    report = (repo.parent / "report.md").read_text(encoding="utf-8")
    assert report.startswith("> [!WARNING]\n")
    failure, rest = report.split("## Hero API spec update: breaking\n", 1)
    assert "FAILED tests/test_generated.py" in failure
    assert "- `GET /v1/partners/heidi/token`: operation removed" in rest.split("### Breaking changes")[1]
    assert "### Before merging a breaking update" in rest
    assert rest.rstrip().endswith("change: breaking\n```")


@pytest.mark.rehearsal
def test_rehearsal_no_change_stops_quietly(repo: Path, served: tuple[str, Path]) -> None:
    url, served_file = served
    # the same document, written differently: still no change
    served_file.write_text(yaml.safe_dump(_spec(), sort_keys=True), encoding="utf-8")
    before = _tree(repo)

    result, outputs = _run_job(repo, url, "false")

    assert outputs == {
        "changed": "false",
        "change": "none",
        "title": "",
        "version": "",
        "tests": "passed",
        "draft": "false",
    }
    assert "no change" in result.stdout
    assert _tree(repo) == before
    assert not (repo.parent / "report.md").exists()


def test_a_bad_download_fails_the_job_and_changes_nothing(repo: Path, served: tuple[str, Path]) -> None:
    url, served_file = served
    served_file.write_text("<html>maintenance</html>", encoding="utf-8")
    before = _tree(repo)
    result = subprocess.run(
        [sys.executable, str(repo / "scripts" / "spec_update.py"), "--url", url],
        cwd=repo,
        env={k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"},  # never the real job's output file
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "expected an OpenAPI document" in result.stderr
    assert _tree(repo) == before
