"""The personal channel: a planner finds windows and books, moves or cancels for a citizen.

For citizens who phone or come to the desk. The same offer and booking rules apply as online
(route-aware offers, a locked re-check when booking); the booking is marked as made by phone or
at the desk and its history names the planner. Planners authenticate with their own token instead
of the manage token and reach only their own municipality's visits. A new booking's answer holds
the manage link (with its token) so the planner can send it or read it out.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api import audit
from api.deps import MunicipalityDep, Planner, SessionDep, SettingsDep, require_planner
from api.problems import problem_responses
from api.routers.common import attach_alternatives
from api.routers.offers import needed_skills
from api.runtime import GeocoderDep, NotifierDep, TravelDep, keys_of, send_after_response
from api.settings import Settings
from scheduler import clock
from scheduler.addresses.service import normalise_postcode
from scheduler.booking import continuity, offers
from scheduler.booking import service as booking
from scheduler.booking.models import Channel, Visit
from scheduler.booking.schemas import (
    AddressRead,
    BookingRead,
    BookingRequest,
    OfferRead,
    OfferRequest,
    OffersResponse,
    RescheduleRequest,
    ServiceBrief,
    clean_needs,
    normalise_phone,
    normalise_reference,
)
from scheduler.booking.service import Citizen, Contact
from scheduler.catalog.models import ServiceType
from scheduler.errors import InvalidInput, OfferExpired, SlotTaken
from scheduler.geocoding import Geocoder, Place
from scheduler.notify.service import manage_link
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases

router = APIRouter(
    prefix="/api/v1/municipalities/{slug}/desk",
    tags=["desk"],
    dependencies=[Depends(require_planner)],
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A key per booking: repeating the request returns the same booking.",
    ),
]


FollowUpOf = Annotated[
    str | None,
    Field(
        max_length=20,
        pattern=r"^[\x21-\x7e]+$",
        description="The reference of an earlier visit this one follows up: the windows of that "
        "visit's expert are offered first, and the booking prefers that expert",
    ),
]


class DeskOfferRequest(OfferRequest):
    """Windows for a caller; a follow-up of an earlier visit lists that expert's windows first."""

    follow_up_of: FollowUpOf = None


class DeskBookingRequest(BookingRequest):
    """Book the window of an offer for a citizen on the phone or at the desk."""

    channel: Literal["phone", "desk"] = "phone"
    follow_up_of: FollowUpOf = None

    def parties(self) -> tuple[Citizen, Contact | None]:
        """As online, except that the desk may book with the address only: the citizen has no
        phone or e-mail and gets letters (online bookings still need a phone or an e-mail)."""
        contact = self.contact.to_contact() if self.contact is not None else None
        return self.citizen.to_citizen(reach_needed=False), contact


class DeskBookingRead(BookingRead):
    """A booking as a planner sees it: how it was made, and the manage link for the citizen."""

    channel: Channel
    other_expert_requested: bool = Field(
        default=False,
        description="The citizen asked for another expert (why is theirs to know); the excluded "
        "expert is never offered or planned for this booking.",
    )


def _actor(planner: Planner) -> str:
    return f"planner:{planner.id}"


def _read(
    session: Session, settings: Settings, m: Municipality, visit: Visit, token: str | None
) -> DeskBookingRead:
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    base = BookingRead.of(
        visit,
        service,
        clock.zone(m.timezone),
        manage_token=token,
        manage_url=manage_link(settings.base_url, m, visit, token),
        invite_url=f"{settings.base_url}/api/v1/bookings/{visit.reference}/invite.ics",
    )
    return DeskBookingRead.model_validate(
        {
            **base.model_dump(),
            "channel": visit.channel,
            "other_expert_requested": bool(visit.excluded_expert_ids),
        }
    )


def _place(
    session: Session, m: Municipality, body: OfferRequest, visit: Visit | None, geocoder: Geocoder
) -> Place:
    """The address asked for, or (moving a visit without one) the visit's own."""
    if body.address is None and body.location is None and visit is not None:
        return Place(
            visit.lat,
            visit.lon,
            visit.postcode,
            visit.house_number,
            visit.addition,
            visit.street,
            visit.city,
        )
    query = offers.AddressQuery(
        postcode=body.address.postcode if body.address else None,
        house_number=body.address.house_number if body.address else None,
        addition=body.address.addition if body.address else None,
        lat=body.location.lat if body.location and not body.address else None,
        lon=body.location.lon if body.location and not body.address else None,
    )
    return offers.resolve_place(session, m, query, geocoder)


@router.post(
    "/offers", response_model=OffersResponse, responses=problem_responses(401, 403, 404, 409, 422)
)
def desk_offers(
    body: DeskOfferRequest,
    municipality: MunicipalityDep,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    geocoder: GeocoderDep,
) -> OffersResponse:
    """Windows for a caller: by service and address, or (`reschedule_of`) to move a booking.

    A follow-up (`follow_up_of`) lists the earlier visit's expert's windows first."""
    earlier = (
        booking.get_for_planner(session, municipality=municipality, reference=body.follow_up_of)
        if body.follow_up_of
        else None
    )
    visit = (
        booking.get_for_planner(session, municipality=municipality, reference=body.reschedule_of)
        if body.reschedule_of
        else None
    )
    service = offers.service_for(
        session, municipality=municipality, code=body.service, moving=visit
    )
    extra_skills = needed_skills(service, body, moving=visit)
    place = _place(session, municipality, body, visit, geocoder)
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
        prefer_expert=continuity.follow_up_expert(earlier) if earlier else None,
    )
    tz = clock.zone(municipality.timezone)
    return OffersResponse(
        offers=[OfferRead.of(o, tz) for o in made],
        service=ServiceBrief.of(service, dutch=True),
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


@router.post(
    "/bookings",
    response_model=DeskBookingRead,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 410, 422),
)
def desk_book(
    body: DeskBookingRequest,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    response: Response,
    background: BackgroundTasks,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> DeskBookingRead:
    """Book an offer's window for the caller; the answer holds the manage link to pass on.

    A caller who books for someone else is the `contact`: the messages go to them.
    """
    citizen, contact = body.parties()
    needs = clean_needs(body.needs)
    # Checked before booking: an unknown earlier visit is a 404 and books nothing.
    earlier = (
        booking.get_for_planner(session, municipality=municipality, reference=body.follow_up_of)
        if body.follow_up_of
        else None
    )
    try:
        booked = booking_usecases.book(
            session,
            municipality=municipality,
            offer_id=body.offer_id,
            citizen=citizen,
            contact=contact,
            needs=needs,
            notes=body.clean_notes(),
            idempotency_key=idempotency_key,
            travel=travel,
            channel=Channel(body.channel),
            language=body.language or "nl",
            actor=_actor(planner),
            notify=notifier,
            keys=keys_of(settings),
        )
    except (SlotTaken, OfferExpired) as exc:
        attach_alternatives(
            exc, session, municipality, body.offer_id, settings, travel, needs=needs
        )
        raise
    if booked.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        audit.note("create", booked.visit, audit.ALL_FIELDS, "desk")
        if earlier is not None:
            continuity.mark_follow_up(
                session, visit=booked.visit, earlier=earlier, actor=_actor(planner)
            )
    answer = _read(session, settings, municipality, booked.visit, booked.manage_token)
    send_after_response(background, request, settings, session)
    return answer


class VisitSearchRequest(BaseModel):
    """Find a caller's bookings by one of: the reference (as they read it out), postcode and
    house number, a phone number (the citizen's or the contact person's), or a name (part of
    the citizen's or the contact person's, any case)."""

    model_config = ConfigDict(extra="forbid")

    reference: str | None = Field(default=None, max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")
    postcode: str | None = Field(default=None, max_length=8, pattern=r"^[^\x00-\x1f\x7f]*$")
    house_number: int | None = Field(default=None, ge=1, le=99999)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")
    name: str | None = Field(
        default=None, min_length=2, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"
    )


@router.post(
    "/bookings/search",
    response_model=list[DeskBookingRead],
    responses=problem_responses(401, 403, 404, 422),
)
def desk_search(
    body: VisitSearchRequest,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
) -> list[DeskBookingRead]:
    """A caller's bookings, most recent first (at most 25); every search is recorded (who,
    when, by what, how many found; never the terms)."""
    query = search_query(body)
    found = booking.search_visits(
        session,
        municipality=municipality,
        actor=_actor(planner),
        now=clock.now(),
        **query,
    )
    for v in found:
        audit.note("read", v, audit.ALL_FIELDS, "desk")
    return [_read(session, settings, municipality, v, None) for v in found]


def search_query(body: VisitSearchRequest) -> dict[str, Any]:
    """The one search the request asks for, normalised, or :class:`InvalidInput`."""
    given = {
        k
        for k in ("reference", "postcode", "house_number", "phone", "name")
        if getattr(body, k) not in (None, "")
    }
    if given == {"reference"}:
        reference = normalise_reference(body.reference or "")
        if reference is None:
            raise InvalidInput(
                "A reference looks like AH-7K2M-9QXC.",
                nl="Een afspraaknummer ziet eruit als AH-7K2M-9QXC.",
                field="reference",
            )
        return {"by": "reference", "reference": reference}
    if given == {"postcode", "house_number"}:
        return {
            "by": "address",
            "postcode": normalise_postcode(body.postcode or ""),
            "house_number": body.house_number,
        }
    if given == {"phone"}:
        return {"by": "phone", "phone": normalise_phone(body.phone or "", field="phone")}
    if given == {"name"}:
        return {"by": "name", "name": body.name}
    raise InvalidInput(
        "Search by one of: reference; postcode and house number; phone; name.",
        nl="Zoek op één van: afspraaknummer; postcode en huisnummer; telefoon; naam.",
    )


@router.get(
    "/bookings/{reference}",
    response_model=DeskBookingRead,
    responses=problem_responses(401, 403, 404),
)
def desk_get_booking(
    reference: str, municipality: MunicipalityDep, session: SessionDep, settings: SettingsDep
) -> DeskBookingRead:
    """A booking of this municipality by its reference (the manage link without its token)."""
    visit = booking.get_for_planner(session, municipality=municipality, reference=reference)
    audit.note("read", visit, audit.ALL_FIELDS, "desk")
    return _read(session, settings, municipality, visit, None)


@router.post(
    "/bookings/{reference}/reschedule",
    response_model=DeskBookingRead,
    responses=problem_responses(401, 403, 404, 409, 410, 422),
)
def desk_reschedule(
    reference: str,
    body: RescheduleRequest,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    background: BackgroundTasks,
    request: Request,
) -> DeskBookingRead:
    """Move the booking to an offer's window (ask with `reschedule_of`); the old one is freed."""
    visit = booking.get_for_planner(session, municipality=municipality, reference=reference)
    try:
        moved = booking_usecases.reschedule(
            session,
            municipality=municipality,
            visit=visit,
            offer_id=body.offer_id,
            travel=travel,
            actor=_actor(planner),
            notify=notifier,
            keys=keys_of(settings),
        )
    except (SlotTaken, OfferExpired) as exc:
        attach_alternatives(exc, session, municipality, body.offer_id, settings, travel)
        raise
    audit.note("update", moved, ("address", "window"), "desk")
    answer = _read(session, settings, municipality, moved, None)
    send_after_response(background, request, settings, session)
    return answer


@router.post(
    "/bookings/{reference}/cancel",
    response_model=DeskBookingRead,
    responses=problem_responses(401, 403, 404, 409),
)
def desk_cancel(
    reference: str,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    background: BackgroundTasks,
    request: Request,
) -> DeskBookingRead:
    """Cancel the booking on the citizen's behalf; its window is free for others at once."""
    visit = booking.get_for_planner(session, municipality=municipality, reference=reference)
    cancelled = booking_usecases.cancel(
        session,
        municipality=municipality,
        visit=visit,
        travel=travel,
        actor=_actor(planner),
        notify=notifier,
    )
    audit.note("cancel", cancelled, ("window",), "desk")
    answer = _read(session, settings, municipality, cancelled, None)
    send_after_response(background, request, settings, session)
    return answer
