"""Capacity figures per expert-day, day, week and period: what is available, booked and driven.

For every expert and date: *available* minutes are the working time (shift minus breaks),
*booked* minutes the durations of the visits in the expert's plan, *travel* minutes the travel of
the planned route (replayed with the same semantics that booked it), and *free* what is left.
*Utilisation* is (booked + travel) / available. *Evening* minutes are available minutes after
17:00 local time; *weekend* minutes those on Saturdays and Sundays; their shares show how much of
the capacity lies where citizens most often ask for it.

The answer is a matrix (experts × dates) plus per-day, per-week and period totals, so a heat map
is one loop over rows and columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from routing.model import StepType
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.day.shifts import ExpertShift
from scheduler.errors import InvalidInput
from scheduler.tenants.models import Municipality

#: Local hour from which working time counts as evening.
EVENING_FROM = dt.time(17, 0)
#: The longest period one request covers (about two months: a heat map stays readable).
MAX_DAYS = 62


@dataclass
class Figures:
    """Minutes of capacity and their use; sums of these are figures too."""

    available: int = 0
    booked: int = 0
    travel: int = 0
    evening: int = 0
    weekend: int = 0
    visits: int = 0

    def add(self, other: Figures) -> None:
        self.available += other.available
        self.booked += other.booked
        self.travel += other.travel
        self.evening += other.evening
        self.weekend += other.weekend
        self.visits += other.visits

    @property
    def free(self) -> int:
        return max(0, self.available - self.booked - self.travel)

    @property
    def utilisation(self) -> float | None:
        """Booked plus travel over available; None without available time (nothing to use)."""
        if self.available <= 0:
            return None
        return (self.booked + self.travel) / self.available

    @property
    def evening_share(self) -> float | None:
        return self.evening / self.available if self.available > 0 else None

    @property
    def weekend_share(self) -> float | None:
        return self.weekend / self.available if self.available > 0 else None


@dataclass
class Cell:
    """One expert on one date: their figures and, when they work, the span of the day."""

    figures: Figures
    shift_start: dt.datetime | None
    shift_end: dt.datetime | None


@dataclass
class ExpertRow:
    expert_id: int
    name: str
    active: bool
    skills: list[str]
    #: One entry per date of the period; None when the expert neither works nor has visits.
    cells: list[Cell | None]


@dataclass
class DayColumn:
    date: dt.date
    figures: Figures
    experts_working: int
    #: Active visits of the date that no plan holds (waiting for a new window).
    unplanned_visits: int


@dataclass
class Week:
    year: int
    week: int
    first: dt.date
    last: dt.date
    figures: Figures


@dataclass
class Overview:
    start: dt.date
    end: dt.date
    timezone: str
    dates: list[dt.date]
    experts: list[ExpertRow]
    days: list[DayColumn]
    weeks: list[Week]
    totals: Figures = field(default_factory=Figures)


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


def _overlap(a: dt.datetime, b: dt.datetime, c: dt.datetime, d: dt.datetime) -> float:
    """Seconds two spans [a, b) and [c, d) share."""
    return max(0.0, (min(b, d) - max(a, c)).total_seconds())


def evening_minutes(shift: ExpertShift, state: day_state.DayState) -> int:
    """Working minutes after :data:`EVENING_FROM`, breaks that fall then left out.

    A flexible break counts where its earliest start puts it (a lunch break stays out of the
    evening, a dinner break is in it).
    """
    evening = clock.at_local(shift.date, EVENING_FROM, state.tz)
    midnight = clock.local_midnight(shift.date + dt.timedelta(days=1), state.tz)
    seconds = _overlap(shift.start, shift.end, evening, midnight)
    for b in shift.breaks:
        b_end = b.earliest + dt.timedelta(minutes=b.minutes)
        seconds -= _overlap(b.earliest, b_end, evening, midnight)
    return max(0, _minutes(seconds))


def _cell(
    state: day_state.DayState, expert_id: int, travel: TravelTimeProvider
) -> tuple[Cell | None, bool]:
    """The expert's cell on the state's date, and whether they work that date."""
    shift = state.shifts.get(expert_id)
    row = state.expert_days.get(expert_id)
    planned = [
        int(s["id"])
        for s in (row.stops if row is not None else [])
        if s["type"] == "visit" and int(s["id"]) in state.visits
    ]
    if shift is None and not planned:
        return None, False
    figures = Figures(
        booked=sum(state.visits[v].duration_minutes for v in planned), visits=len(planned)
    )
    if shift is None:
        return Cell(figures, None, None), False
    figures.available = shift.minutes
    figures.evening = evening_minutes(shift, state)
    if state.date.weekday() >= 5:
        figures.weekend = shift.minutes
    stops = state.stops(expert_id)
    if any(k is StepType.VISIT for k, _ in stops):
        figures.travel = _minutes(day_timing.retime(state, expert_id, stops, travel).route.travel)
    start, end = shift.start.astimezone(state.tz), shift.end.astimezone(state.tz)
    return Cell(figures, start, end), True


def _weeks(days: Iterable[DayColumn]) -> list[Week]:
    out: dict[tuple[int, int], Week] = {}
    for day in days:
        year, week, _ = day.date.isocalendar()
        w = out.setdefault((year, week), Week(year, week, day.date, day.date, Figures()))
        w.last = day.date
        w.figures.add(day.figures)
    return list(out.values())


def capacity_overview(
    session: Session,
    *,
    municipality: Municipality,
    start: dt.date | None,
    days: int,
    travel: TravelTimeProvider,
) -> Overview:
    """Capacity figures for ``days`` dates from ``start`` (default: today), read only."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"days must lie between 1 and {MAX_DAYS}", nl=f"days moet tussen 1 en {MAX_DAYS} liggen"
        )
    first = start or day_shifts.today_of(municipality)
    last = first + dt.timedelta(days=days - 1)
    dates = list(day_shifts.days(first, last))
    experts = day_shifts.get_experts(session, municipality=municipality, active_only=False)
    cells: dict[int, list[Cell | None]] = {e.id: [] for e in experts}
    columns: list[DayColumn] = []
    totals = Figures()
    for day in dates:
        state = day_state.load_day(session, municipality, day)
        column = DayColumn(day, Figures(), 0, len(state.unplanned))
        for expert in experts:
            cell, works = _cell(state, expert.id, travel)
            cells[expert.id].append(cell)
            if cell is not None:
                column.figures.add(cell.figures)
            column.experts_working += int(works)
        totals.add(column.figures)
        columns.append(column)
    rows = [
        ExpertRow(e.id, e.name, e.active, list(e.skills), cells[e.id])
        for e in experts
        if e.active or any(c is not None for c in cells[e.id])
    ]
    return Overview(
        start=first,
        end=last,
        timezone=municipality.timezone,
        dates=dates,
        experts=rows,
        days=columns,
        weeks=_weeks(columns),
        totals=totals,
    )
