"""A small demo municipality for the citizen API's tests (offers, bookings, days, race).

Four experts over three days, 30% booked through the real offer and booking code, on a frozen
clock: Monday 30 November 2026, 07:00 in Utrecht. Offers start the next day (24 hours' lead
time); Wednesday 2 December was left mostly free for Wmo intakes, so it can be filled up.

Seeding takes seconds, so it happens once per backend and process: later tests get a copy (SQLite
copies the file, PostgreSQL clones the database with ``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import support
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import Settings
from routing.check import check
from routing.travel import HaversineTravel
from routing.vroom import problem_from_vroom
from scheduler import clock, demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.addresses.models import Address
from scheduler.db import make_engine, make_sessionmaker
from scheduler.tenants import service as tenants

NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3)
#: A Wednesday the demo left mostly free for Wmo intakes.
DAY = dt.date(2026, 12, 2)
AMS = clock.zone("Europe/Amsterdam")
SLUG = "demo"
SERVICES = ("wmo-intake", "overlijden-aan-huis", "id-bezorging", "schuldhulp-intake")
TRAVEL = HaversineTravel()


def frozen_clock(start: dt.datetime = NOW) -> AbstractContextManager[list[dt.datetime]]:
    """Freeze the clock at ``start``; move it by assigning to ``holder[0]``."""
    return support.frozen_clock(start)


def _seed(url: str) -> support.Facts:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session, frozen_clock():
            m = demo.create_municipality(session, size=SIZE, slug=SLUG)
            session.commit()
            demo.fill_bookings(session, m, size=SIZE, travel=TRAVEL)
            session.commit()
            return {"municipality_id": m.id}
    finally:
        engine.dispose()


@contextmanager
def seeded(backend: str, db_url: str) -> Iterator[str]:
    """The test's database at ``db_url`` filled with a copy of the seeded demo municipality."""
    support.seed_into(backend, db_url, "citizens", _seed)
    yield db_url


@contextmanager
def api_client(url: str, **settings: Any) -> Iterator[TestClient]:
    """A test client of the app on ``url``; messages are queued with no SMTP configured."""
    app = create_app(Settings(**{"database_url": url, "smtp_host": None, **settings}))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def planner_token(url: str) -> str:
    """A new planner of the demo municipality, and its bearer token."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            m = tenants.get_by_slug(session, SLUG)
            _, token = accounts.create(session, name="Planner", role=Role.PLANNER, municipality=m)
            session.commit()
    finally:
        engine.dispose()
    return token


@dataclass(frozen=True)
class Home:
    """An address of the register (plain values, usable without a session)."""

    postcode: str
    house_number: int
    street: str
    lat: float
    lon: float


def addresses(session: Session, n: int, seed: int = 7) -> list[Home]:
    """``n`` addresses of the register, picked at random."""
    register = [
        Home(a.postcode, a.house_number, a.street, a.lat, a.lon)
        for a in session.scalars(select(Address).order_by(Address.id))
    ]
    session.rollback()  # a writing session on SQLite must not keep the write lock
    return random.Random(seed).sample(register, n)


def ask(client: TestClient, address: Home, service: str = "wmo-intake", **extra: Any) -> Any:
    """Ask for offers at ``address``."""
    body = {
        "service": service,
        "address": {"postcode": address.postcode, "house_number": address.house_number},
        **extra,
    }
    return client.post(f"/api/v1/municipalities/{SLUG}/offers", json=body)


def book(
    client: TestClient,
    offer_id: str,
    name: str = "Anna de Vries",
    *,
    key: str | None = None,
    notes: str | None = None,
    **citizen: str,
) -> Any:
    """Book an offer for a citizen reachable by phone (or as given in ``citizen``)."""
    body: dict[str, Any] = {
        "offer_id": offer_id,
        "citizen": {"name": name, "phone": "06 12345678", **citizen},
    }
    if notes is not None:
        body["notes"] = notes
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/municipalities/{SLUG}/bookings", json=body, headers=headers)


def day_export(client: Any, token: str, day: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The day's routing problem and plan, as planners export them through the API."""
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/municipalities/{SLUG}/days/{day.isoformat()}"
    problem = client.get(f"{base}/routing-problem", headers=headers)
    plan = client.get(f"{base}/plan", headers=headers)
    assert problem.status_code == 200, problem.text
    assert plan.status_code == 200, plan.text
    return problem.json(), plan.json()


def check_day(client: Any, token: str, day: dt.date) -> list[str]:
    """Violations of the day's plan under VROOM's rules (empty when every promise is kept)."""
    problem, plan = day_export(client, token, day)
    return [str(v) for v in check(problem_from_vroom(problem), plan)]
