"""Shared fixtures: unique API keys (the in-process limiter is shared per key) and scripted fake transports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def api_key() -> str:
    """A key no other test uses, so each test gets a fresh shared limiter."""
    return f"test-key-{uuid.uuid4().hex}"


class Recorder:
    """An httpx.MockTransport that answers from a script of responses (or exceptions) and records requests."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Record the transport's retry sleeps instead of waiting them out."""
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr("hero_health_client._attempts.asyncio.sleep", fake_sleep)
    yield slept
