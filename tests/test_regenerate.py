"""scripts/regenerate.py: a fresh generation equals the committed package, and drift is reported readably."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts import regenerate


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generation from the committed spec, config and templates (it takes a few seconds)."""
    return regenerate.generate_into(tmp_path_factory.mktemp("regenerate"))


def test_a_fresh_generation_matches_the_committed_package(fresh: Path) -> None:
    assert regenerate.drift(regenerate.TARGET, fresh) == []


def test_check_mode_fails_on_a_hand_edit(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = tmp_path / "generated"
    shutil.copytree(fresh, edited)
    target = edited / "api" / "messages" / "send_message.py"
    target.write_text(target.read_text() + "\n# hand edit\n")
    doc = tmp_path / "docs" / "operations.md"
    doc.parent.mkdir()
    shutil.copy(regenerate.OPERATIONS_DOC, doc)

    def generate_into(workdir: Path) -> Path:
        shutil.copy(doc, workdir / "operations.md")
        return Path(shutil.copytree(fresh, workdir / "generated"))

    monkeypatch.setattr(regenerate, "generate_into", generate_into)
    monkeypatch.setattr(regenerate, "TARGET", edited)
    monkeypatch.setattr(regenerate, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(regenerate, "OPERATIONS_DOC", doc)

    assert regenerate.main(["--check"]) == 1
    assert "differs: api/messages/send_message.py" in capsys.readouterr().err


def test_drift_names_missing_stale_and_changed_files(tmp_path: Path) -> None:
    committed, generated = tmp_path / "committed", tmp_path / "fresh"
    for root in (committed, generated):
        (root / "api").mkdir(parents=True)
        (root / "same.py").write_text("x = 1\n")
    (committed / "api" / "changed.py").write_text("def f():\n    return 1\n")
    (generated / "api" / "changed.py").write_text("def f():\n    return 2\n")
    (committed / "stale.py").write_text("")
    (generated / "new.py").write_text("")

    report = regenerate.drift(committed, generated)

    assert report[0] == "missing (generation adds it): new.py"
    assert report[1] == "stale (generation no longer writes it): stale.py"
    assert report[2].startswith("differs: api/changed.py")
    assert "-    return 1" in report[2] and "+    return 2" in report[2]
    assert len(report) == 3
