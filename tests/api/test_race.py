"""Forty citizens book the same day at the same moment, against a real server with four workers.

Only PostgreSQL has the row locks (and the exclusion constraint) this is about; SQLite serialises
all writers anyway. The municipality has three experts (two do Wmo intakes), so the day runs out
of room and some bookings must be refused: each request gets 201 or 409, never anything else,
and what was written is whole and consistent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from support import free_port

from api.cli import main
from routing.check import check
from routing.vroom import problem_from_vroom
from scheduler import demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.addresses.models import Address
from scheduler.booking.models import ACTIVE_STATUSES, Offer, SpentOffer, Visit, VisitEvent
from scheduler.day import shifts as day_shifts
from scheduler.db import make_engine, make_sessionmaker
from scheduler.notify.models import OutboxMessage
from scheduler.planning.models import ExpertDay, PlanningDay

CITIZENS = 40
WORKERS = 4


def _seed(url: str) -> tuple[dt.date, list[tuple[str, int]], str]:
    """Three experts, nothing booked; the first working weekday at least two days ahead.

    Returns that day, forty addresses and a planner token. The server runs on the real clock,
    so the day is chosen from today.
    """
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            m = demo.create_municipality(session, size=demo.DemoSize(experts=3, days=2, fill=0.0))
            session.flush()
            today = dt.date.today()
            shifts = day_shifts.shifts_between(
                session, municipality=m, first=today, last=today + dt.timedelta(days=14)
            )
            day = min(
                d
                for (_, d) in shifts
                if d >= today + dt.timedelta(days=2)
                and sum(1 for (e, dd) in shifts if dd == d) == 3
            )
            homes = [
                (a.postcode, a.house_number)
                for a in session.scalars(select(Address).order_by(Address.id))
            ]
            _, token = accounts.create(session, name="P", role=Role.PLANNER, municipality=m)
            session.commit()
    finally:
        engine.dispose()
    return day, random.Random(3).sample(homes, CITIZENS), token


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``aanhuis serve --workers 4`` on the test's database; yields (base URL, database URL)."""
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    env = {
        **os.environ,
        "AANHUIS_DATABASE_URL": db_url,
        "AANHUIS_LOG_LEVEL": "WARNING",
        "AANHUIS_SMTP_HOST": "",
    }
    aanhuis = Path(sys.executable).with_name("aanhuis")
    proc = subprocess.Popen(
        [str(aanhuis), "serve", "--workers", str(WORKERS), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start in 90 s"
            time.sleep(0.3)
        yield base, db_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.slow
def test_forty_citizens_race_for_one_day(server: tuple[str, str], tmp_path: Path) -> None:
    """Forty simultaneous bookings on one day: each gets 201 or 409; every booked visit is in the
    day's plan exactly once; the exported plan passes ``aanhuis route check``; nothing is
    half-written."""
    base, url = server
    day, homes, token = _seed(url)
    api = f"{base}/api/v1/municipalities/demo"
    held: list[str] = []
    offered = 0
    with httpx.Client(timeout=60) as client:
        for i, (postcode, number) in enumerate(homes):
            answer = client.post(
                f"{api}/offers",
                json={
                    "service": "wmo-intake",
                    "address": {"postcode": postcode, "house_number": number},
                    "earliest": day.isoformat(),
                    "latest": day.isoformat(),
                },
            )
            assert answer.status_code == 200, answer.text
            found = answer.json()["offers"]
            assert found, "every citizen is offered a window while the day is still empty"
            offered += len(found)
            held.append(found[i % len(found)]["id"])  # spread over the day's windows

    barrier = threading.Barrier(CITIZENS)
    answers: list[Any] = [None] * CITIZENS

    def citizen(i: int) -> None:
        with httpx.Client(timeout=120) as client:
            body = {
                "offer_id": held[i],
                "citizen": {"name": f"Burger {i}", "phone": f"06{10_000_000 + i}"},
            }
            barrier.wait()
            answers[i] = client.post(
                f"{api}/bookings", json=body, headers={"Idempotency-Key": f"race-{i}"}
            )

    threads = [threading.Thread(target=citizen, args=(i,)) for i in range(CITIZENS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)]
    assert statuses[201] > 0 and statuses[409] > 0, statuses
    refused = [a.json() for a in answers if a.status_code == 409]
    assert all("alternatives" in p for p in refused)
    booked = {a.json()["reference"] for a in answers if a.status_code == 201}
    assert len(booked) == statuses[201]

    # The plan the API exports passes the checker, and serves every booked visit.
    with httpx.Client(timeout=60) as client:
        headers = {"Authorization": f"Bearer {token}"}
        problem = client.get(f"{api}/days/{day}/routing-problem", headers=headers).json()
        plan = client.get(f"{api}/days/{day}/plan", headers=headers).json()
    problem_file, plan_file = tmp_path / "problem.json", tmp_path / "plan.json"
    problem_file.write_text(json.dumps(problem))
    plan_file.write_text(json.dumps(plan))
    assert main(["route", "check", str(problem_file), str(plan_file)]) == 0
    assert [str(v) for v in check(problem_from_vroom(problem), plan)] == []
    assert plan["unassigned"] == []

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            visits = list(db.scalars(select(Visit).where(Visit.date == day)))
            assert {v.reference for v in visits} == booked
            assert all(v.status in ACTIVE_STATUSES for v in visits)
            days = {
                d.expert_id: d for d in db.scalars(select(ExpertDay).where(ExpertDay.date == day))
            }
            held_by = Counter(
                int(s["id"]) for d in days.values() for s in d.stops if s["type"] == "visit"
            )
            # Every booked visit sits in exactly one expert's stop order, the one it points at.
            assert sorted(held_by) == sorted(v.id for v in visits)
            assert set(held_by.values()) == {1}
            for v in visits:
                assert v.expert_day_id is not None and v.expert_id is not None
                assert days[v.expert_id].id == v.expert_day_id
                stops = [int(s["id"]) for s in days[v.expert_id].stops if s["type"] == "visit"]
                assert v.id in stops
            # One version bump per booking: the day's and the expert-days' counters agree.
            version = db.scalar(select(PlanningDay.version).where(PlanningDay.date == day))
            assert version == len(visits)
            assert sum(d.version for d in days.values()) == len(visits)
            # No orphans: one "booked" event and one confirmation per visit, nothing else.
            events = Counter(
                db.scalars(
                    select(VisitEvent.visit_id).where(
                        VisitEvent.visit_id.in_([v.id for v in visits])
                    )
                )
            )
            assert events == Counter({v.id: 1 for v in visits})
            assert db.scalar(select(func.count(VisitEvent.id))) == len(visits)
            assert db.scalar(select(func.count(OutboxMessage.id))) == len(visits)
            assert db.scalar(select(func.count(Visit.id))) == len(visits)
            # Offers to anonymous clients are sealed, never stored; each booked one left its
            # digest (so it cannot book twice), the refused ones nothing.
            assert db.scalar(select(func.count(Offer.id))) == 0
            assert db.scalar(select(func.count(SpentOffer.digest))) == len(visits)
            assert offered > len(visits)
    finally:
        engine.dispose()
