"""RateLimit: how many requests one API key may make per window, as Hero counts them (plain, checked data)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._arguments import check_seconds


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class RateLimit:
    """How many requests one API key may make per window, as Hero counts them.

    ``margin`` (seconds) is added to the window as a guard against timer and clock granularity; ``None`` picks
    0.1% of the window, between 1 ms and 100 ms. ``burst`` caps how many requests may leave back to back
    (``None``: the whole budget). ``bulk_share``: the share of the window that requests marked
    ``priority="bulk"`` may hold together (``bulk_places``); interactive requests may use every place.
    """

    requests: int = 300
    seconds: float = 60.0
    margin: float | None = None
    burst: int | None = None
    bulk_share: float = 0.8

    def __post_init__(self) -> None:
        if not _whole(self.requests) or self.requests < 1:
            raise ValueError(f"RateLimit.requests must be a whole number >= 1, got {self.requests!r}")
        check_seconds("RateLimit.seconds", self.seconds)
        if self.margin is not None:
            check_seconds("RateLimit.margin (or None)", self.margin, zero_ok=True)
        if self.burst is not None and not (_whole(self.burst) and 1 <= self.burst <= self.requests):
            raise ValueError(f"RateLimit.burst must be a whole number from 1 to requests, got {self.burst!r}")
        if not _finite(self.bulk_share) or not 0 < self.bulk_share <= 1:
            raise ValueError(f"RateLimit.bulk_share must be a finite number > 0 and <= 1, got {self.bulk_share!r}")

    @property
    def bulk_places(self) -> int:
        """How many places of the window bulk requests may hold: ``floor(bulk_share * requests)``, at least 1 (else
        a small budget could never serve bulk at all)."""
        return max(1, math.floor(self.bulk_share * self.requests + 1e-9))

    @property
    def window(self) -> float:
        """Seconds a finished request keeps counting against the budget."""
        margin = self.margin if self.margin is not None else min(0.1, max(0.001, 0.001 * self.seconds))
        return self.seconds + margin
