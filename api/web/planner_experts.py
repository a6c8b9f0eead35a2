"""The planner's expert pages: the list, a new expert, a profile change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import ResourceId, SessionDep, SettingsDep
from api.runtime import GeocoderDep, NotifierDep, TravelDep
from api.web import forms
from api.web.forms import Form, PostedForm
from api.web.i18n import Translator
from api.web.planner import (
    PREFIX,
    PlannerDep,
    PlannerPage,
    router,
    schema_errors,
)
from api.web.planner_changes import outcome_page, refused_page, replan_of, wants_replan
from scheduler.capacity import service as capacity
from scheduler.capacity.models import Expert, TravelMode
from scheduler.capacity.schemas import (
    ExpertCreate,
    ExpertUpdate,
    LocationIn,
)
from scheduler.catalog import service as catalog
from scheduler.day import shifts as day_shifts
from scheduler.errors import InvalidInput, PromisesAtRisk
from scheduler.tenants.models import Municipality
from scheduler.usecases import capacity_changes

#: Period lengths the heat map offers (days).

EXPERT_FIELDS = {
    "name": "naam",
    "skills": "vaardigheden",
    "travel_mode": "reismiddel",
    "start": "start_postcode",
    "end": "eind_postcode",
    "max_visits_per_day": "max_bezoeken",
    "active": "actief",
}


@dataclass(frozen=True)
class ExpertLine:
    id: int
    name: str
    skills: str
    travel_mode: str
    start: str
    end: str
    max_visits: str
    active: bool


def _skills_known(session: Session, municipality: Municipality) -> list[str]:
    services = catalog.get_all(session, municipality=municipality, active_only=False)
    experts = day_shifts.get_experts(session, municipality=municipality, active_only=False)
    return sorted({s.skill for s in services} | {k for e in experts for k in e.skills})


@router.get(f"{PREFIX}/medewerkers", response_class=HTMLResponse)
def experts_page(pp: PlannerDep, session: SessionDep) -> Response:
    """The municipality's experts, with links to their shifts and absences."""
    t = pp.t
    experts = day_shifts.get_experts(session, municipality=pp.municipality, active_only=False)
    lines = [
        ExpertLine(
            id=e.id,
            name=e.name,
            skills=", ".join(e.skills),
            travel_mode=t(f"planner.travel.{e.travel_mode.value}"),
            start=e.start_label,
            end=e.end_label or t("planner.expert.end.same"),
            max_visits=str(e.max_visits_per_day or "–"),
            active=e.active,
        )
        for e in experts
    ]
    return pp.render("planner/experts.html", section="experts", experts=lines)


def _expert_values(expert: Expert) -> dict[str, str]:
    values = {
        "naam": expert.name,
        "reismiddel": expert.travel_mode.value,
        "start_label": expert.start_label,
        "eind": "anders" if expert.end_lat is not None else "start",
        "eind_label": expert.end_label or "",
        "max_bezoeken": str(expert.max_visits_per_day or ""),
        "actief": "ja" if expert.active else "",
        "andere_vaardigheden": "",
    }
    for skill in expert.skills:
        values[f"vaardigheid-{skill}"] = "ja"
    return values


def _expert_form_page(
    pp: PlannerPage,
    session: Session,
    form: Form,
    *,
    expert: Expert | None,
    status: int = 200,
) -> HTMLResponse:
    known = _skills_known(session, pp.municipality)
    extra = [k for k in known if f"vaardigheid-{k}" in form.values]
    return pp.render(
        "planner/expert_form.html",
        section="experts",
        status=status,
        form=form,
        expert=expert,
        skills=sorted(set(known) | set(extra)),
        modes=[m.value for m in TravelMode],
    )


@router.get(f"{PREFIX}/medewerkers/nieuw", response_class=HTMLResponse)
def new_expert(pp: PlannerDep, session: SessionDep) -> Response:
    """The form for a new expert."""
    form = forms.form_of(
        {"reismiddel": "bike", "actief": "ja", "eind": "start", "start_label": "Stadskantoor"}
    )
    return _expert_form_page(pp, session, form, expert=None)


def _location(
    form: Form, t: Translator, prefix: str, current: tuple[str, float, float] | None
) -> LocationIn | None:
    """The start or end from the form: an address, coordinates, or (editing) the current place."""
    label = form.get(f"{prefix}_label") or (current[0] if current else "Stadskantoor")
    postcode = form.get(f"{prefix}_postcode")
    number = form.get(f"{prefix}_huisnummer")
    if postcode or number:
        pc = forms.postcode(form, t, f"{prefix}_postcode")
        nr = forms.house_number(form, t, f"{prefix}_huisnummer")
        if pc is None or nr is None:
            return None
        return LocationIn(label=label, postcode=pc, house_number=nr)
    if current is not None:
        return LocationIn(label=label, lat=current[1], lon=current[2])
    form.add_error(f"{prefix}_postcode", t("planner.expert.address.missing"))
    return None


def _skills_of(form: Form, t: Translator) -> list[str]:
    chosen = [
        k.removeprefix("vaardigheid-")
        for k, v in form.values.items()
        if k.startswith("vaardigheid-") and v
    ]
    chosen += [s.strip() for s in form.get("andere_vaardigheden").split(",") if s.strip()]
    return chosen


def _expert_data(form: Form, t: Translator, expert: Expert | None) -> dict[str, Any] | None:
    """The expert's fields from the form, as the schemas take them (None when invalid)."""
    name = forms.required_text(form, t, "naam", "planner.expert.name.missing", 200)
    current_start = (
        (expert.start_label, expert.start_lat, expert.start_lon) if expert is not None else None
    )
    start = _location(form, t, "start", current_start)
    end: LocationIn | None = None
    if form.get("eind") == "anders":
        current_end = None
        if expert is not None and expert.end_lat is not None and expert.end_lon is not None:
            current_end = (expert.end_label or "", expert.end_lat, expert.end_lon)
        end = _location(form, t, "eind", current_end)
        if end is None:
            return None
    if name is None or start is None or not form.ok:
        return None
    return {
        "name": name,
        "skills": _skills_of(form, t),
        "travel_mode": form.get("reismiddel") or "bike",
        "start": start,
        "end": end,
        "max_visits_per_day": form.get("max_bezoeken") or None,
        "active": form.get("actief") == "ja",
    }


@router.post(f"{PREFIX}/medewerkers/nieuw", response_class=HTMLResponse)
def create_expert(
    pp: PlannerDep, form: PostedForm, session: SessionDep, geocoder: GeocoderDep
) -> Response:
    """Add an expert, then on to their weekly shifts."""
    t = pp.t
    pp.page.here = f"{pp.base}/medewerkers/nieuw"
    data = _expert_data(form, t, None)
    if data is None:
        return _expert_form_page(pp, session, form, expert=None, status=422)
    try:
        expert = capacity.create_expert(
            session, municipality=pp.municipality, data=ExpertCreate(**data), geocoder=geocoder
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, EXPERT_FIELDS, "naam")
        return _expert_form_page(pp, session, form, expert=None, status=422)
    except InvalidInput as exc:
        session.rollback()
        form.add_error("start_postcode", exc.detail if t.lang == "en" else exc.detail_nl)
        return _expert_form_page(pp, session, form, expert=None, status=422)
    return pp.redirect(f"{pp.base}/medewerkers/{expert.id}/diensten?nieuw=1")


@router.get(f"{PREFIX}/medewerkers/{{expert_id}}", response_class=HTMLResponse)
def edit_expert(pp: PlannerDep, session: SessionDep, expert_id: ResourceId) -> Response:
    """The form to change an expert's profile."""
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    return _expert_form_page(pp, session, Form(values=_expert_values(expert)), expert=expert)


@router.post(f"{PREFIX}/medewerkers/{{expert_id}}", response_class=HTMLResponse)
def update_expert(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    geocoder: GeocoderDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
) -> Response:
    """Change an expert; a change that breaks booked visits asks first, then re-plans."""
    t = pp.t
    here = f"{pp.base}/medewerkers/{expert_id}"
    pp.page.here = here
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    data = _expert_data(form, t, expert)
    if data is None:
        return _expert_form_page(pp, session, form, expert=expert, status=422)
    try:
        changed = capacity_changes.update_expert(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            data=ExpertUpdate(**data),
            geocoder=geocoder,
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, EXPERT_FIELDS, "naam")
        return _expert_form_page(pp, session, form, expert=expert, status=422)
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=here,
            back=here,
            what=t("planner.change.expert", name=expert.name),
            section="experts",
        )
    except InvalidInput as exc:
        session.rollback()
        form.add_error("start_postcode", exc.detail if t.lang == "en" else exc.detail_nl)
        return _expert_form_page(pp, session, form, expert=expert, status=422)
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.expert.saved", name=changed.value.name),
        back=f"{pp.base}/medewerkers",
        back_label=t("planner.experts.back"),
        section="experts",
    )
