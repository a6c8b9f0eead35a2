"""A municipality's day as the routing engine sees it, and back.

Loads one date's working experts, their plans (:class:`ExpertDay` stop orders) and visits, and turns
them into routing values: vehicles, visits, planned routes for the insertion index, a full problem
for the solver, and timed routes written back as planned times. Times are seconds since the local
midnight of the date, so DST days need no special case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.insertion import PlannedRoute
from routing.model import (
    Break,
    InitialRoute,
    Matrix,
    Problem,
    Solution,
    StepType,
    TimeWindow,
    Vehicle,
)
from routing.model import Visit as RVisit
from routing.replay import StopRef, replay
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import ACTIVE_STATUSES, STARTED_STATUSES, Visit
from scheduler.capacity.models import Expert
from scheduler.catalog.models import ServiceType
from scheduler.day.freeze import is_frozen
from scheduler.day.shifts import ExpertShift, get_experts, shifts_between
from scheduler.planning.models import ExpertDay, PlanningDay
from scheduler.tenants.models import Municipality

Point = tuple[float, float]  # (lon, lat), as routing/ wants it


def skill_ids(services: Iterable[ServiceType], experts: Iterable[Expert]) -> dict[str, int]:
    """A stable small integer per skill code (sorted codes), as the routing engine wants skills."""
    codes = {s.skill for s in services} | {k for e in experts for k in e.skills}
    return {code: i for i, code in enumerate(sorted(codes))}


def excluded_experts(visit: Visit) -> frozenset[int]:
    """The experts who may never serve ``visit``: the citizen asked for another expert, or a
    planner excluded them (the visit's expert rules, ``excluded_expert_ids``).

    The one place offers, bookings and the optimiser learn it from: insertion leaves these
    experts' routes out (:meth:`DayState.planned_routes`), and the routing problem carries them
    as the visit's ``excluded_vehicles`` (:meth:`DayState.routing_visit`), a hard rule of the
    engine.
    """
    return frozenset(int(e) for e in (visit.excluded_expert_ids or ()))


def stops_of(day: ExpertDay | None) -> list[StopRef]:
    if day is None:
        return []
    out: list[StopRef] = []
    for s in day.stops:
        out.append((StepType.VISIT if s["type"] == "visit" else StepType.BREAK, int(s["id"])))
    return out


def stops_json(stops: Sequence[StopRef]) -> list[dict[str, object]]:
    return [{"type": "visit" if k is StepType.VISIT else "break", "id": i} for k, i in stops]


@dataclass
class DayState:
    """Everything about one municipality-date that planning and booking need."""

    municipality: Municipality
    date: dt.date
    tz: ZoneInfo
    origin: dt.datetime
    experts: dict[int, Expert]
    shifts: dict[int, ExpertShift]
    expert_days: dict[int, ExpertDay]
    visits: dict[int, Visit]
    services: dict[int, ServiceType]
    skills: dict[str, int]
    version: int
    #: Active visits of the date that no expert-day holds (e.g. after a disruption).
    unplanned: list[int] = field(default_factory=list)
    #: The day's plan is frozen (:mod:`scheduler.planning.lifecycle`): experts have their routes.
    frozen: bool = False

    def seconds(self, instant: dt.datetime) -> int:
        return clock.to_seconds(instant, self.origin)

    def instant(self, seconds: int) -> dt.datetime:
        return clock.from_seconds(seconds, self.origin)

    def vehicle(self, expert_id: int, *, start: int | None, end: int | None) -> Vehicle:
        """The routing vehicle of an expert on this date, with the given location indices."""
        expert = self.experts[expert_id]
        shift = self.shifts[expert_id]
        return Vehicle(
            id=expert_id,
            start=start,
            end=end,
            shift=TimeWindow(self.seconds(shift.start), self.seconds(shift.end)),
            breaks=tuple(
                Break(
                    b.id,
                    (TimeWindow(self.seconds(b.earliest), self.seconds(b.latest)),),
                    b.minutes * 60,
                )
                for b in shift.breaks
            ),
            skills=frozenset(self.skills[k] for k in expert.skills if k in self.skills),
            profile=expert.travel_mode.value,
            max_visits=expert.max_visits_per_day,
        )

    def skill_id(self, code: str) -> int:
        """The routing engine's number of a skill (a new one for a skill no expert has)."""
        return self.skills.setdefault(code, len(self.skills))

    def routing_visit(self, visit: Visit, location: int, *, lock_started: bool = True) -> RVisit:
        """The routing visit: the promised window, duration, the service's skill and the skills
        the citizen's needs require (an interpreter's language).

        A visit the expert has started stays on that expert (``fixed``).
        """
        service = self.services[visit.service_type_id]
        started = lock_started and visit.status in STARTED_STATUSES and visit.expert_id is not None
        return RVisit(
            id=visit.id,
            location=location,
            duration=visit.duration_minutes * 60,
            time_windows=(
                TimeWindow(self.seconds(visit.window_start), self.seconds(visit.window_end)),
            ),
            skills=frozenset(
                self.skill_id(k) for k in (service.skill, *(visit.extra_skills or ()))
            ),
            pinned_vehicle=visit.expert_id if started else None,
            fixed=started,
            preferred_vehicle=visit.preferred_expert_id,
            required_vehicle=None if started else visit.required_expert_id,
            excluded_vehicles=excluded_experts(visit)
            - ({visit.expert_id} if started and visit.expert_id is not None else set()),
        )

    def stops(self, expert_id: int) -> list[StopRef]:
        """The expert's stop order, repaired to match today's shift.

        Breaks the shift no longer has are dropped; breaks it has but the order lacks are placed
        where their earliest start falls among the planned visits.
        """
        order = stops_of(self.expert_days.get(expert_id))
        shift = self.shifts.get(expert_id)
        wanted = {b.id: b for b in shift.breaks} if shift else {}
        order = [
            (k, i)
            for k, i in order
            if (k is StepType.BREAK and i in wanted) or (k is StepType.VISIT and i in self.visits)
        ]
        present = {i for k, i in order if k is StepType.BREAK}
        for b in sorted(wanted.values(), key=lambda b: b.earliest):
            if b.id in present:
                continue
            at = len(order)
            for pos, (k, i) in enumerate(order):
                v = self.visits.get(i) if k is StepType.VISIT else None
                planned = v.planned_start if v is not None else None
                if planned is not None and planned >= b.earliest:
                    at = pos
                    break
            order.insert(at, (StepType.BREAK, b.id))
        return order

    def expert_point(self, expert_id: int, *, end: bool = False) -> Point:
        e = self.experts[expert_id]
        if end and e.end_lat is not None and e.end_lon is not None:
            return (e.end_lon, e.end_lat)
        return (e.start_lon, e.start_lat)

    def planned_route(self, expert_id: int, *, key: object = None) -> PlannedRoute:
        """The expert's day for the insertion index (location 0 = start, 1 = end, 2… = visits)."""
        stops = self.stops(expert_id)
        coordinates: dict[int, Point] = {
            0: self.expert_point(expert_id),
            1: self.expert_point(expert_id, end=True),
        }
        visits: dict[int, RVisit] = {}
        for k, i in stops:
            if k is StepType.VISIT:
                loc = len(coordinates)
                v = self.visits[i]
                coordinates[loc] = (v.lon, v.lat)
                visits[i] = self.routing_visit(v, loc)
        return PlannedRoute(
            key=key if key is not None else (expert_id, self.date),
            day=self.date,
            vehicle=self.vehicle(expert_id, start=0, end=1),
            stops=tuple(stops),
            visits=visits,
            coordinates=coordinates,
        )

    def planned_routes(
        self,
        *,
        skill: str | None = None,
        skills: Iterable[str] = (),
        excluding: Iterable[int] = (),
    ) -> list[PlannedRoute]:
        """The routes of the working experts who have ``skill`` and all of ``skills``, except
        the experts in ``excluding`` (those a citizen asked not to come)."""
        wanted = {*skills, *([skill] if skill is not None else [])}
        left_out = set(excluding)
        ids = [
            i
            for i in sorted(self.shifts)
            if wanted <= set(self.experts[i].skills) and i not in left_out
        ]
        return [self.planned_route(i) for i in ids]


def load_day(
    session: Session,
    municipality: Municipality,
    date: dt.date,
    *,
    expert_ids: Iterable[int] | None = None,
) -> DayState:
    """Read one date: working experts (all, or ``expert_ids``), their plans and active visits."""
    tz = clock.zone(municipality.timezone)
    all_experts = {e.id: e for e in get_experts(session, municipality=municipality)}
    experts = list(all_experts.values())
    if expert_ids is not None:
        wanted = set(expert_ids)
        experts = [e for e in experts if e.id in wanted]
    shifts = shifts_between(
        session, municipality=municipality, first=date, last=date, experts=experts
    )
    services = {
        s.id: s
        for s in session.scalars(
            select(ServiceType).where(ServiceType.municipality_id == municipality.id)
        )
    }
    expert_days = {
        d.expert_id: d
        for d in session.scalars(
            select(ExpertDay).where(
                ExpertDay.municipality_id == municipality.id, ExpertDay.date == date
            )
        )
    }
    visit_query = select(Visit).where(
        Visit.municipality_id == municipality.id,
        Visit.date == date,
        Visit.status.in_(ACTIVE_STATUSES),
    )
    visits = {v.id: v for v in session.scalars(visit_query)}
    row = session.execute(
        select(PlanningDay.version, PlanningDay.state).where(
            PlanningDay.municipality_id == municipality.id, PlanningDay.date == date
        )
    ).first()
    version = row.version if row is not None else 0
    in_plans = {int(s["id"]) for d in expert_days.values() for s in d.stops if s["type"] == "visit"}
    return DayState(
        municipality=municipality,
        date=date,
        tz=tz,
        origin=clock.local_midnight(date, tz),
        experts=all_experts,
        shifts={eid: s for (eid, _), s in shifts.items()},
        expert_days=expert_days,
        visits=visits,
        services=services,
        skills=skill_ids(services.values(), all_experts.values()),
        version=version or 0,
        unplanned=sorted(set(visits) - in_plans),
        frozen=(row is not None and row.state == "frozen") or is_frozen(municipality, date),
    )


def problem_of(
    state: DayState,
    travel: TravelTimeProvider,
    *,
    include_unplanned: bool = True,
    expert_ids: Iterable[int] | None = None,
) -> tuple[Problem, list[InitialRoute], dict[int, list[StopRef]]]:
    """The whole day as one routing problem, with the current plan as initial routes.

    Location indices: each working expert's start and end, then every visit. Returns the problem,
    the current routes (visit order per expert) and the full current stop orders (with breaks).
    """
    ids = sorted(state.shifts if expert_ids is None else set(expert_ids) & set(state.shifts))
    points: list[Point] = []
    index: dict[Point, int] = {}

    def loc(p: Point) -> int:
        if p not in index:
            index[p] = len(points)
            points.append(p)
        return index[p]

    vehicles = [
        state.vehicle(i, start=loc(state.expert_point(i)), end=loc(state.expert_point(i, end=True)))
        for i in ids
    ]
    orders = {i: state.stops(i) for i in ids}
    wanted: list[int] = [v for i in ids for k, v in orders[i] if k is StepType.VISIT]
    if include_unplanned:
        wanted += [v for v in state.unplanned if v not in wanted]
    # Visits of experts not working any more (absence) are part of the day too.
    for eid, day in state.expert_days.items():
        if eid not in orders:
            wanted += [int(s["id"]) for s in day.stops if s["type"] == "visit"]
    seen: set[int] = set()
    routing_visits = []
    for vid in wanted:
        if vid in seen or vid not in state.visits:
            continue
        seen.add(vid)
        v = state.visits[vid]
        rv = state.routing_visit(v, loc((v.lon, v.lat)))
        if rv.pinned_vehicle is not None and rv.pinned_vehicle not in ids:
            # Started by an expert who is no longer working: let anyone finish it.
            rv = state.routing_visit(v, rv.location, lock_started=False)
        if rv.required_vehicle is not None and rv.required_vehicle not in ids:
            # The one expert allowed does not work (here): nobody may serve it.
            rv = replace(rv, required_vehicle=None, excluded_vehicles=frozenset(ids))
        routing_visits.append(rv)
    profiles = sorted({v.profile for v in vehicles}) or ["car"]
    matrices = {
        p: Matrix(np.asarray(travel.matrix(points or [(0.0, 0.0)], p), dtype=np.int64))
        for p in profiles
    }
    problem = Problem(
        visits=tuple(routing_visits),
        vehicles=tuple(vehicles),
        matrices=matrices,
        coordinates=tuple(points) if points else None,
    )
    initial = [
        InitialRoute(i, tuple(v for k, v in orders[i] if k is StepType.VISIT and v in seen))
        for i in ids
    ]
    return problem, initial, orders


def current_solution(
    state: DayState, travel: TravelTimeProvider
) -> tuple[Problem, Solution, dict[int, tuple[str, ...]]]:
    """The day's current plan as a routing problem and solution (VROOM semantics).

    Every expert's stop order is replayed on the day's problem; visits no plan holds are the
    solution's unassigned. Returns the problem, the solution and the violations per expert
    (empty when the plan keeps every promise, shift and break).
    """
    problem, _, orders = problem_of(state, travel)
    routes = []
    violations: dict[int, tuple[str, ...]] = {}
    served: set[int] = set()
    for vehicle in problem.vehicles:
        stops = orders[vehicle.id]
        if not any(k is StepType.VISIT for k, _ in stops):
            continue
        timed = replay(problem, vehicle, stops)
        routes.append(timed.route)
        served |= set(timed.route.visit_ids)
        if timed.violations:
            violations[vehicle.id] = timed.violations
    unassigned = tuple(v.id for v in problem.visits if v.id not in served)
    return problem, Solution(tuple(routes), unassigned), violations
