"""Booking use cases: book, reschedule, cancel, export and erase personal data.

Each use case is one unit of work: it checks, writes and commits in one transaction. A booking
re-checks feasibility inside its transaction after locking the day rows of every expert who could
take the visit (ascending expert id, so bookings never deadlock); on SQLite the transaction holds
the database's single write lock. PostgreSQL adds an exclusion constraint on planned visits as the
last line of defence. An offer is never a lie and never sold twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from routing.insertion import InsertionIndex
from routing.model import StepType, TimeWindow
from routing.replay import StopRef
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import (
    ACTIVE_STATUSES,
    STARTED_STATUSES,
    Channel,
    Offer,
    Visit,
    VisitEvent,
    VisitStatus,
)
from scheduler.capacity import service as capacity
from scheduler.catalog.models import ServiceType
from scheduler.errors import (
    Conflict,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    OfferExpired,
    SlotTaken,
    Unauthenticated,
)
from scheduler.notify.models import OutboxMessage
from scheduler.planning import dayplan
from scheduler.security import hash_token, new_reference, new_token, token_matches
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity

log = logging.getLogger("aanhuis.booking")

#: How long a retried request with the same Idempotency-Key gets the manage token again.
REPLAY_HOURS = 24


class Notifier(Protocol):
    """Queues a message about a visit in the outbox, inside the caller's transaction.

    ``manage_token`` is the citizen's manage token where the caller knows it in plain text (a new
    booking; a citizen acting through the manage link), so the message can carry the manage link.
    """

    def __call__(
        self, session: Session, visit: Visit, kind: str, manage_token: str | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Citizen:
    name: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Booked:
    """A booking, with the manage token when it is known (new, or a recent idempotent retry)."""

    visit: Visit
    manage_token: str | None
    replayed: bool = False


def _fingerprint(offer_id: str, citizen: Citizen, notes: str | None) -> str:
    body = json.dumps([offer_id, citizen.name, citizen.phone, citizen.email, notes])
    return hashlib.sha256(body.encode()).hexdigest()


def _no_notify(session: Session, visit: Visit, kind: str, manage_token: str | None = None) -> None:
    return None


def get_offer(session: Session, municipality: Municipality, offer_id: str) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.municipality_id != municipality.id:
        raise NotFound(
            "This offer does not exist (any more). Ask for new times.",
            nl="Dit aanbod bestaat niet (meer). Vraag nieuwe tijden op.",
        )
    return offer


def _check_not_expired(offer: Offer, now: dt.datetime) -> None:
    if offer.expires_at <= now:
        raise OfferExpired(
            "This time was held for you for a few minutes only. Please choose again.",
            nl="Deze tijd werd maar een paar minuten voor u vastgehouden. Kies opnieuw.",
        )


def _best_insertion(
    state: dayplan.DayState,
    service: ServiceType,
    visit_point: tuple[float, float],
    window: TimeWindow,
    travel: TravelTimeProvider,
    prefer: int | None,
) -> tuple[int, int] | None:
    """(expert id, position) with the least extra travel for the window, or None."""
    routes = state.planned_routes(skill=service.skill)
    if not routes:
        return None
    index = InsertionIndex.build(routes, travel)
    found = index.candidates(
        visit_point, service.duration_minutes * 60, frozenset(), [(state.date, window)]
    )
    if not len(found):
        return None
    # Least extra travel; the expert the offer was computed for wins ties.
    best = min(found, key=lambda i: (i.extra_travel, i.route[0] != prefer, i.position))  # type: ignore[index]
    key = best.route
    assert isinstance(key, tuple)
    return int(key[0]), best.position


def _skill_experts(
    session: Session, municipality: Municipality, service: ServiceType, day: dt.date
) -> list[int]:
    shifts = capacity.shifts_between(
        session, municipality=municipality, first=day, last=day, skill=service.skill
    )
    return sorted(e for e, _ in shifts)


def _place_visit(
    session: Session,
    municipality: Municipality,
    service: ServiceType,
    visit: Visit,
    travel: TravelTimeProvider,
    *,
    prefer: int | None,
) -> None:
    """Lock the day of every expert with the skill, re-check, and put ``visit`` in a route.

    Raises :class:`SlotTaken` when no expert can keep the window any more. Rows the transaction
    already locked are not waited for again.
    """
    experts = _skill_experts(session, municipality, service, visit.date)
    days = dayplan.lock_expert_days(session, municipality, visit.date, experts)
    state = dayplan.load_day(session, municipality, visit.date)
    state.visits[visit.id] = visit
    window = TimeWindow(state.seconds(visit.window_start), state.seconds(visit.window_end))
    best = _best_insertion(state, service, (visit.lon, visit.lat), window, travel, prefer)
    if best is None:
        raise SlotTaken(
            "Someone else just booked this time. Please choose another one.",
            nl="Iemand anders heeft deze tijd net geboekt. Kies een andere tijd.",
        )
    expert_id, position = best
    stops: list[StopRef] = state.stops(expert_id)
    stops.insert(position, (StepType.VISIT, visit.id))
    timed = dayplan.retime(state, expert_id, stops, travel)
    if not timed.feasible:  # the insertion engine and replay agree; this guards the invariant
        raise SlotTaken(
            "This time can no longer be kept. Please choose another one.",
            nl="Deze tijd kan niet meer worden gehaald. Kies een andere tijd.",
        )
    dayplan.write_route(session, state, days[expert_id], stops, timed, travel=travel)


def _remove_from_plan(
    session: Session,
    municipality: Municipality,
    visit_id: int,
    day: dt.date,
    expert_id: int | None,
    travel: TravelTimeProvider,
) -> None:
    """Take a visit out of its expert's route on ``day`` and re-time the rest (locks that row)."""
    if expert_id is None:
        return
    locked = dayplan.lock_expert_days(session, municipality, day, [expert_id])[expert_id]
    state = dayplan.load_day(session, municipality, day)
    state.visits.pop(visit_id, None)  # so the stop order drops it
    if expert_id in state.shifts:
        stops = state.stops(expert_id)
        timed = dayplan.retime(state, expert_id, stops, travel)
        dayplan.write_route(session, state, locked, stops, timed, travel=travel)
    else:  # the expert no longer works that day: just drop the stop
        locked.stops = [
            s for s in locked.stops if not (s["type"] == "visit" and int(s["id"]) == visit_id)
        ]
        locked.version += 1


def book(
    session: Session,
    *,
    municipality: Municipality,
    offer_id: str,
    citizen: Citizen,
    notes: str | None,
    idempotency_key: str | None,
    travel: TravelTimeProvider,
    channel: Channel = Channel.ONLINE,
    language: str = "nl",
    actor: str = "citizen",
    notify: Notifier = _no_notify,
) -> Booked:
    """Book the window of an offer for a citizen, or raise (nothing is written then).

    The same Idempotency-Key with the same content returns the same booking (with the manage
    token for a day); with other content it is refused.
    """
    now = clock.now()
    fingerprint = _fingerprint(offer_id, citizen, notes)
    if idempotency_key:
        earlier = _by_idempotency_key(session, municipality, idempotency_key)
        if earlier is not None:
            return _replay(earlier, fingerprint, now)
    offer = get_offer(session, municipality, offer_id)
    _check_not_expired(offer, now)
    lock_capacity(session, municipality, exclusive=False)
    service = session.get(ServiceType, offer.service_type_id)
    assert service is not None
    token = new_token()
    visit = Visit(
        municipality_id=municipality.id,
        service_type_id=service.id,
        reference=new_reference(),
        manage_token_hash=hash_token(token),
        status=VisitStatus.BOOKED,
        channel=channel,
        date=offer.date,
        window_start=offer.window_start,
        window_end=offer.window_end,
        duration_minutes=service.duration_minutes,
        lat=offer.lat,
        lon=offer.lon,
        postcode=offer.postcode,
        house_number=offer.house_number,
        addition=offer.addition,
        street=offer.street,
        city=offer.city,
        citizen_name=citizen.name,
        citizen_phone=citizen.phone,
        citizen_email=citizen.email,
        notes=notes,
        ical_uid=f"{new_token()[:24]}@aanhuis",
        ical_sequence=0,
        language=language,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint if idempotency_key else None,
        replay_token=token if idempotency_key else None,
        created_at=now,
        updated_at=now,
    )
    session.add(visit)
    try:
        session.flush()
    except IntegrityError:
        # The same Idempotency-Key is being used by a request that committed first.
        session.rollback()
        earlier = _by_idempotency_key(session, municipality, idempotency_key or "")
        if earlier is None:
            raise
        return _replay(earlier, fingerprint, now)
    _place_visit(session, municipality, service, visit, travel, prefer=offer.expert_id)
    dayplan.bump_day_version(session, municipality, visit.date)
    session.add(VisitEvent(visit_id=visit.id, status="booked", at=now, actor=actor))
    session.delete(offer)
    notify(session, visit, "confirmation", token)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key:
            earlier = _by_idempotency_key(session, municipality, idempotency_key)
            if earlier is not None:
                return _replay(earlier, fingerprint, now)
        raise
    log.info("visit %s booked (channel %s)", visit.id, channel.value)
    return Booked(visit, token)


def _by_idempotency_key(session: Session, municipality: Municipality, key: str) -> Visit | None:
    return session.scalar(
        select(Visit).where(Visit.municipality_id == municipality.id, Visit.idempotency_key == key)
    )


def _replay(earlier: Visit, fingerprint: str, now: dt.datetime) -> Booked:
    if earlier.idempotency_fingerprint != fingerprint:
        raise IdempotencyMismatch(
            "This Idempotency-Key was already used for another booking.",
            nl="Deze Idempotency-Key is al gebruikt voor een andere boeking.",
        )
    fresh = earlier.created_at + dt.timedelta(hours=REPLAY_HOURS) > now
    token = earlier.replay_token if fresh else None
    if token is not None and not token_matches(token, earlier.manage_token_hash):
        token = None  # rotated since (a disruption notice carries a new link)
    return Booked(earlier, token, replayed=True)


def get_for_citizen(session: Session, reference: str, token: str | None) -> Visit:
    """The visit behind a manage link: the reference and its manage token must match."""
    visit = session.scalar(select(Visit).where(Visit.reference == reference.upper()))
    if visit is None:
        raise NotFound(
            f"There is no booking {reference}.", nl=f"Er is geen afspraak met nummer {reference}."
        )
    if not token or not token_matches(token, visit.manage_token_hash):
        raise Unauthenticated(
            "This link is not valid for this booking.",
            nl="Deze link hoort niet bij deze afspraak.",
        )
    return visit


def get_for_planner(session: Session, *, municipality: Municipality, reference: str) -> Visit:
    """A visit of ``municipality`` by its reference (planners need no manage token)."""
    visit = session.scalar(
        select(Visit).where(
            Visit.reference == reference.strip().upper(),
            Visit.municipality_id == municipality.id,
        )
    )
    if visit is None:
        raise NotFound(
            f"There is no booking {reference} here.", nl=f"Er is hier geen afspraak {reference}."
        )
    return visit


def _require_changeable(visit: Visit) -> None:
    if visit.status is VisitStatus.CANCELLED:
        raise Conflict("This visit has been cancelled.", nl="Deze afspraak is geannuleerd.")
    if visit.status not in ACTIVE_STATUSES or visit.status in STARTED_STATUSES:
        raise Conflict(
            "This visit has already started or taken place and can no longer be changed.",
            nl="Deze afspraak is al begonnen of voorbij en kan niet meer worden gewijzigd.",
        )


def reschedule(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    offer_id: str,
    travel: TravelTimeProvider,
    actor: str = "citizen",
    notify: Notifier = _no_notify,
    manage_token: str | None = None,
) -> Visit:
    """Move a visit to the window of an offer, in one transaction; the old place is freed.

    ``manage_token``, when the caller has it (the citizen's own request), goes into the message.
    """
    now = clock.now()
    _require_changeable(visit)
    lock_capacity(session, municipality, exclusive=False)
    offer = get_offer(session, municipality, offer_id)
    _check_not_expired(offer, now)
    if offer.service_type_id != visit.service_type_id:
        raise InvalidInput(
            "This offer is for another service.", nl="Dit aanbod is voor een andere dienst."
        )
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    old_date, old_expert = visit.date, visit.expert_id
    # Lock every row this move touches up front, in (date, expert id) order, the order every use
    # case locks in, so concurrent bookings and moves can wait for each other but never deadlock.
    wanted: dict[dt.date, set[int]] = {
        offer.date: set(_skill_experts(session, municipality, service, offer.date))
    }
    if old_expert is not None:
        wanted.setdefault(old_date, set()).add(old_expert)
    for day in sorted(wanted):
        dayplan.lock_expert_days(session, municipality, day, wanted[day])
    _remove_from_plan(session, municipality, visit.id, old_date, old_expert, travel)
    visit.expert_day_id = None
    visit.expert_id = None
    visit.date = offer.date
    visit.window_start, visit.window_end = offer.window_start, offer.window_end
    visit.lat, visit.lon = offer.lat, offer.lon
    # The offer may be for another address of the citizen: keep the address and the point as one.
    visit.postcode, visit.house_number, visit.addition = (
        offer.postcode,
        offer.house_number,
        offer.addition,
    )
    visit.street, visit.city = offer.street, offer.city
    _place_visit(session, municipality, service, visit, travel, prefer=offer.expert_id)
    for day in sorted({old_date, offer.date}):
        dayplan.bump_day_version(session, municipality, day)
    visit.ical_sequence += 1
    visit.status = VisitStatus.BOOKED
    visit.updated_at = now
    session.add(VisitEvent(visit_id=visit.id, status="rescheduled", at=now, actor=actor))
    session.delete(offer)
    notify(session, visit, "reschedule", manage_token)
    session.commit()
    log.info("visit %s rescheduled", visit.id)
    return visit


def cancel(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    travel: TravelTimeProvider,
    actor: str = "citizen",
    notify: Notifier = _no_notify,
    manage_token: str | None = None,
) -> Visit:
    """Cancel a visit and free its place in the plan."""
    now = clock.now()
    _require_changeable(visit)
    lock_capacity(session, municipality, exclusive=False)
    _remove_from_plan(session, municipality, visit.id, visit.date, visit.expert_id, travel)
    dayplan.bump_day_version(session, municipality, visit.date)
    visit.expert_day_id = None
    visit.status = VisitStatus.CANCELLED
    visit.cancelled_at = now
    visit.cancelled_by = actor.split(":")[0]
    visit.ical_sequence += 1
    visit.updated_at = now
    session.add(VisitEvent(visit_id=visit.id, status="cancelled", at=now, actor=actor))
    notify(session, visit, "cancellation", manage_token)
    session.commit()
    log.info("visit %s cancelled", visit.id)
    return visit


def export_personal_data(session: Session, visit: Visit) -> dict[str, Any]:
    """Everything stored about the citizen of this visit, as JSON-ready data."""
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    events = session.scalars(
        select(VisitEvent).where(VisitEvent.visit_id == visit.id).order_by(VisitEvent.at)
    ).all()
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.visit_id == visit.id)
        .order_by(OutboxMessage.created_at)
    ).all()
    return {
        "reference": visit.reference,
        "service": {"code": service.code, "name": service.name_nl},
        "status": visit.status.value,
        "channel": visit.channel.value,
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "citizen": {
            "name": visit.citizen_name,
            "phone": visit.citizen_phone,
            "email": visit.citizen_email,
        },
        "address": {
            "postcode": visit.postcode,
            "house_number": visit.house_number,
            "addition": visit.addition,
            "street": visit.street,
            "city": visit.city,
            "lat": visit.lat,
            "lon": visit.lon,
        },
        "notes": visit.notes,
        "language": visit.language,
        "created_at": visit.created_at,
        "erased_at": visit.erased_at,
        "history": [{"status": e.status, "at": e.at, "by": e.actor.split(":")[0]} for e in events],
        "messages": [
            {
                "kind": m.kind,
                "to": m.recipient,
                "subject": m.subject,
                "created_at": m.created_at,
                "sent_at": m.sent_at,
            }
            for m in messages
        ],
        "retention_days": service.retention_days,
    }


def wipe_personal_fields(session: Session, visit: Visit, now: dt.datetime) -> None:
    """Remove what identifies the citizen; keep an anonymous visit for planning and statistics.

    Coordinates are rounded to about a kilometre, so the visit still counts for the area's
    statistics but no longer points at a home. Messages lose recipient and body.
    """
    visit.citizen_name = visit.citizen_phone = visit.citizen_email = None
    visit.notes = None
    visit.street = visit.addition = None
    visit.house_number = None
    visit.postcode = visit.postcode[:4] if visit.postcode else None
    visit.lat, visit.lon = round(visit.lat, 2), round(visit.lon, 2)
    visit.replay_token = None
    visit.erased_at = now
    visit.updated_at = now
    for m in session.scalars(select(OutboxMessage).where(OutboxMessage.visit_id == visit.id)):
        m.recipient = None
        m.body = ""
        m.ics = None
        m.subject = "(erased)"


def erase_personal_data(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    travel: TravelTimeProvider,
) -> Visit:
    """Erase the citizen's personal data on request.

    An upcoming visit cannot be made without an address, so it is cancelled as part of the
    erasure (the citizen is told so on the page and in the API description; no message is sent,
    since the contact details are gone). Pending messages for the visit are wiped unsent.
    """
    now = clock.now()
    if visit.status in (VisitStatus.BOOKED, VisitStatus.PLANNED):
        lock_capacity(session, municipality, exclusive=False)
        _remove_from_plan(session, municipality, visit.id, visit.date, visit.expert_id, travel)
        dayplan.bump_day_version(session, municipality, visit.date)
        visit.expert_day_id = None
        visit.status = VisitStatus.CANCELLED
        visit.cancelled_at = now
        visit.cancelled_by = "citizen"
        visit.ical_sequence += 1
        session.add(VisitEvent(visit_id=visit.id, status="cancelled", at=now, actor="citizen"))
    wipe_personal_fields(session, visit, now)
    session.add(VisitEvent(visit_id=visit.id, status="erased", at=now, actor="citizen"))
    session.commit()
    log.info("visit %s: personal data erased", visit.id)
    return visit
