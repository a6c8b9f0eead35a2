"""Data access for capacity: experts, their shifts and exceptions, closure days.

The changes here cannot break a promise already made (a new expert, a renamed or reopened closure
day). Changes that can (a shift removed, an absence, a closure) are use cases above the domains,
in :mod:`scheduler.usecases.capacity_changes`: they check every booked visit and re-plan.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.addresses.service import normalise_postcode
from scheduler.addresses.service import unknown as unknown_address
from scheduler.capacity.models import Closure, Expert, ShiftException, WeeklyShift
from scheduler.capacity.schemas import ExpertCreate, LocationIn, ShiftIn
from scheduler.day.locks import bump_capacity_version
from scheduler.day.shifts import dutch_public_holidays, today_of
from scheduler.errors import InvalidInput, NotFound
from scheduler.geocoding import Geocoder
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.capacity")


def get_expert(session: Session, *, municipality: Municipality, expert_id: int) -> Expert:
    expert = session.get(Expert, expert_id)
    if expert is None or expert.municipality_id != municipality.id:
        raise NotFound(f"No expert {expert_id} here.", nl=f"Medewerker {expert_id} bestaat niet.")
    return expert


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


#: Dates of a closure year a planner may edit.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def locate(
    session: Session, municipality: Municipality, where: LocationIn, geocoder: Geocoder
) -> tuple[str, float, float]:
    if where.lat is not None and where.lon is not None:
        return where.label, where.lat, where.lon
    assert where.postcode is not None and where.house_number is not None
    postcode = normalise_postcode(where.postcode)
    place = geocoder.locate(session, municipality, postcode, where.house_number, where.addition)
    if place is None:
        raise unknown_address(postcode, where.house_number, where.addition)
    return where.label, place.lat, place.lon


# --- experts --------------------------------------------------------------------------------


def create_expert(
    session: Session, *, municipality: Municipality, data: ExpertCreate, geocoder: Geocoder
) -> Expert:
    """Add an expert (without shifts yet: they add capacity once a pattern is set)."""
    label, lat, lon = locate(session, municipality, data.start, geocoder)
    expert = Expert(
        municipality_id=municipality.id,
        name=data.name,
        skills=list(data.skills),
        travel_mode=data.travel_mode,
        start_label=label,
        start_lat=lat,
        start_lon=lon,
        max_visits_per_day=data.max_visits_per_day,
        active=data.active,
    )
    if data.end is not None:
        expert.end_label, expert.end_lat, expert.end_lon = locate(
            session, municipality, data.end, geocoder
        )
    session.add(expert)
    session.flush()
    bump_capacity_version(session, municipality)
    session.commit()
    log.info("expert %s created", expert.id)
    return expert


# --- weekly shifts --------------------------------------------------------------------------


def shift_from(data: ShiftIn) -> WeeklyShift:
    return WeeklyShift(
        weekday=data.weekday,
        start=data.start,
        end=data.end,
        break_earliest=data.break_earliest,
        break_latest=data.break_latest,
        break_minutes=data.break_minutes,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )


def check_overlaps(shifts: Sequence[WeeklyShift]) -> None:
    """Two shifts on one weekday must not overlap while both are valid."""
    for i, a in enumerate(shifts):
        for b in shifts[i + 1 :]:
            if a.weekday != b.weekday or not (a.start < b.end and b.start < a.end):
                continue
            a_from, b_from = a.valid_from or dt.date.min, b.valid_from or dt.date.min
            a_until, b_until = a.valid_until or dt.date.max, b.valid_until or dt.date.max
            if a_from <= b_until and b_from <= a_until:
                day = WEEKDAYS_EN[a.weekday]
                raise InvalidInput(
                    f"Two shifts on {day} overlap ({a.start:%H:%M}-{a.end:%H:%M} and "
                    f"{b.start:%H:%M}-{b.end:%H:%M}).",
                    nl=f"Twee diensten op {WEEKDAYS_NL[a.weekday]} overlappen "
                    f"({a.start:%H:%M}-{a.end:%H:%M} en {b.start:%H:%M}-{b.end:%H:%M}).",
                )


WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def get_shifts(
    session: Session, *, municipality: Municipality, expert_id: int
) -> list[WeeklyShift]:
    """The expert's weekly shifts, by weekday and start."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    return sorted(expert.shifts, key=lambda s: (s.weekday, s.start, s.id))


# --- exceptions: extra shifts, absence, sickness --------------------------------------------


def get_exceptions(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> list[ShiftException]:
    """The expert's dated exceptions, from ``first`` (default: today) to ``last`` (default: all)."""
    expert = get_expert(session, municipality=municipality, expert_id=expert_id)
    query = select(ShiftException).where(
        ShiftException.expert_id == expert.id,
        ShiftException.date >= (first or today_of(municipality)),
    )
    if last is not None:
        query = query.where(ShiftException.date <= last)
    return list(session.scalars(query.order_by(ShiftException.date, ShiftException.id)))


# --- closure days ---------------------------------------------------------------------------


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"year must lie between {FIRST_YEAR} and {LAST_YEAR}",
            nl=f"het jaar moet tussen {FIRST_YEAR} en {LAST_YEAR} liggen",
        )


def get_closures(session: Session, *, municipality: Municipality, year: int) -> list[Closure]:
    """The municipality's closure days of ``year``, by date."""
    check_year(year)
    return list(
        session.scalars(
            select(Closure)
            .where(
                Closure.municipality_id == municipality.id,
                Closure.date >= dt.date(year, 1, 1),
                Closure.date <= dt.date(year, 12, 31),
            )
            .order_by(Closure.date)
        )
    )


def get_closure(session: Session, municipality: Municipality, closure_id: int) -> Closure:
    closure = session.get(Closure, closure_id)
    if closure is None or closure.municipality_id != municipality.id:
        raise NotFound(
            f"No closure day {closure_id} here.", nl=f"Sluitingsdag {closure_id} bestaat niet."
        )
    return closure


def rename_closure(
    session: Session, *, municipality: Municipality, closure_id: int, name: str
) -> Closure:
    """Give a closure day another name (capacity stays the same)."""
    closure = get_closure(session, municipality, closure_id)
    closure.name = name
    session.commit()
    return closure


def delete_closure(session: Session, *, municipality: Municipality, closure_id: int) -> int:
    """Open a closed day again (more capacity: no booked visit can break)."""
    closure = get_closure(session, municipality, closure_id)
    session.delete(closure)
    session.flush()
    bump_capacity_version(session, municipality)
    session.commit()
    log.info("closure %s deleted", closure_id)
    return closure_id
