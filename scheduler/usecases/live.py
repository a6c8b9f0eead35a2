"""Live visit status for the citizen: "on the way" and "running late" messages.

The expert's taps in the route app re-time the rest of their day (``scheduler.day.timing``),
which moves each visit's ``planned_arrival``. From that estimate:

* a visit the expert set "on the way" gets one message saying who comes and when (a band of
  20 minutes around the estimate);
* a visit not yet reached whose estimate lies beyond its promised window gets one "running
  late" message while the window is still open, so the citizen hears it before the window ends
  and not after.

The worker sweeps for both each round (:func:`sweep`); only visits reached by e-mail or SMS are
told (a letter would come too late), and never cancelled or finished ones. The live block itself
is :func:`scheduler.booking.live.live_of`.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import Exists

from scheduler.booking.live import COMING
from scheduler.booking.models import Visit, VisitStatus
from scheduler.db import transaction
from scheduler.notify.models import OutboxMessage
from scheduler.notify.recipients import is_reachable_live
from scheduler.usecases.notifier import Notifier

log = logging.getLogger("aanhuis.live")

#: A visit on the way for longer than this is not announced any more (a stale status).
_STALE = dt.timedelta(hours=3)


def _told(kind: str) -> Exists:
    return exists().where(OutboxMessage.visit_id == Visit.id, OutboxMessage.kind == kind)


def sweep(sessions: sessionmaker[Session], *, notify: Notifier, now: dt.datetime) -> int:
    """Queue the "on the way" and "running late" messages that are due; returns how many.

    Idempotent: each visit gets each kind at most once (one transaction, so two workers
    serialise on the visits' rows on PostgreSQL and on the write lock on SQLite)."""
    queued = 0
    with transaction(sessions) as session:
        on_the_way = session.scalars(
            select(Visit)
            .where(
                Visit.status == VisitStatus.ON_THE_WAY,
                Visit.window_end > now - _STALE,
                is_reachable_live(),
                ~_told("on_the_way"),
            )
            .order_by(Visit.id)
            .with_for_update(skip_locked=True)
        ).all()
        for visit in on_the_way:
            notify(session, visit, "on_the_way")
            queued += 1
        late = session.scalars(
            select(Visit)
            .where(
                Visit.status.in_(COMING),
                Visit.window_end > now,
                Visit.planned_arrival.is_not(None),
                Visit.planned_arrival > Visit.window_end,
                is_reachable_live(),
                ~_told("late"),
            )
            .order_by(Visit.id)
            .with_for_update(skip_locked=True)
        ).all()
        for visit in late:
            notify(session, visit, "late")
            queued += 1
    if queued:
        log.info("%d live status message(s) queued", queued)
    return queued
