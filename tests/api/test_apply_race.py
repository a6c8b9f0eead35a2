"""Applying a proposal while citizens book: a booking is never lost.

A booking that lands while a proposal is applied either makes the apply fail with 409 (Conflict)
or is kept in the applied plan. Proven sequentially on both backends, and with real concurrent
transactions on PostgreSQL (two threads released by a barrier, many rounds). After every round
the stored day is checked: VROOM's rules on the plan, and every active visit held by exactly the
expert-day it points to.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from routing.check import check
from routing.model import Route, Solution, StepType
from routing.replay import replay
from routing.travel import HaversineTravel
from routing.vroom import solution_to_vroom
from scheduler import demo
from scheduler.addresses.models import Address
from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.catalog.models import ServiceType
from scheduler.day import state as day_state
from scheduler.errors import Conflict, SlotTaken
from scheduler.geocoding import Place
from scheduler.planning import service as planning
from scheduler.planning.models import Proposal
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases

NOW = dt.datetime(2025, 3, 3, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Amsterdam
pytestmark = pytest.mark.usefixtures("frozen")
DAY = dt.date(2025, 3, 4)
TRAVEL = HaversineTravel()
ROUNDS = 12


@pytest.fixture
def town(sessions: sessionmaker[Session]) -> int:
    """The demo municipality, one day booked to 25% (room left for more bookings)."""
    size = demo.DemoSize(experts=6, days=1, fill=0.25, addresses=300)
    with sessions() as s:
        m = demo.create_municipality(s, size=size, today=NOW.date())
        s.commit()
        demo.fill_bookings(s, m, size=size, travel=TRAVEL)
        return m.id


def _municipality(s: Session, town: int) -> Municipality:
    m = s.get(Municipality, town)
    assert m is not None
    return m


def _offer(s: Session, town: int, rng: random.Random) -> str | None:
    """A fresh offer on DAY at a random address of the register, or None when none fits."""
    m = _municipality(s, town)
    services = s.scalars(select(ServiceType).where(ServiceType.municipality_id == town)).all()
    register = s.scalars(select(Address).where(Address.municipality_id == town)).all()
    for _ in range(20):
        service = rng.choice(services)
        a = rng.choice(register)
        place = Place(a.lat, a.lon, a.postcode, a.house_number, None, a.street, a.city)
        found = offers.find_candidates(
            s, municipality=m, service=service, place=place, travel=TRAVEL, earliest=DAY, latest=DAY
        )
        if found:
            (offer,) = offers.create_offers(
                s,
                municipality=m,
                service=service,
                place=place,
                chosen=[rng.choice(found)],
                hold_minutes=60,
            )
            s.commit()
            return offer.id
    s.rollback()
    return None


def _book(s: Session, town: int, offer_id: str) -> int:
    done = booking_usecases.book(
        s,
        municipality=_municipality(s, town),
        offer_id=offer_id,
        citizen=booking.Citizen(name="Test Burger", phone="0612345678"),
        notes=None,
        idempotency_key=None,
        travel=TRAVEL,
    )
    return done.visit.id


def _propose(s: Session, town: int) -> str:
    proposal = planning.propose(
        s, municipality=_municipality(s, town), date=DAY, travel=TRAVEL, time_limit=0.5, actor="t"
    )
    return proposal.id


def _apply(s: Session, town: int, proposal_id: str) -> None:
    planning.apply(
        s, municipality=_municipality(s, town), proposal_id=proposal_id, travel=TRAVEL, actor="t"
    )


def day_problems(s: Session, town: int) -> list[str]:
    """Everything wrong with the stored day: VROOM's rules, and plan/visit agreement."""
    m = _municipality(s, town)
    state = day_state.load_day(s, m, DAY)
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
        day = by_id.get(v.expert_day_id) if v.expert_day_id is not None else None
        if day is None or day.stops.count({"type": "visit", "id": v.id}) != 1:
            found.append(f"visit {v.id} is not in its expert's plan")
    for d in state.expert_days.values():
        for stop in d.stops:
            if stop["type"] == "visit" and stop["id"] not in state.visits:
                found.append(f"expert-day {d.id} holds unknown visit {stop['id']}")
    return found


def _in_plan(s: Session, visit_id: int) -> bool:
    v = s.scalars(
        select(Visit).where(Visit.id == visit_id).execution_options(populate_existing=True)
    ).one()
    return v.status in ACTIVE_STATUSES and v.expert_day_id is not None


def test_booking_after_the_proposal_makes_apply_fail(
    town: int, sessions: sessionmaker[Session]
) -> None:
    """Proposal made, then a booking, then apply: Conflict (409), the proposal is stale, the
    booking stays in the plan, and applying again is refused too."""
    rng = random.Random(7)
    with sessions() as s:
        proposal_id = _propose(s, town)
        offer_id = _offer(s, town, rng)
        assert offer_id is not None
        visit_id = _book(s, town, offer_id)
    with sessions() as s:
        with pytest.raises(Conflict):
            _apply(s, town, proposal_id)
        assert s.get(Proposal, proposal_id).status == "stale"  # type: ignore[union-attr]
        with pytest.raises(Conflict):
            _apply(s, town, proposal_id)
        assert _in_plan(s, visit_id)
        assert day_problems(s, town) == []


def test_a_proposal_is_applied_once(town: int, sessions: sessionmaker[Session]) -> None:
    """Applying succeeds once; the second apply of the same proposal is refused (409)."""
    with sessions() as s:
        proposal_id = _propose(s, town)
        _apply(s, town, proposal_id)
        with pytest.raises(Conflict):
            _apply(s, town, proposal_id)
        assert s.get(Proposal, proposal_id).status == "applied"  # type: ignore[union-attr]
        assert day_problems(s, town) == []


def _race(first: Callable[[], object], second: Callable[[], object]) -> list[object]:
    """Run both at once (released by a barrier); each result or the exception it raised."""
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(k: int, fn: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[k] = fn()
        except Exception as exc:
            results[k] = exc

    threads = [threading.Thread(target=run, args=(k, fn)) for k, fn in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_booking_racing_an_apply_is_never_lost(
    town: int, sessions: sessionmaker[Session], backend: str
) -> None:
    """Real concurrent transactions, many rounds: an apply and a booking on the same day start
    together. Each round the apply either succeeds or is refused with Conflict; a booking that
    succeeds is always in the stored plan; the stored day always passes the checker."""
    rng = random.Random(11)
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        with sessions() as s:
            proposal_id = _propose(s, town)
            offer_id = _offer(s, town, rng)
        if offer_id is None:
            break

        def apply_it(pid: str = proposal_id) -> None:
            with sessions() as s:
                _apply(s, town, pid)

        def book_it(oid: str = offer_id) -> int:
            with sessions() as s:
                return _book(s, town, oid)

        applied, booked = _race(apply_it, book_it)
        assert applied is None or isinstance(applied, Conflict), applied
        assert isinstance(booked, int | SlotTaken), booked
        outcomes[f"apply {'refused' if applied else 'ok'}"] += 1
        outcomes[f"booking {'ok' if isinstance(booked, int) else 'taken'}"] += 1
        with sessions() as s:
            if isinstance(booked, int):
                assert _in_plan(s, booked), f"booking {booked} was lost ({outcomes})"
            status = s.get(Proposal, proposal_id).status  # type: ignore[union-attr]
            assert status == ("stale" if applied else "applied")
            assert day_problems(s, town) == []
    assert outcomes["booking ok"] >= ROUNDS // 2, outcomes
