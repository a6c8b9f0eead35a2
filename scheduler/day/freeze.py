"""When a day's plan freezes: the municipality's freeze time on the working day before.

A day's plan is ``draft`` until its freeze, then ``frozen`` (the experts have their routes; after
it only disruptions change the plan, with the fewest changes). The freeze falls at the
municipality's ``freeze_time`` (local, default 16:00) on the working day (Monday to Friday)
``freeze_days_before`` working days before the date (default 1): Friday 16:00 for a Monday.
"""

from __future__ import annotations

import datetime as dt

from scheduler import clock
from scheduler.tenants.models import Municipality

#: The most working days before its date a plan may freeze (five: a week, weekend included, stays
#: inside the worker's look-ahead, :data:`scheduler.planning.lifecycle.LOOK_AHEAD_DAYS`).
MAX_FREEZE_DAYS_BEFORE = 5


def freeze_at(municipality: Municipality, date: dt.date) -> dt.datetime:
    """The instant (UTC) the plan of ``date`` freezes."""
    day = date
    left = max(0, municipality.freeze_days_before)
    while left:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    local = clock.at_local(day, municipality.freeze_time, clock.zone(municipality.timezone))
    return local.astimezone(dt.UTC)


def is_frozen(municipality: Municipality, date: dt.date, now: dt.datetime | None = None) -> bool:
    """Whether the plan of ``date`` is past its freeze."""
    return (now or clock.now()) >= freeze_at(municipality, date)
