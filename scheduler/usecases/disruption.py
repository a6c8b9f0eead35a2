"""Disruption: re-plan a day with the experts who still work, and offer the rest new times.

A use case across domains: planning (solve and write the day), booking (alternatives as offers
at the citizen's address) and notify (a "disruption" message per visit taken out of the plan).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from routing.solver import SolveParams
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import offers as offer_service
from scheduler.booking.models import Offer, Visit, VisitEvent, VisitStatus
from scheduler.catalog.models import ServiceType
from scheduler.day.locks import bump_day_version
from scheduler.day.state import excluded_experts, load_day
from scheduler.geocoding import Place
from scheduler.planning import service as planning
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity
from scheduler.usecases.notifier import ExpertNotifier, Notifier

log = logging.getLogger("aanhuis.planning")


#: Seconds a re-plan may solve when the caller does not say.
REPLAN_TIME_LIMIT = 3.0


#: Alternatives offered per visit a re-plan cannot keep.
ALTERNATIVES = 5


@dataclass(frozen=True)
class MovedVisit:
    """A visit a re-plan gave to another expert (its window is unchanged)."""

    visit_id: int
    reference: str
    from_expert_id: int | None
    to_expert_id: int | None
    #: Why it left its expert: "expert absent", or why it could not stay.
    reason: str | None = None


@dataclass
class ListedVisit:
    """A visit the re-plan could not keep: out of the plan, at risk, with fresh alternatives."""

    visit: Visit
    alternatives: list[Offer]
    #: Whether this re-plan queued a disruption message (not when it was already out of a plan).
    notified: bool

    @property
    def reference(self) -> str:
        return self.visit.reference


@dataclass
class ReplanResult:
    """What a re-plan did: who moved to whom, what is listed, and the figures before and after."""

    date: dt.date
    version: int
    note: str
    before: dict[str, Any]
    after: dict[str, Any]
    moved: list[MovedVisit] = field(default_factory=list)
    #: Visits that stay in a route (moved or not).
    kept: int = 0
    listed: list[ListedVisit] = field(default_factory=list)
    #: Experts whose route changed (visits or their order); each was notified in the route app
    #: (``changed_at``) and, on a frozen day, sent a "route changed" message
    #: (:mod:`scheduler.notify.experts`).
    experts_notified: list[int] = field(default_factory=list)
    #: The day's plan was frozen (the experts had their routes).
    frozen: bool = False

    @property
    def unplaced(self) -> list[ListedVisit]:
        """The listed visits (the name the capacity module reads)."""
        return self.listed


def replan_day(
    session: Session,
    *,
    municipality: Municipality,
    date: dt.date,
    travel: TravelTimeProvider,
    notify: Notifier | None,
    actor: str,
    hold_minutes: int = 10,
    time_limit: float = REPLAN_TIME_LIMIT,
    tell_experts: ExpertNotifier | None = None,
) -> ReplanResult:
    """Re-plan a day with the experts who still work (after an absence), in one transaction.

    Visits colleagues can take move to them, inside their promised windows. Visits that cannot be
    kept leave the plan (``expert_day_id`` None, ``at_risk``; never cancelled) and are listed with
    fresh alternative windows at their address, held ``hold_minutes``; a "disruption" message is
    queued (``notify``; None queues nothing) for each visit this re-plan took out of a plan. Every
    active visit of the day ends up in a route or in the list. On a frozen day (the experts have
    their routes as final) each expert whose route changed is told (``tell_experts``; None tells
    no one); a draft day's routes are not final yet, so nobody is.

    Alternatives cover the booking horizon from now, the day itself included: a later window that
    same day (another expert, the afternoon) is often what helps a citizen most (a death to
    register, an urgent intake); days after follow, ranked and spread as for any offer.

    The re-plan joins the caller's transaction (so an absence just recorded and its re-plan commit
    together), locks the day (expert-day rows in ascending expert id, then the planning-day row),
    solves under the lock (a disruption is rare and its solve is short: ``time_limit``), writes,
    and commits. Call it before touching the planning-day row in the same transaction, or the lock
    order differs from a booking's.
    """
    planning.check_date(municipality, date)
    lock_capacity(session, municipality, exclusive=False)
    locked, version = planning.lock_day(session, municipality, date, ())
    state = load_day(session, municipality, date)
    state.version = version
    snapshot = planning.snapshot_of(
        state, travel, capacity_version=planning.current_capacity_version(session, municipality)
    )
    outcome = planning.plan_day(snapshot, SolveParams(time_limit=time_limit), purpose="replan")
    routes_before = {
        eid: [int(s["id"]) for s in day.stops if s["type"] == "visit"]
        for eid, day in state.expert_days.items()
    }
    taken_out = sorted(snapshot.visits - planning.served_visits(outcome.routes))
    placed = planning.write_plan(
        session, state, locked, outcome.routes, travel, taken_out=taken_out
    )
    now = clock.now()
    for vid in taken_out:
        visit = state.visits[vid]
        visit.expert_day_id = None
        visit.expert_id = None
        visit.planned_arrival = visit.planned_start = visit.planned_end = None
        visit.at_risk = True
        # Out of any plan, the visit is a booking again (it was never cancelled).
        visit.status = VisitStatus.BOOKED
        visit.updated_at = now
    session.flush()
    # Nothing is ever lost: every active visit of the day is in a route or taken out (listed).
    assert placed | set(taken_out) == set(state.visits), "a re-plan lost a visit"
    listed: list[ListedVisit] = []
    for vid in taken_out:
        visit = state.visits[vid]
        fresh = vid in snapshot.planned
        if fresh:
            session.add(
                VisitEvent(
                    visit_id=vid,
                    status="disrupted",
                    at=now,
                    actor=actor,
                    detail="taken out of the plan: no expert who works can keep the window",
                )
            )
        # The alternatives first: the disruption message lists the first of them.
        alternatives = _alternatives(session, municipality, visit, travel, hold_minutes)
        if fresh and notify is not None:
            notify(session, visit, "disruption")
        listed.append(ListedVisit(visit, alternatives, fresh and notify is not None))
    # Every expert whose route changed hears of it in the route app (and the calendar feed
    # follows the visits).
    notified: list[int] = []
    counts: dict[int, tuple[int, int]] = {}
    for eid, day in sorted(locked.items()):
        after = [int(s["id"]) for s in day.stops if s["type"] == "visit"]
        if after != routes_before.get(eid, []):
            day.changed_at = now
            notified.append(eid)
            counts[eid] = (len(routes_before.get(eid, [])), len(after))
    bump_day_version(session, municipality, date)
    if snapshot.frozen and tell_experts is not None:
        for eid in notified:
            tell_experts(
                session,
                municipality=municipality,
                expert_id=eid,
                date=date,
                version=version + 1,
                before=counts[eid][0],
                after=counts[eid][1],
            )
    session.commit()
    log.info(
        "re-plan of municipality %s on %s: %d moved, %d listed, %d experts notified",
        municipality.id,
        date,
        len(outcome.moved),
        len(listed),
        len(notified),
    )
    return ReplanResult(
        date=date,
        version=version + 1,
        note=outcome.note,
        before=outcome.before,
        after=outcome.after,
        moved=[
            MovedVisit(vid, state.visits[vid].reference, old, new, outcome.reasons.get(vid))
            for vid, old, new in outcome.moved
        ],
        kept=len(placed),
        listed=listed,
        experts_notified=notified,
        frozen=snapshot.frozen,
    )


def _alternatives(
    session: Session,
    municipality: Municipality,
    visit: Visit,
    travel: TravelTimeProvider,
    hold_minutes: int,
) -> list[Offer]:
    """Offers for the visit's service at its address, as a reschedule of it (flush only).

    These are :func:`~scheduler.booking.offers.make_offers`'s own steps without its commit, so
    the alternatives are part of the re-plan's transaction and see the new plan.
    """
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    place = Place(
        visit.lat,
        visit.lon,
        visit.postcode,
        visit.house_number,
        visit.addition,
        visit.street,
        visit.city,
    )
    candidates = offer_service.find_candidates(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        without_visit=(visit.id, visit.date),
        extra_skills=visit.extra_skills or (),
        skip_start=visit.window_start,
        excluding=excluded_experts(visit),
    )
    return offer_service.create_offers(
        session,
        municipality=municipality,
        service=service,
        place=place,
        chosen=offer_service.rank(candidates, ALTERNATIVES),
        hold_minutes=hold_minutes,
        reschedule_of=visit.id,
    )
