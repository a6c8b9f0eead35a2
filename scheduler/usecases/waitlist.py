"""The waiting list: "tell me if an earlier time frees up" (after RDV-Solidarités' file d'attente).

A citizen with a booked visit opts in (:func:`join`) or out (:func:`leave`). The worker sweeps
the list (:func:`sweep`): for each waiting visit that has feasible windows earlier than its own,
whether they existed at opt-in or appeared since (a cancellation, a re-plan, capacity added), the
citizen (or the contact person who booked) gets a message with a link to those windows. Notices
go out at most once a local day, at most :data:`~scheduler.waitlist.service.MAX_NOTICES` in
total, and only inside the configured hours. Every cancellation and move makes the waiting
visits of that service due at once, so the next sweep (the worker's next round) looks at them.

Taking an earlier window is an ordinary reschedule with the offer's id: first come, first served,
nothing is held. A move to an earlier window after a notice counts as the list's success.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session, sessionmaker

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import offers as offer_service
from scheduler.booking import service as booking
from scheduler.booking.models import CHANGEABLE_STATUSES, Offer, Visit
from scheduler.catalog.models import ServiceType
from scheduler.day.state import excluded_experts
from scheduler.db import transaction
from scheduler.errors import InvalidInput
from scheduler.geocoding import Place
from scheduler.tenants.models import Municipality
from scheduler.usecases.notifier import Notifier
from scheduler.waitlist import service as waitlist
from scheduler.waitlist.models import WaitlistEntry
from scheduler.waitlist.schemas import DEFAULT_HOURS, Hours

log = logging.getLogger("aanhuis.waitlist")

#: Without a cancellation, a waiting visit is looked at again after this long.
RECHECK = dt.timedelta(minutes=15)
#: Earlier windows listed at most.
EARLIER_LIMIT = 8


def join(session: Session, *, visit: Visit) -> WaitlistEntry:
    """Put a booked visit on the waiting list (one transaction); joining twice changes nothing."""
    booking.require_changeable(visit)
    entry = waitlist.join(session, visit=visit, now=clock.now())
    session.commit()
    log.info("visit %s joined the waiting list", visit.id)
    return entry


def leave(session: Session, *, visit: Visit) -> None:
    """Take a visit off the waiting list (one transaction)."""
    waitlist.leave(session, visit=visit)
    session.commit()
    log.info("visit %s left the waiting list", visit.id)


def _place(visit: Visit) -> Place:
    return Place(
        visit.lat,
        visit.lon,
        visit.postcode,
        visit.house_number,
        visit.addition,
        visit.street,
        visit.city,
    )


def earlier_candidates(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    travel: TravelTimeProvider,
    limit: int,
    now: dt.datetime | None = None,
) -> list[offer_service.Candidate]:
    """Feasible windows that lie wholly before the visit's own (it left out of its day), ranked.

    Only windows that end by the time the current one starts count: half an hour sooner inside
    the same morning is not what a waiting citizen asked for.
    """
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    found = offer_service.find_candidates(
        session,
        municipality=municipality,
        service=service,
        place=_place(visit),
        travel=travel,
        latest=visit.date,
        without_visit=(visit.id, visit.date),
        extra_skills=visit.extra_skills or (),
        skip_start=visit.window_start,
        excluding=excluded_experts(visit),
        now=now,
    )
    earlier = [c for c in found if c.end <= visit.window_start]
    return offer_service.rank(earlier, limit)


def earlier_offers(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    travel: TravelTimeProvider,
    hold_minutes: int,
    limit: int = EARLIER_LIMIT,
) -> list[Offer]:
    """Offers to move ``visit`` to a window before its current one (commits the offers).

    An offer reserves nothing: whoever books an earlier window first gets it.
    """
    booking.require_changeable(visit)
    if not 1 <= limit <= offer_service.MAX_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {offer_service.MAX_LIMIT}",
            nl=f"limit moet tussen 1 en {offer_service.MAX_LIMIT}",
        )
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    chosen = earlier_candidates(
        session, municipality=municipality, visit=visit, travel=travel, limit=limit
    )
    made = offer_service.create_offers(
        session,
        municipality=municipality,
        service=service,
        place=_place(visit),
        chosen=chosen,
        hold_minutes=hold_minutes,
        reschedule_of=visit.id,
    )
    session.commit()
    return made


def sweep(
    sessions: sessionmaker[Session],
    *,
    travel: TravelTimeProvider,
    notify: Notifier,
    hours: Hours = DEFAULT_HOURS,
    now: dt.datetime | None = None,
) -> int:
    """Look at every waiting visit that is due; returns how many notices were queued.

    Each visit is looked at in its own short transaction, claimed with ``SKIP LOCKED`` on
    PostgreSQL, so any number of workers can sweep at once and none sends a notice twice.
    """
    now = now or clock.now()
    sent = 0
    while True:
        with transaction(sessions) as session:
            claimed = waitlist.due(session, now=now, limit=1)
            if not claimed:
                return sent
            if _look(session, claimed[0], travel=travel, notify=notify, hours=hours, now=now):
                sent += 1


def _look(
    session: Session,
    entry: WaitlistEntry,
    *,
    travel: TravelTimeProvider,
    notify: Notifier,
    hours: Hours,
    now: dt.datetime,
) -> bool:
    """Decide about one waiting visit; every path moves ``check_after`` past ``now``."""
    visit = session.get(Visit, entry.visit_id)
    municipality = session.get(Municipality, entry.municipality_id)
    assert municipality is not None
    if visit is None or visit.status not in CHANGEABLE_STATUSES:
        entry.active = False  # started, finished or cancelled: nothing to wait for
        return False
    tz = clock.zone(municipality.timezone)
    tomorrow = clock.at_local(now.astimezone(tz).date() + dt.timedelta(days=1), hours.start, tz)
    if entry.notices >= waitlist.MAX_NOTICES:
        entry.check_after = max(visit.window_start, now + RECHECK)
        return False
    opens = hours.next_open(now, tz)
    if opens is not None:
        entry.check_after = opens
        return False
    last = entry.last_notice_at
    if last is not None and last.astimezone(tz).date() == now.astimezone(tz).date():
        entry.check_after = tomorrow
        return False
    earlier = earlier_candidates(
        session, municipality=municipality, visit=visit, travel=travel, limit=1, now=now
    )
    if not earlier:
        entry.check_after = now + RECHECK
        return False
    notify(session, visit, "waiting_list_offer", None)
    entry.notices += 1
    entry.last_notice_at = now
    entry.check_after = tomorrow
    log.info("waiting-list notice %d for visit %s queued", entry.notices, visit.id)
    return True
