"""The process's one in-process limiter per API key (keyed by the key's SHA-256, never the key itself)."""

from __future__ import annotations

import functools
import hashlib
import threading
import time
import weakref

from .._redact import fingerprint
from .config import RateLimit
from .sliding_window import SlidingWindowLimiter

_shared: weakref.WeakValueDictionary[str, SlidingWindowLimiter] = weakref.WeakValueDictionary()  # by full SHA-256
_kept: dict[str, SlidingWindowLimiter] = {}  # limiters with state that counts, kept even with no client left
_shared_lock = threading.Lock()
_SWEEP_MIN = 64
_sweep_over = _SWEEP_MIN  # sweep _kept when it grows past this: amortised O(1) per new key, size <= 2x the busy ones


def _keep(key: str, limiter: SlidingWindowLimiter) -> None:
    """Called under the limiter's lock when it starts counting (a plain dict store: atomic, no other lock)."""
    _kept[key] = limiter


def _sweep() -> None:
    """Under ``_shared_lock``: stop keeping limiters that went idle (those with clients stay, weakly, in _shared)."""
    now = time.monotonic()
    for key, limiter in list(_kept.items()):
        with limiter._lock:  # a grant on another thread re-keeps it under this same lock: no lost keep-alive
            if limiter._idle(now):
                limiter._kept = False
                _kept.pop(key, None)


class RateLimitConflictError(ValueError):
    """A second RateLimit for an API key that already has a limiter in this process with another one."""


def shared_limiter(api_key: str, rate_limit: RateLimit) -> SlidingWindowLimiter:
    """The one in-process limiter for ``api_key`` (keyed by its SHA-256, never the key itself).

    Every HeroClient of the process that uses the key gets the same limiter, whichever event loop it runs on. The
    registry holds a limiter strongly only while it has state that counts (requests in flight or within the window,
    a pause, waiters), and weakly otherwise: a client made a moment after another one closed still sees its
    requests, yet a process that goes through many keys keeps only the limiters of keys in use. Asking for the key
    with a different RateLimit raises ``RateLimitConflictError`` and changes nothing: another library in the
    process must not be able to change (or double) your budget. ``limiter.reconfigure(...)`` changes it on purpose.
    """
    if not isinstance(rate_limit, RateLimit):
        raise TypeError(f"rate_limit must be a RateLimit or None, got {type(rate_limit).__name__}")
    key = hashlib.sha256(api_key.encode()).hexdigest()
    global _sweep_over
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = SlidingWindowLimiter(rate_limit, key_fingerprint=fingerprint(api_key))
            limiter._busy = functools.partial(_keep, key)
            if len(_kept) > _sweep_over:
                _sweep()
                _sweep_over = max(_SWEEP_MIN, 2 * len(_kept))
        elif limiter.rate_limit != rate_limit:
            raise RateLimitConflictError(
                f"rate_limit: API key …{fingerprint(api_key)} already has a limiter in this process with "
                f"{limiter.rate_limit}; every client of one key must pass the same RateLimit (got {rate_limit})"
            )
        return limiter
