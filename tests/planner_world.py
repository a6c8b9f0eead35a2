"""A seeded world for the planner's page tests (HTML and browser).

Gemeente Demostad (``demo``: four experts, bookings over the next three days through the real
offer and booking code, and a week of history with outcomes) and a smaller peer, Gemeente
Rivierstad (``rivierstad``), for the anonymised comparison. Users: a planner of each, an expert of
Demostad and an admin. The clock is frozen on Monday 30 November 2026, 08:00 in Amsterdam.

Seeding takes seconds, so it happens once per backend and process; each test gets a copy (SQLite
copies the file, PostgreSQL clones the database with ``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import make_url

from routing.travel import HaversineTravel
from scheduler import clock, demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.booking import offers
from scheduler.capacity.models import Expert
from scheduler.db import make_engine, make_sessionmaker
from scheduler.migrate import upgrade

NOW = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
#: Tomorrow: a day with bookings that can still be planned.
DAY = dt.date(2026, 12, 1)
SLUG = "demo"
PEER = "rivierstad"
TRAVEL = HaversineTravel()
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3, addresses=200)
HISTORY = demo.DemoSize(experts=4, days=7, fill=0.25, addresses=200)
PEER_SIZE = demo.DemoSize(experts=2, days=3, fill=0.3, addresses=80, seed=11)

_templates: dict[str, tuple[str, dict[str, Any]]] = {}


@contextmanager
def frozen_clock(start: dt.datetime = NOW) -> Iterator[list[dt.datetime]]:
    """Freeze the clock at ``start`` (move it via ``holder[0]``); the offer cache is cleared."""
    holder = [start]
    previous = clock.set_clock(lambda: holder[0])
    offers.CACHE.clear()
    try:
        yield holder
    finally:
        clock.set_clock(previous)
        offers.CACHE.clear()


def _seed(url: str) -> dict[str, Any]:
    """Fill a migrated database; returns the tokens and ids the tests use (plain values)."""
    upgrade(url)
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


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def _template(backend: str, db_url: str) -> tuple[str, dict[str, Any]]:
    if backend in _templates:
        return _templates[backend]
    if backend == "sqlite":
        path = os.path.join(tempfile.mkdtemp(prefix="aanhuis-planner-"), "seeded.sqlite3")
        facts = _seed(f"sqlite:///{path}")
        atexit.register(shutil.rmtree, os.path.dirname(path), True)
        _templates[backend] = (path, facts)
        return _templates[backend]
    name = f"aanhuis_planner_{os.getpid()}"
    admin = sa.create_engine(_admin_url(db_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    facts = _seed(make_url(db_url).set(database=name).render_as_string(hide_password=False))

    def _drop() -> None:
        engine = sa.create_engine(_admin_url(db_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    atexit.register(_drop)
    _templates[backend] = (name, facts)
    return _templates[backend]


_copies = iter(range(10**9))


@contextmanager
def seeded(backend: str, db_url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh copy of the seeded world on ``backend``: its URL and the seed's facts.

    On SQLite the copy replaces the (migrated, empty) database file of ``db_url``, so the
    conftest's ``sessions`` fixture and a live server on ``db_url`` see it.
    """
    template, facts = _template(backend, db_url)
    facts = json.loads(json.dumps(facts))  # a copy per test
    if backend == "sqlite":
        path = make_url(db_url).database
        assert path is not None
        shutil.copy(template, path)
        yield db_url, facts
        return
    name = f"{template}_{next(_copies)}"
    admin = sa.create_engine(_admin_url(db_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield make_url(db_url).set(database=name).render_as_string(hide_password=False), facts
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
