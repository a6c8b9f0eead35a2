"""Planners forecast demand and roster experts: shift types, contracts, minimum cover, rota
proposals (CP-SAT) and applying them.

Applying a rota is a capacity change: 409 when capacity changed since the proposal (it is then
stale) or when it would break booked visits (``affected`` names them), unless ``replan=true``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Response

from api.deps import MunicipalityDep, Planner, ResourceId, SessionDep, SettingsDep, require_planner
from api.problems import problem_responses
from api.routers.capacity import ReplanDep
from api.runtime import TravelDep
from scheduler.bounds import Day
from scheduler.rota import service as rota
from scheduler.rota.schemas import (
    ContractIn,
    ContractRead,
    ForecastRead,
    ForecastRow,
    MinimumIn,
    RotaProposalRead,
    RotaRequest,
    ShiftTypeIn,
    ShiftTypeRead,
)
from scheduler.usecases import rota as rota_usecases

#: Seconds a synchronous proposal may take at most (longer ones: ``Prefer: respond-async``).
MAX_SYNC_SECONDS = 60.0

router = APIRouter(
    prefix="/api/v1/municipalities/{slug}",
    tags=["rota"],
    dependencies=[Depends(require_planner)],
)


@router.get(
    "/rota/shift-types",
    response_model=list[ShiftTypeRead],
    responses=problem_responses(401, 403, 404),
)
def list_shift_types(municipality: MunicipalityDep, session: SessionDep) -> list[ShiftTypeRead]:
    """The shift types rotas are made of (day, evening, Saturday morning, …)."""
    return [ShiftTypeRead.of(r) for r in rota.get_shift_types(session, municipality=municipality)]


@router.put(
    "/rota/shift-types",
    response_model=list[ShiftTypeRead],
    responses=problem_responses(401, 403, 404, 422),
)
def replace_shift_types(
    body: Annotated[list[ShiftTypeIn], Body(min_length=1, max_length=20)],
    municipality: MunicipalityDep,
    session: SessionDep,
) -> list[ShiftTypeRead]:
    """Replace the shift types (applied rotas keep their shifts)."""
    rows = rota.replace_shift_types(
        session, municipality=municipality, types=[t.shift_type() for t in body]
    )
    return [ShiftTypeRead.of(r) for r in rows]


@router.get(
    "/experts/{expert_id}/contract",
    response_model=ContractRead,
    responses=problem_responses(401, 403, 404),
)
def get_contract(
    expert_id: ResourceId, municipality: MunicipalityDep, session: SessionDep
) -> ContractRead:
    """The expert's contract hours, limits and rota preferences."""
    c, p, stored = rota.get_contract(session, municipality=municipality, expert_id=expert_id)
    return ContractRead.of(expert_id, c, p, stored)


@router.put(
    "/experts/{expert_id}/contract",
    response_model=ContractRead,
    responses=problem_responses(401, 403, 404, 422),
)
def put_contract(
    expert_id: ResourceId, body: ContractIn, municipality: MunicipalityDep, session: SessionDep
) -> ContractRead:
    """Set the expert's contract hours, limits and rota preferences."""
    rota.put_contract(
        session,
        municipality=municipality,
        expert_id=expert_id,
        contract=body.contract(),
        preference=body.preference(),
    )
    return ContractRead.of(expert_id, body.contract(), body.preference(), True)


@router.get(
    "/rota/minimums", response_model=list[MinimumIn], responses=problem_responses(401, 403, 404)
)
def list_minimums(municipality: MunicipalityDep, session: SessionDep) -> list[MinimumIn]:
    """Minimum cover: experts with a skill that must work in a part of every open day."""
    return [MinimumIn.of(m) for m in rota.get_minimums(session, municipality=municipality)]


@router.put(
    "/rota/minimums",
    response_model=list[MinimumIn],
    responses=problem_responses(401, 403, 404, 422),
)
def replace_minimums(
    body: Annotated[list[MinimumIn], Body(max_length=50)],
    municipality: MunicipalityDep,
    session: SessionDep,
) -> list[MinimumIn]:
    """Replace the minimum cover rules."""
    rules = rota.replace_minimums(
        session, municipality=municipality, minimums=[m.rule() for m in body]
    )
    return [MinimumIn.of(m) for m in rules]


@router.get(
    "/rota/forecast", response_model=ForecastRead, responses=problem_responses(401, 403, 404, 422)
)
def get_forecast(
    start: Annotated[Day, Query(description="First date")],
    municipality: MunicipalityDep,
    session: SessionDep,
    weeks: Annotated[int, Query(ge=1, le=8)] = 4,
) -> ForecastRead:
    """Forecast demand against current capacity per week, part of day and skill (expert-hours)."""
    rows, predicted = rota.forecast_table(
        session, municipality=municipality, start=start, weeks=weeks
    )
    return ForecastRead(
        start=start,
        weeks=weeks,
        rows=[ForecastRow.model_validate(r) for r in rows],
        sources_hours=dict(predicted.sources),
        backtest=predicted.backtest.public(),
    )


@router.post(
    "/rota/proposals",
    response_model=RotaProposalRead,
    status_code=201,
    responses={
        **problem_responses(401, 403, 404, 422),
        202: {"model": RotaProposalRead, "description": "Queued (`Prefer: respond-async`)"},
    },
)
def propose(
    body: RotaRequest,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    response: Response,
    prefer: Annotated[
        str | None,
        Header(description="`respond-async` queues the proposal for `aanhuis worker` (202)"),
    ] = None,
) -> RotaProposalRead:
    """Propose a rota for 2-8 weeks with CP-SAT (infeasible ones carry their reasons)."""
    limit = min(body.time_limit, max(settings.optimize_time_limit, MAX_SYNC_SECONDS))
    actor = f"planner:{planner.id}"
    if prefer and "respond-async" in {p.strip().lower() for p in prefer.split(",")}:
        queued = rota.enqueue(
            session,
            municipality=municipality,
            start=body.start,
            weeks=body.weeks,
            time_limit=body.time_limit,
            actor=actor,
        )
        response.status_code = 202
        response.headers["Location"] = (
            f"/api/v1/municipalities/{municipality.slug}/rota/proposals/{queued.id}"
        )
        response.headers["Preference-Applied"] = "respond-async"
        return RotaProposalRead.of(queued, queued.status)
    proposal = rota.propose(
        session,
        municipality=municipality,
        start=body.start,
        weeks=body.weeks,
        time_limit=limit,
        actor=actor,
        travel=travel,
    )
    return RotaProposalRead.of(proposal, rota.status_of(proposal, municipality))


@router.get(
    "/rota/proposals/{proposal_id}",
    response_model=RotaProposalRead,
    responses=problem_responses(401, 403, 404),
)
def get_proposal(
    proposal_id: str, municipality: MunicipalityDep, session: SessionDep
) -> RotaProposalRead:
    """A rota proposal: every shift of its horizon, coverage, fairness and status."""
    proposal = rota.get_proposal(session, municipality=municipality, proposal_id=proposal_id)
    return RotaProposalRead.of(proposal, rota.status_of(proposal, municipality))


@router.post(
    "/rota/proposals/{proposal_id}/apply",
    response_model=RotaProposalRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def apply_proposal(
    proposal_id: str, municipality: MunicipalityDep, session: SessionDep, replan: ReplanDep
) -> RotaProposalRead:
    """Apply a rota in one transaction; 409 when stale or when it would break booked visits."""
    applied = rota_usecases.apply(
        session, municipality=municipality, proposal_id=proposal_id, replan=replan
    )
    return RotaProposalRead.of(applied.proposal, "applied")
