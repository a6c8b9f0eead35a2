"""Day plans: optimise a day into a proposal, apply it, and re-plan a day after a disruption.

Optimising a day is three steps, so that the slow one never runs inside a transaction and can move
to a task queue unchanged:

1. :func:`snapshot_day` reads the day in one short transaction: the planning day's version *first*,
   then the experts, shifts, plans and visits. A change that lands after the version was read bumps
   the version, so the proposal is refused later rather than silently missing it. The snapshot is
   routing values only (frozen dataclasses and numpy arrays: picklable).
2. :func:`plan_day` is a pure function from a snapshot to a :class:`PlanOutcome`: it solves the day
   with OR-Tools warm-started from the current plan, computes before/after figures and guards the
   outcome (a planner is never offered a worse plan). No database, no settings, no I/O.
3. :func:`store_proposal` writes the proposal with the version it was made from and commits.

:func:`propose` runs the three in a row (the API and ``aanhuis plan``). A task queue would take
``(municipality id, date, time limit, actor)`` as its job: the worker opens its own session, calls
:func:`snapshot_day`, commits (ends the read), runs :func:`plan_day` (or ships the pickled snapshot
to a solver process), then :func:`store_proposal`; the API answers ``202`` with a job id and the
planner fetches the proposal by id. Nothing else changes: :func:`apply` already refuses a proposal
whose day moved on, however long the solve took.

:func:`apply` writes a proposal in one transaction. It locks the day's expert-day rows (ascending
expert id, like every booking) and then the planning-day row, and checks that the day still is
what the proposal was computed from (version, capacity, the set of visits, who has started what).
A booking that lands during an apply therefore either waits for it and is then inserted into the
applied plan, or commits first and makes the apply fail with 409: never lost.

:func:`scheduler.usecases.disruption.replan_day` (an expert is absent) takes the same locks
(:func:`lock_day`) first and then solves under them, in the caller's transaction: the absence just
recorded and its re-plan commit together, and a disruption is rare and its solve short.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from routing import model as routing_model
from routing.model import InitialRoute, Objective, Problem, Route, Solution, StepType
from routing.objective import ObjectiveValue, objective_of, route_duration
from routing.replay import StopRef, replay
from routing.solver import SolveParams, solve
from routing.travel import TravelTimeProvider, haversine_m
from scheduler import clock
from scheduler.booking.models import STARTED_STATUSES, VisitEvent, VisitStatus
from scheduler.day import locks as day_locks
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.planning.models import ExpertDay, PlanningDay, Proposal
from scheduler.security import new_id
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity

log = logging.getLogger("aanhuis.planning")

#: Visits the current plan keeps (in a working expert's route) get this routing priority, the
#: others 0: the solver serves the most priority first, so it never gives up a kept promise to
#: take on visits that had no place (a disrupted expert's, or at-risk ones).
KEPT_PRIORITY = 10

Purpose = Literal["optimise", "replan"]

#: How an optimisation may change who visits whom (the API's ``mode``): the engine's modes.
Mode = routing_model.Mode
MODES = routing_model.MODES

#: Stability cost, in seconds of working time, of one visit changing expert in ``balanced`` mode:
#: a move must save at least this much travel and waiting to be proposed. Chosen from the table
#: of ``python -m benchmarks stability`` (README, "Stable day plans").
MOVE_COST = 15 * 60
#: ``balanced`` changes the expert of at most this share of the day's planned visits: its search
#: never takes on a plan with more moves (a plan that reshuffles the day is not applied).
MAX_MOVE_SHARE = 0.2
#: ``balanced`` searches under the cap at this price per move (or the stability cost, when that is
#: lower): a search at the full stability cost from the current plan rarely leaves it (one move
#: seldom pays, a few together do). The moves that do not pay the stability cost are given back
#: afterwards (:func:`_balanced`).
SEARCH_MOVE_COST = 5 * 60
#: Share of ``balanced``'s time for the search that keeps every expert (its start and fallback).
KEEP_SHARE = 0.1
#: Share of ``balanced``'s time for the last search under the cap, at the full stability cost.
PAYING_SHARE = 0.3
#: The stability cost after the freeze, when the expert has been told their route.
TOLD_MOVE_COST = 60 * 60


# --------------------------------------------------------------------------------------------
# Snapshot and the pure optimisation


@dataclass(frozen=True)
class DaySnapshot:
    """One municipality-date as routing values, read in one transaction; picklable.

    ``orders`` are the working experts' current stop orders (with breaks); ``kept`` the visits
    those orders serve; ``visits`` every active visit of the date; ``planned`` the visits that sat
    in any expert's plan (also an absent expert's); ``started`` maps visits an expert has started
    to that expert.
    """

    municipality_id: int
    date: dt.date
    timezone: str
    origin: dt.datetime
    version: int
    capacity_version: int
    problem: Problem
    initial: tuple[InitialRoute, ...]
    orders: Mapping[int, tuple[StopRef, ...]]
    working: tuple[int, ...]
    visits: frozenset[int]
    kept: frozenset[int]
    planned: frozenset[int]
    started: Mapping[int, int | None]
    expert_of: Mapping[int, int | None]
    expert_names: Mapping[int, str]
    #: The day's plan is frozen (the experts have been told their routes).
    frozen: bool = False


@dataclass(frozen=True)
class PlanOutcome:
    """What :func:`plan_day` recommends: a stop order per working expert, and its figures."""

    routes: Mapping[int, tuple[StopRef, ...]]
    timed: Mapping[int, Route]
    unassigned: tuple[int, ...]
    improved: bool
    note: str
    before: dict[str, Any]
    after: dict[str, Any]
    moved: tuple[tuple[int, int | None, int | None], ...] = ()
    newly_planned: tuple[int, ...] = ()
    mode: Mode = "free"
    #: Why each moved visit left its expert (re-plans), by visit id.
    reasons: Mapping[int, str] = field(default_factory=dict)

    @property
    def moves(self) -> int:
        """Visits that change from one expert to another (newly placed ones are not moves)."""
        return sum(1 for _, old, _ in self.moved if old is not None)


#: Why a re-plan moved a visit to another expert (:attr:`PlanOutcome.reasons`; the API reports
#: these words, the planner's pages translate them).
EXPERT_ABSENT = "expert absent"
NO_LONGER_FITS = "no longer fits the expert's changed day"
MADE_ROOM = "made room for an absent expert's visit"
MOVE_REASONS = (EXPERT_ABSENT, NO_LONGER_FITS, MADE_ROOM)


#: How far ahead a day can be planned (no booking horizon comes near).
PLAN_AHEAD_DAYS = 731


def check_date(municipality: Municipality, date: dt.date) -> None:
    """Refuse (:class:`InvalidInput`) a day that has passed or lies beyond the planning horizon."""
    today = clock.local_date(clock.now(), clock.zone(municipality.timezone))
    if date < today:
        raise InvalidInput(
            "This day has passed; only today and later days can be planned.",
            nl="Deze dag is voorbij; alleen vandaag en latere dagen kunnen worden gepland.",
            field="date",
        )
    if date > today + dt.timedelta(days=PLAN_AHEAD_DAYS):
        raise InvalidInput(
            "This day lies too far ahead to plan.",
            nl="Deze dag ligt te ver vooruit om te plannen.",
            field="date",
        )


def _version(session: Session, municipality: Municipality, date: dt.date) -> int:
    version = session.scalar(
        select(PlanningDay.version).where(
            PlanningDay.municipality_id == municipality.id, PlanningDay.date == date
        )
    )
    return version or 0


def current_capacity_version(session: Session, municipality: Municipality) -> int:
    value = session.scalar(
        select(Municipality.capacity_version).where(Municipality.id == municipality.id)
    )
    return value or 0


def snapshot_of(
    state: day_state.DayState, travel: TravelTimeProvider, *, capacity_version: int
) -> DaySnapshot:
    """The snapshot of an already loaded day (``state.version`` must be read before the day)."""
    problem, initial, orders = day_state.problem_of(state, travel)
    kept = frozenset(v for r in initial for v in r.visits)
    # Routing priorities say which promises the current plan keeps (see KEPT_PRIORITY).
    problem = replace(
        problem,
        visits=tuple(
            replace(v, priority=KEPT_PRIORITY if v.id in kept else 0) for v in problem.visits
        ),
    )
    planned = {
        int(s["id"]) for d in state.expert_days.values() for s in d.stops if s["type"] == "visit"
    }
    return DaySnapshot(
        municipality_id=state.municipality.id,
        date=state.date,
        timezone=state.municipality.timezone,
        origin=state.origin,
        version=state.version,
        capacity_version=capacity_version,
        problem=problem,
        initial=tuple(initial),
        orders={e: tuple(o) for e, o in orders.items()},
        working=tuple(sorted(orders)),
        visits=frozenset(state.visits),
        kept=kept,
        planned=frozenset(planned & set(state.visits)),
        started={v.id: v.expert_id for v in state.visits.values() if v.status in STARTED_STATUSES},
        expert_of={v.id: v.expert_id for v in state.visits.values()},
        expert_names={e.id: e.name for e in state.experts.values()},
        frozen=state.frozen,
    )


def snapshot_day(
    session: Session, municipality: Municipality, date: dt.date, travel: TravelTimeProvider
) -> DaySnapshot:
    """Read the day for an optimisation (reads only; the caller ends the transaction)."""
    # The version first: anything committed after this read bumps it, so a proposal made from
    # this snapshot can never be applied over a change it did not see.
    version = _version(session, municipality, date)
    capacity_version = current_capacity_version(session, municipality)
    state = day_state.load_day(session, municipality, date)
    state.version = version
    return snapshot_of(state, travel, capacity_version=capacity_version)


def _stops_of(route: Route) -> tuple[StopRef, ...]:
    return tuple(
        (s.type, s.id)
        for s in route.steps
        if s.type in (StepType.VISIT, StepType.BREAK) and s.id is not None
    )


def _iso(snapshot: DaySnapshot, seconds: int) -> str:
    instant = clock.from_seconds(seconds, snapshot.origin)
    return instant.astimezone(clock.zone(snapshot.timezone)).isoformat()


def _timed(snapshot: DaySnapshot, routes: Mapping[int, Sequence[StopRef]]) -> dict[int, Route]:
    """Replay each working expert's order on the snapshot's matrices (routes with visits only)."""
    out: dict[int, Route] = {}
    for eid in snapshot.working:
        stops = routes.get(eid, ())
        if not any(k is StepType.VISIT for k, _ in stops):
            continue
        out[eid] = replay(snapshot.problem, snapshot.problem.vehicle(eid), stops).route
    return out


def figures(snapshot: DaySnapshot, routes: Mapping[int, Sequence[StopRef]]) -> dict[str, Any]:
    """Travel, distance, waiting, overtime and visits of a plan of the day, in total and per expert.

    Distance is great-circle kilometres along the legs (from the coordinates); travel time comes
    from the travel-time matrices the plan was made with; overtime is how far a route ends after
    its shift (0 for any plan the solver makes, but an old plan may no longer fit a changed shift).
    ``working_seconds`` is travel plus waiting; a route's duration runs from leaving its start to
    its end (travel, service, waiting and breaks); ``balance_seconds`` is the spread (max - min)
    of route duration across the experts who work that day and have visits, as
    :func:`routing.objective.balance_seconds` counts it.
    """
    problem = snapshot.problem
    coords = problem.coordinates
    experts: list[dict[str, Any]] = []
    assigned: set[int] = set()
    totals = {"travel": 0, "distance": 0.0, "waiting": 0, "overtime": 0, "violations": 0}
    durations: list[int] = []
    for eid in snapshot.working:
        vehicle = problem.vehicle(eid)
        stops = routes.get(eid, ())
        visits = [i for k, i in stops if k is StepType.VISIT]
        row: dict[str, Any] = {
            "expert_id": eid,
            "expert": snapshot.expert_names.get(eid, ""),
            "visits": len(visits),
            "travel_seconds": 0,
            "distance_km": 0.0,
            "waiting_seconds": 0,
            "overtime_seconds": 0,
            "working_seconds": 0,
            "duration_seconds": 0,
            "start": None,
            "end": None,
        }
        if visits:
            rep = replay(problem, vehicle, stops)
            route = rep.route
            located = [s.location for s in route.steps if s.location is not None]
            metres = 0.0
            if coords is not None and len(located) > 1:
                pts = [coords[i] for i in located]
                legs = haversine_m(pts, pts)
                metres = float(sum(legs[a, a + 1] for a in range(len(pts) - 1)))
            end = route.steps[-1].departure if route.steps else vehicle.shift.start
            overtime = max(0, end - vehicle.shift.end)
            duration = route_duration(route)
            durations.append(duration)
            row.update(
                travel_seconds=route.travel,
                distance_km=round(metres / 1000, 2),
                waiting_seconds=route.waiting,
                overtime_seconds=overtime,
                working_seconds=route.travel + route.waiting,
                duration_seconds=duration,
                start=_iso(snapshot, route.steps[0].arrival) if route.steps else None,
                end=_iso(snapshot, end),
            )
            totals["travel"] += route.travel
            totals["distance"] += metres
            totals["waiting"] += route.waiting
            totals["overtime"] += overtime
            totals["violations"] += len(rep.violations)
            assigned.update(visits)
        experts.append(row)
    return {
        "travel_seconds": totals["travel"],
        "distance_km": round(totals["distance"] / 1000, 2),
        "waiting_seconds": totals["waiting"],
        "overtime_seconds": totals["overtime"],
        "working_seconds": totals["travel"] + totals["waiting"],
        "balance_seconds": (max(durations) - min(durations)) if durations else 0,
        "visits_assigned": len(assigned),
        "visits_unassigned": len(problem.visits) - len(assigned),
        "violations": totals["violations"],
        "experts": experts,
    }


def _current_routes(snapshot: DaySnapshot) -> dict[int, tuple[StopRef, ...]]:
    return {eid: tuple(snapshot.orders.get(eid, ())) for eid in snapshot.working}


def served_visits(routes: Mapping[int, Sequence[StopRef]]) -> set[int]:
    return {i for stops in routes.values() for k, i in stops if k is StepType.VISIT}


def holders(snapshot: DaySnapshot) -> dict[int, int]:
    """Each visit a working expert's current order serves, and that expert."""
    return {v: r.vehicle for r in snapshot.initial for v in r.visits}


def keepable(snapshot: DaySnapshot) -> set[int]:
    """The working experts whose current order still fits their day (shift, breaks, windows)."""
    problem = snapshot.problem
    return {
        eid
        for eid in snapshot.working
        if replay(problem, problem.vehicle(eid), snapshot.orders.get(eid, ())).feasible
    }


def mode_problem(
    snapshot: DaySnapshot,
    mode: Mode,
    *,
    move_cost: int,
    pin: Iterable[int] | None = None,
) -> Problem:
    """The snapshot's problem with the planner's objective for ``mode``.

    Each visit a working expert serves now carries that expert as its ``current_vehicle``: a
    solution that gives it to another expert moves it, at ``move_cost`` seconds of working time
    in ``balanced`` and 0 in ``free``. The visits of the ``pin`` experts (every working expert in
    ``keep_experts``) are pinned to them: only their order and times change.
    """
    problem = snapshot.problem
    holder = holders(snapshot)
    pinned = set(snapshot.working if pin is None and mode == "keep_experts" else pin or ())
    visits = []
    for v in problem.visits:
        current = holder.get(v.id)
        if v.pinned_vehicle is None and current in pinned:
            v = replace(v, pinned_vehicle=current)
        visits.append(replace(v, current_vehicle=current))
    return replace(
        problem,
        visits=tuple(visits),
        objective=Objective.for_mode(mode, move_cost=move_cost),
    )


def _working(problem: Problem, vehicle_id: int, stops: Sequence[StopRef]) -> int | None:
    """Travel plus waiting of a stop order, or None when it breaks a rule."""
    if not any(k is StepType.VISIT for k, _ in stops):
        return 0
    timed = replay(problem, problem.vehicle(vehicle_id), stops)
    if not timed.feasible:
        return None
    return timed.route.travel + timed.route.waiting


def take_back_moves(
    snapshot: DaySnapshot,
    problem: Problem,
    routes: Mapping[int, Sequence[StopRef]],
    *,
    max_moves: int | None = None,
) -> dict[int, tuple[StopRef, ...]]:
    """Give moved visits back to their current expert where the move does not pay for itself.

    For each visit the plan gives to another expert than its ``current_vehicle``, the cheapest
    feasible place in its current expert's route is found; taking it back costs the change in
    working time (travel plus waiting of both routes) and saves the move's stability cost
    (``problem.objective``). Moves are taken back cheapest first while that saves more than it
    costs, each re-checked on the routes as they are then, in passes until none is taken back.
    What is left are the moves that pay. With ``max_moves``, the moves that save least are then
    taken back too (cheapest first) until at most that many are left, where that is possible.
    """
    objective = problem.objective
    out: dict[int, tuple[StopRef, ...]] = {e: tuple(s) for e, s in routes.items()}
    if objective is None:
        return out
    visits = {v.id: v for v in problem.visits}
    working = {e: _working(problem, e, s) for e, s in out.items()}

    def back(vid: int, now: int) -> tuple[int, tuple[StopRef, ...], tuple[StopRef, ...]] | None:
        """The cost of taking ``vid`` back from ``now``'s route, and both new orders."""
        old = visits[vid].current_vehicle
        if old is None or old not in out or working[now] is None or working[old] is None:
            return None
        without = tuple(x for x in out[now] if x != (StepType.VISIT, vid))
        w_without = _working(problem, now, without)
        if w_without is None:
            return None
        base = (
            out[old]
            if any(k is StepType.VISIT for k, _ in out[old])
            else tuple(x for x in snapshot.orders.get(old, ()) if x[0] is StepType.BREAK)
        )
        best: tuple[int, tuple[StopRef, ...]] | None = None
        for at in range(len(base) + 1):
            order = (*base[:at], (StepType.VISIT, vid), *base[at:])
            w = _working(problem, old, order)
            if w is not None and (best is None or w < best[0]):
                best = (w, order)
        if best is None:
            return None
        delta = w_without + best[0] - working[now] - working[old]  # type: ignore[operator]
        return delta, without, best[1]

    holder = {i: e for e, stops in out.items() for k, i in stops if k is StepType.VISIT}
    changed = True
    while changed:
        changed = False
        costs = []
        for vid, now in holder.items():
            if visits[vid].current_vehicle in (None, now):
                continue
            found = back(vid, now)
            if found is not None:
                costs.append((found[0] - objective.move_cost_of(visits[vid]), vid))
        for _, vid in sorted(costs):
            now = holder[vid]
            found = back(vid, now)
            if found is None or found[0] >= objective.move_cost_of(visits[vid]):
                continue
            old = visits[vid].current_vehicle
            assert old is not None
            out[now], out[old] = found[1], found[2]
            working[now] = _working(problem, now, out[now])
            working[old] = _working(problem, old, out[old])
            holder[vid] = old
            changed = True
    while max_moves is not None:
        moved = [v for v, e in holder.items() if visits[v].current_vehicle not in (None, e)]
        if len(moved) <= max_moves:
            break
        options = [(f[0], vid, f) for vid in moved if (f := back(vid, holder[vid])) is not None]
        if not options:
            break
        _, vid, (_, without, order) = min(options, key=lambda o: (o[0], o[1]))
        now, old = holder[vid], visits[vid].current_vehicle
        assert old is not None
        out[now], out[old] = without, order
        working[now] = _working(problem, now, out[now])
        working[old] = _working(problem, old, out[old])
        holder[vid] = old
    return out


#: Each working expert's stop order.
Routes = dict[int, tuple[StopRef, ...]]


def _routes_of(snapshot: DaySnapshot, solution: Solution) -> Routes:
    routes: Routes = {eid: () for eid in snapshot.working}
    for route in solution.routes:
        routes[route.vehicle] = _stops_of(route)
    return routes


def _objective(
    problem: Problem, snapshot: DaySnapshot, routes: Mapping[int, Sequence[StopRef]]
) -> ObjectiveValue:
    """The planner's objective (``problem.objective``) of a plan, from its replayed routes."""
    timed = _timed(snapshot, routes)
    return objective_of(problem, Solution(tuple(timed.values()), ()))


def _initial_of(routes: Mapping[int, Sequence[StopRef]]) -> tuple[InitialRoute, ...]:
    return tuple(
        InitialRoute(eid, tuple(i for k, i in stops if k is StepType.VISIT))
        for eid, stops in routes.items()
    )


def _balanced(snapshot: DaySnapshot, problem: Problem, params: SolveParams) -> Routes:
    """``balanced``: the shortest plan that moves at most the cap, each move paying its cost.

    1. A search that keeps every expert's visits (:data:`KEEP_SHARE` of the time) improves the
       order and times of each route.
    2. From that plan, a search with a hard cap on moves (``SolveParams.max_moves``: at most
       :data:`MAX_MOVE_SHARE` of the visits served now change expert) at the low price of
       :data:`SEARCH_MOVE_COST` per move (most of the time). The cap keeps the plan
       recognisable; the low price lets the search find the moves that only pay together.
    3. The moves that do not pay the stability cost (``problem.objective``) are given back to
       their expert (:func:`take_back_moves`), and an expert the moves left alone keeps the
       better order of the two searches (:func:`_better_orders`).
    4. From there, a search under the same cap at the stability cost itself
       (:data:`PAYING_SHARE` of the time) spends the room the giving back freed on moves that do
       pay; its moves that do not are given back too. It is kept when it works less.

    The result is proposed when it serves every visit served now, keeps to the cap, has less
    working time than keeping every expert and its objective (working time plus the moves'
    stability cost) is no worse; else the plan that keeps every expert.
    """
    objective = problem.objective
    assert objective is not None
    served_before = set(snapshot.kept)
    cap = int(MAX_MOVE_SHARE * len(served_before))

    def search(p: Problem, share: float, start: Mapping[int, Sequence[StopRef]]) -> Routes:
        limits = replace(params, time_limit=params.time_limit * share, max_moves=cap)
        return _routes_of(snapshot, solve(p, limits, initial=_initial_of(start)))

    kept_problem = mode_problem(snapshot, "keep_experts", move_cost=objective.move_cost)
    kept = _routes_of(
        snapshot,
        solve(
            kept_problem,
            replace(params, time_limit=params.time_limit * KEEP_SHARE),
            initial=snapshot.initial,
        ),
    )
    cheap = replace(
        problem,
        objective=replace(objective, move_cost=min(SEARCH_MOVE_COST, objective.move_cost)),
    )
    plan = search(cheap, 1 - KEEP_SHARE - PAYING_SHARE, kept)
    plan = _better_orders(snapshot, problem, take_back_moves(snapshot, problem, plan), kept)
    working = _working_of(snapshot, plan)
    again = take_back_moves(snapshot, problem, search(problem, PAYING_SHARE, plan))
    if (working_again := _working_of(snapshot, again)) < working:
        plan, working = again, working_again
    kept_key = _objective(problem, snapshot, kept).key
    value = _objective(problem, snapshot, plan)
    if (
        served_before <= served_visits(plan)
        and value.moved <= cap
        and value.key <= kept_key
        and working < _working_of(snapshot, kept)
    ):
        return plan
    return kept


def _better_orders(
    snapshot: DaySnapshot,
    problem: Problem,
    routes: Mapping[int, Sequence[StopRef]],
    other: Mapping[int, Sequence[StopRef]],
) -> Routes:
    """``routes``, with each expert's route replaced by the one in ``other`` where that serves
    the same visits with less working time (routes are independent: the plan only improves)."""
    out = {e: tuple(s) for e, s in routes.items()}
    for eid, stops in other.items():
        mine = out.get(eid)
        if mine is None:
            continue
        same = {i for k, i in stops if k is StepType.VISIT} == {
            i for k, i in mine if k is StepType.VISIT
        }
        if not same:
            continue
        theirs, ours = _working(problem, eid, stops), _working(problem, eid, mine)
        if theirs is not None and (ours is None or theirs < ours):
            out[eid] = tuple(stops)
    return out


def _working_of(snapshot: DaySnapshot, routes: Mapping[int, Sequence[StopRef]]) -> int:
    return int(figures(snapshot, routes)["working_seconds"])


def plan_day(
    snapshot: DaySnapshot,
    params: SolveParams,
    *,
    purpose: Purpose,
    mode: Mode = "balanced",
    move_cost: int | None = None,
) -> PlanOutcome:
    """Solve the day from the snapshot and guard the result. Pure: no database, no I/O.

    The solve is warm-started from the current plan. Started visits are fixed to their expert;
    every promised window, shift and break is a hard constraint of the solver. ``mode`` says how
    visits may change expert (:func:`mode_problem`); ``move_cost`` overrides the stability cost
    of ``balanced`` (:data:`MOVE_COST`, or :data:`TOLD_MOVE_COST` on a frozen day).

    Guard, ``purpose="optimise"``: the outcome is never worse than the current plan. When the
    solver leaves out a visit the current plan serves, or serves the same visits with as much or
    more working time (travel plus waiting), the current routes are kept and the outcome says
    "no improvement". Serving visits that had no place before (at-risk ones) may cost working
    time: serving every visit comes first.

    ``balanced`` (:func:`_balanced`): from a plan that keeps every expert's visits, a search with
    a hard cap (at most :data:`MAX_MOVE_SHARE` of the visits change expert) at a low price per
    move; each move that does not pay its stability cost goes back to its expert; a second
    search under the cap at the stability cost uses the room that freed. It wins over keeping
    every expert when it has less working time and its moves pay.

    ``purpose="replan"``: the day has changed (an expert is absent), so the current plan is not
    an option. The fewest changes: every working expert whose day still fits keeps all of their
    visits (only order and times may change); the visits of absent experts, and of experts whose
    day no longer fits, go to whoever can take them. Each move carries its reason. No promise a
    working expert keeps now may be given up: should the solver ever do so, working experts keep
    their current routes and every other visit is listed.
    """
    current = _current_routes(snapshot)
    before = figures(snapshot, current)
    if move_cost is None:
        move_cost = TOLD_MOVE_COST if snapshot.frozen else MOVE_COST
    keep: set[int] | None = None
    if purpose == "replan":
        keep = keepable(snapshot)
        # The fewest changes: experts whose day still fits keep their visits; the rest may move
        # (at the stability cost), an absent expert's visits have no current expert.
        problem = mode_problem(snapshot, "balanced", move_cost=move_cost, pin=keep)
    else:
        problem = mode_problem(snapshot, mode, move_cost=move_cost)
    served_before = set(snapshot.kept)
    if purpose == "optimise" and mode == "balanced":
        routes = _balanced(snapshot, problem, params)
    else:
        routes = _routes_of(snapshot, solve(problem, params, initial=snapshot.initial))
    served_after = served_visits(routes)
    lost = served_before - served_after
    after = figures(snapshot, routes)
    improved = True
    note = "improved"
    if purpose == "optimise":
        if not snapshot.visits:
            improved, note = False, "no improvement: no visits to plan"
        elif lost and before["violations"]:
            improved, note = False, "no improvement: the current plan no longer fits; re-plan"
        elif lost:
            improved, note = False, "no improvement: the solver would leave visits out"
        elif served_after == served_before and (
            after["working_seconds"] >= before["working_seconds"]
            or _objective(problem, snapshot, routes).key
            >= _objective(problem, snapshot, current).key
        ):
            if before["violations"] and not after["violations"]:
                note = "improved: the current plan no longer fits the day"
            else:
                improved, note = False, "no improvement: the current plan is as short"
    elif lost:
        note = "kept the current routes of the experts who work; the rest is listed"
        routes = {
            eid: stops
            for eid, stops in current.items()
            if replay(snapshot.problem, snapshot.problem.vehicle(eid), stops).feasible
        }
        served_after = served_visits(routes)
        after = figures(snapshot, routes)
    else:
        note = "re-planned with the experts who work"
    if purpose == "optimise" and not improved:
        routes, after, served_after = current, before, served_before
    timed = _timed(snapshot, routes)
    new_expert = {i: eid for eid, stops in routes.items() for k, i in stops if k is StepType.VISIT}
    moved = tuple(
        (vid, snapshot.expert_of.get(vid), new_expert.get(vid))
        for vid in sorted(served_after)
        if snapshot.expert_of.get(vid) != new_expert.get(vid)
    )
    reasons: dict[int, str] = {}
    if purpose == "replan":
        for vid, old, _ in moved:
            if old is None:
                continue
            if old not in snapshot.working:
                reasons[vid] = EXPERT_ABSENT
            elif keep is not None and old not in keep:
                reasons[vid] = NO_LONGER_FITS
            else:
                reasons[vid] = MADE_ROOM
    return PlanOutcome(
        routes=routes,
        timed=timed,
        unassigned=tuple(sorted(snapshot.visits - served_after)),
        improved=improved,
        note=note,
        before=before,
        after=after,
        moved=moved,
        newly_planned=tuple(sorted(served_after - served_before - snapshot.planned)),
        mode=mode if purpose == "optimise" else "keep_experts",
        reasons=reasons,
    )


# --------------------------------------------------------------------------------------------
# Proposals


def _route_json(snapshot: DaySnapshot, eid: int, route: Route | None) -> dict[str, Any]:
    stops = []
    for s in route.steps if route else ():
        if s.type in (StepType.VISIT, StepType.BREAK) and s.id is not None:
            stops.append(
                {
                    "type": "visit" if s.type is StepType.VISIT else "break",
                    "id": s.id,
                    "arrival": _iso(snapshot, s.arrival),
                    "start": _iso(snapshot, s.service_start),
                    "end": _iso(snapshot, s.departure),
                }
            )
    return {"expert_id": eid, "expert": snapshot.expert_names.get(eid, ""), "stops": stops}


def store_proposal(
    session: Session, snapshot: DaySnapshot, outcome: PlanOutcome, *, actor: str
) -> Proposal:
    """Store the outcome as an open proposal for the snapshot's version; commits."""
    plan = {
        "improved": outcome.improved,
        "note": outcome.note,
        "routes": [
            _route_json(snapshot, eid, outcome.timed.get(eid)) for eid in sorted(outcome.routes)
        ],
        "unassigned": list(outcome.unassigned),
        "mode": outcome.mode,
        "moved": [
            {"visit_id": v, "from": a, "to": b, "reason": outcome.reasons.get(v)}
            for v, a, b in outcome.moved
        ],
        "newly_planned": list(outcome.newly_planned),
        # What the day looked like, checked again when the proposal is applied.
        "basis": {
            "capacity_version": snapshot.capacity_version,
            "visits": sorted(snapshot.visits),
            "started": [[v, e] for v, e in sorted(snapshot.started.items())],
        },
    }
    proposal = Proposal(
        id=new_id(),
        municipality_id=snapshot.municipality_id,
        date=snapshot.date,
        base_version=snapshot.version,
        status="open",
        plan=plan,
        before=outcome.before,
        after=outcome.after,
        created_at=clock.now(),
        created_by=actor[:40],
    )
    session.add(proposal)
    session.commit()
    log.info(
        "proposal %s for municipality %s on %s: %s",
        proposal.id,
        snapshot.municipality_id,
        snapshot.date,
        outcome.note,
    )
    return proposal


def propose(
    session: Session,
    *,
    municipality: Municipality,
    date: dt.date,
    travel: TravelTimeProvider,
    time_limit: float,
    actor: str,
    mode: Mode = "balanced",
    move_cost: int | None = None,
) -> Proposal:
    """Optimise a day into a proposal: read, end the transaction, solve, store (commits)."""
    check_date(municipality, date)
    snapshot = snapshot_day(session, municipality, date, travel)
    # End the read before the solve: no lock (SQLite's write lock) is held while OR-Tools works.
    session.commit()
    outcome = plan_day(
        snapshot,
        SolveParams(time_limit=time_limit),
        purpose="optimise",
        mode=mode,
        move_cost=move_cost,
    )
    return store_proposal(session, snapshot, outcome, actor=actor)


def get_proposal(session: Session, *, municipality: Municipality, proposal_id: str) -> Proposal:
    """A proposal of this municipality, or :class:`NotFound`."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.municipality_id != municipality.id:
        raise NotFound(
            "This proposal does not exist.", nl="Dit voorstel bestaat niet.", proposal=proposal_id
        )
    return proposal


# --------------------------------------------------------------------------------------------
# Writing a plan under the day's locks


@dataclass(frozen=True)
class Basis:
    """What a plan was computed from; it may only be written while the day still matches."""

    version: int
    capacity_version: int
    visits: frozenset[int]
    started: Mapping[int, int | None]

    @classmethod
    def of_proposal(cls, proposal: Proposal) -> Basis:
        basis = proposal.plan["basis"]
        return cls(
            proposal.base_version,
            int(basis["capacity_version"]),
            frozenset(int(v) for v in basis["visits"]),
            {int(v): (None if e is None else int(e)) for v, e in basis["started"]},
        )


def lock_day(
    session: Session, municipality: Municipality, date: dt.date, expert_ids: Iterable[int]
) -> tuple[dict[int, ExpertDay], int]:
    """Lock the day: every expert who works or has a plan that day (ascending), then the day row.

    Returns the locked expert-day rows and the day's current version.
    """
    working = day_shifts.shifts_between(session, municipality=municipality, first=date, last=date)
    with_plan = session.scalars(
        select(ExpertDay.expert_id).where(
            ExpertDay.municipality_id == municipality.id, ExpertDay.date == date
        )
    ).all()
    ids = {e for e, _ in working} | set(with_plan) | set(expert_ids)
    locked = day_locks.lock_expert_days(session, municipality, date, ids)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(PlanningDay)
        .values(municipality_id=municipality.id, date=date, version=0)
        .on_conflict_do_nothing(index_elements=["municipality_id", "date"])
    )
    version = session.scalar(
        select(PlanningDay.version)
        .where(PlanningDay.municipality_id == municipality.id, PlanningDay.date == date)
        .with_for_update()
    )
    return locked, version or 0


def _changes(
    session: Session,
    municipality: Municipality,
    state: day_state.DayState,
    basis: Basis,
    version: int,
) -> str | None:
    """Why the locked day no longer matches ``basis``, or None when it does."""
    if version != basis.version:
        return "the day has changed since (a booking, a cancellation or a re-plan)"
    if current_capacity_version(session, municipality) != basis.capacity_version:
        return "experts, shifts or absences have changed since"
    if frozenset(state.visits) != basis.visits:
        return "the visits of the day have changed since"
    started = {v.id: v.expert_id for v in state.visits.values() if v.status in STARTED_STATUSES}
    if started != dict(basis.started):
        return "an expert has started a visit since"
    return None


def write_plan(
    session: Session,
    state: day_state.DayState,
    locked: Mapping[int, ExpertDay],
    routes: Mapping[int, Sequence[StopRef]],
    travel: TravelTimeProvider,
    *,
    taken_out: Iterable[int] = (),
) -> set[int]:
    """Write every expert's new order and times (flush only); returns the visits placed.

    ``taken_out`` visits leave the plan. Any other expert-day keeps only the visits no route
    took over, so every active visit sits in exactly one plan or in none.
    """
    placed: set[int] = set()
    for eid, stops in sorted(routes.items()):
        timed = day_timing.retime(state, eid, stops, travel)
        if not timed.feasible:
            # The snapshot and the locked day matched, so this means the travel times changed.
            raise Conflict(
                "This plan no longer fits the day. Optimise the day again.",
                nl="Dit plan past niet meer op de dag. Optimaliseer de dag opnieuw.",
            )
        day_timing.write_route(session, state, locked[eid], stops, timed, travel=travel)
        placed.update(i for k, i in stops if k is StepType.VISIT)
    gone = placed | set(taken_out)
    now = clock.now()
    for eid, day in locked.items():
        if eid in routes:
            continue
        rest = [s for s in day.stops if not (s["type"] == "visit" and int(s["id"]) in gone)]
        if rest != day.stops:
            if not any(s["type"] == "visit" for s in rest):
                rest = []
                day.break_times = {}
                day.travel_seconds = 0
            day.stops = rest
            day.version += 1
            day.updated_at = now
    session.flush()
    return placed


def apply(
    session: Session,
    *,
    municipality: Municipality,
    proposal_id: str,
    travel: TravelTimeProvider,
    actor: str,
) -> Proposal:
    """Apply a proposal in one transaction, or raise :class:`Conflict` (409) when it is stale.

    Locks the day's expert-day rows (ascending expert id) and then the planning-day row, checks
    that nothing changed since the proposal was made, writes every expert's order and planned
    times, sets the visits to planned, bumps the day's version and commits.
    """
    proposal = get_proposal(session, municipality=municipality, proposal_id=proposal_id)
    check_date(municipality, proposal.date)
    # Lock first, then read the proposal's status: two applies of one day are serialised by the
    # day's locks, and the second must see that the first applied it.
    lock_capacity(session, municipality, exclusive=False)
    locked, version = lock_day(session, municipality, proposal.date, ())
    session.refresh(proposal)
    if proposal.status == "applied":
        raise Conflict(
            "This proposal has already been applied.",
            nl="Dit voorstel is al toegepast.",
            proposal=proposal.id,
        )
    if proposal.status != "open":
        raise Conflict(
            "This proposal is out of date. Optimise the day again.",
            nl="Dit voorstel is verouderd. Optimaliseer de dag opnieuw.",
            proposal=proposal.id,
        )
    routes: dict[int, list[StopRef]] = {
        int(r["expert_id"]): [
            (StepType.VISIT if s["type"] == "visit" else StepType.BREAK, int(s["id"]))
            for s in r["stops"]
        ]
        for r in proposal.plan["routes"]
    }
    date = proposal.date
    state = day_state.load_day(session, municipality, date)
    why = _changes(session, municipality, state, Basis.of_proposal(proposal), version)
    if why is None and not set(routes) <= set(state.shifts) & set(locked):
        why = "an expert of this plan no longer works that day"
    if why is not None:
        proposal.status = "stale"
        session.commit()
        log.info("proposal %s refused: stale", proposal.id)
        raise Conflict(
            f"This proposal is out of date: {why}. Optimise the day again.",
            nl="Dit voorstel is verouderd: de dag is sindsdien gewijzigd. "
            "Optimaliseer de dag opnieuw.",
            proposal=proposal.id,
        )
    placed = write_plan(session, state, locked, routes, travel)
    now = clock.now()
    for vid in sorted(placed):
        visit = state.visits[vid]
        if visit.status is VisitStatus.BOOKED:
            visit.status = VisitStatus.PLANNED
            session.add(VisitEvent(visit_id=vid, status="planned", at=now, actor=actor))
    day_locks.bump_day_version(session, municipality, date)
    proposal.status = "applied"
    proposal.applied_at = now
    session.commit()
    log.info("proposal %s applied (%d visits planned)", proposal.id, len(placed))
    return proposal
