"""Client-side rate limiting: one budget per API key, as Hero counts it (300 requests a minute by default).

The package, by job: ``config`` (``RateLimit``), ``protocol`` (what a limiter must do: ``RateLimiter``, ``Permit``,
``RateLimiterFactory``, ``KeyPausedError``, priorities), ``sliding_window`` (the in-process algorithm and its
guarantee), ``registry`` (one limiter per key in the process: ``shared_limiter``), ``waits`` (why a grant waited,
the INFO line for a long wait). The names below are the public import paths, as before the split.
"""

from .config import RateLimit
from .protocol import (
    PRIORITIES,
    KeyPausedError,
    Permit,
    Priority,
    RateLimiter,
    RateLimiterFactory,
    accepts_keyword,
    check_priority,
)
from .registry import RateLimitConflictError, shared_limiter
from .sliding_window import SlidingWindowLimiter
from .waits import PAUSED, WINDOW_FULL, log_wait

__all__ = [
    "PAUSED",
    "PRIORITIES",
    "WINDOW_FULL",
    "KeyPausedError",
    "Permit",
    "Priority",
    "RateLimit",
    "RateLimitConflictError",
    "RateLimiter",
    "RateLimiterFactory",
    "SlidingWindowLimiter",
    "accepts_keyword",
    "check_priority",
    "log_wait",
    "shared_limiter",
]
