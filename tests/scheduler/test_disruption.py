"""Disruption: an expert falls ill, the day is re-planned with the experts who still work.

A tiny hand-made town first, small enough to check by hand; then the demo municipality.

The tiny town: two WMO experts, Anouk (A) and Bram (B), cycle from the city office; a Tuesday
08:30-17:00 with a 30-minute lunch between 12:00 and 13:30. Intakes last 60 minutes; the
citizens were promised arrival windows:

=====  ===========  ======  ==============================================
visit  window       plan    why
=====  ===========  ======  ==============================================
a1     09:00-11:00  A       A does a1 at 09:00, a2 at about 10:10
a2     09:00-11:00  A
a3     14:00-16:00  A       the afternoon
b1     09:00-11:00  B       B does b1 at 09:00, b2 at about 10:10
b2     09:00-11:00  B
=====  ===========  ======  ==============================================

A falls ill for the whole day. B can start at most two 60-minute visits between 09:00 and 11:00,
and already has b1 and b2: a1 and a2 cannot be kept (listed, with new windows, citizens told);
a3 moves to B's free afternoon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.check import check
from routing.model import Route, Solution, StepType
from routing.replay import replay
from routing.travel import HaversineTravel
from routing.vroom import solution_to_vroom
from scheduler import clock, demo
from scheduler.booking.models import ACTIVE_STATUSES, Offer, Visit, VisitEvent, VisitStatus
from scheduler.capacity.models import (
    ExceptionKind,
    Expert,
    ShiftException,
    TravelMode,
    WeeklyShift,
)
from scheduler.catalog.models import ServiceType
from scheduler.day import locks as day_locks
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.planning.models import ExpertDay
from scheduler.security import new_token
from scheduler.tenants.models import Municipality
from scheduler.usecases import disruption

NOW = dt.datetime(2025, 3, 3, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Amsterdam
pytestmark = pytest.mark.usefixtures("frozen")
DAY = dt.date(2025, 3, 4)  # Tuesday
AMS = clock.zone("Europe/Amsterdam")
OFFICE = (52.0894, 5.1103)
TRAVEL = HaversineTravel()


class Outbox:
    """Records the messages a use case asks to queue (the notify hook)."""

    def __init__(self) -> None:
        self.queued: list[tuple[int, str]] = []

    def __call__(
        self, session: Session, visit: Visit, kind: str, manage_token: str | None = None
    ) -> None:
        self.queued.append((visit.id, kind))


@dataclass
class Town:
    municipality: Municipality
    a: int
    b: int
    visits: dict[str, int]


def _at(hhmm: str) -> dt.datetime:
    return clock.at_local(DAY, dt.time.fromisoformat(hhmm), AMS)


def _visit(s: Session, m: Municipality, service: ServiceType, name: str, window: str) -> Visit:
    start, end = window.split("-")
    # Points a kilometre or so from the office, each its own.
    k = sum(map(ord, name)) % 7
    visit = Visit(
        municipality_id=m.id,
        service_type_id=service.id,
        reference=f"T-{name.upper()}",
        manage_token_hash=new_token()[:64],
        status=VisitStatus.BOOKED,
        date=DAY,
        window_start=_at(start),
        window_end=_at(end),
        duration_minutes=service.duration_minutes,
        lat=OFFICE[0] + 0.004 * (k - 3),
        lon=OFFICE[1] + 0.006 * ((k * 5) % 7 - 3),
        citizen_email=f"{name}@example.org",
        ical_uid=f"{name}@aanhuis.test",
        created_at=NOW,
        updated_at=NOW,
    )
    s.add(visit)
    s.flush()
    return visit


@pytest.fixture
def town(session: Session) -> Town:
    """The tiny town of the module docstring, with both experts' plans written."""
    m = Municipality(
        slug="klein",
        name="Gemeente Klein",
        timezone="Europe/Amsterdam",
        center_lat=OFFICE[0],
        center_lon=OFFICE[1],
        radius_km=9.0,
        email="aanhuis@klein.example",
    )
    session.add(m)
    session.flush()
    service = ServiceType(
        municipality_id=m.id,
        code="wmo-intake",
        name_nl="Keukentafelgesprek",
        name_en="Intake",
        duration_minutes=60,
        skill="wmo",
        window_minutes=120,
    )
    session.add(service)
    experts = []
    for name in ("Anouk", "Bram"):
        e = Expert(
            municipality_id=m.id,
            name=name,
            skills=["wmo"],
            travel_mode=TravelMode.BIKE,
            start_lat=OFFICE[0],
            start_lon=OFFICE[1],
        )
        e.shifts = [
            WeeklyShift(
                weekday=d,
                start=dt.time(8, 30),
                end=dt.time(17),
                break_earliest=dt.time(12),
                break_latest=dt.time(13, 30),
                break_minutes=30,
            )
            for d in range(5)
        ]
        session.add(e)
        experts.append(e)
    session.flush()
    a, b = experts
    v = {
        name: _visit(session, m, service, name, window)
        for name, window in [
            ("a1", "09:00-11:00"),
            ("a2", "09:00-11:00"),
            ("a3", "14:00-16:00"),
            ("b1", "09:00-11:00"),
            ("b2", "09:00-11:00"),
        ]
    }
    # Lunch (break 1) after the morning visits.
    plans = {a.id: ["a1", "a2", "lunch", "a3"], b.id: ["b1", "b2", "lunch"]}
    locked = day_locks.lock_expert_days(session, m, DAY, plans)
    state = day_state.load_day(session, m, DAY)
    for eid, names in plans.items():
        stops = [(StepType.BREAK, 1) if n == "lunch" else (StepType.VISIT, v[n].id) for n in names]
        timed = day_timing.retime(state, eid, stops, TRAVEL)
        assert timed.feasible, timed.violations
        day_timing.write_route(session, state, locked[eid], stops, timed)
    session.commit()
    return Town(m, a.id, b.id, {n: x.id for n, x in v.items()})


def _sick(session: Session, m: Municipality, expert_id: int, hours: str | None = None) -> None:
    start, end = hours.split("-") if hours else (None, None)
    session.add(
        ShiftException(
            expert_id=expert_id,
            date=DAY,
            kind=ExceptionKind.SICKNESS,
            start=dt.time.fromisoformat(start) if start else None,
            end=dt.time.fromisoformat(end) if end else None,
            created_at=NOW,
        )
    )
    m.capacity_version += 1
    session.commit()


def _active(session: Session, m: Municipality) -> dict[int, Visit]:
    query = select(Visit).where(
        Visit.municipality_id == m.id, Visit.date == DAY, Visit.status.in_(ACTIVE_STATUSES)
    )
    return {v.id: v for v in session.scalars(query.execution_options(populate_existing=True))}


def _violations(session: Session, m: Municipality) -> list[str]:
    """VROOM's checker on the stored plan, plus: each planned visit is held by its expert-day."""
    state = day_state.load_day(session, m, DAY)
    problem, _, orders = day_state.problem_of(state, TRAVEL)
    routes: list[Route] = []
    served: set[int] = set()
    for eid, stops in orders.items():
        visits = [i for k, i in stops if k is StepType.VISIT]
        if visits:
            routes.append(replay(problem, problem.vehicle(eid), stops).route)
            served.update(visits)
    solution = Solution(tuple(routes), tuple(v.id for v in problem.visits if v.id not in served))
    found = [str(x) for x in check(problem, solution_to_vroom(problem, solution))]
    by_id = {d.id: d for d in state.expert_days.values()}
    for v in state.visits.values():
        if v.expert_day_id is not None:
            day = by_id[v.expert_day_id]
            if day.stops.count({"type": "visit", "id": v.id}) != 1 or day.expert_id != v.expert_id:
                found.append(f"visit {v.id} is not held by its expert-day")
            if day.expert_id not in state.shifts:
                found.append(f"visit {v.id} is planned on an expert who does not work")
    return found


def test_sick_expert_visits_move_or_are_listed(town: Town, session: Session) -> None:
    """A falls ill: a3 moves to B inside its window; a1 and a2 leave the plan (at risk, not
    cancelled), each with alternatives and one queued disruption message; B keeps b1 and b2."""
    m, v = town.municipality, town.visits
    _sick(session, m, town.a)
    outbox = Outbox()
    result = disruption.replan_day(
        session,
        municipality=m,
        date=DAY,
        travel=TRAVEL,
        notify=outbox,
        actor="planner:1",
        hold_minutes=10,
        time_limit=1,
    )
    visits = _active(session, m)
    assert set(visits) == set(v.values())  # nothing cancelled, nothing lost
    assert {x.visit.id for x in result.listed} == {v["a1"], v["a2"]}
    assert [(x.visit_id, x.from_expert_id, x.to_expert_id) for x in result.moved] == [
        (v["a3"], town.a, town.b)
    ]
    assert result.kept == 3
    for name in ("a3", "b1", "b2"):
        assert visits[v[name]].expert_id == town.b
        assert visits[v[name]].window_start <= visits[v[name]].planned_start  # type: ignore[operator]
        assert visits[v[name]].planned_start <= visits[v[name]].window_end  # type: ignore[operator]
    for name in ("a1", "a2"):
        out = visits[v[name]]
        assert (out.expert_day_id, out.expert_id, out.planned_start) == (None, None, None)
        assert out.at_risk and out.status is VisitStatus.BOOKED
    assert sorted(outbox.queued) == sorted([(v["a1"], "disruption"), (v["a2"], "disruption")])
    for item in result.listed:
        assert item.notified
        assert item.alternatives, "every listed visit gets new windows"
        assert {o.reschedule_of for o in item.alternatives} == {item.visit.id}
    # A later window the same day is offered too: B is free after 15:00.
    assert any(o.date == DAY for item in result.listed for o in item.alternatives)
    sick_day = session.scalar(select(ExpertDay).where(ExpertDay.expert_id == town.a))
    assert sick_day is not None and sick_day.stops == []
    events = session.scalars(select(VisitEvent).where(VisitEvent.status == "disrupted")).all()
    assert sorted(e.visit_id for e in events) == sorted([v["a1"], v["a2"]])
    assert _violations(session, m) == []


def test_replanning_again_does_not_message_citizens_twice(town: Town, session: Session) -> None:
    """A second re-plan of the same day lists the same visits with fresh offers but queues no
    second message: those citizens were told already."""
    m = town.municipality
    _sick(session, m, town.a)
    outbox = Outbox()
    first, second = (
        disruption.replan_day(
            session,
            municipality=m,
            date=DAY,
            travel=TRAVEL,
            notify=outbox,
            actor="t",
            hold_minutes=10,
            time_limit=1,
        )
        for _ in range(2)
    )
    assert {x.visit.id for x in second.listed} == {x.visit.id for x in first.listed}
    assert not any(x.notified for x in second.listed)
    assert len(outbox.queued) == len(first.listed) == 2
    assert second.version == first.version + 1
    offers = session.scalars(select(Offer)).all()
    assert len(offers) == sum(len(x.alternatives) for x in first.listed + second.listed)
    assert _violations(session, m) == []


def test_afternoon_sickness_moves_only_the_afternoon(town: Town, session: Session) -> None:
    """A goes home ill at 13:00: a3 moves to B, nothing is listed, A only works the morning.

    (The solver may also swap morning visits between A and B when that is shorter.)
    """
    m, v = town.municipality, town.visits
    _sick(session, m, town.a, "13:00-17:00")
    outbox = Outbox()
    result = disruption.replan_day(
        session,
        municipality=m,
        date=DAY,
        travel=TRAVEL,
        notify=outbox,
        actor="t",
        hold_minutes=10,
        time_limit=1,
    )
    visits = _active(session, m)
    assert result.listed == [] and outbox.queued == []
    assert v["a3"] in {x.visit_id for x in result.moved}
    assert visits[v["a3"]].expert_id == town.b
    mornings = [x for x in visits.values() if x.expert_id == town.a]
    assert len(mornings) == 2
    assert all(x.planned_end is not None and x.planned_end <= _at("13:00") for x in mornings)
    assert _violations(session, m) == []


def test_sick_expert_in_the_demo_town_loses_nothing(session: Session) -> None:
    """Demo town (6 experts): the busiest expert whose skill a colleague shares falls ill. Every
    one of their visits is moved (plan valid, windows kept) or listed with alternatives and a
    message; every visit another expert kept stays kept; the day has as many active visits as
    before. (With 45% of capacity booked, some visits fit with colleagues and some do not.)"""
    size = demo.DemoSize(experts=6, days=2, fill=0.45, addresses=300)
    m = demo.create_municipality(session, size=size, today=NOW.date())
    session.commit()
    demo.fill_bookings(session, m, size=size, travel=TRAVEL)
    before = _active(session, m)
    load: dict[int, list[int]] = {}
    for visit in before.values():
        if visit.expert_id is not None:
            load.setdefault(visit.expert_id, []).append(visit.id)
    experts = {e.id: set(e.skills) for e in session.scalars(select(Expert))}
    shared = [e for e in load if any(experts[e] & experts[o] for o in load if o != e)]
    sick, theirs = max(((e, load[e]) for e in shared), key=lambda kv: len(kv[1]))
    others = {vid for eid, vids in load.items() if eid != sick for vid in vids}
    assert len(theirs) >= 3
    _sick(session, m, sick)
    outbox = Outbox()
    result = disruption.replan_day(
        session,
        municipality=m,
        date=DAY,
        travel=TRAVEL,
        notify=outbox,
        actor="t",
        hold_minutes=10,
        time_limit=2,
    )
    after = _active(session, m)
    assert set(after) == set(before)
    listed = {x.visit.id for x in result.listed}
    moved = {vid for vid in theirs if after[vid].expert_id not in (None, sick)}
    assert moved | listed == set(theirs) and not moved & listed
    assert {x.visit_id for x in result.moved} >= moved
    assert all(after[vid].expert_id not in (None, sick) for vid in others)
    assert sorted(outbox.queued) == sorted((vid, "disruption") for vid in listed)
    for item in result.listed:
        assert item.notified and item.alternatives
        assert item.visit.at_risk and item.visit.expert_day_id is None
    assert _violations(session, m) == []
    assert not session.scalar(
        select(ExpertDay.stops).where(ExpertDay.expert_id == sick, ExpertDay.date == DAY)
    )
