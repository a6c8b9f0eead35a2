"""KPIs of a municipality's home visits, per period, and where it stands among its peers.

Every KPI is computed from what the database already holds (visits, their status history, the
planned routes' travel, the experts' working time, offer searches), for visits whose date falls in
the period. Peer comparison is anonymised: a municipality sees its own value, its rank and the
median and quartiles of all municipalities in the deployment, never another one's name.

Missing data is treated one way everywhere: a date without any counted visit is no data, not
zero. Its working time does not count towards utilisation or visits per expert-day, so a week
without visits shows "no data" for every figure, and a period's headline value is made of the
dates that have data (it lies within the weekly values, instead of being dragged down by empty
weeks).

A rank among peers is only given with at least :data:`MIN_PEERS` municipalities that have at
least :data:`MIN_VISITS` counted visits in the period (this one included); otherwise the
standing says so (``rank`` None, ``ranked`` False).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.booking.models import Visit, VisitStatus
from scheduler.day import shifts as day_shifts
from scheduler.insights import searches as offer_searches
from scheduler.planning.models import ExpertDay
from scheduler.tenants.models import Municipality


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label_nl: str
    label_en: str
    unit: str
    higher_is_better: bool


DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "days_to_first_window",
        "Dagen tot het eerste aangeboden tijdvak",
        "Days until the first offered window",
        "days",
        higher_is_better=False,
    ),
    KpiDefinition(
        "evening_weekend_share",
        "Aandeel bezoeken 's avonds en in het weekend",
        "Share of visits in evenings and at weekends",
        "%",
        higher_is_better=True,
    ),
    KpiDefinition(
        "travel_minutes_per_visit",
        "Reistijd per bezoek",
        "Travel time per visit",
        "min",
        higher_is_better=False,
    ),
    KpiDefinition(
        "visits_per_expert_day",
        "Bezoeken per werkdag van een medewerker",
        "Visits per expert-day",
        "visits",
        higher_is_better=True,
    ),
    KpiDefinition(
        "not_home_rate",
        "Niet thuis",
        "Not at home",
        "%",
        higher_is_better=False,
    ),
    KpiDefinition(
        "utilisation",
        "Bezetting",
        "Utilisation",
        "%",
        higher_is_better=True,
    ),
)
BY_KEY = {d.key: d for d in DEFINITIONS}

#: Units of the CSV export, in the export's language.
UNITS = {
    "days": {"nl": "dagen", "en": "days"},
    "%": {"nl": "%", "en": "%"},
    "min": {"nl": "minuten", "en": "minutes"},
    "visits": {"nl": "bezoeken", "en": "visits"},
}
#: A rank needs this many municipalities with enough data, each with this many visits.
MIN_PEERS = 5
MIN_VISITS = 20

#: Visits that count as taking place (or having been due to).
COUNTED = (
    VisitStatus.BOOKED,
    VisitStatus.PLANNED,
    VisitStatus.ON_THE_WAY,
    VisitStatus.ARRIVED,
    VisitStatus.COMPLETED,
    VisitStatus.NOT_HOME,
)


@dataclass(frozen=True)
class KpiSet:
    """KPI values for one municipality and period (None where there is no data)."""

    start: dt.date
    end: dt.date
    values: dict[str, float | None]
    #: The numbers behind the values, so a planner can see what a percentage is made of.
    counts: dict[str, int] = field(default_factory=dict)


def _ratio(a: float, b: float, scale: float = 1.0) -> float | None:
    return round(scale * a / b, 2) if b else None


def compute(
    session: Session, *, municipality: Municipality, start: dt.date, end: dt.date
) -> KpiSet:
    """The KPIs for visits dated ``start``–``end`` (inclusive)."""
    tz = clock.zone(municipality.timezone)
    visits = session.execute(
        select(
            Visit.window_start,
            Visit.status,
            Visit.duration_minutes,
            Visit.expert_day_id,
            Visit.date,
        ).where(
            Visit.municipality_id == municipality.id,
            Visit.date >= start,
            Visit.date <= end,
            Visit.status.in_(COUNTED),
        )
    ).all()
    n = len(visits)
    evening_weekend = 0
    for window_start, *_ in visits:
        local = window_start.astimezone(tz)
        if local.hour >= 17 or local.weekday() >= 5:
            evening_weekend += 1
    completed = sum(1 for v in visits if v.status is VisitStatus.COMPLETED)
    not_home = sum(1 for v in visits if v.status is VisitStatus.NOT_HOME)
    booked_minutes = sum(v.duration_minutes for v in visits)

    travel, routed = session.execute(
        select(func.coalesce(func.sum(ExpertDay.travel_seconds), 0), func.count()).where(
            ExpertDay.municipality_id == municipality.id,
            ExpertDay.date >= start,
            ExpertDay.date <= end,
            ExpertDay.travel_seconds > 0,
        )
    ).one()
    routed_visits = sum(1 for v in visits if v.expert_day_id is not None)

    shifts = day_shifts.shifts_between(session, municipality=municipality, first=start, last=end)
    # A date without visits is no data (see the module's notes), not a day of zero use.
    with_data = {v.date for v in visits}
    shifts = {key: s for key, s in shifts.items() if key[1] in with_data}
    available = sum(s.minutes for s in shifts.values())

    found, wait_seconds = offer_searches.totals(
        session,
        municipality_id=municipality.id,
        start=clock.local_midnight(start, tz),
        end=clock.local_midnight(end + dt.timedelta(days=1), tz),
    )

    return KpiSet(
        start=start,
        end=end,
        values={
            "days_to_first_window": (round(wait_seconds / found / 86400, 2) if found else None),
            "evening_weekend_share": _ratio(evening_weekend, n, 100),
            "travel_minutes_per_visit": _ratio(travel / 60, routed_visits),
            "visits_per_expert_day": _ratio(n, len(shifts)),
            "not_home_rate": _ratio(not_home, completed + not_home, 100),
            "utilisation": _ratio(booked_minutes, available, 100),
        },
        counts={
            "visits": n,
            "evening_weekend_visits": evening_weekend,
            "completed": completed,
            "not_home": not_home,
            "travel_minutes": int(travel // 60),
            "routed_expert_days": int(routed),
            "expert_days": len(shifts),
            "available_minutes": available,
            "booked_minutes": booked_minutes,
            "offer_searches": found,
        },
    )


def weekly(
    session: Session, *, municipality: Municipality, start: dt.date, end: dt.date
) -> list[KpiSet]:
    """The KPIs per ISO week (Monday to Sunday) overlapping ``start``–``end``, for charts."""
    monday = start - dt.timedelta(days=start.weekday())
    out = []
    while monday <= end:
        sunday = monday + dt.timedelta(days=6)
        out.append(
            compute(
                session, municipality=municipality, start=max(monday, start), end=min(sunday, end)
            )
        )
        monday += dt.timedelta(days=7)
    return out


@dataclass(frozen=True)
class PeerStanding:
    """Where one municipality stands on one KPI among all municipalities with data."""

    key: str
    value: float | None
    #: 1 is best (lowest where lower is better); None when this municipality has no value or
    #: there are too few peers with enough data (see ``ranked``).
    rank: int | None
    peers: int
    median: float | None
    q1: float | None
    q3: float | None
    #: Whether enough municipalities had enough data for a rank to mean something.
    ranked: bool = True
    #: Municipalities with enough data for a rank (at least :data:`MIN_VISITS` visits).
    comparable: int = 0


def _quartiles(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return round(q1, 2), round(med, 2), round(q3, 2)


def compare(
    session: Session,
    *,
    municipality: Municipality,
    start: dt.date,
    end: dt.date,
    min_peers: int = MIN_PEERS,
    min_visits: int = MIN_VISITS,
) -> list[PeerStanding]:
    """Rank, median and quartiles per KPI among every municipality of the deployment; a rank only
    among municipalities with enough data, and only when there are enough of them."""
    everyone = session.scalars(select(Municipality).order_by(Municipality.id)).all()
    sets = {m.id: compute(session, municipality=m, start=start, end=end) for m in everyone}
    mine = sets[municipality.id]
    enough = {mid for mid, s in sets.items() if s.counts["visits"] >= min_visits}
    out = []
    for d in DEFINITIONS:
        values = [s.values[d.key] for s in sets.values() if s.values[d.key] is not None]
        numbers = sorted(float(v) for v in values if v is not None)
        comparable = sorted(
            float(v)
            for mid, s in sets.items()
            if mid in enough and (v := s.values[d.key]) is not None
        )
        own = mine.values[d.key]
        ranked = len(comparable) >= min_peers and municipality.id in enough
        rank = None
        if own is not None and ranked:
            better = [v for v in comparable if (v > own if d.higher_is_better else v < own)]
            rank = len(better) + 1
        q1, med, q3 = _quartiles(numbers)
        out.append(
            PeerStanding(d.key, own, rank, len(numbers), med, q1, q3, ranked, len(comparable))
        )
    return out


def _decimal(value: float, dutch: bool) -> str:
    text = str(value)
    return text.replace(".", ",") if dutch else text


def to_csv(weeks: Sequence[KpiSet], *, dutch: bool = True) -> str:
    """One row per week and KPI: week start, week end, KPI, label, unit, value.

    Dutch: ``;`` between fields and a decimal comma (as Dutch Excel reads CSV); English: ``,``
    and a decimal point. Units are in the export's language; an empty value is no data.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if dutch else ",", lineterminator="\r\n")
    writer.writerow(
        ["week_start", "week_end", "kpi", "label", "unit", "value"]
        if not dutch
        else ["week_begin", "week_eind", "kpi", "omschrijving", "eenheid", "waarde"]
    )
    lang = "nl" if dutch else "en"
    for w in weeks:
        for d in DEFINITIONS:
            value = w.values[d.key]
            writer.writerow(
                [
                    w.start.isoformat(),
                    w.end.isoformat(),
                    d.key,
                    d.label_nl if dutch else d.label_en,
                    UNITS[d.unit][lang],
                    "" if value is None else _decimal(float(value), dutch),
                ]
            )
    return buf.getvalue()
