"""Booking use cases: book, reschedule, cancel, export and erase, each telling the citizen.

Each is one unit of work: it checks, writes the visit and its place in a plan (the booking
domain's helpers, which only flush), queues the message to the citizen (``notify``) and commits,
all in one transaction. A booking re-checks feasibility inside its transaction after locking the
day rows of every expert who could take the visit (ascending expert id, so bookings never
deadlock); on SQLite the transaction holds the database's single write lock. PostgreSQL adds an
exclusion constraint on planned visits as the last line of defence. An offer is never a lie and
never sold twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import service as booking
from scheduler.booking.models import Channel, Visit, VisitEvent, VisitStatus
from scheduler.booking.needs import clean_needs, skills_for
from scheduler.booking.service import Booked, Citizen, Contact
from scheduler.catalog.models import ServiceType
from scheduler.day.locks import bump_day_version, lock_expert_days
from scheduler.errors import InvalidInput
from scheduler.notify.models import OutboxMessage
from scheduler.security import KeyRing, hash_token, new_reference, new_token
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity
from scheduler.usecases.notifier import Notifier, no_notify
from scheduler.waitlist import service as waitlist

log = logging.getLogger("aanhuis.booking")


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
    notify: Notifier = no_notify,
    keys: KeyRing | None = None,
    contact: Contact | None = None,
    needs: Sequence[Mapping[str, Any]] = (),
) -> Booked:
    """Book the window of an offer for a citizen, or raise (nothing is written then).

    ``contact`` is the person who books on the citizen's behalf: the messages go to them.
    ``needs`` (checked by :func:`scheduler.booking.needs.clean_needs`) may require skills of the
    expert under the service's ``need_skills``; only such an expert can take the visit, now and
    in every re-plan. The same Idempotency-Key with the same content returns the same booking
    (with the manage token for a day); with other content it is refused.
    """
    now = clock.now()
    needs = clean_needs((str(n.get("code")), n.get("detail")) for n in needs)
    fingerprint = booking.fingerprint(offer_id, citizen, notes, contact, needs)
    if idempotency_key:
        earlier = booking.by_idempotency_key(session, municipality, idempotency_key)
        if earlier is not None:
            return booking.replay_booking(earlier, fingerprint, now, keys)
    offer = booking.get_offer(session, municipality, offer_id, keys)
    booking.check_not_expired(offer, now)
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
        wants_post=citizen.wants_post,
        contact_name=contact.name if contact else None,
        contact_phone=contact.phone if contact else None,
        contact_email=contact.email if contact else None,
        contact_relation=contact.relation if contact else None,
        needs=[dict(n) for n in needs],
        extra_skills=skills_for(service.need_skills or {}, needs),
        notes=notes,
        ical_uid=f"{new_token()[:24]}@aanhuis",
        ical_sequence=0,
        language=language,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint if idempotency_key else None,
        replay_token=(
            keys.tokens.seal(token.encode(), fingerprint.encode())
            if idempotency_key and keys is not None
            else None
        ),
        created_at=now,
        updated_at=now,
    )
    session.add(visit)
    try:
        session.flush()
    except IntegrityError:
        # The same Idempotency-Key is being used by a request that committed first.
        session.rollback()
        earlier = booking.by_idempotency_key(session, municipality, idempotency_key or "")
        if earlier is None:
            raise
        return booking.replay_booking(earlier, fingerprint, now, keys)
    booking.place_visit(session, municipality, service, visit, travel, prefer=offer.expert_id)
    bump_day_version(session, municipality, visit.date)
    session.add(VisitEvent(visit_id=visit.id, status="booked", at=now, actor=actor))
    booking.spend_offer(session, offer)
    notify(session, visit, "confirmation", token)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key:
            earlier = booking.by_idempotency_key(session, municipality, idempotency_key)
            if earlier is not None:
                return booking.replay_booking(earlier, fingerprint, now, keys)
        raise
    log.info("visit %s booked (channel %s)", visit.id, channel.value)
    return Booked(visit, token)


def reschedule(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    offer_id: str,
    travel: TravelTimeProvider,
    actor: str = "citizen",
    notify: Notifier = no_notify,
    keys: KeyRing | None = None,
    manage_token: str | None = None,
) -> Visit:
    """Move a visit to the window of an offer, in one transaction; the old place is freed.

    ``manage_token``, when the caller has it (the citizen's own request), goes into the message.
    """
    now = clock.now()
    booking.require_changeable(visit)
    lock_capacity(session, municipality, exclusive=False)
    offer = booking.get_offer(session, municipality, offer_id, keys)
    booking.check_not_expired(offer, now)
    if offer.service_type_id != visit.service_type_id or offer.reschedule_of not in (
        None,
        visit.id,
    ):
        raise InvalidInput(
            "This offer is for another service.", nl="Dit aanbod is voor een andere dienst."
        )
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    old_date, old_expert, old_start = visit.date, visit.expert_id, visit.window_start
    # Lock every row this move touches up front, in (date, expert id) order, the order every use
    # case locks in, so concurrent bookings and moves can wait for each other but never deadlock.
    wanted: dict[dt.date, set[int]] = {
        offer.date: set(booking.skill_experts(session, municipality, service, offer.date))
    }
    if old_expert is not None:
        wanted.setdefault(old_date, set()).add(old_expert)
    for day in sorted(wanted):
        lock_expert_days(session, municipality, day, wanted[day])
    booking.remove_from_plan(session, municipality, visit.id, old_date, old_expert, travel)
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
    booking.place_visit(session, municipality, service, visit, travel, prefer=offer.expert_id)
    for day in sorted({old_date, offer.date}):
        bump_day_version(session, municipality, day)
    visit.ical_sequence += 1
    visit.status = VisitStatus.BOOKED
    visit.updated_at = now
    session.add(VisitEvent(visit_id=visit.id, status="rescheduled", at=now, actor=actor))
    booking.spend_offer(session, offer)
    waitlist.record_move(session, visit=visit, old_start=old_start, now=now)
    # The window it left is free now: visits waiting for an earlier time get a look.
    waitlist.wake(
        session,
        municipality_id=municipality.id,
        service_type_id=visit.service_type_id,
        now=now,
    )
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
    notify: Notifier = no_notify,
    manage_token: str | None = None,
) -> Visit:
    """Cancel a visit and free its place in the plan."""
    now = clock.now()
    booking.require_changeable(visit)
    lock_capacity(session, municipality, exclusive=False)
    booking.remove_from_plan(session, municipality, visit.id, visit.date, visit.expert_id, travel)
    bump_day_version(session, municipality, visit.date)
    visit.expert_day_id = None
    visit.status = VisitStatus.CANCELLED
    visit.cancelled_at = now
    visit.cancelled_by = actor.split(":")[0]
    visit.ical_sequence += 1
    visit.updated_at = now
    session.add(VisitEvent(visit_id=visit.id, status="cancelled", at=now, actor=actor))
    waitlist.clear(session, visit=visit)
    # Its window is free now: the next sweep looks at every visit waiting for this service.
    waitlist.wake(
        session,
        municipality_id=municipality.id,
        service_type_id=visit.service_type_id,
        now=now,
    )
    notify(session, visit, "cancellation", manage_token)
    session.commit()
    log.info("visit %s cancelled", visit.id)
    return visit


def send_manage_link(
    session: Session,
    *,
    municipality: Municipality,
    reference: str,
    postcode: str,
    house_number: int,
    notify: Notifier,
) -> bool:
    """Send a fresh manage link for the active booking with this reference at this address.

    All three must match; the link goes through the channel on file (to the contact person who
    booked, or the citizen), and the old link stops working. Returns whether one was sent; the
    caller must not tell (a look-up reveals nothing about which bookings exist).
    """
    visit = booking.find_for_lookup(
        session,
        municipality=municipality,
        reference=reference,
        postcode=postcode,
        house_number=house_number,
    )
    if visit is None:
        session.rollback()
        return False
    notify(session, visit, "manage_link", None)
    session.commit()
    log.info("visit %s: a fresh manage link was sent after a look-up", visit.id)
    return True


def export_personal_data(session: Session, visit: Visit) -> dict[str, Any]:
    """Everything stored about the citizen of this visit and the contact person who booked it,
    as JSON-ready data."""
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
        "contact": (
            {
                "name": visit.contact_name,
                "phone": visit.contact_phone,
                "email": visit.contact_email,
                "relation": visit.contact_relation.value if visit.contact_relation else None,
            }
            if visit.contact_name is not None
            else None
        ),
        "needs": [{"code": n["code"], "detail": n.get("detail")} for n in visit.needs or []],
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
        booking.remove_from_plan(
            session, municipality, visit.id, visit.date, visit.expert_id, travel
        )
        bump_day_version(session, municipality, visit.date)
        visit.expert_day_id = None
        visit.status = VisitStatus.CANCELLED
        visit.cancelled_at = now
        visit.cancelled_by = "citizen"
        visit.ical_sequence += 1
        session.add(VisitEvent(visit_id=visit.id, status="cancelled", at=now, actor="citizen"))
        waitlist.wake(
            session,
            municipality_id=municipality.id,
            service_type_id=visit.service_type_id,
            now=now,
        )
    waitlist.clear(session, visit=visit)
    booking.wipe_personal_fields(session, visit, now)
    session.add(VisitEvent(visit_id=visit.id, status="erased", at=now, actor="citizen"))
    session.commit()
    log.info("visit %s: personal data erased", visit.id)
    return visit
