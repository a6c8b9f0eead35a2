"""The planner's rota pages: expected demand against capacity (chart and table), proposing a
rota, reading a proposal (reasons, coverage, fairness) and applying it behind a confirm step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
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
    router,
    schema_errors,
)
from api.web.planner_changes import refused_page, replan_of, wants_replan
from api.web.planner_charts import pair_chart
from scheduler.capacity import service as capacity
from scheduler.capacity.models import Expert
from scheduler.errors import Conflict, InvalidInput, PromisesAtRisk
from scheduler.rota import service as rota
from scheduler.rota.models import RotaProposal
from scheduler.rota.problem import MinimumCover, Part, ShiftType
from scheduler.rota.schemas import ContractIn, ShiftTypeIn, ShiftTypeRead
from scheduler.usecases import rota as rota_usecases

#: Seconds a proposal made from the page may take (the planner waits for it).
PAGE_TIME_LIMIT = 20.0


def _rota_page(pp: PlannerPage, session: Session, form: Form, *, status: int = 200) -> HTMLResponse:
    t = pp.t
    start = rota.rota_start_default(pp.municipality)
    rows, predicted = rota.forecast_table(
        session, municipality=pp.municipality, start=start, weeks=4
    )
    totals = [r for r in rows if r["skill"] is None]
    chart = pair_chart(
        [
            (
                f"{t('rota.week')} {r['week']} {t('rota.part.' + r['part'].value)}",
                r["demand_hours"],
                r["capacity_hours"],
            )
            for r in totals
        ],
        fmt=lambda v: f"{v:.0f} u" if t.lang == "nl" else f"{v:.0f} h",
    )
    return pp.render(
        "planner/rota.html",
        section="rota",
        status=status,
        rows=rows,
        totals=totals,
        chart=chart,
        backtest=predicted.backtest.public(),
        form=form,
        minimums=rota.get_minimums(session, municipality=pp.municipality),
        skill_options=[(k, k) for k in sorted({r["skill"] for r in rows if r["skill"]})],
        part_options=[(p.value, t(f"rota.part.{p.value}")) for p in Part],
    )


@router.get(f"{PREFIX}/rooster", response_class=HTMLResponse)
def rota_page(pp: PlannerDep, session: SessionDep) -> Response:
    """Expected demand against current capacity for the next 4 weeks, and the propose form."""
    form = forms.form_of(
        {"begin": rota.rota_start_default(pp.municipality).isoformat(), "weken": "4"}
    )
    return _rota_page(pp, session, form)


@router.post(f"{PREFIX}/rooster", response_class=HTMLResponse)
def propose(pp: PlannerDep, form: PostedForm, session: SessionDep, travel: TravelDep) -> Response:
    """Propose a rota from the form (first day, weeks); show it."""
    t = pp.t
    pp.page.here = f"{pp.base}/rooster"
    try:
        start = dt.date.fromisoformat(form.get("begin"))
    except ValueError:
        form.add_error("begin", t("rota.start"))
        return _rota_page(pp, session, form, status=422)
    weeks_text = form.get("weken")
    if not weeks_text.isdigit():
        form.add_error("weken", t("rota.weeks"))
        return _rota_page(pp, session, form, status=422)
    try:
        proposal = rota.propose(
            session,
            municipality=pp.municipality,
            start=start,
            weeks=int(weeks_text),
            time_limit=PAGE_TIME_LIMIT,
            actor=pp.actor,
            travel=travel,
        )
    except InvalidInput as exc:
        session.rollback()
        form.add_error("begin", exc.detail if t.lang == "en" else exc.detail_nl)
        return _rota_page(pp, session, form, status=422)
    return pp.redirect(f"{pp.base}/rooster/voorstel/{proposal.id}")


def _proposal_page(
    pp: PlannerPage,
    session: Session,
    proposal: RotaProposal,
    form: Form,
    *,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    names = _names(session, pp)
    result: dict[str, Any] = proposal.result
    fairness = result["fairness"]
    per_expert = []
    after = {e["expert_id"]: e for e in (fairness["after"] or {}).get("per_expert", [])}
    for e in fairness["before"]["per_expert"]:
        per_expert.append(
            {
                "name": names.get(e["expert_id"], str(e["expert_id"])),
                "before": e,
                "after": after.get(e["expert_id"]),
            }
        )
    return pp.render(
        "planner/rota_proposal.html",
        section="rota",
        status=status,
        proposal=proposal,
        state=rota.status_of(proposal, pp.municipality),
        result=result,
        per_expert=per_expert,
        parts=("morning", "afternoon", "evening", "saturday"),
        form=form,
        notice=notice,
    )


def _names(session: Session, pp: PlannerPage) -> dict[int, str]:
    return dict(
        session.execute(
            select(Expert.id, Expert.name).where(Expert.municipality_id == pp.municipality.id)
        ).all()
    )


@router.get(f"{PREFIX}/rooster/voorstel/{{proposal_id}}", response_class=HTMLResponse)
def proposal_page(pp: PlannerDep, session: SessionDep, proposal_id: str) -> Response:
    """A rota proposal: why it cannot be (if so), coverage and fairness now and proposed."""
    proposal = rota.get_proposal(session, municipality=pp.municipality, proposal_id=proposal_id)
    return _proposal_page(pp, session, proposal, forms.form_of({}))


@router.post(f"{PREFIX}/rooster/voorstel/{{proposal_id}}/toepassen", response_class=HTMLResponse)
def apply(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    proposal_id: str,
) -> Response:
    """Apply the rota once confirmed; breaking booked visits asks again (then re-plans)."""
    t = pp.t
    back = f"{pp.base}/rooster/voorstel/{proposal_id}"
    pp.page.here = back
    proposal = rota.get_proposal(session, municipality=pp.municipality, proposal_id=proposal_id)
    if form.get("bevestigd") != "ja" and not wants_replan(form):
        form.add_error("bevestigd", t("rota.apply.confirm.missing"))
        return _proposal_page(pp, session, proposal, form, status=422)
    try:
        applied = rota_usecases.apply(
            session,
            municipality=pp.municipality,
            proposal_id=proposal_id,
            replan=replan_of(pp, settings, travel, notifier, enabled=wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{back}/toepassen",
            back=back,
            what=t("rota.what"),
            section="rota",
        )
    except Conflict as exc:
        session.rollback()
        proposal = rota.get_proposal(session, municipality=pp.municipality, proposal_id=proposal_id)
        form.add_error("bevestigd", exc.detail if t.lang == "en" else exc.detail_nl)
        return _proposal_page(pp, session, proposal, form, status=409)
    return _proposal_page(
        pp,
        session,
        applied.proposal,
        forms.form_of({}),
        notice=t("rota.applied", count=applied.shifts),
    )


CONTRACT_FIELDS = {
    "hours_per_week": "uren",
    "tolerance_hours": "marge",
    "max_evenings_per_week": "avonden",
    "max_saturdays_per_month": "zaterdagen",
    "evenings": "avondwens",
    "day_off": "vrije_dag",
}


def _contract_page(
    pp: PlannerPage,
    expert: Expert,
    form: Form,
    *,
    stored: bool,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    return pp.render(
        "planner/contract.html",
        section="experts",
        status=status,
        expert=expert,
        form=form,
        stored=stored,
        notice=notice,
    )


@router.get(f"{PREFIX}/medewerkers/{{expert_id}}/contract", response_class=HTMLResponse)
def contract_page(pp: PlannerDep, session: SessionDep, expert_id: ResourceId) -> Response:
    """An expert's contract hours, limits and rota preferences, with a form to change them."""
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    c, p, stored = rota.get_contract(session, municipality=pp.municipality, expert_id=expert_id)
    form = forms.form_of(
        {
            "uren": f"{c.hours_per_week:g}",
            "marge": f"{c.tolerance_hours:g}",
            "avonden": c.max_evenings_per_week,
            "zaterdagen": c.max_saturdays_per_month,
            "avondwens": p.evenings.value,
            "vrije_dag": "" if p.day_off is None else p.day_off,
        }
    )
    return _contract_page(pp, expert, form, stored=stored)


@router.post(f"{PREFIX}/medewerkers/{{expert_id}}/contract", response_class=HTMLResponse)
def save_contract(
    pp: PlannerDep, form: PostedForm, session: SessionDep, expert_id: ResourceId
) -> Response:
    """Save the contract and preferences (the next rota proposal uses them)."""
    pp.page.here = f"{pp.base}/medewerkers/{expert_id}/contract"
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    values = blank_to_none({k: form.get(v) for k, v in CONTRACT_FIELDS.items()})
    values = {k: v.replace(",", ".") if isinstance(v, str) else v for k, v in values.items()}
    try:
        data = ContractIn(**values)
    except ValidationError as exc:
        schema_errors(exc, form, pp.t, CONTRACT_FIELDS, "uren")
        return _contract_page(pp, expert, form, stored=True, status=422)
    rota.put_contract(
        session,
        municipality=pp.municipality,
        expert_id=expert_id,
        contract=data.contract(),
        preference=data.preference(),
    )
    return _contract_page(pp, expert, form, stored=True, notice=pp.t("rota.contract.saved"))


TYPE_FIELDS = {
    "code": "code",
    "name": "naam",
    "start": "begin",
    "end": "einde",
    "break_minutes": "pauze_minuten",
    "break_earliest": "pauze_vanaf",
    "break_latest": "pauze_uiterlijk",
    "weekdays": "dag_0",
}


def _types_page(
    pp: PlannerPage, session: Session, form: Form, *, status: int = 200
) -> HTMLResponse:
    rows = rota.get_shift_types(session, municipality=pp.municipality)
    types = [ShiftTypeRead.of(r) for r in rows]
    defaults = [] if rows else list(rota.DEFAULT_SHIFT_TYPES)
    return pp.render(
        "planner/shift_types.html",
        section="rota",
        status=status,
        types=types,
        defaults=defaults,
        form=form,
    )


@router.get(f"{PREFIX}/rooster/diensttypen", response_class=HTMLResponse)
def shift_types_page(pp: PlannerDep, session: SessionDep) -> Response:
    """The shift types rotas are made of, and a form to add one."""
    form = forms.form_of(
        {
            "begin": "08:30",
            "einde": "17:00",
            "pauze_minuten": "30",
            "pauze_vanaf": "12:00",
            "pauze_uiterlijk": "13:30",
        }
    )
    return _types_page(pp, session, form)


def _shift_type_in(row: ShiftTypeRead) -> ShiftType:
    return ShiftTypeIn.model_validate(row.model_dump(exclude={"id", "hours"})).shift_type()


@router.post(f"{PREFIX}/rooster/diensttypen", response_class=HTMLResponse)
def add_shift_type(pp: PlannerDep, form: PostedForm, session: SessionDep) -> Response:
    """Add a shift type (the defaults become the municipality's own the first time)."""
    pp.page.here = f"{pp.base}/rooster/diensttypen"
    values: dict[str, Any] = blank_to_none(
        {k: form.get(v) for k, v in TYPE_FIELDS.items() if k != "weekdays"}
    )
    values["break_minutes"] = values["break_minutes"] or "0"
    if values["break_minutes"] == "0":
        values["break_earliest"] = values["break_latest"] = None
    values["weekdays"] = [d for d in range(6) if form.get(f"dag_{d}") == "ja"]
    try:
        new = ShiftTypeIn(**values).shift_type()
    except ValidationError as exc:
        schema_errors(exc, form, pp.t, TYPE_FIELDS, "begin")
        return _types_page(pp, session, form, status=422)
    rows = rota.get_shift_types(session, municipality=pp.municipality)
    current = [_shift_type_in(ShiftTypeRead.of(r)) for r in rows] or list(rota.DEFAULT_SHIFT_TYPES)
    try:
        rota.replace_shift_types(
            session,
            municipality=pp.municipality,
            types=[t for t in current if t.code != new.code] + [new],
        )
    except InvalidInput as exc:
        session.rollback()
        form.add_error("code", exc.detail if pp.t.lang == "en" else exc.detail_nl)
        return _types_page(pp, session, form, status=422)
    return pp.redirect(f"{pp.base}/rooster/diensttypen")


@router.post(f"{PREFIX}/rooster/diensttypen/{{code}}/verwijderen", response_class=HTMLResponse)
def delete_shift_type(pp: PlannerDep, form: PostedForm, session: SessionDep, code: str) -> Response:
    """Remove a shift type (applied rotas keep their shifts; one type at least stays)."""
    rows = rota.get_shift_types(session, municipality=pp.municipality)
    current = [_shift_type_in(ShiftTypeRead.of(r)) for r in rows] or list(rota.DEFAULT_SHIFT_TYPES)
    kept = [t for t in current if t.code != code]
    if kept and len(kept) < len(current):
        rota.replace_shift_types(session, municipality=pp.municipality, types=kept)
    return pp.redirect(f"{pp.base}/rooster/diensttypen")


@router.post(f"{PREFIX}/rooster/minimum", response_class=HTMLResponse)
def set_minimum(pp: PlannerDep, form: PostedForm, session: SessionDep) -> Response:
    """Set the minimum cover of a skill in a part of day (0 removes it)."""
    pp.page.here = f"{pp.base}/rooster"
    rules = {(m.skill, m.part): m for m in rota.get_minimums(session, municipality=pp.municipality)}
    count = form.get("aantal")
    try:
        part = Part(form.get("dagdeel"))
    except ValueError:
        form.add_error("dagdeel", pp.t("planner.error.required"))
        return _rota_page(pp, session, form, status=422)
    skill = form.get("vaardigheid")
    if not count.isdigit() or int(count) > 50 or not skill or len(skill) > 64:
        form.add_error("aantal", pp.t("planner.error.max", max=50))
        return _rota_page(pp, session, form, status=422)
    rules.pop((skill, part), None)
    if int(count):
        rules[(skill, part)] = MinimumCover(skill, part, int(count))
    rota.replace_minimums(session, municipality=pp.municipality, minimums=list(rules.values()))
    return pp.redirect(f"{pp.base}/rooster")
