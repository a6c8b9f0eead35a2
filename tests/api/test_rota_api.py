"""Rota API: forecast, shift types, contracts, minimum cover, proposals and applying them.

The demo (6 experts, 7 days booked to 30%) with contracts and demand history, on a frozen clock:
Monday 2 March 2026, 07:00 in Utrecht. Errors are problem+json.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from support import SeedDemo

from api.app import create_app
from api.settings import Settings
from routing.travel import HaversineTravel
from scheduler import demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.db import make_engine, make_sessionmaker
from scheduler.rota import jobs as rota_jobs
from scheduler.tenants.models import Municipality

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
SIZE = demo.DemoSize(experts=6, days=7, fill=0.3, addresses=300)
BASE = "/api/v1/municipalities/demo"
PROBLEM = "application/problem+json"


@pytest.fixture
def seeded(seed_demo: SeedDemo, session: Session, frozen: object) -> Municipality:
    m = session.get_one(Municipality, seed_demo(SIZE, NOW))
    demo.fill_rota(session, m)
    demo.fill_demand(session, m)
    return m


@pytest.fixture
def client(db_url: str, session: Session, seeded: Municipality) -> Iterator[TestClient]:
    _, token = accounts.create(session, name="Planner", role=Role.PLANNER, municipality=seeded)
    session.commit()
    app = create_app(Settings(database_url=db_url, base_url="https://aanhuis.example"))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c
    app.state.engine.dispose()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_propose_read_and_apply(client: TestClient) -> None:
    """A 2-week proposal answers 201 with every shift (ISO datetimes with offset); reading it
    gives the same; applying answers applied, and a second apply 409."""
    made = client.post(
        f"{BASE}/rota/proposals", json={"start": "2026-03-09", "weeks": 2, "time_limit": 5}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "open" and body["feasible"] is True
    assert body["assignments"]
    first = body["assignments"][0]
    assert set(first) >= {"expert_id", "date", "start", "end", "pattern"}
    assert dt.datetime.fromisoformat(first["start"]).utcoffset() == dt.timedelta(hours=1)
    assert {"before", "after"} <= set(body["coverage"]) and {"before", "after"} <= set(
        body["fairness"]
    )
    read = client.get(f"{BASE}/rota/proposals/{body['id']}").json()
    assert read["assignments"] == body["assignments"]
    # The proposal lists exactly the visits applying re-plans: re-planning is asked for only
    # when it lists some (else applying would answer 409 naming them).
    replan = "?replan=true" if body["replan"] else ""
    applied = client.post(f"{BASE}/rota/proposals/{body['id']}/apply{replan}")
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied"
    problem(client.post(f"{BASE}/rota/proposals/{body['id']}/apply"), 409)


def test_an_over_constrained_rota_is_marked_infeasible_in_words(client: TestClient) -> None:
    """Minimum cover no team can give: the proposal is infeasible with its reason in words, and
    applying it answers 409."""
    put = client.put(
        f"{BASE}/rota/minimums", json=[{"skill": "wmo", "part": "saturday", "experts": 9}]
    )
    assert put.status_code == 200, put.text
    body = client.post(
        f"{BASE}/rota/proposals", json={"start": "2026-03-09", "weeks": 2, "time_limit": 5}
    ).json()
    assert body["feasible"] is False
    assert body["reasons"][0]["text"].startswith(
        "Week 1: no further expert with skill wmo may work on Saturday"
    )
    assert body["reasons"][0]["text_nl"].startswith("Week 1: geen medewerker met vaardigheid wmo")
    problem(client.post(f"{BASE}/rota/proposals/{body['id']}/apply"), 409)


@pytest.mark.parametrize(
    "payload",
    [
        {"start": "2026-03-09", "weeks": 9},
        {"start": "2026-03-09", "weeks": 1},
        {"start": "2026-03-01", "weeks": 2},
        {"start": "not a date", "weeks": 2},
    ],
)
def test_bad_horizons_are_422(client: TestClient, payload: dict[str, Any]) -> None:
    """Too many or too few weeks, a start in the past, or no date: 422 problem+json."""
    problem(client.post(f"{BASE}/rota/proposals", json=payload), 422)


def test_contracts_and_shift_types_round_trip(client: TestClient) -> None:
    """A contract and shift types put are read back; a shift type over 12 hours is 422."""
    expert_id = client.get(f"{BASE}/experts").json()[0]["id"]
    contract = {
        "hours_per_week": 24,
        "tolerance_hours": 2,
        "max_evenings_per_week": 1,
        "max_saturdays_per_month": 1,
        "evenings": "cannot",
        "day_off": 4,
    }
    put = client.put(f"{BASE}/experts/{expert_id}/contract", json=contract)
    assert put.status_code == 200, put.text
    got = client.get(f"{BASE}/experts/{expert_id}/contract").json()
    assert {k: got[k] for k in contract} == contract and got["stored"] is True
    types = [
        {
            "code": "day",
            "name": "Dag",
            "start": "08:00",
            "end": "16:30",
            "break_minutes": 30,
            "break_earliest": "12:00",
            "break_latest": "13:00",
            "weekdays": [0, 1, 2, 3, 4],
        }
    ]
    assert client.put(f"{BASE}/rota/shift-types", json=types).status_code == 200
    (read,) = client.get(f"{BASE}/rota/shift-types").json()
    assert read["hours"] == 8.0
    too_long = [{**types[0], "start": "07:00", "end": "20:00"}]
    problem(client.put(f"{BASE}/rota/shift-types", json=too_long), 422)


def test_the_forecast_table_has_demand_and_capacity(client: TestClient) -> None:
    """The forecast answers rows per week, part and skill with demand and current capacity in
    expert-hours; evening demand is there (unmet evening searches), with a backtest."""
    got = client.get(f"{BASE}/rota/forecast", params={"start": "2026-03-09", "weeks": 4})
    assert got.status_code == 200, got.text
    body = got.json()
    totals = [r for r in body["rows"] if r["skill"] is None]
    assert len(totals) == 4 * 4
    assert sum(r["demand_hours"] for r in totals if r["part"] == "evening") > 0
    assert sum(r["capacity_hours"] for r in totals) > 0
    assert body["backtest"]["weeks"] >= 1


def test_respond_async_queues_for_the_worker(client: TestClient, db_url: str) -> None:
    """With ``Prefer: respond-async`` the answer is 202 with the proposal queued and its
    Location; applying it is refused until the worker solved it, then it reads as open with its
    shifts."""
    made = client.post(
        f"{BASE}/rota/proposals",
        json={"start": "2026-03-09", "weeks": 2, "time_limit": 5},
        headers={"Prefer": "respond-async"},
    )
    assert made.status_code == 202, made.text
    body = made.json()
    assert body["status"] == "queued" and body["assignments"] == []
    assert made.headers["Location"].endswith(f"/rota/proposals/{body['id']}")
    problem(client.post(f"{BASE}/rota/proposals/{body['id']}/apply"), 409)
    engine = make_engine(db_url)
    try:
        assert rota_jobs.run_pending(make_sessionmaker(engine), HaversineTravel()) == 1
    finally:
        engine.dispose()
    read = client.get(made.headers["Location"]).json()
    assert read["status"] == "open" and read["feasible"] is True and read["assignments"]
