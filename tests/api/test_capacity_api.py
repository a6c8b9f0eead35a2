"""Planner capacity API: experts, shifts, exceptions, closures, service types and the overview.

A small demo municipality (4 experts, 3 days, 30% booked) on a frozen clock: Monday 2 March 2026,
07:00 in Utrecht; visits are booked Tuesday to Thursday. Errors are problem+json; a change that
would break booked visits answers 409 naming them, and re-plans them with ``?replan=true``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from support import SeedDemo

from api.app import create_app
from api.runtime import get_notifier
from api.settings import Settings
from scheduler import demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.addresses.models import Address
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity.models import Expert, ShiftException
from scheduler.catalog.models import ServiceType
from scheduler.db import make_sessionmaker
from scheduler.tenants.models import Municipality

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3, addresses=300)
BASE = "/api/v1/municipalities/demo"
PROBLEM = "application/problem+json"


@pytest.fixture
def seeded(seed_demo: SeedDemo, session: Session, frozen: object) -> Municipality:
    """The demo town (4 experts, 3 days booked to 30%), copied from a template seeded once."""
    return session.get_one(Municipality, seed_demo(SIZE, NOW))


@pytest.fixture
def reader(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine, read_only=True)


@pytest.fixture
def sent() -> list[tuple[str, str]]:
    """Messages the app queued: (reference, kind)."""
    return []


@pytest.fixture
def client(
    db_url: str, session: Session, seeded: Municipality, sent: list[tuple[str, str]]
) -> Iterator[TestClient]:
    """The app as a planner of the demo municipality uses it (bearer token in every request)."""
    _, token = accounts.create(session, name="Planner", role=Role.PLANNER, municipality=seeded)
    session.commit()
    app = create_app(Settings(database_url=db_url, base_url="https://aanhuis.example"))

    def notifier() -> Any:
        return lambda s, visit, kind, manage_token=None: sent.append((visit.reference, kind))

    app.dependency_overrides[get_notifier] = notifier
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c
    app.state.engine.dispose()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    return body


def busiest(reader: sessionmaker[Session]) -> tuple[int, dt.date, list[Visit]]:
    with reader() as s:
        visits = s.scalars(select(Visit).where(Visit.status.in_(ACTIVE_STATUSES))).all()
    counts: dict[tuple[int, dt.date], list[Visit]] = {}
    for v in visits:
        assert v.expert_id is not None
        counts.setdefault((v.expert_id, v.date), []).append(v)
    (expert_id, day), mine = max(counts.items(), key=lambda kv: (len(kv[1]), -kv[0][0]))
    return expert_id, day, mine


def test_an_expert_is_created_from_a_registered_address_and_managed(
    client: TestClient, reader: sessionmaker[Session]
) -> None:
    """Create (start geocoded via the register), read, update, set a pattern, deactivate."""
    with reader() as s:
        home = s.scalars(select(Address).order_by(Address.id)).first()
    assert home is not None
    created = client.post(
        f"{BASE}/experts",
        json={
            "name": "Sanne Bos",
            "skills": ["WMO", "schuldhulp"],
            "travel_mode": "car",
            "start": {
                "label": "Thuis",
                "postcode": home.postcode,
                "house_number": home.house_number,
            },
            "end": {"label": "Stadskantoor", "lat": 52.0894, "lon": 5.1103},
            "max_visits_per_day": 6,
        },
    )
    assert created.status_code == 201, created.text
    expert = created.json()
    assert expert["skills"] == ["wmo", "schuldhulp"]
    assert (expert["start"]["lat"], expert["start"]["lon"]) == (home.lat, home.lon)
    assert expert["end"]["label"] == "Stadskantoor"
    path = f"{BASE}/experts/{expert['id']}"
    assert client.get(path).json() == expert
    changed = client.patch(path, json={"max_visits_per_day": 7, "end": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["max_visits_per_day"] == 7 and changed.json()["end"] is None
    assert changed.json()["affected"] == [] and changed.json()["replanned"] == []
    pattern = [
        {"weekday": 1, "start": "13:00", "end": "21:00", "break_earliest": "17:30",
         "break_latest": "18:30", "break_minutes": 30},
        {"weekday": 5, "start": "09:00", "end": "14:00", "valid_from": "2026-03-01"},
    ]  # fmt: skip
    put = client.put(f"{path}/shifts", json=pattern)
    assert put.status_code == 200, put.text
    got = client.get(f"{path}/shifts").json()
    assert [(s["weekday"], s["start"], s["end"]) for s in got["shifts"]] == [
        (1, "13:00:00", "21:00:00"),
        (5, "09:00:00", "14:00:00"),
    ]
    overlap = client.post(f"{path}/shifts", json={"weekday": 5, "start": "13:00", "end": "16:00"})
    assert "overlap" in problem(overlap, 422)["detail"]
    added = client.post(f"{path}/shifts", json={"weekday": 0, "start": "09:00", "end": "12:00"})
    assert added.status_code == 201, added.text
    removed = client.delete(f"{path}/shifts/{added.json()['id']}")
    assert removed.status_code == 200 and removed.json()["removed"] == added.json()["id"]
    gone = client.post(f"{path}/deactivate")
    assert gone.status_code == 200 and gone.json()["active"] is False
    inactive = client.get(f"{BASE}/experts", params={"active": "false"}).json()
    assert [e["id"] for e in inactive] == [expert["id"]]
    with reader() as s:
        version = s.scalar(select(Municipality.capacity_version))
    assert version is not None and version >= 6  # every capacity change bumped it


#: (path, body, status, a field the problem names or None): each must change nothing.
BAD_INPUT: list[tuple[str, dict[str, Any], int, str | None]] = [
    ("/experts/1/shifts", {"weekday": 2, "start": "17:00", "end": "09:00"}, 422, None),
    ("/experts/1/shifts", {"weekday": 7, "start": "09:00", "end": "12:00"}, 422, "weekday"),
    (
        "/experts/1/shifts",
        {"weekday": 2, "start": "09:00", "end": "12:00", "break_minutes": 30},
        422,
        None,
    ),
    ("/experts/1/exceptions", {"date": "2026-03-10", "kind": "extra"}, 422, None),
    ("/experts/999/exceptions", {"date": "2026-03-10", "kind": "absence"}, 404, None),
    (
        "/experts",
        {"name": "X", "start": {"postcode": "9999ZZ", "house_number": 1}},
        422,
        None,
    ),
    ("/experts", {"name": "X", "start": {"lat": 52.1}}, 422, None),
    ("/closures", {"date": "2026-13-01", "name": "X"}, 422, "date"),
    ("/service-types", {"code": "Bad Code", "name_nl": "x", "name_en": "x"}, 422, None),
]


def test_bad_input_is_a_clear_problem_and_changes_nothing(
    client: TestClient, reader: sessionmaker[Session]
) -> None:
    """Each bad request answers problem+json (naming the field where it can) and writes nothing."""
    with reader() as s:
        before = s.scalar(select(Municipality.capacity_version))
        exceptions = s.scalar(select(func.count()).select_from(ShiftException))
    for path, body, status, field in BAD_INPUT:
        found = problem(client.post(BASE + path, json=body), status)
        if field is not None:
            assert any(field in e["field"] for e in found["errors"]), (path, found)
    with reader() as s:
        assert s.scalar(select(Municipality.capacity_version)) == before
        assert s.scalar(select(func.count()).select_from(ShiftException)) == exceptions


def test_an_absence_on_a_booked_day_is_refused_then_replanned_on_request(
    client: TestClient, reader: sessionmaker[Session], sent: list[tuple[str, str]]
) -> None:
    """409 names the visits (reference, date, window; no citizen data); replan=true moves them."""
    expert_id, day, mine = busiest(reader)
    body = {"date": day.isoformat(), "kind": "sickness"}
    path = f"{BASE}/experts/{expert_id}/exceptions"
    refused = problem(client.post(path, json=body), 409)
    assert {a["reference"] for a in refused["affected"]} == {v.reference for v in mine}
    text = str(refused)
    for v in mine:
        assert v.citizen_name and v.citizen_name not in text
        assert v.citizen_phone and v.citizen_phone not in text
        assert v.street is None or v.street not in text
    first = min(refused["affected"], key=lambda a: a["window_start"])
    assert dt.datetime.fromisoformat(first["window_start"]).utcoffset() == dt.timedelta(hours=1)
    assert client.get(path).json() == []
    done = client.post(path, params={"replan": "true"}, json=body)
    assert done.status_code == 201, done.text
    result = done.json()
    assert [e["kind"] for e in result["exceptions"]] == ["sickness"]
    (replanned,) = result["replanned"]
    assert replanned["date"] == day.isoformat()
    assert {v.reference for v in mine} <= set(replanned["moved"]) | set(replanned["unplaced"])
    assert {ref for ref, kind in sent if kind == "disruption"} == set(replanned["unplaced"])
    with reader() as s:
        still = s.scalars(
            select(Visit).where(Visit.expert_id == expert_id, Visit.date == day)
        ).all()
        assert still == []


def test_closure_days_are_listed_added_renamed_and_removed(
    client: TestClient, reader: sessionmaker[Session]
) -> None:
    """Holidays are pre-filled; a booked day cannot be closed silently; edits stick."""
    listed = client.get(f"{BASE}/closures", params={"year": 2026}).json()
    by_date = {c["date"]: c for c in listed}
    assert by_date["2026-04-03"]["source"] == "holiday"  # Goede Vrijdag
    assert by_date["2026-05-05"]["name"].lower() == "bevrijdingsdag"
    _, day, mine = busiest(reader)
    refused = problem(
        client.post(f"{BASE}/closures", json={"date": str(day), "name": "Heidag"}), 409
    )
    assert {a["reference"] for a in refused["affected"]} >= {v.reference for v in mine}
    added = client.post(f"{BASE}/closures", json={"date": "2026-03-16", "name": "Heidag"})
    assert added.status_code == 201, added.text
    problem(client.post(f"{BASE}/closures", json={"date": "2026-03-16", "name": "Nog een"}), 409)
    cid = added.json()["id"]
    renamed = client.patch(f"{BASE}/closures/{cid}", json={"name": "Teamdag"})
    assert renamed.json()["name"] == "Teamdag" and renamed.json()["source"] == "manual"
    assert client.delete(f"{BASE}/closures/{cid}").json()["removed"] == cid
    assert "2026-03-16" not in {c["date"] for c in client.get(f"{BASE}/closures").json()}
    first = client.post(f"{BASE}/closures/prefill", params={"year": 2029}).json()
    assert first["added"] == len(first["closures"]) > 0
    assert client.post(f"{BASE}/closures/prefill", params={"year": 2029}).json()["added"] == 0
    problem(client.post(f"{BASE}/closures/prefill", params={"year": 1850}), 422)


def test_service_types_are_managed_and_a_breaking_duration_is_refused(
    client: TestClient, reader: sessionmaker[Session]
) -> None:
    """Create, list (inactive too), update; a much longer duration is 409 naming visits."""
    all_types = client.get(f"{BASE}/service-types").json()
    assert len(all_types) == 4
    new = {
        "code": "bijstand-intake",
        "name_nl": "Intake bijstand",
        "name_en": "Social assistance intake",
        "duration_minutes": 45,
        "skill": "wmo",
        "window_minutes": 90,
        "horizon_days": 14,
        "lead_time_hours": 48,
        "retention_days": 365,
    }
    created = client.post(f"{BASE}/service-types", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True and created.json()["description_nl"] == ""
    problem(client.post(f"{BASE}/service-types", json=new), 409)
    off = client.patch(f"{BASE}/service-types/bijstand-intake", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert len(client.get(f"{BASE}/service-types").json()) == 5
    public = client.get(f"{BASE}/services").json()
    assert "bijstand-intake" not in {s["code"] for s in public}
    _, _, mine = busiest(reader)
    with reader() as s:
        service = s.get(ServiceType, mine[0].service_type_id)
        assert service is not None
        code = service.code
    refused = problem(
        client.patch(f"{BASE}/service-types/{code}", json={"duration_minutes": 480}), 409
    )
    assert refused["affected"]
    ok = client.patch(f"{BASE}/service-types/{code}", json={"window_minutes": 150})
    assert ok.status_code == 200 and ok.json()["window_minutes"] == 150
    assert client.get(f"{BASE}/service-types/{code}").json()["duration_minutes"] != 480
    problem(client.patch(f"{BASE}/service-types/{code}", json={"duration_minutes": None}), 422)
    problem(client.get(f"{BASE}/service-types/onbekend"), 404)


def test_the_capacity_overview_is_a_matrix_with_totals(client: TestClient) -> None:
    """GET …/capacity: one row per expert with a cell per date, per-day and week totals."""
    got = client.get(f"{BASE}/capacity", params={"start": "2026-03-02", "days": 7})
    assert got.status_code == 200, got.text
    o = got.json()
    assert o["dates"][0] == "2026-03-02" and len(o["dates"]) == 7
    assert all(len(row["days"]) == 7 for row in o["experts"])
    assert o["totals"]["available_minutes"] == sum(d["available_minutes"] for d in o["days"])
    assert o["totals"]["booked_minutes"] > 0 and 0 < o["totals"]["utilisation"] < 1
    assert o["days"][6]["utilisation"] is None  # nobody works on Sunday
    problem(client.get(f"{BASE}/capacity", params={"days": 0}), 422)


def test_an_expert_of_another_municipality_is_not_found_here(
    client: TestClient, session: Session
) -> None:
    """Ids are not enough: another municipality's expert is 404 on this municipality's paths."""
    other = demo.create_municipality(
        session, size=demo.DemoSize(experts=1, addresses=20), slug="elders", name="Elders"
    )
    session.commit()
    theirs = session.scalars(select(Expert).where(Expert.municipality_id == other.id)).one()
    session.commit()  # on SQLite an open transaction would hold the write lock
    problem(client.get(f"{BASE}/experts/{theirs.id}"), 404)
    problem(client.patch(f"{BASE}/experts/{theirs.id}", json={"name": "X"}), 404)
