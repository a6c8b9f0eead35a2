"""Experts' calendar feeds: the secret feed token and the feed behind it.

The feed URL carries a random token; only its SHA-256 is stored (``Expert.feed_token_hash``), so a
database leak does not leak working feed URLs. Issuing a new token rotates it: the old URL stops
working at once (a lost phone, a shared link).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.booking.models import Visit, VisitStatus
from scheduler.calendar import render_feed
from scheduler.capacity.models import Expert
from scheduler.catalog.models import ServiceType
from scheduler.errors import NotFound
from scheduler.security import hash_token, new_token
from scheduler.tenants.models import Municipality

#: The feed shows this many days back (what happened recently) and ahead (what is planned).
DAYS_BACK = 14
DAYS_AHEAD = 56


def issue_feed_token(session: Session, *, expert: Expert) -> str:
    """Give ``expert`` a new feed token and return it (shown once); the old one stops working."""
    token = new_token()
    expert.feed_token_hash = hash_token(token)
    session.flush()
    return token


def get_expert_by_feed_token(session: Session, *, token: str) -> Expert | None:
    """The active expert whose feed token this is, or None."""
    if not token:
        return None
    return session.scalar(
        select(Expert).where(Expert.feed_token_hash == hash_token(token), Expert.active.is_(True))
    )


def feed_visits(
    session: Session,
    *,
    expert: Expert,
    today: dt.date,
    days_back: int = DAYS_BACK,
    days_ahead: int = DAYS_AHEAD,
) -> list[tuple[Visit, ServiceType]]:
    """The expert's visits (not cancelled) from ``days_back`` before ``today`` to ``days_ahead``."""
    rows = session.execute(
        select(Visit, ServiceType)
        .join(ServiceType, ServiceType.id == Visit.service_type_id)
        .where(
            Visit.municipality_id == expert.municipality_id,
            Visit.expert_id == expert.id,
            # A visit waiting for a new window (after a disruption) is in nobody's day plan.
            Visit.expert_day_id.is_not(None),
            Visit.status != VisitStatus.CANCELLED,
            Visit.date >= today - dt.timedelta(days=days_back),
            Visit.date <= today + dt.timedelta(days=days_ahead),
        )
        .order_by(Visit.window_start, Visit.id)
    ).all()
    return [(visit, service) for visit, service in rows]


def expert_feed(session: Session, *, token: str, now: dt.datetime | None = None) -> bytes:
    """The iCalendar feed for the feed token ``token``; NotFound for an unknown or revoked one."""
    expert = get_expert_by_feed_token(session, token=token)
    if expert is None:
        raise NotFound("calendar feed not found", nl="Agenda-feed niet gevonden")
    municipality = session.get(Municipality, expert.municipality_id)
    assert municipality is not None  # a foreign key guarantees it
    now = now or clock.now()
    today = clock.local_date(now, clock.zone(municipality.timezone))
    visits = feed_visits(session, expert=expert, today=today)
    return render_feed(expert, visits, municipality, now=now)
