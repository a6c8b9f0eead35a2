"""NotifyNL end to end, against a Notify-compatible fake speaking the real v2 API with JWTs.

The issue's sequence: a citizen books with a phone number and no e-mail; ``aanhuis worker
--once`` sends the confirmation as an SMS; the expert taps "on the way"; the worker sends the
"on the way" SMS with the expected times. A permanent-failure callback for the confirmation puts
the booking on the call list; the desk's letter is a PDF with the reference and the window.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from citizen_world import AMS, SLUG, addresses, api_client, ask, book, planner_token, seeded
from fastapi.testclient import TestClient
from notify_fake import FakeNotify, running
from pypdf import PdfReader
from sqlalchemy import select
from support import frozen_clock

from api.cli import main
from api.settings import get_settings
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.audit.models import AuditRecord
from scheduler.booking.models import Visit, VisitStatus
from scheduler.db import make_engine, make_sessionmaker
from scheduler.notify import service as notify_service
from scheduler.notify.models import OutboxMessage
from scheduler.tenants import service as tenants

NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
SECRET = "n" * 48
CALLBACK_TOKEN = "callback-token-for-tests-0123456789"
BASE = "https://aanhuis.example"


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    with running() as f:
        yield f


@pytest.fixture
def world(
    backend: str, db_url: str, fake: FakeNotify, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, FakeNotify]]:
    """The seeded demo municipality; the worker's environment points at the fake Notify."""
    sms_template = fake.add_template("sms", "((body))")
    email_template = fake.add_template("email", "((body))", "((subject))")
    env = {
        "AANHUIS_DATABASE_URL": db_url,
        "AANHUIS_SECRET_KEY": SECRET,
        "AANHUIS_BASE_URL": BASE,
        "AANHUIS_NOTIFY_URL": fake.url,
        "AANHUIS_NOTIFY_API_KEY": fake.api_key,
        "AANHUIS_NOTIFY_SMS_TEMPLATE": sms_template,
        "AANHUIS_NOTIFY_EMAIL_TEMPLATE": email_template,
        "AANHUIS_NOTIFY_CALLBACK_TOKEN": CALLBACK_TOKEN,
        "AANHUIS_SMTP_HOST": "",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    with seeded(backend, db_url):
        yield db_url, fake
    get_settings.cache_clear()


def _client(url: str) -> Any:
    # The API queues; only the worker sends (no Notify key in the app), as in the steps.
    return api_client(url, secret_key=SECRET, base_url=BASE, notify_api_key=None)


def _expert_token(url: str, reference: str) -> tuple[str, int]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            visit = session.query(Visit).filter_by(reference=reference).one()
            m = tenants.get_by_slug(session, SLUG)
            assert visit.expert_id is not None
            _, token = accounts.create(
                session, name="Expert", role=Role.EXPERT, municipality=m, expert_id=visit.expert_id
            )
            session.commit()
            return token, visit.id
    finally:
        engine.dispose()


def _visit(url: str, reference: str) -> Visit:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            visit = session.query(Visit).filter_by(reference=reference).one()
            session.expunge(visit)
            return visit
    finally:
        engine.dispose()


def _book_phone_only(client: TestClient, url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        home = addresses(session, 1, seed=11)[0]
    engine.dispose()
    offers = ask(client, home).json()["offers"]
    answer = book(client, offers[0]["id"], "Henk Jansen", phone="06 12345678")
    assert answer.status_code == 201, answer.text
    booking: dict[str, Any] = answer.json()
    assert booking["citizen"]["email"] is None
    return booking


def test_sms_only_citizen_gets_confirmation_and_on_the_way(
    world: tuple[str, FakeNotify],
) -> None:
    """The issue's sequence ends with an SMS with a valid JWT, the phone number and the
    reference; "on the way" carries the expected band; a permanent failure of the confirmation
    puts the booking on the call list; the short link opens the manage page."""
    url, fake = world
    with frozen_clock(NOW) as now, _client(url) as client:
        booking = _book_phone_only(client, url)
        reference = booking["reference"]
        # 2. the worker sends the confirmation
        assert main(["worker", "--once"]) == 0
        sms = fake.sent("sms")
        assert len(sms) == 1
        assert sms[0]["phone_number"] == "+31612345678"
        assert reference in sms[0]["body"]
        window = f"{booking['window_start'][11:16]} en {booking['window_end'][11:16]}"
        assert window in sms[0]["body"]
        assert len(sms[0]["body"]) <= 306  # two SMS parts at most
        posts = [r for r in fake.requests if r[0] == "POST"]
        assert posts and all(r[2] is not None and r[2]["iss"] == fake.service_id for r in posts)

        # The short link in the SMS opens the manage page (with its token).
        code = re.search(r"/m/([A-Z0-9]{10})", sms[0]["body"])
        assert code is not None
        opened = client.get(f"/m/{code.group(1)}", follow_redirects=False)
        assert opened.status_code == 303
        assert opened.headers["location"].startswith(f"{BASE}/afspraak/{reference}?token=")
        assert client.get(f"/m/{code.group(1)[::-1]}").status_code in (404, 422)

        # 3. on the day, 40 minutes before the window, the expert taps "on the way"
        start = dt.datetime.fromisoformat(booking["window_start"])
        now[0] = start.astimezone(dt.UTC) - dt.timedelta(minutes=40)
        token, visit_id = _expert_token(url, reference)
        tapped = client.post(
            f"/api/v1/visits/{visit_id}/status",
            json={"status": "on_the_way"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert tapped.status_code == 200, tapped.text
        # 4. the worker sends "on the way"
        assert main(["worker", "--once"]) == 0
        texts = [n["body"] for n in fake.sent("sms")]
        on_way = [t for t in texts if "onderweg" in t]
        assert len(on_way) == 1
        visit = _visit(url, reference)
        assert visit.planned_arrival is not None
        arrival = visit.planned_arrival.astimezone(AMS)
        band = re.search(r"tussen (\d\d:\d\d) en (\d\d:\d\d)", on_way[0])
        assert band is not None
        low = dt.datetime.combine(arrival.date(), dt.time.fromisoformat(band.group(1)), AMS)
        high = dt.datetime.combine(arrival.date(), dt.time.fromisoformat(band.group(2)), AMS)
        assert low <= arrival <= high and high - low == dt.timedelta(minutes=20)
        assert reference in on_way[0]
        # The booking shows the same live band.
        live = client.get(
            f"/api/v1/bookings/{reference}",
            headers={"Authorization": f"Bearer {_token_of(opened.headers['location'])}"},
        ).json()["live"]
        assert live["status"] == "on_the_way"
        assert dt.datetime.fromisoformat(live["expected_from"]) == low
        # And so does the manage page, from the short link.
        page = client.get(opened.headers["location"].removeprefix(BASE))
        assert page.status_code == 200
        assert f"onderweg. Verwacht tussen {band.group(1)} en {band.group(2)} uur" in page.text
        # A second round sends nothing new.
        count = len(fake.sent())
        assert main(["worker", "--once"]) == 0
        assert len(fake.sent()) == count

        # A permanent failure of the confirmation puts the booking on the call list.
        confirmation = sms[0]["id"]
        planner = planner_token(url)
        calls = client.get(
            f"/api/v1/municipalities/{SLUG}/call-list",
            headers={"Authorization": f"Bearer {planner}"},
        )
        assert reference not in [c["reference"] for c in calls.json()]
        answer = fake.callback(
            confirmation,
            "permanent-failure",
            lambda u, body, headers: client.post(u, json=body, headers=headers),
            url="/api/v1/notify/callback",
            token=CALLBACK_TOKEN,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["on_call_list"] is True
        calls = client.get(
            f"/api/v1/municipalities/{SLUG}/call-list",
            headers={"Authorization": f"Bearer {planner}"},
        ).json()
        mine = [c for c in calls if c["reference"] == reference]
        assert [(c["kind"], c["reason"], c["channel"]) for c in mine] == [
            ("confirmation", "delivery_failed", "sms")
        ]


def _token_of(location: str) -> str:
    return location.split("token=", 1)[1]


def test_bad_callbacks_change_nothing(world: tuple[str, FakeNotify]) -> None:
    """A callback without the token is 401, with a bad body 422, for an unknown id 404; the
    stored status stays as it was."""
    url, fake = world
    with frozen_clock(NOW), _client(url) as client:
        _book_phone_only(client, url)
        assert main(["worker", "--once"]) == 0
        notification = fake.sent("sms")[0]["id"]
        body = {"id": notification, "status": "permanent-failure"}
        assert client.post("/api/v1/notify/callback", json=body).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert client.post("/api/v1/notify/callback", json=body, headers=wrong).status_code == 401
        right = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
        bad = {"id": notification, "status": "exploded"}
        assert client.post("/api/v1/notify/callback", json=bad, headers=right).status_code == 422
        unknown = {"id": "0" * 36, "status": "delivered"}
        assert (
            client.post("/api/v1/notify/callback", json=unknown, headers=right).status_code == 404
        )
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        message = session.query(OutboxMessage).filter_by(notify_id=notification).one()
        assert message.delivery_status == "created"
    engine.dispose()


def test_desk_letter_is_a_pdf_with_reference_and_window(world: tuple[str, FakeNotify]) -> None:
    """``GET …/desk/bookings/{reference}/letter.pdf`` is an A4 PDF whose text holds the
    reference and the window; a citizen's token does not open it."""
    url, _ = world
    with frozen_clock(NOW), _client(url) as client:
        booking = _book_phone_only(client, url)
        reference = booking["reference"]
        path = f"/api/v1/municipalities/{SLUG}/desk/bookings/{reference}/letter.pdf"
        assert client.get(path).status_code == 401
        answer = client.get(path, headers={"Authorization": f"Bearer {planner_token(url)}"})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(answer.content))
        text = " ".join(page.extract_text() for page in reader.pages)
        assert reference in text
        assert booking["window_start"][11:16] in text and booking["window_end"][11:16] in text
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_the_demo_page_shows_messages_by_channel_and_only_in_the_demo(
    world: tuple[str, FakeNotify], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the demo's setting and no Notify key, a booking's SMS counts as sent at once (nothing
    reaches Notify) and the demo page shows its text; without the setting the page is a 404."""
    url, fake = world
    monkeypatch.delenv("AANHUIS_NOTIFY_API_KEY")
    with frozen_clock(NOW), _client(url) as client:
        assert client.get("/demo-berichten").status_code == 404
    with (
        frozen_clock(NOW),
        api_client(url, secret_key=SECRET, base_url=BASE, demo_messages=True) as client,
    ):
        booking = _book_phone_only(client, url)
        page = client.get("/demo-berichten")
        assert page.status_code == 200
        assert booking["reference"] in page.text and "+31612345678" in page.text
        assert "bevestigd" in page.text
    assert fake.requests == []


def test_not_home_visits_are_on_the_call_list_until_called(
    world: tuple[str, FakeNotify],
) -> None:
    """A visit where nobody was home is on the call list (API) for a new appointment; once a
    planner records the call it leaves the list."""
    url, _ = world
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        visit = session.query(Visit).filter(Visit.erased_at.is_(None)).order_by(Visit.id).first()
        assert visit is not None
        visit.status = VisitStatus.NOT_HOME
        reference, visit_id = visit.reference, visit.id
        session.commit()
    planner = {"Authorization": f"Bearer {planner_token(url)}"}
    with frozen_clock(NOW), _client(url) as client:
        calls = client.get(f"/api/v1/municipalities/{SLUG}/call-list", headers=planner).json()
        assert [(c["reason"], c["message_id"]) for c in calls if c["reference"] == reference] == [
            ("not_home", None)
        ]
        # Each citizen the planner saw on the list is in the access log, as a read for calls.
        with make_sessionmaker(engine)() as session:
            seen = set(
                session.scalars(
                    select(AuditRecord.reference).where(
                        AuditRecord.action == "read", AuditRecord.reason == "calls"
                    )
                )
            )
        assert {c["reference"] for c in calls if c["reference"]} <= seen and reference in seen
        with make_sessionmaker(engine)() as session:
            town = tenants.get_by_slug(session, SLUG)
            notify_service.mark_called(
                session, municipality=town, visit_id=visit_id, actor="planner:1", now=NOW
            )
            session.commit()
        calls = client.get(f"/api/v1/municipalities/{SLUG}/call-list", headers=planner).json()
        assert reference not in [c["reference"] for c in calls]
    engine.dispose()


def test_settings_give_each_municipality_its_own_notify_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``AANHUIS_NOTIFY_MUNICIPALITIES`` (JSON) gives a municipality its own key and templates,
    falling back to the general ones; without any key nothing goes through Notify."""
    from api.runtime import notify_routes, sendable_channels
    from api.settings import Settings
    from scheduler.notify.notifynl import NotifyGateway

    service, secret = "1" * 8 + "-1111-1111-1111-" + "1" * 12, "2" * 36
    own = f"utrecht-{service}-{secret}"
    monkeypatch.setenv(
        "AANHUIS_NOTIFY_MUNICIPALITIES",
        json.dumps({"utrecht": {"api_key": own, "sms_template": "sms-utrecht"}}),
    )
    monkeypatch.setenv("AANHUIS_NOTIFY_EMAIL_TEMPLATE", "email-general")
    monkeypatch.setenv("AANHUIS_NOTIFY_TEMPLATES", '{"sms:on_the_way": "sms-onderweg"}')
    settings = Settings(smtp_host=None, notify_api_key=None, demo_messages=False)
    routes = notify_routes(settings)
    assert routes is not None and routes.gateway("amsterdam") is None
    utrecht = routes.gateway("utrecht")
    assert isinstance(utrecht, NotifyGateway)
    assert utrecht.client.service_id == service and utrecht.client.api_key == secret
    assert utrecht.template("sms", "confirmation") == "sms-utrecht"
    assert utrecht.template("sms", "on_the_way") == "sms-onderweg"
    assert utrecht.template("email", "reminder") == "email-general"
    assert sendable_channels(settings, "utrecht") == ("email", "sms", "letter")
    assert sendable_channels(settings, "amsterdam") == ()
    monkeypatch.delenv("AANHUIS_NOTIFY_MUNICIPALITIES")
    assert notify_routes(Settings(smtp_host=None, notify_api_key=None)) is None
