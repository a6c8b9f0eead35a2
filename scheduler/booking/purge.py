"""Retention: personal data is kept only as long as the service needs it.

:func:`purge` is run regularly (``aanhuis purge``, e.g. nightly from cron). It is idempotent: a
second run right after the first changes nothing and reports zeros.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.booking.models import Offer, SpentOffer, Visit, VisitEvent
from scheduler.booking.service import REPLAY_HOURS, wipe_personal_fields
from scheduler.catalog.models import ServiceType

log = logging.getLogger("aanhuis.purge")

#: An offer is deleted this long after it expired, so a citizen who comes back a little late
#: still hears "this offer expired" with fresh alternatives (410) instead of "unknown offer".
OFFER_GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Purged:
    """What one run removed."""

    visits_wiped: int
    offers_deleted: int
    replay_tokens_cleared: int
    #: The wiped visits (reference, municipality id, service code), for the access log.
    wiped: tuple[tuple[str, int, str], ...] = ()


def purge(
    session: Session, *, now: dt.datetime | None = None, offer_grace: dt.timedelta = OFFER_GRACE
) -> Purged:
    """Remove personal data that is no longer needed, in one transaction; commits.

    * Visits whose window ended more than their service type's ``retention_days`` ago lose their
      personal fields (:func:`~scheduler.booking.service.wipe_personal_fields`); the anonymous
      visit stays for statistics.
    * Offers that expired more than ``offer_grace`` ago are deleted (they hold an address).
    * Manage tokens kept for idempotent retries (``replay_token``) are cleared after a day.
    """
    now = now or clock.now()
    wiped = 0
    which: list[tuple[str, int, str]] = []
    for service in session.scalars(select(ServiceType).order_by(ServiceType.id)):
        cutoff = now - dt.timedelta(days=service.retention_days)
        visits = session.scalars(
            select(Visit)
            .where(
                Visit.service_type_id == service.id,
                Visit.window_end < cutoff,
                Visit.erased_at.is_(None),
            )
            .order_by(Visit.id)
        ).all()
        for visit in visits:
            wipe_personal_fields(session, visit, now)
            session.add(
                VisitEvent(
                    visit_id=visit.id, status="erased", at=now, actor="system", detail="retention"
                )
            )
        wiped += len(visits)
        which += [(v.reference, v.municipality_id, service.code) for v in visits]
    offers = session.execute(delete(Offer).where(Offer.expires_at < now - offer_grace))
    # A spent sealed offer is refused by its expiry once expired: its digest is no longer needed.
    session.execute(delete(SpentOffer).where(SpentOffer.expires_at < now))
    tokens = session.execute(
        update(Visit)
        .where(
            Visit.replay_token.is_not(None),
            Visit.created_at < now - dt.timedelta(hours=REPLAY_HOURS),
        )
        .values(replay_token=None)
    )
    session.commit()
    result = Purged(
        visits_wiped=wiped,
        offers_deleted=int(getattr(offers, "rowcount", 0) or 0),
        replay_tokens_cleared=int(getattr(tokens, "rowcount", 0) or 0),
        wiped=tuple(which),
    )
    log.info(
        "purge: %d visits wiped, %d offers deleted, %d replay tokens cleared",
        result.visits_wiped,
        result.offers_deleted,
        result.replay_tokens_cleared,
    )
    return result
