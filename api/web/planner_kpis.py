"""The planner's KPIs: values for a period, weekly charts, peer comparison, CSV export.

Every number comes from :mod:`scheduler.insights.kpis` (``compute`` for the period, ``weekly`` for
the charts and the CSV, ``compare`` for the peers); this module only formats and draws. Charts
are SVG drawn on the server with the numbers also in a table. The peer comparison names no other
municipality: only this one's rank among all of them, their median and quartiles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.web.i18n import Translator
from api.web.planner import PREFIX, PlannerDep, PlannerPage, router
from api.web.planner_charts import BarChart, BoxChart, bar_chart, box_chart
from api.web.rendering import SECURITY_HEADERS
from scheduler import bounds, clock
from scheduler.insights import kpis
from scheduler.waitlist import service as waitlist

#: Weeks shown when no period is asked for (ending with the current week).
DEFAULT_WEEKS = 8
PRESETS = (4, 8, 13, 26)
#: Message key suffixes of the KPI units.
UNITS = {"%": "percent", "days": "days", "min": "min", "visits": "visits"}
#: The longest period one page covers (a year and a week: weekly bars stay readable).
MAX_DAYS = 371


def number(value: float, t: Translator, digits: int = 1, *, exact: bool = False) -> str:
    """A number with at most ``digits`` decimals (``exact``: always that many), with a decimal
    comma in Dutch."""
    text = f"{value:.{digits}f}" if digits else f"{round(value)}"
    if digits and not exact:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if t.lang == "nl" else text


def with_unit(value: float | None, unit: str, t: Translator) -> str:
    """``2,5 dagen`` / ``45%`` / ``12 min``; "no data" when there is no value."""
    if value is None:
        return t("planner.kpi.no_data")
    # One decimal always: "1,0 dagen" reads right where "1 dagen" would not.
    return t(f"planner.kpi.unit.{UNITS.get(unit, unit)}", value=number(value, t, exact=True))


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def query(self) -> str:
        return f"van={self.start.isoformat()}&tot={self.end.isoformat()}"


def weeks_back(today: dt.date, weeks: int) -> Period:
    """The ``weeks`` ISO weeks ending with the current one (Monday to Sunday)."""
    monday = today - dt.timedelta(days=today.weekday())
    return Period(monday - dt.timedelta(weeks=weeks - 1), monday + dt.timedelta(days=6))


def period_of(today: dt.date, van: str | None, tot: str | None) -> tuple[Period, bool]:
    """The period asked for, or the default one and False when the request made no sense."""
    default = weeks_back(today, DEFAULT_WEEKS)
    if not van and not tot:
        return default, True
    start, end = bounds.parse_day(van), bounds.parse_day(tot)
    if start is None or end is None:
        return default, False
    if end < start or (end - start).days >= MAX_DAYS:
        return default, False
    return Period(start, end), True


@dataclass(frozen=True)
class WeekRow:
    label: str
    dates: str
    text: str


@dataclass(frozen=True)
class PeerView:
    rank: int | None
    peers: int
    #: False: too few municipalities with enough data for a rank (the page says so).
    ranked: bool
    comparable: int
    median: str
    q1: str
    q3: str
    chart: BoxChart | None


@dataclass(frozen=True)
class KpiView:
    key: str
    label: str
    value: float | None
    text: str
    made_of: str
    better: str
    chart: BarChart
    weeks: list[WeekRow]
    peer: PeerView | None


def _made_of(key: str, counts: dict[str, int], t: Translator) -> str:
    """What a value is made of, so a percentage never stands alone."""
    c = counts
    if key == "days_to_first_window":
        return t("planner.kpi.made.searches", searches=c["offer_searches"])
    if key == "evening_weekend_share":
        return t("planner.kpi.made.evening", part=c["evening_weekend_visits"], visits=c["visits"])
    if key == "travel_minutes_per_visit":
        return t("planner.kpi.made.travel", minutes=c["travel_minutes"], visits=c["visits"])
    if key == "visits_per_expert_day":
        return t("planner.kpi.made.days", visits=c["visits"], days=c["expert_days"])
    if key == "not_home_rate":
        return t(
            "planner.kpi.made.not_home",
            part=c["not_home"],
            visits=c["completed"] + c["not_home"],
        )
    return t(
        "planner.kpi.made.utilisation",
        booked=round(c["booked_minutes"] / 60),
        available=round(c["available_minutes"] / 60),
    )


def views(
    pp: PlannerPage,
    total: kpis.KpiSet,
    weekly: list[kpis.KpiSet],
    standings: list[kpis.PeerStanding],
) -> list[KpiView]:
    """One view per KPI: the period's value, the weekly chart and table, the peer standing."""
    t = pp.t
    by_key = {s.key: s for s in standings}
    out = []
    for d in kpis.DEFINITIONS:
        labels, titles, rows = [], [], []
        for w in weekly:
            week = w.start.isocalendar().week
            dates = f"{t.date(w.start)} – {t.date(w.end)}"
            short = f"{w.start.day}-{w.start.month} – {w.end.day}-{w.end.month}"
            text = with_unit(w.values[d.key], d.unit, t)
            labels.append(t("planner.kpi.week_short", week=week))
            titles.append(t("planner.kpi.week_title", week=week, dates=dates, value=text))
            rows.append(WeekRow(t("planner.kpi.week", week=week), short, text))
        chart = bar_chart(
            [w.values[d.key] for w in weekly],
            labels,
            fmt=lambda v: number(v, t, digits=2),
            titles=titles,
        )
        standing = by_key.get(d.key)
        peer = None
        if standing is not None and standing.peers and standing.median is not None:
            q1, q3 = standing.q1, standing.q3
            assert q1 is not None and q3 is not None
            peer = PeerView(
                rank=standing.rank,
                peers=standing.peers,
                ranked=standing.ranked,
                comparable=standing.comparable,
                median=with_unit(standing.median, d.unit, t),
                q1=with_unit(q1, d.unit, t),
                q3=with_unit(q3, d.unit, t),
                chart=box_chart(
                    q1, standing.median, q3, standing.value, fmt=lambda v: number(v, t, digits=2)
                )
                if standing.peers > 1
                else None,
            )
        out.append(
            KpiView(
                key=d.key,
                label=d.label_en if t.lang == "en" else d.label_nl,
                value=total.values[d.key],
                text=with_unit(total.values[d.key], d.unit, t),
                made_of=_made_of(d.key, total.counts, t),
                better=t("planner.kpi.higher" if d.higher_is_better else "planner.kpi.lower"),
                chart=chart,
                weeks=rows,
                peer=peer,
            )
        )
    return out


@router.get(f"{PREFIX}/kpis", response_class=HTMLResponse)
def kpi_page(
    pp: PlannerDep, session: SessionDep, van: str | None = None, tot: str | None = None
) -> Response:
    """The KPIs of a period with weekly charts and the peer comparison."""
    t, m = pp.t, pp.municipality
    today = pp.today()
    period, valid = period_of(today, van, tot)
    total = kpis.compute(session, municipality=m, start=period.start, end=period.end)
    weekly = kpis.weekly(session, municipality=m, start=period.start, end=period.end)
    standings = kpis.compare(session, municipality=m, start=period.start, end=period.end)
    presets = [(n, weeks_back(today, n)) for n in PRESETS]
    return pp.render(
        "planner/kpis.html",
        section="kpis",
        status=200 if valid else 422,
        period=period,
        period_text=t(
            "planner.kpi.period",
            first=t.date(period.start, year=True),
            last=t.date(period.end, year=True),
        ),
        valid=valid,
        presets=presets,
        kpis=views(pp, total, weekly, standings),
        min_peers=kpis.MIN_PEERS,
        min_visits=kpis.MIN_VISITS,
        visits=total.counts["visits"],
        waitlist={
            "size": waitlist.size(session, municipality=m),
            "successes": waitlist.successes(
                session,
                municipality=m,
                since=clock.local_midnight(period.start, pp.tz),
                until=clock.local_midnight(period.end + dt.timedelta(days=1), pp.tz),
            ),
        },
    )


@router.get(f"{PREFIX}/kpis.csv")
def kpi_csv(
    pp: PlannerDep, session: SessionDep, van: str | None = None, tot: str | None = None
) -> Response:
    """The weekly KPIs of the period as CSV (one row per week and KPI), for a spreadsheet."""
    period, _ = period_of(pp.today(), van, tot)
    weekly = kpis.weekly(session, municipality=pp.municipality, start=period.start, end=period.end)
    body = kpis.to_csv(weekly, dutch=pp.t.lang == "nl")
    name = f"kpis-{pp.municipality.slug}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    # The byte order mark tells Excel the file is UTF-8 (the labels hold "é" and "’").
    return Response(
        "\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )
