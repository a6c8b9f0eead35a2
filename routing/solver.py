"""Day planning: assign visits to experts and order them.

The solve runs in three phases within ``SolveParams.time_limit``:

1. a regret insertion of our own with exact feasibility (time windows, breaks, skills, expert
   rules, load, counts) builds the first solution, starting from the warm-start routes (the
   current plan) if any;
2. our SISR ruin-and-recreate (:mod:`routing._improve`, its loop in C) improves it, serving as
   many visits as it can (by priority), then minimising the objective. On the municipal days
   and on Solomon this phase finds nearly all of the improvement (``python -m benchmarks
   phases``);
3. OR-Tools' guided local search polishes the rest of the time (its neighbourhoods exchange
   tails and visits between routes, which the ruin-and-recreate rarely finds), every visit
   droppable at a penalty far above any routing cost, weighted by priority. OR-Tools' breaks are
   a little looser than ours, so its routes get their breaks placed exactly, any route that our
   semantics reject is repaired and left-over visits are re-inserted; it is kept only if better.
   On booked municipal days it rarely improves on phase 2; on Solomon it finds small gains.

The objective is VROOM's (travel cost) unless the problem carries a planner's
:class:`routing.model.Objective`: then every phase minimises working time (travel plus waiting)
plus the move and preference costs, and the phases' results are compared by the exact objective
of their replayed routes (:func:`routing.objective.objective_of`, balance included), so a solve
from a feasible current plan never returns a worse one. With ``SolveParams.max_moves`` the search
keeps to a cap on moves: the ruin-and-recreate never takes on a plan with more visits away from
their current vehicle (once at the cap, a re-inserted visit may only go back to its own), and
OR-Tools' plan counts only within the cap (the planner's ``balanced`` mode uses this).

The solver keeps its word on time: the search phases stop early once their best has not improved
for ``SolveParams.stall_seconds``; OR-Tools is stopped from a search monitor at its deadline,
which lies ``min(1, limit / 10)`` seconds before the limit because OR-Tools sometimes returns
late on big days under load; a little of the limit is kept for the final repair and replay.

Every route is finally replayed by :func:`routing.replay.replay`.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from routing._construct import regret_insert, repair
from routing._improve import OVER_CAP, RuinRecreate
from routing._ortools_model import OrtoolsModel, SearchConfig
from routing._schedule import Instance
from routing.model import InitialRoute, Problem, Route, Solution
from routing.objective import objective_of
from routing.replay import replay

METAHEURISTICS = ("GUIDED_LOCAL_SEARCH", "SIMULATED_ANNEALING", "TABU_SEARCH", "GREEDY_DESCENT")
FIRST_SOLUTIONS = (
    "construct",
    "PATH_CHEAPEST_ARC",
    "PARALLEL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
    "SAVINGS",
    "AUTOMATIC",
)


@dataclass(frozen=True)
class SolveParams:
    """Knobs of :func:`solve`; every one has a sensible default.

    Parameters
    ----------
    time_limit
        Wall-clock seconds for the whole solve (construction, search, repair).
    seed
        Seeds the randomised parts of our own heuristics (OR-Tools' search is deterministic).
    first_solution
        ``"construct"`` (our regret insertion, handed to OR-Tools as initial routes) or the name
        of an OR-Tools ``FirstSolutionStrategy``.
    metaheuristic
        The OR-Tools ``LocalSearchMetaheuristic`` of the final phase.
    gls_lambda
        Guided local search penalty coefficient.
    ruin_recreate_share
        Share of the time given to our own SISR ruin-and-recreate before OR-Tools (0 skips it).
    drop_penalty_arcs
        When positive, the ruin-and-recreate prices an unserved visit at this many average arcs
        (times 1 + priority/10) instead of far above any routing, so it may drop a visit on the
        way to a plan that serves more; the result is still judged serve-first.
    sisr_avg_removed, sisr_max_sequence
        SISR ruin: visits removed on average, longest string removed from one route.
    sa_initial_temperature, sa_final_temperature
        Simulated-annealing acceptance of the ruin-and-recreate, as a fraction of the average
        arc cost of the first solution (so one setting suits seconds and Solomon's tenths).
    log
        Let OR-Tools log its search to stderr.
    free_share
        In ``balanced`` mode with visits that have a current vehicle: the share of the
        ruin-and-recreate time searched with moves free, before the real objective is searched
        from the result (see :func:`solve`).
    stall
        Early stop: a search phase (ruin-and-recreate, OR-Tools) ends once its best solution has
        not improved for this many seconds. ``-1`` (the default) means
        ``max(1, time_limit / 2)`` (shorter windows stop the annealing before it has cooled:
        booked days then end up with a few per cent more travel); ``None`` never stops early.
    max_moves
        A cap on moves: the ruin-and-recreate never takes on a plan in which more than this many
        served visits sit with another vehicle than their ``current_vehicle`` (it may pass
        through plans with as many moves as the one it came from, so a start over the cap only
        comes down), and the best plan is kept within the cap. The OR-Tools phase does not
        know the cap: its plan is used only when it keeps to it. ``None``: no cap.
    """

    @property
    def stall_seconds(self) -> float | None:
        """The early-stop window in seconds, ``None`` for none."""
        if self.stall == -1.0:
            return max(1.0, self.time_limit / 2)
        return self.stall

    time_limit: float = 10.0
    seed: int = 0
    first_solution: str = "construct"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    ruin_recreate_share: float = 0.85
    drop_penalty_arcs: float = 0.0
    sisr_avg_removed: int = 10
    sisr_max_sequence: int = 10
    sa_initial_temperature: float = 1.0
    sa_final_temperature: float = 0.01
    log: bool = False
    stall: float | None = -1.0
    free_share: float = 0.0
    max_moves: int | None = None

    def __post_init__(self) -> None:
        if self.max_moves is not None and self.max_moves < 0:
            raise ValueError("max_moves must be at least 0 or None")
        if not self.time_limit > 0:
            raise ValueError("time_limit must be positive")
        if not 0 <= self.free_share < 1:
            raise ValueError("free_share must be at least 0 and below 1")
        if self.stall is not None and self.stall != -1.0 and not self.stall > 0:
            raise ValueError("stall must be positive, None (never stop early) or -1 (automatic)")
        if self.metaheuristic not in METAHEURISTICS:
            raise ValueError(f"metaheuristic must be one of {METAHEURISTICS}")
        if self.first_solution not in FIRST_SOLUTIONS:
            raise ValueError(f"first_solution must be one of {FIRST_SOLUTIONS}")
        if self.gls_lambda < 0:
            raise ValueError("gls_lambda must not be negative")
        if not 0 <= self.ruin_recreate_share <= 1:
            raise ValueError("ruin_recreate_share must be between 0 and 1")
        if self.sisr_avg_removed < 1 or self.sisr_max_sequence < 1:
            raise ValueError("SISR sizes must be at least 1")
        if not 0 < self.sa_final_temperature <= self.sa_initial_temperature:
            raise ValueError("need 0 < sa_final_temperature <= sa_initial_temperature")


def _usable(problem: Problem) -> list[bool]:
    """A vehicle whose breaks cannot fit in its shift may serve nothing."""
    out = []
    for veh in problem.vehicles:
        ok = all(
            any(
                max(w.start, veh.shift.start) + b.duration <= veh.shift.end
                and w.end >= veh.shift.start
                for w in b.time_windows
            )
            for b in veh.breaks
        )
        out.append(ok)
    return out


def _score(inst: Instance, routes: Sequence[Sequence[int]]) -> tuple[int, int, int]:
    """Lower is better: minus served priority, minus served count, cost."""
    served = [i for seq in routes for i in seq]
    prio = sum(inst.prio[i] for i in served)
    cost = sum(inst.route_cost(k, seq) for k, seq in enumerate(routes))
    return (-prio, -len(served), cost)


def _warm_routes(
    problem: Problem, inst: Instance, initial: Sequence[InitialRoute] | None
) -> tuple[list[list[int]], dict[int, list[int]]]:
    """Initial routes as visit positions (unknown, repeated, disallowed visits left out)."""
    vidx = {v.id: i for i, v in enumerate(problem.visits)}
    kidx = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    chains: dict[int, list[int]] = {}
    seen: set[int] = set()
    for r in initial or ():
        k = kidx.get(r.vehicle)
        if k is None:
            continue
        for vid in r.visits:
            i = vidx.get(vid)
            if i is None or i in seen or not inst.allowed[i][k]:
                continue
            seen.add(i)
            routes[k].append(i)
        chain = [i for i in routes[k] if problem.visits[i].fixed]
        if chain:
            chains[k] = chain
    return routes, chains


def _lock_fixed(inst: Instance, routes: list[list[int]], chains: dict[int, list[int]]) -> None:
    """Fixed visits adjacent in the initial route stay adjacent; a fixed first visit stays first."""
    for k, chain in chains.items():
        fixed = set(chain)
        seq = routes[k]
        for p, i in enumerate(seq):
            if i not in fixed:
                continue
            before = seq[p - 1] if p else -1
            if before == -1 or before in fixed:
                inst.locked.add((before, i))
        del k


def solve(
    problem: Problem,
    params: SolveParams = SolveParams(),
    initial: Sequence[InitialRoute] | None = None,
    *,
    timings: dict[str, float] | None = None,
) -> Solution:
    """Plan the day: serve as many visits as possible (by priority), then minimise the objective.

    Without ``problem.objective`` the objective is VROOM's travel cost; with one, the planner's
    (working time, moves, preferences, balance: :class:`routing.model.Objective`).

    Parameters
    ----------
    problem
        Visits, vehicles and matrices.
    params
        Time limit and search knobs. The solve returns within ``time_limit`` plus a few tenths
        of a second (the OR-Tools phase is stopped from a search monitor at its deadline).
    initial
        Warm start: each vehicle's visits in order (the current plan). Visits marked ``fixed``
        keep their vehicle, their order, their adjacency to fixed neighbours and, when first,
        their first place. When the warm start is feasible, the result is never worse than it
        under the objective.
    timings
        When given, filled with the seconds each phase took (``construction``,
        ``ruin_recreate``, ``ortools``, ``total``) and the objective's total after each
        (``*_cost``), for benchmarks.

    Returns
    -------
    Solution
        Routes replayed with :func:`routing.replay.replay` (always feasible) and the ids of the
        visits no vehicle serves.
    """
    started = time.perf_counter()
    rng = random.Random(params.seed)
    inst = Instance(problem)
    usable = _usable(problem)
    nv = len(problem.vehicles)
    n = len(problem.visits)
    stall = params.stall_seconds
    times = timings if timings is not None else {}

    routes, chains = _warm_routes(problem, inst, initial)
    _lock_fixed(inst, routes, chains)
    for k in range(nv):
        if not usable[k]:
            routes[k] = [i for i in routes[k] if problem.visits[i].fixed]
            continue
        routes[k], _ = repair(inst, k, routes[k])
    placed = {i for seq in routes for i in seq}
    todo = [i for i in range(n) if i not in placed]
    rng.shuffle(todo)  # ties in the regret order are broken by this, i.e. by the seed
    regret_insert(inst, routes, todo, usable=usable)
    best = [list(seq) for seq in routes]
    best_key = _judge(problem, inst, best)
    if _over_cap(problem, params, best):
        best_key = OVER_CAP  # any plan within the cap is better
    mark = time.perf_counter()
    times["construction"] = mark - started
    times["construction_cost"] = float(best_key[2])

    # Keep a little time for re-timing, repair and the final replay.
    deadline = started + params.time_limit - min(0.4, 0.08 * params.time_limit)
    if params.ruin_recreate_share > 0 and n > 0 and any(usable):
        rr_deadline = time.perf_counter() + params.ruin_recreate_share * (
            deadline - time.perf_counter()
        )
        arcs = max(1, sum(len(s) + 1 for s in routes if s))
        arc = max(1.0, sum(inst.travel_cost(k, s) for k, s in enumerate(routes)) / arcs)
        start_routes = routes
        free = _without_move_costs(problem) if params.free_share > 0 else None
        if free is not None:
            # Moves cost more than most single changes gain, so a search from the current plan
            # stays near it. First search with moves free (a share of the time), then search
            # the real objective from there: it moves back what does not pay for its move.
            free_inst = Instance(free)
            free_inst.locked = inst.locked
            free_deadline = time.perf_counter() + params.free_share * (
                rr_deadline - time.perf_counter()
            )
            found_free = _ruin_recreate(
                free_inst, routes, usable, rng, params, arc, free_deadline, stall
            )
            key = _judge(problem, inst, found_free)
            if key < best_key and not _over_cap(problem, params, found_free):
                best, best_key = [list(s) for s in found_free], key
            start_routes = found_free
        found_rr = _ruin_recreate(inst, start_routes, usable, rng, params, arc, rr_deadline, stall)
        key = _judge(problem, inst, found_rr)
        if key < best_key and not _over_cap(problem, params, found_rr):
            best, best_key = [list(s) for s in found_rr], key
        routes = [list(s) for s in best]
    now = time.perf_counter()
    times["ruin_recreate"] = now - mark
    times["ruin_recreate_cost"] = float(best_key[2])
    mark = now
    # OR-Tools sometimes returns well after its limits (finishing a neighbourhood or its
    # finaliser, on big days under load): it stops earlier than the other phases would.
    ortools_deadline = started + params.time_limit - min(1.0, 0.1 * params.time_limit)
    if ortools_deadline - now > 0.05 and n > 0 and any(usable):
        found = _search(problem, inst, usable, chains, routes, params, ortools_deadline, stall)
        if found is not None and not _over_cap(problem, params, found):
            key = _judge(problem, inst, found)
            if key < best_key:
                best, best_key = found, key
    now = time.perf_counter()
    times["ortools"] = now - mark
    times["ortools_cost"] = float(best_key[2])
    solution = _solution(problem, inst, best)
    times["total"] = time.perf_counter() - started
    return solution


def _without_move_costs(problem: Problem) -> Problem | None:
    """The problem with moves free (preferences kept), when moves cost anything at all."""
    obj = problem.objective
    if obj is None or obj.mode != "balanced":
        return None
    if not any(v.current_vehicle is not None and obj.move_cost_of(v) > 0 for v in problem.visits):
        return None
    return dataclasses.replace(problem, objective=dataclasses.replace(obj, mode="free"))


def _ruin_recreate(
    inst: Instance,
    routes: list[list[int]],
    usable: list[bool],
    rng: random.Random,
    params: SolveParams,
    arc: float,
    deadline: float,
    stall: float | None,
) -> list[list[int]]:
    """Our SISR ruin-and-recreate from ``routes`` until ``deadline`` (or until it stalls)."""
    rr = RuinRecreate(
        inst,
        routes,
        usable,
        rng,
        avg_removed=params.sisr_avg_removed,
        max_string=params.sisr_max_sequence,
    )
    rr.soften(arc, params.drop_penalty_arcs)
    if params.max_moves is not None:
        rr.cap_moves(params.max_moves)
    return rr.run(
        deadline, params.sa_initial_temperature * arc, params.sa_final_temperature * arc, stall
    )


def _over_cap(problem: Problem, params: SolveParams, routes: Sequence[Sequence[int]]) -> bool:
    """Whether ``routes`` move more visits from their current vehicle than ``max_moves``."""
    if params.max_moves is None:
        return False
    moves = 0
    for k, seq in enumerate(routes):
        vid = problem.vehicles[k].id
        moves += sum(
            1
            for i in seq
            if problem.visits[i].current_vehicle is not None
            and problem.visits[i].current_vehicle != vid
        )
    return moves > params.max_moves


def _judge(
    problem: Problem, inst: Instance, routes: Sequence[Sequence[int]]
) -> tuple[int, int, float]:
    """Lower is better. Without an objective the search's own score (served priority, served
    count, travel cost); with one, the objective of the replayed routes, exactly as
    :func:`routing.objective.objective_of` reports it (balance included)."""
    if problem.objective is None:
        a, b, c = _score(inst, routes)
        return (a, b, float(c))
    return objective_of(problem, _solution(problem, inst, routes)).key


def _search(
    problem: Problem,
    inst: Instance,
    usable: list[bool],
    chains: dict[int, list[int]],
    start: list[list[int]],
    params: SolveParams,
    deadline: float,
    stall: float | None,
) -> list[list[int]] | None:
    model = OrtoolsModel(problem, inst, usable, chains)
    for k in chains:
        seq = start[k]
        for p, i in enumerate(seq):
            before = seq[p - 1] if p else -1
            if (before, i) in inst.locked:
                model.fix_next(k, None if before == -1 else before, i)
    budget = deadline - time.perf_counter()  # building the model took some of it
    if budget <= 0.05:
        return None
    cfg = SearchConfig(
        time_limit=budget,
        metaheuristic=params.metaheuristic,
        first_solution=(
            "AUTOMATIC" if params.first_solution == "construct" else params.first_solution
        ),
        gls_lambda=params.gls_lambda,
        log=params.log,
        deadline=deadline,
        stall=stall,
    )
    initial = start if params.first_solution == "construct" else None
    found = model.solve(cfg, initial)
    if found is None:
        return None
    # OR-Tools' breaks are a little looser than VROOM's: repair, then re-insert what fell out.
    out: list[list[int]] = []
    dropped: list[int] = []
    for k, seq in enumerate(found):
        fixed_seq, d = repair(inst, k, seq)
        out.append(fixed_seq)
        dropped.extend(d)
    served = {i for seq in out for i in seq}
    if len(served) < sum(len(seq) for seq in start) and time.perf_counter() >= deadline:
        return None  # no time left to re-insert what OR-Tools dropped: keep what we had
    todo = dropped + [i for i in range(len(problem.visits)) if i not in served and i not in dropped]
    regret_insert(inst, out, todo, usable=usable)
    return out


def _solution(problem: Problem, inst: Instance, routes: Sequence[Sequence[int]]) -> Solution:
    out: list[Route] = []
    served: set[int] = set()
    for k, seq in enumerate(routes):
        if not seq:
            continue
        veh = problem.vehicles[k]
        stops = inst.stops(k, seq)
        assert stops is not None, f"vehicle {veh.id}: the solver kept an infeasible route"
        rep = replay(problem, veh, stops)
        assert rep.feasible, f"vehicle {veh.id}: {rep.violations}"
        out.append(rep.route)
        served.update(seq)
    unassigned = tuple(v.id for i, v in enumerate(problem.visits) if i not in served)
    return Solution(routes=tuple(out), unassigned=unassigned)
