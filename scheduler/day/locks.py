"""Locks and version counters of a municipality's days: the order every writer takes them in.

Every use case that changes a day plan locks the expert-day rows it changes, in ascending expert
id order (so two bookings never deadlock), and bumps the day's version (so proposals made before
are stale) or the municipality's capacity version (so cached offer indexes are rebuilt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.planning.models import ExpertDay, PlanningDay
from scheduler.tenants.models import Municipality


def lock_expert_days(
    session: Session, municipality: Municipality, date: dt.date, expert_ids: Iterable[int]
) -> dict[int, ExpertDay]:
    """Create missing expert-day rows and lock them all, in expert id order.

    Every use case that changes a day plan locks the rows it changes this way, always in ascending
    expert id order, so two bookings can never deadlock and never both take the last room. On
    SQLite the transaction already holds the database's single write lock.
    """
    ids = sorted(set(expert_ids))
    if not ids:
        return {}
    now = clock.now()
    rows = [
        {
            "municipality_id": municipality.id,
            "expert_id": i,
            "date": date,
            "stops": [],
            "version": 0,
            "break_times": {},
            "travel_seconds": 0,
            "updated_at": now,
        }
        for i in ids
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(ExpertDay).values(rows).on_conflict_do_nothing(index_elements=["expert_id", "date"])
    )
    locked = session.scalars(
        select(ExpertDay)
        .where(ExpertDay.expert_id.in_(ids), ExpertDay.date == date)
        .order_by(ExpertDay.expert_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {d.expert_id: d for d in locked}


def bump_day_version(session: Session, municipality: Municipality, date: dt.date) -> None:
    """Record that ``date`` changed (proposals made before are now stale)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(PlanningDay)
        .values(municipality_id=municipality.id, date=date, version=0)
        .on_conflict_do_nothing(index_elements=["municipality_id", "date"])
    )
    session.execute(
        update(PlanningDay)
        .where(PlanningDay.municipality_id == municipality.id, PlanningDay.date == date)
        .values(version=PlanningDay.version + 1)
    )


def bump_capacity_version(session: Session, municipality: Municipality) -> None:
    """Record a capacity change so cached offer indexes are rebuilt (atomic increment)."""
    session.execute(
        update(Municipality)
        .where(Municipality.id == municipality.id)
        .values(capacity_version=Municipality.capacity_version + 1)
    )
