"""Citizens book a window, and manage the booking with its manage token (no account).

A booking that can no longer be kept (someone else took the room) answers 409, an expired offer
410; both carry ``alternatives``: fresh offers for the same service and address, made after the
failed attempt was rolled back. Messages are queued in the booking's own transaction and, when
SMTP is configured, sent after the response in a background task.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from sqlalchemy.orm import Session

from api import audit
from api.deps import MunicipalityDep, SessionDep, SettingsDep, WritingSessionDep
from api.problems import prefers_dutch, problem_responses, problem_schema
from api.ratelimit import Lookups, LookupsDep, citizen_visit, limit_bookings
from api.routers.common import attach_alternatives
from api.routers.offers import ManageCredentials, token_of
from api.runtime import (
    NotifierDep,
    TravelDep,
    keys_of,
    mailer,
    notify_routes,
    send_after_response,
)
from api.settings import Settings
from scheduler import clock
from scheduler.addresses.service import normalise_postcode
from scheduler.audit import service as audit_log
from scheduler.audit.schemas import (
    AccessEntry,
    AccessLogRead,
    ChoicesChange,
    ChoicesRead,
    OtherExpertRequest,
)
from scheduler.booking.models import Visit, VisitStatus
from scheduler.booking.schemas import (
    AddressRead,
    BookingRead,
    BookingRequest,
    LookupAccepted,
    LookupRequest,
    OfferRead,
    OffersResponse,
    PersonalData,
    RescheduleRequest,
    ServiceBrief,
    clean_needs,
    normalise_reference,
)
from scheduler.calendar import render_invite
from scheduler.catalog.models import ServiceType
from scheduler.errors import InvalidInput, OfferExpired, SlotTaken
from scheduler.notify import service as notify
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases
from scheduler.usecases import choices as choices_usecases
from scheduler.usecases import waitlist as waitlist_usecases
from scheduler.usecases.notifier import Notifier
from scheduler.waitlist import service as waitlist
from scheduler.waitlist.schemas import WaitlistRead

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


def _citizen_visit(
    session: Session, reference: str, credentials: ManageCredentials, lookups: Lookups
) -> Visit:
    """The booking of a manage request; a failed check counts toward the look-up limit."""
    return citizen_visit(session, reference, token_of(credentials), lookups)


def _tz(session: Session, visit: Visit) -> ZoneInfo:
    return clock.zone(_municipality(session, visit).timezone)


def _municipality(session: Session, visit: Visit) -> Municipality:
    m = session.get(Municipality, visit.municipality_id)
    assert m is not None
    return m


@router.post(
    "/api/v1/municipalities/{slug}/bookings",
    response_model=BookingRead,
    status_code=201,
    dependencies=[Depends(limit_bookings)],
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

    With a `contact`, someone books for the citizen: every message goes to the contact (their
    e-mail, or a call from the desk), naming the citizen. `needs` reach the expert's route card
    and the planner's day; one the service ties to a skill limits who can take the visit.

    Repeating a request with the same `Idempotency-Key` returns the same booking, again with
    status 201 and the same body (the manage token included for 24 hours), marked with the header
    `Idempotent-Replayed: true`; the same key with other content is refused (422). A window that
    can no longer be kept answers 409, an expired offer 410, both with `alternatives`.
    """
    citizen, contact = body.parties()
    needs = clean_needs(body.needs)
    language = body.language or ("nl" if prefers_dutch(request) else "en")
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
            language=language,
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


LOOKUP_ACCEPTED = LookupAccepted(
    detail="If the reference, postcode and house number belong to an active booking, a new "
    "link to it is on its way, by e-mail or by phone, to the address on file."
)
LOOKUP_ACCEPTED_NL = LookupAccepted(
    detail="Als het afspraaknummer, de postcode en het huisnummer bij een afspraak horen, is "
    "er een nieuwe link naar onderweg, per e-mail of telefoon, naar het adres dat wij kennen."
)


@router.post(
    "/api/v1/municipalities/{slug}/bookings/lookup",
    response_model=LookupAccepted,
    status_code=202,
    responses={
        **problem_responses(404, 422),
        429: {
            "description": "Too many look-ups from this client or of this reference "
            "(problem+json, with `Retry-After`).",
            "content": {"application/problem+json": {"schema": problem_schema()}},
        },
    },
)
def lookup_booking(
    body: LookupRequest,
    municipality: MunicipalityDep,
    session: SessionDep,
    settings: SettingsDep,
    notifier: NotifierDep,
    lookups: LookupsDep,
    request: Request,
    background: BackgroundTasks,
) -> LookupAccepted:
    """Lost the link? Send a fresh manage link for a booking to the channel on file.

    Give the reference (any case, with or without dashes and spaces) and the visit's postcode
    and house number. The answer is always 202 with the same body, whether or not they match an
    active booking; when all three do, a message with a new link goes to the e-mail address or
    phone number the booking has (the contact person's, when someone booked for the citizen),
    and the old link stops working. Limited per client and per reference: 429 is the only
    other answer.
    """
    reference = normalise_reference(body.reference)
    lookups.hit(reference or body.reference.strip().upper())
    postcode = _postcode_or_none(body.postcode)
    # The request's session would hold SQLite's write lock into the task: done with it.
    session.close()
    if reference is not None and postcode is not None:
        # After the answer, so the answer takes as long whether or not anything matched.
        background.add_task(
            _send_manage_link,
            request,
            settings,
            notifier,
            municipality.id,
            reference,
            postcode,
            body.house_number,
        )
    return LOOKUP_ACCEPTED_NL if prefers_dutch(request) else LOOKUP_ACCEPTED


def _postcode_or_none(raw: str) -> str | None:
    try:
        return normalise_postcode(raw)
    except InvalidInput:
        return None


def _send_manage_link(
    request: Request,
    settings: Settings,
    notifier: Notifier,
    municipality_id: int,
    reference: str,
    postcode: str,
    house_number: int,
) -> None:
    with request.app.state.sessions() as session:
        municipality = session.get(Municipality, municipality_id)
        assert municipality is not None
        sent = booking_usecases.send_manage_link(
            session,
            municipality=municipality,
            reference=reference,
            postcode=postcode,
            house_number=house_number,
            notify=notifier,
        )
    smtp = mailer(settings)
    routes = notify_routes(settings)
    if sent and (smtp is not None or routes is not None):
        notify.send_pending(
            request.app.state.sessions,
            smtp,
            now=clock.now(),
            keys=keys_of(settings),
            notify=routes,
        )


@router.get(
    "/api/v1/bookings/{reference}",
    response_model=BookingRead,
    responses=problem_responses(401, 404, 422),
)
def get_booking(
    reference: str,
    session: SessionDep,
    settings: SettingsDep,
    credentials: ManageCredentials,
    lookups: LookupsDep,
) -> BookingRead:
    """The booking, for its citizen (manage token as `Authorization: Bearer`)."""
    visit = _citizen_visit(session, reference, credentials, lookups)
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
    reference: str,
    session: SessionDep,
    settings: SettingsDep,
    credentials: ManageCredentials,
    lookups: LookupsDep,
) -> Response:
    """The booking's calendar invite: same UID on every change, SEQUENCE goes up."""
    visit = _citizen_visit(session, reference, credentials, lookups)
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
    lookups: LookupsDep,
    request: Request,
    background: BackgroundTasks,
) -> BookingRead:
    """Move the booking to the window of an offer (made with `reschedule_of`).

    The old window is freed in the same transaction; the invite keeps its UID and its SEQUENCE
    goes up. A window that can no longer be kept answers 409 with `alternatives` (the booking
    stays as it was).
    """
    visit = _citizen_visit(session, reference, credentials, lookups)
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
            keys=keys_of(settings),
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
    lookups: LookupsDep,
    request: Request,
    background: BackgroundTasks,
) -> BookingRead:
    """Cancel the booking; its window is free for others at once."""
    visit = _citizen_visit(session, reference, credentials, lookups)
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
    "/api/v1/bookings/{reference}/waitlist",
    response_model=WaitlistRead,
    responses=problem_responses(401, 404, 422),
)
def get_waitlist(
    reference: str, session: SessionDep, credentials: ManageCredentials, lookups: LookupsDep
) -> WaitlistRead:
    """Whether the booking waits for an earlier time, and how many notices it had."""
    visit = _citizen_visit(session, reference, credentials, lookups)
    return WaitlistRead.of(waitlist.get(session, visit=visit), _tz(session, visit))


@router.post(
    "/api/v1/bookings/{reference}/waitlist",
    response_model=WaitlistRead,
    responses=problem_responses(401, 404, 409, 422),
)
def join_waitlist(
    reference: str, session: SessionDep, credentials: ManageCredentials, lookups: LookupsDep
) -> WaitlistRead:
    """Tell me if an earlier time frees up: join the waiting list (joining twice is harmless).

    When windows earlier than the booked one can be had (someone cancelled, a day was re-planned,
    capacity was added), a message with a link to them goes out: at most once a day, at most 3
    times in total, only in the municipality's daytime hours. Taking one is an ordinary
    reschedule (`GET …/earlier-offers`, then `POST …/reschedule`); nothing is held, the first to
    book an earlier window gets it. Cancelling or erasing the booking ends the entry.
    """
    visit = _citizen_visit(session, reference, credentials, lookups)
    entry = waitlist_usecases.join(session, visit=visit)
    return WaitlistRead.of(entry, _tz(session, visit))


@router.delete(
    "/api/v1/bookings/{reference}/waitlist",
    response_model=WaitlistRead,
    responses=problem_responses(401, 404, 422),
)
def leave_waitlist(
    reference: str, session: SessionDep, credentials: ManageCredentials, lookups: LookupsDep
) -> WaitlistRead:
    """Leave the waiting list: no more messages about earlier times."""
    visit = _citizen_visit(session, reference, credentials, lookups)
    waitlist_usecases.leave(session, visit=visit)
    return WaitlistRead.of(waitlist.get(session, visit=visit), _tz(session, visit))


@router.get(
    "/api/v1/bookings/{reference}/earlier-offers",
    response_model=OffersResponse,
    responses=problem_responses(401, 404, 409, 422),
)
def earlier_offers(
    reference: str,
    session: WritingSessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    credentials: ManageCredentials,
    lookups: LookupsDep,
    request: Request,
) -> OffersResponse:
    """Windows wholly before the booked one (the waiting-list message links here).

    Each is an ordinary offer to move this booking (`POST …/reschedule` with its id); it holds
    nothing, so another citizen may take it first. Empty when there are none now.
    """
    visit = _citizen_visit(session, reference, credentials, lookups)
    m = _municipality(session, visit)
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    made = waitlist_usecases.earlier_offers(
        session,
        municipality=m,
        visit=visit,
        travel=travel,
        hold_minutes=settings.offer_hold_minutes,
    )
    tz = clock.zone(m.timezone)
    return OffersResponse(
        offers=[OfferRead.of(o, tz) for o in made],
        service=ServiceBrief.of(service, dutch=prefers_dutch(request)),
        address=AddressRead.of(visit),
        reschedule_of=visit.reference,
    )


@router.get(
    "/api/v1/bookings/{reference}/personal-data",
    response_model=PersonalData,
    responses=problem_responses(401, 404, 422),
)
def export_personal_data(
    reference: str, session: SessionDep, credentials: ManageCredentials, lookups: LookupsDep
) -> PersonalData:
    """Everything stored about you for this booking, including the contact person who booked it,
    the needs and the messages sent."""
    visit = _citizen_visit(session, reference, credentials, lookups)
    m = _municipality(session, visit)
    audit.act_as(None, "citizen")
    audit.note("export", visit, audit.ALL_FIELDS, "citizen")
    return PersonalData.of(
        booking_usecases.export_personal_data(session, visit), clock.zone(m.timezone)
    )


@router.delete(
    "/api/v1/bookings/{reference}/personal-data",
    response_model=PersonalData,
    responses=problem_responses(401, 404, 422),
)
def erase_personal_data(
    reference: str,
    session: SessionDep,
    travel: TravelDep,
    credentials: ManageCredentials,
    lookups: LookupsDep,
) -> PersonalData:
    """Erase your name, phone, e-mail, notes, needs and address (and the contact person's details)
    from this booking; it leaves the waiting list.

    **An upcoming visit is cancelled by the erasure**: without an address nobody can come. No
    message is sent about it, since the contact details are gone. What remains is an anonymous
    visit (service, date, district) for planning and statistics. The answer shows what is left.
    """
    visit = _citizen_visit(session, reference, credentials, lookups)
    m = _municipality(session, visit)
    audit.act_as(None, "citizen")
    audit.note("erase", visit, audit.ALL_FIELDS, "citizen")
    erased = booking_usecases.erase_personal_data(
        session, municipality=m, visit=visit, travel=travel
    )
    return PersonalData.of(
        booking_usecases.export_personal_data(session, erased), clock.zone(m.timezone)
    )


@router.get(
    "/api/v1/bookings/{reference}/access-log",
    response_model=AccessLogRead,
    responses=problem_responses(401, 404, 422),
)
def access_log(
    reference: str,
    request: Request,
    session: SessionDep,
    credentials: ManageCredentials,
    lookups: LookupsDep,
) -> AccessLogRead:
    """Who looked at or changed this booking: the role (and the first name of the expert who
    visits), when, and why; newest first."""
    visit = _citizen_visit(session, reference, credentials, lookups)
    tz, dutch = _tz(session, visit), prefers_dutch(request)
    return AccessLogRead(
        reference=visit.reference,
        entries=[AccessEntry.of(s, tz, dutch) for s in audit_log.seen_by(session, visit)],
    )


@router.get(
    "/api/v1/bookings/{reference}/choices",
    response_model=ChoicesRead,
    responses=problem_responses(401, 404, 422),
)
def get_choices(
    reference: str, session: SessionDep, credentials: ManageCredentials, lookups: LookupsDep
) -> ChoicesRead:
    """What you decided: may the expert see your phone number and notes before the visit, do
    follow-ups go to the same expert, did you ask for another expert."""
    return ChoicesRead.of(_citizen_visit(session, reference, credentials, lookups))


@router.patch(
    "/api/v1/bookings/{reference}/choices",
    response_model=ChoicesRead,
    responses=problem_responses(401, 404, 422),
)
def change_choices(
    reference: str,
    body: ChoicesChange,
    session: SessionDep,
    credentials: ManageCredentials,
    lookups: LookupsDep,
) -> ChoicesRead:
    """Change what the expert may see before the visit, or where follow-ups go (recorded in the
    access log)."""
    visit = _citizen_visit(session, reference, credentials, lookups)
    audit.act_as(None, "citizen")
    changed = choices_usecases.set_choices(
        session,
        visit=visit,
        share_phone=body.share_phone,
        share_notes=body.share_notes,
        same_expert_followups=body.same_expert_followups,
    )
    if changed:
        audit.note("decide", visit, changed, "citizen")
    return ChoicesRead.of(visit)


@router.post(
    "/api/v1/bookings/{reference}/other-expert",
    response_model=ChoicesRead,
    responses=problem_responses(401, 404, 409, 422),
)
def other_expert(
    reference: str,
    body: OtherExpertRequest,
    session: SessionDep,
    travel: TravelDep,
    credentials: ManageCredentials,
    lookups: LookupsDep,
) -> ChoicesRead:
    """Ask for another expert: the current one never comes to this booking again (the window
    stays). 409 when no other expert can keep the window."""
    visit = _citizen_visit(session, reference, credentials, lookups)
    audit.act_as(None, "citizen")
    moved = choices_usecases.ask_other_expert(
        session, municipality=_municipality(session, visit), visit=visit, travel=travel
    )
    audit.note("decide", moved, ("expert",), "citizen")
    return ChoicesRead.of(moved)
