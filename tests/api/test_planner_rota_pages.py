"""The planner's rota pages: expected demand against capacity (chart and the same numbers in a
table), proposing a rota, and applying it only after the confirm step.

The planner world (4 experts, 3 days booked, a week of history) frozen at Monday 30 November
2026; without contracts stored, each expert's contract is their weekly pattern's hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from planner_world import SLUG, frozen_clock, seeded
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from api.web.messages import MESSAGES
from scheduler.capacity.models import Expert
from scheduler.db import make_engine, make_sessionmaker
from scheduler.rota import service as rota
from scheduler.rota.models import RotaProposal
from scheduler.rota.problem import MinimumCover, Part
from scheduler.tenants.models import Municipality

BASE = f"/planner/{SLUG}"


@dataclass
class Site:
    client: TestClient
    sessions: sessionmaker[Session]
    facts: dict[str, Any]

    @property
    def csrf(self) -> str:
        if not self.client.cookies.get("aanhuis_csrf"):
            self.client.get("/login")
        token = self.client.cookies.get("aanhuis_csrf")
        assert token
        return token

    def post(self, url: str, data: dict[str, str] | None = None) -> Any:
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})})

    def sign_in(self) -> None:
        answer = self.post("/login", {"token": self.facts["tokens"]["planner"]})
        assert answer.status_code == 303


@pytest.fixture
def site(backend: str, db_url: str) -> Iterator[Site]:
    with seeded(backend, db_url) as (url, facts), frozen_clock():
        engine = make_engine(url)
        app = create_app(
            Settings(database_url=url, base_url="http://aanhuis.example.nl", smtp_host=None)
        )
        with TestClient(app, follow_redirects=False) as client:
            yield Site(client, make_sessionmaker(engine), facts)
        app.state.engine.dispose()
        engine.dispose()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_demand_table_shows_the_forecast_and_capacity(site: Site) -> None:
    """The rota page's table holds, per week and part of day, the forecast and the current
    capacity in hours as the forecast service computes them; the chart has one pair per row."""
    site.sign_in()
    page = site.client.get(f"{BASE}/rooster")
    assert page.status_code == 200, page.text[:500]
    with site.sessions() as s:
        m = s.get_one(Municipality, site.facts["municipality_id"])
        start = rota.rota_start_default(m)
        rows, _ = rota.forecast_table(s, municipality=m, start=start, weeks=4)
    totals = [r for r in rows if r["skill"] is None]
    table = page.text.split('id="vraag"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'numeric">([0-9.]+)</td>', table)
    assert cells == [str(v) for r in totals for v in (r["demand_hours"], r["capacity_hours"])]
    assert page.text.count('class="aanhuis-chart__before"') == len(totals) == 16
    assert sum(r["capacity_hours"] for r in totals) > 0


def test_propose_then_apply_after_confirming(site: Site) -> None:
    """Proposing shows coverage now and proposed; applying without ticking the box is refused
    (422, nothing applied); ticked, the rota is applied and the page says how many shifts."""
    site.sign_in()
    with site.sessions() as s:
        start = rota.rota_start_default(s.get_one(Municipality, site.facts["municipality_id"]))
    made = site.post(f"{BASE}/rooster", {"begin": start.isoformat(), "weken": "2"})
    assert made.status_code == 303, made.text[:500]
    url = made.headers["location"]
    page = site.client.get(url)
    assert page.status_code == 200
    assert MESSAGES["rota.coverage"]["nl"] in page.text
    refused = site.post(f"{url}/toepassen")
    assert refused.status_code == 422
    assert MESSAGES["rota.apply.confirm.missing"]["nl"] in refused.text
    proposal_id = url.rsplit("/", 1)[1]
    with site.sessions() as s:
        assert s.get_one(RotaProposal, proposal_id).status == "open"
    done = site.post(f"{url}/toepassen", {"bevestigd": "ja"})
    assert done.status_code == 200, _text(done.text)[:800]
    with site.sessions() as s:
        proposal = s.get_one(RotaProposal, proposal_id)
        assert proposal.status == "applied"
        written = sum(a["pattern"] != "fixed" for a in proposal.result["assignments"])
    assert MESSAGES["rota.applied"]["nl"].format(count=written) in done.text


def test_a_bad_week_count_is_a_422_page(site: Site) -> None:
    """Nine weeks is refused on the page itself with the reason, nothing stored."""
    site.sign_in()
    with site.sessions() as s:
        start = rota.rota_start_default(s.get_one(Municipality, site.facts["municipality_id"]))
    r = site.post(f"{BASE}/rooster", {"begin": start.isoformat(), "weken": "9"})
    assert r.status_code == 422
    assert "2 tot 8 weken" in r.text


def test_contract_form_saves_hours_limits_and_preferences(site: Site) -> None:
    """The contract page starts from the weekly pattern's hours; saving "24,5" hours with
    "cannot do evenings" and Friday off stores exactly that; 70 hours is refused (422)."""
    site.sign_in()
    with site.sessions() as s:
        m = s.get_one(Municipality, site.facts["municipality_id"])
        expert = s.scalars(select(Expert).where(Expert.municipality_id == m.id)).first()
        assert expert is not None
        expert_id = expert.id
        hours = rota.pattern_hours(expert)
    url = f"{BASE}/medewerkers/{expert_id}/contract"
    page = site.client.get(url)
    assert page.status_code == 200
    assert f'value="{hours:g}"' in page.text
    form = {"uren": "24,5", "marge": "2", "avonden": "1", "zaterdagen": "1"}
    saved = site.post(url, {**form, "avondwens": "cannot", "vrije_dag": "4"})
    assert saved.status_code == 200, _text(saved.text)[:500]
    assert MESSAGES["rota.contract.saved"]["nl"] in saved.text
    with site.sessions() as s:
        m = s.get_one(Municipality, site.facts["municipality_id"])
        c, p, stored = rota.get_contract(s, municipality=m, expert_id=expert_id)
    assert stored and (c.hours_per_week, c.tolerance_hours) == (24.5, 2.0)
    assert (c.max_evenings_per_week, c.max_saturdays_per_month) == (1, 1)
    assert (p.evenings.value, p.day_off) == ("cannot", 4)
    refused = site.post(url, {**form, "uren": "70", "avondwens": "none", "vrije_dag": ""})
    assert refused.status_code == 422
    with site.sessions() as s:
        m = s.get_one(Municipality, site.facts["municipality_id"])
        assert rota.get_contract(s, municipality=m, expert_id=expert_id)[0].hours_per_week == 24.5


def test_shift_types_page_adds_to_the_defaults(site: Site) -> None:
    """Without shift types of its own the page shows the defaults; adding one stores the
    defaults plus the new one (with its weekdays); a 13-hour shift type is refused (422)."""
    site.sign_in()
    url = f"{BASE}/rooster/diensttypen"
    page = site.client.get(url)
    assert page.status_code == 200
    assert MESSAGES["rota.types.defaults"]["nl"] in page.text
    late = {
        "code": "laat",
        "naam": "Late dienst",
        "begin": "12:00",
        "einde": "20:00",
        "pauze_minuten": "30",
        "pauze_vanaf": "16:00",
        "pauze_uiterlijk": "17:00",
        "dag_1": "ja",
        "dag_3": "ja",
    }
    added = site.post(url, late)
    assert added.status_code == 303, _text(added.text)[:500]
    with site.sessions() as s:
        m = s.get_one(Municipality, site.facts["municipality_id"])
        rows = {r.code: r for r in rota.get_shift_types(s, municipality=m)}
    assert set(rows) == {t.code for t in rota.DEFAULT_SHIFT_TYPES} | {"laat"}
    assert rows["laat"].weekdays == [1, 3] and rows["laat"].break_minutes == 30
    refused = site.post(url, {**late, "code": "lang", "begin": "07:00", "einde": "20:00"})
    assert refused.status_code == 422


def test_minimum_cover_is_set_and_removed_on_the_rota_page(site: Site) -> None:
    """Setting "2 wmo experts on Saturday" stores that rule and the page lists it; 0 removes it;
    a count that is no number is refused (422) and stores nothing."""
    site.sign_in()
    url = f"{BASE}/rooster/minimum"
    rule = {"vaardigheid": "wmo", "dagdeel": "saturday", "aantal": "2"}
    assert site.post(url, rule).status_code == 303
    with site.sessions() as s:
        m = s.get_one(Municipality, site.facts["municipality_id"])
        assert rota.get_minimums(s, municipality=m) == [MinimumCover("wmo", Part.SATURDAY, 2)]
    page = site.client.get(f"{BASE}/rooster").text
    assert (
        MESSAGES["rota.minimum.rule"]["nl"].format(skill="wmo", part="zaterdag", experts=2) in page
    )
    assert site.post(url, {**rule, "aantal": "twee"}).status_code == 422
    assert site.post(url, {**rule, "aantal": "0"}).status_code == 303
    with site.sessions() as s:
        m = s.get_one(Municipality, site.facts["municipality_id"])
        assert rota.get_minimums(s, municipality=m) == []
