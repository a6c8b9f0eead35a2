"""An expert reports a visit's status from the road; a visit nobody was home for is followed up.

A use case across domains: the route app changes the status (and re-times the day), booking finds
free windows at the citizen's address, and notify queues the "not home" message that proposes
them, all in the status change's one transaction. The message goes by e-mail, or becomes a phone
task on the planner's call list for a citizen without an e-mail address; the planner's call list
also shows every visit nobody was home for
(:func:`scheduler.route_app.service.not_home_visits`).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import offers as offer_service
from scheduler.booking.models import Visit, VisitStatus
from scheduler.capacity.models import Expert
from scheduler.catalog.models import ServiceType
from scheduler.geocoding import Place
from scheduler.notify.templates import normalise_language, window_words
from scheduler.route_app import service as route_app
from scheduler.route_app.schemas import Language, VisitStop
from scheduler.tenants.models import Municipality
from scheduler.usecases.notifier import Notifier

log = logging.getLogger("aanhuis.route_app")

#: Free windows a "not home" message proposes.
SUGGESTIONS = 3


def report_status(
    session: Session,
    *,
    municipality: Municipality,
    expert: Expert,
    visit_id: int,
    status: VisitStatus,
    at: dt.datetime | None,
    travel: TravelTimeProvider,
    notify: Notifier | None,
    note: str | None = None,
    language: Language = "nl",
) -> VisitStop:
    """Change the visit's status (:func:`scheduler.route_app.service.change_status`, which keeps
    its transitions: ``planned`` → ``not_home`` stays a 409); when nobody was home, queue the
    citizen's "not home" message with free windows (``notify`` None queues nothing)."""
    follow_up = None
    if status is VisitStatus.NOT_HOME and notify is not None:
        sender = notify

        def follow_up(s: Session, visit: Visit) -> None:
            suggestions = free_windows(s, municipality, visit, travel)
            sender(s, visit, "not_home", suggestions=suggestions)
            log.info("visit %s: not home, follow-up queued (%d times)", visit.id, len(suggestions))

    return route_app.change_status(
        session,
        municipality=municipality,
        expert=expert,
        visit_id=visit_id,
        status=status,
        at=at,
        travel=travel,
        language=language,
        note=note,
        follow_up=follow_up,
    )


def free_windows(
    session: Session, municipality: Municipality, visit: Visit, travel: TravelTimeProvider
) -> list[str]:
    """Up to :data:`SUGGESTIONS` free windows for the visit's service at its address, from
    tomorrow on, in the words of the citizen's language (nothing is held: the citizen books)."""
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    place = Place(
        visit.lat,
        visit.lon,
        visit.postcode,
        visit.house_number,
        visit.addition,
        visit.street,
        visit.city,
    )
    tz = clock.zone(municipality.timezone)
    candidates = offer_service.find_candidates(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        earliest=visit.date + dt.timedelta(days=1),
        without_visit=(visit.id, visit.date),
        extra_skills=visit.extra_skills or (),
    )
    lang = normalise_language(visit.language)
    return [
        window_words(c.start, c.end, tz, lang) for c in offer_service.rank(candidates, SUGGESTIONS)
    ]
