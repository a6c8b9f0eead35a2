"""Public information about a municipality and the services it offers at home, and the
municipality's plan freeze (planners only)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import MunicipalityDep, Planner, SessionDep
from api.problems import prefers_dutch, problem_responses
from scheduler.booking.schemas import NeedInfo
from scheduler.catalog import service as catalog
from scheduler.catalog.schemas import ServiceRead
from scheduler.planning import lifecycle
from scheduler.planning.schemas import FreezeSettingsIn, FreezeSettingsRead
from scheduler.tenants.schemas import MunicipalityRead

router = APIRouter(prefix="/api/v1/municipalities", tags=["municipalities"])


@router.get("/{slug}", response_model=MunicipalityRead)
def get_municipality(municipality: MunicipalityDep) -> MunicipalityRead:
    """Name, time zone and service area of a municipality."""
    return MunicipalityRead.of(municipality)


@router.get("/{slug}/services", response_model=list[ServiceRead])
def list_services(
    municipality: MunicipalityDep, session: SessionDep, request: Request
) -> list[ServiceRead]:
    """The services this municipality offers at home."""
    dutch = prefers_dutch(request)
    return [
        ServiceRead.of(s, dutch=dutch) for s in catalog.get_all(session, municipality=municipality)
    ]


@router.get("/{slug}/needs", response_model=list[NeedInfo])
def list_needs(municipality: MunicipalityDep) -> list[NeedInfo]:
    """Needs a booking can state (`needs: [{code, detail}]`): `detail` says whether the need
    takes a language code (one of `options`), a short text, or nothing."""
    del municipality  # the same list everywhere; the path keeps the tenant's API shape
    return NeedInfo.all()


@router.get(
    "/{slug}/plan-freeze",
    response_model=FreezeSettingsRead,
    responses=problem_responses(401, 403, 404),
)
def get_plan_freeze(municipality: MunicipalityDep, planner: Planner) -> FreezeSettingsRead:
    """When day plans freeze: a local time, some working days before the date."""
    del planner  # planners only
    return FreezeSettingsRead.of(municipality.freeze_time, municipality.freeze_days_before)


@router.put(
    "/{slug}/plan-freeze",
    response_model=FreezeSettingsRead,
    responses=problem_responses(401, 403, 404, 422),
)
def put_plan_freeze(
    body: FreezeSettingsIn, municipality: MunicipalityDep, planner: Planner, session: SessionDep
) -> FreezeSettingsRead:
    """Set when day plans freeze; days already frozen stay frozen (`kept_frozen`)."""
    changed = lifecycle.set_freeze(
        session,
        municipality=municipality,
        freeze_time=body.time(),
        freeze_days_before=body.freeze_days_before,
        actor=f"{planner.role.value}:{planner.id}",
    )
    return FreezeSettingsRead.of(
        changed.freeze_time, changed.freeze_days_before, changed.kept_frozen
    )
