"""ClientStats: what one client's callers cost (attempts, retries, 429s, time spent waiting for the limiter).

A module of its own because every send loop records into the same counters (through ``_attempts.Attempts``), and
users read them as ``hero.stats`` without caring which loop sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ClientStats:
    """Counters for one client: what its callers cost."""

    requests: int = 0  # attempts that went to the network, retries included
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    limiter_wait: float = 0.0  # seconds spent waiting for the rate limiter, summed over requests (not wall time)
    limiter_waits: int = 0  # limiter grants (one per attempt that went through the limiter)
    limiter_wait_max: float = 0.0  # the longest single wait for the rate limiter, in seconds
    by_status: dict[int, int] = field(default_factory=dict)

    @property
    def limiter_wait_mean(self) -> float:
        """Mean seconds one attempt waited for the rate limiter (0.0 before any)."""
        return self.limiter_wait / self.limiter_waits if self.limiter_waits else 0.0

    def record_limiter_wait(self, waited: float) -> None:
        self.limiter_wait += waited
        self.limiter_waits += 1
        if waited > self.limiter_wait_max:
            self.limiter_wait_max = waited

    def record_answer(self, status: int) -> None:
        """An attempt got an answer with ``status`` (a 429 also counts as rate limited)."""
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if status == 429:
            self.rate_limited += 1
