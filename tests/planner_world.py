"""A seeded world for the planner's page tests (HTML and browser).

Gemeente Demostad (``demo``: four experts, bookings over the next three days through the real
offer and booking code, and a week of history with outcomes) and a smaller peer, Gemeente
Rivierstad (``rivierstad``), for the anonymised comparison. Users: a planner of each, an expert of
Demostad and an admin. The clock is frozen on Monday 30 November 2026, 08:00 in Amsterdam.

Seeding takes seconds, so it happens once per backend and process; each test gets a copy (SQLite
copies the file, PostgreSQL clones the database with ``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import support
from sqlalchemy import select

from routing.travel import HaversineTravel
from scheduler import demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.capacity.models import Expert
from scheduler.db import make_engine, make_sessionmaker

NOW = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
#: Tomorrow: a day with bookings that can still be planned.
DAY = dt.date(2026, 12, 1)
SLUG = "demo"
PEER = "rivierstad"
TRAVEL = HaversineTravel()
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3, addresses=200)
HISTORY = demo.DemoSize(experts=4, days=7, fill=0.25, addresses=200)
PEER_SIZE = demo.DemoSize(experts=2, days=3, fill=0.3, addresses=80, seed=11)


def frozen_clock(start: dt.datetime = NOW) -> AbstractContextManager[list[dt.datetime]]:
    """Freeze the clock at ``start`` (Monday 08:00 by default); see :func:`support.frozen_clock`."""
    return support.frozen_clock(start)


def _seed(url: str) -> dict[str, Any]:
    """Fill a migrated database; returns the tokens and ids the tests use (plain values)."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session, frozen_clock():
            m = demo.create_municipality(session, size=SIZE, slug=SLUG)
            peer = demo.create_municipality(
                session, size=PEER_SIZE, slug=PEER, name="Gemeente Rivierstad", theme="rotterdam"
            )
            session.commit()
            demo.fill_history(session, m, size=HISTORY, travel=TRAVEL)
            demo.fill_bookings(session, m, size=SIZE, travel=TRAVEL)
            demo.fill_bookings(session, peer, size=PEER_SIZE, travel=TRAVEL)
            expert = session.scalars(
                select(Expert).where(Expert.municipality_id == m.id).order_by(Expert.id)
            ).first()
            assert expert is not None
            _, planner = accounts.create(session, name="Planner", role=Role.PLANNER, municipality=m)
            _, other = accounts.create(session, name="Elders", role=Role.PLANNER, municipality=peer)
            _, expert_token = accounts.create(
                session, name="Expert", role=Role.EXPERT, municipality=m, expert_id=expert.id
            )
            _, admin = accounts.create(session, name="Admin", role=Role.ADMIN, municipality=None)
            session.commit()
            return {
                "municipality_id": m.id,
                "peer_id": peer.id,
                "tokens": {
                    "planner": planner,
                    "other": other,
                    "expert": expert_token,
                    "admin": admin,
                },
            }
    finally:
        engine.dispose()


@contextmanager
def seeded(backend: str, db_url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The test's database at ``db_url`` filled with a copy of the seeded world, and its facts."""
    yield db_url, support.seed_into(backend, db_url, "planner", _seed)
