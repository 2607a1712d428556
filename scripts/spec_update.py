"""The spec-update job: follow Hero's published OpenAPI bundle and prepare the pull request that adopts it.

    python scripts/spec_update.py [--url URL] [--test-command "make test"] [--report FILE] [--date YYYY-MM-DD]

Steps: download and validate the bundle (fetch_spec.py); if it parses to the same document as openapi.yaml, say
"no change" and stop; otherwise write it, regenerate the package (regenerate.py), run the test suite, bump the
version in pyproject.toml, add a CHANGELOG.md entry, and write the pull request's body (``--report``, Markdown).

For the workflow it sets outputs (in ``$GITHUB_OUTPUT`` when that is set, and printed either way): ``changed``
(true/false), ``change`` (breaking/additive/none), ``title``, ``version``, ``tests`` (passed/failed) and ``draft``
(true when the suite or the regeneration failed: the pull request is still opened, as a draft, with the failure
at the top of its body). The exit status is 1 only when the bundle could not be fetched or is not valid OpenAPI;
a failing suite is reported, not fatal, so that someone hears about the new spec either way.

Version rule (semver, with the 0.x convention): from 1.0.0 on, a breaking spec change bumps the major version, an
additive one the minor, any other the patch. While the major version is 0, a breaking change bumps the minor
(0.1.3 -> 0.2.0) and everything else the patch (0.1.3 -> 0.1.4).

The workflow (.github/workflows/spec-update.yml) only runs this and opens the pull request; the rehearsal test
(tests/test_spec_update.py) runs this same script end to end against a loopback server.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # so it runs as a script from anywhere
from scripts import fetch_spec, regenerate
from scripts.spec_diff import Change, SpecDiff, diff_specs
from scripts.spec_tools import SpecError, parse_spec, validate_spec

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC = REPO_ROOT / "openapi.yaml"
PYPROJECT = REPO_ROOT / "pyproject.toml"
VERSION_FILE = REPO_ROOT / "hero_health_client" / "_version.py"  # the same version, read without importlib.metadata
CHANGELOG = REPO_ROOT / "CHANGELOG.md"
DEFAULT_TEST_COMMAND = "make test"
MAX_LISTED = 150  # changes listed one by one in the pull request body; the full report follows in a block
MAX_BODY = 60_000  # GitHub refuses pull request bodies over 65,536 characters
FAILURE_LINES = 60

CHANGELOG_HEADER = """# Changelog

All notable changes to hero-health-client. The format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/);
versions follow [Semantic Versioning](https://semver.org/) with the 0.x convention: while the major version is 0,
a breaking change bumps the minor version and anything else the patch.

Entries headed "Regenerated from Hero's API spec" are written by the spec-update job (scripts/spec_update.py).

## [Unreleased]
"""


@dataclass
class Outcome:
    """What the job did, for the workflow's outputs and the pull request."""

    changed: bool
    change: str = "none"
    title: str = ""
    version: str = ""
    tests_passed: bool = True

    def outputs(self) -> dict[str, str]:
        return {
            "changed": str(self.changed).lower(),
            "change": self.change,
            "title": self.title,
            "version": self.version,
            "tests": "passed" if self.tests_passed else "failed",
            "draft": str(not self.tests_passed).lower(),
        }


# -- version and changelog -----------------------------------------------------------------------------------------


def bump_version(version: str, change: str) -> str:
    """The next version for a spec change of class ``change`` (see the module docstring for the rule)."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"version: expected MAJOR.MINOR.PATCH digits, got {version!r}")
    major, minor, patch = (int(part) for part in match.groups())
    if major == 0:
        return f"0.{minor + 1}.0" if change == "breaking" else f"0.{minor}.{patch + 1}"
    if change == "breaking":
        return f"{major + 1}.0.0"
    return f"{major}.{minor + 1}.0" if change == "additive" else f"{major}.{minor}.{patch + 1}"


_PROJECT_VERSION = re.compile(r'^(\[project\]\n(?:(?!\[).*\n)*?version\s*=\s*")([^"]+)(")', re.MULTILINE)


def read_version(pyproject: str) -> str:
    match = _PROJECT_VERSION.search(pyproject)
    if not match:
        raise ValueError('pyproject.toml: expected a version = "..." line in the [project] table')
    return match.group(2)


def write_version(pyproject: str, version: str) -> str:
    read_version(pyproject)  # the same clear error when the line is missing
    return _PROJECT_VERSION.sub(lambda m: m.group(1) + version + m.group(3), pyproject, count=1)


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def changelog_entry(diff: SpecDiff, *, version: str, date: str, spec_sha256: str) -> str:
    """A Keep a Changelog release section listing the operations and models added, changed and removed."""
    renamed = {c.where: c.what for c in diff.changes if c.what.startswith("model renamed to ")}
    added = [f"Operation {_code(op)}." for op in diff.operations_added]
    added += [f"Model {_code(m)}." for m in diff.models_added]
    changed = [f"Operation {_code(op)}." for op in diff.operations_changed]
    changed += [f"Model {_code(m)}." for m in diff.models_changed]
    changed += [f"Model {_code(old)}: {what}." for old, what in sorted(renamed.items())]
    changed += [f"**Breaking:** {_code(c.where)}: {c.what}." for c in diff.breaking]
    removed = [f"Operation {_code(op)}." for op in diff.operations_removed]
    removed += [f"Model {_code(m)}." for m in diff.models_removed]
    if not (added or changed or removed):
        changed = ["Documentation-only changes to the spec; the SDK's API is unchanged."]
    lines = [
        f"## [{version}] - {date}",
        "",
        f"Regenerated from Hero's API spec {diff.new_version} (`openapi.yaml` SHA-256 `{spec_sha256[:12]}`). "
        f"Change: **{diff.classification}**.",
    ]
    for heading, items in (("Added", added), ("Changed", changed), ("Removed", removed)):
        if items:
            lines += ["", f"### {heading}", "", *(f"- {item}" for item in items)]
    return "\n".join(lines) + "\n"


def insert_changelog(text: str | None, entry: str) -> str:
    """Put ``entry`` above the newest release (below ``[Unreleased]``), creating the file's header if needed."""
    text = text if text and text.strip() else CHANGELOG_HEADER
    match = re.search(r"^## \[(?!Unreleased\])", text, flags=re.MULTILINE)
    if match is None:
        return text.rstrip("\n") + "\n\n" + entry
    return text[: match.start()] + entry + "\n" + text[match.start() :]


# -- the job ---------------------------------------------------------------------------------------------------------


def run_tests(command: str) -> tuple[bool, str]:
    """Run the suite; return whether it passed and, if not, the tail of its output (pytest's summary if any)."""
    try:
        result = subprocess.run(shlex.split(command), cwd=REPO_ROOT, capture_output=True, text=True)
    except OSError as exc:
        return False, f"could not run {command!r}: {exc}"
    if result.returncode == 0:
        return True, ""
    lines = (result.stdout + result.stderr).splitlines()
    start = next((i for i, line in enumerate(lines) if "short test summary info" in line), None)
    tail = lines[start:] if start is not None else lines
    if len(tail) > FAILURE_LINES:
        tail = [f"... ({len(tail) - FAILURE_LINES} lines above not shown)", *tail[-FAILURE_LINES:]]
    return False, f"`{command}` exited with status {result.returncode}:\n" + "\n".join(tail)


def regenerate_package() -> str | None:
    """Regenerate hero_health_client/generated from openapi.yaml; return the error text if that failed."""
    try:
        with tempfile.TemporaryDirectory(prefix="hero-spec-update-") as tmp:
            regenerate.replace_target(regenerate.generate_into(Path(tmp)))
    except (SpecError, regenerate.GenerationError) as exc:
        return f"regeneration failed: {exc}"
    return None


def _change_line(change: Change) -> str:
    return f"- {_code(change.where)}: {change.what}"


def report_markdown(
    diff: SpecDiff,
    *,
    summary: str,
    url: str,
    old_version: str,
    version: str,
    spec_sha256: str,
    test_command: str,
    failure: str | None,
) -> str:
    """The pull request body: failure first (if any), then the classified changes and the full report."""
    lines: list[str] = []
    if failure:
        lines += [
            "> [!WARNING]",
            "> **The regenerated SDK does not pass its checks.** This pull request stays a draft until it does.",
            "",
            "```text",
            failure.replace("```", "'''"),
            "```",
            "",
        ]
    lines += [
        f"## Hero API spec update: {diff.classification}",
        "",
        f"- Spec: {diff.old_version} -> {diff.new_version} (`openapi.yaml` SHA-256 `{spec_sha256}`)",
        f"- Source: {url}",
        f"- SDK version: {old_version} -> {version}",
        f"- Suite (`{test_command}`): {'failed' if failure else 'passed'}",
    ]
    for heading, changes in (("Breaking changes", diff.breaking), ("Additive changes", diff.additive)):
        if changes:
            lines += ["", f"### {heading} ({len(changes)})", ""]
            lines += [_change_line(c) for c in changes[:MAX_LISTED]]
            if len(changes) > MAX_LISTED:
                lines.append(f"- ... and {len(changes) - MAX_LISTED} more (see the full report below)")
    if diff.classification == "breaking":
        lines += [
            "",
            "### Before merging a breaking update",
            "",
            "- Check each breaking change against Hero's changelog and documentation: is it real, or a slip in the "
            "published bundle? If a slip, close this pull request and tell Hero.",
            "- Adapt the hand-written wrapper and tests where they use what changed; push to this branch.",
            "- Say in CHANGELOG.md what users must change in their code.",
        ]
    lines += ["", "### Full report", "", "```text", summary, "```", ""]
    body = "\n".join(lines)
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 200] + "\n```\n\n(report cut to fit a pull request body; run the job locally)\n"
    return body


def write_outputs(outputs: dict[str, str]) -> None:
    """Print the outputs and append them to ``$GITHUB_OUTPUT`` when the workflow provides it."""
    for key, value in outputs.items():
        print(f"{key}={value}")
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.writelines(f"{key}={value.replace(chr(10), ' ')}\n" for key, value in outputs.items())


def update(url: str, *, test_command: str, report: Path | None, date: str, timeout: float = 60.0) -> Outcome:
    """Run the job; raise SpecError when the download is unusable."""
    old_doc: dict[str, Any] | None = None
    if SPEC.exists():
        try:
            old_doc = parse_spec(SPEC.read_bytes(), source=str(SPEC))
        except SpecError:
            old_doc = None
    data = fetch_spec.download(url, timeout=timeout)
    new_doc = parse_spec(data, source=url)
    validate_spec(new_doc, source=url)
    if old_doc == new_doc:
        print(f"no change: {url} holds the same document as {SPEC.name}")
        return Outcome(changed=False)

    diff = diff_specs(old_doc, new_doc)
    summary = fetch_spec.change_summary(old_doc, new_doc)
    fetch_spec.write_atomically(SPEC, data)
    failure = regenerate_package()
    if failure is None:
        passed, failure_text = run_tests(test_command)
        failure = None if passed else failure_text

    old_version = read_version(PYPROJECT.read_text(encoding="utf-8"))
    version = bump_version(old_version, diff.classification)
    PYPROJECT.write_text(write_version(PYPROJECT.read_text(encoding="utf-8"), version), encoding="utf-8")
    if VERSION_FILE.exists():
        text = VERSION_FILE.read_text(encoding="utf-8")
        VERSION_FILE.write_text(re.sub(r'__version__ = "[^"]*"', f'__version__ = "{version}"', text), encoding="utf-8")
    spec_sha256 = hashlib.sha256(data).hexdigest()
    entry = changelog_entry(diff, version=version, date=date, spec_sha256=spec_sha256)
    CHANGELOG.write_text(
        insert_changelog(CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.exists() else None, entry),
        encoding="utf-8",
    )
    if report is not None:
        body = report_markdown(
            diff,
            summary=summary,
            url=url,
            old_version=old_version,
            version=version,
            spec_sha256=spec_sha256,
            test_command=test_command,
            failure=failure,
        )
        report.write_text(body, encoding="utf-8")
    print(summary)
    title = f"Hero API spec {diff.new_version} ({diff.classification}): SDK {version}"
    return Outcome(True, diff.classification, title, version, tests_passed=failure is None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="", help="bundle URL (empty: $HERO_SPEC_URL or Hero's published bundle)")
    parser.add_argument("--test-command", default=DEFAULT_TEST_COMMAND, help="the suite to run after regenerating")
    parser.add_argument("--report", type=Path, help="write the pull request body (Markdown) here")
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    parser.add_argument("--date", default=today, help="the changelog entry's date (default: today, UTC)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the download")
    args = parser.parse_args(argv)
    url = args.url or os.environ.get("HERO_SPEC_URL") or fetch_spec.DEFAULT_URL
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        parser.error("--date: expected YYYY-MM-DD")
    try:
        outcome = update(url, test_command=args.test_command, report=args.report, date=args.date, timeout=args.timeout)
    except SpecError as exc:
        print(f"spec_update: {exc}; nothing changed", file=sys.stderr)
        return 1
    except ValueError as exc:  # pyproject.toml's version is not one this job can bump
        print(f"spec_update: {exc}", file=sys.stderr)
        return 1
    write_outputs(outcome.outputs())
    return 0


if __name__ == "__main__":
    sys.exit(main())
