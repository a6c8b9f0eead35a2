"""The planner's absence pages: absences, sickness and extra shifts (disruption when visits are
booked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import ResourceId, SessionDep, SettingsDep
from api.runtime import NotifierDep, TravelDep
from api.web import forms
from api.web.forms import Form, PostedForm
from api.web.planner import (
    PREFIX,
    PlannerDep,
    PlannerPage,
    blank_to_none,
    capitalised,
    router,
    schema_errors,
)
from api.web.planner_changes import outcome_page, refused_page, replan_of, wants_replan
from scheduler.capacity import service as capacity
from scheduler.capacity.models import ExceptionKind, Expert
from scheduler.capacity.schemas import (
    ExceptionIn,
)
from scheduler.errors import PromisesAtRisk
from scheduler.usecases import capacity_changes

#: Period lengths the heat map offers (days).

EXCEPTION_FIELDS = {
    "date": "datum",
    "kind": "soort",
    "start": "van",
    "end": "tot",
    "until": "tot_en_met",
}


@dataclass(frozen=True)
class ExceptionLine:
    id: int
    date: str
    kind: str
    times: str


def _exceptions_page(
    pp: PlannerPage,
    session: Session,
    expert: Expert,
    form: Form,
    *,
    status: int = 200,
) -> HTMLResponse:
    t = pp.t
    found = capacity.get_exceptions(session, municipality=pp.municipality, expert_id=expert.id)
    lines = [
        ExceptionLine(
            id=e.id,
            date=capitalised(t.date(e.date, year=True)),
            kind=t(f"planner.exception.{e.kind.value}"),
            times=f"{e.start:%H:%M}–{e.end:%H:%M}"
            if e.start and e.end
            else t("planner.exception.whole_day"),
        )
        for e in found
    ]
    return pp.render(
        "planner/exceptions.html",
        section="experts",
        status=status,
        expert=expert,
        exceptions=lines,
        form=form,
        kinds=[
            k.value for k in (ExceptionKind.SICKNESS, ExceptionKind.ABSENCE, ExceptionKind.EXTRA)
        ],
    )


@router.get(f"{PREFIX}/medewerkers/{{expert_id}}/afwezigheid", response_class=HTMLResponse)
def exceptions_page(pp: PlannerDep, session: SessionDep, expert_id: ResourceId) -> Response:
    """An expert's absences, sickness and extra shifts from today on, and a form to add one."""
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    form = forms.form_of({"soort": "sickness", "datum": pp.today().isoformat()})
    return _exceptions_page(pp, session, expert, form)


def record_exception(
    pp: PlannerPage,
    session: Session,
    form: Form,
    expert: Expert,
    replan: capacity_changes.Replan,
    *,
    action: str,
    back: str,
    back_label: str,
    invalid: Any,
    section: str = "experts",
) -> Response:
    """Record an absence, sickness or extra shift: refused with the visits it breaks (and a way
    to re-plan them), or done, with what re-planning did. ``invalid(form)`` shows the form again.
    """
    t = pp.t
    values = blank_to_none({k: form.get(v) for k, v in EXCEPTION_FIELDS.items()})
    try:
        data = ExceptionIn(**values)
        changed = capacity_changes.create_exception(
            session, municipality=pp.municipality, expert_id=expert.id, data=data, replan=replan
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, EXCEPTION_FIELDS, "datum")
        return invalid(form)  # type: ignore[no-any-return]
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=action,
            back=back,
            what=t(f"planner.change.exception.{data.kind.value}", name=expert.name),
            section=section,
        )
    first = changed.value[0]
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t(
            "planner.exception.saved",
            kind=t(f"planner.exception.{first.kind.value}"),
            name=expert.name,
            date=t.date(first.date),
        ),
        back=back,
        back_label=back_label,
        section=section,
    )


@router.post(f"{PREFIX}/medewerkers/{{expert_id}}/afwezigheid", response_class=HTMLResponse)
def create_exception(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
) -> Response:
    """Record an absence, sickness or extra shift for an expert."""
    here = f"{pp.base}/medewerkers/{expert_id}/afwezigheid"
    pp.page.here = here
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    return record_exception(
        pp,
        session,
        form,
        expert,
        replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        action=here,
        back=here,
        back_label=pp.t("planner.exceptions.back", name=expert.name),
        invalid=lambda f: _exceptions_page(pp, session, expert, f, status=422),
    )


@router.post(
    f"{PREFIX}/medewerkers/{{expert_id}}/afwezigheid/{{exception_id}}/verwijderen",
    response_class=HTMLResponse,
)
def delete_exception(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
    exception_id: ResourceId,
) -> Response:
    """Remove an exception (an absence ends; taking back an extra shift may break visits)."""
    t = pp.t
    back = f"{pp.base}/medewerkers/{expert_id}/afwezigheid"
    pp.page.here = back
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    try:
        changed = capacity_changes.delete_exception(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            exception_id=exception_id,
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{back}/{exception_id}/verwijderen",
            back=back,
            what=t("planner.change.exception_removed", name=expert.name),
            section="experts",
        )
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.exception.deleted"),
        back=back,
        back_label=t("planner.exceptions.back", name=expert.name),
        section="experts",
    )
