"""The waiting list's sweep: when notices go out, how often, and what ends an entry.

On the demo municipality of ``citizen_world`` (mostly free days, so a visit booked late on a
later date has earlier windows). A recording notifier stands in for the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import citizen_world as world
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import Visit
from scheduler.catalog import service as catalog
from scheduler.geocoding import Place
from scheduler.tenants import service as tenants
from scheduler.usecases import booking as booking_usecases
from scheduler.usecases import waitlist as waitlist_usecases
from scheduler.waitlist import service as waitlist
from scheduler.waitlist.models import WaitlistEntry
from scheduler.waitlist.schemas import Hours

AMS = world.AMS
LATE_DAY = dt.date(2026, 12, 10)  # a Thursday, well inside the horizon


def local(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), AMS).astimezone(dt.UTC)


class Recorder:
    """A notifier that remembers which visit got which kind of message."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    def __call__(
        self, session: Session, visit: Visit, kind: str, manage_token: str | None = None
    ) -> None:
        self.sent.append((visit.id, kind))


@pytest.fixture
def now() -> Iterator[list[dt.datetime]]:
    with world.frozen_clock(local(dt.date(2026, 11, 30), "09:30")) as holder:
        yield holder


@pytest.fixture
def seeded_sessions(
    backend: str, db_url: str, now: list[dt.datetime]
) -> Iterator[sessionmaker[Session]]:
    from scheduler.db import make_engine, make_sessionmaker

    with world.seeded(backend, db_url) as url:
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()


def book_at(session: Session, seed: int, *, last: bool, day: dt.date) -> Visit:
    """Book the first or last window offered on ``day`` at a register address."""
    m = tenants.get_by_slug(session, world.SLUG)
    service = catalog.get_by_code(session, municipality=m, code="wmo-intake")
    (home,) = world.addresses(session, 1, seed=seed)
    made = offers.make_offers(
        session,
        municipality=m,
        service=service,
        place=Place(home.lat, home.lon, home.postcode, home.house_number, None, home.street),
        travel=world.TRAVEL,
        hold_minutes=10,
        earliest=day,
        latest=day,
        limit=50,
    )
    chosen = max(made, key=lambda o: o.window_start) if last else made[0]
    return booking_usecases.book(
        session,
        municipality=m,
        offer_id=chosen.id,
        citizen=booking.Citizen("W", email="w@example.org"),
        notes=None,
        idempotency_key=None,
        travel=world.TRAVEL,
    ).visit


def sweep(sessions: sessionmaker[Session], at: dt.datetime, notify: Recorder) -> int:
    return waitlist_usecases.sweep(
        sessions, travel=world.TRAVEL, notify=notify, hours=Hours.parse("09:00-20:00"), now=at
    )


def entry_of(session: Session, visit_id: int) -> WaitlistEntry:
    found = session.scalar(select(WaitlistEntry).where(WaitlistEntry.visit_id == visit_id))
    assert found is not None
    session.expunge(found)
    session.rollback()
    return found


def test_notices_once_a_day_three_in_all_and_only_in_the_hours(
    seeded_sessions: sessionmaker[Session], now: list[dt.datetime]
) -> None:
    """A waiting visit with earlier windows hears of them once on Monday, not again that day
    (even when a cancellation wakes it), not at 20:30 (it waits for 09:00), again on Tuesday
    and Wednesday, and never a fourth time."""
    notify = Recorder()
    with seeded_sessions() as s:
        visit = book_at(s, 71, last=True, day=LATE_DAY)
        visit_id = visit.id
        waitlist_usecases.join(s, visit=visit)
        other = book_at(s, 72, last=False, day=LATE_DAY)
    monday = dt.date(2026, 11, 30)
    assert sweep(seeded_sessions, local(monday, "09:30"), notify) == 1
    now[0] = local(monday, "10:00")
    with seeded_sessions() as s:
        booking_usecases.cancel(
            s,
            municipality=tenants.get_by_slug(s, world.SLUG),
            visit=s.get(Visit, other.id) or other,
            travel=world.TRAVEL,
        )
        assert entry_of(s, visit_id).check_after <= now[0]  # woken by the cancellation
    assert sweep(seeded_sessions, local(monday, "10:00"), notify) == 0
    assert sweep(seeded_sessions, local(monday, "20:30"), notify) == 0
    for day, expected in ((1, 1), (2, 1), (3, 0), (4, 0)):
        assert sweep(seeded_sessions, local(monday + dt.timedelta(days=day), "09:15"), notify) == (
            expected
        ), day
    assert notify.sent == [(visit_id, "waiting_list_offer")] * 3
    with seeded_sessions() as s:
        entry = entry_of(s, visit_id)
        assert entry.notices == 3 and entry.active


def test_outside_the_hours_the_entry_waits_for_the_opening(
    seeded_sessions: sessionmaker[Session],
) -> None:
    """Swept at 21:00 a due entry sends nothing and is next due at 09:00 the next morning."""
    notify = Recorder()
    with seeded_sessions() as s:
        visit = book_at(s, 73, last=True, day=LATE_DAY)
        visit_id = visit.id
        waitlist_usecases.join(s, visit=visit)
    assert sweep(seeded_sessions, local(dt.date(2026, 11, 30), "21:00"), notify) == 0
    with seeded_sessions() as s:
        assert entry_of(s, visit_id).check_after == local(dt.date(2026, 12, 1), "09:00")
    assert notify.sent == []


def test_no_earlier_window_no_notice(
    seeded_sessions: sessionmaker[Session], now: list[dt.datetime]
) -> None:
    """A visit that already has the first window offered gets nothing (there is nothing
    earlier) and is looked at again later."""
    notify = Recorder()
    with seeded_sessions() as s:
        first_day = dt.date(2026, 12, 1)
        visit = book_at(s, 74, last=False, day=first_day)
        visit_id = visit.id
        waitlist_usecases.join(s, visit=visit)
        found = waitlist_usecases.earlier_candidates(
            s,
            municipality=tenants.get_by_slug(s, world.SLUG),
            visit=s.get(Visit, visit.id) or visit,
            travel=world.TRAVEL,
            limit=5,
        )
        s.rollback()
    assert found == []
    assert sweep(seeded_sessions, now[0], notify) == 0
    with seeded_sessions() as s:
        assert entry_of(s, visit_id).check_after > now[0]


def test_cancel_and_erase_clear_the_entry(seeded_sessions: sessionmaker[Session]) -> None:
    """Cancelling or erasing a waiting visit removes its entry; a success stays counted."""
    with seeded_sessions() as s:
        m = tenants.get_by_slug(s, world.SLUG)
        one = book_at(s, 75, last=True, day=LATE_DAY)
        two = book_at(s, 76, last=True, day=LATE_DAY + dt.timedelta(days=1))
        for v in (one, two):
            waitlist_usecases.join(s, visit=v)
        assert waitlist.size(s, municipality=m) == 2
        booking_usecases.cancel(s, municipality=m, visit=one, travel=world.TRAVEL)
        booking_usecases.erase_personal_data(s, municipality=m, visit=two, travel=world.TRAVEL)
        assert waitlist.size(s, municipality=m) == 0
        assert s.scalars(select(WaitlistEntry)).all() == []
