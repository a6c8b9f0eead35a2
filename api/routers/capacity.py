"""Planners keep capacity: experts, weekly shifts, exceptions (absence, sickness), closure days.

Every route needs a planner of the municipality in the path (or an admin). A change that would
break visits already booked is refused with 409 problem+json whose ``affected`` lists them
(reference, date, window); repeat it with ``?replan=true`` to apply it and re-plan those days
(visits move to colleagues inside their windows; the rest get new offers and a message).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from api.deps import MunicipalityDep, Planner, ResourceId, SessionDep, SettingsDep, require_planner
from api.runtime import ExpertNotifierDep, GeocoderDep, NotifierDep, TravelDep
from scheduler.bounds import Day
from scheduler.capacity import service as capacity
from scheduler.capacity.models import Expert
from scheduler.capacity.overview import MAX_DAYS, capacity_overview
from scheduler.capacity.schemas import (
    ClosureIn,
    ClosureRead,
    ClosureRename,
    ExceptionIn,
    ExceptionRead,
    ExpertCreate,
    ExpertRead,
    ExpertUpdate,
    OverviewRead,
    ShiftIn,
    ShiftRead,
)
from scheduler.day import shifts as day_shifts
from scheduler.usecases import capacity_changes
from scheduler.usecases.schemas import (
    ClosureChanged,
    ClosureYear,
    ExceptionsChanged,
    ExpertChanged,
    Removed,
    WeeklyPattern,
    outcome_fields,
)

router = APIRouter(
    prefix="/api/v1/municipalities/{slug}",
    tags=["capacity"],
    dependencies=[Depends(require_planner)],
)

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or an unknown token (problem+json)."},
    403: {"description": "Not a planner of this municipality (problem+json)."},
    404: {"description": "Unknown municipality, expert, shift, exception or closure."},
    422: {"description": "Invalid input (problem+json naming the fields)."},
}
_CHANGE_PROBLEMS: dict[int | str, dict[str, str]] = {
    **_PROBLEMS,
    409: {
        "description": "The change would break booked visits; `affected` lists them "
        "(reference, date, window). Repeat with `replan=true` to re-plan them."
    },
}


def get_replan(
    planner: Planner,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    tell_experts: ExpertNotifierDep,
    replan: Annotated[
        bool,
        Query(
            description="Apply a change that breaks booked visits anyway and re-plan their "
            "days: visits move to colleagues inside their windows, the rest are listed with "
            "new offers and their citizens are told."
        ),
    ] = False,
) -> capacity_changes.Replan:
    """The ``replan`` flag with what re-planning needs (travel times, messages, the actor)."""
    return capacity_changes.Replan(
        enabled=replan,
        travel=travel,
        notify=notifier,
        actor=f"planner:{planner.id}",
        hold_minutes=settings.offer_hold_minutes,
        time_limit=settings.optimize_time_limit,
        tell_experts=tell_experts,
    )


ReplanDep = Annotated[capacity_changes.Replan, Depends(get_replan)]


# --- experts --------------------------------------------------------------------------------


@router.get("/experts", response_model=list[ExpertRead], responses=_PROBLEMS)
def list_experts(
    municipality: MunicipalityDep,
    session: SessionDep,
    active: Annotated[bool | None, Query(description="Only active (true) or inactive.")] = None,
) -> list[ExpertRead]:
    """The municipality's experts, inactive ones included unless filtered."""
    experts = day_shifts.get_experts(session, municipality=municipality, active_only=False)
    return [ExpertRead.of(e) for e in experts if active is None or e.active is active]


@router.post("/experts", response_model=ExpertRead, status_code=201, responses=_PROBLEMS)
def create_expert(
    body: ExpertCreate, municipality: MunicipalityDep, session: SessionDep, geocoder: GeocoderDep
) -> ExpertRead:
    """Add an expert; give a weekly pattern next (`PUT …/shifts`)."""
    return ExpertRead.of(
        capacity.create_expert(session, municipality=municipality, data=body, geocoder=geocoder)
    )


@router.get("/experts/{expert_id}", response_model=ExpertRead, responses=_PROBLEMS)
def get_expert(
    expert_id: ResourceId, municipality: MunicipalityDep, session: SessionDep
) -> ExpertRead:
    """One expert."""
    return ExpertRead.of(
        capacity.get_expert(session, municipality=municipality, expert_id=expert_id)
    )


@router.patch("/experts/{expert_id}", response_model=ExpertChanged, responses=_CHANGE_PROBLEMS)
def update_expert(
    expert_id: ResourceId,
    body: ExpertUpdate,
    municipality: MunicipalityDep,
    session: SessionDep,
    geocoder: GeocoderDep,
    replan: ReplanDep,
) -> ExpertChanged:
    """Change name, skills, travel mode, start/end, visits per day or active (omitted stay)."""
    changed = capacity_changes.update_expert(
        session,
        municipality=municipality,
        expert_id=expert_id,
        data=body,
        geocoder=geocoder,
        replan=replan,
    )
    return _expert_changed(changed)


@router.post(
    "/experts/{expert_id}/deactivate", response_model=ExpertChanged, responses=_CHANGE_PROBLEMS
)
def deactivate_expert(
    expert_id: ResourceId, municipality: MunicipalityDep, session: SessionDep, replan: ReplanDep
) -> ExpertChanged:
    """Take an expert out of planning; refused while they hold visits, unless re-planning."""
    changed = capacity_changes.deactivate_expert(
        session, municipality=municipality, expert_id=expert_id, replan=replan
    )
    return _expert_changed(changed)


def _expert_changed(changed: capacity_changes.Changed[Expert]) -> ExpertChanged:
    return ExpertChanged.model_validate(
        {**ExpertRead.of(changed.value).model_dump(), **outcome_fields(changed.outcome)}
    )


# --- weekly shifts --------------------------------------------------------------------------


@router.get("/experts/{expert_id}/shifts", response_model=WeeklyPattern, responses=_PROBLEMS)
def list_shifts(
    expert_id: ResourceId, municipality: MunicipalityDep, session: SessionDep
) -> WeeklyPattern:
    """The expert's weekly shifts (weekday 0 = Monday), local times."""
    shifts = capacity.get_shifts(session, municipality=municipality, expert_id=expert_id)
    return WeeklyPattern(expert_id=expert_id, shifts=[ShiftRead.of(s) for s in shifts])


@router.put("/experts/{expert_id}/shifts", response_model=WeeklyPattern, responses=_CHANGE_PROBLEMS)
def replace_shifts(
    expert_id: ResourceId,
    body: Annotated[list[ShiftIn], Body(max_length=50)],
    municipality: MunicipalityDep,
    session: SessionDep,
    replan: ReplanDep,
) -> WeeklyPattern:
    """Replace the whole weekly pattern (evening and Saturday shifts, validity dates)."""
    changed = capacity_changes.replace_shifts(
        session, municipality=municipality, expert_id=expert_id, shifts=body, replan=replan
    )
    return WeeklyPattern.model_validate(
        {
            "expert_id": expert_id,
            "shifts": [ShiftRead.of(s) for s in changed.value],
            **outcome_fields(changed.outcome),
        }
    )


@router.post(
    "/experts/{expert_id}/shifts",
    response_model=ShiftRead,
    status_code=201,
    responses=_CHANGE_PROBLEMS,
)
def add_shift(
    expert_id: ResourceId,
    body: ShiftIn,
    municipality: MunicipalityDep,
    session: SessionDep,
    replan: ReplanDep,
) -> ShiftRead:
    """Add one weekly shift."""
    changed = capacity_changes.add_shift(
        session, municipality=municipality, expert_id=expert_id, data=body, replan=replan
    )
    return ShiftRead.of(changed.value)


@router.delete(
    "/experts/{expert_id}/shifts/{shift_id}", response_model=Removed, responses=_CHANGE_PROBLEMS
)
def delete_shift(
    expert_id: ResourceId,
    shift_id: ResourceId,
    municipality: MunicipalityDep,
    session: SessionDep,
    replan: ReplanDep,
) -> Removed:
    """Remove one weekly shift."""
    changed = capacity_changes.delete_shift(
        session, municipality=municipality, expert_id=expert_id, shift_id=shift_id, replan=replan
    )
    return Removed.model_validate({"removed": changed.value, **outcome_fields(changed.outcome)})


# --- exceptions -----------------------------------------------------------------------------


@router.get(
    "/experts/{expert_id}/exceptions", response_model=list[ExceptionRead], responses=_PROBLEMS
)
def list_exceptions(
    expert_id: ResourceId,
    municipality: MunicipalityDep,
    session: SessionDep,
    first: Annotated[Day | None, Query(alias="from", description="Default: today.")] = None,
    last: Annotated[Day | None, Query(alias="to")] = None,
) -> list[ExceptionRead]:
    """The expert's extra shifts, absences and sickness, from today on unless asked otherwise."""
    found = capacity.get_exceptions(
        session, municipality=municipality, expert_id=expert_id, first=first, last=last
    )
    return [ExceptionRead.of(e) for e in found]


@router.post(
    "/experts/{expert_id}/exceptions",
    response_model=ExceptionsChanged,
    status_code=201,
    responses=_CHANGE_PROBLEMS,
)
def create_exception(
    expert_id: ResourceId,
    body: ExceptionIn,
    municipality: MunicipalityDep,
    session: SessionDep,
    replan: ReplanDep,
) -> ExceptionsChanged:
    """Record an extra shift, an absence or sickness (whole day, from–to, or up to `until`)."""
    changed = capacity_changes.create_exception(
        session, municipality=municipality, expert_id=expert_id, data=body, replan=replan
    )
    return ExceptionsChanged.model_validate(
        {
            "exceptions": [ExceptionRead.of(e) for e in changed.value],
            **outcome_fields(changed.outcome),
        }
    )


@router.delete(
    "/experts/{expert_id}/exceptions/{exception_id}",
    response_model=Removed,
    responses=_CHANGE_PROBLEMS,
)
def delete_exception(
    expert_id: ResourceId,
    exception_id: ResourceId,
    municipality: MunicipalityDep,
    session: SessionDep,
    replan: ReplanDep,
) -> Removed:
    """Remove an exception (an absence ends; an extra shift is taken back)."""
    changed = capacity_changes.delete_exception(
        session,
        municipality=municipality,
        expert_id=expert_id,
        exception_id=exception_id,
        replan=replan,
    )
    return Removed.model_validate({"removed": changed.value, **outcome_fields(changed.outcome)})


# --- closure days ---------------------------------------------------------------------------

Year = Annotated[int, Query(ge=capacity.FIRST_YEAR, le=capacity.LAST_YEAR)]


@router.get("/closures", response_model=list[ClosureRead], responses=_PROBLEMS)
def list_closures(
    municipality: MunicipalityDep, session: SessionDep, year: Year | None = None
) -> list[ClosureRead]:
    """The closure days of a year (default: this year)."""
    closures = capacity.get_closures(
        session,
        municipality=municipality,
        year=year or day_shifts.today_of(municipality).year,
    )
    return [ClosureRead.of(c) for c in closures]


@router.post("/closures/prefill", response_model=ClosureYear, responses=_CHANGE_PROBLEMS)
def prefill_closures(
    year: Year, municipality: MunicipalityDep, session: SessionDep, replan: ReplanDep
) -> ClosureYear:
    """Pre-fill a year with the Dutch public holidays (once; later edits and deletions stay)."""
    changed = capacity_changes.prefill_year(
        session, municipality=municipality, year=year, replan=replan
    )
    added, closures = changed.value
    return ClosureYear.model_validate(
        {
            "year": year,
            "added": added,
            "closures": [ClosureRead.of(c) for c in closures],
            **outcome_fields(changed.outcome),
        }
    )


@router.post(
    "/closures", response_model=ClosureChanged, status_code=201, responses=_CHANGE_PROBLEMS
)
def add_closure(
    body: ClosureIn, municipality: MunicipalityDep, session: SessionDep, replan: ReplanDep
) -> ClosureChanged:
    """Close the municipality on a date (no visits that day)."""
    changed = capacity_changes.add_closure(
        session, municipality=municipality, data=body, replan=replan
    )
    return ClosureChanged.model_validate(
        {**ClosureRead.of(changed.value).model_dump(), **outcome_fields(changed.outcome)}
    )


@router.patch("/closures/{closure_id}", response_model=ClosureRead, responses=_PROBLEMS)
def rename_closure(
    closure_id: ResourceId, body: ClosureRename, municipality: MunicipalityDep, session: SessionDep
) -> ClosureRead:
    """Rename a closure day."""
    return ClosureRead.of(
        capacity.rename_closure(
            session, municipality=municipality, closure_id=closure_id, name=body.name
        )
    )


@router.delete("/closures/{closure_id}", response_model=Removed, responses=_PROBLEMS)
def delete_closure(
    closure_id: ResourceId, municipality: MunicipalityDep, session: SessionDep
) -> Removed:
    """Open a closed day again."""
    return Removed(
        removed=capacity.delete_closure(session, municipality=municipality, closure_id=closure_id)
    )


# --- overview -------------------------------------------------------------------------------


@router.get("/capacity", response_model=OverviewRead, responses=_PROBLEMS)
def get_capacity(
    municipality: MunicipalityDep,
    session: SessionDep,
    travel: TravelDep,
    start: Annotated[Day | None, Query(description="First date; default today.")] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 7,
) -> OverviewRead:
    """Available, booked, travel and free minutes per expert-day, day, ISO week and in total."""
    return OverviewRead.of(
        capacity_overview(session, municipality=municipality, start=start, days=days, travel=travel)
    )
