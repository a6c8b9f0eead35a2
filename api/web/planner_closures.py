"""The planner's closure days: holidays pre-filled per year, added, renamed and removed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import ResourceId, SessionDep, SettingsDep
from api.runtime import NotifierDep, TravelDep
from api.web import forms
from api.web.forms import Form, PostedForm
from api.web.planner import (
    PREFIX,
    PlannerDep,
    PlannerPage,
    capitalised,
    router,
)
from api.web.planner_changes import outcome_page, refused_page, replan_of, wants_replan
from scheduler import bounds
from scheduler.capacity import service as capacity
from scheduler.capacity.schemas import (
    ClosureIn,
)
from scheduler.errors import Conflict, PromisesAtRisk
from scheduler.usecases import capacity_changes

#: Period lengths the heat map offers (days).


@dataclass(frozen=True)
class ClosureLine:
    id: int
    date: str
    name: str
    holiday: bool


def _closures_page(
    pp: PlannerPage,
    session: Session,
    year: int,
    form: Form,
    *,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    t = pp.t
    closures = capacity.get_closures(session, municipality=pp.municipality, year=year)
    lines = [
        ClosureLine(c.id, capitalised(t.date(c.date, year=True)), c.name, c.source == "holiday")
        for c in closures
    ]
    return pp.render(
        "planner/closures.html",
        section="closures",
        status=status,
        year=year,
        closures=lines,
        form=form,
        notice=notice,
    )


def _year(raw: int | None, pp: PlannerPage) -> int:
    year = raw or pp.today().year
    return year if capacity.FIRST_YEAR <= year <= capacity.LAST_YEAR else pp.today().year


@router.get(f"{PREFIX}/sluitingsdagen", response_class=HTMLResponse)
def closures_page(
    pp: PlannerDep, session: SessionDep, jaar: int | None = None, gevuld: int | None = None
) -> Response:
    """A year's closure days (public holidays pre-filled, editable) and a form to add one."""
    year = _year(jaar, pp)
    notice = pp.t("planner.closures.filled", count=gevuld) if gevuld is not None else None
    return _closures_page(pp, session, year, Form(), notice=notice)


@router.post(f"{PREFIX}/sluitingsdagen", response_class=HTMLResponse)
def add_closure(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
) -> Response:
    """Close the municipality on a date; with visits that day, ask first, then re-plan."""
    t = pp.t
    day = bounds.parse_day(form.get("datum"))
    year = day.year if day else pp.today().year
    back = f"{pp.base}/sluitingsdagen?jaar={year}"
    pp.page.here = back
    name = forms.required_text(form, t, "naam", "planner.closure.name.missing", 200)
    if day is None:
        form.add_error("datum", t("planner.error.date"))
    if day is None or name is None:
        return _closures_page(pp, session, year, form, status=422)
    try:
        changed = capacity_changes.add_closure(
            session,
            municipality=pp.municipality,
            data=ClosureIn(date=day, name=name),
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{pp.base}/sluitingsdagen",
            back=back,
            what=t("planner.change.closure", date=t.date(day, year=True)),
            section="closures",
        )
    except Conflict as exc:
        session.rollback()
        form.add_error("datum", exc.detail if t.lang == "en" else exc.detail_nl)
        return _closures_page(pp, session, year, form, status=409)
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.closure.saved", date=t.date(day, year=True)),
        back=back,
        back_label=t("planner.closures.back"),
        section="closures",
    )


@router.post(f"{PREFIX}/sluitingsdagen/feestdagen", response_class=HTMLResponse)
def prefill_closures(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
) -> Response:
    """Pre-fill a year with the Dutch public holidays (once; edits and deletions stay)."""
    t = pp.t
    year = _year(int(form.get("jaar")) if form.get("jaar").isdigit() else None, pp)
    back = f"{pp.base}/sluitingsdagen?jaar={year}"
    pp.page.here = back
    try:
        changed = capacity_changes.prefill_year(
            session,
            municipality=pp.municipality,
            year=year,
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{pp.base}/sluitingsdagen/feestdagen",
            back=back,
            what=t("planner.change.holidays", year=year),
            section="closures",
        )
    added, _ = changed.value
    if changed.outcome.replanned:
        return outcome_page(
            pp,
            session,
            changed.outcome,
            title=t("planner.closures.filled", count=added),
            back=back,
            back_label=t("planner.closures.back"),
            section="closures",
        )
    return pp.redirect(f"{back}&gevuld={added}")


@router.post(f"{PREFIX}/sluitingsdagen/{{closure_id}}/naam", response_class=HTMLResponse)
def rename_closure(
    pp: PlannerDep, form: PostedForm, session: SessionDep, closure_id: ResourceId
) -> Response:
    """Give a closure day another name."""
    t = pp.t
    name = forms.required_text(form, t, f"naam-{closure_id}", "planner.closure.name.missing", 200)
    if name is None:
        year = _year(int(form.get("jaar")) if form.get("jaar").isdigit() else None, pp)
        return _closures_page(pp, session, year, form, status=422)
    closure = capacity.rename_closure(
        session, municipality=pp.municipality, closure_id=closure_id, name=name
    )
    return pp.redirect(f"{pp.base}/sluitingsdagen?jaar={closure.date.year}")


@router.post(f"{PREFIX}/sluitingsdagen/{{closure_id}}/verwijderen", response_class=HTMLResponse)
def delete_closure(
    pp: PlannerDep, form: PostedForm, session: SessionDep, closure_id: ResourceId
) -> Response:
    """Open a closed day again (more capacity: it can break no promise)."""
    year = _year(int(form.get("jaar")) if form.get("jaar").isdigit() else None, pp)
    capacity.delete_closure(session, municipality=pp.municipality, closure_id=closure_id)
    return pp.redirect(f"{pp.base}/sluitingsdagen?jaar={year}")
