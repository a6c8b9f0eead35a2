"""Citizens ask for arrival windows: offers for a service at an address, or to move a booking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import MunicipalityDep, SessionDep, SettingsDep
from api.problems import prefers_dutch, problem_responses
from api.ratelimit import Lookups, LookupsDep, citizen_visit, limit_offers
from api.runtime import GeocoderDep, KeysDep, TravelDep
from scheduler import clock
from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import ACTIVE_STATUSES, STARTED_STATUSES, Visit
from scheduler.booking.needs import skills_for
from scheduler.booking.schemas import (
    AddressRead,
    OfferRead,
    OfferRequest,
    OffersResponse,
    ServiceBrief,
    clean_needs,
)
from scheduler.catalog.models import ServiceType
from scheduler.errors import Conflict, InvalidInput
from scheduler.geocoding import Place
from scheduler.tenants.models import Municipality

router = APIRouter(prefix="/api/v1/municipalities", tags=["offers"])

#: The manage token of a booking (its own scheme, so planners' tokens are not confused with it).
manage_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ManageToken",
    description="The manage token returned when the booking was made.",
)
ManageCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(manage_bearer)]


def token_of(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token, when the Authorization header holds one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        return None
    return credentials.credentials


def moving_visit(
    session: SessionDep,
    municipality: Municipality,
    reference: str,
    token: str | None,
    lookups: Lookups,
) -> Visit:
    """The booking a citizen wants to move, checked against its manage token and tenant."""
    visit = citizen_visit(session, reference, token, lookups)
    if visit.municipality_id != municipality.id:
        lookups.failed()
        raise booking.wrong_manage_link()
    if visit.status not in ACTIVE_STATUSES or visit.status in STARTED_STATUSES:
        raise Conflict(
            "This visit can no longer be moved.",
            nl="Deze afspraak kan niet meer worden verplaatst.",
        )
    return visit


def needed_skills(service: ServiceType, body: OfferRequest, *, moving: Visit | None) -> list[str]:
    """The skills the request's needs require under the service's configuration.

    A visit being moved keeps the needs it was booked with; new ones are refused.
    """
    if moving is not None:
        if body.needs:
            raise InvalidInput(
                "A visit keeps its needs when it is moved.",
                nl="Een verplaatste afspraak houdt dezelfde behoeften.",
                field="needs",
            )
        return []
    return skills_for(service.need_skills or {}, clean_needs(body.needs))


@router.post(
    "/{slug}/offers",
    response_model=OffersResponse,
    dependencies=[Depends(limit_offers)],
    responses=problem_responses(400, 401, 404, 409, 422),
)
def create_offers(
    body: OfferRequest,
    municipality: MunicipalityDep,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    geocoder: GeocoderDep,
    credentials: ManageCredentials,
    request: Request,
    lookups: LookupsDep,
    keys: KeysDep,
) -> OffersResponse:
    """Arrival windows an expert can really make, valid for a few minutes (`expires_at`).

    An offer reserves nothing: booking checks the window again, and answers 409 with fresh
    alternatives when someone else took it first.

    Give the address as postcode and house number (or as a location). Every offered window can
    be booked and driven at the moment it is offered; booking re-checks it. Send the `needs`
    the booking will state: one the service ties to a skill (an interpreter's language) leaves
    only windows of experts who have it. For a reschedule, send `reschedule_of` with the
    booking's manage token: its current window is never among the offers.
    """
    visit = None
    if body.reschedule_of is not None:
        visit = moving_visit(
            session, municipality, body.reschedule_of, token_of(credentials), lookups
        )
    service = offers.service_for(
        session, municipality=municipality, code=body.service, moving=visit
    )
    extra_skills = needed_skills(service, body, moving=visit)
    if body.address is None and body.location is None and visit is not None:
        place = Place(
            visit.lat,
            visit.lon,
            visit.postcode,
            visit.house_number,
            visit.addition,
            visit.street,
            visit.city,
        )
    else:
        query = offers.AddressQuery(
            postcode=body.address.postcode if body.address else None,
            house_number=body.address.house_number if body.address else None,
            addition=body.address.addition if body.address else None,
            lat=body.location.lat if body.location and not body.address else None,
            lon=body.location.lon if body.location and not body.address else None,
        )
        place = offers.resolve_place(session, municipality, query, geocoder)
    made = offers.make_offers(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        hold_minutes=settings.offer_hold_minutes,
        earliest=body.earliest,
        latest=body.latest,
        limit=body.limit,
        reschedule_of=visit,
        extra_skills=extra_skills,
        keys=keys,
    )
    tz = clock.zone(municipality.timezone)
    return OffersResponse(
        offers=[OfferRead.of(o, tz) for o in made],
        service=ServiceBrief.of(service, dutch=prefers_dutch(request)),
        address=AddressRead(
            postcode=place.postcode,
            house_number=place.house_number,
            addition=place.addition,
            street=place.street,
            city=place.city,
            lat=place.lat,
            lon=place.lon,
        ),
        reschedule_of=visit.reference if visit is not None else None,
    )
