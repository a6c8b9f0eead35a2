"""Capacity figures: checked by hand on the demo's weekly patterns, and summed consistently.

The demo's first four experts work, in the week of Monday 2 March 2026 (no holidays):
a day pattern (Mon–Fri 08:30–17:00, 30 min lunch: 480 min a day) twice; an evening pattern
(Mon, Wed 08:30–17:00; Tue, Thu 13:00–21:00 with 30 min dinner from 17:30: 450 min, 210 of them
after 17:00); and a Saturday pattern (Tue–Thu 08:30–17:00; Sat 09:00–14:00 without a break).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import SeedDemo

from routing.travel import HaversineTravel
from scheduler import demo
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity.overview import Figures, capacity_overview
from scheduler.capacity.schemas import OverviewRead
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.errors import InvalidInput
from scheduler.tenants.models import Municipality

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 3, 2)
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3, addresses=300)
TRAVEL = HaversineTravel()


@pytest.fixture
def empty(session: Session, frozen: None) -> Municipality:
    m = demo.create_municipality(session, size=SIZE)
    session.commit()
    return m


@pytest.fixture
def seeded(seed_demo: SeedDemo, session: Session, frozen: object) -> Municipality:
    """The demo town booked to 30% (a copy of a template seeded once)."""
    return session.get_one(Municipality, seed_demo(SIZE, NOW))


def test_a_week_without_bookings_matches_the_patterns_by_hand(
    session: Session, empty: Municipality
) -> None:
    """8400 available minutes, 420 in evenings (two 13–21 shifts), 300 on the Saturday."""
    o = capacity_overview(session, municipality=empty, start=MONDAY, days=7, travel=TRAVEL)
    assert o.totals.available == 2 * 5 * 480 + (2 * 480 + 2 * 450) + (3 * 480 + 300)
    assert o.totals.evening == 2 * 210
    assert o.totals.weekend == 300
    assert o.totals.evening_share == pytest.approx(420 / 8400)
    assert o.totals.weekend_share == pytest.approx(300 / 8400)
    assert (o.totals.booked, o.totals.travel, o.totals.utilisation) == (0, 0, 0.0)
    evening = next(r for r in o.experts if any(c and c.figures.evening for c in r.cells))
    tuesday = evening.cells[1]
    assert tuesday is not None and tuesday.shift_start is not None
    assert (tuesday.figures.available, tuesday.figures.evening) == (450, 210)
    assert tuesday.shift_start.hour == 13 and tuesday.shift_start.utcoffset() == dt.timedelta(
        hours=1
    )
    sunday = o.days[6]
    assert sunday.figures.available == 0 and sunday.figures.utilisation is None
    assert all(r.cells[6] is None for r in o.experts)
    assert [(w.year, w.week, w.first, w.last) for w in o.weeks] == [
        (2026, 10, MONDAY, MONDAY + dt.timedelta(days=6))
    ]


def test_cells_hold_the_plan_and_every_total_is_the_sum_of_its_parts(
    session: Session, seeded: Municipality
) -> None:
    """Booked = planned durations, travel = replayed route; days, weeks and totals add up."""
    o = capacity_overview(session, municipality=seeded, start=MONDAY, days=10, travel=TRAVEL)
    shifts = day_shifts.shifts_between(
        session, municipality=seeded, first=MONDAY, last=MONDAY + dt.timedelta(days=9)
    )
    visits = session.scalars(select(Visit).where(Visit.status.in_(ACTIVE_STATUSES))).all()
    assert o.totals.visits == len(visits) > 0
    for i, day in enumerate(o.dates):
        state = day_state.load_day(session, seeded, day)
        column = Figures()
        for row in o.experts:
            cell = row.cells[i]
            shift = shifts.get((row.expert_id, day))
            mine = [v for v in visits if v.expert_id == row.expert_id and v.date == day]
            if cell is None:
                assert shift is None and not mine
                continue
            column.add(cell.figures)
            assert cell.figures.available == (shift.minutes if shift else 0)
            assert cell.figures.booked == sum(v.duration_minutes for v in mine)
            assert cell.figures.visits == len(mine)
            if mine:
                replayed = day_timing.retime(
                    state, row.expert_id, state.stops(row.expert_id), TRAVEL
                ).route.travel
                assert cell.figures.travel == round(replayed / 60) > 0
            f = cell.figures
            assert f.free == max(0, f.available - f.booked - f.travel)
            assert f.utilisation == pytest.approx((f.booked + f.travel) / f.available)
        assert o.days[i].figures == column
    weeks = Figures()
    for w in o.weeks:
        days = [d.figures for d in o.days if w.first <= d.date <= w.last]
        summed = Figures()
        for f in days:
            summed.add(f)
        assert w.figures == summed
        weeks.add(w.figures)
    assert weeks == o.totals
    assert [(w.first, w.last) for w in o.weeks] == [
        (MONDAY, dt.date(2026, 3, 8)),
        (dt.date(2026, 3, 9), dt.date(2026, 3, 11)),
    ]


def test_the_api_shape_is_a_matrix_over_the_dates(session: Session, seeded: Municipality) -> None:
    """Each expert row has one entry per date, in order, so a heat map needs no lookups."""
    read = OverviewRead.of(
        capacity_overview(session, municipality=seeded, start=MONDAY, days=5, travel=TRAVEL)
    )
    assert len(read.dates) == len(read.days) == 5
    for row in read.experts:
        assert len(row.days) == 5
        for day, cell in zip(read.dates, row.days, strict=True):
            if cell is not None and cell.shift_start is not None:
                assert cell.shift_start.date() == day
    assert read.totals.available_minutes == sum(d.available_minutes for d in read.days)


@pytest.mark.parametrize("days", [0, 63])
def test_a_period_outside_one_to_62_days_is_refused(
    session: Session, empty: Municipality, days: int
) -> None:
    """Zero days or more than about two months is invalid input."""
    with pytest.raises(InvalidInput):
        capacity_overview(session, municipality=empty, start=MONDAY, days=days, travel=TRAVEL)
