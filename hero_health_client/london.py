"""UTC <-> Europe/London. Hero's timestamps are UTC; people in the UK read London wall time.

Wall times are ambiguous twice a year: in spring an hour does not exist (01:00-02:00 is skipped), in autumn
01:00-02:00 happens twice. The standard library quietly picks one; these helpers make the caller decide.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse

LONDON = ZoneInfo("Europe/London")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DEFAULT_FORMAT = "%a %d %b %Y, %H:%M %Z"


class NaiveDatetimeError(ValueError):
    """A datetime without a UTC offset where one is needed."""


class NonexistentTimeError(ValueError):
    """The London wall time falls in the hour skipped when clocks go forward."""


class AmbiguousTimeError(ValueError):
    """The London wall time happens twice when clocks go back; pass ``fold=0`` (first, BST) or ``1`` (GMT)."""


def _parse(value: datetime | str, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return isoparse(value)
        except ValueError as exc:
            raise ValueError(f"{what}: not an ISO 8601 timestamp: {value!r}") from exc
    raise TypeError(f"{what}: expected a datetime or an ISO 8601 string, got {type(value).__name__}")


def to_london(value: datetime | str) -> datetime:
    """An aware datetime or ISO string with offset (``2026-10-25T01:30:00Z``) as an aware Europe/London datetime."""
    moment = _parse(value, "to_london")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(
            f"to_london needs a UTC offset, got the naive {moment.isoformat()}; "
            "use london_to_utc() for London wall times, or attach tzinfo=UTC for UTC ones"
        )
    return moment.astimezone(LONDON)


def london_to_utc(value: datetime | str, *, fold: int | None = None) -> datetime:
    """A London wall time (naive datetime, or ISO string without offset) as an aware UTC datetime.

    An aware value is converted as it is. A wall time in the spring-forward gap raises NonexistentTimeError; one in
    the autumn fall-back hour raises AmbiguousTimeError unless ``fold`` picks the first (0) or second (1) one.
    """
    if fold not in (None, 0, 1):
        raise ValueError(f"fold must be None, 0 or 1, got {fold!r}")
    wall = _parse(value, "london_to_utc")
    if wall.tzinfo is not None and wall.utcoffset() is not None:
        return wall.astimezone(UTC)
    first = wall.replace(tzinfo=LONDON, fold=0)
    second = wall.replace(tzinfo=LONDON, fold=1)
    if first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise NonexistentTimeError(
            f"{wall.isoformat()} does not exist in London: clocks go forward from 01:00 GMT to 02:00 BST that day"
        )
    if first.utcoffset() != second.utcoffset():
        if fold is None:
            raise AmbiguousTimeError(
                f"{wall.isoformat()} happens twice in London (clocks go back); "
                "pass fold=0 for the first (BST, UTC+1) or fold=1 for the second (GMT, UTC+0)"
            )
        return (second if fold else first).astimezone(UTC)
    return first.astimezone(UTC)


def format_london(value: datetime | str, fmt: str = DEFAULT_FORMAT) -> str:
    """London wall time for display, e.g. ``Sun 25 Oct 2026, 01:30 GMT``; English names whatever the locale."""
    local = to_london(value)
    fmt = fmt.replace("%a", _DAYS[local.weekday()]).replace("%b", _MONTHS[local.month - 1])
    return local.strftime(fmt)


def london_day_bounds(day: datetime | str) -> tuple[datetime, datetime]:
    """UTC start and end of the London calendar day containing ``day`` (23 or 25 hours long on change days)."""
    moment = _parse(day, "london_day_bounds")
    local = to_london(moment) if moment.tzinfo is not None else moment
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    return london_to_utc(midnight), london_to_utc(midnight + timedelta(days=1))
