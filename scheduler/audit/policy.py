"""Who of the staff sees which of a citizen's data, and when: the one place that decides.

| surface | what it shows | when |
|---|---|---|
| expert's route app | address, service and window of their own visits | always |
| expert's route app | name, phone, contact, needs and notes | from the day of the plan's freeze
  (the municipality's setting; by default the working day before) to the end of the day after
  the visit, unless the citizen withheld phone or notes |
| expert calendar feed | service, address and window | always; never name, phone or notes |
| planners' lists (day view, capacity) | initials and postcode | always |
| planners' full data | everything | on request with a reason, logged |
| call lists and the desk | name and phone | always (their purpose is to call); each read logged |

Pure functions: no database, no settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.booking.models import Visit


def freeze_day(visit_date: dt.date) -> dt.date:
    """The working day before ``visit_date`` (Friday for a Monday, Saturday or Sunday)."""
    day = visit_date - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def expert_window_open(visit_date: dt.date, today: dt.date, opens: dt.date | None = None) -> bool:
    """Whether the expert may see who they visit: from the freeze to the end of the day after.

    ``opens`` is the (local) day the plan of ``visit_date`` freezes, by the municipality's
    setting (:func:`scheduler.day.freeze.freeze_at`); by default :func:`freeze_day`.
    """
    first = freeze_day(visit_date) if opens is None else min(opens, visit_date)
    return first <= today <= visit_date + dt.timedelta(days=1)


@dataclass(frozen=True)
class ExpertView:
    """Which of the visit's personal fields the assigned expert sees today."""

    name: bool
    phone: bool
    contact: bool
    needs: bool
    notes: bool

    def fields(self) -> tuple[str, ...]:
        """The personal fields shown, with the address that is always shown."""
        shown = ["address"]
        shown += [k for k in ("name", "phone", "contact", "needs", "notes") if getattr(self, k)]
        return tuple(sorted(shown))


#: Everything (what a planner's page starts from before it chooses what to show).
EVERYTHING = ExpertView(name=True, phone=True, contact=True, needs=True, notes=True)


def expert_view(visit: Visit, today: dt.date, opens: dt.date | None = None) -> ExpertView:
    """What the assigned expert sees of ``visit`` on ``today`` (the citizen's choices included);
    ``opens``: the day the plan freezes (:func:`expert_window_open`)."""
    open_ = expert_window_open(visit.date, today, opens)
    return ExpertView(
        name=open_,
        phone=open_ and visit.share_phone,
        contact=open_,
        needs=open_,
        notes=open_ and visit.share_notes,
    )


def initials(name: str | None) -> str:
    """The initials of a name for planners' lists ("J.d.V."): enough to tell visits apart."""
    if not name:
        return "–"
    return "".join(f"{part[0]}." for part in name.split() if part)


def list_line(name: str | None, postcode: str | None) -> str:
    """What planners' lists show of a citizen: initials and postcode ("J.d.V. · 3511 AB")."""
    code = (postcode or "").replace(" ", "").upper()
    shown = f"{code[:4]} {code[4:]}".strip() if code else "–"
    return f"{initials(name)} · {shown}"


#: The fields a planners' list line shows (what the access log records for it).
LIST_FIELDS = ("initials", "postcode")
