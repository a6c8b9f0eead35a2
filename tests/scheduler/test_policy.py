"""The one place that decides what the expert sees of a citizen, and when."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.audit.policy import expert_view, expert_window_open, freeze_day, list_line
from scheduler.booking.models import Visit

MONDAY = dt.date(2026, 3, 30)  # the Monday after the spring DST change


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_the_freeze_is_the_working_day_before(day: dt.date) -> None:
    """The freeze is a weekday before the visit, with only weekend days in between."""
    freeze = freeze_day(day)
    assert freeze < day and freeze.weekday() < 5
    between = [freeze + dt.timedelta(days=i) for i in range(1, (day - freeze).days)]
    assert all(d.weekday() >= 5 for d in between)


@pytest.mark.parametrize(
    ("visit", "today", "open_"),
    [
        (MONDAY, MONDAY - dt.timedelta(days=3), True),  # Friday before a Monday
        (MONDAY, MONDAY - dt.timedelta(days=4), False),  # Thursday: too early
        (MONDAY + dt.timedelta(days=2), MONDAY, False),  # two days ahead
        (MONDAY + dt.timedelta(days=1), MONDAY, True),  # tomorrow
        (MONDAY, MONDAY + dt.timedelta(days=1), True),  # the day after
        (MONDAY, MONDAY + dt.timedelta(days=2), False),  # later: gone again
        (dt.date(2026, 10, 25), dt.date(2026, 10, 23), True),  # autumn DST Sunday, from Friday
    ],
)
def test_the_expert_window(visit: dt.date, today: dt.date, open_: bool) -> None:
    """Name and phone show from the freeze to the end of the day after the visit."""
    assert expert_window_open(visit, today) is open_


def test_the_window_opens_on_the_day_the_municipalitys_plan_freezes() -> None:
    """With the freeze two working days ahead the window opens then; with the freeze on the day
    itself, not the day before."""
    wednesday = MONDAY + dt.timedelta(days=2)
    assert expert_window_open(wednesday, MONDAY, opens=MONDAY)
    assert not expert_window_open(wednesday, MONDAY, opens=MONDAY + dt.timedelta(days=1))
    assert not expert_window_open(wednesday, wednesday - dt.timedelta(days=1), opens=wednesday)
    assert expert_window_open(wednesday, wednesday, opens=wednesday)


@pytest.mark.parametrize(("phone", "notes"), [(True, True), (False, True), (True, False)])
def test_withheld_fields_stay_hidden_inside_the_window(phone: bool, notes: bool) -> None:
    """What the citizen withheld is hidden even on the day; the rest shows."""
    visit = Visit(date=MONDAY, share_phone=phone, share_notes=notes)
    seen = expert_view(visit, MONDAY)
    assert (seen.name, seen.phone, seen.notes) == (True, phone, notes)
    assert ("phone" in seen.fields()) is phone and "address" in seen.fields()
    before = expert_view(visit, MONDAY - dt.timedelta(days=7))
    assert before.fields() == ("address",)


def test_planners_lists_show_initials_and_postcode_only() -> None:
    """ "Jan de Vries", 3511AB → "J.d.V. · 3511 AB"; nothing of the street or full name."""
    assert list_line("Jan de Vries", "3511AB") == "J.d.V. · 3511 AB"
    assert list_line(None, None) == "– · –"
