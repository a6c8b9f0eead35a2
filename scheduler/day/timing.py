"""Re-timing a day: replay an expert's stop order, write it back, and follow what happened.

Decisions:

* **Order follows reality.** A visit the expert starts out of order moves to just before the first
  visit not yet started; the rest keep their planned order. A break placed before the last started
  visit counts as taken when its planned start lies before that visit was started, otherwise it
  moves behind it and is still to come.
* **Re-timing.** Every status change replays the rest of the day from the expert's actual position
  and time: finished visits are fixed at their actual times; an arrived visit started at its actual
  arrival and ends a service duration later (or now, if that has passed); a visit on the way is
  reached one leg after the expert left (or now, if that has passed); everything after it is
  replayed with the shared replay semantics (as early as possible, waiting for windows, breaks in
  their windows). The new times are written as the visits' planned times, so planners, the feed
  and the route app all show the same forecast.
* **At risk.** A visit not yet reached is at risk when its forecast arrival lies after the end of
  its promised window; the flag is recomputed on every re-timing, so it clears when the day is
  safe again. Visits the expert has reached are never at risk (the promise was kept or broken;
  the events tell which).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.model import HORIZON, Matrix, Problem, StepType, TimeWindow, Vehicle
from routing.replay import Replay, StopRef, first_start, replay
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import (
    EXPERT_STATUSES,
    FINISHED_STATUSES,
    STARTED_STATUSES,
    Visit,
    VisitEvent,
    VisitStatus,
)
from scheduler.capacity.models import Expert
from scheduler.day.state import DayState, load_day, stops_json, stops_of
from scheduler.planning.models import ExpertDay
from scheduler.tenants.models import Municipality


def retime(
    state: DayState, expert_id: int, stops: Sequence[StopRef], travel: TravelTimeProvider
) -> Replay:
    """Time an expert's stop order with the shared replay semantics (no writes)."""
    route = state.planned_route(expert_id)
    visits = {}
    coordinates = dict(route.coordinates)
    for k, i in stops:
        if k is StepType.VISIT:
            if i in route.visits:
                visits[i] = route.visits[i]
            else:
                loc = len(coordinates)
                v = state.visits[i]
                coordinates[loc] = (v.lon, v.lat)
                visits[i] = state.routing_visit(v, loc)
    points = [coordinates[i] for i in range(len(coordinates))]
    vehicle = route.vehicle
    matrix = Matrix(np.asarray(travel.matrix(points, vehicle.profile), dtype=np.int64))
    problem = Problem(
        visits=tuple(visits.values()),
        vehicles=(vehicle,),
        matrices={vehicle.profile: matrix},
        coordinates=tuple(points),
    )
    return replay(problem, vehicle, stops)


def write_route(
    session: Session,
    state: DayState,
    day: ExpertDay,
    stops: Sequence[StopRef],
    timed: Replay,
    *,
    travel: TravelTimeProvider | None = None,
) -> None:
    """Store an expert's new stop order and planned times (flush only).

    ``timed`` times the route from the start of the shift. On a day the expert has already
    started, that would forget they are running late, so with ``travel`` given the day is then
    re-timed from what actually happened (the expert app's forecast; a no-op before the first
    visit has started, and only looked at for today's date).
    """
    now = clock.now()
    day.stops = stops_json(stops)
    day.version += 1
    day.updated_at = now
    day.travel_seconds = timed.route.travel if any(k is StepType.VISIT for k, _ in stops) else 0
    breaks: dict[str, object] = {}
    for step in timed.route.steps:
        if step.type is StepType.VISIT and step.id is not None:
            v = state.visits[step.id]
            v.expert_day_id = day.id
            v.expert_id = day.expert_id
            v.planned_arrival = state.instant(step.arrival)
            v.planned_start = state.instant(step.service_start)
            v.planned_end = state.instant(step.departure)
            v.at_risk = not timed.feasible
            v.updated_at = now
        elif step.type is StepType.BREAK and step.id is not None:
            breaks[str(step.id)] = {
                "start": state.instant(step.service_start).isoformat(),
                "minutes": step.duration // 60,
            }
    day.break_times = breaks
    session.flush()
    if travel is not None and state.date == now.astimezone(state.tz).date():
        expert = state.experts.get(day.expert_id)
        if expert is not None:
            retime_from_actuals(
                session,
                municipality=state.municipality,
                expert=expert,
                date=state.date,
                travel=travel,
            )


_DONE = (*STARTED_STATUSES, *FINISHED_STATUSES)


@dataclass(frozen=True)
class Happened:
    """The times of a visit's status events (the latest of each kind)."""

    on_the_way: dt.datetime | None = None
    arrived: dt.datetime | None = None
    finished: dt.datetime | None = None
    last: dt.datetime | None = None

    @property
    def started(self) -> dt.datetime | None:
        """When the expert first acted on the visit."""
        times = [t for t in (self.on_the_way, self.arrived, self.finished) if t is not None]
        return min(times) if times else None


@dataclass
class ExpertDayView:
    """An expert's date: the day state, every visit of theirs in order, and what happened."""

    state: DayState
    expert: Expert
    row: ExpertDay | None
    order: list[StopRef]
    visits: dict[int, Visit]
    happened: dict[int, Happened]

    def visit_location(self, visit_id: int) -> int:
        """Matrix index of a visit: 0 is the start, 1 the end, then the visits in order."""
        ids = [ref for kind, ref in self.order if kind is StepType.VISIT]
        return 2 + ids.index(visit_id)

    def points(self) -> list[tuple[float, float]]:
        """(lon, lat) per matrix index."""
        points = [
            self.state.expert_point(self.expert.id),
            self.state.expert_point(self.expert.id, end=True),
        ]
        points += [
            (self.visits[ref].lon, self.visits[ref].lat)
            for kind, ref in self.order
            if kind is StepType.VISIT
        ]
        return points

    def vehicle(self) -> Vehicle:
        """The routing vehicle (start 0, end 1); without a shift, the whole day and no breaks."""
        if self.expert.id in self.state.shifts:
            return self.state.vehicle(self.expert.id, start=0, end=1)
        return Vehicle(
            id=self.expert.id,
            start=0,
            end=1,
            shift=TimeWindow(0, HORIZON),
            skills=frozenset(self.state.skills.values()),
            profile=self.expert.travel_mode.value,
        )

    def problem(self, travel: TravelTimeProvider) -> Problem:
        """The day as a one-vehicle routing problem (nothing pinned: the order is given)."""
        points = self.points()
        vehicle = self.vehicle()
        matrix = Matrix(np.asarray(travel.matrix(points, vehicle.profile), dtype=np.int64))
        visits = [
            dataclasses.replace(
                self.state.routing_visit(self.visits[ref], self.visit_location(ref)),
                pinned_vehicle=None,
                fixed=False,
            )
            for kind, ref in self.order
            if kind is StepType.VISIT
        ]
        return Problem(
            visits=tuple(visits),
            vehicles=(vehicle,),
            matrices={vehicle.profile: matrix},
            coordinates=tuple(points),
        )

    def stored_break_start(self, break_id: int) -> dt.datetime | None:
        """The planned start of a break as written with the route, if it was."""
        stored = (self.row.break_times if self.row is not None else {}).get(str(break_id))
        if isinstance(stored, dict) and stored.get("start"):
            return dt.datetime.fromisoformat(str(stored["start"])).astimezone(dt.UTC)
        return None

    def break_start(self, break_id: int) -> dt.datetime | None:
        """The planned start of a break, as written with the route (or its earliest start)."""
        stored = self.stored_break_start(break_id)
        if stored is not None:
            return stored
        shift = self.state.shifts.get(self.expert.id)
        rule = next((b for b in shift.breaks if b.id == break_id), None) if shift else None
        return rule.earliest if rule is not None else None

    def is_done(self, visit_id: int) -> bool:
        """The expert has started or finished this visit."""
        return self.visits[visit_id].status in _DONE


def load_expert_day(
    session: Session, *, municipality: Municipality, expert: Expert, date: dt.date
) -> ExpertDayView:
    """Read an expert's date: plan, active and finished visits, status history (no writes)."""
    state = load_day(session, municipality, date, expert_ids=[expert.id])
    row = state.expert_days.get(expert.id)
    repaired = state.stops(expert.id) if row is not None else []
    visits = {
        ref: state.visits[ref]
        for kind, ref in repaired
        if kind is StepType.VISIT and state.visits[ref].expert_id == expert.id
    }
    repaired = [(k, r) for k, r in repaired if k is StepType.BREAK or r in visits]
    finished: dict[int, Visit] = {}
    if row is not None:
        finished = {
            v.id: v
            for v in session.scalars(
                select(Visit).where(
                    Visit.expert_day_id == row.id,
                    Visit.expert_id == expert.id,
                    Visit.status.in_(FINISHED_STATUSES),
                )
            )
        }
    visits.update(finished)
    happened = _happened(session, list(visits))
    stored = stops_of(row)
    order = _merge_order(stored, repaired, finished, happened)
    view = ExpertDayView(state, expert, row, order, visits, happened)
    view.order = _follow_reality(view)
    return view


def _happened(session: Session, visit_ids: Sequence[int]) -> dict[int, Happened]:
    out: dict[int, Happened] = {i: Happened() for i in visit_ids}
    if not visit_ids:
        return out
    events = session.scalars(
        select(VisitEvent)
        .where(
            VisitEvent.visit_id.in_(visit_ids),
            VisitEvent.status.in_([s.value for s in EXPERT_STATUSES]),
        )
        .order_by(VisitEvent.at, VisitEvent.id)
    )
    for e in events:
        h = out[e.visit_id]
        if e.status == VisitStatus.ON_THE_WAY.value:
            h = dataclasses.replace(h, on_the_way=e.at)
        elif e.status == VisitStatus.ARRIVED.value:
            h = dataclasses.replace(h, arrived=e.at)
        else:
            h = dataclasses.replace(h, finished=e.at)
        out[e.visit_id] = dataclasses.replace(h, last=e.at)
    return out


def _merge_order(
    stored: Sequence[StopRef],
    repaired: Sequence[StopRef],
    finished: Mapping[int, Visit],
    happened: Mapping[int, Happened],
) -> list[StopRef]:
    """The stored order with finished visits kept, plus whatever the shift repair added.

    Finished visits leave the active stops that other use cases write, so one that is missing is
    put back just before the first visit still to do, in the order they were finished.
    """
    wanted = set(repaired) | {(StepType.VISIT, i) for i in finished}
    order: list[StopRef] = []
    for stop in stored:
        if stop in wanted and stop not in order:
            order.append(stop)
    for pos, stop in enumerate(repaired):
        if stop in order:
            continue
        before = repaired[pos - 1] if pos else None
        order.insert(order.index(before) + 1 if before in order else 0, stop)
    missing = [i for i in finished if (StepType.VISIT, i) not in order]
    missing.sort(key=lambda i: (happened[i].finished or finished[i].updated_at, i))
    todo = next(
        (n for n, (k, r) in enumerate(order) if k is StepType.VISIT and r not in finished),
        len(order),
    )
    order[todo:todo] = [(StepType.VISIT, i) for i in missing]
    return order


def _follow_reality(view: ExpertDayView) -> list[StopRef]:
    """Started and finished visits first (in the order done), then the rest as planned.

    See the module docstring: a started visit moves before the first visit not started yet; a
    break before the last started visit stays there (taken) only if it was planned to start
    before that visit was started.
    """
    order: list[StopRef] = []
    for stop in view.order:
        kind, ref = stop
        if kind is StepType.VISIT and view.is_done(ref):
            todo = next(
                (
                    n
                    for n, (k, r) in enumerate(order)
                    if k is StepType.VISIT and not view.is_done(r)
                ),
                len(order),
            )
            order.insert(todo, stop)
        else:
            order.append(stop)
    anchor = _anchor(view, order)
    if anchor is None:
        return order
    started = view.happened[order[anchor][1]].started
    if started is None:
        return order
    pending = [
        stop
        for stop in order[:anchor]
        if stop[0] is StepType.BREAK
        and (planned := view.break_start(stop[1])) is not None
        and planned > started
    ]
    if not pending:
        return order
    rest = [stop for stop in order if stop not in pending]
    at = rest.index(order[anchor]) + 1
    return rest[:at] + pending + rest[at:]


def _anchor(view: ExpertDayView, order: Sequence[StopRef]) -> int | None:
    """Index of the last started or finished visit in ``order``: where the expert is now."""
    for n in range(len(order) - 1, -1, -1):
        kind, ref = order[n]
        if kind is StepType.VISIT and view.is_done(ref):
            return n
    return None


@dataclass(frozen=True)
class Timed:
    """Seconds since local midnight: arrival, service start, end."""

    arrival: int
    start: int
    end: int


@dataclass(frozen=True)
class Forecast:
    """The day re-timed from what happened: times per visit and break, and the at-risk flags."""

    visits: dict[int, Timed]
    breaks: dict[int, Timed]
    end_arrival: int
    at_risk: dict[int, bool]
    legs: dict[int, int]
    end_leg: int
    travel: int


def forecast(view: ExpertDayView, travel: TravelTimeProvider, now: dt.datetime) -> Forecast:
    """Time the expert's day from their actual position and time (see the module docstring).

    Without anything started, this is the plan's own replay (as :func:`retime`).
    """
    problem = view.problem(travel)
    vehicle = problem.vehicles[0]
    durations = problem.matrices[vehicle.profile].durations
    state = view.state
    visits: dict[int, Timed] = {}
    breaks: dict[int, Timed] = {}
    legs: dict[int, int] = {}
    here = 0
    for kind, ref in view.order:
        if kind is StepType.VISIT:
            loc = view.visit_location(ref)
            legs[ref] = int(durations[here, loc])
            here = loc
    end_leg = int(durations[here, 1])

    anchor = _anchor(view, view.order)
    done = view.order[: anchor + 1] if anchor is not None else []
    rest = view.order[anchor + 1 :] if anchor is not None else list(view.order)
    here, t = 0, None
    for kind, ref in done:
        if kind is StepType.BREAK:
            taken = view.break_start(ref)
            rule = next((b for b in vehicle.breaks if b.id == ref), None)
            if taken is not None and rule is not None:
                s = state.seconds(taken)
                breaks[ref] = Timed(s, s, s + rule.duration)
            continue
        v, h = view.visits[ref], view.happened[ref]
        loc = view.visit_location(ref)
        duration = v.duration_minutes * 60
        window = TimeWindow(state.seconds(v.window_start), state.seconds(v.window_end))
        current = (kind, ref) == view.order[anchor] if anchor is not None else False
        if v.status in FINISHED_STATUSES:
            arrival = _seconds(state, h.arrived or v.planned_arrival, t, legs[ref])
            start = _seconds(state, h.arrived or v.planned_start, arrival, 0)
            end = state.seconds(h.finished) if h.finished else start + duration
        elif v.status is VisitStatus.ARRIVED:
            arrival = start = _seconds(state, h.arrived, t, legs[ref])
            end = start + duration
            if current:
                end = max(end, state.seconds(now))
        else:  # on the way
            left = state.seconds(h.on_the_way) if h.on_the_way else (t or 0)
            arrival = left + int(durations[here, loc])
            if current:
                arrival = max(arrival, state.seconds(now))
            start = first_start((window,), arrival) or arrival
            end = start + duration
        visits[ref] = Timed(arrival, start, end)
        here, t = loc, end

    remaining = {ref for kind, ref in rest if kind is StepType.BREAK}
    moved = dataclasses.replace(
        vehicle,
        start=here,
        breaks=tuple(b for b in vehicle.breaks if b.id in remaining),
    )
    # Nothing started: the plan's own replay (leaving as late as the first window allows).
    timed = replay(problem, moved, rest, depart=t)
    end_arrival = t if t is not None else 0
    for step in timed.route.steps:
        if step.id is None:
            if step.type is StepType.END:
                end_arrival = step.arrival
            continue
        times = Timed(step.arrival, step.service_start, step.departure)
        if step.type is StepType.VISIT:
            visits[step.id] = times
        elif step.type is StepType.BREAK:
            breaks[step.id] = times

    at_risk: dict[int, bool] = {}
    for kind, ref in view.order:
        if kind is not StepType.VISIT:
            continue
        v = view.visits[ref]
        reached = v.status in (VisitStatus.ARRIVED, *FINISHED_STATUSES)
        at_risk[ref] = not reached and visits[ref].arrival > state.seconds(v.window_end)
    travel_total = sum(legs.values()) + end_leg if legs else 0
    return Forecast(visits, breaks, end_arrival, at_risk, legs, end_leg, travel_total)


def _seconds(state: DayState, instant: dt.datetime | None, after: int | None, leg: int) -> int:
    """An instant in day seconds, or (unknown) one leg after the previous stop's end."""
    if instant is not None:
        return state.seconds(instant)
    return (after or 0) + leg


def _write(
    session: Session, view: ExpertDayView, row: ExpertDay, plan: Forecast, now: dt.datetime
) -> None:
    """Store the re-timed order, planned times and flags (flush only)."""
    state = view.state
    row.stops = stops_json(view.order)
    row.version += 1
    row.updated_at = now
    row.travel_seconds = plan.travel
    row.break_times = {
        str(ref): {
            "start": state.instant(plan.breaks[ref].start).isoformat(),
            "minutes": (plan.breaks[ref].end - plan.breaks[ref].start) // 60,
        }
        for kind, ref in view.order
        if kind is StepType.BREAK and ref in plan.breaks
    }
    for ref, times in plan.visits.items():
        v = view.visits[ref]
        new = (
            state.instant(times.arrival),
            state.instant(times.start),
            state.instant(times.end),
            plan.at_risk[ref],
        )
        if new != (v.planned_arrival, v.planned_start, v.planned_end, v.at_risk):
            v.planned_arrival, v.planned_start, v.planned_end, v.at_risk = new
            v.updated_at = now
    session.flush()


def retime_from_actuals(
    session: Session,
    *,
    municipality: Municipality,
    expert: Expert,
    date: dt.date,
    travel: TravelTimeProvider,
    force: bool = False,
) -> Forecast | None:
    """Re-time an expert's day from what happened so far and store it (flush only).

    For use cases that rewrite a route (a booking, a cancellation, a re-plan) on a day the expert
    has started: :func:`write_route` times the route from the start of the shift, which forgets
    that the expert is running late. Call this after it, in the same transaction and under the
    same expert-day lock. Does nothing (returns None) while no visit of the day has been started,
    unless ``force``.
    """
    view = load_expert_day(session, municipality=municipality, expert=expert, date=date)
    if view.row is None or (not force and _anchor(view, view.order) is None):
        return None
    now = clock.now()
    plan = forecast(view, travel, now)
    _write(session, view, view.row, plan, now)
    return plan
