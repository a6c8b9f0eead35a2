"""Shared fixtures: a fresh, migrated database per test, on SQLite and (when configured) PostgreSQL.

Each test gets its own database, so use cases commit for real, several sessions and server workers
can race, and nothing leaks between tests. Copies are cheap: SQLite copies a migrated template
file; PostgreSQL clones a migrated template database (``CREATE DATABASE … TEMPLATE``).

Set ``AANHUIS_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to
run every database test on PostgreSQL too; ``.ci/run`` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import pathlib
import shutil
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from support import SeedDemo, demo_seed, frozen_clock, seed_into

from scheduler.db import make_engine, make_sessionmaker
from scheduler.demo import DemoSize
from scheduler.migrate import upgrade

POSTGRES_URL = os.environ.get("AANHUIS_TEST_POSTGRES_URL")

# Every app a test makes (and every server it starts) signs with a known secret and runs without
# rate limits, so tests may make many anonymous requests; tests/api/test_rate_limits.py turns the
# limits on.
os.environ.setdefault("AANHUIS_SECRET_KEY", "tests-only-secret-" + "0123456789abcdef" * 2)
for _limit in ("OFFERS", "BOOKINGS", "LOOKUPS"):
    os.environ.setdefault(f"AANHUIS_RATE_LIMIT_{_limit}", "off")
BACKENDS = ["sqlite", "postgresql"]
_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set AANHUIS_TEST_POSTGRES_URL to run this test")
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"aanhuis_tpl_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on; every database test runs on each configured backend."""
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set AANHUIS_TEST_POSTGRES_URL to run this test")
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    """The URL of a fresh database at the newest migration."""
    if backend == "sqlite":
        template: pathlib.Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    assert POSTGRES_URL is not None
    template_name: str = request.getfixturevalue("_postgres_template")
    name = f"aanhuis_t_{os.getpid()}_{next(_counter)}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: sa.Engine) -> sessionmaker[Session]:
    """A factory of writing sessions, as the app uses."""
    return make_sessionmaker(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture
def frozen(request: pytest.FixtureRequest) -> Iterator[Callable[[dt.datetime], None]]:
    """The clock frozen at the test module's ``NOW``; call the fixture's value to move it.

    The offer index cache is cleared before and after (see :func:`support.frozen_clock`).
    """
    start: dt.datetime = request.module.NOW
    with frozen_clock(start) as holder:

        def move(to: dt.datetime) -> None:
            holder[0] = to

        yield move


@pytest.fixture
def seed_demo(backend: str, db_url: str) -> SeedDemo:
    """Fill this test's database with the demo municipality booked to ``size`` at ``now``.

    The seed runs once per backend, size and moment in a process; each test gets a copy (see
    :mod:`support`). Returns the municipality's id. Call it before the test's session reads.
    """

    def use(size: DemoSize, now: dt.datetime | None) -> int:
        key = hashlib.sha256(repr((size, now)).encode()).hexdigest()[:12]
        facts = seed_into(backend, db_url, f"demo_{key}", demo_seed(size, now))
        return int(facts["municipality_id"])

    return use
