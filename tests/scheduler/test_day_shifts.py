"""Working time: weekly patterns, exceptions, closures, DST days and the public holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.capacity.models import ExceptionKind, Expert, ShiftException, WeeklyShift
from scheduler.day.shifts import LUNCH_BREAK_ID, _easter, dutch_public_holidays, shift_of

AMS = ZoneInfo("Europe/Amsterdam")
T = dt.time.fromisoformat
UTC = dt.UTC


def expert(active: bool = True) -> Expert:
    return Expert(id=7, name="Test", skills=["wmo"], start_lat=52.0, start_lon=5.0, active=active)


def weekly(weekday: int, start: str, end: str, lunch: tuple[str, str, int] | None = None):
    return WeeklyShift(
        weekday=weekday,
        start=T(start),
        end=T(end),
        break_earliest=T(lunch[0]) if lunch else None,
        break_latest=T(lunch[1]) if lunch else None,
        break_minutes=lunch[2] if lunch else 0,
    )


def exception(day: dt.date, kind: ExceptionKind, start: str | None = None, end: str | None = None):
    return ShiftException(
        expert_id=7,
        date=day,
        kind=kind,
        start=T(start) if start else None,
        end=T(end) if end else None,
        break_minutes=0,
        created_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
    )


MONDAY = dt.date(2026, 11, 30)


def test_weekly_shift_with_lunch_in_utc() -> None:
    """A Monday 08:30–17:00 shift in winter (UTC+1) is 07:30–16:00 UTC with its lunch rule."""
    s = shift_of(
        expert(),
        MONDAY,
        AMS,
        shifts=[weekly(0, "08:30", "17:00", ("12:00", "13:30", 30))],
        exceptions=[],
        closed=False,
    )
    assert s is not None
    assert s.start == dt.datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    assert s.end == dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    (lunch,) = s.breaks
    assert lunch.id == LUNCH_BREAK_ID and lunch.minutes == 30
    assert lunch.earliest == dt.datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert lunch.latest == dt.datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    assert s.minutes == 8 * 60 + 30 - 30


@pytest.mark.parametrize(
    ("day", "offset"),
    [(dt.date(2026, 3, 29), 2), (dt.date(2026, 10, 25), 1), (dt.date(2026, 3, 28), 1)],
)
def test_dst_change_days_keep_local_hours(day: dt.date, offset: int) -> None:
    """On the DST change Sundays the shift still runs 09:00–13:00 local time."""
    s = shift_of(
        expert(),
        day,
        AMS,
        shifts=[weekly(day.weekday(), "09:00", "13:00")],
        exceptions=[],
        closed=False,
    )
    assert s is not None
    assert s.start.astimezone(AMS).time() == T("09:00")
    assert s.end.astimezone(AMS).time() == T("13:00")
    assert s.start.hour == 9 - offset
    assert s.minutes == 240


def test_closure_and_whole_day_absence_remove_the_day() -> None:
    """No work on a closure day, during a whole-day sickness, or for an inactive expert."""
    shifts = [weekly(0, "09:00", "17:00")]
    assert shift_of(expert(), MONDAY, AMS, shifts=shifts, exceptions=[], closed=True) is None
    sick = [exception(MONDAY, ExceptionKind.SICKNESS)]
    assert shift_of(expert(), MONDAY, AMS, shifts=shifts, exceptions=sick, closed=False) is None
    assert shift_of(expert(False), MONDAY, AMS, shifts=shifts, exceptions=[], closed=False) is None
    assert shift_of(expert(), MONDAY, AMS, shifts=shifts, exceptions=[], closed=False) is not None


def test_partial_absence_trims_edges_or_becomes_a_fixed_break() -> None:
    """An absence at the start trims the day; one in the middle is a break with a fixed start."""
    shifts = [weekly(0, "09:00", "17:00")]
    early = [exception(MONDAY, ExceptionKind.ABSENCE, "08:00", "11:00")]
    s = shift_of(expert(), MONDAY, AMS, shifts=shifts, exceptions=early, closed=False)
    assert s is not None and s.start.astimezone(AMS).time() == T("11:00") and not s.breaks
    middle = [exception(MONDAY, ExceptionKind.ABSENCE, "12:00", "14:00")]
    s = shift_of(expert(), MONDAY, AMS, shifts=shifts, exceptions=middle, closed=False)
    assert s is not None
    (gap,) = s.breaks
    assert gap.kind == "absence" and gap.minutes == 120 and gap.earliest == gap.latest
    assert gap.earliest.astimezone(AMS).time() == T("12:00")


def test_split_shift_and_extra_shift_join_with_a_gap_break() -> None:
    """A morning pattern plus an extra evening shift make one day with a fixed gap break."""
    shifts = [weekly(0, "09:00", "13:00")]
    extra = [exception(MONDAY, ExceptionKind.EXTRA, "18:00", "21:00")]
    s = shift_of(expert(), MONDAY, AMS, shifts=shifts, exceptions=extra, closed=False)
    assert s is not None
    assert s.end.astimezone(AMS).time() == T("21:00")
    (gap,) = s.breaks
    assert gap.kind == "gap" and gap.minutes == 5 * 60
    assert s.minutes == 4 * 60 + 3 * 60


def test_validity_dates_bound_a_weekly_shift() -> None:
    """A weekly shift only counts between its valid_from and valid_until dates."""
    w = weekly(0, "09:00", "17:00")
    w.valid_from = MONDAY + dt.timedelta(days=7)
    assert shift_of(expert(), MONDAY, AMS, shifts=[w], exceptions=[], closed=False) is None
    later = MONDAY + dt.timedelta(days=7)
    assert shift_of(expert(), later, AMS, shifts=[w], exceptions=[], closed=False) is not None


def test_holidays_include_goede_vrijdag_and_bevrijdingsdag_every_year() -> None:
    """The closure calendar has Goede Vrijdag and Bevrijdingsdag, which `holidays` may lack."""
    days = dutch_public_holidays([2026, 2027])
    assert days[dt.date(2026, 4, 3)].lower() == "goede vrijdag"
    assert dt.date(2026, 5, 5) in days and dt.date(2027, 5, 5) in days
    assert dt.date(2027, 3, 26) in days  # Goede Vrijdag 2027
    assert dt.date(2026, 12, 25) in days and dt.date(2026, 4, 27) in days  # Kerst, Koningsdag


@given(st.integers(min_value=1900, max_value=2200))
def test_easter_is_a_sunday_in_spring(year: int) -> None:
    """The computed Easter is always a Sunday between 22 March and 25 April."""
    easter = _easter(year)
    assert easter.weekday() == 6
    assert dt.date(year, 3, 22) <= easter <= dt.date(year, 4, 25)


def test_easter_known_dates() -> None:
    """Known Easter Sundays."""
    assert _easter(2026) == dt.date(2026, 4, 5)
    assert _easter(2027) == dt.date(2027, 3, 28)
    assert _easter(2024) == dt.date(2024, 3, 31)
