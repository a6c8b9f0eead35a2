"""The planner's weekly-shift pages of an expert: add and remove shifts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import ResourceId, SessionDep, SettingsDep
from api.runtime import NotifierDep, TravelDep
from api.web import forms
from api.web.forms import Form, PostedForm
from api.web.i18n import Translator
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
from scheduler.capacity.models import Expert
from scheduler.capacity.schemas import (
    ShiftIn,
)
from scheduler.errors import InvalidInput, PromisesAtRisk
from scheduler.usecases import capacity_changes

#: Period lengths the heat map offers (days).

SHIFT_FIELDS = {
    "weekday": "weekdag",
    "start": "begin",
    "end": "einde",
    "break_earliest": "pauze_vanaf",
    "break_latest": "pauze_uiterlijk",
    "break_minutes": "pauze_minuten",
    "valid_from": "geldig_vanaf",
    "valid_until": "geldig_tot",
}


@dataclass(frozen=True)
class ShiftLine:
    id: int
    weekday: str
    times: str
    lunch: str
    valid: str


def _shift_lines(shifts: Iterable[Any], t: Translator) -> list[ShiftLine]:
    out = []
    for s in shifts:
        lunch = "–"
        if s.break_minutes:
            lunch = t(
                "planner.shift.lunch",
                minutes=s.break_minutes,
                earliest=f"{s.break_earliest:%H:%M}",
                latest=f"{s.break_latest:%H:%M}",
            )
        valid = t("planner.shift.always")
        if s.valid_from or s.valid_until:
            valid = t(
                "planner.shift.valid",
                first=t.date(s.valid_from, year=True) if s.valid_from else "…",
                last=t.date(s.valid_until, year=True) if s.valid_until else "…",
            )
        out.append(
            ShiftLine(
                id=s.id,
                weekday=capitalised(t(f"planner.weekday.long.{s.weekday}")),
                times=f"{s.start:%H:%M}–{s.end:%H:%M}",
                lunch=lunch,
                valid=valid,
            )
        )
    return out


def _shifts_page(
    pp: PlannerPage,
    session: Session,
    expert: Expert,
    form: Form,
    *,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    shifts = capacity.get_shifts(session, municipality=pp.municipality, expert_id=expert.id)
    return pp.render(
        "planner/shifts.html",
        section="experts",
        status=status,
        expert=expert,
        shifts=_shift_lines(shifts, pp.t),
        form=form,
        notice=notice,
    )


@router.get(f"{PREFIX}/medewerkers/{{expert_id}}/diensten", response_class=HTMLResponse)
def shifts_page(
    pp: PlannerDep, session: SessionDep, expert_id: ResourceId, nieuw: int = 0
) -> Response:
    """An expert's weekly pattern: shifts with their lunch breaks, and a form to add one."""
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    form = forms.form_of(
        {
            "weekdag": "0",
            "begin": "09:00",
            "einde": "17:00",
            "pauze_vanaf": "12:00",
            "pauze_uiterlijk": "13:30",
            "pauze_minuten": "30",
        }
    )
    notice = pp.t("planner.expert.created", name=expert.name) if nieuw else None
    return _shifts_page(pp, session, expert, form, notice=notice)


@router.post(f"{PREFIX}/medewerkers/{{expert_id}}/diensten", response_class=HTMLResponse)
def add_shift(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
) -> Response:
    """Add a weekly shift (more working time); booked days are re-timed to fit it."""
    t = pp.t
    back = f"{pp.base}/medewerkers/{expert_id}/diensten"
    pp.page.here = back
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    values = blank_to_none({k: form.get(v) for k, v in SHIFT_FIELDS.items()})
    if values["break_minutes"] is None:
        values["break_minutes"] = "0"
    if values["break_minutes"] == "0":
        values["break_earliest"] = values["break_latest"] = None
    try:
        data = ShiftIn(**values)
        capacity_changes.add_shift(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            data=data,
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, SHIFT_FIELDS, "begin")
        return _shifts_page(pp, session, expert, form, status=422)
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=back,
            back=back,
            what=t("planner.change.shift_added", name=expert.name),
            section="experts",
        )
    except InvalidInput as exc:
        session.rollback()
        form.add_error("begin", exc.detail if t.lang == "en" else exc.detail_nl)
        return _shifts_page(pp, session, expert, form, status=422)
    return pp.redirect(back)


@router.post(
    f"{PREFIX}/medewerkers/{{expert_id}}/diensten/{{shift_id}}/verwijderen",
    response_class=HTMLResponse,
)
def delete_shift(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
    shift_id: ResourceId,
) -> Response:
    """Remove a weekly shift; when that breaks booked visits, ask first, then re-plan."""
    t = pp.t
    back = f"{pp.base}/medewerkers/{expert_id}/diensten"
    pp.page.here = back
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    try:
        changed = capacity_changes.delete_shift(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            shift_id=shift_id,
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{back}/{shift_id}/verwijderen",
            back=back,
            what=t("planner.change.shift", name=expert.name),
            section="experts",
        )
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.shift.deleted"),
        back=back,
        back_label=t("planner.shifts.back", name=expert.name),
        section="experts",
    )
