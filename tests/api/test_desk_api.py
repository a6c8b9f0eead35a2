"""The personal channel: a planner books, moves and cancels for a citizen who phones or visits.

A small demo municipality (4 experts, 3 days, 30% booked) on a frozen clock: Monday 2 March 2026,
07:00 in Utrecht. The desk uses the same offer and booking rules as citizens; bookings are marked
with their channel and the planner in their history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from support import SeedDemo

from api.app import create_app
from api.runtime import get_notifier
from api.settings import Settings
from scheduler import demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role, User
from scheduler.addresses.models import Address
from scheduler.booking.models import ACTIVE_STATUSES, Channel, Visit, VisitEvent, VisitStatus
from scheduler.capacity.models import Expert
from scheduler.db import make_sessionmaker
from scheduler.notify.models import OutboxMessage
from scheduler.planning.models import ExpertDay
from scheduler.security import hash_token, new_token
from scheduler.tenants.models import Municipality

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3, addresses=300)
DESK = "/api/v1/municipalities/demo/desk"
PROBLEM = "application/problem+json"


@pytest.fixture
def seeded(seed_demo: SeedDemo, session: Session, frozen: object) -> Municipality:
    """The demo town (4 experts, 3 days booked to 30%), copied from a template seeded once."""
    return session.get_one(Municipality, seed_demo(SIZE, NOW))


@pytest.fixture
def reader(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine, read_only=True)


@pytest.fixture
def tokens(session: Session, seeded: Municipality) -> dict[str, str]:
    """Bearer tokens: the demo's planner, a planner of another municipality, a demo expert."""
    other = demo.create_municipality(
        session, size=demo.DemoSize(experts=1, addresses=20), slug="elders", name="Elders"
    )
    expert = session.scalars(select(Expert).where(Expert.municipality_id == seeded.id)).first()
    assert expert is not None
    _, planner = accounts.create(session, name="Desk", role=Role.PLANNER, municipality=seeded)
    _, stranger = accounts.create(session, name="Elders", role=Role.PLANNER, municipality=other)
    _, own_expert = accounts.create(
        session, name="Expert", role=Role.EXPERT, municipality=seeded, expert_id=expert.id
    )
    session.commit()
    return {"planner": planner, "stranger": stranger, "expert": own_expert}


@pytest.fixture
def sent() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def client(
    db_url: str, tokens: dict[str, str], sent: list[tuple[str, str]]
) -> Iterator[TestClient]:
    """The app, signed in as the demo municipality's planner."""
    app = create_app(Settings(database_url=db_url, base_url="https://aanhuis.example"))

    def notifier() -> Any:
        return lambda s, visit, kind, manage_token=None: sent.append((visit.reference, kind))

    app.dependency_overrides[get_notifier] = notifier
    with TestClient(app, headers={"Authorization": f"Bearer {tokens['planner']}"}) as c:
        yield c
    app.state.engine.dispose()


def planner_id(reader: sessionmaker[Session]) -> int:
    with reader() as s:
        user = s.scalars(select(User).where(User.name == "Desk")).one()
        return user.id


def a_booked_visit(reader: sessionmaker[Session]) -> Visit:
    with reader() as s:
        visit = s.scalars(
            select(Visit).where(Visit.status.in_(ACTIVE_STATUSES)).order_by(Visit.id)
        ).first()
    assert visit is not None
    return visit


def test_a_planner_books_for_a_caller_and_gets_the_manage_link(
    client: TestClient, reader: sessionmaker[Session], sent: list[tuple[str, str]]
) -> None:
    """Offers by address, a phone booking in the plan, the planner in its history, a live link."""
    with reader() as s:
        demo_id = select(Municipality.id).where(Municipality.slug == "demo").scalar_subquery()
        home = s.scalars(
            select(Address).where(Address.municipality_id == demo_id).order_by(Address.id.desc())
        ).first()
    assert home is not None
    found = client.post(
        f"{DESK}/offers",
        json={
            "service": "wmo-intake",
            "address": {"postcode": home.postcode, "house_number": home.house_number},
            "limit": 5,
        },
    )
    assert found.status_code == 200, found.text
    offer = found.json()["offers"][0]
    booked = client.post(
        f"{DESK}/bookings",
        json={
            "offer_id": offer["id"],
            "citizen": {"name": "Mevrouw de Vries", "phone": "06 12345678"},
            "channel": "phone",
        },
    )
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["channel"] == "phone"
    assert body["window_start"] == offer["window_start"]
    # The citizen's own manage link (the notify module's format), with the token to open it.
    assert body["manage_url"].startswith("https://aanhuis.example/")
    assert body["reference"] in body["manage_url"]
    assert body["manage_token"] and body["manage_token"] in body["manage_url"]
    assert (body["reference"], "confirmation") in sent
    with reader() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == body["reference"])).one()
        assert visit.channel is Channel.PHONE and visit.citizen_phone == "+31612345678"
        assert visit.expert_day_id is not None and visit.planned_start is not None
        assert visit.window_start <= visit.planned_start <= visit.window_end
        event = s.scalars(select(VisitEvent).where(VisitEvent.visit_id == visit.id)).one()
        assert event.actor == f"planner:{planner_id(reader)}"
    # The link the planner reads out really opens the booking for the citizen.
    citizen = client.get(
        f"/api/v1/bookings/{body['reference']}",
        headers={"Authorization": f"Bearer {body['manage_token']}"},
    )
    assert citizen.status_code == 200, citizen.text


def test_a_desk_booking_is_mailed_at_once_when_smtp_is_configured(
    db_url: str, tokens: dict[str, str], reader: sessionmaker[Session]
) -> None:
    """A caller who gives an e-mail address gets the confirmation straight after the planner
    books (sent after the response, like a citizen's own booking), not at the next outbox run."""
    from aiosmtpd.controller import Controller
    from support import free_port

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(Settings(database_url=db_url, smtp_host="127.0.0.1", smtp_port=port))
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {tokens['planner']}"}) as c:
            found = c.post(
                f"{DESK}/offers",
                json={"service": "wmo-intake", "location": {"lat": 52.09, "lon": 5.12}},
            )
            assert found.status_code == 200, found.text
            booked = c.post(
                f"{DESK}/bookings",
                json={
                    "offer_id": found.json()["offers"][0]["id"],
                    "citizen": {"name": "Mevrouw de Vries", "email": "vries@example.nl"},
                    "channel": "desk",
                },
            )
            assert booked.status_code == 201, booked.text
    finally:
        controller.stop()
        app.state.engine.dispose()
    assert [e.rcpt_tos for e in received] == [["vries@example.nl"]]
    with reader() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == booked.json()["reference"])).one()
        sent_at = s.scalars(
            select(OutboxMessage.sent_at).where(OutboxMessage.visit_id == visit.id)
        ).all()
    assert len(sent_at) == 1 and sent_at[0] is not None


def test_a_planner_moves_and_cancels_a_booking_on_request(
    client: TestClient, reader: sessionmaker[Session], sent: list[tuple[str, str]]
) -> None:
    """Offers for a move keep service and address; moving and cancelling free the old place."""
    visit = a_booked_visit(reader)
    ref = visit.reference
    looked_up = client.get(f"{DESK}/bookings/{ref.lower()}")
    assert looked_up.status_code == 200 and looked_up.json()["reference"] == ref
    assert looked_up.json()["manage_token"] is None
    found = client.post(f"{DESK}/offers", json={"reschedule_of": ref, "limit": 5})
    assert found.status_code == 200, found.text
    assert found.json()["reschedule_of"] == ref
    assert found.json()["address"]["lat"] == visit.lat
    target = next(o for o in found.json()["offers"] if o["window_start"] != visit.window_start)
    moved = client.post(f"{DESK}/bookings/{ref}/reschedule", json={"offer_id": target["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["window_start"] == target["window_start"]
    cancelled = client.post(f"{DESK}/bookings/{ref}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert [kind for r, kind in sent if r == ref] == ["reschedule", "cancellation"]
    with reader() as s:
        v = s.scalars(select(Visit).where(Visit.reference == ref)).one()
        assert v.status is VisitStatus.CANCELLED and v.cancelled_by == "planner"
        actors = s.scalars(select(VisitEvent.actor).where(VisitEvent.visit_id == v.id)).all()
        assert f"planner:{planner_id(reader)}" in actors
        for day in s.scalars(select(ExpertDay)):
            assert {"type": "visit", "id": v.id} not in day.stops
    again = client.post(f"{DESK}/bookings/{ref}/cancel")
    assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)


def test_a_repeated_desk_booking_with_the_same_key_books_once(
    client: TestClient, reader: sessionmaker[Session]
) -> None:
    """The same Idempotency-Key returns the same booking, marked as a replay; channel desk."""
    visit = a_booked_visit(reader)
    offer = client.post(
        f"{DESK}/offers",
        json={"service": "id-bezorging", "location": {"lat": visit.lat, "lon": visit.lon}},
    ).json()["offers"][0]
    request = {
        "offer_id": offer["id"],
        "citizen": {"name": "Meneer Jansen", "email": "jansen@example.org"},
        "channel": "desk",
    }
    key = {"Idempotency-Key": new_token()}
    first = client.post(f"{DESK}/bookings", json=request, headers=key)
    second = client.post(f"{DESK}/bookings", json=request, headers=key)
    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["reference"] == second.json()["reference"]
    assert first.json()["channel"] == "desk"
    assert second.headers["Idempotent-Replayed"] == "true"
    with reader() as s:
        made = s.scalars(select(Visit).where(Visit.citizen_name == "Meneer Jansen")).all()
        assert len(made) == 1


def test_the_desk_is_closed_to_other_municipalities_roles_and_manage_tokens(
    client: TestClient, tokens: dict[str, str], session: Session, reader: sessionmaker[Session]
) -> None:
    """Another tenant's planner: 403 (404 on their own path); expert 403; manage token 401."""
    visit = a_booked_visit(reader)
    manage = new_token()
    with session.begin():
        fresh = session.get(Visit, visit.id)
        assert fresh is not None
        fresh.manage_token_hash = hash_token(manage)

    def call(token: str | None, path: str = f"{DESK}/bookings/{visit.reference}") -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {"Authorization": ""}
        return client.get(path, headers=headers)

    cases = [
        (call(tokens["stranger"]), 403),
        (
            call(
                tokens["stranger"], f"/api/v1/municipalities/elders/desk/bookings/{visit.reference}"
            ),
            404,
        ),
        (call(tokens["expert"]), 403),
        (call(manage), 401),
        (call(None), 401),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
    assert visit.citizen_name and all(visit.citizen_name not in r.text for r, _ in cases)
    cancelled = client.post(
        f"{DESK}/bookings/{visit.reference}/cancel",
        headers={"Authorization": f"Bearer {tokens['stranger']}"},
    )
    assert cancelled.status_code == 403
    with reader() as s:
        assert s.get(Visit, visit.id).status in ACTIVE_STATUSES  # type: ignore[union-attr]


def test_the_desk_may_book_with_an_address_only_online_may_not(
    client: TestClient, reader: sessionmaker[Session]
) -> None:
    """At the desk a name and the address are enough (the citizen gets letters); online a
    booking without phone or e-mail is refused with 422."""
    with reader() as s:
        demo_id = select(Municipality.id).where(Municipality.slug == "demo").scalar_subquery()
        homes = s.scalars(
            select(Address).where(Address.municipality_id == demo_id).order_by(Address.id)
        ).all()[:2]
    offers = [
        client.post(
            f"{DESK}/offers",
            json={
                "service": "wmo-intake",
                "address": {"postcode": h.postcode, "house_number": h.house_number},
            },
        ).json()["offers"][0]["id"]
        for h in homes
    ]
    online = client.post(
        "/api/v1/municipalities/demo/bookings",
        json={"offer_id": offers[0], "citizen": {"name": "Jan Zonder"}},
    )
    assert online.status_code == 422
    desk = client.post(
        f"{DESK}/bookings",
        json={"offer_id": offers[1], "citizen": {"name": "Jan Zonder", "by_post": True}},
    )
    assert desk.status_code == 201, desk.text
    with reader() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == desk.json()["reference"])).one()
        assert visit.wants_post and visit.citizen_phone is None and visit.citizen_email is None
