"""Why a grant waited, and the one INFO line for a long wait: shared by the in-process and the Redis limiter."""

from __future__ import annotations

import logging

logger = logging.getLogger("hero_health_client")

WINDOW_FULL = "window full"
PAUSED = "paused after a 429"
LOG_WAITS_OVER = 1.0  # seconds: a grant that waited longer logs one INFO line


def log_wait(key_fingerprint: str | None, waited: float, reason: str | None, queue_length: int) -> None:
    """The one INFO line for a grant that waited longer than a second (never the key: its fingerprint)."""
    if waited > LOG_WAITS_OVER and logger.isEnabledFor(logging.INFO):
        who = f"key …{key_fingerprint}" if key_fingerprint else "a key"
        logger.info(
            "rate limiter: %s waited %.1fs (%s, %d waiting ahead)", who, waited, reason or WINDOW_FULL, queue_length
        )
