"""The expert's route app: one expert's day as they see it, status changes from the road, re-timing.

Decisions:

* **Transitions.** An expert moves a visit forward only, one step or a skip where the real world
  skips: ``booked``/``planned`` → ``on_the_way`` or ``arrived`` (walking to the house next door
  needs no "on the way"); ``on_the_way`` → ``arrived`` or ``not_home`` (nobody opens the door);
  ``arrived`` → ``completed`` or ``not_home``. Everything else is a 409, including the same status
  twice and ``planned`` → ``completed``: an expert who forgot to tap "arrived" taps it now with the
  real time (``at``), so punctuality figures never rest on a guessed arrival. ``completed``,
  ``not_home`` and ``cancelled`` are final.
* **One visit at a time.** Starting a visit while another one of the same day is on the way or
  arrived is a 409 naming that visit: finish it first. Two visits in progress would make the
  expert's whereabouts, and so every later estimate, a guess.
* **When.** ``at`` defaults to now; it may lie at most a minute in the future (clock skew), not
  before the local midnight of the visit's date, and not before the visit's previous status.
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
  and this app all show the same forecast.
* **At risk.** A visit not yet reached is at risk when its forecast arrival lies after the end of
  its promised window; the flag is recomputed on every re-timing, so it clears when the day is
  safe again. Visits the expert has reached are never at risk (the promise was kept or broken;
  the events tell which).
* **Locking.** A status change locks the expert's day row (``lock_expert_days``) before it reads
  the visit again, and bumps the day's version, so optimisation proposals made before are stale.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.model import HORIZON, Matrix, Problem, StepType, TimeWindow, Vehicle
from routing.replay import StopRef, first_start, replay
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import STARTED_STATUSES, Visit, VisitEvent, VisitStatus
from scheduler.capacity.models import Expert
from scheduler.errors import Conflict, InvalidInput, NotAllowed, NotFound
from scheduler.notify import feeds
from scheduler.notify.templates import format_address, format_house_number, format_postcode
from scheduler.planning import dayplan
from scheduler.planning.models import ExpertDay
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.route_app")

Language = Literal["nl", "en"]

#: Visits the expert has finished: fixed in the past, out of every plan's active stops.
FINISHED_STATUSES = (VisitStatus.COMPLETED, VisitStatus.NOT_HOME)
#: The statuses an expert may set.
EXPERT_STATUSES = (
    VisitStatus.ON_THE_WAY,
    VisitStatus.ARRIVED,
    VisitStatus.COMPLETED,
    VisitStatus.NOT_HOME,
)
#: Allowed status changes by the expert (see the module docstring for why).
TRANSITIONS: Mapping[VisitStatus, frozenset[VisitStatus]] = {
    VisitStatus.BOOKED: frozenset({VisitStatus.ON_THE_WAY, VisitStatus.ARRIVED}),
    VisitStatus.PLANNED: frozenset({VisitStatus.ON_THE_WAY, VisitStatus.ARRIVED}),
    VisitStatus.ON_THE_WAY: frozenset({VisitStatus.ARRIVED, VisitStatus.NOT_HOME}),
    VisitStatus.ARRIVED: frozenset({VisitStatus.COMPLETED, VisitStatus.NOT_HOME}),
}
#: How far ``at`` may lie in the future: phones and servers disagree by a few seconds.
FUTURE_TOLERANCE = dt.timedelta(minutes=1)

_DONE = (*STARTED_STATUSES, *FINISHED_STATUSES)
#: Routing profiles to the engines of openstreetmap.org's directions and Google's travel modes.
_OSM_ENGINES = {"car": "fossgis_osrm_car", "bike": "fossgis_osrm_bike", "walk": "fossgis_osrm_foot"}
_GOOGLE_MODES = {"car": "driving", "bike": "bicycling", "walk": "walking"}


# -- API shapes -----------------------------------------------------------------------------------


class Point(BaseModel):
    lat: float
    lon: float


class Navigation(BaseModel):
    """Links that open the phone's own navigation; the server never calls a map service."""

    geo: str = Field(description="RFC 5870 geo URI: Android and most apps offer to navigate.")
    openstreetmap: str = Field(description="Directions on openstreetmap.org from the stop before.")
    google_maps: str = Field(description="Directions in Google Maps from where the phone is.")


class AddressRead(BaseModel):
    street: str | None
    house_number: str
    postcode: str
    city: str | None
    line: str = Field(description="One line, as on an envelope: 'Oudegracht 12A, 3511 AB Utrecht'.")


class ServiceRef(BaseModel):
    code: str
    name: str
    duration_minutes: int


class Window(BaseModel):
    start: dt.datetime
    end: dt.datetime


class Actuals(BaseModel):
    """When the expert said what (from the visit's status history)."""

    on_the_way: dt.datetime | None = None
    arrived: dt.datetime | None = None
    finished: dt.datetime | None = None


class Citizen(BaseModel):
    """Whom to ask for at the door, and whom to call when running late."""

    name: str | None
    phone: str | None


class VisitStop(BaseModel):
    kind: Literal["visit"] = "visit"
    number: int = Field(description="1 for the day's first visit, 2 for the second, …")
    visit_id: int
    reference: str
    status: VisitStatus
    service: ServiceRef
    window: Window = Field(description="The promised arrival window.")
    planned_arrival: dt.datetime | None
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    travel_seconds: int = Field(description="The leg from the previous place to this visit.")
    at_risk: bool = Field(description="The forecast arrival lies after the promised window.")
    address: AddressRead
    location: Point
    notes: str | None
    citizen: Citizen
    navigation: Navigation
    actual: Actuals
    next_statuses: list[VisitStatus] = Field(
        description="The statuses the expert can set now (empty for another day's visit)."
    )


class BreakStop(BaseModel):
    kind: Literal["break"] = "break"
    break_id: int
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    minutes: int


Stop = Annotated[VisitStop | BreakStop, Field(discriminator="kind")]


class ExpertRef(BaseModel):
    id: int
    name: str
    travel_mode: str


class Shift(BaseModel):
    start: dt.datetime
    end: dt.datetime


class RouteStart(BaseModel):
    label: str
    location: Point
    departure: dt.datetime | None


class RouteEnd(BaseModel):
    label: str
    location: Point
    arrival: dt.datetime | None
    travel_seconds: int = Field(description="The leg from the last stop to the end.")


class RouteRead(BaseModel):
    """One expert's day: stops in order with planned (re-timed) times, legs and flags."""

    date: dt.date
    timezone: str
    expert: ExpertRef
    shift: Shift | None = Field(description="None when the expert does not work that day.")
    version: int = Field(description="Goes up whenever this day's route is written.")
    start: RouteStart
    stops: list[Stop]
    end: RouteEnd
    travel_seconds: int
    visits: int
    at_risk: list[int] = Field(description="Ids of the visits whose promise is at risk.")
    ends_after_shift: bool


class FeedLink(BaseModel):
    """The expert's secret calendar feed address (no sign-in needed: the secret is the key)."""

    active: bool
    url: str | None = Field(
        description="Shown when it is issued: only a hash is stored, so it cannot be shown again."
    )
    webcal_url: str | None = Field(description="The same address for calendar apps (webcal://).")


# -- loading one expert's day ---------------------------------------------------------------------


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

    state: dayplan.DayState
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
    state = dayplan.load_day(session, municipality, date, expert_ids=[expert.id])
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
    stored = dayplan.stops_of(row)
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


# -- forecasting ----------------------------------------------------------------------------------


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

    Without anything started, this is the plan's own replay (as ``dayplan.retime``).
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


def _seconds(
    state: dayplan.DayState, instant: dt.datetime | None, after: int | None, leg: int
) -> int:
    """An instant in day seconds, or (unknown) one leg after the previous stop's end."""
    if instant is not None:
        return state.seconds(instant)
    return (after or 0) + leg


def _write(
    session: Session, view: ExpertDayView, row: ExpertDay, plan: Forecast, now: dt.datetime
) -> None:
    """Store the re-timed order, planned times and flags (flush only)."""
    state = view.state
    row.stops = dayplan.stops_json(view.order)
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


# -- use cases ------------------------------------------------------------------------------------


def expert_of(session: Session, *, expert_id: int | None) -> tuple[Municipality, Expert]:
    """The expert a user is linked to, with their municipality."""
    expert = session.get(Expert, expert_id) if expert_id is not None else None
    if expert is None:
        raise NotAllowed("Only experts have a route.", nl="Alleen medewerkers hebben een route.")
    municipality = session.get(Municipality, expert.municipality_id)
    assert municipality is not None  # a foreign key guarantees it
    return municipality, expert


def today(municipality: Municipality) -> dt.date:
    """Today in the municipality's time zone."""
    return clock.local_date(clock.now(), clock.zone(municipality.timezone))


def get_route(
    session: Session,
    *,
    municipality: Municipality,
    expert: Expert,
    date: dt.date | None,
    travel: TravelTimeProvider,
    language: Language = "nl",
) -> RouteRead:
    """The expert's stops on ``date`` (today by default) with planned times, legs and flags."""
    date = date or today(municipality)
    view = load_expert_day(session, municipality=municipality, expert=expert, date=date)
    return _route_read(view, travel, language)


def _route_read(view: ExpertDayView, travel: TravelTimeProvider, language: Language) -> RouteRead:
    state = view.state
    tz = state.tz
    now = clock.now()
    plan = forecast(view, travel, now)
    services = state.services
    mode = view.expert.travel_mode.value

    def local(instant: dt.datetime | None) -> dt.datetime | None:
        return instant.astimezone(tz) if instant is not None else None

    def at(seconds: int) -> dt.datetime:
        return state.instant(seconds).astimezone(tz)

    busy = next(
        (
            ref
            for kind, ref in view.order
            if kind is StepType.VISIT and view.visits[ref].status in STARTED_STATUSES
        ),
        None,
    )
    # Statuses can only be set from the day itself on: a future day's visit offers none.
    actionable = view.state.origin <= now + FUTURE_TOLERANCE
    stops: list[VisitStop | BreakStop] = []
    previous = state.expert_point(view.expert.id)
    number = 0
    first_time: dt.datetime | None = None
    last_end: dt.datetime | None = None
    for kind, ref in view.order:
        if kind is StepType.BREAK:
            times = plan.breaks.get(ref)
            start = local(view.stored_break_start(ref)) or (at(times.start) if times else None)
            minutes = _break_minutes(view, ref, times)
            end = start + dt.timedelta(minutes=minutes) if start is not None else None
            stops.append(
                BreakStop(break_id=ref, planned_start=start, planned_end=end, minutes=minutes)
            )
            first_time = first_time or start
            last_end = end or last_end
            continue
        number += 1
        v = view.visits[ref]
        service = services[v.service_type_id]
        times = plan.visits.get(ref)
        arrival = local(v.planned_arrival) or (at(times.arrival) if times else None)
        p_start = local(v.planned_start) or (at(times.start) if times else None)
        p_end = local(v.planned_end) or (at(times.end) if times else None)
        h = view.happened[ref]
        nexts = sorted(TRANSITIONS.get(v.status, frozenset()), key=EXPERT_STATUSES.index)
        if not actionable or (busy is not None and busy != ref):
            nexts = []
        stops.append(
            VisitStop(
                number=number,
                visit_id=v.id,
                reference=v.reference,
                status=v.status,
                service=ServiceRef(
                    code=service.code,
                    name=(service.name_en if language == "en" else "") or service.name_nl,
                    duration_minutes=v.duration_minutes,
                ),
                window=Window(start=v.window_start.astimezone(tz), end=v.window_end.astimezone(tz)),
                planned_arrival=arrival,
                planned_start=p_start,
                planned_end=p_end,
                travel_seconds=plan.legs[ref],
                at_risk=v.at_risk,
                address=AddressRead(
                    street=v.street,
                    house_number=format_house_number(v.house_number, v.addition),
                    postcode=format_postcode(v.postcode),
                    city=v.city,
                    line=format_address(v),
                ),
                location=Point(lat=v.lat, lon=v.lon),
                notes=v.notes,
                citizen=Citizen(name=v.citizen_name, phone=v.citizen_phone),
                navigation=navigation(previous, (v.lon, v.lat), mode),
                actual=Actuals(
                    on_the_way=local(h.on_the_way),
                    arrived=local(h.arrived),
                    finished=local(h.finished),
                ),
                next_statuses=nexts,
            )
        )
        previous = (v.lon, v.lat)
        first_time = first_time or (
            arrival - dt.timedelta(seconds=plan.legs[ref]) if arrival else None
        )
        last_end = p_end or last_end

    shift = state.shifts.get(view.expert.id)
    end_arrival = last_end + dt.timedelta(seconds=plan.end_leg) if last_end else None
    start_point, end_point = (
        state.expert_point(view.expert.id),
        state.expert_point(view.expert.id, end=True),
    )
    ends_late = bool(shift and end_arrival and end_arrival > shift.end)
    return RouteRead(
        date=state.date,
        timezone=str(tz.key),
        expert=ExpertRef(id=view.expert.id, name=view.expert.name, travel_mode=mode),
        shift=Shift(start=shift.start.astimezone(tz), end=shift.end.astimezone(tz))
        if shift
        else None,
        version=view.row.version if view.row is not None else 0,
        start=RouteStart(
            label=view.expert.start_label,
            location=Point(lat=start_point[1], lon=start_point[0]),
            departure=first_time,
        ),
        stops=stops,
        end=RouteEnd(
            label=view.expert.end_label or view.expert.start_label,
            location=Point(lat=end_point[1], lon=end_point[0]),
            arrival=end_arrival,
            travel_seconds=plan.end_leg if number else 0,
        ),
        travel_seconds=plan.travel,
        visits=number,
        at_risk=[s.visit_id for s in stops if isinstance(s, VisitStop) and s.at_risk],
        ends_after_shift=ends_late,
    )


def _break_minutes(view: ExpertDayView, break_id: int, times: Timed | None) -> int:
    shift = view.state.shifts.get(view.expert.id)
    rule = next((b for b in shift.breaks if b.id == break_id), None) if shift else None
    if rule is not None:
        return rule.minutes
    return (times.end - times.start) // 60 if times else 0


def navigation(origin: tuple[float, float], target: tuple[float, float], mode: str) -> Navigation:
    """Navigation links to ``target`` (lon, lat); OpenStreetMap's route starts at ``origin``."""
    lon, lat = target
    to = f"{lat:.6f},{lon:.6f}"
    osm = urllib.parse.urlencode(
        {
            "engine": _OSM_ENGINES.get(mode, _OSM_ENGINES["car"]),
            "route": f"{origin[1]:.6f},{origin[0]:.6f};{to}",
        },
        safe=",;",
    )
    google = urllib.parse.urlencode(
        {"api": "1", "destination": to, "travelmode": _GOOGLE_MODES.get(mode, "driving")},
        safe=",",
    )
    return Navigation(
        geo=f"geo:{to}",
        openstreetmap=f"https://www.openstreetmap.org/directions?{osm}",
        google_maps=f"https://www.google.com/maps/dir/?{google}",
    )


def change_status(
    session: Session,
    *,
    municipality: Municipality,
    expert: Expert,
    visit_id: int,
    status: VisitStatus,
    at: dt.datetime | None,
    travel: TravelTimeProvider,
    language: Language = "nl",
) -> VisitStop:
    """The expert sets a visit's status; the rest of their day is re-timed. One transaction.

    Raises NotFound for a visit that is not the expert's, Conflict for a transition that is not
    allowed (or a second visit in progress), InvalidInput for a bad ``at``.
    """
    if status not in EXPERT_STATUSES:
        raise InvalidInput(
            f"An expert sets one of {', '.join(s.value for s in EXPERT_STATUSES)}.",
            nl=f"Kies een van {', '.join(s.value for s in EXPERT_STATUSES)}.",
        )
    now = clock.now()
    visit = _own_visit(session, expert, visit_id)
    date = visit.date
    dayplan.lock_expert_days(session, municipality, date, [expert.id])
    # Under the lock: the visit as it is now (another status change may just have committed).
    session.refresh(visit)
    if visit.expert_id != expert.id or visit.date != date:
        raise _not_yours()
    when = _check_time(visit, at, now, clock.zone(municipality.timezone))
    allowed = TRANSITIONS.get(visit.status, frozenset())
    if status not in allowed:
        raise Conflict(
            f"A visit that is {visit.status.value} cannot become {status.value}.",
            nl=f"Een bezoek met status {visit.status.value} kan niet {status.value} worden.",
            current=visit.status.value,
            allowed=sorted(a.value for a in allowed),
        )
    view = load_expert_day(session, municipality=municipality, expert=expert, date=date)
    if visit.id not in view.visits:
        raise _not_yours()
    last = view.happened[visit.id].last
    if last is not None and when < last:
        raise InvalidInput(
            "This time lies before the visit's previous status.",
            nl="Deze tijd ligt vóór de vorige status van het bezoek.",
        )
    if status in STARTED_STATUSES:
        busy = [
            ref
            for kind, ref in view.order
            if kind is StepType.VISIT
            and ref != visit.id
            and view.visits[ref].status in STARTED_STATUSES
        ]
        if busy:
            raise Conflict(
                "Another visit is still in progress: finish it first.",
                nl="Er loopt nog een ander bezoek: rond dat eerst af.",
                in_progress=busy,
            )
    visit.status = status
    visit.updated_at = now
    session.add(
        VisitEvent(visit_id=visit.id, status=status.value, at=when, actor=f"expert:{expert.id}")
    )
    session.flush()
    plan = retime_from_actuals(
        session, municipality=municipality, expert=expert, date=date, travel=travel, force=True
    )
    assert plan is not None  # forced
    dayplan.bump_day_version(session, municipality, date)
    session.commit()
    log.info(
        "visit %s: %s by expert %s (%d at risk)",
        visit.id,
        status.value,
        expert.id,
        sum(plan.at_risk.values()),
    )
    route = _route_read(
        load_expert_day(session, municipality=municipality, expert=expert, date=date),
        travel,
        language,
    )
    return next(s for s in route.stops if isinstance(s, VisitStop) and s.visit_id == visit.id)


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
    has started: ``dayplan.write_route`` times the route from the start of the shift, which forgets
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


def _not_yours() -> NotFound:
    # The same answer as for a visit that does not exist: ids of others' visits reveal nothing.
    return NotFound("You have no such visit.", nl="U heeft zo'n bezoek niet.")


def _own_visit(session: Session, expert: Expert, visit_id: int) -> Visit:
    visit = session.get(Visit, visit_id)
    if (
        visit is None
        or visit.municipality_id != expert.municipality_id
        or visit.expert_id != expert.id
        or visit.expert_day_id is None
    ):
        raise _not_yours()
    return visit


def _check_time(
    visit: Visit, at: dt.datetime | None, now: dt.datetime, tz: ZoneInfo
) -> dt.datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        raise InvalidInput("Give the time with its UTC offset.", nl="Geef de tijd met UTC-offset.")
    at = at.astimezone(dt.UTC)
    if at > now + FUTURE_TOLERANCE:
        raise InvalidInput("This time lies in the future.", nl="Deze tijd ligt in de toekomst.")
    if at < clock.local_midnight(visit.date, tz):
        raise InvalidInput(
            "This time lies before the day of the visit.",
            nl="Deze tijd ligt vóór de dag van het bezoek.",
        )
    return at


def feed_link(session: Session, *, expert: Expert, base_url: str) -> FeedLink:
    """The expert's feed address: issued on first use, after that only known to the expert.

    Only the token's hash is stored, so an existing address cannot be shown again; a lost one is
    replaced with :func:`rotate_feed_link`.
    """
    if expert.feed_token_hash is not None:
        return FeedLink(active=True, url=None, webcal_url=None)
    return rotate_feed_link(session, expert=expert, base_url=base_url)


def rotate_feed_link(session: Session, *, expert: Expert, base_url: str) -> FeedLink:
    """A new feed address for the expert; the old one stops working at once. Commits."""
    token = feeds.issue_feed_token(session, expert=expert)
    session.commit()
    log.info("calendar feed issued for expert %s", expert.id)
    return _feed_link(base_url, token)


def _feed_link(base_url: str, token: str) -> FeedLink:
    url = f"{base_url.rstrip('/')}/feeds/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    return FeedLink(active=True, url=url, webcal_url=webcal)
