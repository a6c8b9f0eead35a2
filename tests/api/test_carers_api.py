"""Booking for the people who need help, through the API on the seeded demo (issue 11).

A contact person who books for someone else, needs that reach the expert, the manage-link
look-up, the waiting list, and the desk finding people. The municipality is the small demo of
``citizen_world`` on a frozen clock (Monday 30 November 2026, 07:00 in Utrecht). Messages are
checked in the outbox (recipient, kind, link): the channel that carries them is the outbox's
business.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import citizen_world as world
import pytest
from citizen_world import DAY, addresses, api_client, ask, book
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cli import main
from api.runtime import keys_of
from api.settings import get_settings
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.booking import offer_tokens
from scheduler.booking.models import Visit, VisitSearch
from scheduler.capacity.models import Expert
from scheduler.db import make_engine, make_sessionmaker
from scheduler.notify.models import OutboxMessage
from scheduler.notify.service import readable
from scheduler.tenants import service as tenants

TUESDAY = dt.date(2026, 12, 1)


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


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with api_client(url) as c:
        yield c


def messages(db: Session, reference: str, kind: str | None = None) -> list[OutboxMessage]:
    """The outbox messages about the booking ``reference`` (of ``kind``), oldest first."""
    query = (
        select(OutboxMessage)
        .join(Visit, Visit.id == OutboxMessage.visit_id)
        .where(Visit.reference == reference)
        .order_by(OutboxMessage.id)
    )
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    found = list(db.scalars(query))
    db.expunge_all()  # plain values from here on: reading them must not begin a transaction
    db.rollback()
    keys = keys_of(get_settings())
    for message in found:  # stored encrypted; the test reads them as written
        message.body = readable(message.body, keys)
        message.ics = readable(message.ics, keys) if message.ics else None
    return found


def link_token(body: str, reference: str, page: str = "") -> str:
    """The manage token in the link to ``/afspraak/{reference}{page}`` in a message body."""
    found = re.search(rf"/afspraak/{reference}{page}\?token=([A-Za-z0-9_\-%]+)", body)
    assert found is not None, body
    return found.group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def for_someone_else(client: TestClient, offer_id: str, **extra: Any) -> Any:
    """Daughter Sara books her father Henk's visit, with an interpreter and a pet."""
    return client.post(
        "/api/v1/municipalities/demo/bookings",
        json={
            "offer_id": offer_id,
            "citizen": {"name": "Henk Jansen"},
            "contact": {
                "name": "Sara Jansen",
                "email": "sara@example.org",
                "phone": "06 87654321",
                "relation": "child",
            },
            "needs": [{"code": "pet"}, {"code": "interpreter", "detail": "ar"}],
            **extra,
        },
    )


# -- booking on behalf of someone ------------------------------------------------------------------


def test_a_contact_gets_the_confirmation_naming_the_citizen(
    client: TestClient, db: Session
) -> None:
    """With a contact person, the confirmation goes to the contact's address and names the
    person visited; the citizen needs no contact details of their own."""
    (home,) = addresses(db, 1, seed=21)
    offer = ask(client, home, needs=[{"code": "interpreter", "detail": "ar"}]).json()["offers"][0]
    answer = for_someone_else(client, offer["id"])
    assert answer.status_code == 201, answer.text
    b = answer.json()
    assert b["contact"] == {
        "name": "Sara Jansen",
        "phone": "+31687654321",
        "email": "sara@example.org",
        "relation": "child",
    }
    assert b["citizen"]["name"] == "Henk Jansen" and b["citizen"]["email"] is None
    assert b["needs"] == [{"code": "interpreter", "detail": "ar"}, {"code": "pet", "detail": None}]
    (confirmation,) = messages(db, b["reference"], "confirmation")
    assert confirmation.recipient == "sara@example.org"
    assert "Beste Sara Jansen" in confirmation.body and "Henk Jansen" in confirmation.body
    assert confirmation.ics is not None and "sara@example.org" in confirmation.ics


def test_a_contact_without_a_way_to_reach_them_is_refused(client: TestClient, db: Session) -> None:
    """A contact person needs a phone number or an e-mail (422 naming the field); without a
    contact the citizen does."""
    (home,) = addresses(db, 1, seed=22)
    offer = ask(client, home).json()["offers"][0]
    answer = client.post(
        "/api/v1/municipalities/demo/bookings",
        json={
            "offer_id": offer["id"],
            "citizen": {"name": "Henk"},
            "contact": {"name": "Sara", "relation": "child"},
        },
    )
    assert answer.status_code == 422 and answer.json()["field"] == "contact"
    alone = client.post(
        "/api/v1/municipalities/demo/bookings",
        json={"offer_id": offer["id"], "citizen": {"name": "Henk"}},
    )
    assert alone.status_code == 422 and alone.json()["field"] == "citizen"


def test_the_expert_sees_contact_and_needs_and_the_export_holds_the_contact(
    client: TestClient, db: Session, url: str
) -> None:
    """The expert's ``GET /me/route`` card shows the contact person and the needs in words; the
    citizen's personal-data export includes the contact and the needs; erasure wipes them."""
    (home,) = addresses(db, 1, seed=23)
    offer = ask(client, home, needs=[{"code": "interpreter", "detail": "ar"}]).json()["offers"][0]
    b = for_someone_else(client, offer["id"]).json()
    visit = db.scalar(select(Visit).where(Visit.reference == b["reference"]))
    assert visit is not None and visit.expert_id is not None
    m = tenants.get_by_slug(db, "demo")
    _, token = accounts.create(
        db, name="E", role=Role.EXPERT, municipality=m, expert_id=visit.expert_id
    )
    db.commit()
    route = client.get(f"/api/v1/me/route?date={visit.date.isoformat()}", headers=bearer(token))
    assert route.status_code == 200, route.text
    (stop,) = [s for s in route.json()["stops"] if s.get("reference") == b["reference"]]
    assert stop["citizen"]["name"] == "Henk Jansen"
    assert stop["contact"] == {"name": "Sara Jansen", "phone": "+31687654321", "relation": "child"}
    assert [n["text"] for n in stop["needs"]] == ["Tolk: Arabisch", "Er is een huisdier in huis"]

    manage = bearer(b["manage_token"])
    data = client.get(f"/api/v1/bookings/{b['reference']}/personal-data", headers=manage).json()
    assert data["contact"]["name"] == "Sara Jansen" and data["contact"]["email"]
    assert {n["code"] for n in data["needs"]} == {"interpreter", "pet"}
    erased = client.delete(f"/api/v1/bookings/{b['reference']}/personal-data", headers=manage)
    assert erased.status_code == 200
    assert erased.json()["contact"] is None and erased.json()["needs"] == []


# -- needs -----------------------------------------------------------------------------------------


def test_the_needs_list(client: TestClient) -> None:
    """``GET …/needs`` lists every need with Dutch and English labels and the detail it takes;
    the interpreter takes a language from its options."""
    answer = client.get("/api/v1/municipalities/demo/needs")
    assert answer.status_code == 200
    needs = {n["code"]: n for n in answer.json()}
    assert {"interpreter", "sign-language", "hard-of-hearing", "step-free", "call-ahead"} <= set(
        needs
    )
    assert needs["interpreter"]["detail"] == "language"
    assert "ar" in {o["code"] for o in needs["interpreter"]["options"]}
    assert needs["other"]["detail"] == "text" and needs["pet"]["detail"] == "none"
    assert all(n["label_nl"] and n["label_en"] for n in needs.values())


@pytest.mark.parametrize(
    ("needs", "field"),
    [
        ([{"code": "teleport"}], "needs"),
        ([{"code": "interpreter"}], "needs"),
        ([{"code": "interpreter", "detail": "klingon"}], "needs"),
        ([{"code": "pet", "detail": "a cat"}], "needs"),
        ([{"code": "pet"}, {"code": "pet"}], "needs"),
        ([{"code": "other"}], "needs"),
    ],
)
def test_bad_needs_are_refused(
    client: TestClient, db: Session, needs: list[dict[str, str]], field: str
) -> None:
    """An unknown need, a missing or unknown language, a detail where none belongs, a need twice
    or an empty text: 422 problem+json naming the field, nothing booked."""
    (home,) = addresses(db, 1, seed=24)
    offer = ask(client, home).json()["offers"][0]
    answer = client.post(
        "/api/v1/municipalities/demo/bookings",
        json={
            "offer_id": offer["id"],
            "citizen": {"name": "A", "phone": "0612345678"},
            "needs": needs,
        },
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == field
    assert (db.scalar(select(func.count(Visit.id)).where(Visit.citizen_name == "A")) or 0) == 0


# -- the look-up -----------------------------------------------------------------------------------


def lookup(client: TestClient, reference: str, postcode: str, number: int) -> Any:
    return client.post(
        "/api/v1/municipalities/demo/bookings/lookup",
        json={"reference": reference, "postcode": postcode, "house_number": number},
    )


def test_lookup_sends_a_working_link_and_reveals_nothing(client: TestClient, db: Session) -> None:
    """The right reference (typed loosely), postcode and house number: 202, and a message with a
    fresh manage link that opens the booking (the old one no longer does). A wrong postcode or
    an unknown reference: the identical 202, and nothing is sent."""
    (home,) = addresses(db, 1, seed=31)
    offer = ask(client, home).json()["offers"][0]
    b = book(client, offer["id"], email="anna@example.org").json()
    ref = b["reference"]
    loose = ref.lower().replace("-", " ")  # "ah 7k2m 9qxc"
    postcode = f"{home.postcode[:4]} {home.postcode[4:].lower()}"

    wrong = lookup(client, ref, "9999 ZZ", home.house_number)
    unknown = lookup(client, "AH-ZZZZ-ZZZZ", home.postcode, home.house_number)
    right = lookup(client, loose, postcode, home.house_number)
    assert wrong.status_code == unknown.status_code == right.status_code == 202
    assert wrong.json() == unknown.json() == right.json()
    assert wrong.headers["content-type"] == right.headers["content-type"]

    (sent,) = messages(db, ref, "manage_link")
    assert sent.recipient == "anna@example.org"
    token = link_token(sent.body, ref)
    assert client.get(f"/api/v1/bookings/{ref}", headers=bearer(token)).status_code == 200
    old = client.get(f"/api/v1/bookings/{ref}", headers=bearer(b["manage_token"]))
    assert old.status_code == 401


def test_lookup_for_a_contact_goes_to_the_contact(client: TestClient, db: Session) -> None:
    """A booking made by a contact person sends the fresh link to the contact."""
    (home,) = addresses(db, 1, seed=32)
    offer = ask(client, home, needs=[{"code": "interpreter", "detail": "ar"}]).json()["offers"][0]
    b = for_someone_else(client, offer["id"]).json()
    assert lookup(client, b["reference"], home.postcode, home.house_number).status_code == 202
    (sent,) = messages(db, b["reference"], "manage_link")
    assert sent.recipient == "sara@example.org" and "Henk Jansen" in sent.body


def test_lookup_is_rate_limited_per_reference_and_per_client(
    client: TestClient, db: Session, url: str
) -> None:
    """Guessing stops: after a few look-ups of one reference (or many from one client) the
    answer is 429 problem+json with Retry-After, whatever is sent, and nothing more is sent.
    (Tests run without limits; this one turns the look-up limit on at 5 an hour.)"""
    (home,) = addresses(db, 1, seed=33)
    offer = ask(client, home).json()["offers"][0]
    ref = book(client, offer["id"], email="anna@example.org").json()["reference"]
    with api_client(url, rate_limit_lookups="5/hour") as limited:
        codes = [lookup(limited, ref, "1234AB", n).status_code for n in range(1, 8)]
        assert codes[:5] == [202] * 5 and codes[-1] == 429
        refused = lookup(limited, ref, home.postcode, home.house_number)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert messages(db, ref, "manage_link") == []
    with api_client(url, rate_limit_lookups="5/hour") as limited:
        others = [lookup(limited, f"AH-ABCD-EF{k:02d}", "1234AB", 1).status_code for k in range(7)]
    assert others[:5] == [202] * 5 and others[-1] == 429


# -- the waiting list ------------------------------------------------------------------------------


def run_worker(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``aanhuis worker --once`` against the test's database (notices from 09:00 to 20:00)."""
    monkeypatch.setenv("AANHUIS_DATABASE_URL", url)
    monkeypatch.setenv("AANHUIS_WAITLIST_HOURS", "09:00-20:00")
    monkeypatch.delenv("AANHUIS_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["worker", "--once"]) == 0
    finally:
        get_settings.cache_clear()


def test_the_waiting_list_scenario(
    client: TestClient,
    db: Session,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    now: list[dt.datetime],
) -> None:
    """A books Tuesday's latest window and joins the waiting list; B holds an earlier window
    that day and cancels it. A worker round at 07:00 (before the notice hours) sends nothing;
    one at 09:00 sends A exactly one waiting-list message, whose link lists only earlier
    windows; A moves to one (an ordinary reschedule, which counts as a success) and a second
    round sends nothing more."""
    home_a, home_b = addresses(db, 2, seed=41)
    tuesday = {"latest": TUESDAY.isoformat(), "limit": 50}
    found = ask(client, home_a, **tuesday).json()["offers"]
    late = max(found, key=lambda o: o["window_start"])
    a = book(client, late["id"], "A", email="a@example.org").json()
    manage_a = bearer(a["manage_token"])
    found = ask(client, home_b, **tuesday).json()["offers"]
    early = next(o for o in found if o["window_end"] <= a["window_start"])
    b = book(client, early["id"], "B").json()
    joined = client.post(f"/api/v1/bookings/{a['reference']}/waitlist", headers=manage_a)
    assert joined.status_code == 200 and joined.json()["waiting"] is True

    cancelled = client.post(
        f"/api/v1/bookings/{b['reference']}/cancel", headers=bearer(b["manage_token"])
    )
    assert cancelled.status_code == 200
    run_worker(url, monkeypatch)  # 07:00: too early for messages
    assert messages(db, a["reference"], "waiting_list_offer") == []
    now[0] = world.NOW + dt.timedelta(hours=2)  # 09:00 in Utrecht
    run_worker(url, monkeypatch)
    (notice,) = messages(db, a["reference"], "waiting_list_offer")
    assert notice.recipient == "a@example.org"
    token = link_token(notice.body, a["reference"], "/eerder")

    offers = client.get(
        f"/api/v1/bookings/{a['reference']}/earlier-offers", headers=bearer(token)
    ).json()["offers"]
    assert offers and all(o["window_end"] <= a["window_start"] for o in offers)
    moved = client.post(
        f"/api/v1/bookings/{a['reference']}/reschedule",
        json={"offer_id": offers[0]["id"]},
        headers=bearer(token),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["window_start"] < a["window_start"]
    state = client.get(f"/api/v1/bookings/{a['reference']}/waitlist", headers=bearer(token))
    assert state.json()["waiting"] is False and state.json()["moved_at"] is not None
    run_worker(url, monkeypatch)
    assert len(messages(db, a["reference"], "waiting_list_offer")) == 1


def test_cancel_and_opt_out_end_the_waiting(client: TestClient, db: Session) -> None:
    """``DELETE …/waitlist`` leaves the list; cancelling a waiting booking ends its entry; a
    cancelled booking cannot join (409); without the manage token (waiting list or earlier
    offers): 401."""
    (home,) = addresses(db, 1, seed=42)
    offer = ask(client, home).json()["offers"][0]
    b = book(client, offer["id"], email="x@example.org").json()
    path, manage = f"/api/v1/bookings/{b['reference']}/waitlist", bearer(b["manage_token"])
    assert client.post(path).status_code == 401
    assert client.get(f"/api/v1/bookings/{b['reference']}/earlier-offers").status_code == 401
    assert client.post(path, headers=manage).json()["waiting"] is True
    assert client.delete(path, headers=manage).json()["waiting"] is False
    assert client.post(path, headers=manage).json()["waiting"] is True
    client.post(f"/api/v1/bookings/{b['reference']}/cancel", headers=manage)
    assert client.get(path, headers=manage).json()["waiting"] is False
    assert client.post(path, headers=manage).status_code == 409


# -- needs restrict who can come -------------------------------------------------------------------


def test_an_interpreter_need_restricts_offers_to_experts_with_the_language(
    client: TestClient, db: Session
) -> None:
    """Of the demo's Wmo consultants only one speaks Arabic: with an interpreter need for
    Arabic every offer is computed for her and the booking lands on her day; without the need
    the other consultant's windows are offered too; for a language no expert speaks there is
    nothing to offer."""
    experts = list(db.scalars(select(Expert).order_by(Expert.id)))
    db.rollback()
    wmo = [e for e in experts if "wmo" in e.skills]
    arabic = {e.id for e in wmo if "taal-ar" in e.skills}
    assert len(wmo) >= 2 and len(arabic) == 1
    (home,) = addresses(db, 1, seed=51)
    need = [{"code": "interpreter", "detail": "ar"}]
    with_need = ask(client, home, needs=need, limit=30).json()["offers"]
    without = ask(client, home, limit=30).json()["offers"]
    keys = keys_of(get_settings())
    hint = {}
    for o in with_need + without:  # offer ids are sealed; the expert is inside
        opened = offer_tokens.open_offer(keys.offers, o["id"])
        assert opened is not None
        hint[o["id"]] = opened.expert_id
    assert with_need and {hint[o["id"]] for o in with_need} == arabic
    assert {hint[o["id"]] for o in without} - arabic
    b = for_someone_else(client, with_need[0]["id"]).json()
    visit = db.scalar(select(Visit).where(Visit.reference == b["reference"]))
    assert visit is not None and visit.expert_id in arabic and visit.extra_skills == ["taal-ar"]
    db.rollback()
    nobody = ask(client, home, needs=[{"code": "interpreter", "detail": "so"}]).json()
    assert nobody["offers"] == []


# -- the desk finds people -------------------------------------------------------------------------


def test_the_desk_finds_people_and_records_each_search(
    client: TestClient, db: Session, url: str
) -> None:
    """A planner finds a booking by its reference read out loosely, by postcode and house
    number, by the contact's phone number and by part of a name; each search is recorded
    without its terms; an expert may not search (403), a search by nothing is refused (422)."""
    (home,) = addresses(db, 1, seed=61)
    offer = ask(client, home, needs=[{"code": "interpreter", "detail": "ar"}]).json()["offers"][0]
    b = for_someone_else(client, offer["id"]).json()
    planner = bearer(world.planner_token(url))
    path = "/api/v1/municipalities/demo/desk/bookings/search"
    for query in (
        {"reference": b["reference"].lower().replace("-", " ")},
        {"postcode": home.postcode.lower(), "house_number": home.house_number},
        {"phone": "+31 6 8765 4321"},
        {"name": "jansen henk"},
        {"name": "SARA"},
    ):
        found = client.post(path, json=query, headers=planner)
        assert found.status_code == 200, (query, found.text)
        assert b["reference"] in {v["reference"] for v in found.json()}, query
    assert client.post(path, json={}, headers=planner).status_code == 422
    kinds = [s.by for s in db.scalars(select(VisitSearch).order_by(VisitSearch.id))]
    db.rollback()
    assert kinds == ["reference", "address", "phone", "name", "name"]
    m = tenants.get_by_slug(db, "demo")
    expert_id = db.scalars(select(Expert.id)).first()
    _, token = accounts.create(db, name="E", role=Role.EXPERT, municipality=m, expert_id=expert_id)
    db.commit()
    assert client.post(path, json={"name": "Sara"}, headers=bearer(token)).status_code == 403


def test_moving_never_offers_the_current_window(client: TestClient, db: Session) -> None:
    """Offers to move a booking (citizen and desk) never include the window it already has."""
    (home,) = addresses(db, 1, seed=62)
    offer = ask(client, home, latest=DAY.isoformat(), limit=50).json()["offers"][0]
    b = book(client, offer["id"]).json()
    body = {"reschedule_of": b["reference"], "limit": 50, "latest": DAY.isoformat()}
    mine = client.post(
        "/api/v1/municipalities/demo/offers", json=body, headers=bearer(b["manage_token"])
    ).json()["offers"]
    assert mine and b["window_start"] not in {o["window_start"] for o in mine}


def test_planners_configure_need_skills_per_service_type(client: TestClient, url: str) -> None:
    """A planner ties a need to a skill on a service type (read back as set); a template for a
    need without a language, an unknown need or a non-skill code is refused with 422."""
    planner = bearer(world.planner_token(url))
    path = "/api/v1/municipalities/demo/service-types/schuldhulp-intake"
    config = {"interpreter": "taal-{detail}", "step-free": "rolstoel"}
    changed = client.patch(path, json={"need_skills": config}, headers=planner)
    assert changed.status_code == 200, changed.text
    assert client.get(path, headers=planner).json()["need_skills"] == config
    for bad in ({"pet": "dier-{detail}"}, {"teleport": "x"}, {"interpreter": "Taal {detail}"}):
        refused = client.patch(path, json={"need_skills": bad}, headers=planner)
        assert refused.status_code == 422, bad
    assert client.get(path, headers=planner).json()["need_skills"] == config
