"""The expert's route app: one expert's day as they see it, status changes from the road, re-timing.

Decisions:

* **Transitions.** An expert moves a visit forward only, one step or a skip where the real world
  skips: ``booked``/``planned`` → ``on_the_way`` or ``arrived`` (walking to the house next door
  needs no "on the way"); ``on_the_way`` → ``arrived`` or ``not_home`` (nobody opens the door);
  ``arrived`` → ``completed`` or ``not_home``. Everything else is a 409, including the same status
  twice and ``planned`` → ``completed``: an expert who forgot to tap "arrived" taps it now with the
  real time (``at``), so punctuality figures never rest on a guessed arrival. ``completed``,
  ``not_home`` and ``cancelled`` are final.
* **One visit at a time.** Starting a visit while another one of the same day is on the way or
  arrived is a 409 naming that visit: finish it first. Two visits in progress would make the
  expert's whereabouts, and so every later estimate, a guess.
* **When.** ``at`` defaults to now; it may lie at most a minute in the future (clock skew), not
  before the local midnight of the visit's date, and not before the visit's previous status.
* **Re-timing.** Every status change re-times the rest of the day from what happened (order
  follows reality, at-risk flags): :mod:`scheduler.day.timing` explains how.
* **Locking.** A status change locks the expert's day row (``lock_expert_days``) before it reads
  the visit again, and bumps the day's version, so optimisation proposals made before are stale.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.model import StepType
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.audit.policy import EVERYTHING, expert_view
from scheduler.booking.models import (
    EXPERT_STATUSES,
    STARTED_STATUSES,
    Visit,
    VisitEvent,
    VisitStatus,
)
from scheduler.booking.needs import describe
from scheduler.capacity.models import Expert
from scheduler.day.freeze import freeze_at
from scheduler.day.locks import bump_day_version, lock_expert_days
from scheduler.day.timing import (
    ExpertDayView,
    Timed,
    forecast,
    load_expert_day,
    retime_from_actuals,
)
from scheduler.errors import Conflict, InvalidInput, NotAllowed, NotFound
from scheduler.notify import feeds
from scheduler.notify.templates import format_address, format_house_number, format_postcode
from scheduler.route_app.schemas import (
    Actuals,
    AddressRead,
    BreakStop,
    Citizen,
    ContactPerson,
    ExpertRef,
    FeedLink,
    Language,
    Navigation,
    NeedRead,
    Point,
    RouteEnd,
    RouteRead,
    RouteStart,
    ServiceRef,
    Shift,
    VisitStop,
    Window,
)
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.route_app")


#: Allowed status changes by the expert (see the module docstring for why).
TRANSITIONS: Mapping[VisitStatus, frozenset[VisitStatus]] = {
    VisitStatus.BOOKED: frozenset({VisitStatus.ON_THE_WAY, VisitStatus.ARRIVED}),
    VisitStatus.PLANNED: frozenset({VisitStatus.ON_THE_WAY, VisitStatus.ARRIVED}),
    VisitStatus.ON_THE_WAY: frozenset({VisitStatus.ARRIVED, VisitStatus.NOT_HOME}),
    VisitStatus.ARRIVED: frozenset({VisitStatus.COMPLETED, VisitStatus.NOT_HOME}),
}
#: How far ``at`` may lie in the future: phones and servers disagree by a few seconds.
FUTURE_TOLERANCE = dt.timedelta(minutes=1)
#: Longest note an expert can add to a status (it is kept in the visit's history).
NOTE_LENGTH = 300

#: Routing profiles to the engines of openstreetmap.org's directions and Google's travel modes.
_OSM_ENGINES = {"car": "fossgis_osrm_car", "bike": "fossgis_osrm_bike", "walk": "fossgis_osrm_foot"}
_GOOGLE_MODES = {"car": "driving", "bike": "bicycling", "walk": "walking"}


def expert_of(session: Session, *, expert_id: int | None) -> tuple[Municipality, Expert]:
    """The expert a user is linked to, with their municipality."""
    expert = session.get(Expert, expert_id) if expert_id is not None else None
    if expert is None:
        raise NotAllowed("Only experts have a route.", nl="Alleen medewerkers hebben een route.")
    municipality = session.get(Municipality, expert.municipality_id)
    assert municipality is not None  # a foreign key guarantees it
    return municipality, expert


def today(municipality: Municipality) -> dt.date:
    """Today in the municipality's time zone."""
    return clock.local_date(clock.now(), clock.zone(municipality.timezone))


def get_route(
    session: Session,
    *,
    municipality: Municipality,
    expert: Expert,
    date: dt.date | None,
    travel: TravelTimeProvider,
    language: Language = "nl",
    for_planner: bool = False,
) -> RouteRead:
    """The expert's stops on ``date`` (today by default) with planned times, legs and flags.

    What the expert sees of each citizen follows :func:`scheduler.audit.policy.expert_view`;
    ``for_planner`` gives everything (a planner's page chooses what it shows).
    """
    date = date or today(municipality)
    view = load_expert_day(session, municipality=municipality, expert=expert, date=date)
    return _route_read(view, travel, language, for_planner)


def _route_read(
    view: ExpertDayView, travel: TravelTimeProvider, language: Language, for_planner: bool = False
) -> RouteRead:
    state = view.state
    tz = state.tz
    now = clock.now()
    plan = forecast(view, travel, now)
    services = state.services
    mode = view.expert.travel_mode.value

    def local(instant: dt.datetime | None) -> dt.datetime | None:
        return instant.astimezone(tz) if instant is not None else None

    def at(seconds: int) -> dt.datetime:
        return state.instant(seconds).astimezone(tz)

    busy = next(
        (
            ref
            for kind, ref in view.order
            if kind is StepType.VISIT and view.visits[ref].status in STARTED_STATUSES
        ),
        None,
    )
    # Statuses can only be set from the day itself on: a future day's visit offers none.
    actionable = view.state.origin <= now + FUTURE_TOLERANCE
    # Who the citizen is shows only around the visit, and never what they withheld.
    today = clock.local_date(now, tz)
    # ... from the day the plan freezes (the municipality's setting) on.
    freezes = freeze_at(state.municipality, state.date).astimezone(tz)
    opens = freezes.date()
    stops: list[VisitStop | BreakStop] = []
    previous = state.expert_point(view.expert.id)
    number = 0
    first_time: dt.datetime | None = None
    last_end: dt.datetime | None = None
    for kind, ref in view.order:
        if kind is StepType.BREAK:
            times = plan.breaks.get(ref)
            start = local(view.stored_break_start(ref)) or (at(times.start) if times else None)
            minutes = _break_minutes(view, ref, times)
            end = start + dt.timedelta(minutes=minutes) if start is not None else None
            stops.append(
                BreakStop(break_id=ref, planned_start=start, planned_end=end, minutes=minutes)
            )
            first_time = first_time or start
            last_end = end or last_end
            continue
        number += 1
        v = view.visits[ref]
        service = services[v.service_type_id]
        times = plan.visits.get(ref)
        arrival = local(v.planned_arrival) or (at(times.arrival) if times else None)
        p_start = local(v.planned_start) or (at(times.start) if times else None)
        p_end = local(v.planned_end) or (at(times.end) if times else None)
        h = view.happened[ref]
        nexts = sorted(TRANSITIONS.get(v.status, frozenset()), key=EXPERT_STATUSES.index)
        if not actionable or (busy is not None and busy != ref):
            nexts = []
        sees = EVERYTHING if for_planner else expert_view(v, today, opens)
        stops.append(
            VisitStop(
                number=number,
                visit_id=v.id,
                reference=v.reference,
                status=v.status,
                service=ServiceRef(
                    code=service.code,
                    name=(service.name_en if language == "en" else "") or service.name_nl,
                    duration_minutes=v.duration_minutes,
                ),
                window=Window(start=v.window_start.astimezone(tz), end=v.window_end.astimezone(tz)),
                planned_arrival=arrival,
                planned_start=p_start,
                planned_end=p_end,
                travel_seconds=plan.legs[ref],
                at_risk=v.at_risk,
                address=AddressRead(
                    street=v.street,
                    house_number=format_house_number(v.house_number, v.addition),
                    postcode=format_postcode(v.postcode),
                    city=v.city,
                    line=format_address(v),
                ),
                location=Point(lat=v.lat, lon=v.lon),
                notes=v.notes if sees.notes else None,
                citizen=Citizen(
                    name=v.citizen_name if sees.name else None,
                    phone=v.citizen_phone if sees.phone else None,
                ),
                contact=_contact(v, phone=sees.phone) if sees.contact else None,
                needs=_needs(v, language) if sees.needs else [],
                shown=list(sees.fields()),
                navigation=navigation(previous, (v.lon, v.lat), mode),
                actual=Actuals(
                    on_the_way=local(h.on_the_way),
                    arrived=local(h.arrived),
                    finished=local(h.finished),
                ),
                next_statuses=nexts,
            )
        )
        previous = (v.lon, v.lat)
        first_time = first_time or (
            arrival - dt.timedelta(seconds=plan.legs[ref]) if arrival else None
        )
        last_end = p_end or last_end

    shift = state.shifts.get(view.expert.id)
    end_arrival = last_end + dt.timedelta(seconds=plan.end_leg) if last_end else None
    start_point, end_point = (
        state.expert_point(view.expert.id),
        state.expert_point(view.expert.id, end=True),
    )
    ends_late = bool(shift and end_arrival and end_arrival > shift.end)
    return RouteRead(
        date=state.date,
        timezone=str(tz.key),
        expert=ExpertRef(id=view.expert.id, name=view.expert.name, travel_mode=mode),
        shift=Shift(start=shift.start.astimezone(tz), end=shift.end.astimezone(tz))
        if shift
        else None,
        version=view.row.version if view.row is not None else 0,
        final=state.frozen,
        changed_at=view.row.changed_at.astimezone(tz)
        if view.row is not None and view.row.changed_at is not None
        else None,
        freezes_at=freezes,
        start=RouteStart(
            label=view.expert.start_label,
            location=Point(lat=start_point[1], lon=start_point[0]),
            departure=first_time,
        ),
        stops=stops,
        end=RouteEnd(
            label=view.expert.end_label or view.expert.start_label,
            location=Point(lat=end_point[1], lon=end_point[0]),
            arrival=end_arrival,
            travel_seconds=plan.end_leg if number else 0,
        ),
        travel_seconds=plan.travel,
        visits=number,
        at_risk=[s.visit_id for s in stops if isinstance(s, VisitStop) and s.at_risk],
        ends_after_shift=ends_late,
    )


def _contact(v: Visit, *, phone: bool) -> ContactPerson | None:
    if v.contact_name is None:
        return None
    relation = v.contact_relation.value if v.contact_relation else None
    return ContactPerson(
        name=v.contact_name, phone=v.contact_phone if phone else None, relation=relation
    )


def _needs(v: Visit, language: Language) -> list[NeedRead]:
    needs = v.needs or []
    texts = describe(needs, language)
    return [
        NeedRead(code=n["code"], detail=n.get("detail"), text=text)
        for n, text in zip(needs, texts, strict=True)
    ]


def _break_minutes(view: ExpertDayView, break_id: int, times: Timed | None) -> int:
    shift = view.state.shifts.get(view.expert.id)
    rule = next((b for b in shift.breaks if b.id == break_id), None) if shift else None
    if rule is not None:
        return rule.minutes
    return (times.end - times.start) // 60 if times else 0


def navigation(origin: tuple[float, float], target: tuple[float, float], mode: str) -> Navigation:
    """Navigation links to ``target`` (lon, lat); OpenStreetMap's route starts at ``origin``."""
    lon, lat = target
    to = f"{lat:.6f},{lon:.6f}"
    osm = urllib.parse.urlencode(
        {
            "engine": _OSM_ENGINES.get(mode, _OSM_ENGINES["car"]),
            "route": f"{origin[1]:.6f},{origin[0]:.6f};{to}",
        },
        safe=",;",
    )
    google = urllib.parse.urlencode(
        {"api": "1", "destination": to, "travelmode": _GOOGLE_MODES.get(mode, "driving")},
        safe=",",
    )
    return Navigation(
        geo=f"geo:{to}",
        openstreetmap=f"https://www.openstreetmap.org/directions?{osm}",
        google_maps=f"https://www.google.com/maps/dir/?{google}",
    )


def change_status(
    session: Session,
    *,
    municipality: Municipality,
    expert: Expert,
    visit_id: int,
    status: VisitStatus,
    at: dt.datetime | None,
    travel: TravelTimeProvider,
    language: Language = "nl",
    note: str | None = None,
    follow_up: Callable[[Session, Visit], None] | None = None,
) -> VisitStop:
    """The expert sets a visit's status; the rest of their day is re-timed. One transaction.

    ``note`` (what the expert saw, say "briefje in de bus gedaan") is kept with the status in the
    visit's history. ``follow_up`` runs inside the same transaction after the change (a use case
    queues the citizen's message there), so the status and what it causes commit together.

    Raises NotFound for a visit that is not the expert's, Conflict for a transition that is not
    allowed (or a second visit in progress), InvalidInput for a bad ``at`` or a note that is too
    long.
    """
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LENGTH:
        raise InvalidInput(
            f"Keep the note under {NOTE_LENGTH} characters.",
            nl=f"Houd de notitie korter dan {NOTE_LENGTH} tekens.",
        )
    if status not in EXPERT_STATUSES:
        raise InvalidInput(
            f"An expert sets one of {', '.join(s.value for s in EXPERT_STATUSES)}.",
            nl=f"Kies een van {', '.join(s.value for s in EXPERT_STATUSES)}.",
        )
    now = clock.now()
    visit = _own_visit(session, expert, visit_id)
    date = visit.date
    lock_expert_days(session, municipality, date, [expert.id])
    # Under the lock: the visit as it is now (another status change may just have committed).
    session.refresh(visit)
    if visit.expert_id != expert.id or visit.date != date:
        raise _not_yours()
    when = _check_time(visit, at, now, clock.zone(municipality.timezone))
    allowed = TRANSITIONS.get(visit.status, frozenset())
    if status not in allowed:
        raise Conflict(
            f"A visit that is {visit.status.value} cannot become {status.value}.",
            nl=f"Een bezoek met status {visit.status.value} kan niet {status.value} worden.",
            current=visit.status.value,
            allowed=sorted(a.value for a in allowed),
        )
    view = load_expert_day(session, municipality=municipality, expert=expert, date=date)
    if visit.id not in view.visits:
        raise _not_yours()
    last = view.happened[visit.id].last
    if last is not None and when < last:
        raise InvalidInput(
            "This time lies before the visit's previous status.",
            nl="Deze tijd ligt vóór de vorige status van het bezoek.",
        )
    if status in STARTED_STATUSES:
        busy = [
            ref
            for kind, ref in view.order
            if kind is StepType.VISIT
            and ref != visit.id
            and view.visits[ref].status in STARTED_STATUSES
        ]
        if busy:
            raise Conflict(
                "Another visit is still in progress: finish it first.",
                nl="Er loopt nog een ander bezoek: rond dat eerst af.",
                in_progress=busy,
            )
    visit.status = status
    visit.updated_at = now
    session.add(
        VisitEvent(
            visit_id=visit.id,
            status=status.value,
            at=when,
            actor=f"expert:{expert.id}",
            detail=note,
        )
    )
    session.flush()
    plan = retime_from_actuals(
        session, municipality=municipality, expert=expert, date=date, travel=travel, force=True
    )
    assert plan is not None  # forced
    bump_day_version(session, municipality, date)
    if follow_up is not None:
        follow_up(session, visit)
    session.commit()
    log.info(
        "visit %s: %s by expert %s (%d at risk)",
        visit.id,
        status.value,
        expert.id,
        sum(plan.at_risk.values()),
    )
    route = _route_read(
        load_expert_day(session, municipality=municipality, expert=expert, date=date),
        travel,
        language,
    )
    return next(s for s in route.stops if isinstance(s, VisitStop) and s.visit_id == visit.id)


def _not_yours() -> NotFound:
    # The same answer as for a visit that does not exist: ids of others' visits reveal nothing.
    return NotFound("You have no such visit.", nl="U heeft zo'n bezoek niet.")


def _own_visit(session: Session, expert: Expert, visit_id: int) -> Visit:
    visit = session.get(Visit, visit_id)
    if (
        visit is None
        or visit.municipality_id != expert.municipality_id
        or visit.expert_id != expert.id
        or visit.expert_day_id is None
    ):
        raise _not_yours()
    return visit


def _check_time(
    visit: Visit, at: dt.datetime | None, now: dt.datetime, tz: ZoneInfo
) -> dt.datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        raise InvalidInput("Give the time with its UTC offset.", nl="Geef de tijd met UTC-offset.")
    at = at.astimezone(dt.UTC)
    if at > now + FUTURE_TOLERANCE:
        raise InvalidInput("This time lies in the future.", nl="Deze tijd ligt in de toekomst.")
    if at < clock.local_midnight(visit.date, tz):
        raise InvalidInput(
            "This time lies before the day of the visit.",
            nl="Deze tijd ligt vóór de dag van het bezoek.",
        )
    return at


def feed_link(session: Session, *, expert: Expert, base_url: str) -> FeedLink:
    """The expert's feed address: issued on first use, after that only known to the expert.

    Only the token's hash is stored, so an existing address cannot be shown again; a lost one is
    replaced with :func:`rotate_feed_link`.
    """
    if expert.feed_token_hash is not None:
        return FeedLink(active=True, url=None, webcal_url=None)
    return rotate_feed_link(session, expert=expert, base_url=base_url)


def rotate_feed_link(session: Session, *, expert: Expert, base_url: str) -> FeedLink:
    """A new feed address for the expert; the old one stops working at once. Commits."""
    token = feeds.issue_feed_token(session, expert=expert)
    session.commit()
    log.info("calendar feed issued for expert %s", expert.id)
    return _feed_link(base_url, token)


def _feed_link(base_url: str, token: str) -> FeedLink:
    url = f"{base_url.rstrip('/')}/feeds/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    return FeedLink(active=True, url=url, webcal_url=webcal)


def not_home_visits(
    session: Session, *, municipality: Municipality, since: dt.date
) -> list[tuple[Visit, str | None]]:
    """The visits nobody was home for from ``since`` on, newest first, each with the expert's
    note: whom to call back."""
    visits = list(
        session.scalars(
            select(Visit)
            .where(
                Visit.municipality_id == municipality.id,
                Visit.status == VisitStatus.NOT_HOME,
                Visit.date >= since,
            )
            .order_by(Visit.date.desc(), Visit.window_start.desc(), Visit.id)
        )
    )
    notes: dict[int, str | None] = {}
    if visits:
        for event in session.scalars(
            select(VisitEvent)
            .where(
                VisitEvent.visit_id.in_([v.id for v in visits]),
                VisitEvent.status == VisitStatus.NOT_HOME.value,
            )
            .order_by(VisitEvent.at)
        ):
            notes[event.visit_id] = event.detail
    return [(v, notes.get(v.id)) for v in visits]
