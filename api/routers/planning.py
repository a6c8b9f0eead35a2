"""Planners optimise a day into a proposal and apply it, or re-plan a day after a disruption.

An optimisation answers with a proposal: the OR-Tools plan with before/after figures, never worse
than the current plan. Applying it answers 409 when the day changed since (a booking, a
cancellation, a re-plan): optimise again then.

With ``Prefer: respond-async`` (RFC 7240) the optimisation is queued instead: 202 with the job
and its ``Location``; a worker (``aanhuis worker``) solves it, and the job then names its
proposal. The web request then holds no process for the seconds a solve takes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response

from api.deps import MunicipalityDep, Planner, SessionDep, SettingsDep
from api.problems import problem_responses
from api.runtime import ExpertNotifierDep, NotifierDep, TravelDep
from scheduler import clock
from scheduler.booking import continuity
from scheduler.booking import service as booking
from scheduler.booking.models import Visit
from scheduler.bounds import Day
from scheduler.planning import jobs, lifecycle
from scheduler.planning import service as planning
from scheduler.planning.schemas import (
    DayPlanStateRead,
    ExpertPreferenceIn,
    ExpertPreferenceRead,
    JobRead,
    OptimizeIn,
    ProposalRead,
)
from scheduler.usecases import disruption
from scheduler.usecases.schemas import ReplanRead

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
    response_model=ProposalRead | JobRead,
    status_code=201,
    responses={
        **problem_responses(401, 403, 404, 422),
        202: {"model": JobRead, "description": "Queued (with `Prefer: respond-async`)"},
    },
)
def optimize_day(
    date: Day,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    response: Response,
    time_limit: TimeLimit = None,
    prefer: Annotated[
        str | None,
        Header(description="`respond-async` queues the optimisation for a worker (202)"),
    ] = None,
    body: Annotated[OptimizeIn | None, Body()] = None,
) -> ProposalRead | JobRead:
    """Optimise the whole day into a proposal with before/after figures.

    The optional body chooses the ``mode`` (default ``balanced``): ``keep_experts`` only changes
    order and times, ``balanced`` moves a visit to another expert only when that pays for its
    stability cost, ``free`` ignores who had a visit. Never more working time than the current
    plan for the same visits.
    """
    limit = min(time_limit or settings.optimize_time_limit, settings.optimize_time_limit)
    mode = (body or OptimizeIn()).mode
    if prefer and "respond-async" in {p.strip().lower() for p in prefer.split(",")}:
        job = jobs.enqueue(
            session,
            municipality=municipality,
            date=date,
            time_limit=limit,
            actor=_actor(planner),
            mode=mode,
        )
        response.status_code = 202
        response.headers["Location"] = (
            f"/api/v1/municipalities/{municipality.slug}/optimisation-jobs/{job.id}"
        )
        response.headers["Preference-Applied"] = "respond-async"
        return JobRead.of(job)
    proposal = planning.propose(
        session,
        municipality=municipality,
        date=date,
        travel=travel,
        time_limit=limit,
        actor=_actor(planner),
        mode=mode,
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


@router.get(
    "/{slug}/optimisation-jobs/{job_id}",
    response_model=JobRead,
    responses=problem_responses(401, 403, 404),
)
def get_job(
    job_id: str, municipality: MunicipalityDep, planner: Planner, session: SessionDep
) -> JobRead:
    """A queued optimisation: its status and, once done, its proposal's id."""
    return JobRead.of(jobs.get_job(session, municipality=municipality, job_id=job_id))


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
    responses=problem_responses(401, 403, 404, 409, 422),
)
def replan_day(
    date: Day,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notify: NotifierDep,
    tell_experts: ExpertNotifierDep,
    time_limit: TimeLimit = None,
) -> ReplanRead:
    """Re-plan the day with the experts who work; list what cannot be kept, with new windows.

    409 when a new route no longer fits the day as it is timed for writing (travel times changed
    under the solve); nothing is written then: re-plan again."""
    limit = min(time_limit or disruption.REPLAN_TIME_LIMIT, settings.optimize_time_limit)
    result = disruption.replan_day(
        session,
        municipality=municipality,
        date=date,
        travel=travel,
        notify=notify,
        actor=_actor(planner),
        hold_minutes=settings.offer_hold_minutes,
        time_limit=limit,
        tell_experts=tell_experts,
    )
    return ReplanRead.of(result, municipality.timezone)


@router.get(
    "/{slug}/days/{date}/plan-state",
    response_model=DayPlanStateRead,
    responses=problem_responses(401, 403, 404, 422),
)
def get_plan_state(
    date: Day, municipality: MunicipalityDep, planner: Planner, session: SessionDep
) -> DayPlanStateRead:
    """Whether the day's plan is still a ``draft`` or ``frozen`` (experts have their routes)."""
    state = lifecycle.plan_state(session, municipality, date)
    tz = clock.zone(municipality.timezone)
    return DayPlanStateRead(
        date=state.date,
        state="frozen" if state.state == "frozen" else "draft",
        freeze_at=state.freeze_at.astimezone(tz),
        frozen_at=state.frozen_at.astimezone(tz) if state.frozen_at else None,
        version=state.version,
    )


def _preference(visit: Visit) -> ExpertPreferenceRead:
    return ExpertPreferenceRead(
        visit_id=visit.id,
        reference=visit.reference,
        preferred_expert_id=visit.preferred_expert_id,
        required_expert_id=visit.required_expert_id,
        excluded_expert_ids=list(visit.excluded_expert_ids or []),
        follow_up_of=visit.follow_up_of,
    )


@router.get(
    "/{slug}/bookings/{reference}/expert-preference",
    response_model=ExpertPreferenceRead,
    responses=problem_responses(401, 403, 404),
)
def get_expert_preference(
    reference: str, municipality: MunicipalityDep, planner: Planner, session: SessionDep
) -> ExpertPreferenceRead:
    """The visit's continuity-of-care rules: preferred, required and excluded experts."""
    return _preference(
        booking.get_for_planner(session, municipality=municipality, reference=reference)
    )


@router.post(
    "/{slug}/bookings/{reference}/expert-preference",
    response_model=ExpertPreferenceRead,
    responses=problem_responses(401, 403, 404, 422),
)
def set_expert_preference(
    reference: str,
    body: ExpertPreferenceIn,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
) -> ExpertPreferenceRead:
    """Set or clear (nulls and an empty list) which expert the visit keeps, needs or must not
    have. The optimiser keeps a preferred expert unless impossible; a required one is a hard
    rule; the day's open proposals become stale."""
    visit = booking.get_for_planner(session, municipality=municipality, reference=reference)
    continuity.set_preference(
        session,
        municipality=municipality,
        visit=visit,
        preferred=body.preferred_expert_id,
        required=body.required_expert_id,
        excluded=body.excluded_expert_ids,
        actor=_actor(planner),
    )
    return _preference(visit)
