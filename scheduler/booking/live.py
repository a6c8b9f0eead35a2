"""The live status of a visit, as its citizen sees it: where the expert is, and when they come.

The expert's taps in the route app re-time the rest of their day, moving each visit's
``planned_arrival``; the expected arrival is a band of 20 minutes around that estimate, on
5 minutes. It is shown while the expert is on the way, and when the estimate has slipped past
the promised window (running late): then the citizen needs the new time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.booking.models import Visit, VisitStatus

#: The arrival is promised within this margin around the estimate.
EXPECTED_MARGIN = dt.timedelta(minutes=10)
#: Visits not yet reached by the expert.
COMING = (VisitStatus.BOOKED, VisitStatus.PLANNED, VisitStatus.ON_THE_WAY)


def expected_instants(visit: Visit) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The expected arrival band (UTC), or (None, None) without an estimate."""
    arrival = visit.planned_arrival
    if arrival is None:
        return None, None
    five = 300
    seconds = round(arrival.timestamp() / five) * five
    centre = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return centre - EXPECTED_MARGIN, centre + EXPECTED_MARGIN


def is_late(visit: Visit) -> bool:
    """The expert is still to come, and the estimate lies beyond the promised window."""
    return (
        visit.status in COMING
        and visit.planned_arrival is not None
        and visit.planned_arrival > visit.window_end
    )


@dataclass(frozen=True)
class Live:
    """What the citizen sees live: the status and, while the expert comes, the expected band."""

    status: str
    expected_from: dt.datetime | None
    expected_until: dt.datetime | None


def live_of(visit: Visit) -> Live:
    """The live status of a visit: the band only while on the way or running late."""
    if visit.status == VisitStatus.ON_THE_WAY or is_late(visit):
        low, high = expected_instants(visit)
        return Live(status=visit.status.value, expected_from=low, expected_until=high)
    return Live(status=visit.status.value, expected_from=None, expected_until=None)
