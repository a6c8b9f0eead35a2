"""The planner's web pages at HTML level: who may see them, that their numbers are the domain's,
and the flows that change things (optimise → apply, a stale proposal, a sick expert re-planned,
booking on behalf of a caller, phone tasks, experts, shifts, services).

The world is ``planner_world``: Gemeente Demostad with bookings and a week of history, a peer
municipality, and a planner, an expert and an admin, on a frozen clock (Monday 30 November 2026).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from planner_world import DAY, NOW, PEER, SLUG, TRAVEL, frozen_clock, seeded
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from api.web import planner_kpis
from api.web.i18n import Translator, format_time
from api.web.messages import MESSAGES
from api.web.planner import SECTIONS
from api.web.planner_changes import REASON_KEYS
from api.web.planner_proposal import change_lines
from scheduler.booking.models import (
    ACTIVE_STATUSES,
    Channel,
    Offer,
    Visit,
    VisitEvent,
    VisitSearch,
    VisitStatus,
)
from scheduler.capacity.models import ExceptionKind, Expert, ShiftException, TravelMode
from scheduler.capacity.overview import capacity_overview
from scheduler.day import state as day_state
from scheduler.db import make_engine, make_sessionmaker
from scheduler.insights import kpis
from scheduler.notify.models import OutboxMessage
from scheduler.planning import jobs
from scheduler.planning.models import ExpertDay, OptimisationJob, Proposal
from scheduler.planning.schemas import DayFigures, MoveRead, ProposalRead, RouteRead, StopRead
from scheduler.planning.service import MOVE_REASONS
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases
from scheduler.waitlist import service as waitlist

BASE = f"/planner/{SLUG}"
BASE_URL = "http://aanhuis.example.nl"


class Html(HTMLParser):
    """Just enough HTML parsing for assertions: elements by id with their text, and all text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.parts: list[str] = []
        self.by_id: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag in ("input", "br", "link", "meta", "img", "line", "rect", "circle"):
            return
        ident = values.get("id")
        if ident:
            self.by_id[ident] = []
        self._open.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            opened, _ = self._open.pop()
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        for _, ident in self._open:
            if ident:
                self.by_id[ident].append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))

    def text_of(self, ident: str) -> str:
        assert ident in self.by_id, f"no element #{ident}"
        return re.sub(r"\s+", " ", "".join(self.by_id[ident])).strip()

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def msg(key: str, lang: str = "nl", **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


@dataclass
class Site:
    client: TestClient
    sessions: sessionmaker[Session]
    facts: dict[str, Any]

    def sign_in(self, who: str) -> None:
        """Sign in through the form (the session cookie holds a session id, not the token)."""
        self.client.cookies.delete("aanhuis_session")
        answer = self.post("/login", {"token": self.facts["tokens"][who]})
        assert answer.status_code == 303, answer.text[:300]

    @property
    def csrf(self) -> str:
        if not self.client.cookies.get("aanhuis_csrf"):
            self.client.get("/login")
        token = self.client.cookies.get("aanhuis_csrf")
        assert token
        return token

    def post(self, url: str, data: dict[str, str] | None = None) -> Any:
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})})

    def municipality(self, session: Session) -> Municipality:
        m = session.get(Municipality, self.facts["municipality_id"])
        assert m is not None
        return m


@pytest.fixture
def site(backend: str, db_url: str) -> Iterator[Site]:
    with seeded(backend, db_url) as (url, facts), frozen_clock():
        engine = make_engine(url)
        app = create_app(
            Settings(database_url=url, base_url=BASE_URL, smtp_host=None, optimize_time_limit=1.0)
        )
        with TestClient(app, follow_redirects=False) as client:
            yield Site(client, make_sessionmaker(engine), facts)
        app.state.engine.dispose()
        engine.dispose()


def optimise(site: Site, mode: str = "") -> str:
    """Press "optimise" on the day page: the job is queued (its page says so), a worker runs it,
    and the job's page then leads to the proposal; the proposal's URL."""
    r = site.post(f"{BASE}/dag/{DAY.isoformat()}/optimaliseren", {"modus": mode} if mode else None)
    assert r.status_code == 303, r.text[:300]
    job_url = r.headers["location"]
    assert job_url.startswith(f"{BASE}/optimalisatie/")
    waiting = site.client.get(job_url)
    assert waiting.status_code == 200
    assert msg("planner.job.queued") in Html(waiting.text).text
    # Without script, the refresh link is the way on.
    assert Html(waiting.text).find("a", id="vernieuwen")[0]["href"] == job_url
    assert site.client.get(f"{job_url}/status").json()["status"] == "queued"
    assert jobs.run_pending(site.sessions, TRAVEL) == 1
    status = site.client.get(f"{job_url}/status").json()
    assert status["status"] == "done" and status["proposal_url"]
    done = site.client.get(job_url)
    assert done.status_code == 303
    assert done.headers["location"] == status["proposal_url"]
    return str(status["proposal_url"])


def offer_ids(html: str) -> list[str]:
    return re.findall(r'name="aanbod" value="([0-9a-f]+)"', html)


# -- access -------------------------------------------------------------------------------------

PAGES = [
    f"{BASE}/",
    f"{BASE}/capaciteit",
    f"{BASE}/medewerkers",
    f"{BASE}/sluitingsdagen",
    f"{BASE}/diensten",
    f"{BASE}/dag/{DAY.isoformat()}",
    f"{BASE}/balie",
    f"{BASE}/bellen",
    f"{BASE}/kpis",
    f"{BASE}/kpis.csv",
]


def test_without_a_session_every_page_sends_the_browser_to_sign_in(site: Site) -> None:
    """Not signed in: a GET goes to /login and comes back to the page; a POST to the start."""
    for path in PAGES:
        r = site.client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"] == f"/login?next={path}", path
    r = site.post(f"{BASE}/dag/{DAY.isoformat()}/optimaliseren")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/planner/"
    with site.sessions() as s:
        assert s.scalar(select(Proposal.id)) is None


@pytest.mark.parametrize("who", ["other", "expert"])
def test_a_planner_of_another_municipality_or_an_expert_gets_the_friendly_403(
    site: Site, who: str
) -> None:
    """Signed in, but not a planner here: 403 pages that say why, with none of the data."""
    site.sign_in(who)
    with site.sessions() as s:
        names = [
            e.name
            for e in s.scalars(
                select(Expert).where(Expert.municipality_id == site.facts["municipality_id"])
            )
        ]
    for path in PAGES:
        r = site.client.get(path)
        assert r.status_code == 403, path
        text = Html(r.text).text
        assert msg("planner.forbidden.title") in text
        assert msg(f"planner.forbidden.{'planner' if who == 'other' else 'expert'}") in text
        assert not any(name in text for name in names), path
    r = site.post(f"{BASE}/dag/{DAY.isoformat()}/optimaliseren")
    assert r.status_code == 403
    with site.sessions() as s:
        assert s.scalar(select(Proposal.id)) is None


def test_the_peer_planner_may_open_their_own_pages(site: Site) -> None:
    """The same pages answer 200 for the other municipality's own planner."""
    site.sign_in("other")
    assert site.client.get(f"/planner/{PEER}/").status_code == 200
    assert site.client.get("/planner/").headers["location"] == f"/planner/{PEER}/"


def test_sign_in_as_planner_leads_to_the_own_overview(site: Site) -> None:
    """/login with a planner's token sets the session and, via /planner/, opens their overview."""
    r = site.post("/login", {"token": site.facts["tokens"]["planner"]})
    assert r.status_code == 303
    target = r.headers["location"]
    assert target == "/planner/"
    r = site.client.get(target)
    assert r.headers["location"] == f"{BASE}/"
    r = site.client.get(f"{BASE}/")
    assert r.status_code == 200
    assert msg("planner.overview.title") in Html(r.text).text


def test_an_admin_chooses_a_municipality_and_may_open_any(site: Site) -> None:
    """/planner/ lists every municipality for an admin, who may open each one's pages."""
    site.sign_in("admin")
    r = site.client.get("/planner/")
    assert r.status_code == 200
    links = {a.get("href") for a in Html(r.text).find("a")}
    assert {f"/planner/{SLUG}/", f"/planner/{PEER}/"} <= links
    assert site.client.get(f"{BASE}/capaciteit").status_code == 200
    assert site.client.get(f"/planner/{PEER}/kpis").status_code == 200


def test_an_expert_on_the_planner_start_gets_403(site: Site) -> None:
    """/planner/ is no way in for an expert either."""
    site.sign_in("expert")
    r = site.client.get("/planner/")
    assert r.status_code == 403
    assert msg("planner.forbidden.home.expert") in Html(r.text).text


# -- overview -----------------------------------------------------------------------------------


def test_overview_shows_at_risk_promises_and_phone_tasks_at_once(site: Site) -> None:
    """A late visit and a message for a citizen without e-mail both show on the overview."""
    with site.sessions() as s:
        visit = s.scalars(
            select(Visit)
            .where(Visit.date == DAY, Visit.expert_day_id.is_not(None))
            .order_by(Visit.id)
        ).first()
        assert visit is not None
        visit.at_risk = True
        reference = visit.reference
        m = site.municipality(s)
        s.add(
            OutboxMessage(
                municipality_id=m.id,
                visit_id=visit.id,
                kind="disruption",
                channel="call",
                recipient=None,
                subject="[bellen] test",
                body="Beste inwoner",
                created_at=NOW,
                send_after=NOW,
            )
        )
        s.commit()
    site.sign_in("planner")
    html = Html(site.client.get(f"{BASE}/").text)
    assert msg("planner.overview.at_risk.title", count=1) in html.text
    assert reference in html.text
    assert msg("planner.overview.calls.title", count=1) in html.text


# -- capacity -----------------------------------------------------------------------------------


def test_heat_map_numbers_equal_the_capacity_overview(site: Site) -> None:
    """Every cell's utilisation, each day's total and each week's visits are the overview's."""
    site.sign_in("planner")
    r = site.client.get(f"{BASE}/capaciteit", params={"start": "2026-11-30", "dagen": 14})
    assert r.status_code == 200
    html = Html(r.text)
    with site.sessions() as s:
        overview = capacity_overview(
            s,
            municipality=site.municipality(s),
            start=dt.date(2026, 11, 30),
            days=14,
            travel=TRAVEL,
        )

    def pct(share: float | None) -> str:
        return "–" if share is None else f"{round(share * 100)}%"

    checked = 0
    for row in overview.experts:
        for day, cell in zip(overview.dates, row.cells, strict=True):
            text = html.text_of(f"cel-{row.expert_id}-{day.isoformat()}")
            if cell is None:
                assert text.startswith("–")
                continue
            shown = text.split(" ")[0]
            if cell.shift_start is not None:
                assert shown == pct(cell.figures.utilisation), (row.name, day)
                assert f"{cell.figures.visits} " in text
                checked += 1
    assert checked > 10
    assert any(c is not None and c.figures.visits for r in overview.experts for c in r.cells)
    for column in overview.days:
        assert html.text_of(f"dag-{column.date.isoformat()}") == pct(column.figures.utilisation)
    for week in overview.weeks:
        assert f"Week {week.week} " in html.text
    assert msg("planner.capacity.weeks") in html.text


# -- KPIs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [None, ("2026-11-16", "2026-12-06")])
def test_kpi_values_equal_compute_and_peers_stay_anonymous(
    site: Site, period: tuple[str, str] | None
) -> None:
    """Each KPI's value is kpis.compute's for the period; rank, median and quartiles are
    kpis.compare's; no other municipality is named."""
    site.sign_in("planner")
    params = {"van": period[0], "tot": period[1]} if period else {}
    r = site.client.get(f"{BASE}/kpis", params=params)
    assert r.status_code == 200
    html = Html(r.text)
    if period:
        start, end = (dt.date.fromisoformat(p) for p in period)
    else:
        p = planner_kpis.weeks_back(NOW.date(), planner_kpis.DEFAULT_WEEKS)
        start, end = p.start, p.end
    with site.sessions() as s:
        m = site.municipality(s)
        values = kpis.compute(s, municipality=m, start=start, end=end).values
        standings = {x.key: x for x in kpis.compare(s, municipality=m, start=start, end=end)}
        peer_name = s.get(Municipality, site.facts["peer_id"]).name  # type: ignore[union-attr]
    shown = {
        a["id"].removeprefix("kpi-").removesuffix("-waarde"): a["data-value"]
        for a in html.find("span")
        if a.get("id", "").endswith("-waarde")
    }
    assert set(shown) == {d.key for d in kpis.DEFINITIONS}
    assert sum(v is not None for v in values.values()) >= 4
    for key, value in values.items():
        assert (float(shown[key]) if shown[key] else None) == value, key
    for key, standing in standings.items():
        if standing.rank is not None and standing.median is not None:
            assert msg("planner.kpi.rank", rank=standing.rank, peers=standing.comparable) in (
                html.text_of(f"kpi-{key}-vergelijking")
            )
        elif not standing.ranked and standing.median is not None:
            # Too few peers with enough data: no "rank 1 of 2", and the page says why.
            assert msg(
                "planner.kpi.rank.too_few",
                needed=kpis.MIN_PEERS,
                visits=kpis.MIN_VISITS,
                comparable=standing.comparable,
            ) in html.text_of(f"kpi-{key}-vergelijking")
    assert any(s.peers == 2 for s in standings.values())
    assert peer_name not in html.text and PEER not in html.text


def test_kpi_period_that_makes_no_sense_falls_back_and_says_so(site: Site) -> None:
    """An end before the start shows the default period with a message, never a crash."""
    site.sign_in("planner")
    r = site.client.get(f"{BASE}/kpis", params={"van": "2026-12-01", "tot": "2026-11-01"})
    assert r.status_code == 422
    assert msg("planner.kpi.invalid.title") in Html(r.text).text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_kpi_csv_download_has_the_weekly_rows(site: Site, lang: str) -> None:
    """The CSV is text/csv, an attachment, one row per week and KPI with kpis.weekly's values."""
    site.sign_in("planner")
    r = site.client.get(
        f"{BASE}/kpis.csv", params={"van": "2026-11-16", "tot": "2026-12-06", "lang": lang}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "kpis-demo-2026-11-16-2026-12-06.csv" in r.headers["content-disposition"]
    assert r.text.startswith("\ufeff")
    text = r.text.removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if lang == "nl" else ","))
    assert rows[0][0] == ("week_begin" if lang == "nl" else "week_start")
    with site.sessions() as s:
        weeks = kpis.weekly(
            s,
            municipality=site.municipality(s),
            start=dt.date(2026, 11, 16),
            end=dt.date(2026, 12, 6),
        )
    assert len(weeks) == 3
    assert len(rows) == 1 + len(weeks) * len(kpis.DEFINITIONS)
    for row in rows[1:]:
        week = next(w for w in weeks if w.start.isoformat() == row[0])
        value = week.values[row[2]]
        written = "" if value is None else str(value)
        assert row[5] == (written.replace(".", ",") if lang == "nl" else written)


# -- day view, optimise, apply ------------------------------------------------------------------


def _day_orders(s: Session, municipality_id: int) -> dict[int, list[int]]:
    return {
        d.expert_id: [int(x["id"]) for x in d.stops if x["type"] == "visit"]
        for d in s.scalars(
            select(ExpertDay).where(
                ExpertDay.municipality_id == municipality_id, ExpertDay.date == DAY
            )
        )
    }


def test_day_view_lists_every_visit_of_the_day_with_its_expert(site: Site) -> None:
    """Each planned visit of the day is in its expert's list and on the timeline, the map
    section is an enhancement (hidden) and tiles are allowed by the page's CSP only."""
    site.sign_in("planner")
    r = site.client.get(f"{BASE}/dag/{DAY.isoformat()}")
    assert r.status_code == 200
    html = Html(r.text)
    with site.sessions() as s:
        orders = _day_orders(s, site.facts["municipality_id"])
        refs = {v.id: v.reference for v in s.scalars(select(Visit).where(Visit.date == DAY))}
    planned = [v for order in orders.values() for v in order]
    assert planned
    for expert_id, order in orders.items():
        if order:
            route = html.text_of(f"route-{expert_id}")
            assert route
    for vid in planned:
        assert refs[vid] in html.text
    assert len(html.find("rect", **{"class": "aanhuis-tl__visit"})) + len(
        html.find("rect", **{"class": "aanhuis-tl__visit aanhuis-tl__visit--done"})
    ) == len(planned)
    assert html.find("section", id="kaart")[0].get("hidden") is not None
    assert "tile.openstreetmap.org" in r.headers["content-security-policy"]


def _take_out_of_its_plan(site: Site) -> int:
    """Take one planned visit of the day out of its expert's plan (as a disruption leaves it:
    booked, at risk, in no route), so that optimising has a visit to give a place."""
    with site.sessions() as s:
        day = max(
            s.scalars(
                select(ExpertDay).where(
                    ExpertDay.municipality_id == site.facts["municipality_id"],
                    ExpertDay.date == DAY,
                )
            ),
            key=lambda d: sum(1 for x in d.stops if x["type"] == "visit"),
        )
        vid = next(int(x["id"]) for x in reversed(day.stops) if x["type"] == "visit")
        day.stops = [x for x in day.stops if not (x["type"] == "visit" and int(x["id"]) == vid)]
        visit = s.get(Visit, vid)
        assert visit is not None
        visit.expert_day_id = visit.expert_id = None
        visit.planned_arrival = visit.planned_start = visit.planned_end = None
        visit.at_risk = True
        s.commit()
        return vid


def test_optimise_then_apply_changes_the_plan(site: Site) -> None:
    """Optimise shows the proposal's before/after figures (a visit without a place gets one);
    applying writes its routes, the visits become planned and the day page says so."""
    waiting = _take_out_of_its_plan(site)
    site.sign_in("planner")
    day_before = Html(site.client.get(f"{BASE}/dag/{DAY.isoformat()}").text)
    assert msg("planner.day.unplanned.title", count=1) in day_before.text
    proposal_url = optimise(site)
    proposal_id = proposal_url.rsplit("/", 1)[1]
    page = site.client.get(proposal_url)
    assert page.status_code == 200
    html = Html(page.text)
    with site.sessions() as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal is not None and proposal.status == "open"
        before, after = proposal.before, proposal.after
        wanted = {
            int(r["expert_id"]): [int(x["id"]) for x in r["stops"] if x["type"] == "visit"]
            for r in proposal.plan["routes"]
        }
    assert (before["visits_unassigned"], after["visits_unassigned"]) == (1, 0)
    assert html.text_of("cijfer-unassigned").split()[2:5] == ["1", "0", "−1"]
    travel = html.text_of("cijfer-travel")
    assert f"{round(before['travel_seconds'] / 60)} min" in travel
    assert f"{round(after['travel_seconds'] / 60)} min" in travel
    assert str(after["visits_assigned"]) in html.text_of("cijfer-assigned")
    r = site.post(f"{proposal_url}/toepassen")
    assert r.status_code == 303
    assert r.headers["location"] == f"{BASE}/dag/{DAY.isoformat()}?toegepast=1"
    with site.sessions() as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal is not None and proposal.status == "applied"
        orders = _day_orders(s, site.facts["municipality_id"])
        placed = [v for visits in wanted.values() for v in visits]
        statuses = {v.status for v in s.scalars(select(Visit).where(Visit.id.in_(placed)))}
        placed_visit = s.get(Visit, waiting)
        assert placed_visit is not None and placed_visit.expert_day_id is not None
    assert waiting in placed
    for expert_id, visits in wanted.items():
        assert orders.get(expert_id, []) == visits
    assert statuses == {VisitStatus.PLANNED}
    day = Html(site.client.get(r.headers["location"]).text)
    assert msg("planner.day.applied.title") in day.text
    assert msg("planner.day.unplanned.title", count=1) not in day.text


def test_a_stale_proposal_gets_a_friendly_409_with_optimise_again(site: Site) -> None:
    """A booking cancelled after optimising makes applying refuse: a 409 page explaining it,
    with a button to optimise again, and the plan untouched."""
    site.sign_in("planner")
    proposal_url = optimise(site)
    proposal_id = proposal_url.rsplit("/", 1)[1]
    with site.sessions() as s:
        m = site.municipality(s)
        visit = s.scalars(select(Visit).where(Visit.date == DAY).order_by(Visit.id)).first()
        assert visit is not None
        booking_usecases.cancel(s, municipality=m, visit=visit, travel=TRAVEL)
        orders = _day_orders(s, m.id)
    r = site.post(f"{proposal_url}/toepassen")
    assert r.status_code == 409
    html = Html(r.text)
    assert msg("planner.proposal.conflict.title") in html.text
    assert html.find("form", action=f"{BASE}/dag/{DAY.isoformat()}/optimaliseren")
    assert html.find("div", id="conflict")
    with site.sessions() as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal is not None and proposal.status == "stale"
        assert _day_orders(s, site.facts["municipality_id"]) == orders


def test_the_proposal_explains_every_change_in_words_with_its_timeline_and_map(site: Site) -> None:
    """Each visit whose expert or start changes is one line in the planner's words ("Bezoek …
    gaat van A naar B; 10:07 → 11:15"), nothing else is listed, the summary's counts agree with
    the lines, and the proposed routes are drawn (timeline, tables, map data) next to the current
    ones; working time (travel + waiting) is the first figure."""
    waiting = _take_out_of_its_plan(site)
    site.sign_in("planner")
    proposal_url = optimise(site, "free")
    r = site.client.get(proposal_url)
    assert r.status_code == 200
    html = Html(r.text)
    with site.sessions() as s:
        m = site.municipality(s)
        tz = ZoneInfo(m.timezone)
        proposal = s.get(Proposal, proposal_url.rsplit("/", 1)[1])
        assert proposal is not None
        names = {e.id: e.name for e in s.scalars(select(Expert))}
        visits = {
            v.id: v
            for v in s.scalars(
                select(Visit).where(
                    Visit.date == DAY,
                    Visit.municipality_id == m.id,
                    Visit.status.in_(ACTIVE_STATUSES),
                )
            )
        }
        plan = proposal.plan
        before, after = proposal.before, proposal.after
    proposed = {
        int(x["id"]): (int(r["expert_id"]), dt.datetime.fromisoformat(x["start"]))
        for r in plan["routes"]
        for x in r["stops"]
        if x["type"] == "visit"
    }
    moved = {int(x["visit_id"]): x for x in plan["moved"]}
    expected: dict[str, list[str]] = {"moved": [], "placed": [], "retimed": []}
    for vid, (eid, start) in proposed.items():
        v = visits[vid]
        was = format_time(v.planned_start, tz) if v.planned_start else "–"
        new_time = format_time(start, tz)
        if vid == waiting or (vid in moved and moved[vid]["from"] is None):
            expected["placed"].append(
                msg(
                    "planner.change.placed",
                    reference=v.reference,
                    target=names[eid],
                    after=new_time,
                )
            )
        elif vid in moved:
            expected["moved"].append(
                msg(
                    "planner.change.moved",
                    reference=v.reference,
                    source=names[moved[vid]["from"]],
                    target=names[moved[vid]["to"]],
                    before=was,
                    after=new_time,
                )
            )
        elif v.planned_start is None or abs(start - v.planned_start) >= dt.timedelta(minutes=1):
            expected["retimed"].append(
                msg(
                    "planner.change.retimed",
                    reference=v.reference,
                    expert=names[eid],
                    before=was,
                    after=new_time,
                )
            )
    assert expected["placed"], "the visit without a place gets one"
    listed = html.text_of("wijzigingen")
    for kind, lines in expected.items():
        assert len(html.find("li", **{"data-kind": kind})) == len(lines), kind
        for line in lines:
            assert line in listed
    assert not html.find("li", **{"data-kind": "dropped"})
    # The lines agree with the proposal's own count of visits that change expert.
    assert len(expected["moved"]) == ProposalRead.of(proposal).moves
    assert html.text_of("wijzigingen-samenvatting") == msg(
        "planner.proposal.changes.summary",
        moved=len(expected["moved"]),
        visits=len(visits),
        retimed=len(expected["retimed"]),
        placed=len(expected["placed"]),
    )
    # The proposed routes: one visit block per visit on the proposal's timeline, one table row
    # (with coordinates for its map) per visit; the current timeline and map data are there too.
    svg = re.search(r'<svg[^>]*id="tijdlijn-voorstel".*?</svg>', r.text, re.S)
    assert svg is not None
    assert svg.group(0).count('class="aanhuis-tl__visit"') == len(proposed)
    assert re.search(r'<svg[^>]*id="tijdlijn-nu"', r.text)
    assert len(html.find("tr", **{"class": "utrecht-table__row aanhuis-planner-stop"})) == len(
        proposed
    )
    assert html.find("section", id="kaart-voorstel")[0]["data-routes"] == ".aanhuis-proposal-route"
    assert html.find("section", id="kaart-nu")
    working = html.text_of("cijfer-working")
    assert f"{round((before['travel_seconds'] + before['waiting_seconds']) / 60)} min" in working
    assert f"{round((after['travel_seconds'] + after['waiting_seconds']) / 60)} min" in working
    assert html.find("tr", id="cijfer-balance")
    assert plan["mode"] == "free"
    assert html.text_of("werkwijze") == msg("planner.proposal.mode", mode=msg("planner.mode.free"))
    english = Html(site.client.get(f"{proposal_url}?lang=en").text)
    assert english.text_of("werkwijze") == msg(
        "planner.proposal.mode", "en", mode=msg("planner.mode.free", "en")
    )
    assert msg("planner.proposal.metric.working", "en") in english.text_of("cijfer-working")
    site.client.get(f"{proposal_url}?lang=nl")
    # The mode choice proposes again.
    form = html.find("form", id="opnieuw")[0]
    assert form["action"] == f"{BASE}/dag/{DAY.isoformat()}/optimaliseren"
    assert {i["value"] for i in html.find("input", name="modus", type="radio")} == {
        "keep_experts",
        "balanced",
        "free",
    }


def test_a_move_and_a_new_time_read_as_the_planner_says_them(site: Site) -> None:
    """One visit handed from its expert to a colleague an hour later, one kept but 30 minutes
    later: exactly two lines, "Bezoek X gaat van A naar B; 10:07 → 11:07" and "Bezoek Y blijft
    bij A; …", whatever else the proposal holds unchanged."""
    with site.sessions() as s:
        m = site.municipality(s)
        state = day_state.load_day(s, m, DAY)
        tz = state.tz
        by_expert: dict[int, list[Visit]] = {}
        for v in state.visits.values():
            if v.expert_day_id is not None and v.planned_start is not None:
                by_expert.setdefault(v.expert_id or 0, []).append(v)
        (a, mine), (b, _) = sorted(by_expert.items(), key=lambda kv: -len(kv[1]))[:2]
        handed, later = sorted(mine, key=lambda v: v.planned_start or NOW)[:2]
        names = {e.id: e.name for e in state.experts.values()}

        def stop(v: Visit, shift: dt.timedelta) -> StopRead:
            assert v.planned_arrival and v.planned_start and v.planned_end
            return StopRead(
                type="visit",
                id=v.id,
                arrival=v.planned_arrival + shift,
                start=v.planned_start + shift,
                end=v.planned_end + shift,
            )

        routes: dict[int, list[StopRead]] = {}
        for v in state.visits.values():
            if v.expert_day_id is None or v.expert_id is None:
                continue
            shift = dt.timedelta(0)
            expert = v.expert_id
            if v.id == handed.id:
                shift, expert = dt.timedelta(hours=1), b
            elif v.id == later.id:
                shift = dt.timedelta(minutes=30)
            routes.setdefault(expert, []).append(stop(v, shift))
        figures = DayFigures(
            travel_seconds=0,
            distance_km=0,
            waiting_seconds=0,
            overtime_seconds=0,
            visits_assigned=0,
            visits_unassigned=0,
            violations=0,
            experts=[],
        )
        proposal = ProposalRead(
            id="x",
            date=DAY,
            status="open",
            mode="free",
            base_version=0,
            improved=True,
            note="",
            before=figures,
            after=figures,
            routes=[RouteRead(expert_id=e, expert=names[e], stops=r) for e, r in routes.items()],
            unassigned=[],
            moved=[MoveRead(visit_id=handed.id, from_expert_id=a, to_expert_id=b)],
            moves=1,
            newly_planned=[],
            created_at=NOW,
            created_by="test",
            applied_at=None,
        )
        lines = change_lines(proposal, state, names, Translator("nl"))

    def hhmm(instant: dt.datetime) -> str:
        return format_time(instant, tz)

    assert handed.planned_start and later.planned_start
    assert [(c.kind, c.text) for c in lines] == [
        (
            "moved",
            f"Bezoek {handed.reference} gaat van {names[a]} naar {names[b]}; "
            f"{hhmm(handed.planned_start)} → "
            f"{hhmm(handed.planned_start + dt.timedelta(hours=1))}",
        ),
        (
            "retimed",
            f"Bezoek {later.reference} blijft bij {names[a]}; {hhmm(later.planned_start)} → "
            f"{hhmm(later.planned_start + dt.timedelta(minutes=30))}",
        ),
    ]


def test_the_day_page_lists_its_optimisations_and_refuses_an_unknown_mode(site: Site) -> None:
    """A queued optimisation is listed on the day page (to come back to); an unknown mode is a
    422 that queues nothing."""
    site.sign_in("planner")
    r = site.post(f"{BASE}/dag/{DAY.isoformat()}/optimaliseren", {"modus": "fastest"})
    assert r.status_code == 422
    with site.sessions() as s:
        assert s.scalar(select(OptimisationJob.id)) is None
    r = site.post(f"{BASE}/dag/{DAY.isoformat()}/optimaliseren", {"modus": "keep_experts"})
    job_url = r.headers["location"]
    day = Html(site.client.get(f"{BASE}/dag/{DAY.isoformat()}").text)
    listed = day.text_of("optimalisaties-lijst")
    assert msg("planner.jobs.status.queued") in listed
    assert day.find("a", href=job_url)
    assert msg("planner.job.slow") not in site.client.get(f"{job_url}/status").json()["text"]
    with site.sessions() as s:
        queued = s.scalars(select(OptimisationJob)).one()
        queued.created_at = NOW - dt.timedelta(minutes=1)
        s.commit()
    # Still queued a minute later: no worker runs, and the page says what is needed.
    assert msg("planner.job.slow") in site.client.get(f"{job_url}/status").json()["text"]
    assert msg("planner.job.slow") in Html(site.client.get(job_url).text).text_of("voortgang")
    assert jobs.run_pending(site.sessions, TRAVEL) == 1
    day = Html(site.client.get(f"{BASE}/dag/{DAY.isoformat()}").text)
    assert msg("planner.jobs.status.done") in day.text_of("optimalisaties-lijst")
    with site.sessions() as s:
        job = s.scalars(select(OptimisationJob)).one()
        assert job.mode == "keep_experts"
        proposal = s.get(Proposal, job.proposal_id)
        assert proposal is not None and proposal.plan["mode"] == "keep_experts"
        assert proposal.plan["moved"] == []
    assert day.find("a", href=f"{BASE}/voorstel/{job.proposal_id}")


# -- disruption ---------------------------------------------------------------------------------


def test_reporting_sick_lists_the_visits_then_replans_them(site: Site) -> None:
    """Sick on a day with visits: first a 409 listing exactly that expert's visits (nothing is
    recorded), then "save and re-plan" records it and shows each visit as moved or listed."""
    with site.sessions() as s:
        orders = _day_orders(s, site.facts["municipality_id"])
        expert_id, visit_ids = max(orders.items(), key=lambda kv: len(kv[1]))
        refs = {v.id: v.reference for v in s.scalars(select(Visit).where(Visit.id.in_(visit_ids)))}
    assert visit_ids
    site.sign_in("planner")
    r = site.post(f"{BASE}/dag/{DAY.isoformat()}/ziekmelding", {"medewerker": str(expert_id)})
    assert r.status_code == 409
    html = Html(r.text)
    table = html.text_of("geraakt")
    assert sorted(re.findall(r"AH-[A-Z0-9]+-[A-Z0-9]+", table)) == sorted(refs.values())
    with site.sessions() as s:
        assert s.scalar(select(ShiftException.id)) is None
    hidden = {a["name"]: a["value"] for a in html.find("input", type="hidden")}
    assert hidden["medewerker"] == str(expert_id) and hidden["herplannen"] == "ja"
    r = site.post(
        f"{BASE}/dag/{DAY.isoformat()}/ziekmelding",
        {"medewerker": str(expert_id), "herplannen": "ja"},
    )
    assert r.status_code == 200
    text = Html(r.text).text
    with site.sessions() as s:
        exc = s.scalars(select(ShiftException)).one()
        assert (exc.expert_id, exc.date, exc.kind) == (expert_id, DAY, ExceptionKind.SICKNESS)
        visits = list(s.scalars(select(Visit).where(Visit.id.in_(visit_ids))))
        held = {o.reschedule_of for o in s.scalars(select(Offer))}
    assert all(v.expert_id != expert_id for v in visits)
    for v in visits:
        assert v.reference in text
        if v.expert_day_id is None:  # could not be kept: listed, with what was sent and held
            assert v.at_risk
            assert v.id in held or msg("planner.outcome.no_alternatives") in text
    assert msg("planner.outcome.saved") in text


def test_the_replan_outcome_says_why_each_visit_of_the_sick_expert_moved(site: Site) -> None:
    """After "save and re-plan" for a sick expert, every visit moved to a colleague carries its
    reason in the planner's words ("de medewerker is afwezig"); a listed visit carries none."""
    with site.sessions() as s:
        orders = _day_orders(s, site.facts["municipality_id"])
        # The least busy expert: colleagues have room for their visits.
        expert_id, visit_ids = min(
            ((e, vs) for e, vs in orders.items() if vs), key=lambda kv: len(kv[1])
        )
    site.sign_in("planner")
    r = site.post(
        f"{BASE}/dag/{DAY.isoformat()}/ziekmelding",
        {"medewerker": str(expert_id), "herplannen": "ja"},
    )
    assert r.status_code == 200
    html = Html(r.text)
    absent = msg("planner.outcome.reason", reason=msg("planner.outcome.reason.absent"))
    with site.sessions() as s:
        visits = list(s.scalars(select(Visit).where(Visit.id.in_(visit_ids))))
    moved = [v for v in visits if v.expert_day_id is not None]
    assert moved, "the world's busiest expert has visits colleagues can take"
    for v in moved:
        assert v.expert_id != expert_id
        assert html.text_of(f"verplaatst-{v.reference}").endswith(absent)
    assert html.text.count(absent) == len(moved)


def test_leave_over_two_days_on_the_expert_page_asks_then_replans(site: Site) -> None:
    """Recording leave (date to date) on the expert's absence page: the visits of both days
    are listed first; "save and re-plan" records a whole-day absence per date."""
    with site.sessions() as s:
        orders = _day_orders(s, site.facts["municipality_id"])
        expert_id = max(orders, key=lambda e: len(orders[e]))
    site.sign_in("planner")
    url = f"{BASE}/medewerkers/{expert_id}/afwezigheid"
    page = Html(site.client.get(url).text)
    assert page.find("input", name="soort", value="absence")
    form = {"soort": "absence", "datum": DAY.isoformat(), "tot_en_met": "2026-12-02"}
    r = site.post(url, form)
    assert r.status_code == 409
    assert msg("planner.change.exception.absence", name="").strip() in Html(r.text).text
    r = site.post(url, {**form, "herplannen": "ja"})
    assert r.status_code == 200
    with site.sessions() as s:
        dates = sorted(
            e.date
            for e in s.scalars(select(ShiftException).where(ShiftException.expert_id == expert_id))
        )
        assert all(
            v.expert_id != expert_id for v in s.scalars(select(Visit).where(Visit.date.in_(dates)))
        )
    assert dates == [DAY, dt.date(2026, 12, 2)]
    listed = Html(site.client.get(url).text).text
    assert msg("planner.exception.absence") in listed


def test_an_invalid_absence_is_shown_on_the_form(site: Site) -> None:
    """An extra shift without times is refused by the schema: a field error, nothing stored."""
    site.sign_in("planner")
    with site.sessions() as s:
        expert_id = s.scalars(select(Expert.id).order_by(Expert.id)).first()
    url = f"{BASE}/medewerkers/{expert_id}/afwezigheid"
    r = site.post(url, {"soort": "extra", "datum": "2026-12-10"})
    assert r.status_code == 422
    assert Html(r.text).find("a", href="#datum")
    with site.sessions() as s:
        assert s.scalar(select(ShiftException.id)) is None


# -- desk ---------------------------------------------------------------------------------------


def _an_address(site: Site) -> tuple[str, int]:
    from scheduler.addresses.models import Address

    with site.sessions() as s:
        a = s.scalars(
            select(Address)
            .where(Address.municipality_id == site.facts["municipality_id"])
            .order_by(Address.id)
        ).first()
        assert a is not None
        return a.postcode, a.house_number


def _desk_book(site: Site, **extra: str) -> Any:
    postcode, number = _an_address(site)
    r = site.post(
        f"{BASE}/balie/tijden",
        {"dienst": "wmo-intake", "postcode": postcode, "huisnummer": str(number)},
    )
    assert r.status_code == 200, r.text
    html = Html(r.text)
    ids = offer_ids(r.text)
    assert ids
    hidden = {a["name"]: a["value"] for a in html.find("input", type="hidden")}
    data = {
        "dienst": "wmo-intake",
        "aanbod": ids[0],
        "aanbiedingen": hidden["aanbiedingen"],
        "sleutel": hidden["sleutel"],
        "naam": "Bep Jansen",
        "telefoon": "06 12345678",
        "kanaal": "phone",
        "taal": "nl",
        **extra,
    }
    return site.post(f"{BASE}/balie/boeken", data)


def test_desk_booking_is_marked_phone_and_shows_reference_and_link(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A booking for a caller is channel phone, its history names the planner, the page shows
    the reference and a manage link that opens the booking; no personal data in the logs."""
    caplog.set_level(logging.DEBUG)
    site.sign_in("planner")
    r = _desk_book(site)
    assert r.status_code == 200
    html = Html(r.text)
    reference = html.text_of("referentie")
    link = html.find("a", id="beheerlink")[0]["href"]
    assert link.startswith(f"{BASE_URL}/afspraak/{reference}?token=")
    with site.sessions() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == reference)).one()
        assert visit.channel is Channel.PHONE
        events = list(s.scalars(select(VisitEvent).where(VisitEvent.visit_id == visit.id)))
    assert [e.actor for e in events] == ["planner:1"]
    token = link.split("token=", 1)[1]
    assert site.client.get(f"/afspraak/{reference}", params={"token": token}).status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Bep Jansen" not in logged and "12345678" not in logged


def test_desk_booking_needs_a_name_and_a_way_to_reach(site: Site) -> None:
    """Without a name or contact the form comes back with both errors and nothing is booked."""
    site.sign_in("planner")
    with site.sessions() as s:
        count = len(s.scalars(select(Visit.id)).all())
    r = _desk_book(site, naam="", telefoon="")
    assert r.status_code == 422
    text = Html(r.text).text
    assert msg("planner.desk.name.missing") in text
    assert msg("planner.desk.contact.missing") in text
    with site.sessions() as s:
        assert len(s.scalars(select(Visit.id)).all()) == count


def test_desk_moves_and_cancels_a_booking_for_the_caller(site: Site) -> None:
    """Looking up a reference, moving it to an offered window, then cancelling it."""
    site.sign_in("planner")
    with site.sessions() as s:
        visit = s.scalars(
            select(Visit)
            .where(Visit.date == DAY, Visit.municipality_id == site.facts["municipality_id"])
            .order_by(Visit.id)
        ).first()
        assert visit is not None
        reference, old_start = visit.reference, visit.window_start
    r = site.client.get(f"{BASE}/balie/afspraak", params={"referentie": reference.lower()})
    assert r.status_code == 200
    r = site.post(f"{BASE}/balie/afspraak/{reference}/tijden")
    ids = offer_ids(r.text)
    assert ids
    r = site.post(f"{BASE}/balie/afspraak/{reference}/verzetten", {"aanbod": ids[-1]})
    assert r.status_code == 200
    assert msg("planner.desk.moved") in Html(r.text).text
    with site.sessions() as s:
        moved = s.scalars(select(Visit).where(Visit.reference == reference)).one()
        offer_gone = s.get(Offer, ids[-1]) is None
    assert moved.window_start != old_start and offer_gone
    assert site.client.get(f"{BASE}/balie/afspraak/{reference}/annuleren").status_code == 200
    r = site.post(f"{BASE}/balie/afspraak/{reference}/annuleren")
    assert r.status_code == 200
    with site.sessions() as s:
        cancelled = s.scalars(select(Visit).where(Visit.reference == reference)).one()
        assert cancelled.status is VisitStatus.CANCELLED
        assert cancelled.cancelled_by == "planner"


def test_unknown_reference_is_a_form_error(site: Site) -> None:
    """A reference that does not exist here shows the desk again with the error."""
    site.sign_in("planner")
    r = site.client.get(f"{BASE}/balie/afspraak", params={"referentie": "AH-NOPE"})
    assert r.status_code == 404
    assert msg("planner.desk.reference.unknown") in Html(r.text).text


def test_phone_task_of_a_caller_without_email_can_be_marked_handled(site: Site) -> None:
    """A desk booking without e-mail puts its confirmation on the call list; "handled" takes
    it off."""
    site.sign_in("planner")
    reference = Html(_desk_book(site).text).text_of("referentie")
    html = Html(site.client.get(f"{BASE}/bellen").text)
    assert reference in html.text
    with site.sessions() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == reference)).one()
        message = s.scalars(select(OutboxMessage).where(OutboxMessage.visit_id == visit.id)).one()
    r = site.post(f"{BASE}/bellen/{message.id}/afgehandeld")
    assert r.status_code == 303
    assert reference not in Html(site.client.get(f"{BASE}/bellen").text).text
    with site.sessions() as s:
        assert s.get(OutboxMessage, message.id).sent_at is not None  # type: ignore[union-attr]


# -- experts, shifts, closures, services --------------------------------------------------------


def test_a_new_expert_with_a_shift(site: Site) -> None:
    """Create an expert from the form (address geocoded by the register), add a shift."""
    site.sign_in("planner")
    postcode, number = _an_address(site)
    r = site.post(
        f"{BASE}/medewerkers/nieuw",
        {
            "naam": "Sanne Visser",
            "vaardigheid-wmo": "ja",
            "andere_vaardigheden": "Jeugd",
            "reismiddel": "car",
            "start_label": "Wijkbureau",
            "start_postcode": postcode,
            "start_huisnummer": str(number),
            "eind": "start",
            "max_bezoeken": "6",
            "actief": "ja",
        },
    )
    assert r.status_code == 303, r.text
    with site.sessions() as s:
        expert = s.scalars(select(Expert).where(Expert.name == "Sanne Visser")).one()
        assert expert.skills == ["wmo", "jeugd"]
        assert expert.travel_mode is TravelMode.CAR and expert.max_visits_per_day == 6
    assert r.headers["location"] == f"{BASE}/medewerkers/{expert.id}/diensten?nieuw=1"
    r = site.post(
        f"{BASE}/medewerkers/{expert.id}/diensten",
        {
            "weekdag": "5",
            "begin": "10:00",
            "einde": "16:00",
            "pauze_vanaf": "12:00",
            "pauze_uiterlijk": "13:00",
            "pauze_minuten": "30",
        },
    )
    assert r.status_code == 303
    page = Html(site.client.get(r.headers["location"]).text)
    assert "10:00–16:00" in page.text
    with site.sessions() as s:
        shift = s.scalars(select(Expert).where(Expert.id == expert.id)).one().shifts[0]
        assert (shift.weekday, shift.break_minutes) == (5, 30)


def test_expert_form_errors_are_shown_per_field(site: Site) -> None:
    """No name and no address: 422 with both errors linked from the summary."""
    site.sign_in("planner")
    r = site.post(f"{BASE}/medewerkers/nieuw", {"naam": "", "reismiddel": "bike"})
    assert r.status_code == 422
    html = Html(r.text)
    assert msg("planner.expert.name.missing") in html.text
    assert msg("planner.expert.address.missing") in html.text
    assert html.find("a", href="#naam") and html.find("a", href="#start_postcode")


def test_a_shift_that_ends_before_it_starts_is_refused(site: Site) -> None:
    """The schema's rule comes back as a translated field error; nothing is added."""
    site.sign_in("planner")
    with site.sessions() as s:
        expert = s.scalars(select(Expert).order_by(Expert.id)).first()
        assert expert is not None
        before = len(expert.shifts)
    r = site.post(
        f"{BASE}/medewerkers/{expert.id}/diensten",
        {"weekdag": "1", "begin": "17:00", "einde": "09:00"},
    )
    assert r.status_code == 422
    assert msg("planner.error.check") in Html(r.text).text
    with site.sessions() as s:
        assert len(s.get(Expert, expert.id).shifts) == before  # type: ignore[union-attr]


def test_a_service_change_is_validated_then_saved(site: Site) -> None:
    """A duration that is no number is refused with a message; a valid window length is saved."""
    site.sign_in("planner")
    page = Html(site.client.get(f"{BASE}/diensten/wmo-intake").text)
    values = {a["name"]: a.get("value", "") for a in page.find("input") if a.get("name")}
    values.pop("csrf", None)
    r = site.post(f"{BASE}/diensten/wmo-intake", {**values, "duur": "lang"})
    assert r.status_code == 422
    assert msg("planner.error.number") in Html(r.text).text
    r = site.post(f"{BASE}/diensten/wmo-intake", {**values, "tijdvak": "180"})
    assert r.status_code == 200
    assert msg("planner.outcome.saved") in Html(r.text).text
    from scheduler.catalog.models import ServiceType

    with site.sessions() as s:
        service = s.scalars(
            select(ServiceType).where(
                ServiceType.code == "wmo-intake",
                ServiceType.municipality_id == site.facts["municipality_id"],
            )
        ).one()
        assert service.window_minutes == 180


def test_a_closure_day_is_added_renamed_and_opened_again(site: Site) -> None:
    """A day without visits closes at once; its name can change; it can be opened again."""
    site.sign_in("planner")
    r = site.post(f"{BASE}/sluitingsdagen", {"datum": "2026-12-18", "naam": "Personeelsdag"})
    assert r.status_code == 200
    from scheduler.capacity.models import Closure

    with site.sessions() as s:
        closure = s.scalars(select(Closure).where(Closure.date == dt.date(2026, 12, 18))).one()
    r = site.post(
        f"{BASE}/sluitingsdagen/{closure.id}/naam", {"jaar": "2026", f"naam-{closure.id}": "Heidag"}
    )
    assert r.status_code == 303
    assert "Heidag" in site.client.get(f"{BASE}/sluitingsdagen?jaar=2026").text
    site.post(f"{BASE}/sluitingsdagen/{closure.id}/verwijderen", {"jaar": "2026"})
    with site.sessions() as s:
        assert s.get(Closure, closure.id) is None


# -- language and texts -------------------------------------------------------------------------


def test_pages_speak_english_on_request(site: Site) -> None:
    """?lang=en turns the planner's pages English."""
    site.sign_in("planner")
    text = Html(site.client.get(f"{BASE}/capaciteit", params={"lang": "en"}).text).text
    assert msg("planner.capacity.heatmap", "en") in text
    assert msg("planner.nav.kpis", "en") in text


def test_every_built_message_key_exists() -> None:
    """Keys the planner's pages build from data (sections, weekdays, modes, kinds, levels,
    metrics, units, channels, roles) are all in the catalogue, in both languages."""
    keys = {f"planner.nav.{key}" for key, _ in SECTIONS}
    keys |= {f"planner.card.{key}" for key, _ in SECTIONS if key not in ("overview", "day")}
    keys |= {f"planner.weekday.{d}" for d in range(7)}
    keys |= {f"planner.weekday.long.{d}" for d in range(7)}
    keys |= {f"planner.travel.{m.value}" for m in TravelMode}
    keys |= {f"planner.exception.{k.value}" for k in ExceptionKind}
    keys |= {f"planner.capacity.level.{x}" for x in ("1", "2", "3", "4", "5", "over", "off")}
    keys |= {
        f"planner.proposal.metric.{x}"
        for x in ("travel", "distance", "waiting", "overtime", "assigned", "unassigned")
    }
    keys |= {f"planner.kpi.unit.{u}" for u in planner_kpis.UNITS.values()}
    keys |= {f"planner.desk.channel.{c.value}" for c in Channel}
    keys |= {f"planner.forbidden.{r}" for r in ("planner", "expert")}
    keys |= {f"planner.forbidden.home.{r}" for r in ("planner", "expert")}
    assert {d.unit for d in kpis.DEFINITIONS} <= set(planner_kpis.UNITS)
    assert set(REASON_KEYS) == set(MOVE_REASONS)
    keys |= set(REASON_KEYS.values())
    missing = sorted(k for k in keys if k not in MESSAGES)
    assert not missing, missing
    for key in keys:
        assert set(MESSAGES[key]) == {"nl", "en"}, key


# -- carers and needs at the desk (issue 11) ------------------------------------------------------


def test_desk_books_for_someone_else_with_needs_and_the_day_shows_them(site: Site) -> None:
    """A caller books for her father with an interpreter for Arabic: the visit has both people
    and the need, only an Arabic-speaking expert takes it, the confirmation goes to the caller,
    and the planner's day view shows the need."""
    site.sign_in("planner")
    postcode, number = _an_address(site)
    r = site.post(
        f"{BASE}/balie/tijden",
        {
            "dienst": "wmo-intake",
            "postcode": postcode,
            "huisnummer": str(number),
            "nodig-interpreter": "ja",
            "tolktaal": "ar",
        },
    )
    assert r.status_code == 200, r.text
    html = Html(r.text)
    hidden = {a["name"]: a["value"] for a in html.find("input", type="hidden")}
    assert hidden["nodig-interpreter"] == "ja" and hidden["tolktaal"] == "ar"
    assert "Tolk: Arabisch" in html.text
    ids = offer_ids(r.text)
    booked = site.post(
        f"{BASE}/balie/boeken",
        {
            **hidden,
            "aanbod": ids[0],
            "naam": "Ahmed Bakri",
            "voor": "ander",
            "contact-naam": "Samira Bakri",
            "contact-relatie": "child",
            "contact-email": "samira@example.org",
            "kanaal": "phone",
            "taal": "nl",
        },
    )
    assert booked.status_code == 200, booked.text
    reference = Html(booked.text).text_of("referentie")
    with site.sessions() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == reference)).one()
        expert = s.get(Expert, visit.expert_id)
        recipients = list(
            s.scalars(select(OutboxMessage.recipient).where(OutboxMessage.visit_id == visit.id))
        )
        day = visit.date
    assert visit.contact_name == "Samira Bakri" and visit.citizen_name == "Ahmed Bakri"
    assert expert is not None and "taal-ar" in expert.skills
    assert recipients == ["samira@example.org"]
    page = Html(site.client.get(f"{BASE}/dag/{day.isoformat()}").text)
    assert "Tolk: Arabisch" in page.text


def test_desk_search_finds_people_and_records_it(site: Site) -> None:
    """The desk finds a booking by a reference read out loosely, by postcode and house number,
    by phone and by name; a search by two things at once is refused; every search is recorded
    without its terms."""
    site.sign_in("planner")
    with site.sessions() as s:
        visit = s.scalars(
            select(Visit)
            .where(Visit.municipality_id == site.facts["municipality_id"])
            .where(Visit.citizen_phone.is_not(None), Visit.postcode.is_not(None))
            .order_by(Visit.id)
        ).first()
        assert visit is not None
        ref, pc, nr = visit.reference, visit.postcode, visit.house_number
        phone, name = visit.citizen_phone, visit.citizen_name
    assert phone and name
    site.client.get(f"{BASE}/balie")
    for query in (
        {"referentie": ref.lower().replace("-", " ")},
        {"postcode": pc.lower(), "huisnummer": str(nr)},
        {"telefoon": phone},
        {"naam": name.split()[0].upper()},
    ):
        r = site.post(f"{BASE}/balie/zoeken", query)
        assert r.status_code == 200, query
        assert f"referentie={ref}" in r.text, query
    both = site.post(f"{BASE}/balie/zoeken", {"referentie": ref, "naam": name})
    assert both.status_code == 422 and msg("planner.desk.find.one") in Html(both.text).text
    with site.sessions() as s:
        kinds = list(s.scalars(select(VisitSearch.by).order_by(VisitSearch.id)))
    assert kinds == ["reference", "address", "phone", "name"]


def test_desk_offers_later_times_and_moving_never_offers_the_current_window(site: Site) -> None:
    """ "Later times" at the desk start after the last day shown, when booking and when moving;
    the windows to move a visit to never include its own."""
    site.sign_in("planner")
    postcode, number = _an_address(site)
    r = site.post(
        f"{BASE}/balie/tijden",
        {"dienst": "wmo-intake", "postcode": postcode, "huisnummer": str(number)},
    )
    later_from = re.search(r'name="vanaf" value="([0-9-]+)"', r.text)
    assert later_from is not None
    later = site.post(
        f"{BASE}/balie/tijden",
        {
            "dienst": "wmo-intake",
            "postcode": postcode,
            "huisnummer": str(number),
            "vanaf": later_from[1],
        },
    )
    with site.sessions() as s:
        shown = [s.get(Offer, i) for i in offer_ids(later.text)]
        visit = s.scalars(
            select(Visit)
            .where(Visit.date == DAY, Visit.municipality_id == site.facts["municipality_id"])
            .order_by(Visit.id)
        ).first()
        assert visit is not None
        ref, own = visit.reference, visit.window_start
    assert shown and all(o is not None and o.date.isoformat() >= later_from[1] for o in shown)
    move = site.post(f"{BASE}/balie/afspraak/{ref}/tijden")
    with site.sessions() as s:
        starts = {o.window_start for i in offer_ids(move.text) if (o := s.get(Offer, i))}
    assert starts and own not in starts
    assert re.search(r'name="vanaf" value="[0-9-]+"', move.text)


def test_kpis_show_the_waiting_list(site: Site) -> None:
    """The KPI page shows how many wait for an earlier time now and how many moved earlier."""
    site.sign_in("planner")
    with site.sessions() as s:
        visits = s.scalars(
            select(Visit)
            .where(Visit.date == DAY, Visit.municipality_id == site.facts["municipality_id"])
            .order_by(Visit.id)
            .limit(3)
        ).all()
        for v in visits:
            waitlist.join(s, visit=v, now=NOW)
        moved = waitlist.get(s, visit=visits[0])
        assert moved is not None
        moved.active, moved.moved_at = False, NOW
        s.commit()
    page = Html(site.client.get(f"{BASE}/kpis").text)
    section = page.text
    assert f"{msg('planner.kpi.waitlist.size')} 2" in section
    assert f"{msg('planner.kpi.waitlist.successes')} 1" in section


def test_desk_books_with_an_address_only_and_prints_the_letter(site: Site) -> None:
    """A caller without phone or e-mail who asks for letters is booked with the address only;
    the confirmation is a letter, and the desk prints it as a PDF with the reference."""
    site.sign_in("planner")
    refused = _desk_book(site, telefoon="")
    assert refused.status_code == 422
    reference = Html(_desk_book(site, telefoon="", post="ja").text).text_of("referentie")
    with site.sessions() as s:
        visit = s.scalars(select(Visit).where(Visit.reference == reference)).one()
        assert visit.wants_post and visit.citizen_phone is None
        message = s.scalars(select(OutboxMessage).where(OutboxMessage.visit_id == visit.id)).one()
        assert (message.kind, message.channel, message.recipient) == (
            "confirmation",
            "letter",
            None,
        )
    page = site.client.get(f"{BASE}/balie/afspraak", params={"referentie": reference})
    assert f"/balie/afspraak/{reference}/brief.pdf" in page.text
    pdf = site.client.get(f"{BASE}/balie/afspraak/{reference}/brief.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert reference in text and "Bep Jansen" in text
