"""API shapes of day plans: proposals with before/after figures, and re-plan results.

Times are ISO 8601 with the municipality's offset. Nothing here names a citizen: planners see
visit ids, references and windows, and reach citizens through the visit itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.day.freeze import MAX_FREEZE_DAYS_BEFORE
from scheduler.planning.models import OptimisationJob, Proposal

#: How an optimisation may change who visits whom (see :data:`scheduler.planning.service.MODES`):
#: ``keep_experts`` only re-orders and re-times each expert's own visits; ``balanced`` moves a visit
#: to another expert only when that pays for the move's stability cost; ``free`` ignores who had it.
Mode = Literal["keep_experts", "balanced", "free"]
PlanState = Literal["draft", "frozen"]


class OptimizeIn(BaseModel):
    """The optional body of an optimisation request."""

    mode: Mode = Field(
        default="balanced",
        description="keep_experts: only order and times change; balanced: a visit changes expert "
        "only when that pays for its stability cost; free: the shortest working time, whoever "
        "had the visit",
    )


class ExpertFigures(BaseModel):
    expert_id: int
    expert: str
    visits: int
    travel_seconds: int
    distance_km: float
    waiting_seconds: int
    overtime_seconds: int
    working_seconds: int = Field(default=0, description="Travel plus waiting")
    duration_seconds: int = Field(
        default=0,
        description="From leaving the start to arriving at the end (travel, service, "
        "waiting and breaks)",
    )
    start: dt.datetime | None = Field(description="When the route leaves its start")
    end: dt.datetime | None = Field(description="When the route is back (or its last visit ends)")


class DayFigures(BaseModel):
    """A plan of the day in numbers; ``violations`` counts broken rules (0 for any new plan)."""

    travel_seconds: int
    distance_km: float = Field(description="Great-circle kilometres along the legs")
    waiting_seconds: int
    overtime_seconds: int
    working_seconds: int = Field(default=0, description="Travel plus waiting, over all experts")
    balance_seconds: int = Field(
        default=0,
        description="Spread (max - min) of route duration (travel, service, waiting and breaks) "
        "across the experts who work that day and have visits",
    )
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
    """A visit that changes expert. A visit placed from no route is not a move."""

    visit_id: int
    from_expert_id: int | None
    to_expert_id: int | None
    reason: str | None = Field(
        default=None,
        description="Why it moved, in a disruption re-plan: 'expert absent', or why the visit "
        "could not stay with its expert",
    )


class ProposalRead(BaseModel):
    """An optimised plan of a day, to be applied while the day has not changed."""

    id: str
    date: dt.date
    status: Literal["open", "applied", "stale"]
    mode: Mode = Field(description="How the optimisation was allowed to change experts")
    base_version: int = Field(description="The day's version the proposal was made from")
    improved: bool = Field(description="False: the current plan is kept (no improvement found)")
    note: str
    before: DayFigures
    after: DayFigures
    routes: list[RouteRead]
    unassigned: list[int] = Field(description="Visits of the day no route serves")
    moved: list[MoveRead] = Field(
        description="Visits that change expert; a visit placed from no route has a null "
        "from_expert_id and is not a move"
    )
    moves: int = Field(description="Visits that change from one expert to another")
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
            mode=plan.get("mode", "free"),
            base_version=p.base_version,
            improved=bool(plan["improved"]),
            note=str(plan["note"]),
            before=DayFigures.model_validate(p.before),
            after=DayFigures.model_validate(p.after),
            routes=[RouteRead.model_validate(r) for r in plan["routes"]],
            unassigned=list(plan["unassigned"]),
            moved=[
                MoveRead(
                    visit_id=m["visit_id"],
                    from_expert_id=m["from"],
                    to_expert_id=m["to"],
                    reason=m.get("reason"),
                )
                for m in plan["moved"]
            ],
            moves=sum(1 for m in plan["moved"] if m["from"] is not None),
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
    mode: Mode = Field(description="The optimisation's mode")
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


class DayPlanStateRead(BaseModel):
    """Where a day's plan is in its lifecycle: ``draft`` until the freeze, then ``frozen``.

    At the freeze the worker optimises the day (``balanced``) and applies the result when the day
    did not change meanwhile; the experts' routes are final from then on. After the freeze only
    disruptions change the plan, with the fewest changes.
    """

    date: dt.date
    state: PlanState
    freeze_at: dt.datetime = Field(description="When the plan is (or was) frozen")
    frozen_at: dt.datetime | None = Field(description="When the worker froze it")
    version: int = Field(description="The day's version (goes up with every change)")


#: A local time of day as planners write it: ``16:00``.
HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class FreezeSettingsIn(BaseModel):
    """When the municipality's day plans freeze: a local time, some working days before."""

    model_config = ConfigDict(extra="forbid")

    freeze_time: str = Field(
        pattern=HH_MM,
        description="Local time of the freeze, `HH:MM` (24 hours)",
        examples=["16:00"],
    )
    freeze_days_before: int = Field(
        ge=0,
        le=MAX_FREEZE_DAYS_BEFORE,
        description="Working days (Monday to Friday) before the date; 0 is the day itself",
        examples=[1],
    )

    def time(self) -> dt.time:
        return dt.time.fromisoformat(self.freeze_time)


class FreezeSettingsRead(BaseModel):
    """When the municipality's day plans freeze (default 16:00 on the working day before)."""

    freeze_time: str = Field(description="Local time of the freeze, `HH:MM`")
    freeze_days_before: int = Field(description="Working days before the date")
    kept_frozen: list[dt.date] = Field(
        default_factory=list,
        description="Days whose freeze had come under the old setting: they stay frozen",
    )

    @classmethod
    def of(
        cls, freeze_time: dt.time, days_before: int, kept: Sequence[dt.date] = ()
    ) -> FreezeSettingsRead:
        return cls(
            freeze_time=freeze_time.strftime("%H:%M"),
            freeze_days_before=days_before,
            kept_frozen=list(kept),
        )


class ExpertPreferenceIn(BaseModel):
    """Continuity of care on one visit. Send nulls and an empty list to clear."""

    preferred_expert_id: int | None = Field(
        default=None, description="Kept unless impossible (a soft rule for the optimiser)"
    )
    required_expert_id: int | None = Field(
        default=None, description="Only this expert may serve the visit (a hard rule)"
    )
    excluded_expert_ids: list[int] = Field(
        default_factory=list, max_length=50, description="Experts who must not serve the visit"
    )


class ExpertPreferenceRead(ExpertPreferenceIn):
    visit_id: int
    reference: str
    follow_up_of: int | None = Field(description="The visit this one was booked as a follow-up of")
