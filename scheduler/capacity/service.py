"""Data access for capacity: experts, their shifts and exceptions, closure days.

Also the planners' capacity changes (see the section below the reads): each is one unit of work
that keeps every promise already made, or re-plans the visits it breaks when asked to.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from routing.model import StepType
from routing.replay import Replay, StopRef
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.addresses.service import normalise_postcode
from scheduler.addresses.service import unknown as unknown_address
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity.calendar import ExpertShift, dutch_public_holidays, shift_of
from scheduler.capacity.models import Closure, Expert, ShiftException, WeeklyShift
from scheduler.capacity.schemas import (
    ClosureIn,
    ExceptionIn,
    ExpertCreate,
    ExpertUpdate,
    LocationIn,
    ShiftIn,
)
from scheduler.catalog.models import ServiceType
from scheduler.clock import zone
from scheduler.errors import Conflict, InvalidInput, NotFound, PromisesAtRisk
from scheduler.geocoding import Geocoder

# The planning module's day plans build on this module's reads; it is imported as a module (its
# names are looked up at call time), so the two may import each other in either order.
from scheduler.planning import dayplan
from scheduler.planning.models import ExpertDay
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity

if TYPE_CHECKING:
    from scheduler.booking.service import Notifier

log = logging.getLogger("aanhuis.capacity")


def get_experts(
    session: Session,
    *,
    municipality: Municipality,
    skill: str | None = None,
    active_only: bool = True,
) -> list[Expert]:
    """The municipality's experts with their weekly shifts, as the database has them now.

    Experts already in the session are refreshed (after flushing its pending changes): a use
    case that waited for a lock must plan against the committed capacity, not against shifts it
    happened to load before another transaction changed them.
    """
    session.flush()
    query = (
        select(Expert)
        .where(Expert.municipality_id == municipality.id)
        .options(selectinload(Expert.shifts))
        .order_by(Expert.id)
        .execution_options(populate_existing=True)
    )
    if active_only:
        query = query.where(Expert.active.is_(True))
    experts = list(session.scalars(query).all())
    if skill is not None:
        experts = [e for e in experts if skill in e.skills]
    return experts


def get_expert(session: Session, *, municipality: Municipality, expert_id: int) -> Expert:
    expert = session.get(Expert, expert_id)
    if expert is None or expert.municipality_id != municipality.id:
        raise NotFound(f"No expert {expert_id} here.", nl=f"Medewerker {expert_id} bestaat niet.")
    return expert


def closed_dates(
    session: Session, *, municipality: Municipality, first: dt.date, last: dt.date
) -> dict[dt.date, str]:
    rows = session.execute(
        select(Closure.date, Closure.name).where(
            Closure.municipality_id == municipality.id,
            Closure.date >= first,
            Closure.date <= last,
        )
    ).all()
    return {d: n for d, n in rows}


def shifts_between(
    session: Session,
    *,
    municipality: Municipality,
    first: dt.date,
    last: dt.date,
    experts: Sequence[Expert] | None = None,
    skill: str | None = None,
) -> dict[tuple[int, dt.date], ExpertShift]:
    """Every working expert-day from ``first`` to ``last`` (inclusive), keyed (expert id, date)."""
    if experts is None:
        experts = get_experts(session, municipality=municipality, skill=skill)
    elif skill is not None:
        experts = [e for e in experts if skill in e.skills]
    if not experts:
        return {}
    tz = zone(municipality.timezone)
    closed = closed_dates(session, municipality=municipality, first=first, last=last)
    exceptions: dict[int, list[ShiftException]] = defaultdict(list)
    for exc in session.scalars(
        select(ShiftException)
        .where(
            ShiftException.expert_id.in_([e.id for e in experts]),
            ShiftException.date >= first,
            ShiftException.date <= last,
        )
        .execution_options(populate_existing=True)
    ):
        exceptions[exc.expert_id].append(exc)
    out: dict[tuple[int, dt.date], ExpertShift] = {}
    for expert in experts:
        for day in days(first, last):
            shift = shift_of(
                expert,
                day,
                tz,
                shifts=expert.shifts,
                exceptions=exceptions[expert.id],
                closed=day in closed,
            )
            if shift is not None:
                out[(expert.id, day)] = shift
    return out


def days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def prefill_closures(session: Session, *, municipality: Municipality, years: Iterable[int]) -> int:
    """Add the Dutch public holidays of ``years`` as closure days (keeping any edits); flushes."""
    existing = {
        c.date
        for c in session.scalars(select(Closure).where(Closure.municipality_id == municipality.id))
    }
    added = 0
    for day, name in dutch_public_holidays(years).items():
        if day not in existing:
            session.add(
                Closure(municipality_id=municipality.id, date=day, name=name, source="holiday")
            )
            added += 1
    session.flush()
    return added


# ---------------------------------------------------------------------------------------------
# Capacity changes by planners.
#
# Every change below is one unit of work: it locks the expert-days it can touch, replays each
# expert-day that holds visits before and after the change (in the same transaction, before
# commit), and either refuses with :class:`PromisesAtRisk` naming the visits the change would
# break, or, when the planner asked for it, applies the change and re-plans those dates through
# the planning module. Each change bumps the municipality's ``capacity_version`` so cached offer
# indexes are rebuilt.
# ---------------------------------------------------------------------------------------------

T = TypeVar("T")

#: Days ahead that are locked for a change to an expert's pattern when no service says more.
DEFAULT_HORIZON_DAYS = 28
#: Dates of a closure year a planner may edit.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Affected:
    """A booked visit a change breaks: its reference and promise (local times), no personal data."""

    visit_id: int
    reference: str
    date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    expert_id: int | None

    def public(self) -> dict[str, object]:
        """The members a problem document shows (the internal id stays inside)."""
        return {
            "reference": self.reference,
            "date": self.date,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "expert_id": self.expert_id,
        }


@dataclass(frozen=True)
class ReplannedDay:
    """What re-planning one date did: references moved inside their windows, and those not kept."""

    date: dt.date
    moved: tuple[str, ...]
    unplaced: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What a change did to booked visits (empty when it touched none)."""

    affected: tuple[Affected, ...] = ()
    replanned: tuple[ReplannedDay, ...] = ()


@dataclass(frozen=True)
class Changed(Generic[T]):
    """The changed thing with the outcome for booked visits."""

    value: T
    outcome: Outcome


@dataclass(frozen=True)
class Replan:
    """Whether and how to re-plan visits a change breaks (``enabled`` is the ``replan`` flag).

    ``travel`` also times the replays that detect broken visits; ``notify`` queues the disruption
    messages; ``hold_minutes`` is how long the alternatives offered to citizens are held;
    ``time_limit`` caps each day's re-plan solve below the planning module's default (seconds).
    """

    enabled: bool
    travel: TravelTimeProvider
    notify: Notifier
    actor: str
    hold_minutes: int
    time_limit: float | None = None


def today_of(municipality: Municipality) -> dt.date:
    return clock.local_date(clock.now(), zone(municipality.timezone))


def broken_visits(
    state: dayplan.DayState, travel: TravelTimeProvider, expert_ids: Iterable[int] | None = None
) -> tuple[set[int], set[int]]:
    """Visits whose expert-day cannot be driven as planned, as (unstaffed, infeasible) id sets.

    Unstaffed: the visit's expert does not work that date (any more). Infeasible: the expert works,
    but replaying the stop order breaks a promise or the shift; visits are taken out of the order
    one at a time until the rest replays cleanly: first a visit the expert may not serve, then the
    first that arrives after its window, then the last visit before a break that starts too late,
    else the last visit of the day (shift overrun, too many visits). What remains can be kept.
    """
    wanted = None if expert_ids is None else set(expert_ids)
    unstaffed: set[int] = set()
    infeasible: set[int] = set()
    for eid, day in state.expert_days.items():
        if wanted is not None and eid not in wanted:
            continue
        planned = [
            int(s["id"]) for s in day.stops if s["type"] == "visit" and int(s["id"]) in state.visits
        ]
        if not planned:
            continue
        if eid not in state.shifts or eid not in state.experts:
            unstaffed.update(planned)
            continue
        stops = state.stops(eid)
        while any(k is StepType.VISIT for k, _ in stops):
            timed = dayplan.retime(state, eid, stops, travel)
            if timed.feasible:
                break
            victim = _victim(state, eid, stops, timed)
            infeasible.add(victim)
            stops = [s for s in stops if s != (StepType.VISIT, victim)]
    return unstaffed, infeasible


def _victim(
    state: dayplan.DayState, expert_id: int, stops: Sequence[StopRef], timed: Replay
) -> int:
    """The visit to take out of an infeasible order first (see :func:`broken_visits`)."""
    skills = set(state.experts[expert_id].skills)
    order = [i for k, i in stops if k is StepType.VISIT]
    for vid in order:
        if state.services[state.visits[vid].service_type_id].skill not in skills:
            return vid
    breaks = {b.id: b for b in state.shifts[expert_id].breaks}
    last_visit: int | None = None
    for step in timed.route.steps:
        if step.type is StepType.VISIT and step.id is not None:
            v = state.visits[step.id]
            if step.arrival > state.seconds(v.window_end):
                return step.id
            last_visit = step.id
        elif step.type is StepType.BREAK and step.id in breaks:
            rule = breaks[step.id]
            if step.arrival > state.seconds(rule.latest) and last_visit is not None:
                return last_visit
    return order[-1]


def _affected(state: dayplan.DayState, visit_id: int) -> Affected:
    v = state.visits[visit_id]
    return Affected(
        visit_id=v.id,
        reference=v.reference,
        date=v.date,
        window_start=v.window_start.astimezone(state.tz),
        window_end=v.window_end.astimezone(state.tz),
        expert_id=v.expert_id,
    )


def visit_days(
    session: Session,
    municipality: Municipality,
    *,
    expert_ids: Iterable[int] | None = None,
    dates: Iterable[dt.date] | None = None,
    service_type_id: int | None = None,
) -> dict[dt.date, set[int]]:
    """Upcoming dates with active planned visits, each with the experts holding them."""
    query = (
        select(Visit.date, Visit.expert_id)
        .where(
            Visit.municipality_id == municipality.id,
            Visit.status.in_(ACTIVE_STATUSES),
            Visit.expert_id.is_not(None),
            Visit.date >= today_of(municipality),
        )
        .distinct()
    )
    if expert_ids is not None:
        query = query.where(Visit.expert_id.in_(list(expert_ids)))
    if dates is not None:
        query = query.where(Visit.date.in_(list(dates)))
    if service_type_id is not None:
        query = query.where(Visit.service_type_id == service_type_id)
    out: dict[dt.date, set[int]] = defaultdict(set)
    for day, expert_id in session.execute(query):
        assert expert_id is not None
        out[day].add(expert_id)
    return dict(out)


def _day_experts(session: Session, municipality: Municipality, day: dt.date) -> set[int]:
    """Every expert who could be in the day's plan: the active ones and any with a plan row."""
    active = session.scalars(
        select(Expert.id).where(Expert.municipality_id == municipality.id, Expert.active.is_(True))
    )
    with_plan = session.scalars(
        select(ExpertDay.expert_id).where(
            ExpertDay.municipality_id == municipality.id, ExpertDay.date == day
        )
    )
    return set(active) | set(with_plan)


def _horizon(session: Session, municipality: Municipality) -> int:
    longest = session.scalar(
        select(func.max(ServiceType.horizon_days)).where(
            ServiceType.municipality_id == municipality.id, ServiceType.active.is_(True)
        )
    )
    return int(longest or DEFAULT_HORIZON_DAYS)


class PromiseGuard:
    """Keeps the promises on the expert-days a change can touch (see the notes above).

    ``scope`` are the experts the change is about (None: all of them, e.g. a closure) and
    ``lock_days`` the dates it changes; ``watch`` reads which of those dates hold visits, with the
    experts holding them. The guard locks the scope's expert-days on every changed date, so a
    booking racing the change waits for it and is then checked against the new capacity. With
    re-planning on, dates holding visits are locked for every expert, in ascending id order as
    a booking locks, so the re-plan's own locks add nothing a booking could hold against it.
    """

    #: Tries to lock a consistent set while bookings keep landing (PostgreSQL reads committed).
    ATTEMPTS = 3

    def __init__(
        self,
        session: Session,
        municipality: Municipality,
        replan: Replan,
        *,
        scope: Collection[int] | None,
        lock_days: Iterable[dt.date],
        watch: Callable[[], dict[dt.date, set[int]]],
    ) -> None:
        self.session = session
        self.municipality = municipality
        self.replan = replan
        # First lock of the transaction: bookings and plan changes wait until this one is done.
        lock_capacity(session, municipality, exclusive=True)
        changed = set(lock_days)
        everyone = scope is None or replan.enabled
        locked: dict[dt.date, set[int]] = {}
        for attempt in range(self.ATTEMPTS):
            seen = watch()
            locked = {}
            for day in sorted(changed | set(seen)):
                ids = set(seen.get(day, ()))
                if scope is not None:
                    ids |= set(scope)
                if everyone and (day in seen or scope is None):
                    ids |= _day_experts(session, municipality, day)
                dayplan.lock_expert_days(session, municipality, day, ids)
                locked[day] = ids
            # Read again under the locks: a booking committed in between is seen now.
            self.days = watch()
            complete = all(
                day in locked
                and ids <= locked[day]
                and (not everyone or _day_experts(session, municipality, day) <= locked[day])
                for day, ids in self.days.items()
            )
            if complete or attempt == self.ATTEMPTS - 1:
                break
            session.rollback()
        found, unstaffed = self._broken()
        self.before, self.unstaffed_before = set(found), unstaffed

    def _broken(self) -> tuple[dict[int, Affected], set[int]]:
        """All broken visits on the watched days, and which of them lost their expert's day."""
        found: dict[int, Affected] = {}
        unstaffed_all: set[int] = set()
        for day in sorted(self.days):
            state = dayplan.load_day(
                self.session, self.municipality, day, expert_ids=self.days[day]
            )
            unstaffed, infeasible = broken_visits(state, self.replan.travel, self.days[day])
            unstaffed_all |= unstaffed
            for vid in unstaffed | infeasible:
                found[vid] = _affected(state, vid)
        return found, unstaffed_all

    def _retime(self, *, skip: set[dt.date]) -> None:
        """Store new planned times for the watched expert-days (a later start, a longer visit)."""
        for day in sorted(set(self.days) - skip):
            state = dayplan.load_day(
                self.session, self.municipality, day, expert_ids=self.days[day]
            )
            for eid in sorted(self.days[day]):
                row = state.expert_days.get(eid)
                if row is None or eid not in state.shifts:
                    continue
                stops = state.stops(eid)
                if any(k is StepType.VISIT for k, _ in stops):
                    timed = dayplan.retime(state, eid, stops, self.replan.travel)
                    # With travel, a day already under way keeps its forecast from actual times.
                    dayplan.write_route(
                        self.session, state, row, stops, timed, travel=self.replan.travel
                    )

    def finish(self) -> Outcome:
        """Check the applied (flushed) change; refuse, or commit it and re-plan what it broke.

        A visit already at risk before the change is not blamed on it, unless the change takes
        its expert's whole day away (an absence is a disruption that must be re-planned).
        """
        self.session.flush()
        after, unstaffed = self._broken()
        lost_day = unstaffed - self.unstaffed_before
        broken = sorted(
            (a for vid, a in after.items() if vid in lost_day or vid not in self.before),
            key=lambda a: (a.date, a.window_start, a.reference),
        )
        if broken and not self.replan.enabled:
            self.session.rollback()
            raise _refusal(broken)
        bump_capacity_version(self.session, self.municipality)
        # Day versions are left alone: proposals are checked against the capacity version too,
        # and a re-plan bumps its own day (touching those rows first would upset its lock order).
        to_replan = sorted({a.date for a in broken})
        self._retime(skip=set(to_replan))
        replanned = [
            _replan_day(self.session, self.municipality, day, self.replan) for day in to_replan
        ]
        self.session.commit()
        if broken:
            log.info(
                "capacity change broke %d visit(s), re-planned %d day(s)",
                len(broken),
                len(replanned),
            )
        return Outcome(tuple(broken), tuple(replanned))


def _refusal(broken: Sequence[Affected]) -> PromisesAtRisk:
    n = len(broken)
    return PromisesAtRisk(
        f"This change would break {n} booked visit(s), listed in 'affected'. Change it so they "
        "still fit, or repeat it with ?replan=true to move them to colleagues and offer the "
        "rest new times.",
        nl=f"Deze wijziging raakt {n} geboekte afspraak/afspraken (zie 'affected'). Pas de "
        "wijziging aan zodat ze blijven passen, of herhaal haar met ?replan=true om ze naar "
        "collega's te verplaatsen en de rest nieuwe tijden aan te bieden.",
        affected=[a.public() for a in broken],
    )


def _replan_day(
    session: Session, municipality: Municipality, day: dt.date, replan: Replan
) -> ReplannedDay:
    # Imported here: the planning module builds on this one, so importing it at module level
    # would make the two import each other.
    from scheduler.planning import service as planning

    result = planning.replan_day(
        session,
        municipality=municipality,
        date=day,
        travel=replan.travel,
        notify=replan.notify,
        actor=replan.actor,
        hold_minutes=replan.hold_minutes,
        time_limit=min(planning.REPLAN_TIME_LIMIT, replan.time_limit or math.inf),
    )
    return ReplannedDay(
        date=day,
        moved=tuple(m.reference for m in result.moved),
        unplaced=tuple(item.reference for item in result.listed),
    )


def bump_capacity_version(session: Session, municipality: Municipality) -> None:
    """Record a capacity change so cached offer indexes are rebuilt (atomic increment)."""
    session.execute(
        update(Municipality)
        .where(Municipality.id == municipality.id)
        .values(capacity_version=Municipality.capacity_version + 1)
    )


def _upcoming(municipality: Municipality, ahead: int) -> list[dt.date]:
    first = today_of(municipality)
    return list(days(first, first + dt.timedelta(days=ahead)))


def _expert_guard(
    session: Session, municipality: Municipality, expert: Expert, replan: Replan
) -> PromiseGuard:
    """A guard over every upcoming day of one expert (pattern and profile changes)."""
    horizon = _upcoming(municipality, _horizon(session, municipality))
    return PromiseGuard(
        session,
        municipality,
        replan,
        scope=[expert.id],
        lock_days=horizon,
        watch=lambda: visit_days(session, municipality, expert_ids=[expert.id]),
    )


def _locate(
    session: Session, municipality: Municipality, where: LocationIn, geocoder: Geocoder
) -> tuple[str, float, float]:
    if where.lat is not None and where.lon is not None:
        return where.label, where.lat, where.lon
    assert where.postcode is not None and where.house_number is not None
    postcode = normalise_postcode(where.postcode)
    place = geocoder.locate(session, municipality, postcode, where.house_number, where.addition)
    if place is None:
        raise unknown_address(postcode, where.house_number, where.addition)
    return where.label, place.lat, place.lon


# --- experts --------------------------------------------------------------------------------


def create_expert(
    session: Session, *, municipality: Municipality, data: ExpertCreate, geocoder: Geocoder
) -> Expert:
    """Add an expert (without shifts yet: they add capacity once a pattern is set)."""
    label, lat, lon = _locate(session, municipality, data.start, geocoder)
    expert = Expert(
        municipality_id=municipality.id,
        name=data.name,
        skills=list(data.skills),
        travel_mode=data.travel_mode,
        start_label=label,
        start_lat=lat,
        start_lon=lon,
        max_visits_per_day=data.max_visits_per_day,
        active=data.active,
    )
    if data.end is not None:
        expert.end_label, expert.end_lat, expert.end_lon = _locate(
            session, municipality, data.end, geocoder
        )
    session.add(expert)
    session.flush()
    bump_capacity_version(session, municipality)
    session.commit()
    log.info("expert %s created", expert.id)
    return expert


def update_expert(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    data: ExpertUpdate,
    geocoder: Geocoder,
    replan: Replan,
) -> Changed[Expert]:
    """Change an expert's profile; refused when it breaks booked visits unless re-planning.

    Removing a skill, a slower travel mode, another start or end, fewer visits per day or
    deactivating can each break promises already made.
    """
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    fields = data.model_fields_set
    if fields <= {"name"}:  # a new name changes no capacity and no plan
        if data.name is not None:
            expert.name = data.name
        session.commit()
        return Changed(expert, Outcome())
    # Geocode before locking, so a slow geocoder never holds the day locks.
    start = _locate(session, municipality, data.start, geocoder) if data.start else None
    end = _locate(session, municipality, data.end, geocoder) if data.end else None
    guard = _expert_guard(session, municipality, expert, replan)
    if data.name is not None:
        expert.name = data.name
    if data.skills is not None:
        expert.skills = list(data.skills)
    if data.travel_mode is not None:
        expert.travel_mode = data.travel_mode
    if start is not None:
        expert.start_label, expert.start_lat, expert.start_lon = start
    if "end" in fields:
        expert.end_label, expert.end_lat, expert.end_lon = end if end else (None, None, None)
    if "max_visits_per_day" in fields:
        expert.max_visits_per_day = data.max_visits_per_day
    if data.active is not None:
        expert.active = data.active
    outcome = guard.finish()
    log.info("expert %s updated", expert.id)
    return Changed(expert, outcome)


def deactivate_expert(
    session: Session, *, municipality: Municipality, expert_id: int, replan: Replan
) -> Changed[Expert]:
    """Take an expert out of planning (kept for history); their visits must move first."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    guard = _expert_guard(session, municipality, expert, replan)
    expert.active = False
    outcome = guard.finish()
    log.info("expert %s deactivated", expert.id)
    return Changed(expert, outcome)


# --- weekly shifts --------------------------------------------------------------------------


def _shift(data: ShiftIn) -> WeeklyShift:
    return WeeklyShift(
        weekday=data.weekday,
        start=data.start,
        end=data.end,
        break_earliest=data.break_earliest,
        break_latest=data.break_latest,
        break_minutes=data.break_minutes,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )


def _check_overlaps(shifts: Sequence[WeeklyShift]) -> None:
    """Two shifts on one weekday must not overlap while both are valid."""
    for i, a in enumerate(shifts):
        for b in shifts[i + 1 :]:
            if a.weekday != b.weekday or not (a.start < b.end and b.start < a.end):
                continue
            a_from, b_from = a.valid_from or dt.date.min, b.valid_from or dt.date.min
            a_until, b_until = a.valid_until or dt.date.max, b.valid_until or dt.date.max
            if a_from <= b_until and b_from <= a_until:
                day = WEEKDAYS_EN[a.weekday]
                raise InvalidInput(
                    f"Two shifts on {day} overlap ({a.start:%H:%M}-{a.end:%H:%M} and "
                    f"{b.start:%H:%M}-{b.end:%H:%M}).",
                    nl=f"Twee diensten op {WEEKDAYS_NL[a.weekday]} overlappen "
                    f"({a.start:%H:%M}-{a.end:%H:%M} en {b.start:%H:%M}-{b.end:%H:%M}).",
                )


WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def get_shifts(
    session: Session, *, municipality: Municipality, expert_id: int
) -> list[WeeklyShift]:
    """The expert's weekly shifts, by weekday and start."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    return sorted(expert.shifts, key=lambda s: (s.weekday, s.start, s.id))


def replace_shifts(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    shifts: Sequence[ShiftIn],
    replan: Replan,
) -> Changed[list[WeeklyShift]]:
    """Replace the expert's whole weekly pattern; refused when it breaks booked visits."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    new = [_shift(s) for s in shifts]
    _check_overlaps(new)
    guard = _expert_guard(session, municipality, expert, replan)
    # Through the relationship, so the loaded collection (which day plans read) is current.
    expert.shifts = new
    outcome = guard.finish()
    log.info("expert %s: weekly pattern replaced (%d shifts)", expert.id, len(new))
    return Changed(sorted(expert.shifts, key=lambda s: (s.weekday, s.start, s.id)), outcome)


def add_shift(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    data: ShiftIn,
    replan: Replan | None = None,
) -> Changed[WeeklyShift]:
    """Add one weekly shift (more working time: it keeps every promise).

    With ``replan`` (its travel times) the expert's booked days are replayed as for any change
    and their planned times stored anew: a second shift on a weekday joins the first with a fixed
    break, which moves planned times. Without, the shift is just added.
    """
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    shift = _shift(data)
    _check_overlaps([*expert.shifts, shift])
    guard = _expert_guard(session, municipality, expert, replan) if replan else None
    expert.shifts.append(shift)
    if guard is not None:
        outcome = guard.finish()
    else:
        session.flush()
        bump_capacity_version(session, municipality)
        session.commit()
        outcome = Outcome()
    log.info("expert %s: shift %s added", expert.id, shift.id)
    return Changed(shift, outcome)


def delete_shift(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    shift_id: int,
    replan: Replan,
) -> Changed[int]:
    """Remove one weekly shift; refused when it breaks booked visits unless re-planning."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    shift = next((s for s in expert.shifts if s.id == shift_id), None)
    if shift is None:
        raise NotFound(
            f"Expert {expert_id} has no shift {shift_id}.",
            nl=f"Medewerker {expert_id} heeft geen dienst {shift_id}.",
        )
    guard = _expert_guard(session, municipality, expert, replan)
    expert.shifts.remove(shift)
    outcome = guard.finish()
    log.info("expert %s: shift %s deleted", expert.id, shift_id)
    return Changed(shift_id, outcome)


# --- exceptions: extra shifts, absence, sickness --------------------------------------------


def get_exceptions(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> list[ShiftException]:
    """The expert's dated exceptions, from ``first`` (default: today) to ``last`` (default: all)."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    query = select(ShiftException).where(
        ShiftException.expert_id == expert.id,
        ShiftException.date >= (first or today_of(municipality)),
    )
    if last is not None:
        query = query.where(ShiftException.date <= last)
    return list(session.scalars(query.order_by(ShiftException.date, ShiftException.id)))


def create_exception(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    data: ExceptionIn,
    replan: Replan,
) -> Changed[list[ShiftException]]:
    """Record an extra shift, absence or sickness (a disruption when the day holds visits).

    An absence on a day with booked visits is refused unless re-planning; with ``replan`` the
    expert's visits move to colleagues inside their windows and the rest get new offers.
    """
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    dates = list(days(data.date, data.until or data.date))
    guard = PromiseGuard(
        session,
        municipality,
        replan,
        scope=[expert.id],
        lock_days=dates,
        watch=lambda: visit_days(session, municipality, expert_ids=[expert.id], dates=dates),
    )
    now = clock.now()
    created = [
        ShiftException(
            expert_id=expert.id,
            date=day,
            kind=data.kind,
            start=data.start,
            end=data.end,
            break_earliest=data.break_earliest,
            break_latest=data.break_latest,
            break_minutes=data.break_minutes,
            created_at=now,
        )
        for day in dates
    ]
    session.add_all(created)
    outcome = guard.finish()
    log.info("expert %s: %s recorded on %d date(s)", expert.id, data.kind.value, len(created))
    return Changed(created, outcome)


def delete_exception(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    exception_id: int,
    replan: Replan,
) -> Changed[int]:
    """Remove an exception; removing an extra shift is refused when it breaks booked visits."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    exc = session.get(ShiftException, exception_id)
    if exc is None or exc.expert_id != expert.id:
        raise NotFound(
            f"Expert {expert_id} has no exception {exception_id}.",
            nl=f"Medewerker {expert_id} heeft geen uitzondering {exception_id}.",
        )
    day = exc.date
    guard = PromiseGuard(
        session,
        municipality,
        replan,
        scope=[expert.id],
        lock_days=[day],
        watch=lambda: visit_days(session, municipality, expert_ids=[expert.id], dates=[day]),
    )
    session.delete(exc)
    outcome = guard.finish()
    log.info("expert %s: exception %s deleted", expert.id, exception_id)
    return Changed(exception_id, outcome)


# --- closure days ---------------------------------------------------------------------------


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"year must lie between {FIRST_YEAR} and {LAST_YEAR}",
            nl=f"het jaar moet tussen {FIRST_YEAR} en {LAST_YEAR} liggen",
        )


def get_closures(session: Session, *, municipality: Municipality, year: int) -> list[Closure]:
    """The municipality's closure days of ``year``, by date."""
    _check_year(year)
    return list(
        session.scalars(
            select(Closure)
            .where(
                Closure.municipality_id == municipality.id,
                Closure.date >= dt.date(year, 1, 1),
                Closure.date <= dt.date(year, 12, 31),
            )
            .order_by(Closure.date)
        )
    )


def _all_experts_guard(
    session: Session, municipality: Municipality, dates: Sequence[dt.date], replan: Replan
) -> PromiseGuard:
    """A guard over every expert on ``dates`` (closures take the whole municipality's day)."""
    return PromiseGuard(
        session,
        municipality,
        replan,
        scope=None,
        lock_days=dates,
        watch=lambda: visit_days(session, municipality, dates=dates),
    )


def prefill_year(
    session: Session, *, municipality: Municipality, year: int, replan: Replan
) -> Changed[tuple[int, list[Closure]]]:
    """Pre-fill ``year`` with the Dutch public holidays, once (later deletions are respected).

    A year that already holds a pre-filled holiday is left alone, so a holiday the municipality
    removed (e.g. Bevrijdingsdag in a year it works) is not put back. Holidays on dates with
    booked visits are refused unless re-planning, like any closure.
    """
    _check_year(year)
    filled = session.scalar(
        select(func.count())
        .select_from(Closure)
        .where(
            Closure.municipality_id == municipality.id,
            Closure.source == "holiday",
            Closure.date >= dt.date(year, 1, 1),
            Closure.date <= dt.date(year, 12, 31),
        )
    )
    if filled:
        return Changed((0, get_closures(session, municipality=municipality, year=year)), Outcome())
    holidays_of_year = sorted(dutch_public_holidays([year]))
    guard = _all_experts_guard(session, municipality, holidays_of_year, replan)
    added = prefill_closures(session, municipality=municipality, years=[year])
    outcome = guard.finish()
    log.info("closures of %d pre-filled (%d added)", year, added)
    return Changed((added, get_closures(session, municipality=municipality, year=year)), outcome)


def add_closure(
    session: Session, *, municipality: Municipality, data: ClosureIn, replan: Replan
) -> Changed[Closure]:
    """Close the municipality on a date; refused when visits are booked then, unless re-planning."""
    existing = session.scalar(
        select(Closure).where(Closure.municipality_id == municipality.id, Closure.date == data.date)
    )
    if existing is not None:
        raise Conflict(
            f"{data.date.isoformat()} is already a closure day ({existing.name}).",
            nl=f"{data.date.isoformat()} is al een sluitingsdag ({existing.name}).",
        )
    guard = _all_experts_guard(session, municipality, [data.date], replan)
    closure = Closure(
        municipality_id=municipality.id, date=data.date, name=data.name, source="manual"
    )
    session.add(closure)
    outcome = guard.finish()
    log.info("closure %s added", closure.id)
    return Changed(closure, outcome)


def _get_closure(session: Session, municipality: Municipality, closure_id: int) -> Closure:
    closure = session.get(Closure, closure_id)
    if closure is None or closure.municipality_id != municipality.id:
        raise NotFound(
            f"No closure day {closure_id} here.", nl=f"Sluitingsdag {closure_id} bestaat niet."
        )
    return closure


def rename_closure(
    session: Session, *, municipality: Municipality, closure_id: int, name: str
) -> Closure:
    """Give a closure day another name (capacity stays the same)."""
    closure = _get_closure(session, municipality, closure_id)
    closure.name = name
    session.commit()
    return closure


def delete_closure(session: Session, *, municipality: Municipality, closure_id: int) -> int:
    """Open a closed day again (more capacity: no booked visit can break)."""
    closure = _get_closure(session, municipality, closure_id)
    session.delete(closure)
    session.flush()
    bump_capacity_version(session, municipality)
    session.commit()
    log.info("closure %s deleted", closure_id)
    return closure_id
