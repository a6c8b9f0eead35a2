"""Capacity changes keep every promise already made, or re-plan the visits they break.

A small demo municipality (4 experts, 3 days, 30% booked) on a frozen clock: Monday 2 March 2026,
07:00 in Utrecht; visits are booked on Tuesday to Thursday. Each change either applies (and bumps
the capacity version) or is refused with the exact visits it would break, leaving nothing changed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from support import SeedDemo

from routing.model import StepType
from routing.travel import HaversineTravel
from scheduler import clock, demo
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity import service as capacity
from scheduler.capacity.models import Closure, ExceptionKind, Expert, ShiftException
from scheduler.capacity.schemas import ClosureIn, ExceptionIn, ExpertUpdate, ShiftIn
from scheduler.catalog.models import ServiceType
from scheduler.catalog.schemas import ServiceTypeUpdate
from scheduler.day import promises
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.day.shifts import ExpertShift
from scheduler.db import make_sessionmaker
from scheduler.errors import InvalidInput, PromisesAtRisk
from scheduler.tenants.models import Municipality
from scheduler.usecases import capacity_changes

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3, addresses=300)
AMS = clock.zone("Europe/Amsterdam")
TRAVEL = HaversineTravel()


@pytest.fixture
def reader(engine: Engine) -> sessionmaker[Session]:
    """Read-only sessions: on SQLite they read next to the test's open write transaction."""
    return make_sessionmaker(engine, read_only=True)


@pytest.fixture
def seeded(seed_demo: SeedDemo, session: Session, frozen: object) -> Municipality:
    """The demo town (4 experts, 3 days booked to 30%), copied from a template seeded once."""
    return session.get_one(Municipality, seed_demo(SIZE, NOW))


class Notes:
    """A notifier that remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    def __call__(
        self, session: Session, visit: Visit, kind: str, manage_token: str | None = None
    ) -> None:
        self.sent.append((visit.id, kind))


def replan(enabled: bool, notes: Notes | None = None) -> capacity_changes.Replan:
    return capacity_changes.Replan(
        enabled=enabled,
        travel=TRAVEL,
        notify=notes or Notes(),
        actor="planner:1",
        hold_minutes=10,
        time_limit=0.5,
    )


def active(session: Session, **where: object) -> list[Visit]:
    query = select(Visit).where(Visit.status.in_(ACTIVE_STATUSES))
    for key, value in where.items():
        query = query.where(getattr(Visit, key) == value)
    return list(session.scalars(query.order_by(Visit.id)))


def busiest_expert_day(session: Session) -> tuple[int, dt.date]:
    """The (expert, date) holding the most visits: a day worth disrupting."""
    counts: dict[tuple[int, dt.date], int] = {}
    for v in active(session):
        assert v.expert_id is not None
        counts[(v.expert_id, v.date)] = counts.get((v.expert_id, v.date), 0) + 1
    (expert_id, day), n = max(counts.items(), key=lambda kv: (kv[1], -kv[0][0]))
    assert n >= 2
    return expert_id, day


def version(reader: sessionmaker[Session], m: Municipality) -> int:
    with reader() as s:
        fresh = s.get(Municipality, m.id)
        assert fresh is not None
        return fresh.capacity_version


def pattern_of(expert: Expert) -> list[ShiftIn]:
    return [
        ShiftIn(
            weekday=s.weekday,
            start=s.start,
            end=s.end,
            break_earliest=s.break_earliest,
            break_latest=s.break_latest,
            break_minutes=s.break_minutes,
            valid_from=s.valid_from,
            valid_until=s.valid_until,
        )
        for s in expert.shifts
    ]


def test_absence_on_a_day_with_visits_is_refused_naming_exactly_those_visits(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """Sickness on a booked day: 409 naming that expert's visits (reference, date, window only)."""
    expert_id, day = busiest_expert_day(session)
    expected = {v.reference for v in active(session, expert_id=expert_id, date=day)}
    before = version(reader, seeded)
    with pytest.raises(PromisesAtRisk) as refused:
        capacity_changes.create_exception(
            session,
            municipality=seeded,
            expert_id=expert_id,
            data=ExceptionIn(date=day, kind=ExceptionKind.SICKNESS),
            replan=replan(False),
        )
    affected = refused.value.extra["affected"]
    assert {a["reference"] for a in affected} == expected
    for a in affected:
        assert set(a) == {"reference", "date", "window_start", "window_end", "expert_id"}
        assert a["date"] == day and a["expert_id"] == expert_id
        assert a["window_start"].utcoffset() == dt.timedelta(hours=1)  # local time, CET
    with reader() as s:
        assert s.scalars(select(ShiftException)).all() == []
    assert version(reader, seeded) == before


def test_absence_with_replan_moves_or_lists_every_visit_and_loses_none(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """With replan: the absent expert keeps no visit; each is with a colleague or listed."""
    expert_id, day = busiest_expert_day(session)
    theirs = {v.reference for v in active(session, expert_id=expert_id, date=day)}
    all_of_day = {v.id for v in active(session, date=day)}
    notes = Notes()
    before = version(reader, seeded)
    changed = capacity_changes.create_exception(
        session,
        municipality=seeded,
        expert_id=expert_id,
        data=ExceptionIn(date=day, kind=ExceptionKind.SICKNESS),
        replan=replan(True, notes),
    )
    assert {a.reference for a in changed.outcome.affected} == theirs
    (day_result,) = changed.outcome.replanned
    assert day_result.date == day
    assert theirs <= set(day_result.moved) | set(day_result.unplaced)
    with reader() as s:
        visits = active(s, date=day)
        assert {v.id for v in visits} == all_of_day  # nothing cancelled, nothing lost
        for v in visits:
            assert v.expert_id != expert_id
            if v.expert_day_id is None:
                assert v.at_risk and v.reference in day_result.unplaced
            else:
                assert v.planned_start is not None
                assert v.window_start <= v.planned_start <= v.window_end
        listed = {v.id for v in visits if v.expert_day_id is None}
        assert {vid for vid, kind in notes.sent if kind == "disruption"} == listed
        assert s.scalars(select(ShiftException)).one().kind is ExceptionKind.SICKNESS
    assert version(reader, seeded) == before + 1


def test_broken_visits_leave_a_day_that_replays_cleanly(
    session: Session, seeded: Municipality
) -> None:
    """Shifts cut short: without the named visits each day replays cleanly; late ones are named."""
    for new_end in (dt.time(11, 0), dt.time(13, 0), dt.time(15, 30)):
        for day in sorted({v.date for v in active(session)}):
            state = day_state.load_day(session, seeded, day)
            cut = clock.at_local(day, new_end, AMS)
            gone: set[int] = set()
            for eid, shift in list(state.shifts.items()):
                if cut <= shift.start:  # an afternoon shift vanishes altogether
                    del state.shifts[eid]
                    gone |= {v.id for v in state.visits.values() if v.expert_id == eid}
                    continue
                end = min(shift.end, cut)
                # The breaks that still fit, as the calendar keeps them.
                kept = tuple(
                    b
                    for b in shift.breaks
                    if b.earliest < end and b.latest + dt.timedelta(minutes=b.minutes) > shift.start
                )
                state.shifts[eid] = ExpertShift(eid, day, shift.start, end, kept)
            unstaffed, infeasible = promises.broken_visits(state, TRAVEL)
            assert unstaffed == gone
            for eid in state.shifts:
                stops = [
                    s for s in state.stops(eid) if s[0] is StepType.BREAK or s[1] not in infeasible
                ]
                if any(k is StepType.VISIT for k, _ in stops):
                    assert day_timing.retime(state, eid, stops, TRAVEL).feasible
            for v in state.visits.values():
                if v.expert_id in state.shifts and v.window_start >= cut:
                    assert v.id in infeasible  # it cannot even start before the day ends


def test_cutting_a_weekly_shift_is_refused_and_changes_nothing(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """A one-minute weekly shift fits no visit: every visit on that weekday is named."""
    expert_id, day = busiest_expert_day(session)
    expert = capacity.get_expert(session, municipality=seeded, expert_id=expert_id)
    pattern = [
        s
        if s.weekday != day.weekday()
        else ShiftIn(
            weekday=s.weekday, start=s.start, end=s.start.replace(minute=s.start.minute + 1)
        )
        for s in pattern_of(expert)
    ]
    expected = {
        v.reference
        for v in active(session, expert_id=expert_id)
        if v.date.weekday() == day.weekday()
    }
    with pytest.raises(PromisesAtRisk) as refused:
        capacity_changes.replace_shifts(
            session, municipality=seeded, expert_id=expert_id, shifts=pattern, replan=replan(False)
        )
    assert {a["reference"] for a in refused.value.extra["affected"]} == expected
    with reader() as s:
        kept = capacity.get_shifts(s, municipality=seeded, expert_id=expert_id)
        assert [(k.weekday, k.start, k.end) for k in kept] == [
            (p.weekday, p.start, p.end) for p in pattern_of(expert)
        ]


def test_a_longer_shift_is_applied_and_the_day_is_retimed(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """Starting an hour earlier keeps every promise: applied, version bumped, times replayed."""
    expert_id, day = busiest_expert_day(session)
    expert = capacity.get_expert(session, municipality=seeded, expert_id=expert_id)
    pattern = [
        p.model_copy(update={"start": p.start.replace(hour=p.start.hour - 1)})
        for p in pattern_of(expert)
    ]
    before = version(reader, seeded)
    changed = capacity_changes.replace_shifts(
        session, municipality=seeded, expert_id=expert_id, shifts=pattern, replan=replan(False)
    )
    assert changed.outcome.affected == ()
    assert version(reader, seeded) == before + 1
    with reader() as s:
        shifts = day_shifts.shifts_between(s, municipality=seeded, first=day, last=day)
        first = min(p.start for p in pattern if p.weekday == day.weekday())
        assert shifts[(expert_id, day)].start == clock.at_local(day, first, AMS)
        state = day_state.load_day(s, seeded, day)
        stops = state.stops(expert_id)
        timed = day_timing.retime(state, expert_id, stops, TRAVEL)
        assert timed.feasible
        for step in timed.route.steps:
            if step.type is StepType.VISIT:
                assert state.visits[step.id].planned_start == state.instant(step.service_start)


def test_removing_a_skill_names_exactly_the_visits_that_need_it(
    session: Session, seeded: Municipality
) -> None:
    """An expert loses a skill: exactly their upcoming visits of services needing it are named."""
    expert_id, _ = busiest_expert_day(session)
    expert = capacity.get_expert(session, municipality=seeded, expert_id=expert_id)
    services = {s.id: s for s in session.scalars(select(ServiceType))}
    theirs = active(session, expert_id=expert_id)
    skill = services[theirs[0].service_type_id].skill
    expected = {v.reference for v in theirs if services[v.service_type_id].skill == skill}
    with pytest.raises(PromisesAtRisk) as refused:
        capacity_changes.update_expert(
            session,
            municipality=seeded,
            expert_id=expert_id,
            data=ExpertUpdate(skills=[k for k in expert.skills if k != skill]),
            geocoder=None,  # type: ignore[arg-type]  # no address to look up
            replan=replan(False),
        )
    assert {a["reference"] for a in refused.value.extra["affected"]} == expected


def test_deactivation_is_refused_while_visits_wait_and_applied_without(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """An expert with upcoming visits stays active (409); one without is deactivated."""
    expert_id, _ = busiest_expert_day(session)
    with pytest.raises(PromisesAtRisk) as refused:
        capacity_changes.deactivate_expert(
            session, municipality=seeded, expert_id=expert_id, replan=replan(False)
        )
    assert {a["reference"] for a in refused.value.extra["affected"]} == {
        v.reference for v in active(session, expert_id=expert_id)
    }
    idle = Expert(
        municipality_id=seeded.id, name="Nieuw", skills=["wmo"], start_lat=52.09, start_lon=5.12
    )
    session.add(idle)
    session.commit()
    changed = capacity_changes.deactivate_expert(
        session, municipality=seeded, expert_id=idle.id, replan=replan(False)
    )
    assert changed.outcome.affected == ()
    with reader() as s:
        assert s.get(Expert, expert_id).active  # type: ignore[union-attr]
        assert not s.get(Expert, idle.id).active  # type: ignore[union-attr]


def test_closure_on_a_booked_day_is_refused_and_on_a_free_day_applied(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """Closing a day with visits names all of them; closing an empty Sunday just closes it."""
    _, day = busiest_expert_day(session)
    expected = {v.reference for v in active(session, date=day)}
    with pytest.raises(PromisesAtRisk) as refused:
        capacity_changes.add_closure(
            session,
            municipality=seeded,
            data=ClosureIn(date=day, name="Heidag"),
            replan=replan(False),
        )
    assert {a["reference"] for a in refused.value.extra["affected"]} == expected
    sunday = dt.date(2026, 3, 8)
    before = version(reader, seeded)
    changed = capacity_changes.add_closure(
        session,
        municipality=seeded,
        data=ClosureIn(date=sunday, name="Heidag"),
        replan=replan(False),
    )
    assert changed.value.date == sunday and changed.outcome.affected == ()
    assert version(reader, seeded) == before + 1
    with reader() as s:
        dates = {c.date for c in s.scalars(select(Closure).where(Closure.name == "Heidag"))}
        assert dates == {sunday}


def test_prefill_adds_the_dutch_holidays_once_and_respects_deletions(
    session: Session, seeded: Municipality
) -> None:
    """2028: Goede Vrijdag and Bevrijdingsdag are added; a deleted holiday is not put back."""
    changed = capacity_changes.prefill_year(
        session, municipality=seeded, year=2028, replan=replan(False)
    )
    added, closures = changed.value
    names = {c.date: c.name for c in closures}
    assert added == len(closures) >= 9
    assert names[dt.date(2028, 4, 14)].lower() == "goede vrijdag"
    assert names[dt.date(2028, 5, 5)].lower() == "bevrijdingsdag"
    assert dt.date(2028, 4, 27) in names  # Koningsdag
    liberation = next(c for c in closures if c.date == dt.date(2028, 5, 5))
    capacity.delete_closure(session, municipality=seeded, closure_id=liberation.id)
    again = capacity_changes.prefill_year(
        session, municipality=seeded, year=2028, replan=replan(False)
    )
    assert again.value[0] == 0
    assert dt.date(2028, 5, 5) not in {c.date for c in again.value[1]}


def test_a_longer_service_duration_is_refused_and_a_shorter_one_applied_to_visits(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """Eight-hour visits break promises (409, durations kept); shorter ones retime the plan."""
    visit = active(session)[0]
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    code, old = service.code, service.duration_minutes
    with pytest.raises(PromisesAtRisk) as refused:
        capacity_changes.update_service_type(
            session,
            municipality=seeded,
            code=code,
            data=ServiceTypeUpdate(duration_minutes=480),
            replan=replan(False),
        )
    named = {a["reference"] for a in refused.value.extra["affected"]}
    holding = {(v.expert_id, v.date) for v in active(session, service_type_id=service.id)}
    assert named
    # A longer visit may make a later one on the same expert-day late: only those days are hit.
    assert all((v.expert_id, v.date) in holding for v in active(session) if v.reference in named)
    with reader() as s:
        assert {v.duration_minutes for v in active(s, service_type_id=service.id)} == {old}
    changed = capacity_changes.update_service_type(
        session,
        municipality=seeded,
        code=code,
        data=ServiceTypeUpdate(duration_minutes=old - 10),
        replan=replan(False),
    )
    assert changed.outcome.affected == () and changed.value.duration_minutes == old - 10
    with reader() as s:
        for v in active(s, service_type_id=service.id):
            assert v.duration_minutes == old - 10
            assert v.planned_start is not None and v.planned_end is not None
            assert v.planned_end - v.planned_start == dt.timedelta(minutes=old - 10)


def test_overlapping_shifts_are_refused(session: Session, seeded: Municipality) -> None:
    """Two Monday shifts that overlap in time and validity are invalid input."""
    expert_id, _ = busiest_expert_day(session)
    with pytest.raises(InvalidInput):
        capacity_changes.replace_shifts(
            session,
            municipality=seeded,
            expert_id=expert_id,
            shifts=[
                ShiftIn(weekday=0, start=dt.time(8), end=dt.time(12)),
                ShiftIn(weekday=0, start=dt.time(11), end=dt.time(15)),
            ],
            replan=replan(False),
        )


def test_a_visit_already_at_risk_is_not_blamed_on_an_unrelated_change(
    session: Session, reader: sessionmaker[Session], seeded: Municipality
) -> None:
    """A day already late stays late: an earlier start is applied; a sickness still names it."""
    expert_id, day = busiest_expert_day(session)
    late = active(session, expert_id=expert_id, date=day)[-1]
    # The window "moved" to before the working day (even an hour earlier): it cannot be kept.
    shift = day_shifts.shifts_between(session, municipality=seeded, first=day, last=day)[
        (expert_id, day)
    ]
    late.window_end = shift.start - dt.timedelta(hours=2)
    late.window_start = late.window_end - dt.timedelta(hours=2)
    session.commit()
    state = day_state.load_day(session, seeded, day)
    assert late.id in promises.broken_visits(state, TRAVEL)[1]
    session.commit()
    expert = capacity.get_expert(session, municipality=seeded, expert_id=expert_id)
    earlier = [
        p.model_copy(update={"start": p.start.replace(hour=p.start.hour - 1)})
        for p in pattern_of(expert)
    ]
    changed = capacity_changes.replace_shifts(
        session, municipality=seeded, expert_id=expert_id, shifts=earlier, replan=replan(False)
    )
    assert changed.outcome.affected == ()
    with pytest.raises(PromisesAtRisk) as refused:
        capacity_changes.create_exception(
            session,
            municipality=seeded,
            expert_id=expert_id,
            data=ExceptionIn(date=day, kind=ExceptionKind.ABSENCE),
            replan=replan(False),
        )
    assert late.reference in {a["reference"] for a in refused.value.extra["affected"]}
