"""The one check for a "number of seconds" argument (timeouts, windows, margins, waits, tolerances).

Why one: the SDK takes seconds in many places, and each must refuse the same things the same way (a bool, a string,
NaN, infinity, a negative number) with an error that names the parameter and what was expected.
"""

from __future__ import annotations

import math


def check_seconds(name: str, value: object, *, zero_ok: bool = False) -> float:
    """``value`` as a float if it is a finite number of seconds > 0 (>= 0 with ``zero_ok``); otherwise a
    ValueError naming ``name``. Bools are refused: ``True`` is not a duration."""
    if (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (value > 0 or (zero_ok and value == 0))
    ):
        return float(value)
    bound = ">= 0" if zero_ok else "> 0"
    raise ValueError(f"{name} must be a finite number of seconds {bound}, got {value!r}")
