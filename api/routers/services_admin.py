"""Planners manage the municipality's service types (the public list is `GET …/services`).

A new duration applies to the service's upcoming visits and a new skill decides who may serve
them: a change that would break booked visits is refused with 409 problem+json naming them
(``affected``), unless ``?replan=true`` re-plans their days.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import MunicipalityDep, SessionDep, require_planner
from api.routers.capacity import ReplanDep
from scheduler.catalog import service as catalog
from scheduler.catalog.schemas import ServiceTypeCreate, ServiceTypeRead, ServiceTypeUpdate
from scheduler.usecases import capacity_changes
from scheduler.usecases.schemas import ServiceTypeChanged, outcome_fields

router = APIRouter(
    prefix="/api/v1/municipalities/{slug}/service-types",
    tags=["service types"],
    dependencies=[Depends(require_planner)],
)

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or an unknown token (problem+json)."},
    403: {"description": "Not a planner of this municipality (problem+json)."},
    404: {"description": "Unknown municipality or service type."},
    409: {"description": "The code is taken, or the change would break booked visits."},
    422: {"description": "Invalid input (problem+json naming the fields)."},
}


@router.get("", response_model=list[ServiceTypeRead], responses=_PROBLEMS)
def list_service_types(municipality: MunicipalityDep, session: SessionDep) -> list[ServiceTypeRead]:
    """Every service type, inactive ones included, in both languages."""
    services = catalog.get_all(session, municipality=municipality, active_only=False)
    return [ServiceTypeRead.of(s) for s in services]


@router.post("", response_model=ServiceTypeRead, status_code=201, responses=_PROBLEMS)
def create_service_type(
    body: ServiceTypeCreate, municipality: MunicipalityDep, session: SessionDep
) -> ServiceTypeRead:
    """Add a service type."""
    return ServiceTypeRead.of(catalog.create(session, municipality=municipality, data=body))


@router.get("/{code}", response_model=ServiceTypeRead, responses=_PROBLEMS)
def get_service_type(
    code: str, municipality: MunicipalityDep, session: SessionDep
) -> ServiceTypeRead:
    """One service type, active or not."""
    return ServiceTypeRead.of(
        catalog.get_by_code(session, municipality=municipality, code=code, active_only=False)
    )


@router.patch("/{code}", response_model=ServiceTypeChanged, responses=_PROBLEMS)
def update_service_type(
    code: str,
    body: ServiceTypeUpdate,
    municipality: MunicipalityDep,
    session: SessionDep,
    replan: ReplanDep,
) -> ServiceTypeChanged:
    """Change duration, skill, window, horizon, lead time, retention, texts or active."""
    changed = capacity_changes.update_service_type(
        session, municipality=municipality, code=code, data=body, replan=replan
    )
    return ServiceTypeChanged.model_validate(
        {**ServiceTypeRead.of(changed.value).model_dump(), **outcome_fields(changed.outcome)}
    )
