"""Run the peers (VROOM through pyvroom, PyVRP) on our problem model.

Each peer's routes are turned back into route orders and replayed with :mod:`routing.replay`,
so every solver's travel is measured the same way and every solution is checked by the same
semantics. VROOM's own output (its reported times) is also judged by :func:`routing.check.check`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from routing.check import check
from routing.model import Problem, StepType
from routing.replay import replay


@dataclass(frozen=True)
class Outcome:
    """One solver's result on one problem, replayed by us.

    ``violations`` counts what :func:`routing.replay.replay` finds in the route orders;
    ``checked`` what :func:`routing.check.check` finds in the solver's own VROOM-format output
    (``None`` when there is none to check).
    """

    served: int
    cost: int
    travel: int
    seconds: float
    violations: int
    served_ids: frozenset[int] = frozenset()
    checked: int | None = None


def evaluate(
    problem: Problem, orders: dict[int, list[tuple[StepType, int]]], seconds: float
) -> Outcome:
    """Replay each vehicle's order of stops; count served visits, cost, travel, violations."""
    served = cost = travel = bad = 0
    ids: set[int] = set()
    for veh in problem.vehicles:
        stops = orders.get(veh.id)
        if not stops:
            continue
        rep = replay(problem, veh, stops)
        bad += len(rep.violations)
        served += len(rep.route.visit_ids)
        ids.update(rep.route.visit_ids)
        cost += rep.route.cost
        travel += rep.route.travel
    return Outcome(served, cost, travel, seconds, bad, frozenset(ids))


def vroom_solve(problem: Problem, exploration_level: int = 5) -> Outcome:
    """VROOM (pyvroom) with one thread; pinned visits become a skill of their vehicle only."""
    import vroom

    inp = vroom.Input()
    for name, m in problem.matrices.items():
        inp.set_durations_matrix(profile=name, matrix_input=np.asarray(m.durations))
        if m.costs is not None:
            inp.set_costs_matrix(profile=name, matrix_input=np.asarray(m.costs))
    pin_skill = {v.id: 10_000 + k for k, v in enumerate(problem.vehicles)}
    pinned_vehicles = {j.pinned_vehicle for j in problem.visits if j.pinned_vehicle is not None}
    vehicles = []
    for v in problem.vehicles:
        skills = set(v.skills)
        if v.id in pinned_vehicles:
            skills.add(pin_skill[v.id])
        kw: dict[str, object] = {}
        if v.start is not None:
            kw["start"] = v.start
        if v.end is not None:
            kw["end"] = v.end
        if v.max_visits is not None:
            kw["max_tasks"] = v.max_visits
        if v.capacity:
            kw["capacity"] = list(v.capacity)
        vehicles.append(
            vroom.Vehicle(
                v.id,
                profile=v.profile,
                skills=skills,
                time_window=vroom.TimeWindow(v.shift.start, v.shift.end),
                breaks=[
                    vroom.Break(
                        b.id,
                        time_windows=[vroom.TimeWindow(w.start, w.end) for w in b.time_windows],
                        service=b.duration,
                    )
                    for b in v.breaks
                ],
                **kw,
            )
        )
    jobs = []
    for j in problem.visits:
        skills = set(j.skills)
        if j.pinned_vehicle is not None:
            skills.add(pin_skill[j.pinned_vehicle])
        kw = {}
        if j.amount:
            kw["delivery"] = list(j.amount)
        if j.pickup:
            kw["pickup"] = list(j.pickup)
        jobs.append(
            vroom.Job(
                j.id,
                location=j.location,
                default_service=j.duration,
                time_windows=[vroom.TimeWindow(w.start, w.end) for w in j.time_windows],
                skills=skills,
                priority=j.priority,
                **kw,
            )
        )
    inp.add_vehicle(vehicles)
    inp.add_job(jobs)
    started = time.perf_counter()
    sol = inp.solve(exploration_level=exploration_level, nb_threads=1)
    took = time.perf_counter() - started
    orders: dict[int, list[tuple[StepType, int]]] = {}
    for row in sol.routes.itertuples():
        if row.type == "job":
            orders.setdefault(int(row.vehicle_id), []).append((StepType.VISIT, int(row.id)))
        elif row.type == "break":
            orders.setdefault(int(row.vehicle_id), []).append((StepType.BREAK, int(row.id)))
    out = evaluate(problem, orders, took)
    return dataclasses.replace(out, checked=len(check(problem, sol.to_dict())))


def pyvrp_solve(
    problem: Problem, xy: list[tuple[float, float]], seconds: float, seed: int = 0
) -> Outcome:
    """PyVRP on a single-depot problem without breaks or skills (Solomon)."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    assert all(not v.breaks and not v.skills for v in problem.vehicles)
    veh0 = problem.vehicles[0]
    assert all(v.start == veh0.start == v.end for v in problem.vehicles)
    mat = next(iter(problem.matrices.values()))
    dur = np.asarray(mat.durations)
    cost = np.asarray(mat.cost_matrix)
    m = Model()
    locs = [m.add_location(x=x, y=y) for x, y in xy]
    depot = m.add_depot(locs[veh0.start], tw_early=veh0.shift.start, tw_late=veh0.shift.end)
    m.add_vehicle_type(
        num_available=len(problem.vehicles),
        capacity=list(veh0.capacity),
        start_depot=depot,
        end_depot=depot,
        tw_early=veh0.shift.start,
        tw_late=veh0.shift.end,
    )
    for j in problem.visits:
        w = j.time_windows[0]
        m.add_client(
            locs[j.location],
            delivery=list(j.amount),
            service_duration=j.duration,
            tw_early=w.start,
            tw_late=w.end,
        )
    n = len(xy)
    for a in range(n):
        for b in range(n):
            m.add_edge(locs[a], locs[b], distance=int(cost[a, b]), duration=int(dur[a, b]))
    started = time.perf_counter()
    res = m.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    took = time.perf_counter() - started
    # Client activities number the clients from 0 in the order they were added.
    orders: dict[int, list[tuple[StepType, int]]] = {}
    for k, route in enumerate(res.best.routes()):
        orders[problem.vehicles[k].id] = [
            (StepType.VISIT, problem.visits[a.idx].id) for a in route if a.is_client()
        ]
    return evaluate(problem, orders, took)
