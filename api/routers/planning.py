"""Planners optimise a day into a proposal and apply it, or re-plan a day after a disruption.

An optimisation answers with a proposal: the OR-Tools plan with before/after figures, never worse
than the current plan. Applying it answers 409 when the day changed since (a booking, a
cancellation, a re-plan): optimise again then.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import MunicipalityDep, Planner, SessionDep, SettingsDep
from api.runtime import NotifierDep, TravelDep
from scheduler.booking.schemas import problem_responses
from scheduler.planning import service as planning
from scheduler.planning.schemas import ProposalRead, ReplanRead

router = APIRouter(prefix="/api/v1/municipalities", tags=["planning"])

TimeLimit = Annotated[
    float | None,
    Query(
        gt=0,
        le=600,
        description="Seconds the optimiser may spend (at most the configured limit)",
    ),
]


def _actor(planner: Planner) -> str:
    return f"planner:{planner.id}"


@router.post(
    "/{slug}/days/{date}/optimize",
    response_model=ProposalRead,
    status_code=201,
    responses=problem_responses(401, 403, 404, 422),
)
def optimize_day(
    date: dt.date,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    time_limit: TimeLimit = None,
) -> ProposalRead:
    """Optimise the whole day with OR-Tools into a proposal with before/after figures."""
    limit = min(time_limit or settings.optimize_time_limit, settings.optimize_time_limit)
    proposal = planning.propose(
        session,
        municipality=municipality,
        date=date,
        travel=travel,
        time_limit=limit,
        actor=_actor(planner),
    )
    return ProposalRead.of(proposal)


@router.get(
    "/{slug}/proposals/{proposal_id}",
    response_model=ProposalRead,
    responses=problem_responses(401, 403, 404),
)
def get_proposal(
    proposal_id: str, municipality: MunicipalityDep, planner: Planner, session: SessionDep
) -> ProposalRead:
    """A proposal: its routes, figures and status (open, applied or stale)."""
    return ProposalRead.of(
        planning.get_proposal(session, municipality=municipality, proposal_id=proposal_id)
    )


@router.post(
    "/{slug}/proposals/{proposal_id}/apply",
    response_model=ProposalRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def apply_proposal(
    proposal_id: str,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    travel: TravelDep,
) -> ProposalRead:
    """Apply a proposal; 409 when the day changed since it was made, or it was applied already."""
    proposal = planning.apply(
        session,
        municipality=municipality,
        proposal_id=proposal_id,
        travel=travel,
        actor=_actor(planner),
    )
    return ProposalRead.of(proposal)


@router.post(
    "/{slug}/days/{date}/replan",
    response_model=ReplanRead,
    responses=problem_responses(401, 403, 404, 422),
)
def replan_day(
    date: dt.date,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notify: NotifierDep,
    time_limit: TimeLimit = None,
) -> ReplanRead:
    """Re-plan the day with the experts who work; list what cannot be kept, with new windows."""
    limit = min(time_limit or planning.REPLAN_TIME_LIMIT, settings.optimize_time_limit)
    result = planning.replan_day(
        session,
        municipality=municipality,
        date=date,
        travel=travel,
        notify=notify,
        actor=_actor(planner),
        hold_minutes=settings.offer_hold_minutes,
        time_limit=limit,
    )
    return ReplanRead.of(result, municipality.timezone)
