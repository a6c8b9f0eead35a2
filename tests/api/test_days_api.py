"""Planner day export: the routing problem and the current plan in VROOM's formats.

``aanhuis route check problem.json plan.json`` must accept what the API exports; vehicle ids are
expert ids, job ids visit ids, and every job carries the window promised to the citizen.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import citizen_world as world
import pytest
from citizen_world import AMS, DAY, NOW, api_client, day_export
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cli import main
from scheduler import clock
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.day import shifts as day_shifts
from scheduler.db import make_engine, make_sessionmaker
from scheduler.planning.models import ExpertDay
from scheduler.tenants import service as tenants

DAYS = [NOW.date() + dt.timedelta(days=d) for d in (1, 2, 3)]


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


@pytest.fixture
def token(url: str) -> str:
    return world.planner_token(url)


def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_route_check_accepts_every_days_export(
    client: TestClient, token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """For each demo day, ``aanhuis route check`` accepts the exported plan for the exported
    problem, and counts every booked visit as served."""
    for day in DAYS:
        problem, plan = day_export(client, token, day)
        p = _write(tmp_path, f"problem-{day}.json", problem)
        s = _write(tmp_path, f"plan-{day}.json", plan)
        code = main(["route", "check", str(p), str(s)])
        out, _ = capsys.readouterr()
        assert code == 0, out
        assert out.startswith("OK:")
        assert f"{len(problem['jobs'])} jobs served, 0 unassigned" in out


def test_route_check_command_line(client: TestClient, token: str, tmp_path: Path) -> None:
    """The installed ``aanhuis`` command checks the export too (exit 0, one OK line)."""
    problem, plan = day_export(client, token, DAY)
    p = _write(tmp_path, "problem.json", problem)
    s = _write(tmp_path, "plan.json", plan)
    aanhuis = Path(sys.executable).with_name("aanhuis")
    done = subprocess.run(
        [str(aanhuis), "route", "check", str(p), str(s)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK:")


def test_problem_holds_the_days_experts_and_promises(
    client: TestClient, token: str, db: Session
) -> None:
    """Vehicles are the experts working that day, jobs the day's active visits with their promised
    windows (seconds since local midnight) and their coordinates [lon, lat]."""
    problem, plan = day_export(client, token, DAYS[0])
    m = tenants.get_by_slug(db, "demo")
    shifts = day_shifts.shifts_between(db, municipality=m, first=DAYS[0], last=DAYS[0])
    visits = {
        v.id: v
        for v in db.scalars(
            select(Visit).where(Visit.date == DAYS[0], Visit.status.in_(ACTIVE_STATUSES))
        )
    }
    orders = {
        d.expert_id: [int(s["id"]) for s in d.stops if s["type"] == "visit"]
        for d in db.scalars(select(ExpertDay).where(ExpertDay.date == DAYS[0]))
    }
    db.rollback()
    assert visits, "the demo booked nothing that day: the test proves nothing"
    assert sorted(v["id"] for v in problem["vehicles"]) == sorted(e for e, _ in shifts)
    assert sorted(j["id"] for j in problem["jobs"]) == sorted(visits)
    midnight = clock.local_midnight(DAYS[0], AMS)
    for job in problem["jobs"]:
        visit = visits[job["id"]]
        promised = [
            clock.to_seconds(visit.window_start, midnight),
            clock.to_seconds(visit.window_end, midnight),
        ]
        assert job["time_windows"] == [promised]
        assert job["location"] == [visit.lon, visit.lat]
        assert job["service"] == visit.duration_minutes * 60
    for vehicle in problem["vehicles"]:
        shift = shifts[(vehicle["id"], DAYS[0])]
        assert vehicle["time_window"] == [
            clock.to_seconds(shift.start, midnight),
            clock.to_seconds(shift.end, midnight),
        ]
    # The plan drives each expert's stop order as stored.
    for route in plan["routes"]:
        served = [s["id"] for s in route["steps"] if s["type"] == "job"]
        assert served == orders[route["vehicle"]]


def test_visit_in_no_plan_is_unassigned(
    client: TestClient, token: str, db: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A booked visit no expert holds (as after a disruption) is listed as unassigned, and the
    plan still passes the checker."""
    days = db.scalars(
        select(ExpertDay).where(ExpertDay.date == DAYS[0]).order_by(ExpertDay.id)
    ).all()
    day = next(d for d in days if any(s["type"] == "visit" for s in d.stops))
    dropped = next(int(s["id"]) for s in day.stops if s["type"] == "visit")
    day.stops = [s for s in day.stops if not (s["type"] == "visit" and int(s["id"]) == dropped)]
    visit = db.get(Visit, dropped)
    assert visit is not None
    visit.expert_day_id = None
    visit.expert_id = None
    db.commit()
    problem, plan = day_export(client, token, DAYS[0])
    assert [u["id"] for u in plan["unassigned"]] == [dropped]
    assert dropped in {j["id"] for j in problem["jobs"]}
    p = _write(tmp_path, "problem.json", problem)
    s = _write(tmp_path, "plan.json", plan)
    assert main(["route", "check", str(p), str(s)]) == 0, capsys.readouterr().out


def test_only_this_municipalitys_planners(client: TestClient, token: str, url: str) -> None:
    """No token: 401; an expert, or a planner of another municipality: 403; all problem+json."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        m = tenants.get_by_slug(session, "demo")
        expert = day_shifts.get_experts(session, municipality=m)[0]
        _, expert_token = accounts.create(
            session, name="E", role=Role.EXPERT, municipality=m, expert_id=expert.id
        )
        other = world.demo.create_municipality(session, size=world.SIZE, slug="elders")
        _, other_token = accounts.create(session, name="P", role=Role.PLANNER, municipality=other)
        session.commit()
    engine.dispose()
    path = f"/api/v1/municipalities/demo/days/{DAY.isoformat()}/plan"
    cases = [
        ({}, 401),
        ({"Authorization": f"Bearer {expert_token}"}, 403),
        ({"Authorization": f"Bearer {other_token}"}, 403),
        ({"Authorization": f"Bearer {token}"}, 200),
    ]
    for headers, status in cases:
        answer = client.get(path, headers=headers)
        assert answer.status_code == status, answer.text
        if status != 200:
            assert answer.headers["content-type"].startswith("application/problem+json")


def test_bad_dates_are_422(client: TestClient, token: str) -> None:
    """A date that is no date, or one far outside any plan: 422 problem."""
    headers = {"Authorization": f"Bearer {token}"}
    for date in ("2026-13-01", "yesterday", "0001-01-01", "9999-12-31"):
        answer = client.get(
            f"/api/v1/municipalities/demo/days/{date}/routing-problem", headers=headers
        )
        assert answer.status_code == 422, (date, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_empty_day(client: TestClient, token: str) -> None:
    """A Sunday: no experts work, nothing is planned; still valid VROOM JSON."""
    sunday = dt.date(2026, 12, 6)
    problem, plan = day_export(client, token, sunday)
    assert problem["vehicles"] == [] and problem["jobs"] == []
    assert plan["routes"] == [] and plan["unassigned"] == []
