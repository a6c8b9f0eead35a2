"""Day plans over HTTP: optimisation modes, the plan's lifecycle state, continuity of care.

The demo municipality of :mod:`test_planning_api` (6 experts, one day booked to 30%) behind the
real app with a planner's bearer token, and the desk for follow-ups.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select
from test_planning_api import DAY, NOW, TRAVEL, World, _url, world

from api.cli import main
from api.problems import PROBLEM_JSON
from api.settings import get_settings
from scheduler.booking.models import ACTIVE_STATUSES, Offer, Visit
from scheduler.capacity.models import ExceptionKind, Expert, ShiftException
from scheduler.catalog.models import ServiceType
from scheduler.day import state as day_state
from scheduler.notify import experts as expert_messages
from scheduler.notify.models import OutboxMessage
from scheduler.planning import lifecycle
from scheduler.tenants.models import Municipality

__all__ = ["world"]  # the fixture, shared with test_planning_api


def _visits(world: World) -> dict[int, Visit]:
    with world.sessions() as s:
        query = select(Visit).where(Visit.date == DAY, Visit.status.in_(ACTIVE_STATUSES))
        return {v.id: v for v in s.scalars(query)}


def test_optimise_takes_a_mode_and_reports_working_time_and_balance(world: World) -> None:
    """No body: balanced. keep_experts moves nothing; every proposal reports its mode, moves
    and working time (travel + waiting) and balance before and after, working time never up. A
    mode that does not exist is a 422 problem."""
    c = world.client
    default = c.post(_url(f"/days/{DAY}/optimize"), headers=world.headers())
    assert default.status_code == 201, default.text
    assert default.json()["mode"] == "balanced"
    for mode in ("keep_experts", "free"):
        r = c.post(_url(f"/days/{DAY}/optimize"), json={"mode": mode}, headers=world.headers())
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["mode"] == mode
        before, after = body["before"], body["after"]
        for fig in (before, after):
            assert fig["working_seconds"] == fig["travel_seconds"] + fig["waiting_seconds"]
            durations = [e["duration_seconds"] for e in fig["experts"] if e["visits"]]
            assert fig["balance_seconds"] == max(durations) - min(durations)
        assert after["working_seconds"] <= before["working_seconds"]
        assert body["moves"] == sum(1 for m in body["moved"] if m["from_expert_id"] is not None)
        if mode == "keep_experts":
            assert body["moves"] == 0
        again = c.get(_url(f"/proposals/{body['id']}"), headers=world.headers())
        assert again.json()["mode"] == mode
    bad = c.post(_url(f"/days/{DAY}/optimize"), json={"mode": "fast"}, headers=world.headers())
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_queued_optimisation_keeps_its_mode(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The job carries the mode; the worker's proposal has it."""
    c = world.client
    queued = c.post(
        _url(f"/days/{DAY}/optimize"),
        params={"time_limit": 1},
        json={"mode": "keep_experts"},
        headers={**world.headers(), "Prefer": "respond-async"},
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["mode"] == "keep_experts"
    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        caplog.set_level(logging.INFO, logger="aanhuis.worker")
        assert main(["worker", "--once"]) == 0
    finally:
        get_settings.cache_clear()
    job = c.get(queued.headers["location"], headers=world.headers()).json()
    assert job["status"] == "done", job
    proposal = c.get(_url(f"/proposals/{job['proposal_id']}"), headers=world.headers()).json()
    assert proposal["mode"] == "keep_experts" and proposal["moves"] == 0


def test_the_plan_state_is_draft_until_16h_the_working_day_before(world: World) -> None:
    """Tuesday's plan: draft on Monday morning, freezing Monday 16:00 local (15:00 UTC)."""
    r = world.client.get(_url(f"/days/{DAY}/plan-state"), headers=world.headers())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "draft" and body["frozen_at"] is None
    assert dt.datetime.fromisoformat(body["freeze_at"]) == dt.datetime(
        2025, 3, 3, 15, 0, tzinfo=dt.UTC
    )
    assert dt.datetime.fromisoformat(body["freeze_at"]) > NOW
    today = world.client.get(_url(f"/days/{NOW.date()}/plan-state"), headers=world.headers())
    assert today.json()["state"] == "frozen"


def test_a_planner_reads_and_sets_the_freeze_and_the_plan_state_follows(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """GET gives the default (16:00, 1 working day); PUT 17:30 is stored, read back, logged with
    who changed it (no personal data), and Tuesday's draft plan now freezes Monday 17:30 local
    (16:30 UTC). Monday's plan, frozen since Friday, is stored frozen and reported."""
    c = world.client
    url = _url("/plan-freeze")
    r = c.get(url, headers=world.headers())
    assert r.status_code == 200, r.text
    assert r.json() == {"freeze_time": "16:00", "freeze_days_before": 1, "kept_frozen": []}
    caplog.set_level(logging.INFO, logger="aanhuis.planning.lifecycle")
    r = c.put(url, json={"freeze_time": "17:30", "freeze_days_before": 1}, headers=world.headers())
    assert r.status_code == 200, r.text
    assert r.json() == {
        "freeze_time": "17:30",
        "freeze_days_before": 1,
        "kept_frozen": [NOW.date().isoformat()],
    }
    again = c.get(url, headers=world.headers()).json()
    assert (again["freeze_time"], again["freeze_days_before"]) == ("17:30", 1)
    state = c.get(_url(f"/days/{DAY}/plan-state"), headers=world.headers()).json()
    assert state["state"] == "draft"
    assert dt.datetime.fromisoformat(state["freeze_at"]) == dt.datetime(
        2025, 3, 3, 16, 30, tzinfo=dt.UTC
    )
    audit = [rec.getMessage() for rec in caplog.records if "freeze of municipality" in rec.message]
    assert len(audit) == 1
    assert "17:30" in audit[0] and "was 16:00" in audit[0] and "planner:" in audit[0]


@pytest.mark.parametrize(
    "body",
    [
        {"freeze_time": "25:00", "freeze_days_before": 1},
        {"freeze_time": "7:30", "freeze_days_before": 1},
        {"freeze_time": "16:00:00", "freeze_days_before": 1},
        {"freeze_time": "16h", "freeze_days_before": 1},
        {"freeze_time": "16:00", "freeze_days_before": 6},
        {"freeze_time": "16:00", "freeze_days_before": -1},
        {"freeze_time": "16:00"},
        {"freeze_time": "16:00", "freeze_days_before": 1, "freeze_date": "2025-03-04"},
    ],
)
def test_a_bad_freeze_is_a_422_problem_and_changes_nothing(
    world: World, body: dict[str, object]
) -> None:
    """Time as HH:MM (24 h), working days 0 to 5, both fields, nothing else."""
    r = world.client.put(_url("/plan-freeze"), json=body, headers=world.headers())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    with world.sessions() as s:
        m = s.get(Municipality, world.municipality_id)
        assert m is not None
        assert (m.freeze_time, m.freeze_days_before) == (dt.time(16, 0), 1)


def test_a_planner_of_another_town_cannot_read_or_set_the_freeze(world: World) -> None:
    """403 problems for a planner of another municipality; the setting stays."""
    other = world.headers(world.other_token)
    assert world.client.get(_url("/plan-freeze"), headers=other).status_code == 403
    r = world.client.put(
        _url("/plan-freeze"), json={"freeze_time": "09:00", "freeze_days_before": 0}, headers=other
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    mine = world.client.get(_url("/plan-freeze"), headers=world.headers()).json()
    assert mine["freeze_time"] == "16:00"


def test_a_replan_of_a_frozen_day_over_the_api_tells_the_experts_whose_route_changed(
    world: World,
) -> None:
    """The API wires the expert notifier: after the freeze, a sick expert's day re-planned with
    `POST …/replan` leaves one "route changed" message per expert in `experts_notified`, linking
    to the route app's page of that day at the configured base URL."""
    with world.sessions() as s:
        m = s.get(Municipality, world.municipality_id)
        assert m is not None
        lifecycle._mark_frozen(s, m, DAY)
        load: dict[int, int] = {}
        for v in _visits(world).values():
            if v.expert_id is not None:
                load[v.expert_id] = load.get(v.expert_id, 0) + 1
        sick = max(load, key=lambda e: load[e])
        s.add(ShiftException(expert_id=sick, date=DAY, kind=ExceptionKind.SICKNESS, created_at=NOW))
        m.capacity_version += 1
        s.commit()
    r = world.client.post(_url(f"/days/{DAY}/replan"), headers=world.headers())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["frozen"] and sick in body["experts_notified"]
    with world.sessions() as s:
        messages = s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == expert_messages.ROUTE_CHANGED)
        ).all()
    assert sorted(x.expert_id or 0 for x in messages) == sorted(body["experts_notified"])
    base = world.client.app.state.settings.base_url.rstrip("/")  # type: ignore[attr-defined]
    assert all(f"{base}/expert/?datum={DAY.isoformat()}" in x.body for x in messages)


def test_a_planner_sets_and_clears_the_expert_of_a_visit(world: World) -> None:
    """Preferred, required and excluded experts are stored, reach the routing problem as the
    visit's rules, and are cleared again; an unknown expert or one both wanted and excluded is a
    422 problem and changes nothing."""
    c = world.client
    visit = next(v for v in _visits(world).values() if v.expert_id is not None)
    with world.sessions() as s:
        others = [
            e.id
            for e in s.scalars(
                select(Expert).where(Expert.municipality_id == world.municipality_id)
            )
            if e.id != visit.expert_id
        ]
    url = _url(f"/bookings/{visit.reference}/expert-preference")
    body = {
        "preferred_expert_id": visit.expert_id,
        "required_expert_id": None,
        "excluded_expert_ids": [others[0]],
    }
    r = c.post(url, json=body, headers=world.headers())
    assert r.status_code == 200, r.text
    assert r.json()["preferred_expert_id"] == visit.expert_id
    assert r.json()["excluded_expert_ids"] == [others[0]]
    assert c.get(url, headers=world.headers()).json() == r.json()
    with world.sessions() as s:
        m = s.get(Municipality, world.municipality_id)
        assert m is not None
        problem, _, _ = day_state.problem_of(day_state.load_day(s, m, DAY), TRAVEL)
        rv = problem.visit(visit.id)
        assert rv.preferred_vehicle == visit.expert_id
        assert rv.excluded_vehicles == frozenset({others[0]})
    for wrong in (
        {"preferred_expert_id": others[0], "excluded_expert_ids": [others[0]]},
        {"required_expert_id": 10**6},
    ):
        refused = c.post(url, json=wrong, headers=world.headers())
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    assert c.get(url, headers=world.headers()).json() == r.json()
    cleared = c.post(url, json={}, headers=world.headers())
    assert cleared.status_code == 200
    assert cleared.json()["preferred_expert_id"] is None
    assert cleared.json()["excluded_expert_ids"] == []


def test_a_follow_up_offers_the_earlier_experts_windows_first_and_prefers_them(
    world: World,
) -> None:
    """Desk offers for a follow-up of a visit list that visit's expert's windows first; booking
    one records the follow-up and the preferred expert."""
    c = world.client
    earlier = next(v for v in _visits(world).values() if v.expert_id is not None)
    with world.sessions() as s:
        code = s.scalar(select(Visit.service_type_id).where(Visit.id == earlier.id))
        service = s.get(ServiceType, code)
        assert service is not None
        service_code = service.code
    found = c.post(
        _url("/desk/offers"),
        json={
            "service": service_code,
            "location": {"lat": earlier.lat, "lon": earlier.lon},
            "limit": 6,
            "follow_up_of": earlier.reference,
        },
        headers=world.headers(),
    )
    assert found.status_code == 200, found.text
    offers = found.json()["offers"]
    with world.sessions() as s:
        experts = [s.get_one(Offer, o["id"]).expert_id for o in offers]
    theirs = [e == earlier.expert_id for e in experts]
    assert theirs[0], experts
    # Theirs first, then the others: never one of theirs after another expert's.
    assert theirs == sorted(theirs, reverse=True)
    booked = c.post(
        _url("/desk/bookings"),
        json={
            "offer_id": offers[0]["id"],
            "citizen": {"name": "Mevrouw Jansen", "phone": "06 12345678"},
            "follow_up_of": earlier.reference,
        },
        headers=world.headers(),
    )
    assert booked.status_code == 201, booked.text
    with world.sessions() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == booked.json()["reference"])).one()
        assert visit.follow_up_of == earlier.id
        assert visit.preferred_expert_id == earlier.expert_id
    # Moving the follow-up later: its preferred expert's windows come first again.
    moving = c.post(
        _url("/desk/offers"),
        json={"reschedule_of": booked.json()["reference"], "limit": 6},
        headers=world.headers(),
    )
    assert moving.status_code == 200, moving.text
    with world.sessions() as s:
        first = s.get_one(Offer, moving.json()["offers"][0]["id"])
        assert first.expert_id == earlier.expert_id
    unknown = c.post(
        _url("/desk/offers"),
        json={
            "service": service_code,
            "location": {"lat": 52.0, "lon": 5.0},
            "follow_up_of": "AH-XXXX",
        },
        headers=world.headers(),
    )
    assert unknown.status_code == 404
