"""Planning over HTTP: optimise a day, read and apply the proposal, re-plan after a disruption.

The demo municipality (6 experts, one day booked to 30%) behind the real app, with a planner's
bearer token. The applied plan is written to VROOM JSON files and judged by ``aanhuis route
check``, as a planner could do by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.cli import main
from api.problems import PROBLEM_JSON
from api.settings import Settings, get_settings
from routing.model import Route, Solution, StepType
from routing.replay import replay
from routing.travel import HaversineTravel
from routing.vroom import problem_to_vroom, solution_to_vroom
from scheduler import clock, demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.addresses.models import Address
from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity.models import ExceptionKind, ShiftException
from scheduler.catalog.models import ServiceType
from scheduler.day import state as day_state
from scheduler.geocoding import Place
from scheduler.notify.models import OutboxMessage
from scheduler.planning.models import Proposal
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases

NOW = dt.datetime(2025, 3, 3, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Amsterdam
DAY = dt.date(2025, 3, 4)
TRAVEL = HaversineTravel()


@dataclass
class World:
    client: TestClient
    sessions: sessionmaker[Session]
    municipality_id: int
    token: str
    other_token: str

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


@pytest.fixture
def world(db_url: str, sessions: sessionmaker[Session]) -> Iterator[World]:
    """The demo town with its bookings, a planner of it and a planner of another town."""
    previous = clock.set_clock(lambda: NOW)
    size = demo.DemoSize(experts=6, days=1, fill=0.3, addresses=300)
    with sessions() as s:
        m = demo.create_municipality(s, size=size, today=NOW.date())
        other = demo.create_municipality(
            s, size=demo.DemoSize(experts=1, addresses=20), slug="elders"
        )
        _, token = accounts.create(s, name="Planner", role=Role.PLANNER, municipality=m)
        _, other_token = accounts.create(s, name="Elders", role=Role.PLANNER, municipality=other)
        s.commit()
        demo.fill_bookings(s, m, size=size, travel=TRAVEL)
        town = m.id
    app = create_app(Settings(database_url=db_url, optimize_time_limit=1.5))
    with TestClient(app) as client:
        yield World(client, sessions, town, token, other_token)
    app.state.engine.dispose()
    clock.set_clock(previous)


def _url(path: str) -> str:
    return f"/api/v1/municipalities/demo{path}"


def _export(s: Session, town: int, folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """The stored day as VROOM problem and solution files (replay of the stored stop orders)."""
    m = s.get(Municipality, town)
    assert m is not None
    state = day_state.load_day(s, m, DAY)
    problem, _, orders = day_state.problem_of(state, TRAVEL)
    routes: list[Route] = []
    served: set[int] = set()
    for eid, stops in orders.items():
        if any(k is StepType.VISIT for k, _ in stops):
            routes.append(replay(problem, problem.vehicle(eid), stops).route)
            served.update(i for k, i in stops if k is StepType.VISIT)
    solution = Solution(tuple(routes), tuple(v.id for v in problem.visits if v.id not in served))
    instance, plan = folder / "problem.json", folder / "plan.json"
    instance.write_text(json.dumps(problem_to_vroom(problem)))
    plan.write_text(json.dumps(solution_to_vroom(problem, solution)))
    return instance, plan


def test_optimise_read_apply_and_check_the_day(
    world: World, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """POST optimize answers 201 with a proposal (figures before/after, travel not up); GET
    returns it; apply answers 200 once, then 409; `aanhuis route check` accepts the stored day."""
    c = world.client
    r = c.post(_url(f"/days/{DAY}/optimize"), headers=world.headers())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["date"] == str(DAY) and body["status"] == "open"
    assert body["after"]["travel_seconds"] <= body["before"]["travel_seconds"]
    assert body["after"]["visits_assigned"] >= body["before"]["visits_assigned"] > 0
    assert {e["expert_id"] for e in body["before"]["experts"]} == {
        r["expert_id"] for r in body["routes"]
    }
    assigned = sum(1 for r in body["routes"] for s in r["stops"] if s["type"] == "visit")
    assert assigned == body["after"]["visits_assigned"]

    got = c.get(_url(f"/proposals/{body['id']}"), headers=world.headers())
    assert got.status_code == 200 and got.json() == body

    applied = c.post(_url(f"/proposals/{body['id']}/apply"), headers=world.headers())
    assert applied.status_code == 200, applied.text
    assert applied.json()["status"] == "applied"
    again = c.post(_url(f"/proposals/{body['id']}/apply"), headers=world.headers())
    assert again.status_code == 409
    assert again.headers["content-type"].startswith(PROBLEM_JSON)

    with world.sessions() as s:
        instance, plan = _export(s, world.municipality_id, tmp_path)
    capsys.readouterr()
    assert main(["route", "check", str(instance), str(plan)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and f"{assigned} jobs served" in out


def test_apply_after_a_booking_is_refused(world: World) -> None:
    """A booking lands between optimise and apply: apply answers 409 (problem+json) and the
    booking is in the plan."""
    c = world.client
    proposal = c.post(_url(f"/days/{DAY}/optimize?time_limit=1"), headers=world.headers()).json()
    with world.sessions() as s:
        m = s.get(Municipality, world.municipality_id)
        assert m is not None
        found: list[offers.Candidate] = []
        services = s.scalars(select(ServiceType).where(ServiceType.municipality_id == m.id))
        register = s.scalars(select(Address).where(Address.municipality_id == m.id)).all()
        for service in services:
            for a in register[:30]:
                place = Place(a.lat, a.lon, a.postcode, a.house_number, None, a.street, a.city)
                found = offers.find_candidates(
                    s,
                    municipality=m,
                    service=service,
                    place=place,
                    travel=TRAVEL,
                    earliest=DAY,
                    latest=DAY,
                )
                if found:
                    break
            if found:
                break
        assert found
        (offer,) = offers.create_offers(
            s, municipality=m, service=service, place=place, chosen=found[:1], hold_minutes=10
        )
        s.commit()
        visit = booking_usecases.book(
            s,
            municipality=m,
            offer_id=offer.id,
            citizen=booking.Citizen(name="Test Burger", phone="0612345678"),
            notes=None,
            idempotency_key=None,
            travel=TRAVEL,
        ).visit
    r = c.post(_url(f"/proposals/{proposal['id']}/apply"), headers=world.headers())
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert (
        c.get(_url(f"/proposals/{proposal['id']}"), headers=world.headers()).json()["status"]
        == "stale"
    )
    with world.sessions() as s:
        assert s.get(Visit, visit.id).expert_day_id is not None  # type: ignore[union-attr]


def test_planning_needs_this_municipalitys_planner(world: World) -> None:
    """Without a token: 401; a planner of another municipality: 403; an unknown proposal: 404;
    a past date: 422."""
    c = world.client
    assert c.post(_url(f"/days/{DAY}/optimize")).status_code == 401
    other = world.headers(world.other_token)
    assert c.post(_url(f"/days/{DAY}/optimize"), headers=other).status_code == 403
    assert c.post(_url(f"/days/{DAY}/replan"), headers=other).status_code == 403
    assert c.get(_url("/proposals/nope"), headers=world.headers()).status_code == 404
    assert c.post(_url("/proposals/nope/apply"), headers=world.headers()).status_code == 404
    past = NOW.date() - dt.timedelta(days=1)
    assert c.post(_url(f"/days/{past}/optimize"), headers=world.headers()).status_code == 422


def test_replan_after_sickness_moves_or_lists_and_queues_messages(world: World) -> None:
    """The busiest expert falls ill; POST replan: each of their visits is moved to a colleague or
    listed with alternatives and a queued "disruption" message in the outbox."""
    with world.sessions() as s:
        visits = s.scalars(
            select(Visit).where(Visit.date == DAY, Visit.status.in_(ACTIVE_STATUSES))
        ).all()
        load: dict[int, set[int]] = {}
        for v in visits:
            if v.expert_id is not None:
                load.setdefault(v.expert_id, set()).add(v.id)
        sick, theirs = max(load.items(), key=lambda kv: len(kv[1]))
        s.add(ShiftException(expert_id=sick, date=DAY, kind=ExceptionKind.SICKNESS, created_at=NOW))
        m = s.get(Municipality, world.municipality_id)
        assert m is not None
        m.capacity_version += 1
        s.commit()
    r = world.client.post(_url(f"/days/{DAY}/replan?time_limit=1"), headers=world.headers())
    assert r.status_code == 200, r.text
    body = r.json()
    listed = {x["visit_id"] for x in body["listed"]}
    moved = {x["visit_id"] for x in body["moved"] if x["from_expert_id"] == sick}
    assert moved | listed == theirs and not moved & listed
    assert all(x["notified"] and x["alternatives"] for x in body["listed"])
    assert body["kept"] + len(listed) == len(visits)
    with world.sessions() as s:
        queued = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "disruption")).all()
        assert sorted(q.visit_id for q in queued) == sorted(listed)  # type: ignore[type-var]


def _minutes(text: str) -> int:
    hours, minutes = text.removesuffix("m").split("h")
    return int(hours) * 60 + int(minutes)


def test_plan_command_prints_figures_and_applies(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`aanhuis plan --apply` prints the before/after table and applies the proposal (exit 0);
    an unknown municipality is exit 2 with one line on stderr."""
    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        capsys.readouterr()
        code = main(
            ["plan", "--municipality", "demo", "--date", str(DAY), "--apply", "--time-limit", "1"]
        )
        out = capsys.readouterr().out
        assert code == 0, out
        lines = out.splitlines()
        assert lines[0].startswith("proposal ") and f"on {DAY}" in lines[0]
        travel = next(line for line in lines if line.startswith("travel"))
        before, after = (_minutes(t) for t in travel.split()[1:])
        assert after <= before
        assert lines[-1].startswith("applied: ")
        with world.sessions() as s:
            statuses = s.scalars(select(Proposal.status)).all()
        assert statuses == ["applied"]
        assert main(["plan", "--municipality", "nergens", "--date", str(DAY)]) == 2
        assert capsys.readouterr().err.startswith("error: ")
    finally:
        get_settings.cache_clear()


def test_optimise_queued_for_a_worker(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`Prefer: respond-async` answers 202 with the job and its Location; `aanhuis worker --once`
    runs it; the job then names an open proposal that applies. Another town's planner gets 404
    for the job, as for any of this town's things."""
    c = world.client
    queued = c.post(
        _url(f"/days/{DAY}/optimize"),
        params={"time_limit": 1},
        headers={**world.headers(), "Prefer": "respond-async"},
    )
    assert queued.status_code == 202, queued.text
    assert queued.headers["preference-applied"] == "respond-async"
    job = queued.json()
    assert job["status"] == "queued" and job["proposal_id"] is None
    assert job["time_limit"] == 1
    location = queued.headers["location"]
    assert location == _url(f"/optimisation-jobs/{job['id']}")
    assert c.get(location, headers=world.headers()).json()["status"] == "queued"
    with world.sessions() as s:
        assert s.scalars(select(Proposal)).all() == []

    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        caplog.set_level(logging.INFO, logger="aanhuis.worker")
        assert main(["worker", "--once"]) == 0
        assert "ran 1 optimisation job(s)" in caplog.text
    finally:
        get_settings.cache_clear()

    done = c.get(location, headers=world.headers()).json()
    assert done["status"] == "done", done
    assert done["attempts"] == 1 and done["finished_at"] is not None
    proposal = c.get(_url(f"/proposals/{done['proposal_id']}"), headers=world.headers())
    assert proposal.status_code == 200 and proposal.json()["status"] == "open"
    applied = c.post(_url(f"/proposals/{done['proposal_id']}/apply"), headers=world.headers())
    assert applied.status_code == 200 and applied.json()["status"] == "applied"

    elsewhere = c.get(location, headers=world.headers(world.other_token))
    assert elsewhere.status_code in (403, 404)
    assert elsewhere.headers["content-type"].startswith(PROBLEM_JSON)
    past = c.post(
        _url(f"/days/{NOW.date() - dt.timedelta(days=1)}/optimize"),
        headers={**world.headers(), "Prefer": "respond-async"},
    )
    assert past.status_code == 422
    assert past.headers["content-type"].startswith(PROBLEM_JSON)
