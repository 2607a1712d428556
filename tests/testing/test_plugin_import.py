"""The pytest plugin loads nothing of the SDK into a pytest run until one of its fixtures is used."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_importing_the_plugin_imports_nothing_of_the_sdk() -> None:
    code = (
        "import sys\n"
        "import hero_health_client_pytest\n"
        "loaded = sorted(m for m in sys.modules if m == 'hero_health_client' or m.startswith('hero_health_client.'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert done.stdout.strip() == ""


def test_the_entry_point_names_the_lean_plugin_and_the_old_path_still_has_the_fixtures() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "hero_health_client"]
    assert entry.value == "hero_health_client_pytest"
    import hero_health_client_pytest
    from hero_health_client.testing import pytest_plugin

    assert pytest_plugin.fake_hero is hero_health_client_pytest.fake_hero
    assert pytest_plugin.hero is hero_health_client_pytest.hero


def test_the_fixtures_still_work(fake_hero: object, hero: object) -> None:
    from hero_health_client import HeroClient
    from hero_health_client.testing import FakeHero

    assert isinstance(fake_hero, FakeHero) and isinstance(hero, HeroClient)
