"""The fake's own rate limit: a strict sliding window, counted where Hero counts, on arrival."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most ``requests`` accepted arrivals in any ``seconds``; refused arrivals do not count.

    ``admit()`` returns None when a request is accepted, else the seconds until the oldest accepted arrival leaves
    the window (what ``Retry-After`` says).
    """

    def __init__(self, requests: int, seconds: float, clock: Callable[[], float]) -> None:
        self.requests = requests
        self.seconds = seconds
        self._clock = clock
        self._arrivals: deque[float] = deque()

    def admit(self) -> float | None:
        now = self._clock()
        while self._arrivals and now - self._arrivals[0] >= self.seconds:
            self._arrivals.popleft()
        if len(self._arrivals) >= self.requests:
            return self._arrivals[0] + self.seconds - now
        self._arrivals.append(now)
        return None

    def clear(self) -> None:
        self._arrivals.clear()


def retry_after_header(wait: float) -> str:
    """Seconds as Hero's header would carry them: whole seconds when the wait is long, milliseconds when short
    (the fake's windows in tests are often a fraction of a second)."""
    if wait >= 1:
        return str(math.ceil(wait))
    return f"{math.ceil(wait * 1000) / 1000:.3f}".rstrip("0").rstrip(".")
