"""Rewriting a started day (a cancellation, a booking) keeps the late forecast and its flags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from route_app_world import DAY, TRAVEL, World, at, build
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.booking.models import VisitStatus
from scheduler.route_app import service as route_app
from scheduler.usecases import booking as booking_usecases


@pytest.fixture
def world(session: Session) -> Iterator[World]:
    previous = clock.set_clock(lambda: at(DAY, "07:00"))
    try:
        yield build(session)
    finally:
        clock.set_clock(previous)


def test_cancel_on_a_late_day_keeps_the_late_forecast(session: Session, world: World) -> None:
    """Anouk arrives at V1 40 minutes late, so V2 is at risk; a citizen then cancels V3.

    The cancellation rewrites Anouk's route. It must keep timing the day from what happened
    (V2 still forecast after its window, still flagged), not from the start of the shift.
    """
    clock.set_clock(lambda: at(DAY, "09:40"))
    route_app.change_status(
        session,
        municipality=world.municipality,
        expert=world.anouk,
        visit_id=world.visits["V1"].id,
        status=VisitStatus.ARRIVED,
        at=None,
        travel=TRAVEL,
    )
    session.refresh(world.visits["V2"])
    assert world.visits["V2"].at_risk
    late_arrival = world.visits["V2"].planned_arrival
    assert late_arrival is not None and late_arrival > at(DAY, "10:30")

    clock.set_clock(lambda: at(DAY, "09:45"))
    v3 = world.visits["V3"]
    session.refresh(v3)
    booking_usecases.cancel(session, municipality=world.municipality, visit=v3, travel=TRAVEL)

    v2 = world.visits["V2"]
    session.refresh(v2)
    assert v2.at_risk, "the cancellation forgot that Anouk is running late"
    assert v2.planned_arrival == late_arrival
    assert v3.status is VisitStatus.CANCELLED


def test_rewrite_before_anything_started_times_from_the_shift(
    session: Session, world: World
) -> None:
    """Before the first visit is started, a rewrite simply times the day from the shift start."""
    clock.set_clock(lambda: at(DAY, "07:30"))
    v3 = world.visits["V3"]
    booking_usecases.cancel(session, municipality=world.municipality, visit=v3, travel=TRAVEL)
    v1, v2 = world.visits["V1"], world.visits["V2"]
    session.refresh(v1)
    session.refresh(v2)
    assert not v1.at_risk and not v2.at_risk
    assert v1.planned_start == at(DAY, "09:00")
    assert dt.timedelta(0) <= v2.planned_start - at(DAY, "10:00") <= dt.timedelta(minutes=30)
