"""Prism servers for the contract tests: one static (the spec's examples), one dynamic (values from the schemas).

Each starts once per session, on a free loopback port. Without node_modules/.bin/prism the tests that need it are
skipped with the reason, except under CI (``$CI`` set), where they fail: CI must run them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from hero_health_client import HeroClient
from scripts import mock_server


def _need_prism() -> None:
    if mock_server.prism_installed():
        return
    reason = f"Prism is not installed ({mock_server.PRISM_BIN} is missing): run `make node`"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{reason}; $CI is set, so the contract tests must run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def prism_static() -> Iterator[str]:
    """Base URL of a Prism answering with the spec's examples."""
    _need_prism()
    with mock_server.prism_server(dynamic=False, reuse=False) as url:  # never $HERO_MOCK_URL: its mode is unknown
        yield url


@pytest.fixture(scope="session")
def prism_dynamic() -> Iterator[str]:
    """Base URL of a Prism answering with values generated from the schemas (``prism mock -d``)."""
    _need_prism()
    with mock_server.prism_server(dynamic=True, reuse=False) as url:
        yield url


def _client(base_url: str) -> HeroClient:
    return HeroClient(api_key="test-key", practice_group_id="1", base_url=base_url, rate_limit=None, max_retries=0)


# One client per module, on the module's event loop (tests using them run with ``loop_scope="module"``): building
# a HeroClient loads the CA bundle (~50 ms), which per test would double the run time.
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def static_client(prism_static: str) -> AsyncIterator[HeroClient]:
    async with _client(prism_static) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dynamic_client(prism_dynamic: str) -> AsyncIterator[HeroClient]:
    async with _client(prism_dynamic) as client:
        yield client
