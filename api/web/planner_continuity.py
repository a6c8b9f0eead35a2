"""Continuity of care on the planner's day view: give a visit a preferred or a required expert,
or clear it (``POST /planner/{slug}/dag/{date}/vaste-medewerker``).

The form sits under the day's routes (``planner/_continuity.html``); the rule itself lives in
:mod:`scheduler.booking.continuity`, as for ``POST …/bookings/{reference}/expert-preference``.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.web.forms import PostedForm
from api.web.planner import PREFIX, PlannerDep, router
from api.web.planner_day import parse_day
from scheduler.booking import continuity
from scheduler.booking import service as booking
from scheduler.capacity import service as capacity
from scheduler.errors import InvalidInput


@router.post(f"{PREFIX}/dag/{{date}}/vaste-medewerker", response_class=HTMLResponse)
def set_visit_expert(pp: PlannerDep, form: PostedForm, session: SessionDep, date: str) -> Response:
    """Set (``voorkeur`` or ``verplicht``) or clear (no expert) the expert of a visit."""
    t = pp.t
    day = parse_day(date)
    here = f"{pp.base}/dag/{day.isoformat()}"
    pp.page.here = here
    visit = booking.get_for_planner(
        session, municipality=pp.municipality, reference=form.get("referentie")
    )
    raw = form.get("medewerker")
    if raw and not raw.isdigit():
        raise InvalidInput("Choose an expert.", nl="Kies een medewerker.", field="medewerker")
    expert = (
        capacity.get_expert(session, municipality=pp.municipality, expert_id=int(raw))
        if raw
        else None
    )
    required = form.get("soort") == "verplicht"
    chosen = expert.id if expert is not None else None
    continuity.set_preference(
        session,
        municipality=pp.municipality,
        visit=visit,
        preferred=None if required else chosen,
        required=chosen if required else None,
        excluded=[e for e in visit.excluded_expert_ids or [] if e != chosen],
        actor=pp.actor,
    )
    if expert is None:
        message = t("planner.continuity.saved.cleared", reference=visit.reference)
    else:
        key = "planner.continuity.saved." + ("required" if required else "preferred")
        message = t(key, reference=visit.reference, expert=expert.name)
    return pp.render(
        "planner/continuity_saved.html",
        section="day",
        message=message,
        back=here,
        back_label=t("planner.day.back", date=t.date(day)),
    )
