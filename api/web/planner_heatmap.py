"""The planner's capacity heat map: available, booked and free minutes per expert and date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.runtime import TravelDep
from api.web.i18n import Translator
from api.web.planner import (
    PREFIX,
    PlannerDep,
    capitalised,
    hours,
    percent,
    router,
)
from scheduler import bounds
from scheduler.capacity.overview import MAX_DAYS, Figures, capacity_overview
from scheduler.day import shifts as day_shifts

#: Period lengths the heat map offers (days).

PERIODS = (7, 14, 28)
DEFAULT_PERIOD = 14


@dataclass(frozen=True)
class HeatCell:
    """One expert on one date: a colour level and the utilisation written out."""

    id: str
    level: str
    text: str
    detail: str


@dataclass(frozen=True)
class HeatRow:
    expert_id: int
    name: str
    active: bool
    skills: str
    cells: list[HeatCell]


@dataclass(frozen=True)
class DateHead:
    date: dt.date
    short: str
    long: str
    closed: str | None
    weekend: bool


@dataclass(frozen=True)
class FigureRow:
    """A line of totals: label, the utilisation level, and the numbers written out."""

    label: str
    level: str
    utilisation: str
    visits: int
    available: str
    booked: str
    travel: str
    free: str
    evening: str
    weekend: str


def level(utilisation: float | None, *, works: bool = True) -> str:
    """The heat map's colour class for a utilisation (the number is always shown as text too)."""
    if not works or utilisation is None:
        return "off"
    for bound, name in ((0.25, "1"), (0.5, "2"), (0.75, "3"), (0.9, "4"), (1.0, "5")):
        if utilisation < bound or (name == "5" and utilisation <= bound):
            return name
    return "over"


def _figure_row(label: str, f: Figures, t: Translator) -> FigureRow:
    return FigureRow(
        label=label,
        level=level(f.utilisation),
        utilisation=percent(f.utilisation),
        visits=f.visits,
        available=hours(f.available, t),
        booked=hours(f.booked, t),
        travel=hours(f.travel, t),
        free=hours(f.free, t),
        evening=percent(f.evening_share),
        weekend=percent(f.weekend_share),
    )


def _short_date(day: dt.date, t: Translator) -> str:
    return f"{t(f'planner.weekday.{day.weekday()}')} {day.day}-{day.month}"


@router.get(f"{PREFIX}/capaciteit", response_class=HTMLResponse)
def capacity_page(
    pp: PlannerDep,
    session: SessionDep,
    travel: TravelDep,
    start: str | None = None,
    dagen: int = DEFAULT_PERIOD,
) -> Response:
    """Utilisation per expert and day as a heat map, totals per day and week, evening/weekend."""
    t, m = pp.t, pp.municipality
    first = bounds.parse_day(start) or pp.today()
    days = dagen if 1 <= dagen <= MAX_DAYS else DEFAULT_PERIOD
    overview = capacity_overview(session, municipality=m, start=first, days=days, travel=travel)
    closed = day_shifts.closed_dates(
        session, municipality=m, first=overview.start, last=overview.end
    )
    heads = [
        DateHead(
            date=d,
            short=_short_date(d, t),
            long=capitalised(t.date(d, year=True)),
            closed=closed.get(d),
            weekend=d.weekday() >= 5,
        )
        for d in overview.dates
    ]
    rows = []
    for row in overview.experts:
        cells = []
        for d, cell in zip(overview.dates, row.cells, strict=True):
            cid = f"cel-{row.expert_id}-{d.isoformat()}"
            if cell is None:
                cells.append(HeatCell(cid, "off", "–", t("planner.capacity.off")))
                continue
            f = cell.figures
            works = cell.shift_start is not None
            detail = t(
                "planner.capacity.cell",
                visits=f.visits,
                booked=hours(f.booked, t),
                travel=hours(f.travel, t),
                available=hours(f.available, t),
            )
            if not works:
                detail = t("planner.capacity.no_shift", visits=f.visits)
            text = percent(f.utilisation) if works else "!"
            cells.append(HeatCell(cid, level(f.utilisation, works=works), text, detail))
        rows.append(HeatRow(row.expert_id, row.name, row.active, ", ".join(row.skills), cells))
    day_totals = [
        _figure_row(h.short, d.figures, t) for h, d in zip(heads, overview.days, strict=True)
    ]
    weeks = [
        _figure_row(
            t(
                "planner.capacity.week",
                week=w.week,
                first=_short_date(w.first, t),
                last=_short_date(w.last, t),
            ),
            w.figures,
            t,
        )
        for w in overview.weeks
    ]
    return pp.render(
        "planner/capacity.html",
        section="capacity",
        overview=overview,
        heads=heads,
        rows=rows,
        days=overview.days,
        day_totals=day_totals,
        weeks=weeks,
        total=_figure_row(t("planner.capacity.total"), overview.totals, t),
        start=overview.start.isoformat(),
        period=days,
        periods=PERIODS,
        previous=(overview.start - dt.timedelta(days=days)).isoformat(),
        next=(overview.start + dt.timedelta(days=days)).isoformat(),
        levels=["1", "2", "3", "4", "5", "over", "off"],
    )
