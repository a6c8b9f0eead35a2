"""Helpers the tests share: a frozen clock, free ports, and seeded databases made once.

Seeding a municipality through the real offer and booking code takes seconds, so a seed runs once
per backend and process into a template; each test gets a copy in place of its own (migrated,
empty) database: SQLite copies the file, PostgreSQL re-creates the test's database with
``CREATE DATABASE … TEMPLATE``. The test's URL stays the same, so the conftest's ``engine`` and
``session`` fixtures and any live server on that URL see the seeded data.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from routing.travel import HaversineTravel
from scheduler import clock, demo
from scheduler.booking import offers
from scheduler.db import make_engine, make_sessionmaker
from scheduler.demo import DemoSize
from scheduler.migrate import upgrade

#: What a seed returns: plain values (ids, tokens), copied per test.
Facts = dict[str, Any]
#: The conftest's ``seed_demo`` fixture: ``seed_demo(size, now)`` returns the municipality's id.
SeedDemo = Callable[[DemoSize, dt.datetime | None], int]


def free_port() -> int:
    """A TCP port nobody listens on (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def frozen_clock(start: dt.datetime) -> Iterator[list[dt.datetime]]:
    """Freeze the clock at ``start`` (move it via ``holder[0]``).

    The offer index cache is cleared on both ends: indexes built on another test's database must
    never serve this one (the cache is keyed by ids and versions, which repeat across databases).
    """
    holder = [start]
    previous = clock.set_clock(lambda: holder[0])
    offers.CACHE.clear()
    try:
        yield holder
    finally:
        clock.set_clock(previous)
        offers.CACHE.clear()


def _admin(url: str) -> sa.Engine:
    admin_url = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")


_templates: dict[tuple[str, str], tuple[str, Facts]] = {}


def _template(
    backend: str, db_url: str, key: str, seed: Callable[[str], Facts]
) -> tuple[str, Facts]:
    """The template of ``key`` on ``backend`` (a file path or a database name) and its facts."""
    if (backend, key) in _templates:
        return _templates[backend, key]
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"aanhuis-{key}-")
        atexit.register(shutil.rmtree, folder, True)
        path = os.path.join(folder, "seeded.sqlite3")
        upgrade(f"sqlite:///{path}")
        facts = seed(f"sqlite:///{path}")
        _templates[backend, key] = (path, json.loads(json.dumps(facts)))
        return _templates[backend, key]
    name = f"aanhuis_tpl_{key.replace('-', '_')}_{os.getpid()}"
    admin = _admin(db_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(db_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    facts = seed(url)
    # Nobody may stay connected to a template (CREATE DATABASE … TEMPLATE refuses then).
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    admin.dispose()

    def _drop() -> None:
        engine = _admin(db_url)
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    atexit.register(_drop)
    _templates[backend, key] = (name, json.loads(json.dumps(facts)))
    return _templates[backend, key]


def seed_into(backend: str, db_url: str, key: str, seed: Callable[[str], Facts]) -> Facts:
    """Replace the test's database at ``db_url`` by a copy of the seeded template ``key``.

    ``seed(url)`` fills a migrated database once per backend and process and returns plain facts
    (ids, tokens); every call returns a fresh copy of them.
    """
    template, facts = _template(backend, db_url, key, seed)
    if backend == "sqlite":
        path = make_url(db_url).database
        assert path is not None
        shutil.copy(template, path)
    else:
        name = make_url(db_url).database
        admin = _admin(db_url)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        admin.dispose()
    copy: Facts = json.loads(json.dumps(facts))
    return copy


def demo_seed(size: DemoSize, now: dt.datetime | None) -> Callable[[str], Facts]:
    """A seed: the demo municipality booked through the real offer and booking code.

    With ``now`` the clock is frozen there while seeding (``None``: the real clock).
    """

    def seed(url: str) -> Facts:
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as session, frozen_clock(now or clock.now()):
                m = demo.create_municipality(session, size=size)
                session.commit()
                made = demo.fill_bookings(session, m, size=size, travel=HaversineTravel())
                session.commit()
                assert made > 10, "the demo seed booked almost nothing"
                return {"municipality_id": m.id}
        finally:
            engine.dispose()

    return seed
