"""The waiting list's data: who waits, who is due for a look, and what it achieved.

Functions here only flush; the use cases in :mod:`scheduler.usecases.waitlist` (join, leave,
sweep) and :mod:`scheduler.usecases.booking` (cancel, erase, reschedule) commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from scheduler.booking.models import Visit
from scheduler.tenants.models import Municipality
from scheduler.waitlist.models import WaitlistEntry

#: At most this many notices per visit, in total.
MAX_NOTICES = 3


def get(session: Session, *, visit: Visit) -> WaitlistEntry | None:
    """The visit's entry (active or not), if it ever joined."""
    return session.scalar(select(WaitlistEntry).where(WaitlistEntry.visit_id == visit.id))


def is_waiting(session: Session, *, visit: Visit) -> bool:
    entry = get(session, visit=visit)
    return entry is not None and entry.active


def join(session: Session, *, visit: Visit, now: dt.datetime) -> WaitlistEntry:
    """Put the visit on the waiting list (again); it is looked at by the next sweep.

    Joining twice changes nothing. Notices sent before count towards :data:`MAX_NOTICES`.
    """
    entry = get(session, visit=visit)
    if entry is None:
        entry = WaitlistEntry(
            municipality_id=visit.municipality_id,
            visit_id=visit.id,
            service_type_id=visit.service_type_id,
            active=True,
            joined_at=now,
            check_after=now,
            notices=0,
        )
        session.add(entry)
    elif not entry.active:
        entry.active = True
        entry.joined_at = now
        entry.check_after = now
        entry.moved_at = None
    session.flush()
    return entry


def leave(session: Session, *, visit: Visit) -> None:
    """Take the visit off the waiting list (its notice count stays)."""
    entry = get(session, visit=visit)
    if entry is not None and entry.active:
        entry.active = False
        session.flush()


def clear(session: Session, *, visit: Visit) -> None:
    """Remove the visit's entry altogether (a cancelled or erased visit waits for nothing).

    A success stays counted: it is the record that the list worked, and names nobody.
    """
    session.execute(
        delete(WaitlistEntry).where(
            WaitlistEntry.visit_id == visit.id, WaitlistEntry.moved_at.is_(None)
        )
    )


def record_move(
    session: Session, *, visit: Visit, old_start: dt.datetime, now: dt.datetime
) -> None:
    """A waiting visit moved to an earlier window after a notice: the list worked, it ends."""
    entry = get(session, visit=visit)
    if entry is None or not entry.active:
        return
    if entry.notices > 0 and visit.window_start < old_start:
        entry.active = False
        entry.moved_at = now
    else:
        entry.check_after = now  # its place changed: look again
    session.flush()


def wake(session: Session, *, municipality_id: int, service_type_id: int, now: dt.datetime) -> None:
    """A window of this service freed up: the next sweep looks at every waiting visit of it."""
    session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.municipality_id == municipality_id,
            WaitlistEntry.service_type_id == service_type_id,
            WaitlistEntry.active.is_(True),
            WaitlistEntry.check_after > now,
        )
        .values(check_after=now)
    )


def due(session: Session, *, now: dt.datetime, limit: int) -> Sequence[WaitlistEntry]:
    """Active entries due for a look, oldest due first, claimed (``SKIP LOCKED`` on PostgreSQL)
    so that two workers never look at the same entry at once."""
    return session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.active.is_(True), WaitlistEntry.check_after <= now)
        .order_by(WaitlistEntry.check_after, WaitlistEntry.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def size(session: Session, *, municipality: Municipality) -> int:
    """How many visits wait for an earlier time now."""
    return (
        session.scalar(
            select(func.count(WaitlistEntry.id)).where(
                WaitlistEntry.municipality_id == municipality.id, WaitlistEntry.active.is_(True)
            )
        )
        or 0
    )


def successes(
    session: Session, *, municipality: Municipality, since: dt.datetime, until: dt.datetime
) -> int:
    """How many waiting visits moved to an earlier window after a notice in [since, until)."""
    return (
        session.scalar(
            select(func.count(WaitlistEntry.id)).where(
                WaitlistEntry.municipality_id == municipality.id,
                WaitlistEntry.moved_at >= since,
                WaitlistEntry.moved_at < until,
            )
        )
        or 0
    )
