"""Continuity of care on the planner's day view: the form sets and clears a visit's expert.

The world is ``planner_world`` through :mod:`test_planner_pages`' ``site`` fixture.
"""

from __future__ import annotations

from planner_world import DAY
from sqlalchemy import select
from test_planner_pages import BASE, Html, Site, _day_orders, msg, site

from scheduler.booking.models import ACTIVE_STATUSES, Visit, VisitEvent
from scheduler.capacity.models import Expert

__all__ = ["site"]  # the fixture, shared with test_planner_pages


def test_the_day_view_sets_and_clears_a_visits_expert(site: Site) -> None:
    """The form is on the day view; 'voorkeur' stores a preferred expert, 'verplicht' a required
    one (the preference goes), no expert clears both; each is in the visit's history; an unknown
    reference changes nothing."""
    site.sign_in("planner")
    day = site.client.get(f"{BASE}/dag/{DAY.isoformat()}")
    assert day.status_code == 200
    assert Html(day.text).text_of("vaste-medewerker")
    with site.sessions() as s:
        visit = s.scalars(
            select(Visit).where(Visit.date == DAY, Visit.status.in_(ACTIVE_STATUSES))
        ).first()
        assert visit is not None
        expert = s.scalars(
            select(Expert).where(Expert.municipality_id == visit.municipality_id)
        ).first()
        assert expert is not None
    url = f"{BASE}/dag/{DAY.isoformat()}/vaste-medewerker"

    def stored() -> tuple[int | None, int | None]:
        with site.sessions() as s:
            v = s.get_one(Visit, visit.id)
            return v.preferred_expert_id, v.required_expert_id

    r = site.post(
        url, {"referentie": visit.reference, "medewerker": str(expert.id), "soort": "voorkeur"}
    )
    assert r.status_code == 200, r.text[:500]
    assert visit.reference in r.text and expert.name in r.text
    assert stored() == (expert.id, None)
    r = site.post(
        url, {"referentie": visit.reference, "medewerker": str(expert.id), "soort": "verplicht"}
    )
    assert r.status_code == 200
    assert stored() == (None, expert.id)
    r = site.post(url, {"referentie": visit.reference, "medewerker": "", "soort": "voorkeur"})
    assert r.status_code == 200
    assert stored() == (None, None)
    with site.sessions() as s:
        events = s.scalars(
            select(VisitEvent).where(
                VisitEvent.visit_id == visit.id, VisitEvent.status == "expert_preference"
            )
        ).all()
        assert len(events) == 3
    unknown = site.post(url, {"referentie": "AH-NIETS", "medewerker": str(expert.id)})
    assert unknown.status_code == 404
    assert stored() == (None, None)


def test_the_re_plan_page_counts_what_changed_visit_by_visit(site: Site) -> None:
    """An expert falls ill and the day is re-planned: the page's count is exactly the visits
    that changed (moved to a colleague or listed), which are exactly the sick expert's; every
    other visit keeps its expert."""
    with site.sessions() as s:
        orders = _day_orders(s, site.facts["municipality_id"])
        sick, theirs = max(orders.items(), key=lambda kv: len(kv[1]))
        before = {
            v.id: v.expert_id
            for v in s.scalars(
                select(Visit).where(Visit.date == DAY, Visit.status.in_(ACTIVE_STATUSES))
            )
        }
    assert theirs
    site.sign_in("planner")
    r = site.post(
        f"{BASE}/dag/{DAY.isoformat()}/ziekmelding", {"medewerker": str(sick), "herplannen": "ja"}
    )
    assert r.status_code == 200, r.text[:300]
    with site.sessions() as s:
        after = {
            v.id: v.expert_id
            for v in s.scalars(
                select(Visit).where(Visit.date == DAY, Visit.status.in_(ACTIVE_STATUSES))
            )
        }
    changed = {v for v in before if after.get(v) != before[v]}
    assert changed == set(theirs)
    assert msg("planner.outcome.replanned", count=len(changed)) in Html(r.text).text
