"""KPIs and the peer comparison, on tiny hand-made data whose values can be checked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy.orm import Session

from scheduler.booking.models import Visit, VisitStatus
from scheduler.capacity.models import Expert, TravelMode, WeeklyShift
from scheduler.catalog.models import ServiceType
from scheduler.insights import kpis, searches
from scheduler.planning.models import ExpertDay
from scheduler.tenants.models import Municipality

UTC = dt.UTC
MONDAY = dt.date(2026, 11, 30)
C, N, X = VisitStatus.COMPLETED, VisitStatus.NOT_HOME, VisitStatus.CANCELLED


def municipality(session: Session, slug: str) -> tuple[Municipality, ServiceType, Expert]:
    m = Municipality(
        slug=slug, name=slug, center_lat=52.09, center_lon=5.12, radius_km=9, email="a@b.nl"
    )
    session.add(m)
    session.flush()
    s = ServiceType(
        municipality_id=m.id, code="wmo", name_nl="W", name_en="W", duration_minutes=60, skill="wmo"
    )
    e = Expert(
        municipality_id=m.id,
        name="E",
        skills=["wmo"],
        travel_mode=TravelMode.BIKE,
        start_lat=52.09,
        start_lon=5.12,
    )
    # Monday 09:00-17:00 local with a 30-minute lunch: 450 working minutes.
    e.shifts = [
        WeeklyShift(
            weekday=0,
            start=dt.time(9),
            end=dt.time(17),
            break_earliest=dt.time(12),
            break_latest=dt.time(13),
            break_minutes=30,
        )
    ]
    session.add_all([s, e])
    session.flush()
    return m, s, e


def visit(
    session: Session,
    m: Municipality,
    s: ServiceType,
    start: dt.datetime,
    status: VisitStatus,
    day: ExpertDay | None = None,
    n: int = 0,
) -> None:
    session.add(
        Visit(
            municipality_id=m.id,
            service_type_id=s.id,
            reference=f"AH-{m.slug[:2]}{n:02d}-TEST",
            manage_token_hash="x",
            status=status,
            date=start.date(),
            window_start=start,
            window_end=start + dt.timedelta(hours=2),
            duration_minutes=60,
            lat=52.09,
            lon=5.12,
            ical_uid=f"{m.slug}{n}",
            created_at=start,
            updated_at=start,
            expert_day_id=day.id if day else None,
            expert_id=day.expert_id if day else None,
        )
    )


def seed_one(
    session: Session, slug: str, outcomes: list[VisitStatus], evening: int
) -> Municipality:
    """Monday: len(outcomes) visits of 60 min, ``evening`` of them at 18:00; 1 h of travel."""
    m, s, e = municipality(session, slug)
    day = ExpertDay(
        municipality_id=m.id,
        expert_id=e.id,
        date=MONDAY,
        stops=[],
        travel_seconds=3600,
        updated_at=dt.datetime(2026, 11, 1, tzinfo=UTC),
    )
    session.add(day)
    session.flush()
    for n, status in enumerate(outcomes):
        hour = 17 if n < evening else 8  # UTC: 18:00 or 09:00 local in winter
        visit(session, m, s, dt.datetime(2026, 11, 30, hour, 0, tzinfo=UTC), status, day, n)
    # Two searches: first window 1 day and 3 days after the search.
    at = dt.datetime(2026, 11, 30, 10, tzinfo=UTC)
    for first in (at + dt.timedelta(days=1), at + dt.timedelta(days=3), None):
        searches.record(
            session,
            municipality_id=m.id,
            service_type_id=s.id,
            at=at,
            first_window_start=first,
        )
    session.flush()
    return m


def test_kpis_by_hand(session: Session) -> None:
    """Four visits (3 completed, 1 not home, 1 in the evening) on one 450-minute expert-day."""
    m = seed_one(session, "een", [C, C, C, N], evening=1)
    got = kpis.compute(session, municipality=m, start=MONDAY, end=MONDAY)
    assert got.values == {
        "days_to_first_window": 2.0,  # mean of 1 and 3 days; the empty search does not count
        "evening_weekend_share": 25.0,  # 1 of 4
        "travel_minutes_per_visit": 15.0,  # 60 minutes over 4 routed visits
        "visits_per_expert_day": 4.0,
        "not_home_rate": 25.0,  # 1 of 3 + 1
        "utilisation": round(100 * 240 / 450, 2),
    }


def test_cancelled_visits_and_other_days_do_not_count(session: Session) -> None:
    """Cancelled visits are left out; a period without data gives None, not zero."""
    m = seed_one(session, "twee", [C, X], evening=0)
    got = kpis.compute(session, municipality=m, start=MONDAY, end=MONDAY)
    assert got.counts["visits"] == 1 and got.values["visits_per_expert_day"] == 1.0
    later = MONDAY + dt.timedelta(days=1)
    empty = kpis.compute(session, municipality=m, start=later, end=later)
    assert empty.values["not_home_rate"] is None and empty.values["utilisation"] is None


def test_peer_ranks_and_quartiles(session: Session) -> None:
    """Three municipalities: rank 1 is best in the KPI's own direction; quartiles of all three."""
    a = seed_one(session, "aa", [C, C, C, N], evening=2)  # not home 25%, evening 50%
    seed_one(session, "bb", [C, N], evening=0)  # not home 50%, evening 0%
    seed_one(session, "cc", [C, C, C, C], evening=1)  # not home 0%, evening 25%
    standings = {
        p.key: p
        for p in kpis.compare(
            session, municipality=a, start=MONDAY, end=MONDAY, min_peers=3, min_visits=2
        )
    }
    nh = standings["not_home_rate"]
    assert (nh.value, nh.rank, nh.peers, nh.median) == (25.0, 2, 3, 25.0)
    assert (nh.q1, nh.q3) == (12.5, 37.5)
    ev = standings["evening_weekend_share"]
    assert (ev.value, ev.rank) == (50.0, 1)  # higher is better here


def test_csv_has_a_row_per_week_and_kpi(session: Session) -> None:
    """The CSV export has a header and one row per KPI per week, in Dutch or English."""
    m = seed_one(session, "csv", [VisitStatus.COMPLETED], evening=0)
    weeks = kpis.weekly(session, municipality=m, start=MONDAY, end=MONDAY + dt.timedelta(days=8))
    assert len(weeks) == 2
    text = kpis.to_csv(weeks, dutch=False)
    lines = text.strip().splitlines()
    assert lines[0].startswith("week_start,week_end,kpi")
    assert len(lines) == 1 + 2 * len(kpis.DEFINITIONS)
    assert "waarde" in kpis.to_csv(weeks).splitlines()[0]


def test_dutch_csv_opens_in_dutch_excel(session: Session) -> None:
    """The Dutch export separates fields with ';' and writes decimal commas, with Dutch units;
    the English one keeps ',' and a decimal point."""
    m = seed_one(session, "nlcsv", [C, C, N], evening=1)
    weeks = kpis.weekly(session, municipality=m, start=MONDAY, end=MONDAY)
    rows = list(csv.reader(io.StringIO(kpis.to_csv(weeks)), delimiter=";"))
    assert rows[0] == ["week_begin", "week_eind", "kpi", "omschrijving", "eenheid", "waarde"]
    by_key = {r[2]: r for r in rows[1:]}
    share = weeks[0].values["evening_weekend_share"]
    assert share == 33.33
    assert by_key["evening_weekend_share"][5] == "33,33"
    assert by_key["travel_minutes_per_visit"][4] == "minuten"
    english = list(csv.reader(io.StringIO(kpis.to_csv(weeks, dutch=False))))
    assert {r[2]: r for r in english[1:]}["evening_weekend_share"][5] == "33.33"
    assert {r[2]: r for r in english[1:]}["travel_minutes_per_visit"][4] == "minutes"


def test_an_empty_week_is_no_data_for_every_figure(session: Session) -> None:
    """A week with working time but no visits is no data (None) for every figure, not 0%, and
    the two weeks together give the busy week's utilisation, not half of it."""
    m = seed_one(session, "leeg", [C, C, C, N], evening=1)
    busy, empty = kpis.weekly(
        session, municipality=m, start=MONDAY, end=MONDAY + dt.timedelta(days=13)
    )
    assert all(v is None for v in empty.values.values())
    assert empty.values["utilisation"] is None and empty.values["visits_per_expert_day"] is None
    both = kpis.compute(session, municipality=m, start=MONDAY, end=MONDAY + dt.timedelta(days=13))
    assert both.values["utilisation"] == busy.values["utilisation"] == round(100 * 240 / 450, 2)


def test_no_rank_among_too_few_peers_with_data(session: Session) -> None:
    """Three municipalities with four visits each: no rank ("rank 1 of 3" would mean nothing),
    but the median is still shown; with enough peers of enough data the rank comes back."""
    a = seed_one(session, "ra", [C, C, C, N], evening=2)
    seed_one(session, "rb", [C, N], evening=0)
    seed_one(session, "rc", [C, C, C, C], evening=1)
    (nh,) = [
        p
        for p in kpis.compare(session, municipality=a, start=MONDAY, end=MONDAY)
        if p.key == "not_home_rate"
    ]
    assert (nh.rank, nh.ranked, nh.peers, nh.median) == (None, False, 3, 25.0)
    (nh,) = [
        p
        for p in kpis.compare(
            session, municipality=a, start=MONDAY, end=MONDAY, min_peers=2, min_visits=4
        )
        if p.key == "not_home_rate"
    ]
    # "rb" has two visits: too little data to rank against; among a and rc, a is second.
    assert (nh.rank, nh.ranked, nh.comparable) == (2, True, 2)


@pytest.mark.parametrize("d", kpis.DEFINITIONS, ids=lambda d: d.key)
def test_every_kpi_has_both_languages(d: kpis.KpiDefinition) -> None:
    """Each KPI is labelled in Dutch and English and says which direction is better."""
    assert d.label_nl and d.label_en and d.label_nl != d.label_en
    assert isinstance(d.higher_is_better, bool)
