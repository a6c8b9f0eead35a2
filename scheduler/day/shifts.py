"""Working time: what an expert's day looks like, from the weekly pattern and its exceptions.

Also the reads every domain plans with: the active experts, closure days and every working
expert-day between two dates.

The result is an :class:`ExpertShift`: the span of the working day in UTC and the breaks that must
be taken in it. Gaps between two shifts on one day and partial absences become fixed breaks, so a
day is always one route with one start and one end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler import clock
from scheduler.capacity.models import (
    Closure,
    ExceptionKind,
    Expert,
    ShiftException,
    WeeklyShift,
)
from scheduler.clock import at_local, zone
from scheduler.tenants.models import Municipality

#: Break id of the lunch break; fixed breaks (gaps, partial absences) count up from here.
LUNCH_BREAK_ID = 1


@dataclass(frozen=True)
class BreakRule:
    """A break that must start between ``earliest`` and ``latest`` (UTC) and lasts ``minutes``."""

    id: int
    earliest: dt.datetime
    latest: dt.datetime
    minutes: int
    kind: str = "lunch"  # lunch | gap | absence


@dataclass(frozen=True)
class ExpertShift:
    """An expert's working time on one local date."""

    expert_id: int
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    breaks: tuple[BreakRule, ...] = ()

    @property
    def minutes(self) -> int:
        """Working minutes: the span minus the breaks."""
        span = int((self.end - self.start).total_seconds() // 60)
        return span - sum(b.minutes for b in self.breaks)


@dataclass(frozen=True)
class _Piece:
    start: dt.time
    end: dt.time
    break_earliest: dt.time | None
    break_latest: dt.time | None
    break_minutes: int


def _pieces(
    day: dt.date, shifts: Iterable[WeeklyShift], exceptions: Iterable[ShiftException]
) -> list[_Piece]:
    out = [
        _Piece(s.start, s.end, s.break_earliest, s.break_latest, s.break_minutes)
        for s in shifts
        if s.weekday == day.weekday()
        and (s.valid_from is None or s.valid_from <= day)
        and (s.valid_until is None or day <= s.valid_until)
    ]
    for e in exceptions:
        if e.date == day and e.kind is ExceptionKind.EXTRA and e.start and e.end:
            out.append(_Piece(e.start, e.end, e.break_earliest, e.break_latest, e.break_minutes))
    return sorted(out, key=lambda p: p.start)


def shift_of(
    expert: Expert,
    day: dt.date,
    tz: ZoneInfo,
    *,
    shifts: Sequence[WeeklyShift],
    exceptions: Sequence[ShiftException],
    closed: bool,
) -> ExpertShift | None:
    """The expert's working time on ``day``, or None when they do not work then.

    Whole-day absences and closures remove the day; partial absences trim its edges or, in the
    middle, become a fixed break; two shifts on one day are joined by a fixed break.
    """
    if closed or not expert.active:
        return None
    todays = [e for e in exceptions if e.date == day]
    absences = [e for e in todays if e.kind in (ExceptionKind.ABSENCE, ExceptionKind.SICKNESS)]
    if any(a.start is None or a.end is None for a in absences):
        return None
    pieces = _pieces(day, shifts, todays)
    if not pieces:
        return None
    start = at_local(day, pieces[0].start, tz)
    end = max(at_local(day, p.end, tz) for p in pieces)
    breaks: list[BreakRule] = []
    next_id = LUNCH_BREAK_ID
    for piece in pieces:
        if piece.break_minutes and piece.break_earliest and piece.break_latest:
            breaks.append(
                BreakRule(
                    next_id,
                    at_local(day, piece.break_earliest, tz),
                    at_local(day, piece.break_latest, tz),
                    piece.break_minutes,
                )
            )
            next_id += 1
    blocked: list[tuple[dt.datetime, dt.datetime, str]] = []
    covered_until = at_local(day, pieces[0].end, tz)
    for piece in pieces[1:]:
        piece_start = at_local(day, piece.start, tz)
        if piece_start > covered_until:
            blocked.append((covered_until, piece_start, "gap"))
        covered_until = max(covered_until, at_local(day, piece.end, tz))
    for a in absences:
        assert a.start is not None and a.end is not None
        blocked.append((at_local(day, a.start, tz), at_local(day, a.end, tz), "absence"))
    for b_start, b_end in _merge((s, e) for s, e, _ in blocked):
        if b_end <= start or b_start >= end:
            continue
        if b_start <= start:
            start = b_end
        elif b_end >= end:
            end = b_start
        else:
            kind = next((k for s, e, k in blocked if s == b_start), "absence")
            minutes = int((b_end - b_start).total_seconds() // 60)
            breaks.append(BreakRule(next_id, b_start, b_start, minutes, kind))
            next_id += 1
    if end <= start:
        return None
    # A lunch break that no longer fits inside the trimmed day is dropped rather than making the
    # whole day infeasible.
    kept = tuple(
        b for b in breaks if b.earliest < end and b.latest + dt.timedelta(minutes=b.minutes) > start
    )
    return ExpertShift(expert.id, day, start, end, kept)


def _merge(
    intervals: Iterable[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime]]:
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def dutch_public_holidays(years: Iterable[int]) -> dict[dt.date, str]:
    """Dutch public holidays on which municipalities close, by date, with Dutch names.

    The ``holidays`` package leaves out Goede Vrijdag in some versions and Bevrijdingsdag in most
    years (it is a national holiday every year, a day off for civil servants at least every five);
    both are added here. Municipalities edit their own calendar afterwards.
    """
    years = sorted(set(years))
    out: dict[dt.date, str] = {}
    for day, name in holidays.country_holidays("NL", years=years, language="nl").items():
        out[day] = str(name)
    for year in years:
        easter = _easter(year)
        out.setdefault(easter - dt.timedelta(days=2), "Goede Vrijdag")
        out.setdefault(dt.date(year, 5, 5), "Bevrijdingsdag")
    return dict(sorted(out.items()))


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def get_experts(
    session: Session,
    *,
    municipality: Municipality,
    skill: str | None = None,
    active_only: bool = True,
) -> list[Expert]:
    """The municipality's experts with their weekly shifts, as the database has them now.

    Experts already in the session are refreshed (after flushing its pending changes): a use
    case that waited for a lock must plan against the committed capacity, not against shifts it
    happened to load before another transaction changed them.
    """
    session.flush()
    query = (
        select(Expert)
        .where(Expert.municipality_id == municipality.id)
        .options(selectinload(Expert.shifts))
        .order_by(Expert.id)
        .execution_options(populate_existing=True)
    )
    if active_only:
        query = query.where(Expert.active.is_(True))
    experts = list(session.scalars(query).all())
    if skill is not None:
        experts = [e for e in experts if skill in e.skills]
    return experts


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
        select(ShiftException)
        .where(
            ShiftException.expert_id.in_([e.id for e in experts]),
            ShiftException.date >= first,
            ShiftException.date <= last,
        )
        .execution_options(populate_existing=True)
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


def today_of(municipality: Municipality) -> dt.date:
    return clock.local_date(clock.now(), zone(municipality.timezone))
