"""The booking domain: visits and offers, and the steps every booking use case is made of.

The use cases themselves (book, reschedule, cancel, erase: each one transaction that also tells
the citizen) are in :mod:`scheduler.usecases.booking`. The steps here only flush: placing a visit
in a plan after locking the day rows of every expert who could take it, taking it out again,
finding a visit by its reference, wiping personal fields.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from routing.insertion import InsertionIndex
from routing.model import StepType, TimeWindow
from routing.replay import StopRef
from routing.travel import TravelTimeProvider
from scheduler.booking import offer_tokens, offers
from scheduler.booking.models import (
    ACTIVE_STATUSES,
    STARTED_STATUSES,
    Offer,
    Relation,
    SpentOffer,
    Visit,
    VisitSearch,
    VisitStatus,
)
from scheduler.catalog.models import ServiceType
from scheduler.day.locks import lock_expert_days
from scheduler.day.shifts import shifts_between
from scheduler.day.state import DayState, excluded_experts, load_day
from scheduler.day.timing import retime, write_route
from scheduler.errors import (
    Conflict,
    IdempotencyMismatch,
    NotFound,
    OfferExpired,
    SlotTaken,
    Unauthenticated,
)
from scheduler.notify.models import OutboxMessage
from scheduler.security import KeyRing, is_sealed, token_matches
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.booking")

#: How long a retried request with the same Idempotency-Key gets the manage token again.
REPLAY_HOURS = 24


@dataclass(frozen=True)
class Citizen:
    """The person visited."""

    name: str
    phone: str | None = None
    email: str | None = None
    #: Messages by post (a letter), whatever else was given.
    wants_post: bool = False


@dataclass(frozen=True)
class Contact:
    """The person who books for the citizen and receives the messages."""

    name: str
    relation: Relation
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Booked:
    """A booking, with the manage token when it is known (new, or a recent idempotent retry)."""

    visit: Visit
    manage_token: str | None
    replayed: bool = False


def fingerprint(
    offer_id: str,
    citizen: Citizen,
    notes: str | None,
    contact: Contact | None = None,
    needs: Sequence[Mapping[str, Any]] = (),
) -> str:
    """What a booking request asked for, so a reused Idempotency-Key with other content shows.

    Without a contact and needs it is what it was before they existed (keys stay comparable).
    """
    parts: list[Any] = [offer_id, citizen.name, citizen.phone, citizen.email, notes]
    if contact is not None or needs:
        extra = (
            (contact.name, contact.relation.value, contact.phone, contact.email)
            if contact
            else None
        )
        parts += [extra, [[n.get("code"), n.get("detail")] for n in needs]]
    body = json.dumps(parts)
    return hashlib.sha256(body.encode()).hexdigest()


def get_offer(
    session: Session, municipality: Municipality, offer_id: str, keys: KeyRing | None = None
) -> Offer:
    """The offer behind an id: stored, or sealed into the id (opened with ``keys``)."""
    offer = offers.find_offer(session, municipality, offer_id, keys)
    if offer is None:
        raise NotFound(
            "This offer does not exist (any more). Ask for new times.",
            nl="Dit aanbod bestaat niet (meer). Vraag nieuwe tijden op.",
        )
    return offer


def check_not_expired(offer: Offer, now: dt.datetime) -> None:
    if offer.expires_at <= now:
        raise OfferExpired(
            "Times on offer can be chosen for a few minutes only. Please choose again.",
            nl="Getoonde tijden kunt u maar een paar minuten kiezen. Kies opnieuw.",
        )


def _best_insertion(
    state: DayState,
    service: ServiceType,
    visit_point: tuple[float, float],
    window: TimeWindow,
    travel: TravelTimeProvider,
    prefer: int | None,
    extra_skills: Sequence[str] = (),
    excluding: frozenset[int] = frozenset(),
) -> tuple[int, int] | None:
    """(expert id, position) with the least extra travel for the window, or None.

    Only experts with the service's skill and every skill the visit's needs require count.
    """
    routes = state.planned_routes(skill=service.skill, skills=extra_skills, excluding=excluding)
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


def skill_experts(
    session: Session, municipality: Municipality, service: ServiceType, day: dt.date
) -> list[int]:
    shifts = shifts_between(
        session, municipality=municipality, first=day, last=day, skill=service.skill
    )
    return sorted(e for e, _ in shifts)


def place_visit(
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
    experts = skill_experts(session, municipality, service, visit.date)
    days = lock_expert_days(session, municipality, visit.date, experts)
    # Only these experts can take the visit: their shifts are all the re-check needs.
    state = load_day(session, municipality, visit.date, expert_ids=experts)
    state.visits[visit.id] = visit
    window = TimeWindow(state.seconds(visit.window_start), state.seconds(visit.window_end))
    best = _best_insertion(
        state,
        service,
        (visit.lon, visit.lat),
        window,
        travel,
        prefer,
        visit.extra_skills or (),
        excluded_experts(visit),
    )
    if best is None:
        raise SlotTaken(
            "Someone else just booked this time. Please choose another one.",
            nl="Iemand anders heeft deze tijd net geboekt. Kies een andere tijd.",
        )
    expert_id, position = best
    stops: list[StopRef] = state.stops(expert_id)
    stops.insert(position, (StepType.VISIT, visit.id))
    timed = retime(state, expert_id, stops, travel)
    if not timed.feasible:  # the insertion engine and replay agree; this guards the invariant
        raise SlotTaken(
            "This time can no longer be kept. Please choose another one.",
            nl="Deze tijd kan niet meer worden gehaald. Kies een andere tijd.",
        )
    write_route(session, state, days[expert_id], stops, timed, travel=travel)


def remove_from_plan(
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
    locked = lock_expert_days(session, municipality, day, [expert_id])[expert_id]
    state = load_day(session, municipality, day, expert_ids=[expert_id])
    state.visits.pop(visit_id, None)  # so the stop order drops it
    if expert_id in state.shifts:
        stops = state.stops(expert_id)
        timed = retime(state, expert_id, stops, travel)
        write_route(session, state, locked, stops, timed, travel=travel)
    else:  # the expert no longer works that day: just drop the stop
        locked.stops = [
            s for s in locked.stops if not (s["type"] == "visit" and int(s["id"]) == visit_id)
        ]
        locked.version += 1


def spend_offer(session: Session, offer: Offer) -> None:
    """Use an offer up: a stored one is deleted, a sealed one leaves its digest until it expires
    (a second booking of the same offer finds it and is refused)."""
    if inspect(offer).persistent:
        session.delete(offer)
        return
    session.flush()  # so a failure below can only be this offer's
    session.add(SpentOffer(digest=offer_tokens.digest(offer.id), expires_at=offer.expires_at))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise NotFound(
            "This offer was just booked. Ask for new times.",
            nl="Dit aanbod is net geboekt. Vraag nieuwe tijden op.",
        ) from None


def by_idempotency_key(session: Session, municipality: Municipality, key: str) -> Visit | None:
    return session.scalar(
        select(Visit).where(Visit.municipality_id == municipality.id, Visit.idempotency_key == key)
    )


def replay_booking(
    earlier: Visit, fingerprint: str, now: dt.datetime, keys: KeyRing | None
) -> Booked:
    if earlier.idempotency_fingerprint != fingerprint:
        raise IdempotencyMismatch(
            "This Idempotency-Key was already used for another booking.",
            nl="Deze Idempotency-Key is al gebruikt voor een andere boeking.",
        )
    fresh = earlier.created_at + dt.timedelta(hours=REPLAY_HOURS) > now
    token = _open_replay_token(earlier.replay_token, fingerprint, keys) if fresh else None
    if token is not None and not token_matches(token, earlier.manage_token_hash):
        token = None  # rotated since (a disruption notice carries a new link)
    return Booked(earlier, token, replayed=True)


def _open_replay_token(sealed: str | None, fingerprint: str, keys: KeyRing | None) -> str | None:
    """The kept manage token in plain text, or None (none kept, no keys, another secret)."""
    if not sealed or keys is None or not is_sealed(sealed):
        return None
    try:
        return keys.tokens.open(sealed, fingerprint.encode()).decode()
    except ValueError:
        return None


def get_for_citizen(session: Session, reference: str, token: str | None) -> Visit:
    """The visit behind a manage link: the reference and its manage token must match.

    An unknown reference and a wrong token raise the same error, so the answer never tells
    whether a reference exists.
    """
    visit = session.scalar(select(Visit).where(Visit.reference == reference.upper()))
    if visit is None or not token or not token_matches(token, visit.manage_token_hash):
        raise wrong_manage_link()
    return visit


def wrong_manage_link() -> Unauthenticated:
    """The one answer to a reference and token that do not open a booking."""
    return Unauthenticated(
        "This link is not valid for a booking.",
        nl="Deze link hoort niet bij een afspraak.",
    )


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


def find_for_lookup(
    session: Session,
    *,
    municipality: Municipality,
    reference: str,
    postcode: str,
    house_number: int,
) -> Visit | None:
    """The active visit of ``municipality`` with this reference at this postcode and number.

    ``reference`` and ``postcode`` in their normal forms (``AH-7K2M-9QXC``, ``3511AB``).
    """
    return session.scalar(
        select(Visit).where(
            Visit.municipality_id == municipality.id,
            Visit.reference == reference,
            Visit.postcode == postcode,
            Visit.house_number == house_number,
            Visit.status.in_(ACTIVE_STATUSES),
        )
    )


SearchBy = Literal["reference", "address", "phone", "name"]
#: A desk search shows at most this many visits (the most recent first).
SEARCH_LIMIT = 25


def search_visits(
    session: Session,
    *,
    municipality: Municipality,
    actor: str,
    by: SearchBy,
    reference: str | None = None,
    postcode: str | None = None,
    house_number: int | None = None,
    phone: str | None = None,
    name: str | None = None,
    now: dt.datetime,
) -> list[Visit]:
    """A planner looks for a caller's visits; the search is recorded (who, when, how, how many,
    never the terms) and committed.

    By reference (normal form), by postcode and house number, by phone number (E.164; the
    citizen's or the contact person's) or by a part of a name (the citizen's or the contact's,
    any case). Erased visits are not found. The most recent window first.
    """
    query = select(Visit).where(Visit.municipality_id == municipality.id, Visit.erased_at.is_(None))
    if by == "reference":
        query = query.where(Visit.reference == (reference or ""))
    elif by == "address":
        query = query.where(Visit.postcode == postcode, Visit.house_number == house_number)
    elif by == "phone":
        # Stored in E.164; bookings from before that rule may hold the compact national form.
        forms = {phone or ""} | ({"0" + phone[3:]} if phone and phone.startswith("+31") else set())
        query = query.where(or_(Visit.citizen_phone.in_(forms), Visit.contact_phone.in_(forms)))
    else:
        words = (name or "").lower().split()
        if not words:
            raise ValueError("a name search needs a name")
        for word in words:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    func.lower(Visit.citizen_name).like(pattern, escape="\\"),
                    func.lower(Visit.contact_name).like(pattern, escape="\\"),
                )
            )
    found = list(
        session.scalars(query.order_by(Visit.window_start.desc(), Visit.id).limit(SEARCH_LIMIT))
    )
    session.add(
        VisitSearch(
            municipality_id=municipality.id,
            actor=actor[:40],
            by=by,
            searched_at=now,
            found=len(found),
        )
    )
    session.commit()
    return found


def require_changeable(visit: Visit) -> None:
    if visit.status is VisitStatus.CANCELLED:
        raise Conflict("This visit has been cancelled.", nl="Deze afspraak is geannuleerd.")
    if visit.status not in ACTIVE_STATUSES or visit.status in STARTED_STATUSES:
        raise Conflict(
            "This visit has already started or taken place and can no longer be changed.",
            nl="Deze afspraak is al begonnen of voorbij en kan niet meer worden gewijzigd.",
        )


def wipe_personal_fields(session: Session, visit: Visit, now: dt.datetime) -> None:
    """Remove what identifies the citizen and the contact person (and the needs); keep an
    anonymous visit for planning and statistics.

    Coordinates are rounded to about a kilometre, so the visit still counts for the area's
    statistics but no longer points at a home. Messages lose recipient and body.
    """
    visit.citizen_name = visit.citizen_phone = visit.citizen_email = None
    visit.contact_name = visit.contact_phone = visit.contact_email = None
    visit.contact_relation = None
    visit.needs = []
    visit.extra_skills = []
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
