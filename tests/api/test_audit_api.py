"""The citizen in control, through the API: the access log of their booking, what the expert
sees before the visit, and asking for another expert.

The day is the hand-checkable one of ``route_app_world`` (Monday 15 June 2026, 07:00): Anouk
visits V1, V2 and V3, Bram visits V4. V1 and V3 get real references and manage tokens here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from route_app_world import DAY, World, add_day, at, build
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from scheduler import clock
from scheduler.audit.models import AuditRecord, ProcessingRecord
from scheduler.booking.models import Visit
from scheduler.security import hash_token

BASE_URL = "https://aanhuis.example"
REFS = {"V1": "AH-AAAA-BBBB", "V3": "AH-CCCC-DDDD"}
TOKENS = {"V1": "citizen-token-v1-" + "x" * 20, "V3": "citizen-token-v3-" + "y" * 20}
DESK = "/api/v1/municipalities/teststad/desk"


class Clock:
    def __init__(self, instant: dt.datetime) -> None:
        self.now = instant

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def now() -> Iterator[Clock]:
    frozen = Clock(at(DAY, "07:00"))
    previous = clock.set_clock(frozen)
    yield frozen
    clock.set_clock(previous)


@pytest.fixture
def world(sessions: sessionmaker[Session], now: Clock) -> World:
    with sessions() as session:
        w = build(session)
        for name, ref in REFS.items():
            v = session.get_one(Visit, w.visits[name].id)
            v.reference = ref
            v.manage_token_hash = hash_token(TOKENS[name])
        session.commit()
        return w


@pytest.fixture
def client(db_url: str, world: World) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=db_url, base_url=BASE_URL, smtp_host=None))
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def staff(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def citizen(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


def stop(route: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(s for s in route["stops"] if s.get("reference") == ref)


def test_the_citizen_sees_the_planner_and_the_expert_who_read_their_booking(
    client: TestClient, world: World, now: Clock
) -> None:
    """After a desk look-up by a planner and the expert's route, the citizen's access log lists
    both, with role, time and reason; the expert by first name only."""
    found = client.post(
        f"{DESK}/bookings/search", json={"reference": REFS["V1"]}, headers=staff(world, "planner")
    )
    assert found.status_code == 200 and [b["reference"] for b in found.json()] == [REFS["V1"]]
    now.now = at(DAY, "07:30")
    route = client.get("/api/v1/me/route", headers=staff(world, "anouk"))
    assert route.status_code == 200

    log = client.get(
        f"/api/v1/bookings/{REFS['V1']}/access-log",
        headers={**citizen("V1"), "Accept-Language": "en"},
    )
    assert log.status_code == 200, log.text
    entries = log.json()["entries"]
    assert [(e["role"], e["action"]) for e in entries] == [("expert", "read"), ("planner", "read")]
    expert, planner = entries
    assert expert["who"] == "The expert who visits (Anouk)"
    assert dt.datetime.fromisoformat(expert["at"]) == at(DAY, "07:30")
    assert dt.datetime.fromisoformat(planner["at"]) == at(DAY, "07:00")
    assert planner["who"] == "Planner"
    assert planner["why"] == "Helping you at the desk or on the phone"
    assert expert["why"] == "Preparing and making the visit"
    # Nothing of the staff member beyond the role and the visiting expert's first name.
    assert "Jansen" not in log.text and "de Vries" not in log.text and "Planner " not in log.text
    assert "phone" in expert["fields"] and "name" in planner["fields"]


def test_the_access_log_needs_the_bookings_own_token(client: TestClient, world: World) -> None:
    """No token, or another booking's token, is a 401; the booking's own token works."""
    url = f"/api/v1/bookings/{REFS['V1']}/access-log"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=citizen("V3")).status_code == 401
    assert client.get(url, headers=staff(world, "planner")).status_code == 401
    assert client.get(url, headers=citizen("V1")).status_code == 200


def test_each_request_writes_one_record_per_subject_with_its_processing_record(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """The expert's route writes one audit record per visit shown, each linked by span id to a
    processing record without staff identity and with the incoming trace id."""
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    answer = client.get(
        "/api/v1/me/route",
        headers={**staff(world, "anouk"), "traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
    )
    assert answer.status_code == 200
    assert answer.headers["traceparent"].startswith(f"00-{trace}-")
    with sessions() as s:
        records = s.scalars(select(AuditRecord)).all()
        spans = {p.span_id: p for p in s.scalars(select(ProcessingRecord))}
    assert sorted(r.reference for r in records) == sorted([REFS["V1"], "AH-V2", REFS["V3"]])
    assert {r.actor_role for r in records} == {"expert"}
    assert {r.actor_user_id for r in records} == {world_user_id(sessions, world, "anouk")}
    for r in records:
        p = spans[r.span_id]
        assert p.trace_id == trace == r.trace_id
        assert r.reference not in p.data_subject_id and len(p.data_subject_id) == 64
        assert p.processing_activity_id.endswith("/visit")


def world_user_id(sessions: sessionmaker[Session], world: World, who: str) -> int:
    from scheduler.accounts.service import authenticate

    with sessions() as s:
        return authenticate(s, world.tokens[who]).id


def test_two_days_ahead_the_expert_sees_no_name_or_phone(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """On Monday, Wednesday's route shows address and service, never name, phone or notes;
    Monday's own route shows them."""
    with sessions() as s:
        add_day(s, world, DAY + dt.timedelta(days=2))
    ahead = client.get(
        "/api/v1/me/route",
        params={"date": str(DAY + dt.timedelta(days=2))},
        headers=staff(world, "anouk"),
    ).json()
    visits = [s for s in ahead["stops"] if s["kind"] == "visit"]
    assert len(visits) == 3
    for v in visits:
        assert v["citizen"] == {"name": None, "phone": None}
        assert v["notes"] is None and v["address"]["street"]
        assert v["shown"] == ["address"]
    today = client.get("/api/v1/me/route", headers=staff(world, "anouk")).json()
    assert stop(today, REFS["V1"])["citizen"] == {"name": "Jan de Vries", "phone": "0612345678"}


def test_the_expert_sees_who_they_visit_from_the_municipalitys_freeze_on(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """With the plan frozen two working days ahead (``freeze_days_before`` 2, set through the
    API), Wednesday's route shows the names on Monday; with 0 (the day itself), Tuesday's route
    shows none on Monday."""
    with sessions() as s:
        add_day(s, world, DAY + dt.timedelta(days=2))
        add_day(s, world, DAY + dt.timedelta(days=1))
    slug = "teststad"

    def names(day: dt.date) -> set[str | None]:
        route = client.get(
            "/api/v1/me/route", params={"date": str(day)}, headers=staff(world, "anouk")
        ).json()
        return {v["citizen"]["name"] for v in route["stops"] if v["kind"] == "visit"}

    freeze = f"/api/v1/municipalities/{slug}/plan-freeze"
    body = {"freeze_time": "16:00", "freeze_days_before": 2}
    assert client.put(freeze, json=body, headers=staff(world, "planner")).status_code == 200
    assert None not in names(DAY + dt.timedelta(days=2))
    body = {"freeze_time": "16:00", "freeze_days_before": 0}
    assert client.put(freeze, json=body, headers=staff(world, "planner")).status_code == 200
    assert names(DAY + dt.timedelta(days=1)) == {None}


def test_a_withheld_phone_number_stays_hidden_on_the_day_itself(
    client: TestClient, world: World
) -> None:
    """After the citizen withholds their phone number, the route on the visit's day shows the
    name but not the phone; the choice is in the access log as the citizen's own."""
    changed = client.patch(
        f"/api/v1/bookings/{REFS['V1']}/choices", json={"share_phone": False}, headers=citizen("V1")
    )
    assert changed.status_code == 200 and changed.json()["share_phone"] is False
    route = client.get("/api/v1/me/route", headers=staff(world, "anouk")).json()
    v1 = stop(route, REFS["V1"])
    assert v1["citizen"] == {"name": "Jan de Vries", "phone": None}
    assert "phone" not in v1["shown"] and v1["notes"] == "Bel twee keer aan"
    assert stop(route, REFS["V3"])["citizen"]["phone"] == "0612345678"  # another citizen's
    log = client.get(f"/api/v1/bookings/{REFS['V1']}/access-log", headers=citizen("V1")).json()
    assert [(e["role"], e["action"], e["fields"]) for e in log["entries"]][-1] == (
        "citizen",
        "decide",
        ["share_phone"],
    )


def test_asking_for_another_expert_moves_the_visit_and_is_recorded(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """V3 (Anouk's) goes to Bram at the same window; Anouk's route no longer has it."""
    assert client.get("/api/v1/me/route", headers=staff(world, "anouk")).status_code == 200
    asked = client.post(
        f"/api/v1/bookings/{REFS['V3']}/other-expert", json={"confirm": True}, headers=citizen("V3")
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["other_expert_requested"] is True
    with sessions() as s:
        v3 = s.get_one(Visit, world.visits["V3"].id)
        assert v3.expert_id == world.bram.id and v3.excluded_expert_ids == [world.anouk.id]
        assert v3.window_start == at(DAY, "11:00")
    anouk = client.get("/api/v1/me/route", headers=staff(world, "anouk")).json()
    assert REFS["V3"] not in [s.get("reference") for s in anouk["stops"]]
    bram = client.get("/api/v1/me/route", headers=staff(world, "bram")).json()
    assert REFS["V3"] in [s.get("reference") for s in bram["stops"]]
    log = client.get(f"/api/v1/bookings/{REFS['V3']}/access-log", headers=citizen("V3")).json()
    assert ("citizen", "decide") in [(e["role"], e["action"]) for e in log["entries"]]
    # Bram is named to V3's citizen now, Anouk (who read it before) only by role.
    names = {e["who"] for e in log["entries"] if e["role"] == "expert"}
    assert names == {"Medewerker die op bezoek komt", "Medewerker die op bezoek komt (Bram)"}


def test_the_manage_page_shows_who_looked_and_saves_the_choices(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """The manage page lists the planner's desk read (role and reason in words), offers the
    choices; saving them withholds the phone and appears in the list as the citizen's own."""
    url = f"/afspraak/{REFS['V1']}?token={TOKENS['V1']}"
    empty = client.get(url)
    assert empty.status_code == 200 and "Nog niemand van de gemeente" in empty.text
    client.get(f"{DESK}/bookings/{REFS['V1']}", headers=staff(world, "planner"))
    page = client.get(url)
    assert "U helpen aan de balie of aan de telefoon" in page.text
    assert "Planner" in page.text and 'name="share_phone" value="ja" checked' in page.text
    saved = client.post(
        f"/afspraak/{REFS['V1']}/keuzes",
        data={"token": TOKENS["V1"], "share_notes": "ja", "same_expert_followups": "ja"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:300]
    with sessions() as s:
        v1 = s.get_one(Visit, world.visits["V1"].id)
        assert (v1.share_phone, v1.share_notes, v1.same_expert_followups) == (False, True, True)
    after = client.get(url)
    assert 'name="share_phone" value="ja" checked' not in after.text
    assert "Uw eigen keuze of verzoek" in after.text


def test_the_day_view_shows_initials_and_records_one_read_per_citizen(
    db_url: str, world: World, sessions: sessionmaker[Session]
) -> None:
    """The planner's day view shows initials and postcode, never the street; each of the four
    visits gets one access-log record for that one request."""
    app = create_app(Settings(database_url=db_url, base_url="http://127.0.0.1:8000"))
    with TestClient(app, follow_redirects=False) as client:
        client.get("/login")
        signed = client.post(
            "/login",
            data={"csrf": client.cookies.get("aanhuis_csrf"), "token": world.tokens["planner"]},
        )
        assert signed.status_code == 303
        page = client.get(f"/planner/teststad/dag/{DAY.isoformat()}")
    app.state.engine.dispose()
    assert page.status_code == 200
    assert "J.d.V. · 3511 AB" in page.text and "Oudegracht" not in page.text
    with sessions() as s:
        records = s.scalars(select(AuditRecord)).all()
    assert sorted(r.reference for r in records) == sorted(
        [REFS["V1"], "AH-V2", REFS["V3"], "AH-V4"]
    )
    assert {(r.actor_role, r.reason, r.fields) for r in records} == {
        ("planner", "planning", "initials,needs,postcode")
    }
    assert len({r.trace_id for r in records}) == 1


#: Who reaches what (least privilege): route → status per caller. "citizen" is V1's manage
#: token; "other" is V3's. Bram is an expert without V1 on his route.
ACCESS_TABLE: dict[str, dict[str, int]] = {
    f"GET /api/v1/bookings/{REFS['V1']}/access-log": {
        "anonymous": 401,
        "citizen": 200,
        "other": 401,
        "anouk": 401,
        "planner": 401,
        "admin": 401,
    },
    f"GET {DESK}/bookings/{REFS['V1']}": {
        "anonymous": 401,
        "citizen": 401,
        "other": 401,
        "anouk": 403,
        "planner": 200,
        "admin": 200,
    },
    "GET /api/v1/me/route": {
        "anonymous": 401,
        "citizen": 401,
        "other": 401,
        "anouk": 200,
        "planner": 403,
        "admin": 403,
    },
    f"GET /api/v1/bookings/{REFS['V1']}/choices": {
        "anonymous": 401,
        "citizen": 200,
        "other": 401,
        "anouk": 401,
        "planner": 401,
        "admin": 401,
    },
}


def test_each_role_reaches_only_what_it_needs(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """The table above, request by request: staff tokens never open a citizen's log, citizens
    never reach staff routes, experts never the desk, planners and admins have no route."""
    from scheduler.accounts import service as accounts
    from scheduler.accounts.models import Role

    with sessions() as s:
        _, admin = accounts.create(s, name="Admin", role=Role.ADMIN, municipality=None)
        s.commit()
    callers = {
        "anonymous": {},
        "citizen": citizen("V1"),
        "other": citizen("V3"),
        "anouk": staff(world, "anouk"),
        "planner": staff(world, "planner"),
        "admin": {"Authorization": f"Bearer {admin}"},
    }
    wrong = []
    for route, expected in ACCESS_TABLE.items():
        method, path = route.split(" ", 1)
        for who, status in expected.items():
            got = client.request(method, path, headers=callers[who]).status_code
            if got != status:
                wrong.append(f"{who} {route}: {got}, expected {status}")
    assert wrong == []
