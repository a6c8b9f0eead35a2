"""What a capacity change did to booked visits, shown to the planner.

Every change goes through a capacity or catalogue use case that keeps promises already made. A
change that would break booked visits comes back as :class:`~scheduler.errors.PromisesAtRisk`:
the page lists those visits (reference and window, no personal data) and offers to make the change
anyway and re-plan their days. What that re-plan did — visits moved to colleagues, visits that
could not be kept with the alternatives held for them and the message queued — is shown next, with
a way to move each one on the phone. The page families of capacity (experts, shifts, absences,
closure days, service types) all answer through this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api import audit
from api.runtime import expert_notifier
from api.settings import Settings
from api.web.forms import Form
from api.web.i18n import Translator
from api.web.planner import (
    PlannerPage,
    capitalised,
)
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import offers as offer_service
from scheduler.booking import service as booking
from scheduler.catalog.models import ServiceType
from scheduler.day import shifts as day_shifts
from scheduler.errors import PromisesAtRisk
from scheduler.notify.recipients import recipient_of
from scheduler.notify.templates import format_address, service_name
from scheduler.planning.service import EXPERT_ABSENT, MADE_ROOM, NO_LONGER_FITS
from scheduler.tenants.models import Municipality
from scheduler.usecases import capacity_changes
from scheduler.usecases.notifier import Notifier

#: The planner's words for why a re-plan moved a visit (the re-plan's reason → message key).
REASON_KEYS = {
    EXPERT_ABSENT: "planner.outcome.reason.absent",
    NO_LONGER_FITS: "planner.outcome.reason.changed_day",
    MADE_ROOM: "planner.outcome.reason.made_room",
}


def replan_of(
    pp: PlannerPage,
    settings: Settings,
    travel: TravelTimeProvider,
    notifier: Notifier,
    *,
    enabled: bool,
) -> capacity_changes.Replan:
    """What a change needs to re-plan the visits it breaks (as the API's ``?replan=true``)."""
    return capacity_changes.Replan(
        enabled=enabled,
        travel=travel,
        notify=notifier,
        actor=pp.actor,
        hold_minutes=settings.offer_hold_minutes,
        time_limit=settings.optimize_time_limit,
        tell_experts=expert_notifier(settings),
    )


def wants_replan(form: Form) -> bool:
    return form.get("herplannen") == "ja"


@dataclass(frozen=True)
class AffectedLine:
    reference: str
    date: str
    window: str
    expert: str | None


def affected_lines(
    exc: PromisesAtRisk, session: Session, municipality: Municipality, t: Translator
) -> list[AffectedLine]:
    """The visits a refused change would break (reference, date, window, whose day)."""
    tz = clock.zone(municipality.timezone)
    names = {
        e.id: e.name
        for e in day_shifts.get_experts(session, municipality=municipality, active_only=False)
    }
    out = []
    for item in exc.extra.get("affected", []):
        start, end = item["window_start"], item["window_end"]
        out.append(
            AffectedLine(
                reference=str(item["reference"]),
                date=capitalised(t.date(item["date"])),
                window=t.times(start, end, tz),
                expert=names.get(item["expert_id"]) if item.get("expert_id") else None,
            )
        )
    return out


@dataclass(frozen=True)
class Alternative:
    offer_id: str
    label: str
    expires: str


@dataclass(frozen=True)
class MovedLine:
    reference: str
    window: str
    expert: str | None
    arrival: str | None
    #: Why it left its expert, in the planner's words (None when the re-plan gave no reason).
    reason: str | None = None


@dataclass(frozen=True)
class ListedLine:
    """A visit a re-plan could not keep: whom to call, what was sent, what can be offered."""

    reference: str
    window: str
    service: str
    address: str
    name: str | None
    phone: str | None
    by_email: bool
    alternatives: list[Alternative]


@dataclass
class DayOutcome:
    date: dt.date
    label: str
    moved: list[MovedLine] = field(default_factory=list)
    listed: list[ListedLine] = field(default_factory=list)


def replan_outcome(
    session: Session, municipality: Municipality, outcome: capacity_changes.Outcome, t: Translator
) -> list[DayOutcome]:
    """What re-planning did per date, with the alternatives still held for the visits listed."""
    tz = clock.zone(municipality.timezone)
    names = {
        e.id: e.name
        for e in day_shifts.get_experts(session, municipality=municipality, active_only=False)
    }
    days: list[DayOutcome] = []
    listed_visits = {
        ref: booking.get_for_planner(session, municipality=municipality, reference=ref)
        for day in outcome.replanned
        for ref in day.unplaced
    }
    held = offer_service.held_for(
        session, municipality=municipality, visit_ids=[v.id for v in listed_visits.values()]
    )
    for day in outcome.replanned:
        result = DayOutcome(day.date, capitalised(t.date(day.date, year=True)))
        for ref in day.moved:
            v = booking.get_for_planner(session, municipality=municipality, reference=ref)
            result.moved.append(
                MovedLine(
                    reference=v.reference,
                    window=t.times(v.window_start, v.window_end, tz),
                    expert=names.get(v.expert_id) if v.expert_id is not None else None,
                    arrival=t.time(v.planned_arrival, tz) if v.planned_arrival else None,
                    reason=_reason_text(day.reason_of(ref), t),
                )
            )
        for ref in day.unplaced:
            v = listed_visits[ref]
            service = session.get(ServiceType, v.service_type_id)
            assert service is not None
            # A call list shows name and phone (its purpose is to call); each read is logged.
            audit.note("read", v, ("address", "name", "phone"), "calls", service.code)
            result.listed.append(
                ListedLine(
                    reference=v.reference,
                    window=t.window(v.window_start, v.window_end, tz),
                    service=service_name(service, t.lang),
                    address=format_address(v),
                    name=recipient_of(v).name,
                    phone=recipient_of(v).phone,
                    by_email=bool(recipient_of(v).email),
                    alternatives=[
                        Alternative(
                            o.id,
                            capitalised(t.window(o.window_start, o.window_end, tz)),
                            t.time(o.expires_at, tz),
                        )
                        for o in held.get(v.id, [])
                    ],
                )
            )
        days.append(result)
    return days


def _reason_text(reason: str | None, t: Translator) -> str | None:
    """A re-plan's reason in the planner's words (an unknown one as the re-plan said it)."""
    if reason is None:
        return None
    key = REASON_KEYS.get(reason)
    return t(key) if key is not None else reason


def refused_page(
    pp: PlannerPage,
    session: Session,
    exc: PromisesAtRisk,
    *,
    form: Form,
    action: str,
    back: str,
    what: str,
    section: str,
) -> HTMLResponse:
    """The change breaks booked visits: list them and offer to make it anyway and re-plan."""
    values = {k: v for k, v in form.values.items() if k not in ("csrf", "herplannen")}
    return pp.render(
        "planner/affected.html",
        section=section,
        status=409,
        affected=affected_lines(exc, session, pp.municipality, pp.t),
        action=action,
        values=values,
        back=back,
        what=what,
    )


def outcome_page(
    pp: PlannerPage,
    session: Session,
    outcome: capacity_changes.Outcome,
    *,
    title: str,
    back: str,
    back_label: str,
    section: str,
) -> HTMLResponse:
    """A change went through: say so, and show what re-planning did to booked visits."""
    pp.page.here = back
    return pp.render(
        "planner/outcome.html",
        section=section,
        title=title,
        days=replan_outcome(session, pp.municipality, outcome, pp.t),
        affected=len(outcome.affected),
        # Counted visit by visit from what the re-plans did: moved to a colleague, or listed.
        changed=sum(len(d.moved) + len(d.unplaced) for d in outcome.replanned),
        back=back,
        back_label=back_label,
    )
