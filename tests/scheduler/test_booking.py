"""Booking use cases in the domain: book, idempotency, a taken window, reschedule, cancel,
personal data, and the retention purge (``scheduler.booking.purge`` and ``aanhuis purge``).

All on the seeded demo of ``citizen_world`` (Monday 30 November 2026, 07:00 in Utrecht).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, cast

import citizen_world as world
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cli import main
from api.settings import get_settings
from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import Offer, Visit, VisitEvent, VisitStatus
from scheduler.booking.purge import purge
from scheduler.catalog import service as catalog
from scheduler.db import make_engine, make_sessionmaker
from scheduler.errors import IdempotencyMismatch, OfferExpired, SlotTaken
from scheduler.geocoding import Place
from scheduler.notify import service as outbox
from scheduler.notify.models import OutboxMessage
from scheduler.notify.templates import Kind
from scheduler.planning.models import ExpertDay, PlanningDay
from scheduler.security import KeyRing, is_sealed
from scheduler.tenants import service as tenants
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases

ANNA = booking.Citizen("Anna de Vries", phone="+31612345678", email="anna@example.nl")


@pytest.fixture
def now() -> Iterator[list[dt.datetime]]:
    with world.frozen_clock() as holder:
        yield holder


@pytest.fixture
def url(backend: str, db_url: str, now: list[dt.datetime]) -> Iterator[str]:
    with world.seeded(backend, db_url) as seeded:
        yield seeded


@pytest.fixture
def db(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


class Recorder:
    """A notifier that remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str | None]] = []

    def __call__(
        self, session: Session, visit: Visit, kind: str, manage_token: str | None = None
    ) -> None:
        self.sent.append((visit.id, kind, manage_token))


def queue(
    session: Session,
    visit: Visit,
    kind: str,
    manage_token: str | None = None,
    *,
    suggestions: Sequence[str] = (),
) -> None:
    """The outbox itself, as the app's notifier calls it."""
    outbox.enqueue(
        session,
        visit=visit,
        kind=cast(Kind, kind),
        language=visit.language,
        base_url="https://aanhuis.example",
        manage_token=manage_token,
    )


def _offer(
    db: Session, m: Municipality, code: str = "wmo-intake", seed: int = 1, **extra: Any
) -> Offer:
    service = catalog.get_by_code(db, municipality=m, code=code)
    (home,) = world.addresses(db, 1, seed=seed)
    place = Place(
        home.lat, home.lon, home.postcode, home.house_number, None, home.street, "Utrecht"
    )
    made = offers.make_offers(
        db,
        municipality=m,
        service=service,
        place=place,
        travel=world.TRAVEL,
        hold_minutes=10,
        limit=extra.pop("limit", 1),
        **extra,
    )
    assert made
    return made[0]


#: The sealers of a test secret (the replay token is kept encrypted with them).
KEYS = KeyRing.derive("test-secret-for-the-booking-tests-0123456789")


def _book(db: Session, m: Municipality, offer: Offer, **kwargs: Any) -> booking.Booked:
    args: dict[str, Any] = {
        "citizen": ANNA,
        "notes": None,
        "idempotency_key": None,
        "travel": world.TRAVEL,
        "keys": KEYS,
        **kwargs,
    }
    return booking_usecases.book(db, municipality=m, offer_id=offer.id, **args)


def _holders(db: Session, visit_id: int) -> list[int]:
    out = [
        d.expert_id
        for d in db.scalars(select(ExpertDay))
        for s in d.stops
        if s["type"] == "visit" and int(s["id"]) == visit_id
    ]
    db.rollback()
    return out


def _version(db: Session, day: dt.date) -> int:
    v = db.scalar(select(PlanningDay.version).where(PlanningDay.date == day)) or 0
    db.rollback()
    return v


def test_book_writes_one_whole_booking(db: Session) -> None:
    """A booking: the visit in exactly one expert's day, the day's version bumped, the offer
    gone, a 'booked' event, and the confirmation queued with the manage token."""
    m = tenants.get_by_slug(db, world.SLUG)
    offer = _offer(db, m)
    offer_id, day = offer.id, offer.date
    before = _version(db, day)
    notifier = Recorder()
    booked = _book(db, m, offer, notify=notifier)
    visit = booked.visit
    assert booked.manage_token and not booked.replayed
    assert visit.status is VisitStatus.BOOKED
    assert (visit.window_start, visit.date) == (offer.window_start, day)
    assert _holders(db, visit.id) == [visit.expert_id]
    assert _version(db, day) == before + 1
    assert db.get(Offer, offer_id) is None
    events = list(db.scalars(select(VisitEvent.status).where(VisitEvent.visit_id == visit.id)))
    db.rollback()
    assert events == ["booked"]
    assert notifier.sent == [(visit.id, "confirmation", booked.manage_token)]


def test_expired_offer_writes_nothing(db: Session, now: list[dt.datetime]) -> None:
    """An expired offer raises OfferExpired; no visit is written."""
    m = tenants.get_by_slug(db, world.SLUG)
    offer = _offer(db, m)
    visits = db.scalar(select(func.count(Visit.id)))
    db.rollback()
    now[0] = world.NOW + dt.timedelta(minutes=10)
    with pytest.raises(OfferExpired):
        _book(db, m, offer)
    db.rollback()
    assert db.scalar(select(func.count(Visit.id))) == visits
    db.rollback()


def test_idempotency(db: Session, now: list[dt.datetime]) -> None:
    """Same key and content: the same visit (token for a day, then none); other content:
    IdempotencyMismatch."""
    m = tenants.get_by_slug(db, world.SLUG)
    offer = _offer(db, m)
    first = _book(db, m, offer, idempotency_key="k")
    again = _book(db, m, offer, idempotency_key="k")
    assert again.replayed and again.visit.id == first.visit.id
    assert again.manage_token == first.manage_token
    # Kept for the replay, but only encrypted (finding 8 of the security review).
    assert first.manage_token and is_sealed(first.visit.replay_token)
    assert first.manage_token not in (first.visit.replay_token or "")
    other_secret = KeyRing.derive("another-secret-for-the-booking-tests-0123")
    assert _book(db, m, offer, idempotency_key="k", keys=other_secret).manage_token is None
    with pytest.raises(IdempotencyMismatch):
        _book(db, m, offer, idempotency_key="k", notes="anders")
    db.rollback()
    now[0] = world.NOW + dt.timedelta(hours=25)
    late = _book(db, m, offer, idempotency_key="k")
    assert late.visit.id == first.visit.id and late.manage_token is None


def test_taken_window_raises_and_leaves_nothing(db: Session) -> None:
    """Two offers of the last room of a day: the second booking raises SlotTaken and leaves
    visits, plans and the day's version as they were."""
    m = tenants.get_by_slug(db, world.SLUG)
    service = catalog.get_by_code(db, municipality=m, code="wmo-intake")
    homes = world.addresses(db, 6, seed=21)
    held = []
    for home in homes:
        held += offers.make_offers(
            db,
            municipality=m,
            service=service,
            place=Place(home.lat, home.lon),
            travel=world.TRAVEL,
            hold_minutes=10,
            earliest=world.DAY,
            latest=world.DAY,
            limit=50,
        )
    taken = 0
    for offer in held:
        visits = db.scalar(select(func.count(Visit.id)))
        plans = sorted(str(d.stops) for d in db.scalars(select(ExpertDay)))
        version = _version(db, world.DAY)
        try:
            _book(db, m, offer)
        except SlotTaken:
            db.rollback()
            taken += 1
            assert db.scalar(select(func.count(Visit.id))) == visits
            assert sorted(str(d.stops) for d in db.scalars(select(ExpertDay))) == plans
            db.rollback()
            assert _version(db, world.DAY) == version
    assert taken > 0, "the day never filled up: the test proves nothing"


def test_reschedule_moves_and_frees(db: Session) -> None:
    """A move: the new window and place, SEQUENCE + 1, same UID, exactly one plan holds it, the
    old day's version bumped, and the message carries the caller's token."""
    m = tenants.get_by_slug(db, world.SLUG)
    booked = _book(db, m, _offer(db, m, code="id-bezorging"))
    visit = booked.visit
    uid, sequence, old_day = visit.ical_uid, visit.ical_sequence, visit.date
    choices = offers.make_offers(
        db,
        municipality=m,
        service=catalog.get_by_code(db, municipality=m, code="id-bezorging"),
        place=Place(52.1, 5.1),
        travel=world.TRAVEL,
        hold_minutes=10,
        limit=8,
        reschedule_of=visit,
    )
    target = next(o for o in choices if o.window_start != visit.window_start)
    old_version = _version(db, old_day)
    notifier = Recorder()
    moved = booking_usecases.reschedule(
        db,
        municipality=m,
        visit=visit,
        offer_id=target.id,
        travel=world.TRAVEL,
        notify=notifier,
        manage_token=booked.manage_token,
    )
    assert (moved.window_start, moved.date) == (target.window_start, target.date)
    assert (moved.lat, moved.lon, moved.postcode) == (target.lat, target.lon, target.postcode)
    assert moved.ical_uid == uid and moved.ical_sequence == sequence + 1
    assert _holders(db, moved.id) == [moved.expert_id]
    assert _version(db, old_day) > old_version
    assert notifier.sent == [(moved.id, "reschedule", booked.manage_token)]


def test_cancel_frees_the_window(db: Session) -> None:
    """Cancelling takes the visit out of every plan and its window can be found again."""
    m = tenants.get_by_slug(db, world.SLUG)
    service = catalog.get_by_code(db, municipality=m, code="wmo-intake")
    (home,) = world.addresses(db, 1, seed=30)
    place = Place(home.lat, home.lon)
    last = None
    while True:  # fill the day for this place
        made = offers.make_offers(
            db,
            municipality=m,
            service=service,
            place=place,
            travel=world.TRAVEL,
            hold_minutes=10,
            earliest=world.DAY,
            latest=world.DAY,
            limit=1,
        )
        if not made:
            break
        last = _book(db, m, made[0]).visit
    assert last is not None
    cancelled = booking_usecases.cancel(db, municipality=m, visit=last, travel=world.TRAVEL)
    assert cancelled.status is VisitStatus.CANCELLED and cancelled.ical_sequence == 1
    assert _holders(db, last.id) == []
    found = offers.find_candidates(
        db,
        municipality=m,
        service=service,
        place=place,
        travel=world.TRAVEL,
        earliest=world.DAY,
        latest=world.DAY,
    )
    db.rollback()
    assert last.window_start in {c.start for c in found}


def test_export_and_erase(db: Session) -> None:
    """The export holds the citizen's data; erasure wipes it (and the messages), cancels the
    upcoming visit and keeps it anonymously."""
    m = tenants.get_by_slug(db, world.SLUG)
    visit = _book(db, m, _offer(db, m), notes="Hond", notify=queue).visit
    data = booking_usecases.export_personal_data(db, visit)
    assert data["citizen"] == {"name": ANNA.name, "phone": ANNA.phone, "email": ANNA.email}
    assert data["notes"] == "Hond" and data["address"]["street"]
    assert [x["kind"] for x in data["messages"]] == ["confirmation"]
    db.rollback()
    erased = booking_usecases.erase_personal_data(
        db, municipality=m, visit=visit, travel=world.TRAVEL
    )
    assert erased.status is VisitStatus.CANCELLED and erased.erased_at is not None
    assert (erased.citizen_name, erased.citizen_phone, erased.citizen_email, erased.notes) == (
        None,
        None,
        None,
        None,
    )
    assert erased.street is None and erased.house_number is None
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.visit_id == visit.id))
    assert message is not None and message.recipient is None and message.body == ""
    assert _holders(db, visit.id) == []


def test_purge_is_retention_and_idempotent(db: Session, now: list[dt.datetime]) -> None:
    """After 100 days: 90-day services' visits are wiped, 365-day ones kept; expired offers and
    day-old replay tokens go. A second run changes nothing."""
    m = tenants.get_by_slug(db, world.SLUG)
    wmo = _book(db, m, _offer(db, m), idempotency_key="a").visit
    id_card = _book(db, m, _offer(db, m, code="id-bezorging", seed=3), idempotency_key="b").visit
    _offer(db, m, seed=4)  # a held offer that will expire
    assert wmo.replay_token and id_card.replay_token
    first = purge(db, now=world.NOW + dt.timedelta(hours=2))
    assert (first.visits_wiped, first.replay_tokens_cleared) == (0, 0)
    assert first.offers_deleted > 0  # offers held while booking expired long ago
    assert db.scalar(select(func.count(Offer.id))) == 0
    day_later = purge(db, now=world.NOW + dt.timedelta(hours=25))
    assert day_later.replay_tokens_cleared == 2
    db.refresh(wmo)
    assert wmo.replay_token is None and wmo.manage_token_hash
    later = world.NOW + dt.timedelta(days=100)
    done = purge(db, now=later)
    wiped = set(db.scalars(select(Visit.id).where(Visit.erased_at.is_not(None))))
    kept = set(db.scalars(select(Visit.id).where(Visit.erased_at.is_(None))))
    db.rollback()
    assert id_card.id in wiped and wmo.id in kept
    assert done.visits_wiped == len(wiped) > 0
    db.refresh(id_card)
    assert id_card.citizen_name is None and id_card.street is None
    assert (purge(db, now=later).visits_wiped, purge(db, now=later).offers_deleted) == (0, 0)


def test_purge_command(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    now: list[dt.datetime],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``aanhuis purge`` prints the three counts and, run again, zeros."""
    monkeypatch.setenv("AANHUIS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        now[0] = world.NOW + dt.timedelta(days=400)
        assert main(["purge"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert len(out) == 3
        assert int(out[0].split()[4]) > 0  # "personal data wiped from N visits …"
        assert main(["purge"]) == 0
        assert capsys.readouterr().out.splitlines() == [
            "personal data wiped from 0 visits past retention",
            "expired offers deleted: 0",
            "replay tokens cleared: 0",
        ]
        assert main(["purge", "--offer-grace-minutes", "-1"]) == 2
    finally:
        get_settings.cache_clear()
