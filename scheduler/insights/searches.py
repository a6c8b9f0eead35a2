"""Counting offer searches for the KPIs: one upsert into the search's hour (flush only)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scheduler.insights.models import OfferSearchHour


def hour_of(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def record(
    session: Session,
    *,
    municipality_id: int,
    service_type_id: int,
    at: dt.datetime,
    first_window_start: dt.datetime | None,
    searches: int = 1,
) -> None:
    """Add ``searches`` searches made at ``at`` (the first window each found, if any)."""
    found = 0 if first_window_start is None else searches
    wait = 0.0 if first_window_start is None else (first_window_start - at).total_seconds()
    values = {
        "municipality_id": municipality_id,
        "service_type_id": service_type_id,
        "hour": hour_of(at),
        "searches": searches,
        "with_window": found,
        "wait_seconds": wait * found,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OfferSearchHour).values(**values)
    table = OfferSearchHour.__table__.c
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["municipality_id", "service_type_id", "hour"],
            set_={
                "searches": table.searches + statement.excluded.searches,
                "with_window": table.with_window + statement.excluded.with_window,
                "wait_seconds": table.wait_seconds + statement.excluded.wait_seconds,
            },
        )
    )


def totals(
    session: Session, *, municipality_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[int, float]:
    """Searches that found a window in ``start``–``end`` (hour starts) and their summed wait."""
    count, wait = session.execute(
        select(
            func.coalesce(func.sum(OfferSearchHour.with_window), 0),
            func.coalesce(func.sum(OfferSearchHour.wait_seconds), 0.0),
        ).where(
            OfferSearchHour.municipality_id == municipality_id,
            OfferSearchHour.hour >= start,
            OfferSearchHour.hour < end,
        )
    ).one()
    return int(count), float(wait)
