"""Data access for capacity: experts, their shifts and exceptions, closure days."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.capacity.calendar import ExpertShift, dutch_public_holidays, shift_of
from scheduler.capacity.models import Closure, Expert, ShiftException
from scheduler.clock import zone
from scheduler.errors import NotFound
from scheduler.tenants.models import Municipality


def get_experts(
    session: Session,
    *,
    municipality: Municipality,
    skill: str | None = None,
    active_only: bool = True,
) -> list[Expert]:
    query = (
        select(Expert)
        .where(Expert.municipality_id == municipality.id)
        .options(selectinload(Expert.shifts))
        .order_by(Expert.id)
    )
    if active_only:
        query = query.where(Expert.active.is_(True))
    experts = list(session.scalars(query).all())
    if skill is not None:
        experts = [e for e in experts if skill in e.skills]
    return experts


def get_expert(session: Session, *, municipality: Municipality, expert_id: int) -> Expert:
    expert = session.get(Expert, expert_id)
    if expert is None or expert.municipality_id != municipality.id:
        raise NotFound(f"No expert {expert_id} here.", nl=f"Medewerker {expert_id} bestaat niet.")
    return expert


def closed_dates(
    session: Session, *, municipality: Municipality, first: dt.date, last: dt.date
) -> dict[dt.date, str]:
    rows = session.execute(
        select(Closure.date, Closure.name).where(
            Closure.municipality_id == municipality.id,
            Closure.date >= first,
            Closure.date <= last,
        )
    ).all()
    return {d: n for d, n in rows}


def shifts_between(
    session: Session,
    *,
    municipality: Municipality,
    first: dt.date,
    last: dt.date,
    experts: Sequence[Expert] | None = None,
    skill: str | None = None,
) -> dict[tuple[int, dt.date], ExpertShift]:
    """Every working expert-day from ``first`` to ``last`` (inclusive), keyed (expert id, date)."""
    if experts is None:
        experts = get_experts(session, municipality=municipality, skill=skill)
    elif skill is not None:
        experts = [e for e in experts if skill in e.skills]
    if not experts:
        return {}
    tz = zone(municipality.timezone)
    closed = closed_dates(session, municipality=municipality, first=first, last=last)
    exceptions: dict[int, list[ShiftException]] = defaultdict(list)
    for exc in session.scalars(
        select(ShiftException).where(
            ShiftException.expert_id.in_([e.id for e in experts]),
            ShiftException.date >= first,
            ShiftException.date <= last,
        )
    ):
        exceptions[exc.expert_id].append(exc)
    out: dict[tuple[int, dt.date], ExpertShift] = {}
    for expert in experts:
        for day in days(first, last):
            shift = shift_of(
                expert,
                day,
                tz,
                shifts=expert.shifts,
                exceptions=exceptions[expert.id],
                closed=day in closed,
            )
            if shift is not None:
                out[(expert.id, day)] = shift
    return out


def days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def prefill_closures(session: Session, *, municipality: Municipality, years: Iterable[int]) -> int:
    """Add the Dutch public holidays of ``years`` as closure days (keeping any edits); flushes."""
    existing = {
        c.date
        for c in session.scalars(select(Closure).where(Closure.municipality_id == municipality.id))
    }
    added = 0
    for day, name in dutch_public_holidays(years).items():
        if day not in existing:
            session.add(
                Closure(municipality_id=municipality.id, date=day, name=name, source="holiday")
            )
            added += 1
    session.flush()
    return added
