"""Capacity changes that can break promises: each checks every booked visit and re-plans.

Every change here is one unit of work: it locks the expert-days it can touch, replays each
expert-day that holds visits before and after the change (in the same transaction, before
commit), and either refuses with :class:`PromisesAtRisk` naming the visits the change would break,
or, when the planner asked for it, applies the change and re-plans those dates
(:func:`scheduler.usecases.disruption.replan_day`). Each change bumps the municipality's
``capacity_version`` so cached offer indexes are rebuilt.

These use cases span domains (capacity, catalog, planning, booking, notify), so they live above
them; the domains' own services never re-plan.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing.model import StepType
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import Visit, VisitStatus
from scheduler.capacity import service as capacity
from scheduler.capacity.models import Closure, Expert, ShiftException, WeeklyShift
from scheduler.capacity.schemas import ClosureIn, ExceptionIn, ExpertUpdate, ShiftIn
from scheduler.catalog import service as catalog
from scheduler.catalog.models import ServiceType
from scheduler.catalog.schemas import ServiceTypeUpdate
from scheduler.day.locks import bump_capacity_version, lock_expert_days
from scheduler.day.promises import broken_visits, newly_broken, visit_days
from scheduler.day.shifts import days, dutch_public_holidays, today_of
from scheduler.day.state import DayState, load_day
from scheduler.day.timing import retime, write_route
from scheduler.errors import Conflict, NotFound, PromisesAtRisk
from scheduler.geocoding import Geocoder
from scheduler.planning.models import ExpertDay
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity
from scheduler.usecases import disruption
from scheduler.usecases.notifier import ExpertNotifier, Notifier

log = logging.getLogger("aanhuis.capacity")


T = TypeVar("T")


#: Days ahead that are locked for a change to an expert's pattern when no service says more.
DEFAULT_HORIZON_DAYS = 28


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
    #: Why each moved visit left its expert, by reference (the re-plan's words:
    #: :data:`scheduler.planning.service.MOVE_REASONS`); visits the re-plan gave none are left out.
    reasons: tuple[tuple[str, str], ...] = ()

    def reason_of(self, reference: str) -> str | None:
        """Why the visit ``reference`` moved (None when the re-plan gave no reason)."""
        return dict(self.reasons).get(reference)


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
    ``time_limit`` caps each day's re-plan solve below the planning module's default (seconds);
    ``tell_experts`` tells the experts whose route of a frozen day changed (None: nobody).
    """

    enabled: bool
    travel: TravelTimeProvider
    notify: Notifier
    actor: str
    hold_minutes: int
    time_limit: float | None = None
    tell_experts: ExpertNotifier | None = None


def _affected(state: DayState, visit_id: int) -> Affected:
    v = state.visits[visit_id]
    return Affected(
        visit_id=v.id,
        reference=v.reference,
        date=v.date,
        window_start=v.window_start.astimezone(state.tz),
        window_end=v.window_end.astimezone(state.tz),
        expert_id=v.expert_id,
    )


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
                lock_expert_days(session, municipality, day, ids)
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
            state = load_day(self.session, self.municipality, day, expert_ids=self.days[day])
            unstaffed, infeasible = broken_visits(state, self.replan.travel, self.days[day])
            unstaffed_all |= unstaffed
            for vid in unstaffed | infeasible:
                found[vid] = _affected(state, vid)
        return found, unstaffed_all

    def _retime(self, *, skip: set[dt.date]) -> None:
        """Store new planned times for the watched expert-days (a later start, a longer visit)."""
        for day in sorted(set(self.days) - skip):
            state = load_day(self.session, self.municipality, day, expert_ids=self.days[day])
            for eid in sorted(self.days[day]):
                row = state.expert_days.get(eid)
                if row is None or eid not in state.shifts:
                    continue
                stops = state.stops(eid)
                if any(k is StepType.VISIT for k, _ in stops):
                    timed = retime(state, eid, stops, self.replan.travel)
                    # With travel, a day already under way keeps its forecast from actual times.
                    write_route(self.session, state, row, stops, timed, travel=self.replan.travel)

    def finish(self) -> Outcome:
        """Check the applied (flushed) change; refuse, or commit it and re-plan what it broke.

        A visit already at risk before the change is not blamed on it, unless the change takes
        its expert's whole day away (:func:`~scheduler.day.promises.newly_broken`).
        """
        self.session.flush()
        after, unstaffed = self._broken()
        blamed = newly_broken(self.before, self.unstaffed_before, after, unstaffed)
        broken = sorted(
            (after[vid] for vid in blamed), key=lambda a: (a.date, a.window_start, a.reference)
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
    result = disruption.replan_day(
        session,
        municipality=municipality,
        date=day,
        travel=replan.travel,
        notify=replan.notify,
        actor=replan.actor,
        hold_minutes=replan.hold_minutes,
        time_limit=min(disruption.REPLAN_TIME_LIMIT, replan.time_limit or math.inf),
        tell_experts=replan.tell_experts,
    )
    return ReplannedDay(
        date=day,
        moved=tuple(m.reference for m in result.moved),
        unplaced=tuple(item.reference for item in result.listed),
        reasons=tuple((m.reference, m.reason) for m in result.moved if m.reason is not None),
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
    expert = capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
    fields = data.model_fields_set
    if fields <= {"name"}:  # a new name changes no capacity and no plan
        if data.name is not None:
            expert.name = data.name
        session.commit()
        return Changed(expert, Outcome())
    # Geocode before locking, so a slow geocoder never holds the day locks.
    start = capacity.locate(session, municipality, data.start, geocoder) if data.start else None
    end = capacity.locate(session, municipality, data.end, geocoder) if data.end else None
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
    expert = capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
    guard = _expert_guard(session, municipality, expert, replan)
    expert.active = False
    outcome = guard.finish()
    log.info("expert %s deactivated", expert.id)
    return Changed(expert, outcome)


def replace_shifts(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    shifts: Sequence[ShiftIn],
    replan: Replan,
) -> Changed[list[WeeklyShift]]:
    """Replace the expert's whole weekly pattern; refused when it breaks booked visits."""
    expert = capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
    new = [capacity.shift_from(s) for s in shifts]
    capacity.check_overlaps(new)
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
    expert = capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
    shift = capacity.shift_from(data)
    capacity.check_overlaps([*expert.shifts, shift])
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
    expert = capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
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
    expert = capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
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
    expert = capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
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
    capacity.check_year(year)
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
        return Changed(
            (0, capacity.get_closures(session, municipality=municipality, year=year)), Outcome()
        )
    holidays_of_year = sorted(dutch_public_holidays([year]))
    guard = _all_experts_guard(session, municipality, holidays_of_year, replan)
    added = capacity.prefill_closures(session, municipality=municipality, years=[year])
    outcome = guard.finish()
    log.info("closures of %d pre-filled (%d added)", year, added)
    return Changed(
        (added, capacity.get_closures(session, municipality=municipality, year=year)), outcome
    )


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


def update_service_type(
    session: Session,
    *,
    municipality: Municipality,
    code: str,
    data: ServiceTypeUpdate,
    replan: Replan,
) -> Changed[ServiceType]:
    """Change a service type; refused when it breaks booked visits unless re-planning.

    A new duration applies to the service's upcoming visits that have not started (the visit
    takes that long now) and a new skill decides who may serve them; both are checked by
    replaying the expert-days holding those visits. Deactivating only stops new bookings.
    """
    service = catalog.get_by_code(session, municipality=municipality, code=code, active_only=False)
    changes = data.model_dump(exclude_unset=True)
    touches_visits = (
        changes.get("duration_minutes", service.duration_minutes) != service.duration_minutes
        or changes.get("skill", service.skill) != service.skill
    )
    guard = (
        PromiseGuard(
            session,
            municipality,
            replan,
            scope=(),
            lock_days=(),
            watch=lambda: visit_days(session, municipality, service_type_id=service.id),
        )
        if touches_visits
        else None
    )
    for key, value in changes.items():
        setattr(service, key, value)
    if "duration_minutes" in changes:
        for visit in session.scalars(
            select(Visit).where(
                Visit.service_type_id == service.id,
                Visit.status.in_((VisitStatus.BOOKED, VisitStatus.PLANNED)),
                Visit.date >= today_of(municipality),
            )
        ):
            visit.duration_minutes = service.duration_minutes
    if guard is not None:
        outcome = guard.finish()
    else:
        session.flush()
        bump_capacity_version(session, municipality)
        session.commit()
        outcome = Outcome()
    log.info("service type %s updated", service.id)
    return Changed(service, outcome)
