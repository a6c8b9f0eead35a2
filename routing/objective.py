"""The planner's objective, measured on a solution: pure functions the scheduler can use.

See :class:`routing.model.Objective` for what is minimised. Every figure here comes from the
solution's routes as reported (replayed routes for the solver's own solutions), so the numbers
shown to a planner are the ones the solver compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.model import Objective, Problem, Route, Solution


@dataclass(frozen=True, slots=True)
class ObjectiveValue:
    """The terms of the objective for one solution (seconds unless said otherwise).

    ``key`` orders solutions: more served priority, then more served visits, then a lower
    ``total``.
    """

    served_priority: int
    served: int
    travel: int
    waiting: int
    working: int
    moved: int
    move_cost: int
    not_preferred: int
    preferred_cost: int
    balance: int
    total: float

    @property
    def key(self) -> tuple[int, int, float]:
        return (-self.served_priority, -self.served, self.total)


def route_duration(route: Route) -> int:
    """Travel, service, waiting and breaks of a route (replayed routes count breaks as service)."""
    return route.travel + route.service + route.waiting


def working_seconds(solution: Solution) -> int:
    """Working time as the objective counts it: travel plus waiting, summed over the routes."""
    return sum(r.travel + r.waiting for r in solution.routes)


def balance_seconds(solution: Solution) -> int:
    """Spread (max - min) of route duration across the vehicles that serve at least one visit."""
    durations = [route_duration(r) for r in solution.routes if r.visit_ids]
    return max(durations) - min(durations) if durations else 0


def moved_visits(problem: Problem, solution: Solution) -> list[int]:
    """Ids of the served visits whose vehicle differs from their ``current_vehicle``, in the order
    of ``problem.visits``. A visit that was not planned before (no current vehicle) is no move,
    and neither is a visit left unserved."""
    vehicle_of = {vid: r.vehicle for r in solution.routes for vid in r.visit_ids}
    return [
        v.id
        for v in problem.visits
        if v.current_vehicle is not None
        and v.id in vehicle_of
        and vehicle_of[v.id] != v.current_vehicle
    ]


def objective_of(
    problem: Problem, solution: Solution, objective: Objective | None = None
) -> ObjectiveValue:
    """All terms of ``objective`` (default: the problem's, else a ``balanced`` one) for
    ``solution``."""
    obj = objective or problem.objective or Objective()
    visits = {v.id: v for v in problem.visits}
    served_priority = served = 0
    move_cost = preferred_cost = not_preferred = 0
    for route in solution.routes:
        for vid in route.visit_ids:
            visit = visits.get(vid)
            if visit is None:
                continue
            served += 1
            served_priority += visit.priority
            if visit.current_vehicle is not None and visit.current_vehicle != route.vehicle:
                move_cost += obj.move_cost_of(visit)
            if visit.preferred_vehicle is not None and visit.preferred_vehicle != route.vehicle:
                not_preferred += 1
                preferred_cost += obj.preferred_cost
    travel = solution.travel
    waiting = solution.waiting
    working = travel + waiting
    balance = balance_seconds(solution)
    total = working + move_cost + preferred_cost + obj.balance_weight * balance
    return ObjectiveValue(
        served_priority=served_priority,
        served=served,
        travel=travel,
        waiting=waiting,
        working=working,
        moved=len(moved_visits(problem, solution)),
        move_cost=move_cost,
        not_preferred=not_preferred,
        preferred_cost=preferred_cost,
        balance=balance,
        total=float(total),
    )
