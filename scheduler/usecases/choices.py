"""What the citizen decides about their booking: what the expert sees, follow-ups, another expert.

Each use case changes the visit and commits; the caller notes the change in the access log.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import service as booking
from scheduler.booking.models import ACTIVE_STATUSES, Visit, VisitEvent
from scheduler.catalog.models import ServiceType
from scheduler.day.locks import bump_day_version, lock_expert_days
from scheduler.errors import Conflict, SlotTaken
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity

log = logging.getLogger("aanhuis.choices")


def set_choices(
    session: Session,
    *,
    visit: Visit,
    share_phone: bool | None = None,
    share_notes: bool | None = None,
    same_expert_followups: bool | None = None,
) -> list[str]:
    """Change the citizen's choices (None leaves one as it is); commits. Returns what changed."""
    changed = []
    for name, value in (
        ("share_phone", share_phone),
        ("share_notes", share_notes),
        ("same_expert_followups", same_expert_followups),
    ):
        if value is not None and getattr(visit, name) != value:
            setattr(visit, name, value)
            changed.append(name)
    if changed:
        visit.updated_at = clock.now()
    session.commit()
    return changed


def ask_other_expert(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    travel: TravelTimeProvider,
) -> Visit:
    """Exclude the visit's expert from it for good, and give the visit to another expert.

    The window stays as promised. When no other expert can keep it, nothing changes and a
    :class:`Conflict` says so (the citizen may choose another time first). Commits.
    """
    expert_id = visit.expert_id
    if expert_id is None or visit.status not in ACTIVE_STATUSES:
        raise Conflict(
            "No expert is assigned to this visit yet.",
            nl="Er is nog geen medewerker aan dit bezoek gekoppeld.",
        )
    booking.require_changeable(visit)
    lock_capacity(session, municipality, exclusive=False)
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    others = set(booking.skill_experts(session, municipality, service, visit.date))
    lock_expert_days(session, municipality, visit.date, others | {expert_id})
    booking.remove_from_plan(session, municipality, visit.id, visit.date, expert_id, travel)
    # The day-plans expert rules (``excluded_expert_ids``): the one model offers, bookings and
    # the routing engine (``excluded_vehicles``) read.
    visit.excluded_expert_ids = sorted({*(visit.excluded_expert_ids or ()), expert_id})
    visit.expert_day_id = None
    visit.expert_id = None
    try:
        booking.place_visit(session, municipality, service, visit, travel, prefer=None)
    except SlotTaken as exc:
        session.rollback()
        raise Conflict(
            "No other expert can come in this window. Choose another time first.",
            nl="Geen andere medewerker kan in dit tijdvak komen. Kies eerst een andere tijd.",
        ) from exc
    bump_day_version(session, municipality, visit.date)
    now = clock.now()
    visit.updated_at = now
    session.add(VisitEvent(visit_id=visit.id, status="other_expert", at=now, actor="citizen"))
    session.commit()
    log.info("visit %s: the citizen asked for another expert", visit.id)
    return visit
