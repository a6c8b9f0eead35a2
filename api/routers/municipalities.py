"""Public information about a municipality and the services it offers at home."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import MunicipalityDep, SessionDep
from api.problems import prefers_dutch
from scheduler.booking.schemas import NeedInfo
from scheduler.catalog import service as catalog
from scheduler.catalog.schemas import ServiceRead
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
