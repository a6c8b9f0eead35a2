"""Citizens book a window, and manage the booking with its manage token (no account).

A booking that can no longer be kept (someone else took the room) answers 409, an expired offer
410; both carry ``alternatives``: fresh offers for the same service and address, made after the
failed attempt was rolled back. Messages are queued in the booking's own transaction and, when
SMTP is configured, sent after the response in a background task.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Request, Response
from sqlalchemy.orm import Session

from api.deps import MunicipalityDep, SessionDep, SettingsDep
from api.problems import prefers_dutch, problem_responses
from api.routers.common import attach_alternatives
from api.routers.offers import ManageCredentials, token_of
from api.runtime import NotifierDep, TravelDep, send_after_response
from api.settings import Settings
from scheduler import clock
from scheduler.booking import service as booking
from scheduler.booking.models import Visit, VisitStatus
from scheduler.booking.schemas import (
    REFERENCE,
    BookingRead,
    BookingRequest,
    PersonalData,
    RescheduleRequest,
)
from scheduler.calendar import render_invite
from scheduler.catalog.models import ServiceType
from scheduler.errors import NotFound, OfferExpired, SlotTaken
from scheduler.notify import service as notify
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases

router = APIRouter(tags=["bookings"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A key you choose per booking (e.g. a UUID). Sending the same request again "
        "with the same key returns the same booking instead of booking twice.",
    ),
]


def _links(settings: Settings, m: Municipality, visit: Visit, token: str | None) -> tuple[str, str]:
    manage_url = notify.manage_link(settings.base_url, m, visit, token)
    invite_url = f"{settings.base_url}/api/v1/bookings/{visit.reference}/invite.ics"
    return manage_url, invite_url


def _read(
    session: Session, settings: Settings, m: Municipality, visit: Visit, token: str | None
) -> BookingRead:
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    manage_url, invite_url = _links(settings, m, visit, token)
    return BookingRead.of(
        visit,
        service,
        clock.zone(m.timezone),
        manage_token=token,
        manage_url=manage_url,
        invite_url=invite_url,
    )


def _changed(
    session: Session,
    settings: Settings,
    m: Municipality,
    visit: Visit,
    token: str | None,
    *,
    background: BackgroundTasks,
    request: Request,
) -> BookingRead:
    """The answer after a use case committed; queued messages are sent after the response."""
    answer = _read(session, settings, m, visit, token)
    send_after_response(background, request, settings, session)
    return answer


def _citizen_visit(session: Session, reference: str, credentials: ManageCredentials) -> Visit:
    if not REFERENCE.fullmatch(reference):
        raise NotFound(
            "There is no booking with this reference.",
            nl="Er is geen afspraak met dit nummer.",
        )
    return booking.get_for_citizen(session, reference, token_of(credentials))


def _municipality(session: Session, visit: Visit) -> Municipality:
    m = session.get(Municipality, visit.municipality_id)
    assert m is not None
    return m


@router.post(
    "/api/v1/municipalities/{slug}/bookings",
    response_model=BookingRead,
    status_code=201,
    responses=problem_responses(400, 404, 409, 410, 422),
)
def create_booking(
    body: BookingRequest,
    municipality: MunicipalityDep,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> BookingRead:
    """Book the window of an offer; returns the reference and the manage token (keep it).

    Repeating a request with the same `Idempotency-Key` returns the same booking, again with
    status 201 and the same body (the manage token included for 24 hours), marked with the header
    `Idempotent-Replayed: true`; the same key with other content is refused (422). A window that
    can no longer be kept answers 409, an expired offer 410, both with `alternatives`.
    """
    citizen = body.citizen.to_citizen()
    language = body.language or ("nl" if prefers_dutch(request) else "en")
    try:
        booked = booking_usecases.book(
            session,
            municipality=municipality,
            offer_id=body.offer_id,
            citizen=citizen,
            notes=body.clean_notes(),
            idempotency_key=idempotency_key,
            travel=travel,
            language=language,
            notify=notifier,
        )
    except (SlotTaken, OfferExpired) as exc:
        attach_alternatives(exc, session, municipality, body.offer_id, settings, travel)
        raise
    if booked.replayed:
        response.headers["Idempotent-Replayed"] = "true"
        return _read(session, settings, municipality, booked.visit, booked.manage_token)
    return _changed(
        session,
        settings,
        municipality,
        booked.visit,
        booked.manage_token,
        background=background,
        request=request,
    )


@router.get(
    "/api/v1/bookings/{reference}",
    response_model=BookingRead,
    responses=problem_responses(401, 404, 422),
)
def get_booking(
    reference: str, session: SessionDep, settings: SettingsDep, credentials: ManageCredentials
) -> BookingRead:
    """The booking, for its citizen (manage token as `Authorization: Bearer`)."""
    visit = _citizen_visit(session, reference, credentials)
    return _read(session, settings, _municipality(session, visit), visit, token_of(credentials))


@router.get(
    "/api/v1/bookings/{reference}/invite.ics",
    response_class=Response,
    responses={
        200: {
            "description": "The calendar invite (iCalendar); a CANCEL once the visit is cancelled.",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 404, 422),
    },
)
def get_invite(
    reference: str, session: SessionDep, settings: SettingsDep, credentials: ManageCredentials
) -> Response:
    """The booking's calendar invite: same UID on every change, SEQUENCE goes up."""
    visit = _citizen_visit(session, reference, credentials)
    m = _municipality(session, visit)
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    manage_url, _ = _links(settings, m, visit, token_of(credentials))
    ics = render_invite(
        visit,
        m,
        service,
        manage_url=manage_url,
        language="en" if visit.language == "en" else "nl",
        method="CANCEL" if visit.status is VisitStatus.CANCELLED else "PUBLISH",
    )
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{visit.reference}.ics"'},
    )


@router.post(
    "/api/v1/bookings/{reference}/reschedule",
    response_model=BookingRead,
    responses=problem_responses(400, 401, 404, 409, 410, 422),
)
def reschedule_booking(
    reference: str,
    body: RescheduleRequest,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    credentials: ManageCredentials,
    request: Request,
    background: BackgroundTasks,
) -> BookingRead:
    """Move the booking to the window of an offer (made with `reschedule_of`).

    The old window is freed in the same transaction; the invite keeps its UID and its SEQUENCE
    goes up. A window that can no longer be kept answers 409 with `alternatives` (the booking
    stays as it was).
    """
    visit = _citizen_visit(session, reference, credentials)
    m = _municipality(session, visit)
    try:
        moved = booking_usecases.reschedule(
            session,
            municipality=m,
            visit=visit,
            offer_id=body.offer_id,
            travel=travel,
            notify=notifier,
            manage_token=token_of(credentials),
        )
    except (SlotTaken, OfferExpired) as exc:
        attach_alternatives(exc, session, m, body.offer_id, settings, travel)
        raise
    return _changed(
        session, settings, m, moved, token_of(credentials), background=background, request=request
    )


@router.post(
    "/api/v1/bookings/{reference}/cancel",
    response_model=BookingRead,
    responses=problem_responses(401, 404, 409, 422),
)
def cancel_booking(
    reference: str,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    credentials: ManageCredentials,
    request: Request,
    background: BackgroundTasks,
) -> BookingRead:
    """Cancel the booking; its window is free for others at once."""
    visit = _citizen_visit(session, reference, credentials)
    m = _municipality(session, visit)
    cancelled = booking_usecases.cancel(
        session,
        municipality=m,
        visit=visit,
        travel=travel,
        notify=notifier,
        manage_token=token_of(credentials),
    )
    return _changed(
        session,
        settings,
        m,
        cancelled,
        token_of(credentials),
        background=background,
        request=request,
    )


@router.get(
    "/api/v1/bookings/{reference}/personal-data",
    response_model=PersonalData,
    responses=problem_responses(401, 404, 422),
)
def export_personal_data(
    reference: str, session: SessionDep, credentials: ManageCredentials
) -> PersonalData:
    """Everything stored about you for this booking, including the messages sent to you."""
    visit = _citizen_visit(session, reference, credentials)
    m = _municipality(session, visit)
    return PersonalData.of(
        booking_usecases.export_personal_data(session, visit), clock.zone(m.timezone)
    )


@router.delete(
    "/api/v1/bookings/{reference}/personal-data",
    response_model=PersonalData,
    responses=problem_responses(401, 404, 422),
)
def erase_personal_data(
    reference: str, session: SessionDep, travel: TravelDep, credentials: ManageCredentials
) -> PersonalData:
    """Erase your name, phone, e-mail, notes and address from this booking.

    **An upcoming visit is cancelled by the erasure**: without an address nobody can come. No
    message is sent about it, since the contact details are gone. What remains is an anonymous
    visit (service, date, district) for planning and statistics. The answer shows what is left.
    """
    visit = _citizen_visit(session, reference, credentials)
    m = _municipality(session, visit)
    erased = booking_usecases.erase_personal_data(
        session, municipality=m, visit=visit, travel=travel
    )
    return PersonalData.of(
        booking_usecases.export_personal_data(session, erased), clock.zone(m.timezone)
    )
