"""The offer index cache builds a stale day once, however many requests miss it together."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import citizen_world as world
import pytest
from sqlalchemy import select

from scheduler.booking import offers
from scheduler.day import state as day_state
from scheduler.db import make_engine, make_sessionmaker
from scheduler.planning.models import PlanningDay
from scheduler.tenants import service as tenants


@pytest.fixture
def url(backend: str, db_url: str) -> Iterator[str]:
    with world.frozen_clock(), world.seeded(backend, db_url) as seeded:
        yield seeded


def test_concurrent_misses_load_the_day_once(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Six threads asking for the same day's index at once (as after a booking made every
    worker's copy stale) load the day from the database once and all get that index."""
    loads = []
    real = day_state.load_day
    started = threading.Barrier(6)

    def counting(*args: object, **kwargs: object) -> day_state.DayState:
        loads.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(day_state, "load_day", counting)
    engine = make_engine(url)
    factory = make_sessionmaker(engine, read_only=True)
    with factory() as session:
        version = session.scalar(select(PlanningDay.version).where(PlanningDay.date == world.DAY))
    got: list[object] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            with factory() as session:
                m = tenants.get_by_slug(session, world.SLUG)
                started.wait()
                got.append(
                    offers.day_index(
                        session, m, world.DAY, "wmo", world.TRAVEL, version=version or 0
                    )
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert errors == []
    assert len(loads) == 1
    assert len(got) == 6 and all(g is got[0] for g in got)
