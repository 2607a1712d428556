"""What HeroClient needs from a rate limiter, and what a limiter may raise: the contract every limiter implements.

The in-process ``SlidingWindowLimiter``, the Redis limiter and a user's own all meet it; the send loops use only it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal, Protocol, runtime_checkable

from ..errors import HeroError


@runtime_checkable
class Permit(Protocol):
    """Leave to send one request; release it once the answer (or the failure) is in.

    ``release(linger=s)`` (optional in custom permits) says the request got no answer and may still reach Hero up
    to ``s`` seconds from now: it keeps counting until a window after that. The built-in permits also carry
    ``reason`` (``"window full"``, ``"paused after a 429"``, or None when the caller did not queue) and
    ``queue_length`` (waiters ahead of it when it started waiting); read them with ``getattr``, custom permits may
    lack them.
    """

    waited: float  # seconds the caller waited for it

    async def release(self) -> None: ...


@runtime_checkable
class RateLimiter(Protocol):
    """What HeroClient needs from a limiter; one limiter serves every client of one API key.

    Limiters may also accept ``acquire(max_wait=s)``: a caller the key's 429 pause would hold longer than ``s``
    seconds gets ``KeyPausedError`` at once instead; and ``acquire(priority="bulk")`` (or ``"interactive"``, the
    default). HeroClient passes each keyword only when the limiter's signature has it.
    """

    async def acquire(self) -> Permit:
        """Wait until a request may be sent."""
        ...

    async def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (Hero answered 429 with that Retry-After)."""
        ...


@runtime_checkable
class RateLimiterFactory(Protocol):
    """A limiter that must know the API key (the Redis one counts under the key's hash): HeroClient binds it."""

    def bind(self, api_key: str) -> RateLimiter:
        """The limiter for ``api_key``."""
        ...


class KeyPausedError(HeroError):
    """The key is paused (Hero answered 429) for longer than this caller may wait; ``retry_after`` in seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"the API key is paused by a 429 for another {retry_after:.1f}s, beyond the caller's wait")


@lru_cache(maxsize=256)
def accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    """Whether ``function`` takes the keyword ``name``: the optional parts of the limiter protocol."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


Priority = Literal["interactive", "bulk"]
PRIORITIES: tuple[Priority, ...] = ("interactive", "bulk")


def check_priority(priority: object) -> bool:
    """True for ``"bulk"``, False for ``"interactive"``; a ValueError naming ``priority`` for anything else."""
    if priority == "bulk" and isinstance(priority, str):
        return True
    if priority == "interactive" and isinstance(priority, str):
        return False
    shown = repr(priority) if isinstance(priority, str) and len(priority) <= 20 else type(priority).__name__
    raise ValueError(f"priority must be 'interactive' or 'bulk', got {shown}")
