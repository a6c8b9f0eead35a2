"""Which booked visits an expert-day can no longer keep: the route check every capacity change
(:mod:`scheduler.usecases.capacity_changes`) and the rota proposal's re-plan list
(:mod:`scheduler.rota.service`) share, so a proposal lists exactly what applying it re-plans.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.model import StepType
from routing.replay import Replay, StopRef
from routing.travel import TravelTimeProvider
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.day.shifts import today_of
from scheduler.day.state import DayState
from scheduler.day.timing import retime
from scheduler.tenants.models import Municipality


def broken_visits(
    state: DayState, travel: TravelTimeProvider, expert_ids: Iterable[int] | None = None
) -> tuple[set[int], set[int]]:
    """Visits whose expert-day cannot be driven as planned, as (unstaffed, infeasible) id sets.

    Unstaffed: the visit's expert does not work that date (any more). Infeasible: the expert works,
    but replaying the stop order breaks a promise or the shift; visits are taken out of the order
    one at a time until the rest replays cleanly: first a visit the expert may not serve, then the
    first that arrives after its window, then the last visit before a break that starts too late,
    else the last visit of the day (shift overrun, too many visits). What remains can be kept.
    """
    wanted = None if expert_ids is None else set(expert_ids)
    unstaffed: set[int] = set()
    infeasible: set[int] = set()
    for eid, day in state.expert_days.items():
        if wanted is not None and eid not in wanted:
            continue
        planned = [
            int(s["id"]) for s in day.stops if s["type"] == "visit" and int(s["id"]) in state.visits
        ]
        if not planned:
            continue
        if eid not in state.shifts or eid not in state.experts:
            unstaffed.update(planned)
            continue
        stops = state.stops(eid)
        while any(k is StepType.VISIT for k, _ in stops):
            timed = retime(state, eid, stops, travel)
            if timed.feasible:
                break
            victim = _victim(state, eid, stops, timed)
            infeasible.add(victim)
            stops = [s for s in stops if s != (StepType.VISIT, victim)]
    return unstaffed, infeasible


def _victim(state: DayState, expert_id: int, stops: Sequence[StopRef], timed: Replay) -> int:
    """The visit to take out of an infeasible order first (see :func:`broken_visits`)."""
    skills = set(state.experts[expert_id].skills)
    order = [i for k, i in stops if k is StepType.VISIT]
    for vid in order:
        if state.services[state.visits[vid].service_type_id].skill not in skills:
            return vid
    breaks = {b.id: b for b in state.shifts[expert_id].breaks}
    last_visit: int | None = None
    for step in timed.route.steps:
        if step.type is StepType.VISIT and step.id is not None:
            v = state.visits[step.id]
            if step.arrival > state.seconds(v.window_end):
                return step.id
            last_visit = step.id
        elif step.type is StepType.BREAK and step.id in breaks:
            rule = breaks[step.id]
            if step.arrival > state.seconds(rule.latest) and last_visit is not None:
                return last_visit
    return order[-1]


def newly_broken(
    before: Collection[int],
    unstaffed_before: Collection[int],
    after: Iterable[int],
    unstaffed_after: Collection[int],
) -> set[int]:
    """The visits a change breaks, from the broken visits before and after it (see
    :func:`broken_visits`): a visit already at risk before is not blamed on the change, unless
    the change takes its expert's whole day away (an absence is a disruption to re-plan)."""
    lost_day = set(unstaffed_after) - set(unstaffed_before)
    return {vid for vid in after if vid in lost_day or vid not in before}


def visit_days(
    session: Session,
    municipality: Municipality,
    *,
    expert_ids: Iterable[int] | None = None,
    dates: Iterable[dt.date] | None = None,
    service_type_id: int | None = None,
) -> dict[dt.date, set[int]]:
    """Upcoming dates with active planned visits, each with the experts holding them."""
    query = (
        select(Visit.date, Visit.expert_id)
        .where(
            Visit.municipality_id == municipality.id,
            Visit.status.in_(ACTIVE_STATUSES),
            Visit.expert_id.is_not(None),
            Visit.date >= today_of(municipality),
        )
        .distinct()
    )
    if expert_ids is not None:
        query = query.where(Visit.expert_id.in_(list(expert_ids)))
    if dates is not None:
        query = query.where(Visit.date.in_(list(dates)))
    if service_type_id is not None:
        query = query.where(Visit.service_type_id == service_type_id)
    out: dict[dt.date, set[int]] = defaultdict(set)
    for day, expert_id in session.execute(query):
        assert expert_id is not None
        out[day].add(expert_id)
    return dict(out)
