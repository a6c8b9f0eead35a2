"""A booking that excludes an expert is never offered or planned with that expert.

The hand-checkable day of ``route_app_world`` (Monday 15 June 2026, 07:00): two experts, Anouk
(V1, V2, V3) and Bram (V4), both working every day. Each test runs once excluding Anouk and once
excluding Bram, so a rule that ignored the exclusion would fail one of the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from route_app_world import DAY, TRAVEL, World, at, build
from sqlalchemy.orm import Session

from routing.model import StepType
from routing.solver import SolveParams
from scheduler import clock
from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import Visit
from scheduler.catalog.models import ServiceType
from scheduler.errors import Conflict
from scheduler.geocoding import Place
from scheduler.planning import service as planning
from scheduler.usecases import booking as booking_usecases
from scheduler.usecases import choices

NOW = at(DAY, "07:00")


@pytest.fixture
def world(session: Session) -> Iterator[World]:
    previous = clock.set_clock(lambda: NOW)
    yield build(session)
    clock.set_clock(previous)


def _exclude(session: Session, world: World, who: str) -> tuple[Visit, int, int]:
    """Exclude ``who`` from V3 and take V3 out of every plan (it waits unplanned)."""
    v3 = session.get_one(Visit, world.visits["V3"].id)
    excluded = world.anouk.id if who == "anouk" else world.bram.id
    other = world.bram.id if who == "anouk" else world.anouk.id
    booking.remove_from_plan(session, world.municipality, v3.id, v3.date, v3.expert_id, TRAVEL)
    v3.expert_id = v3.expert_day_id = None
    v3.excluded_expert_ids = [excluded]
    session.commit()
    return v3, excluded, other


@pytest.mark.parametrize("who", ["anouk", "bram"])
def test_offers_never_name_the_excluded_expert(session: Session, world: World, who: str) -> None:
    """Offers to move the visit come only from the other expert; booking one places it there."""
    v3, excluded, other = _exclude(session, world, who)
    service = session.get_one(ServiceType, v3.service_type_id)
    made = offers.make_offers(
        session,
        municipality=world.municipality,
        service=service,
        place=Place(v3.lat, v3.lon, v3.postcode, v3.house_number, None, v3.street, v3.city),
        travel=TRAVEL,
        hold_minutes=10,
        limit=8,
        reschedule_of=v3,
    )
    assert made and {o.expert_id for o in made} == {other} and excluded != other
    # Without the exclusion, Anouk's windows win (least travel): so excluding her can fail.
    free = offers.find_candidates(
        session,
        municipality=world.municipality,
        service=service,
        place=Place(v3.lat, v3.lon),
        travel=TRAVEL,
        latest=DAY + dt.timedelta(days=6),
    )
    assert world.anouk.id in {c.expert_id for c in free}
    moved = booking_usecases.reschedule(
        session, municipality=world.municipality, visit=v3, offer_id=made[0].id, travel=TRAVEL
    )
    assert moved.expert_id == other


@pytest.mark.parametrize("who", ["anouk", "bram"])
def test_the_optimiser_never_plans_the_excluded_expert(
    session: Session, world: World, who: str
) -> None:
    """Optimising the day places the waiting visit with the other expert only."""
    v3, excluded, other = _exclude(session, world, who)
    snapshot = planning.snapshot_day(session, world.municipality, DAY, TRAVEL)
    outcome = planning.plan_day(snapshot, SolveParams(time_limit=1), purpose="optimise")
    holder = [e for e, stops in outcome.routes.items() if (StepType.VISIT, v3.id) in stops]
    assert holder == [other], (holder, outcome.unassigned)
    assert excluded not in holder


def test_asking_for_another_expert_when_nobody_else_can_come_changes_nothing(
    session: Session, world: World
) -> None:
    """V1 already excludes Bram; asking for another than Anouk leaves nobody: a Conflict, and
    V1 keeps Anouk and only the earlier exclusion."""
    v1 = session.get_one(Visit, world.visits["V1"].id)
    v1.excluded_expert_ids = [world.bram.id]
    session.commit()
    with pytest.raises(Conflict):
        choices.ask_other_expert(session, municipality=world.municipality, visit=v1, travel=TRAVEL)
    session.expire_all()
    v1 = session.get_one(Visit, world.visits["V1"].id)
    assert v1.expert_id == world.anouk.id and v1.excluded_expert_ids == [world.bram.id]


def test_a_follow_up_prefers_the_earlier_expert_only_as_the_citizen_chose() -> None:
    """The citizen's choice "follow-ups to the same expert" and their exclusions decide whom a
    follow-up prefers: the earlier visit's expert by default, nobody when they said no or when
    that expert is excluded."""
    from scheduler.booking import continuity
    from scheduler.booking.models import Visit

    earlier = Visit(expert_id=7, same_expert_followups=True, excluded_expert_ids=[])
    assert continuity.follow_up_expert(earlier) == 7
    earlier.same_expert_followups = False
    assert continuity.follow_up_expert(earlier) is None
    earlier.same_expert_followups = True
    earlier.excluded_expert_ids = [7]
    assert continuity.follow_up_expert(earlier) is None
