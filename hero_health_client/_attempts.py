"""What every send loop shares, so a second one (another network path) needs no copy of any of it.

- ``LimiterGate``: the key's rate limiter as a send loop uses it: acquire with the caller's ``max_wait`` and lane
  (a key paused beyond ``max_wait`` becomes ``RateLimitError``), release by whether an answer came, and a 429's
  pause for every caller of the key.
- ``Attempts``: the record of one call's attempts: ``ClientStats``, the telemetry call object, the DEBUG line per
  attempt and the INFO line per retry, the attempt number and the reason of the last one, and the retry policy's
  decision for each outcome.

A send loop is then mechanism only: acquire, ``begin``, send, release, report what came back, and either return,
raise, or ``wait`` as the decision says.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

from .errors import RateLimitError
from .limits import KeyPausedError, Permit, RateLimiter, accepts_keyword
from .retries import Decision, Outcome, RetryPolicy
from .stats import ClientStats
from .telemetry import Call, NoCall

logger = logging.getLogger("hero_health_client")


class LimiterGate:
    """The key's limiter (or none: every method then does nothing) for the send loops of one client."""

    def __init__(self, limiter: RateLimiter | None) -> None:
        self.limiter = limiter
        # Optional parts of the limiter protocol, used when the limiter (a custom one may not) supports them.
        self._max_wait = limiter is not None and accepts_keyword(type(limiter).acquire, "max_wait")
        self._priority = limiter is not None and accepts_keyword(type(limiter).acquire, "priority")

    def __repr__(self) -> str:
        return repr(self.limiter)

    async def acquire(self, route: str, max_wait: float, priority: str | None) -> Permit | None:
        """A permit to send one attempt of ``route`` (None without a limiter); ``RateLimitError`` at once when the
        key is paused by an earlier 429 for longer than ``max_wait``."""
        if self.limiter is None:
            return None
        options: dict[str, Any] = {}
        if self._max_wait:
            options["max_wait"] = max_wait
        if priority is not None and self._priority:
            options["priority"] = priority
        if not options:
            return await self.limiter.acquire()
        try:
            return await self.limiter.acquire(**options)
        except KeyPausedError as paused:
            limited = RateLimitError(
                status_code=429,
                error=None,
                message=None,
                response=None,
                route=route,
                detail=f"key paused by an earlier 429, retry after {paused.retry_after:.1f}s",
            )
            limited.retry_after = paused.retry_after
            raise limited from None

    async def release(self, permit: Permit | None, linger: float | None) -> None:
        """Give the place back once the answer (or the failure) is in. ``linger``: the attempt got no answer and may
        still reach Hero within that many seconds, so it keeps counting until a window after that (None: answered,
        or proved never sent)."""
        if permit is None:
            return
        if linger is None or not accepts_keyword(type(permit).release, "linger"):
            await permit.release()
            return
        await permit.release(linger=linger)  # type: ignore[call-arg]

    async def pause_for(self, decision: Decision) -> Decision:
        """Apply a 429's pause to every caller of the key; the caller then waits in ``acquire``, not in a sleep of
        its own. Without a limiter (or a pause) the decision is unchanged."""
        if decision.pause is None or self.limiter is None:
            return decision
        await self.limiter.pause(decision.pause)
        return dataclasses.replace(decision, delay=0.0)


class Attempts:
    """One call's attempts: counts them, records each in the stats, telemetry and logs, and asks the retry policy.

    ``number`` is the current attempt (0 the first); ``reason`` what the previous one got (``"503"``,
    ``"ConnectError"``), which the next attempt's telemetry carries.
    """

    __slots__ = ("_started", "call", "method", "number", "policy", "reason", "route", "stats")

    def __init__(self, method: str, route: str, policy: RetryPolicy, stats: ClientStats, call: Call | NoCall) -> None:
        self.method = method
        self.route = route
        self.policy = policy
        self.stats = stats
        self.call = call
        self.number = 0
        self.reason: str | None = None
        self._started = 0.0

    def begin(self, permit: Permit | None) -> None:
        """The limiter granted ``permit`` (None: no limiter) and the attempt is about to be sent."""
        if permit is not None:
            self.stats.record_limiter_wait(permit.waited)
            self.call.limiter_granted(permit.waited, getattr(permit, "reason", None))
        self.call.attempt_started(self.number, self.reason)
        self._started = time.monotonic()
        self.stats.requests += 1

    def failed(self, outcome: Outcome) -> Decision:
        """The attempt got no answer (``Outcome.failed``)."""
        self.reason = outcome.reason
        self.call.attempt_ended(None, outcome.reason)
        self._log(outcome.reason)
        return self.policy.decide(self.method, self.number, outcome)

    def answered(self, status: int) -> None:
        """An answer's status line and headers are in (its body may still be read)."""
        self.stats.record_answer(status)
        self.reason = str(status)
        self._log(status)

    def succeeded(self, status: int) -> None:
        """A success with its whole body: the call's last attempt."""
        self.call.attempt_ended(status, None)

    def body_failed(self, outcome: Outcome) -> Decision:
        """A success whose body broke off or does not decode (``Outcome.body_failed``)."""
        self.reason = outcome.reason
        self.call.attempt_ended(outcome.status, outcome.reason)
        return self.policy.decide(self.method, self.number, outcome)

    def error_answer(self, outcome: Outcome) -> Decision:
        """An error answer, its body read (``Outcome.answered``)."""
        self.call.attempt_ended(outcome.status, None)
        return self.policy.decide(self.method, self.number, outcome)

    async def wait(self, decision: Decision) -> None:
        """Before the next attempt: log the retry, count it, sleep ``decision.delay``."""
        logger.info(
            "retrying %s after %s in %.2fs (retry %d of %d)",
            self.route,
            self.reason,
            decision.delay,
            self.number + 1,
            self.policy.max_retries,
        )
        self.stats.retries += 1
        if decision.delay > 0:
            await asyncio.sleep(decision.delay)
        self.number += 1

    def _log(self, got: object) -> None:
        elapsed = time.monotonic() - self._started
        logger.debug("%s -> %s attempt=%d elapsed=%.3fs", self.route, got, self.number + 1, elapsed)
