"""Booking through the API and managing the booking with its manage token.

The municipality is the small demo of ``citizen_world`` on a frozen clock (Monday 30 November
2026, 07:00 in Utrecht); offers are held for 10 minutes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import citizen_world as world
import icalendar
import pytest
from citizen_world import DAY, NOW, addresses, api_client, ask, book
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import free_port

from scheduler.booking.models import Visit, VisitStatus
from scheduler.db import make_engine, make_sessionmaker
from scheduler.notify.models import OutboxMessage
from scheduler.planning.models import ExpertDay, PlanningDay


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
    """A session on the seeded database, for the test's own reads."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with api_client(url) as c:
        yield c


def count(db: Session, *where: Any) -> int:
    n = db.scalar(select(func.count(Visit.id)).where(*where)) or 0
    db.rollback()
    return n


def offers_at(client: TestClient, db: Session, seed: int = 1, **extra: Any) -> list[Any]:
    """Offers at a random address over the demo's three days (searching fewer days is faster)."""
    (home,) = addresses(db, 1, seed=seed)
    answer = ask(client, home, latest=(DAY + dt.timedelta(days=1)).isoformat(), **extra)
    assert answer.status_code == 200, answer.text
    found: list[Any] = answer.json()["offers"]
    assert found
    return found


def first_offer(client: TestClient, db: Session, seed: int = 1, **extra: Any) -> dict[str, Any]:
    offer: dict[str, Any] = offers_at(client, db, seed, **extra)[0]
    return offer


def bearer(booking: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {booking['manage_token']}"}


def reschedule_offers(client: TestClient, booking: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        "/api/v1/municipalities/demo/offers",
        json={"reschedule_of": booking["reference"], **extra},
        headers=bearer(booking),
    )


def test_booking_answer(client: TestClient, db: Session) -> None:
    """201 with reference, manage token and links; the window is the offer's; phone in E.164."""
    offer = first_offer(client, db)
    answer = book(client, offer["id"], phone="+31 (0)6 1234 5678", email="Anna@Example.NL")
    assert answer.status_code == 201, answer.text
    b = answer.json()
    assert b["reference"].startswith("AH-") and len(b["reference"]) == 12
    assert b["status"] == "booked"
    assert (b["window_start"], b["window_end"]) == (offer["window_start"], offer["window_end"])
    assert b["citizen"] == {
        "name": "Anna de Vries",
        "phone": "+31612345678",
        "email": "Anna@example.nl",
    }
    assert len(b["manage_token"]) >= 40
    assert b["reference"] in b["manage_url"] and b["manage_token"] in b["manage_url"]
    assert b["invite_url"].endswith(f"/api/v1/bookings/{b['reference']}/invite.ics")
    assert b["language"] == "nl"
    assert "Idempotent-Replayed" not in answer.headers
    # The booking is in a plan, and the confirmation was queued in the same transaction.
    visit = db.scalar(select(Visit).where(Visit.reference == b["reference"]))
    assert visit is not None and visit.expert_day_id is not None
    kinds = list(db.scalars(select(OutboxMessage.kind).where(OutboxMessage.visit_id == visit.id)))
    db.rollback()
    assert kinds == ["confirmation"]


def test_booking_follows_accept_language(client: TestClient, db: Session) -> None:
    """Without ``language``, the booking takes the request's Accept-Language (English here)."""
    offer = first_offer(client, db)
    answer = client.post(
        "/api/v1/municipalities/demo/bookings",
        json={"offer_id": offer["id"], "citizen": {"name": "Sam", "email": "sam@example.org"}},
        headers={"Accept-Language": "en-GB,en;q=0.8,nl;q=0.5"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["language"] == "en"
    assert answer.json()["service"]["name"] == "Social support intake (Wmo)"


def test_same_key_returns_the_same_booking(client: TestClient, db: Session) -> None:
    """The same Idempotency-Key and body: 201 again with the identical body, one booking."""
    offer = first_offer(client, db)
    one = book(client, offer["id"], key="k-123")
    two = book(client, offer["id"], key="k-123")
    assert one.status_code == two.status_code == 201
    assert one.json() == two.json()
    assert two.headers["Idempotent-Replayed"] == "true"
    assert count(db, Visit.idempotency_key == "k-123") == 1


def test_same_key_other_content_is_refused(client: TestClient, db: Session) -> None:
    """The same Idempotency-Key with another citizen: 422 problem, in Dutch and in English."""
    offer = first_offer(client, db)
    assert book(client, offer["id"], key="k-9").status_code == 201
    before = count(db)
    nl = book(client, offer["id"], "Iemand Anders", key="k-9")
    body = {"offer_id": offer["id"], "citizen": {"name": "Someone Else", "phone": "0612345678"}}
    en = client.post(
        "/api/v1/municipalities/demo/bookings",
        json=body,
        headers={"Idempotency-Key": "k-9", "Accept-Language": "en"},
    )
    for answer, text in ((nl, "al gebruikt"), (en, "already used")):
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert text in answer.json()["detail"]
    assert count(db) == before


def test_concurrent_requests_with_one_key_make_one_booking(client: TestClient, db: Session) -> None:
    """Eight simultaneous requests with the same key and body: all 201, one booking."""
    offer = first_offer(client, db)
    barrier = threading.Barrier(8)
    answers: list[Any] = []

    def go() -> None:
        barrier.wait()
        answers.append(book(client, offer["id"], key="same-key"))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()["reference"] for a in answers}) == 1
    assert len({a.json()["manage_token"] for a in answers}) == 1
    assert count(db, Visit.idempotency_key == "same-key") == 1


def test_replay_after_a_day_no_longer_shows_the_token(
    client: TestClient, db: Session, now: list[dt.datetime]
) -> None:
    """A retry more than a day later gets the same booking, but no manage token any more."""
    offer = first_offer(client, db)
    one = book(client, offer["id"], key="late").json()
    now[0] = NOW + dt.timedelta(hours=25)
    two = book(client, offer["id"], key="late")
    assert two.status_code == 201
    assert two.json()["reference"] == one["reference"]
    assert two.json()["manage_token"] is None
    assert one["manage_token"] not in two.json()["manage_url"]


BAD_CITIZENS = [
    ({"name": "Anna", "phone": "12345"}, "citizen.phone"),
    ({"name": "Anna", "phone": "06-1234567"}, "citizen.phone"),
    ({"name": "Anna", "email": "anna@"}, "citizen.email"),
    ({"name": "Anna", "email": "anna@example..nl"}, "citizen.email"),
    ({"name": "Anna"}, "citizen"),
    ({"name": "   ", "phone": "0612345678"}, "citizen.name"),
]


def test_citizen_details_are_checked(client: TestClient, db: Session) -> None:
    """Wrong contact details: 422 naming the field, a message in Dutch, nothing stored."""
    offer = first_offer(client, db)
    before = count(db)
    for citizen, field in BAD_CITIZENS:
        answer = client.post(
            "/api/v1/municipalities/demo/bookings",
            json={"offer_id": offer["id"], "citizen": citizen},
        )
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert problem["field"] == field
        assert problem["title"] == "Ongeldige invoer"
    assert count(db) == before


PHONES = [
    ("06-12345678", "+31612345678"),
    ("020 123 4567", "+31201234567"),
    ("0031 6 12345678", "+31612345678"),
    ("+31 (0)20 1234567", "+31201234567"),
    ("+32 470 12 34 56", "+32470123456"),
]


def test_phone_numbers_are_normalised(client: TestClient, db: Session) -> None:
    """Dutch ways of writing a phone number (and a Belgian one) are stored in E.164."""
    for seed, (phone, stored) in enumerate(PHONES):
        offer = first_offer(client, db, seed=seed)
        answer = book(client, offer["id"], phone=phone)
        assert answer.status_code == 201, answer.text
        assert answer.json()["citizen"]["phone"] == stored


def test_notes_are_bounded(client: TestClient, db: Session) -> None:
    """Notes of more than 1000 signs are refused; up to 1000 are kept."""
    offer = first_offer(client, db)
    url = "/api/v1/municipalities/demo/bookings"
    citizen = {"name": "Anna", "phone": "0612345678"}
    long = client.post(url, json={"offer_id": offer["id"], "citizen": citizen, "notes": "x" * 1001})
    assert long.status_code == 422
    ok = client.post(url, json={"offer_id": offer["id"], "citizen": citizen, "notes": "bel aan"})
    assert ok.status_code == 201 and ok.json()["notes"] == "bel aan"


def test_expired_offer_is_410_with_alternatives(
    client: TestClient, db: Session, now: list[dt.datetime]
) -> None:
    """An offer booked after it expired: 410 problem with fresh alternatives, nothing booked."""
    offer = first_offer(client, db)
    now[0] = NOW + dt.timedelta(minutes=11)
    before = count(db)
    nl = book(client, offer["id"])
    assert nl.status_code == 410
    assert nl.headers["content-type"].startswith("application/problem+json")
    problem = nl.json()
    assert problem["title"] == "Dit aanbod is verlopen"
    assert problem["alternatives"], "fresh offers for the same address"
    for alt in problem["alternatives"]:
        assert dt.datetime.fromisoformat(alt["expires_at"]) == now[0] + dt.timedelta(minutes=10)
    en = client.post(
        "/api/v1/municipalities/demo/bookings",
        json={"offer_id": offer["id"], "citizen": {"name": "Sam", "phone": "0612345678"}},
        headers={"Accept-Language": "en"},
    )
    assert en.json()["title"] == "This offer has expired"
    assert count(db) == before
    assert book(client, problem["alternatives"][0]["id"]).status_code == 201


def test_unknown_offer_is_404(client: TestClient) -> None:
    """A well-formed offer id that was never made: 404 problem; a malformed one: 422."""
    assert book(client, "0" * 32).status_code == 404
    assert book(client, "not-an-offer").status_code == 422


def test_taken_window_is_409_and_rolls_back(client: TestClient, db: Session) -> None:
    """Offers of a full day booked late: 409 with alternatives, and the failed attempt left no
    visit, no plan change and no day-version bump behind."""
    homes = addresses(db, 4, seed=13)
    held = [
        o
        for h in homes
        for o in ask(client, h, earliest=DAY.isoformat(), latest=DAY.isoformat()).json()["offers"]
    ]
    statuses = []
    for offer in held:
        visits = count(db)
        versions = db.scalar(select(PlanningDay.version).where(PlanningDay.date == DAY))
        stops = sorted(
            str(d.stops) for d in db.scalars(select(ExpertDay).where(ExpertDay.date == DAY))
        )
        db.rollback()
        answer = book(client, offer["id"])
        statuses.append(answer.status_code)
        if answer.status_code == 409:
            assert "alternatives" in answer.json()
            assert count(db) == visits
            assert db.scalar(select(PlanningDay.version).where(PlanningDay.date == DAY)) == versions
            assert (
                sorted(
                    str(d.stops) for d in db.scalars(select(ExpertDay).where(ExpertDay.date == DAY))
                )
                == stops
            )
            db.rollback()
    assert 409 in statuses, "the day never filled up: the test proves nothing"


MANAGE = [
    ("GET", "/api/v1/bookings/{ref}"),
    ("GET", "/api/v1/bookings/{ref}/invite.ics"),
    ("POST", "/api/v1/bookings/{ref}/cancel"),
    ("GET", "/api/v1/bookings/{ref}/personal-data"),
    ("DELETE", "/api/v1/bookings/{ref}/personal-data"),
]


def test_manage_needs_the_right_token(client: TestClient, db: Session) -> None:
    """Every manage endpoint: no token, a wrong one, or another booking's gives 401 problem
    with WWW-Authenticate, and changes nothing."""
    mine = book(client, first_offer(client, db)["id"]).json()
    other = book(client, first_offer(client, db, seed=2)["id"], "Bram").json()
    for method, path in MANAGE:
        url = path.format(ref=mine["reference"])
        for headers in ({}, {"Authorization": "Bearer nope"}, bearer(other)):
            answer = client.request(method, url, headers=headers)
            assert answer.status_code == 401, (method, path, headers, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.headers["www-authenticate"] == "Bearer"
    reschedule = client.post(
        f"/api/v1/bookings/{mine['reference']}/reschedule",
        json={"offer_id": "0" * 32},
        headers=bearer(other),
    )
    assert reschedule.status_code == 401
    seen = client.get(f"/api/v1/bookings/{mine['reference']}", headers=bearer(mine)).json()
    assert seen["status"] == "booked" and seen["citizen"]["name"] == "Anna de Vries"


def test_unknown_reference_is_401_like_a_wrong_token(client: TestClient, db: Session) -> None:
    """A reference that does not exist (or cannot be one) answers exactly as a wrong manage
    token does: 401 with the same body, so nobody learns which references exist."""
    made = book(client, first_offer(client, db)["id"]).json()
    answers = [
        client.get(f"/api/v1/bookings/{ref}", headers={"Authorization": "Bearer x"})
        for ref in ("AH-AAAA-AAAA", "nonsense", made["reference"])
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert len({a.text for a in answers}) == 1


def test_get_booking(client: TestClient, db: Session) -> None:
    """The citizen sees the booking with the manage token; the reference is case-insensitive."""
    made = book(client, first_offer(client, db)["id"], notes="Bel graag aan").json()
    seen = client.get(f"/api/v1/bookings/{made['reference'].lower()}", headers=bearer(made))
    assert seen.status_code == 200
    got = seen.json()
    assert got["reference"] == made["reference"]
    assert got["window_start"] == made["window_start"]
    assert got["citizen"] == made["citizen"]


def _event(ics: bytes) -> icalendar.Event:
    events = list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))
    assert len(events) == 1
    event: icalendar.Event = events[0]
    return event


def test_reschedule_keeps_uid_and_bumps_sequence(client: TestClient, db: Session) -> None:
    """Moving a booking: 200 with the new window, the invite keeps its UID, SEQUENCE goes up,
    and the old window is free again."""
    made = book(client, first_offer(client, db, service="id-bezorging")["id"]).json()
    before = client.get(f"/api/v1/bookings/{made['reference']}/invite.ics", headers=bearer(made))
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/calendar")
    old = _event(before.content)
    choices = reschedule_offers(client, made).json()["offers"]
    target = next(o for o in choices if o["window_start"] != made["window_start"])
    moved = client.post(
        f"/api/v1/bookings/{made['reference']}/reschedule",
        json={"offer_id": target["id"]},
        headers=bearer(made),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["window_start"] == target["window_start"]
    after = _event(
        client.get(f"/api/v1/bookings/{made['reference']}/invite.ics", headers=bearer(made)).content
    )
    assert str(after["UID"]) == str(old["UID"])
    assert int(after["SEQUENCE"]) == int(old["SEQUENCE"]) + 1
    start = dt.datetime.fromisoformat(target["window_start"])
    assert after.decoded("DTSTART") == start
    # Exactly one active visit with this reference, in exactly one plan.
    visit = db.scalar(select(Visit).where(Visit.reference == made["reference"]))
    assert visit is not None
    holders = [
        d.expert_id
        for d in db.scalars(select(ExpertDay))
        for s in d.stops
        if s["type"] == "visit" and int(s["id"]) == visit.id
    ]
    db.rollback()
    assert len(holders) == 1


def test_reschedule_with_an_expired_offer_keeps_the_booking(
    client: TestClient, db: Session, now: list[dt.datetime]
) -> None:
    """A move with an offer that expired: 410 with alternatives; the booking is unchanged."""
    made = book(client, first_offer(client, db)["id"]).json()
    target = reschedule_offers(client, made).json()["offers"][-1]
    now[0] = NOW + dt.timedelta(minutes=30)
    moved = client.post(
        f"/api/v1/bookings/{made['reference']}/reschedule",
        json={"offer_id": target["id"]},
        headers=bearer(made),
    )
    assert moved.status_code == 410
    assert moved.json()["alternatives"]
    seen = client.get(f"/api/v1/bookings/{made['reference']}", headers=bearer(made)).json()
    assert seen["window_start"] == made["window_start"] and seen["status"] == "booked"


def test_cancel_frees_the_place(client: TestClient, db: Session) -> None:
    """Fill one day for an address, cancel the last booking: offers for that day come back."""
    (home,) = addresses(db, 1, seed=4)
    day = DAY.isoformat()
    last = None
    while True:
        found = ask(client, home, earliest=day, latest=day).json()["offers"]
        if not found:
            break
        last = book(client, found[0]["id"]).json()
    assert last is not None
    cancelled = client.post(f"/api/v1/bookings/{last['reference']}/cancel", headers=bearer(last))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"] is not None
    again = ask(client, home, earliest=day, latest=day).json()["offers"]
    assert again, "the cancelled window's place must be offered again"
    start = dt.datetime.fromisoformat(last["window_start"])
    assert any(
        abs(dt.datetime.fromisoformat(o["window_start"]) - start) < dt.timedelta(hours=2)
        for o in again
    )
    invite = _event(
        client.get(f"/api/v1/bookings/{last['reference']}/invite.ics", headers=bearer(last)).content
    )
    assert str(invite["STATUS"]) == "CANCELLED"
    twice = client.post(f"/api/v1/bookings/{last['reference']}/cancel", headers=bearer(last))
    assert twice.status_code == 409


def test_personal_data_export_and_erasure(client: TestClient, db: Session) -> None:
    """Export shows everything stored; erasure wipes it, cancels the upcoming visit, frees its
    place and keeps an anonymous visit."""
    made = book(client, first_offer(client, db)["id"], email="anna@example.nl", notes="Hond").json()
    url = f"/api/v1/bookings/{made['reference']}/personal-data"
    export = client.get(url, headers=bearer(made))
    assert export.status_code == 200
    data = export.json()
    assert data["citizen"] == {
        "name": "Anna de Vries",
        "phone": "+31612345678",
        "email": "anna@example.nl",
    }
    assert data["address"]["street"] and data["address"]["house_number"]
    assert data["notes"] == "Hond"
    assert [h["status"] for h in data["history"]] == ["booked"]
    assert [m["kind"] for m in data["messages"]] == ["confirmation"]
    assert data["messages"][0]["to"] == "anna@example.nl"
    erased = client.delete(url, headers=bearer(made))
    assert erased.status_code == 200
    left = erased.json()
    assert left["citizen"] == {"name": None, "phone": None, "email": None}
    assert left["notes"] is None
    assert left["address"]["street"] is None and left["address"]["house_number"] is None
    assert len(left["address"]["postcode"]) == 4
    assert left["status"] == "cancelled"
    assert left["erased_at"] is not None
    assert all(m["to"] is None for m in left["messages"])
    visit = db.scalar(select(Visit).where(Visit.reference == made["reference"]))
    assert visit is not None and visit.status is VisitStatus.CANCELLED
    in_plans = [
        s
        for d in db.scalars(select(ExpertDay))
        for s in d.stops
        if s.get("id") == visit.id and s["type"] == "visit"
    ]
    db.rollback()
    assert in_plans == []
    # The booking can still be looked at (anonymously) with its token.
    assert (
        client.get(f"/api/v1/bookings/{made['reference']}", headers=bearer(made)).status_code == 200
    )


def test_messages_are_sent_after_commit_when_smtp_is_configured(url: str, db: Session) -> None:
    """With SMTP configured, the confirmation stored with the booking is sent after the response
    (a background task), and marked sent."""
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with api_client(url, smtp_host="127.0.0.1", smtp_port=port) as client:
            offer = first_offer(client, db)
            answer = book(client, offer["id"], email="anna@example.nl")
            assert answer.status_code == 201
    finally:
        controller.stop()
    assert [e.rcpt_tos for e in received] == [["anna@example.nl"]]
    sent = db.scalars(select(OutboxMessage.sent_at)).all()
    db.rollback()
    assert len(sent) == 1 and sent[0] is not None
