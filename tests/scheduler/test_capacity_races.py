"""A capacity change racing a booking: never both, whoever commits first.

One expert is the only one with the skill of the service. A citizen books a window on Tuesday
while a planner records that expert's sickness for Tuesday, at the same moment, in two sessions.
Either the booking wins (and the sickness is refused naming the new visit) or the sickness wins
(and the booking finds no one to keep the window): never a visit promised by an absent expert.
Run on PostgreSQL (row locks, read committed) and SQLite (one writer at a time).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from routing.travel import HaversineTravel
from scheduler import clock, demo
from scheduler.addresses.models import Address
from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity import service as capacity
from scheduler.capacity.models import ExceptionKind, Expert, ShiftException
from scheduler.capacity.schemas import ExceptionIn, ShiftIn
from scheduler.catalog.models import ServiceType
from scheduler.day import shifts as day_shifts
from scheduler.errors import PromisesAtRisk, SlotTaken
from scheduler.geocoding import Place
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases
from scheduler.usecases import capacity_changes

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
TUESDAY = dt.date(2026, 3, 3)
TRAVEL = HaversineTravel()
ROUNDS = 4
AMS = clock.zone("Europe/Amsterdam")


@pytest.fixture
def lone_expert(session: Session, frozen: None) -> tuple[Municipality, int, ServiceType]:
    """The demo town where one expert alone has the debt-counselling skill, and works Tuesday."""
    m = demo.create_municipality(session, size=demo.DemoSize(experts=4, addresses=100))
    service = session.scalars(select(ServiceType).where(ServiceType.skill == "schuldhulp")).one()
    experts = session.scalars(select(Expert).order_by(Expert.id)).all()
    working = day_shifts.shifts_between(session, municipality=m, first=TUESDAY, last=TUESDAY)
    lone = next(e for e in experts if (e.id, TUESDAY) in working)
    for e in experts:
        e.skills = ["schuldhulp"] if e.id == lone.id else [k for k in e.skills if k != "schuldhulp"]
    session.commit()
    return m, lone.id, service


def run_together(*jobs: Callable[[], str]) -> list[str]:
    """Start the jobs at the same moment in threads; their outcomes, in order."""
    barrier = threading.Barrier(len(jobs))
    results = [""] * len(jobs)

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = jobs[i]()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_sickness_and_a_booking_racing_never_both_win(
    sessions: sessionmaker[Session], lone_expert: tuple[Municipality, int, ServiceType]
) -> None:
    """In every round exactly one of the two succeeds, and no absent expert holds a visit."""
    m, expert_id, service = lone_expert
    replan = capacity_changes.Replan(
        enabled=False,
        travel=TRAVEL,
        notify=lambda *args, **kwargs: None,
        actor="planner:1",
        hold_minutes=10,
    )
    outcomes: set[tuple[str, str]] = set()
    for round_ in range(ROUNDS):
        with sessions() as s:
            home = s.scalars(select(Address).order_by(Address.id).offset(round_)).first()
            assert home is not None
            municipality = s.get(Municipality, m.id)
            assert municipality is not None
            place = Place(home.lat, home.lon, home.postcode, home.house_number)
            found = offers.find_candidates(
                s,
                municipality=municipality,
                service=s.get(ServiceType, service.id),  # type: ignore[arg-type]
                place=place,
                travel=TRAVEL,
                earliest=TUESDAY,
                latest=TUESDAY,
            )
            assert found, "the lone expert has room on Tuesday"
            (offer,) = offers.create_offers(
                s,
                municipality=municipality,
                service=s.get(ServiceType, service.id),  # type: ignore[arg-type]
                place=place,
                chosen=[found[0]],
                hold_minutes=10,
            )
            s.commit()
            offer_id = offer.id

        def book(offer_id: str = offer_id) -> str:
            with sessions() as s:
                municipality = s.get(Municipality, m.id)
                assert municipality is not None
                try:
                    booking_usecases.book(
                        s,
                        municipality=municipality,
                        offer_id=offer_id,
                        citizen=booking.Citizen("Burger", phone="+31612345678"),
                        notes=None,
                        idempotency_key=None,
                        travel=TRAVEL,
                    )
                except SlotTaken:
                    return "refused"
                return "ok"

        def fall_ill() -> str:
            with sessions() as s:
                municipality = s.get(Municipality, m.id)
                assert municipality is not None
                try:
                    capacity_changes.create_exception(
                        s,
                        municipality=municipality,
                        expert_id=expert_id,
                        data=ExceptionIn(date=TUESDAY, kind=ExceptionKind.SICKNESS),
                        replan=replan,
                    )
                except PromisesAtRisk:
                    return "refused"
                return "ok"

        booked, ill = run_together(book, fall_ill)
        outcomes.add((booked, ill))
        with sessions() as s:
            sick = s.scalars(select(ShiftException)).all()
            held = s.scalars(
                select(Visit).where(
                    Visit.expert_id == expert_id,
                    Visit.date == TUESDAY,
                    Visit.status.in_(ACTIVE_STATUSES),
                )
            ).all()
            assert not (sick and held), "an absent expert still holds a promised visit"
            assert {booked, ill} == {"ok", "refused"}, (booked, ill)
            # Clean up for the next round: the expert is well again, the visit cancelled.
            for e in sick:
                s.delete(e)
            s.commit()
            municipality = s.get(Municipality, m.id)
            assert municipality is not None
            for v in held:
                booking_usecases.cancel(s, municipality=municipality, visit=v, travel=TRAVEL)
    assert outcomes  # both orders may occur; every round had exactly one winner


def test_shortened_shift_and_a_late_booking_racing_never_both_win(
    sessions: sessionmaker[Session], lone_expert: tuple[Municipality, int, ServiceType]
) -> None:
    """A planner ends the lone expert's Tuesday at 12:00 while a citizen books 14:00 or later.

    Without serialisation the booking can read the old weekly pattern, wait for the day's lock
    and then book against the pattern the planner just replaced. Every round must end with one
    winner, and no visit may end after the expert's (new) shift.
    """
    m, expert_id, service = lone_expert
    replan = capacity_changes.Replan(
        enabled=False,
        travel=TRAVEL,
        notify=lambda *args, **kwargs: None,
        actor="planner:1",
        hold_minutes=10,
    )
    with sessions() as s:
        original = [
            ShiftIn(
                weekday=w.weekday,
                start=w.start,
                end=w.end,
                break_earliest=w.break_earliest,
                break_latest=w.break_latest,
                break_minutes=w.break_minutes,
            )
            for w in capacity.get_shifts(
                s, municipality=s.get(Municipality, m.id), expert_id=expert_id
            )  # type: ignore[arg-type]
        ]
    tuesday = TUESDAY.weekday()
    shortened = [
        sh.model_copy(
            update={
                "end": dt.time(12),
                "break_earliest": None,
                "break_latest": None,
                "break_minutes": 0,
            }
        )
        if sh.weekday == tuesday
        else sh
        for sh in original
    ]
    for round_ in range(ROUNDS):
        with sessions() as s:
            municipality = s.get(Municipality, m.id)
            assert municipality is not None
            capacity_changes.replace_shifts(
                s, municipality=municipality, expert_id=expert_id, shifts=original, replan=replan
            )
            home = s.scalars(select(Address).order_by(Address.id).offset(10 + round_)).first()
            assert home is not None
            place = Place(home.lat, home.lon, home.postcode, home.house_number)
            found = offers.find_candidates(
                s,
                municipality=municipality,
                service=s.get(ServiceType, service.id),  # type: ignore[arg-type]
                place=place,
                travel=TRAVEL,
                earliest=TUESDAY,
                latest=TUESDAY,
            )
            late = [c for c in found if c.start.astimezone(AMS).hour >= 14]
            assert late, "the lone expert has room on Tuesday afternoon"
            (offer,) = offers.create_offers(
                s,
                municipality=municipality,
                service=s.get(ServiceType, service.id),  # type: ignore[arg-type]
                place=place,
                chosen=[late[0]],
                hold_minutes=10,
            )
            s.commit()
            offer_id = offer.id

        def book(offer_id: str = offer_id) -> str:
            with sessions() as s:
                municipality = s.get(Municipality, m.id)
                assert municipality is not None
                try:
                    booking_usecases.book(
                        s,
                        municipality=municipality,
                        offer_id=offer_id,
                        citizen=booking.Citizen("Burger", phone="+31612345678"),
                        notes=None,
                        idempotency_key=None,
                        travel=TRAVEL,
                    )
                except SlotTaken:
                    return "refused"
                return "ok"

        def shorten() -> str:
            with sessions() as s:
                municipality = s.get(Municipality, m.id)
                assert municipality is not None
                try:
                    capacity_changes.replace_shifts(
                        s,
                        municipality=municipality,
                        expert_id=expert_id,
                        shifts=shortened,
                        replan=replan,
                    )
                except PromisesAtRisk:
                    return "refused"
                return "ok"

        booked, shortened_ok = run_together(book, shorten)
        with sessions() as s:
            municipality = s.get(Municipality, m.id)
            assert municipality is not None
            shift = day_shifts.shifts_between(
                s, municipality=municipality, first=TUESDAY, last=TUESDAY
            ).get((expert_id, TUESDAY))
            held = s.scalars(
                select(Visit).where(
                    Visit.expert_id == expert_id,
                    Visit.date == TUESDAY,
                    Visit.status.in_(ACTIVE_STATUSES),
                )
            ).all()
            assert shift is not None
            for v in held:
                assert v.planned_end is not None and v.planned_end <= shift.end, (
                    "a visit ends after the expert's shift"
                )
            assert {booked, shortened_ok} == {"ok", "refused"}, (booked, shortened_ok)
            for v in held:
                booking_usecases.cancel(s, municipality=municipality, visit=v, travel=TRAVEL)


def test_a_booking_plans_against_the_committed_pattern_not_a_stale_one(
    backend: str,
    sessions: sessionmaker[Session],
    lone_expert: tuple[Municipality, int, ServiceType],
) -> None:
    """Session A has the expert's weekly pattern loaded; B commits a shorter Tuesday; A books.

    A's booking must see B's pattern (its window now lies after the shift: refused), not the
    pattern it had loaded before. Deterministic, one thread: on PostgreSQL A's reads hold no
    locks; SQLite would have A hold the single write lock, so it runs on PostgreSQL only.
    """
    if backend != "postgresql":
        pytest.skip("needs two concurrent writing sessions (PostgreSQL)")
    m, expert_id, service = lone_expert
    replan = capacity_changes.Replan(
        enabled=False,
        travel=TRAVEL,
        notify=lambda *a, **k: None,
        actor="planner:1",
        hold_minutes=10,
    )
    with sessions() as s:
        municipality = s.get(Municipality, m.id)
        assert municipality is not None
        home = s.scalars(select(Address).order_by(Address.id)).first()
        assert home is not None
        place = Place(home.lat, home.lon, home.postcode, home.house_number)
        svc = s.get(ServiceType, service.id)
        assert svc is not None
        late = [
            c
            for c in offers.find_candidates(
                s,
                municipality=municipality,
                service=svc,
                place=place,
                travel=TRAVEL,
                earliest=TUESDAY,
                latest=TUESDAY,
            )
            if c.start.astimezone(AMS).hour >= 14
        ]
        assert late
        (offer,) = offers.create_offers(
            s,
            municipality=municipality,
            service=svc,
            place=place,
            chosen=[late[0]],
            hold_minutes=10,
        )
        s.commit()
        offer_id = offer.id
        current = capacity.get_shifts(s, municipality=municipality, expert_id=expert_id)
        shorter = [
            ShiftIn(
                weekday=w.weekday,
                start=w.start,
                end=dt.time(12) if w.weekday == 1 else w.end,
                break_earliest=None if w.weekday == 1 else w.break_earliest,
                break_latest=None if w.weekday == 1 else w.break_latest,
                break_minutes=0 if w.weekday == 1 else w.break_minutes,
            )
            for w in current
        ]

    a = sessions()
    try:
        mun_a = a.get(Municipality, m.id)
        assert mun_a is not None
        # A holds the old pattern in its identity map (kept alive, as a page or a DayState would).
        loaded = day_shifts.get_experts(a, municipality=mun_a)
        a.commit()
        with sessions() as b:
            mun_b = b.get(Municipality, m.id)
            assert mun_b is not None
            capacity_changes.replace_shifts(
                b, municipality=mun_b, expert_id=expert_id, shifts=shorter, replan=replan
            )
        with pytest.raises(SlotTaken):
            booking_usecases.book(
                a,
                municipality=mun_a,
                offer_id=offer_id,
                citizen=booking.Citizen("Burger", phone="+31612345678"),
                notes=None,
                idempotency_key=None,
                travel=TRAVEL,
            )
        assert loaded  # referenced until here on purpose
    finally:
        a.close()
