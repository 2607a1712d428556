"""UTC <-> Europe/London around the 2026 clock changes (29 March forward, 25 October back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hero_health_client.london import (
    AmbiguousTimeError,
    NaiveDatetimeError,
    NonexistentTimeError,
    format_london,
    london_day_bounds,
    london_to_utc,
    to_london,
)


@pytest.mark.parametrize(
    ("utc", "wall", "zone"),
    [
        ("2026-03-29T00:59:59Z", "2026-03-29 00:59:59", "GMT"),
        ("2026-03-29T01:00:00Z", "2026-03-29 02:00:00", "BST"),
        ("2026-10-25T00:30:00Z", "2026-10-25 01:30:00", "BST"),
        ("2026-10-25T01:30:00Z", "2026-10-25 01:30:00", "GMT"),
        ("2026-07-01T12:00:00+00:00", "2026-07-01 13:00:00", "BST"),
        ("2026-12-01T12:00:00Z", "2026-12-01 12:00:00", "GMT"),
    ],
)
def test_to_london(utc: str, wall: str, zone: str) -> None:
    local = to_london(utc)
    assert local.strftime("%Y-%m-%d %H:%M:%S") == wall
    assert local.tzname() == zone
    # Compared in UTC: PEP 495 makes any inter-zone comparison with an ambiguous wall time unequal.
    assert local.astimezone(UTC) == datetime.fromisoformat(utc.replace("Z", "+00:00"))


def test_to_london_accepts_any_aware_datetime() -> None:
    paris = timezone(timedelta(hours=1))
    assert to_london(datetime(2026, 1, 10, 10, 0, tzinfo=paris)).hour == 9


def test_to_london_refuses_naive_values() -> None:
    with pytest.raises(NaiveDatetimeError, match="needs a UTC offset"):
        to_london(datetime(2026, 3, 29, 1, 30))
    with pytest.raises(ValueError):
        to_london("2026-03-29T01:30:00")


def test_spring_forward_gap_does_not_exist() -> None:
    for minute in (0, 30, 59):
        with pytest.raises(NonexistentTimeError, match="does not exist"):
            london_to_utc(datetime(2026, 3, 29, 1, minute))
    assert london_to_utc("2026-03-29T00:59:00") == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert london_to_utc("2026-03-29T02:00:00") == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_fall_back_hour_is_ambiguous_until_fold_says_which() -> None:
    with pytest.raises(AmbiguousTimeError, match="fold=0"):
        london_to_utc(datetime(2026, 10, 25, 1, 30))
    assert london_to_utc(datetime(2026, 10, 25, 1, 30), fold=0) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert london_to_utc(datetime(2026, 10, 25, 1, 30), fold=1) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert london_to_utc("2026-10-25T00:59:00") == datetime(2026, 10, 24, 23, 59, tzinfo=UTC)
    assert london_to_utc("2026-10-25T02:00:00") == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


def test_london_to_utc_converts_aware_values_as_they_are() -> None:
    assert london_to_utc("2026-10-25T01:30:00+01:00") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_errors_are_value_errors() -> None:
    assert issubclass(NonexistentTimeError, ValueError)
    assert issubclass(AmbiguousTimeError, ValueError)
    assert issubclass(NaiveDatetimeError, ValueError)
    with pytest.raises(ValueError, match="fold"):
        london_to_utc(datetime(2026, 1, 1), fold=2)
    with pytest.raises(ValueError, match="ISO 8601"):
        to_london("next tuesday")


def test_format_london() -> None:
    assert format_london("2026-10-25T01:30:00Z") == "Sun 25 Oct 2026, 01:30 GMT"
    assert format_london("2026-10-25T00:30:00Z") == "Sun 25 Oct 2026, 01:30 BST"
    assert format_london("2026-03-29T01:00:00Z", "%H:%M %Z on %a %d %b") == "02:00 BST on Sun 29 Mar"


def test_clock_change_days_are_23_and_25_hours_long() -> None:
    start, end = london_day_bounds("2026-03-29T12:00:00Z")
    assert (start, end - start) == (datetime(2026, 3, 29, 0, 0, tzinfo=UTC), timedelta(hours=23))
    start, end = london_day_bounds(datetime(2026, 10, 25, 12, 0))
    assert (start, end - start) == (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), timedelta(hours=25))
