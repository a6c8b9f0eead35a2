"""Demand forecast per service skill, weekday and part of day, in expert-hours; backtested.

What counts as demand, per past week (7-day blocks ending yesterday):

* every visit booked for a date in that week (whatever became of it), at its window's part of
  day: its duration plus :data:`TRAVEL_MINUTES` for getting there;
* every offer search that found nothing suitable, at the search's own weekday and part of day
  (people mostly look for times when they are free themselves), weighted :data:`UNMET_WEIGHT`
  (some search more than once) and sized like an average visit of the service;
* every waiting-list entry joined that week (the citizen wanted an earlier time), at the part
  of day of the visit booked.

The forecast is level × profile: a skill's level is its mean weekly demand over the last
:data:`LEVEL_WEEKS` weeks; its profile is the share of each weekday and part of day over the
last :data:`PROFILE_WEEKS` weeks. The backtest forecasts each of the last
:data:`BACKTEST_WEEKS` weeks from the weeks before it and compares with what came, against the
naive forecast "the same as the week before" (mean absolute error per cell, and WAPE).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.booking.models import Visit
from scheduler.catalog.models import ServiceType
from scheduler.clock import zone
from scheduler.insights.models import OfferSearchHour
from scheduler.rota.problem import Part, part_at
from scheduler.tenants.models import Municipality
from scheduler.waitlist.models import WaitlistEntry

TRAVEL_MINUTES = 20
UNMET_WEIGHT = 0.5
LEVEL_WEEKS = 4
PROFILE_WEEKS = 8
BACKTEST_WEEKS = 4
HISTORY_WEEKS = PROFILE_WEEKS + BACKTEST_WEEKS

Cell = tuple[str, int, Part]  # skill, weekday, part


@dataclass(frozen=True)
class Backtest:
    weeks: int
    mae_hours: float | None
    naive_mae_hours: float | None
    wape: float | None
    naive_wape: float | None

    def public(self) -> dict[str, object]:
        return {
            "weeks": self.weeks,
            "mae_hours": _round(self.mae_hours),
            "naive_mae_hours": _round(self.naive_mae_hours),
            "wape": _round(self.wape, 4),
            "naive_wape": _round(self.naive_wape, 4),
        }


def _round(v: float | None, digits: int = 2) -> float | None:
    return None if v is None else round(v, digits)


@dataclass(frozen=True)
class Forecast:
    """Expert-minutes per week for each cell, with where they came from and how good it was."""

    today: dt.date
    weekly: Mapping[Cell, float]
    sources: Mapping[str, float]  # bookings / unmet_searches / waiting_list, in expert-hours
    backtest: Backtest

    def demand(
        self, dates: Iterable[dt.date], closed: Iterable[dt.date] = ()
    ) -> dict[tuple[str, dt.date, Part], int]:
        """Expert-minutes per (skill, date, part) on the given dates (none on closure days)."""
        shut = set(closed)
        out: dict[tuple[str, dt.date, Part], int] = {}
        for day in dates:
            if day in shut:
                continue
            for (skill, weekday, part), minutes in self.weekly.items():
                if weekday == day.weekday() and minutes > 0:
                    out[(skill, day, part)] = round(minutes)
        return out


def weekly_history(
    session: Session, *, municipality: Municipality, today: dt.date, weeks: int = HISTORY_WEEKS
) -> tuple[list[dict[Cell, float]], dict[str, float]]:
    """Demand of each past week, oldest first (expert-minutes per cell), and totals per source."""
    tz = zone(municipality.timezone)
    first = today - dt.timedelta(days=7 * weeks)
    services = {
        s.id: s
        for s in session.scalars(
            select(ServiceType).where(ServiceType.municipality_id == municipality.id)
        )
    }
    out: list[dict[Cell, float]] = [defaultdict(float) for _ in range(weeks)]
    sources: dict[str, float] = defaultdict(float)

    def add(day: dt.date, at: dt.time, skill: str, minutes: float, source: str) -> None:
        index = (day - first).days // 7
        part = part_at(day, at)
        if 0 <= index < weeks and part is not None:
            out[index][(skill, day.weekday(), part)] += minutes
            sources[source] += minutes / 60

    visits = session.execute(
        select(Visit.date, Visit.window_start, Visit.duration_minutes, Visit.service_type_id).where(
            Visit.municipality_id == municipality.id, Visit.date >= first, Visit.date < today
        )
    ).all()
    mean: dict[int, list[int]] = defaultdict(list)
    for day, start, minutes, sid in visits:
        local = start.astimezone(tz)
        add(day, local.time(), services[sid].skill, minutes + TRAVEL_MINUTES, "bookings")
        mean[sid].append(minutes)
    searches = session.execute(
        select(
            OfferSearchHour.hour,
            OfferSearchHour.service_type_id,
            OfferSearchHour.searches,
            OfferSearchHour.with_window,
        ).where(
            OfferSearchHour.municipality_id == municipality.id,
            OfferSearchHour.hour >= dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC),
        )
    ).all()
    for hour, sid, n, found in searches:
        unmet = n - found
        if unmet <= 0 or sid not in services:
            continue
        local = hour.astimezone(tz)
        size = (
            sum(mean[sid]) / len(mean[sid]) if mean[sid] else services[sid].duration_minutes
        ) + TRAVEL_MINUTES
        add(local.date(), local.time(), services[sid].skill, UNMET_WEIGHT * unmet * size, "unmet")
    waiting = session.execute(
        select(
            WaitlistEntry.joined_at,
            Visit.window_start,
            Visit.duration_minutes,
            Visit.service_type_id,
        )
        .join(Visit, Visit.id == WaitlistEntry.visit_id)
        .where(WaitlistEntry.municipality_id == municipality.id)
    ).all()
    for joined, window_start, minutes, sid in waiting:
        local_join = joined.astimezone(tz).date()
        window = window_start.astimezone(tz)
        # Counted in the week it was asked for, on the visit's weekday, at its part of day.
        day = local_join - dt.timedelta(days=(local_join.weekday() - window.weekday()) % 7)
        add(day, window.time(), services[sid].skill, minutes + TRAVEL_MINUTES, "waiting_list")
    return [dict(w) for w in out], {
        "bookings": sources["bookings"],
        "unmet_searches": sources["unmet"],
        "waiting_list": sources["waiting_list"],
    }


def level_profile(history: list[dict[Cell, float]]) -> dict[Cell, float]:
    """Level × profile from the weeks given (oldest first): expert-minutes per week per cell."""
    if not history:
        return {}
    cells = {c for week in history for c in week}
    skills = {c[0] for c in cells}
    recent = history[-LEVEL_WEEKS:]
    longer = history[-PROFILE_WEEKS:]
    out: dict[Cell, float] = {}
    for skill in skills:
        level = sum(v for w in recent for c, v in w.items() if c[0] == skill) / len(recent)
        total = sum(v for w in longer for c, v in w.items() if c[0] == skill)
        if not total:
            continue
        for cell in cells:
            if cell[0] == skill:
                share = sum(w.get(cell, 0.0) for w in longer) / total
                out[cell] = level * share
    return out


def backtest(history: list[dict[Cell, float]], weeks: int = BACKTEST_WEEKS) -> Backtest:
    """Forecast each of the last ``weeks`` weeks from those before it; compare with naive."""
    cells = sorted({c for w in history for c in w}, key=str)
    errors, naive, actual_total, n = 0.0, 0.0, 0.0, 0
    tested = 0
    for t in range(max(1, len(history) - weeks), len(history)):
        past = history[:t]
        if not past:
            continue
        tested += 1
        predicted = level_profile(past)
        for cell in cells:
            actual = history[t].get(cell, 0.0)
            errors += abs(predicted.get(cell, 0.0) - actual)
            naive += abs(past[-1].get(cell, 0.0) - actual)
            actual_total += actual
            n += 1
    if not n:
        return Backtest(0, None, None, None, None)
    return Backtest(
        tested,
        errors / n / 60,
        naive / n / 60,
        errors / actual_total if actual_total else None,
        naive / actual_total if actual_total else None,
    )


def forecast(session: Session, *, municipality: Municipality, today: dt.date) -> Forecast:
    """The forecast for the weeks after ``today`` (see the module's notes), backtested."""
    history, sources = weekly_history(session, municipality=municipality, today=today)
    # Weeks before the municipality had any demand at all are not weeks of zero demand.
    while history and not any(history[0].values()):
        history.pop(0)
    return Forecast(
        today,
        level_profile(history),
        {k: round(v, 1) for k, v in sources.items()},
        backtest(history),
    )
