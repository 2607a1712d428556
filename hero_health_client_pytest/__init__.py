"""The pytest plugin of ``hero_health_client.testing``: fixtures ``fake_hero`` and ``hero``.

pytest loads it through the ``pytest11`` entry point once the package is installed, into every pytest run of the
environment, including projects that never use Hero. That is why it is a top-level package of its own and not a
module of ``hero_health_client``: importing a submodule imports its parents, and ``hero_health_client`` brings the
client, the limiter and the generated package. Here nothing of the SDK is imported until a fixture is used
(``tests/testing/test_plugin_import.py`` checks it). ``hero_health_client.testing.pytest_plugin`` re-exports these
fixtures for ``pytest_plugins = [...]`` lists that name it.

- ``fake_hero``: a fresh ``FakeHero`` per test (Hero's 300-per-minute limit). To change it, override the fixture
  in your ``conftest.py``: ``@pytest.fixture def fake_hero(): return FakeHero(rate_limit=(5, 0.5))``.
- ``hero``: an open ``HeroClient`` wired to ``fake_hero`` (``fake_hero.client()``), closed after the test. It is
  an async fixture: it needs pytest-asyncio (in ``auto`` mode, or mark tests ``@pytest.mark.asyncio``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hero_health_client import HeroClient
    from hero_health_client.testing import FakeHero


@pytest.fixture
def fake_hero() -> FakeHero:
    """A fresh in-process Hero for one test."""
    from hero_health_client.testing import FakeHero

    return FakeHero()


def _async_fixture() -> Callable[..., Any]:
    """pytest-asyncio's fixture decorator, which works in its strict and auto modes alike; without pytest-asyncio,
    pytest's own, which tells the user that an async fixture needs an async plugin."""
    try:
        import pytest_asyncio
    except ImportError:  # pragma: no cover - depends on what the user installed
        return pytest.fixture
    return pytest_asyncio.fixture


@_async_fixture()
async def hero(fake_hero: FakeHero) -> AsyncIterator[HeroClient]:
    """A HeroClient talking to ``fake_hero``, with its own API key and the fake's rate limit; closed after."""
    async with fake_hero.client() as client:
        yield client
