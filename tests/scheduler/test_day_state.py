"""Day plans: what bookings leave behind is a plan that keeps every promise."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import SeedDemo

from routing.check import check
from routing.model import StepType
from routing.travel import HaversineTravel
from routing.vroom import solution_to_vroom
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.day import locks as day_locks
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.demo import DemoSize
from scheduler.planning.models import ExpertDay, PlanningDay
from scheduler.tenants.models import Municipality

TRAVEL = HaversineTravel()


SIZE = DemoSize(experts=5, days=3, fill=0.45, seed=3, addresses=300)


@pytest.fixture
def seeded(seed_demo: SeedDemo, session: Session) -> Municipality:
    """The demo town, 5 experts, 3 days booked to 45% (a copy of a template seeded once)."""
    return session.get_one(Municipality, seed_demo(SIZE, None))


def booked_dates(session: Session, m: Municipality) -> list[dt.date]:
    rows = session.scalars(select(Visit.date).where(Visit.municipality_id == m.id).distinct())
    return sorted(rows)


def test_every_active_visit_is_in_exactly_one_plan(session: Session, seeded: Municipality) -> None:
    """Each active visit appears once in the stops of the expert-day it points at, nowhere else."""
    places = Counter()
    for day in session.scalars(select(ExpertDay)):
        for stop in day.stops:
            if stop["type"] == "visit":
                places[int(stop["id"])] += 1
                visit = session.get(Visit, int(stop["id"]))
                assert visit is not None and visit.expert_day_id == day.id
                assert visit.expert_id == day.expert_id and visit.date == day.date
    active = session.scalars(select(Visit).where(Visit.status.in_(ACTIVE_STATUSES))).all()
    assert active
    assert {v.id for v in active} == set(places)
    assert set(places.values()) == {1}


def test_plans_replay_without_violations_and_times_match(
    session: Session, seeded: Municipality
) -> None:
    """Replaying each expert-day gives no violation and the stored planned times."""
    for date in booked_dates(session, seeded):
        state = day_state.load_day(session, seeded, date)
        for expert_id in state.shifts:
            stops = state.stops(expert_id)
            timed = day_timing.retime(state, expert_id, stops, TRAVEL)
            assert timed.feasible, timed.violations
            for step in timed.route.steps:
                if step.type is StepType.VISIT:
                    v = state.visits[step.id]
                    assert v.planned_start == state.instant(step.service_start)
                    assert v.window_start <= v.planned_start <= v.window_end


def test_the_day_passes_the_independent_checker(session: Session, seeded: Municipality) -> None:
    """The current plan, written as VROOM output, passes routing.check on the day's problem."""
    for date in booked_dates(session, seeded):
        state = day_state.load_day(session, seeded, date)
        problem, solution, violations = day_state.current_solution(state, TRAVEL)
        assert not violations
        assert not solution.unassigned
        assert check(problem, solution_to_vroom(problem, solution)) == []


def test_the_checker_would_catch_a_broken_plan(session: Session, seeded: Municipality) -> None:
    """A promise moved to 00:30 at night, before any shift, is reported by replay and checker."""
    date = booked_dates(session, seeded)[0]
    visit = session.scalars(select(Visit).where(Visit.date == date)).first()
    assert visit is not None
    state = day_state.load_day(session, seeded, date)
    visit = state.visits[visit.id]
    visit.window_start = state.origin + dt.timedelta(minutes=30)
    visit.window_end = state.origin + dt.timedelta(minutes=60)
    problem, solution, violations = day_state.current_solution(state, TRAVEL)
    assert visit.expert_id in violations
    found = check(problem, solution_to_vroom(problem, solution))
    assert any(v.job == visit.id for v in found), found
    session.rollback()


def test_locking_creates_rows_once_and_versions_count_changes(
    session: Session, seeded: Municipality
) -> None:
    """lock_expert_days makes missing rows and returns existing ones; versions go up by one."""
    date = dt.date(2030, 1, 7)
    experts = [e.id for e in day_shifts.get_experts(session, municipality=seeded)][:2]
    first = day_locks.lock_expert_days(session, seeded, date, experts)
    again = day_locks.lock_expert_days(session, seeded, date, reversed(experts))
    assert set(first) == set(again) == set(experts)
    assert {d.id for d in first.values()} == {d.id for d in again.values()}
    day_locks.bump_day_version(session, seeded, date)
    day_locks.bump_day_version(session, seeded, date)
    session.commit()
    count = session.scalar(
        select(func.count()).select_from(ExpertDay).where(ExpertDay.date == date)
    )
    version = session.scalar(select(PlanningDay.version).where(PlanningDay.date == date))
    assert count == 2 and version == 2


def test_stop_order_is_repaired_to_the_shift(session: Session, seeded: Municipality) -> None:
    """A plan that lost its lunch break gets it back where its window falls among the visits."""
    date = booked_dates(session, seeded)[0]
    state = day_state.load_day(session, seeded, date)
    expert_id = next(e for e, s in state.shifts.items() if s.breaks and e in state.expert_days)
    day = state.expert_days[expert_id]
    day.stops = [s for s in day.stops if s["type"] == "visit"]
    repaired = state.stops(expert_id)
    assert sum(1 for k, _ in repaired if k is StepType.BREAK) == len(state.shifts[expert_id].breaks)
    timed = day_timing.retime(state, expert_id, repaired, TRAVEL)
    assert timed.feasible, timed.violations
    session.rollback()
