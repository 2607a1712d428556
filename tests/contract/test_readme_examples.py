"""The README's Python examples are programs: each type-checks with ``mypy --strict`` and runs against the mock.

A block whose first line is ``# not run: <reason>`` is only type-checked (it needs something the suite does not
start, such as a Redis at a made-up address). Anything that is not meant to be code is fenced as ``text``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.M | re.S)
NOT_RUN = re.compile(r"^# not run: \S")


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 5


def test_every_example_passes_mypy_strict(tmp_path: Path) -> None:
    files = []
    for number, block in enumerate(BLOCKS):
        path = tmp_path / f"readme_example_{number}.py"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file=", "--no-incremental", *files],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.contract
@pytest.mark.parametrize("number", [n for n, block in enumerate(BLOCKS) if not NOT_RUN.match(block)])
def test_every_example_runs_against_the_mock(number: int, prism_static: str, tmp_path: Path) -> None:
    path = tmp_path / f"readme_example_{number}.py"
    path.write_text(BLOCKS[number], encoding="utf-8")
    env = {
        **os.environ,
        "HERO_API_KEY": "readme-key",
        "HERO_PRACTICE_GROUP_ID": "1",
        "HERO_BASE_URL": prism_static,
    }
    env.pop("HERO_ENVIRONMENT", None)
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"README example {number} failed:\n{BLOCKS[number]}\n{result.stderr}"


@pytest.mark.contract
def test_the_quickstart_runs_against_the_mock(prism_static: str) -> None:
    """``make demo``'s script, end to end (examples/ is type-checked by ``make typecheck``)."""
    env = {**os.environ, "HERO_MOCK_URL": prism_static, "COLUMNS": "120"}
    for name in ("HERO_API_KEY", "HERO_PRACTICE_GROUP_ID", "HERO_BASE_URL", "HERO_ENVIRONMENT"):
        env.pop(name, None)
    script = REPO_ROOT / "examples" / "quickstart.py"
    result = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "50 sent, 0 failed" in result.stdout
    assert "lasts 25 hours" in result.stdout and "on average" in result.stdout
