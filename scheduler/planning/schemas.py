"""API shapes of day plans: proposals with before/after figures, and re-plan results.

Times are ISO 8601 with the municipality's offset. Nothing here names a citizen: planners see
visit ids, references and windows, and reach citizens through the visit itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from scheduler.planning.models import OptimisationJob, Proposal


class ExpertFigures(BaseModel):
    expert_id: int
    expert: str
    visits: int
    travel_seconds: int
    distance_km: float
    waiting_seconds: int
    overtime_seconds: int
    start: dt.datetime | None = Field(description="When the route leaves its start")
    end: dt.datetime | None = Field(description="When the route is back (or its last visit ends)")


class DayFigures(BaseModel):
    """A plan of the day in numbers; ``violations`` counts broken rules (0 for any new plan)."""

    travel_seconds: int
    distance_km: float = Field(description="Great-circle kilometres along the legs")
    waiting_seconds: int
    overtime_seconds: int
    visits_assigned: int
    visits_unassigned: int
    violations: int
    experts: list[ExpertFigures]


class StopRead(BaseModel):
    type: Literal["visit", "break"]
    id: int
    arrival: dt.datetime
    start: dt.datetime
    end: dt.datetime


class RouteRead(BaseModel):
    expert_id: int
    expert: str
    stops: list[StopRead]


class MoveRead(BaseModel):
    visit_id: int
    from_expert_id: int | None
    to_expert_id: int | None


class ProposalRead(BaseModel):
    """An optimised plan of a day, to be applied while the day has not changed."""

    id: str
    date: dt.date
    status: Literal["open", "applied", "stale"]
    base_version: int = Field(description="The day's version the proposal was made from")
    improved: bool = Field(description="False: the current plan is kept (no improvement found)")
    note: str
    before: DayFigures
    after: DayFigures
    routes: list[RouteRead]
    unassigned: list[int] = Field(description="Visits of the day no route serves")
    moved: list[MoveRead] = Field(description="Visits that change expert")
    newly_planned: list[int] = Field(description="Visits without a place before (at risk)")
    created_at: dt.datetime
    created_by: str
    applied_at: dt.datetime | None

    @classmethod
    def of(cls, p: Proposal) -> ProposalRead:
        plan = p.plan
        return cls(
            id=p.id,
            date=p.date,
            status=p.status,
            base_version=p.base_version,
            improved=bool(plan["improved"]),
            note=str(plan["note"]),
            before=DayFigures.model_validate(p.before),
            after=DayFigures.model_validate(p.after),
            routes=[RouteRead.model_validate(r) for r in plan["routes"]],
            unassigned=list(plan["unassigned"]),
            moved=[
                MoveRead(visit_id=m["visit_id"], from_expert_id=m["from"], to_expert_id=m["to"])
                for m in plan["moved"]
            ],
            newly_planned=list(plan["newly_planned"]),
            created_at=p.created_at,
            created_by=p.created_by,
            applied_at=p.applied_at,
        )


class JobRead(BaseModel):
    """A queued day optimisation: poll it until ``done`` (then read its proposal) or ``failed``."""

    id: str
    date: dt.date
    status: Literal["queued", "running", "done", "failed"]
    time_limit: float = Field(description="Seconds the optimiser may spend")
    attempts: int = Field(description="Times a worker has taken the job")
    proposal_id: str | None = Field(description="The proposal, once the job is done")
    error: str | None = Field(description="Why the job failed (an error class), if it did")
    created_at: dt.datetime
    created_by: str
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, job: OptimisationJob) -> JobRead:
        return cls.model_validate(job, from_attributes=True)
