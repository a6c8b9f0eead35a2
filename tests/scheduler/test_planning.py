"""Day plans: optimise a day into a proposal, guard it, and apply it.

A demo municipality (6 experts, 2 days booked to 60% through the real offer and booking code) is
optimised with a short solver limit. The applied plan is exported with ``day_state.problem_of`` and
a replay of the stored stop orders, and judged by ``routing.check`` (VROOM's rules): an independent
check that every promise, break and shift is kept.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import pathlib
import pickle
import shutil
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from routing.check import check
from routing.model import Solution, StepType
from routing.replay import replay
from routing.solver import SolveParams
from routing.travel import HaversineTravel
from routing.vroom import solution_to_vroom
from scheduler import clock, demo
from scheduler.booking.models import ACTIVE_STATUSES, Visit, VisitStatus
from scheduler.capacity.models import ExceptionKind, ShiftException
from scheduler.day import state as day_state
from scheduler.db import make_engine, make_sessionmaker
from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.planning import service as planning
from scheduler.planning.models import ExpertDay, PlanningDay, Proposal
from scheduler.tenants.models import Municipality
from scheduler.usecases import disruption

NOW = dt.datetime(2025, 3, 3, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Amsterdam
DAY = dt.date(2025, 3, 4)  # the Tuesday after: day, evening and Saturday-pattern experts work
SIZE = demo.DemoSize(experts=6, days=2, fill=0.6, addresses=300)
LIMIT = 1.5
TRAVEL = HaversineTravel()
POSTGRES_URL = os.environ.get("AANHUIS_TEST_POSTGRES_URL")
_copies = itertools.count()


def _seed(url: str) -> None:
    previous = clock.set_clock(lambda: NOW)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            m = demo.create_municipality(s, size=SIZE, today=NOW.date())
            s.commit()
            demo.fill_bookings(s, m, size=SIZE, travel=TRAVEL)
    finally:
        engine.dispose()
        clock.set_clock(previous)


@pytest.fixture(scope="module")
def seeded() -> Iterator[dict[str, str]]:
    """Per backend, a database seeded once for this module (booking the demo takes seconds)."""
    made: dict[str, str] = {}
    yield made
    if "postgresql" in made and POSTGRES_URL:
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{made["postgresql"]}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def db_url(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: pathlib.Path,
    tmp_path_factory: pytest.TempPathFactory,
    seeded: dict[str, str],
) -> Iterator[str]:
    """Overrides conftest's: a fresh copy of the seeded demo database, per test."""
    if backend == "sqlite":
        if "sqlite" not in seeded:
            template: pathlib.Path = request.getfixturevalue("_sqlite_template")
            path = tmp_path_factory.mktemp("seeded") / "demo.sqlite3"
            shutil.copy(template, path)
            _seed(f"sqlite:///{path}")
            seeded["sqlite"] = str(path)
        copy = tmp_path / "test.sqlite3"
        shutil.copy(seeded["sqlite"], copy)
        yield f"sqlite:///{copy}"
        return
    assert POSTGRES_URL is not None
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        if "postgresql" not in seeded:
            migrated: str = request.getfixturevalue("_postgres_template")
            name = f"aanhuis_seeded_{os.getpid()}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{migrated}"')
            _seed(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
            seeded["postgresql"] = name
        name = f"aanhuis_t_{os.getpid()}_{next(_copies)}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{seeded["postgresql"]}"')
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def town(frozen: None, session: Session) -> int:
    """The demo municipality with its bookings; returns its id."""
    town_id = session.scalar(select(Municipality.id).where(Municipality.slug == "demo"))
    assert town_id is not None
    session.commit()  # on SQLite, other sessions may write now
    return town_id


def municipality(session: Session, town: int) -> Municipality:
    m = session.get(Municipality, town)
    assert m is not None
    return m


def active_visits(session: Session, town: int, day: dt.date) -> dict[int, Visit]:
    query = select(Visit).where(
        Visit.municipality_id == town, Visit.date == day, Visit.status.in_(ACTIVE_STATUSES)
    )
    return {v.id: v for v in session.scalars(query.execution_options(populate_existing=True))}


def violations_of_day(session: Session, m: Municipality, day: dt.date) -> list[str]:
    """Export the stored plan as VROOM problem + solution and run the checker on it.

    Besides VROOM's rules, each stored visit must agree with the plan: its expert-day holds it
    exactly once, and its planned start lies inside its promised window.
    """
    state = day_state.load_day(session, m, day)
    problem, _, orders = day_state.problem_of(state, TRAVEL)
    routes = []
    served: set[int] = set()
    for eid, stops in orders.items():
        visits = [i for k, i in stops if k is StepType.VISIT]
        if visits:
            routes.append(replay(problem, problem.vehicle(eid), stops).route)
            served.update(visits)
    solution = Solution(tuple(routes), tuple(v.id for v in problem.visits if v.id not in served))
    found = [str(v) for v in check(problem, solution_to_vroom(problem, solution))]
    days = {d.id: d for d in state.expert_days.values()}
    for v in state.visits.values():
        if v.expert_day_id is None:
            continue
        held = [s for s in days[v.expert_day_id].stops if s == {"type": "visit", "id": v.id}]
        if len(held) != 1 or days[v.expert_day_id].expert_id != v.expert_id:
            found.append(f"visit {v.id}: its expert-day does not hold it exactly once")
        assert v.planned_start is not None
        if not v.window_start <= v.planned_start <= v.window_end:
            found.append(f"visit {v.id}: planned outside its window")
    for d in state.expert_days.values():
        for s in d.stops:
            if s["type"] == "visit":
                held_visit = state.visits.get(int(s["id"]))
                if held_visit is None or held_visit.expert_day_id != d.id:
                    found.append(f"expert-day {d.id}: holds visit {s['id']} that is not its own")
    return found


def served_visits(session: Session, m: Municipality, day: dt.date) -> set[int]:
    state = day_state.load_day(session, m, day)
    return {i for e in state.shifts for k, i in state.stops(e) if k is StepType.VISIT}


def day_version(session: Session, town: int, day: dt.date) -> int:
    return (
        session.scalar(
            select(PlanningDay.version).where(
                PlanningDay.municipality_id == town, PlanningDay.date == day
            )
        )
        or 0
    )


def test_optimise_and_apply_keeps_every_promise_and_never_raises_travel(
    town: int, session: Session
) -> None:
    """Optimise + apply: travel never rises, nothing assigned before is dropped, and the stored
    plan passes VROOM's rules (windows, breaks, shifts, skills) in the checker."""
    m = municipality(session, town)
    assert violations_of_day(session, m, DAY) == []
    before = served_visits(session, m, DAY)
    assert len(before) >= 10
    version = day_version(session, town, DAY)

    proposal = planning.propose(
        session, municipality=m, date=DAY, travel=TRAVEL, time_limit=LIMIT, actor="test"
    )
    assert proposal.base_version == version
    assert proposal.before["visits_assigned"] == len(before)
    assert proposal.after["travel_seconds"] <= proposal.before["travel_seconds"]
    planning.apply(session, municipality=m, proposal_id=proposal.id, travel=TRAVEL, actor="test")

    session.expire_all()
    assert violations_of_day(session, m, DAY) == []
    after = served_visits(session, m, DAY)
    assert before <= after
    # The stored plan is the proposal: its travel, re-timed from the database, is the "after".
    snapshot = planning.snapshot_day(session, m, DAY, TRAVEL)
    stored = planning.figures(snapshot, snapshot.orders)
    assert stored["travel_seconds"] == proposal.after["travel_seconds"]
    assert stored["travel_seconds"] <= proposal.before["travel_seconds"]
    visits = active_visits(session, town, DAY)
    assert {v.status for v in visits.values()} == {VisitStatus.PLANNED}
    assert day_version(session, town, DAY) == version + 1
    assert session.get(Proposal, proposal.id).status == "applied"  # type: ignore[union-attr]


def test_figures_are_computed_from_the_routes(town: int, session: Session) -> None:
    """Before-figures add up over experts and match a replay of each expert's current order;
    distance is in km and positive for every expert with visits."""
    m = municipality(session, town)
    snapshot = planning.snapshot_day(session, m, DAY, TRAVEL)
    fig = planning.figures(snapshot, snapshot.orders)
    experts = fig["experts"]
    assert sum(e["travel_seconds"] for e in experts) == fig["travel_seconds"]
    assert sum(e["visits"] for e in experts) == fig["visits_assigned"]
    assert fig["visits_assigned"] + fig["visits_unassigned"] == len(snapshot.visits)
    for e in experts:
        stops = snapshot.orders[e["expert_id"]]
        if e["visits"]:
            rep = replay(snapshot.problem, snapshot.problem.vehicle(e["expert_id"]), stops)
            assert e["travel_seconds"] == rep.route.travel
            assert 0 < e["distance_km"] < 200
            assert e["start"] is not None and e["end"] is not None
        else:
            assert e["travel_seconds"] == 0


def _fake_solver(monkeypatch: pytest.MonkeyPatch, drop: bool) -> None:
    """Replace the solver with one that returns the current plan (minus one visit when asked)."""

    def fake(problem, params, initial):  # type: ignore[no-untyped-def]
        routes = []
        dropped = False
        for r in initial:
            visits = list(r.visits)
            if drop and visits and not dropped:
                visits, dropped = visits[1:], True
            if visits:
                stops = [(StepType.VISIT, v) for v in visits]
                vehicle = problem.vehicle(r.vehicle)
                stops += [(StepType.BREAK, b.id) for b in vehicle.breaks]
                routes.append(replay(problem, vehicle, stops).route)
        served = {v for r in routes for v in r.visit_ids}
        return Solution(tuple(routes), tuple(v.id for v in problem.visits if v.id not in served))

    monkeypatch.setattr(planning, "solve", fake)


@pytest.mark.parametrize("drop", [True, False], ids=["solver-drops-a-visit", "no-shorter"])
def test_guard_keeps_the_current_plan_when_the_solver_is_not_better(
    town: int, session: Session, monkeypatch: pytest.MonkeyPatch, drop: bool
) -> None:
    """A solver result that leaves out a visit the current plan serves, or is not shorter, is
    never offered: the proposal keeps the current routes and says "no improvement"."""
    m = municipality(session, town)
    snapshot = planning.snapshot_day(session, m, DAY, TRAVEL)
    _fake_solver(monkeypatch, drop)
    outcome = planning.plan_day(snapshot, SolveParams(time_limit=1), purpose="optimise")
    assert not outcome.improved
    assert outcome.note.startswith("no improvement")
    assert dict(outcome.routes) == planning._current_routes(snapshot)
    assert outcome.after == outcome.before
    assert outcome.moved == ()
    assert set(outcome.unassigned) == snapshot.visits - snapshot.kept


def test_snapshot_travels_to_another_process_and_plans_without_a_database(
    town: int, sessions: sessionmaker[Session], engine: object
) -> None:
    """The optimisation is a pure function of a picklable snapshot (what a task queue needs):
    a pickled snapshot plans the same day, with no database, to a proposal that can be stored
    and applied."""
    with sessions() as s:
        snapshot = planning.snapshot_day(s, municipality(s, town), DAY, TRAVEL)
    shipped = pickle.loads(pickle.dumps(snapshot))  # noqa: S301 - our own bytes
    assert shipped.visits == snapshot.visits and shipped.version == snapshot.version
    outcome = planning.plan_day(shipped, SolveParams(time_limit=1), purpose="optimise")
    assert outcome.after["travel_seconds"] <= outcome.before["travel_seconds"]
    with sessions() as s:
        m = municipality(s, town)
        stored = planning.store_proposal(s, shipped, outcome, actor="worker")
        applied = planning.apply(s, municipality=m, proposal_id=stored.id, travel=TRAVEL, actor="t")
        assert applied.status == "applied"
        assert violations_of_day(s, m, DAY) == []


def test_started_visits_stay_with_their_expert(town: int, session: Session) -> None:
    """A visit the expert is on the way to is never moved to another expert by an optimisation."""
    m = municipality(session, town)
    visits = active_visits(session, town, DAY)
    started = sorted(visits.values(), key=lambda v: v.id)[:3]
    for v in started:
        v.status = VisitStatus.ON_THE_WAY
    session.commit()
    experts = {v.id: v.expert_id for v in started}
    proposal = planning.propose(
        session, municipality=m, date=DAY, travel=TRAVEL, time_limit=LIMIT, actor="test"
    )
    planning.apply(session, municipality=m, proposal_id=proposal.id, travel=TRAVEL, actor="test")
    after = active_visits(session, town, DAY)
    assert {vid: after[vid].expert_id for vid in experts} == experts
    assert {after[vid].status for vid in experts} == {VisitStatus.ON_THE_WAY}
    assert violations_of_day(session, m, DAY) == []


def test_apply_refuses_after_an_absence_was_recorded(town: int, session: Session) -> None:
    """Capacity changed after the proposal (an expert fell ill): applying it answers Conflict and
    the proposal becomes stale; nothing of the plan changes."""
    m = municipality(session, town)
    proposal = planning.propose(
        session, municipality=m, date=DAY, travel=TRAVEL, time_limit=1, actor="test"
    )
    stops_before = {d.id: d.stops for d in session.scalars(select(ExpertDay))}
    expert_id = next(v.expert_id for v in active_visits(session, town, DAY).values() if v.expert_id)
    session.add(
        ShiftException(expert_id=expert_id, date=DAY, kind=ExceptionKind.SICKNESS, created_at=NOW)
    )
    m.capacity_version += 1
    session.commit()
    with pytest.raises(Conflict):
        planning.apply(session, municipality=m, proposal_id=proposal.id, travel=TRAVEL, actor="t")
    session.expire_all()
    assert session.get(Proposal, proposal.id).status == "stale"  # type: ignore[union-attr]
    assert {d.id: d.stops for d in session.scalars(select(ExpertDay))} == stops_before


def test_proposals_belong_to_their_municipality(town: int, session: Session) -> None:
    """Another municipality cannot read or apply a proposal: it does not exist for them."""
    m = municipality(session, town)
    proposal = planning.propose(
        session, municipality=m, date=DAY, travel=TRAVEL, time_limit=1, actor="test"
    )
    other = demo.create_municipality(
        session, size=demo.DemoSize(experts=1, days=1, addresses=20), slug="elders"
    )
    session.commit()
    with pytest.raises(NotFound):
        planning.get_proposal(session, municipality=other, proposal_id=proposal.id)
    with pytest.raises(NotFound):
        planning.apply(
            session, municipality=other, proposal_id=proposal.id, travel=TRAVEL, actor="t"
        )
    assert session.scalar(select(func.count()).select_from(Proposal)) == 1


def test_past_days_are_not_planned(town: int, session: Session) -> None:
    """Yesterday cannot be optimised or re-planned."""
    m = municipality(session, town)
    yesterday = NOW.date() - dt.timedelta(days=1)
    with pytest.raises(InvalidInput):
        planning.propose(
            session, municipality=m, date=yesterday, travel=TRAVEL, time_limit=1, actor="t"
        )
    with pytest.raises(InvalidInput):
        disruption.replan_day(
            session,
            municipality=m,
            date=yesterday,
            travel=TRAVEL,
            notify=None,
            actor="t",
            hold_minutes=10,
        )
