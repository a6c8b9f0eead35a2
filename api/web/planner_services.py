"""The planner's service types: what citizens can book, how long it takes, who may do it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import SessionDep, SettingsDep
from api.runtime import NotifierDep, TravelDep
from api.web import forms
from api.web.forms import Form, PostedForm
from api.web.planner import (
    PREFIX,
    PlannerDep,
    PlannerPage,
    router,
    schema_errors,
)
from api.web.planner_changes import outcome_page, refused_page, replan_of, wants_replan
from scheduler.catalog import service as catalog
from scheduler.catalog.schemas import ServiceTypeCreate, ServiceTypeUpdate
from scheduler.errors import Conflict, PromisesAtRisk
from scheduler.notify.templates import service_name
from scheduler.usecases import capacity_changes

#: Period lengths the heat map offers (days).

SERVICE_FIELDS = {
    "code": "code",
    "name_nl": "naam_nl",
    "name_en": "naam_en",
    "description_nl": "omschrijving_nl",
    "description_en": "omschrijving_en",
    "preparation_nl": "voorbereiding_nl",
    "preparation_en": "voorbereiding_en",
    "duration_minutes": "duur",
    "skill": "vaardigheid",
    "window_minutes": "tijdvak",
    "horizon_days": "horizon",
    "lead_time_hours": "voorbereidingstijd",
    "retention_days": "bewaartermijn",
    "active": "actief",
}


@dataclass(frozen=True)
class ServiceLine:
    code: str
    name: str
    duration: int
    skill: str
    window: int
    horizon: int
    lead_time: int
    retention: int
    active: bool


@router.get(f"{PREFIX}/diensten", response_class=HTMLResponse)
def services_page(pp: PlannerDep, session: SessionDep) -> Response:
    """The service types: duration, skill, window length, horizon, lead time, retention."""
    services = catalog.get_all(session, municipality=pp.municipality, active_only=False)
    lines = [
        ServiceLine(
            s.code,
            service_name(s, pp.t.lang),
            s.duration_minutes,
            s.skill,
            s.window_minutes,
            s.horizon_days,
            s.lead_time_hours,
            s.retention_days,
            s.active,
        )
        for s in services
    ]
    return pp.render("planner/services.html", section="services", services=lines)


def _service_form_page(
    pp: PlannerPage, form: Form, *, code: str | None, status: int = 200
) -> HTMLResponse:
    return pp.render(
        "planner/service_form.html", section="services", status=status, form=form, code=code
    )


def _service_values(form: Form, *, new: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        key: form.get(name) for key, name in SERVICE_FIELDS.items() if key != "active"
    }
    if not new:
        values.pop("code")
    values["active"] = form.get("actief") == "ja"
    for key in ("description_nl", "description_en", "preparation_nl", "preparation_en"):
        values[key] = values[key] or ""
    return values


@router.get(f"{PREFIX}/diensten/nieuw", response_class=HTMLResponse)
def new_service(pp: PlannerDep) -> Response:
    """The form for a new service type."""
    form = forms.form_of(
        {
            "duur": 60,
            "tijdvak": 120,
            "horizon": 28,
            "voorbereidingstijd": 24,
            "bewaartermijn": 90,
            "actief": "ja",
        }
    )
    return _service_form_page(pp, form, code=None)


@router.post(f"{PREFIX}/diensten/nieuw", response_class=HTMLResponse)
def create_service(pp: PlannerDep, form: PostedForm, session: SessionDep) -> Response:
    """Add a service type."""
    t = pp.t
    pp.page.here = f"{pp.base}/diensten/nieuw"
    try:
        data = ServiceTypeCreate(**_service_values(form, new=True))
        catalog.create(session, municipality=pp.municipality, data=data)
    except ValidationError as exc:
        schema_errors(exc, form, t, SERVICE_FIELDS, "code")
        return _service_form_page(pp, form, code=None, status=422)
    except Conflict as exc:
        session.rollback()
        form.add_error("code", exc.detail if t.lang == "en" else exc.detail_nl)
        return _service_form_page(pp, form, code=None, status=409)
    return pp.redirect(f"{pp.base}/diensten")


@router.get(f"{PREFIX}/diensten/{{code}}", response_class=HTMLResponse)
def edit_service(pp: PlannerDep, session: SessionDep, code: str) -> Response:
    """The form to change a service type."""
    s = catalog.get_by_code(session, municipality=pp.municipality, code=code, active_only=False)
    form = forms.form_of(
        {
            "naam_nl": s.name_nl,
            "naam_en": s.name_en,
            "omschrijving_nl": s.description_nl,
            "omschrijving_en": s.description_en,
            "voorbereiding_nl": s.preparation_nl,
            "voorbereiding_en": s.preparation_en,
            "duur": s.duration_minutes,
            "vaardigheid": s.skill,
            "tijdvak": s.window_minutes,
            "horizon": s.horizon_days,
            "voorbereidingstijd": s.lead_time_hours,
            "bewaartermijn": s.retention_days,
            "actief": "ja" if s.active else "",
        }
    )
    return _service_form_page(pp, form, code=s.code)


@router.post(f"{PREFIX}/diensten/{{code}}", response_class=HTMLResponse)
def update_service(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    code: str,
) -> Response:
    """Change a service type; a new duration or skill that breaks visits asks first."""
    t = pp.t
    here = f"{pp.base}/diensten/{code}"
    pp.page.here = here
    service = catalog.get_by_code(
        session, municipality=pp.municipality, code=code, active_only=False
    )
    try:
        data = ServiceTypeUpdate(**_service_values(form, new=False))
        changed = capacity_changes.update_service_type(
            session,
            municipality=pp.municipality,
            code=service.code,
            data=data,
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, SERVICE_FIELDS, "naam_nl")
        return _service_form_page(pp, form, code=code, status=422)
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=here,
            back=here,
            what=t("planner.change.service", name=service_name(service, t.lang)),
            section="services",
        )
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.service.saved", name=service_name(changed.value, t.lang)),
        back=f"{pp.base}/diensten",
        back_label=t("planner.services.back"),
        section="services",
    )
