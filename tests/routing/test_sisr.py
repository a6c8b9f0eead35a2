"""The ruin-and-recreate's C loop (``routing/_sisr.c``) agrees with the Python schedule.

Its insertion check is held to brute force (every position replayed by the Python feasibility
test) on random small days with one or two windows per visit and up to three breaks; its
search is held to the solver's rules: every route it returns is feasible, no visit is served
twice, and its best solution is at least as good as the one it started from.
"""

from __future__ import annotations

import dataclasses
import random
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from routing._improve import RuinRecreate, pack
from routing._schedule import INF, Instance, RouteState
from routing.model import (
    Break,
    InitialRoute,
    Matrix,
    Problem,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.solver import SolveParams, solve


def test_the_extension_is_built() -> None:
    """The install compiles the loop; a checkout without it would plan in slow Python."""
    from routing import _sisr

    assert callable(_sisr.sisr)
    assert callable(_sisr.insertion)


@st.composite
def small_days(draw: st.DrawFn) -> Problem:
    """1-3 vehicles (each with no break, one or up to three), 3-8 visits with one or two windows
    each, two travel profiles on a plane, a skill or two, sometimes a cap on the number of
    visits."""
    n = draw(st.integers(3, 8))
    nv = draw(st.integers(1, 3))
    pts = st.tuples(st.integers(0, 40), st.integers(0, 40))
    xy = np.array(draw(st.lists(pts, min_size=n + 1, max_size=n + 1)))
    diff = xy[:, None, :] - xy[None, :, :]
    d = np.rint(np.hypot(diff[..., 0], diff[..., 1])).astype(np.int64)
    visits = []
    for i in range(n):
        a = draw(st.integers(0, 150))
        windows = [TimeWindow(a, a + draw(st.integers(0, 60)))]
        if draw(st.booleans()):
            b = windows[0].end + draw(st.integers(1, 60))
            windows.append(TimeWindow(b, b + draw(st.integers(0, 60))))
        skills = frozenset(draw(st.sets(st.sampled_from([1, 2]), max_size=1)))
        visits.append(
            Visit(
                100 + i,
                location=i + 1,
                duration=draw(st.integers(0, 30)),
                time_windows=tuple(windows),
                skills=skills,
            )
        )
    vehicles = []
    for k in range(nv):
        breaks = []
        at = 0
        # No break, one, or (a split shift, a disruption day) up to three, one window each.
        for b in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
            a = at + draw(st.integers(0, 150 // (b + 1)))
            span = draw(st.sampled_from([0, 10, 60]))
            breaks.append(Break(b + 1, (TimeWindow(a, a + span),), draw(st.integers(0, 30))))
            at = a + span + 1
        vehicles.append(
            Vehicle(
                k + 1,
                start=0,
                end=draw(st.sampled_from([0, None])),
                shift=TimeWindow(0, draw(st.integers(150, 400))),
                breaks=tuple(breaks),
                skills=frozenset(draw(st.sets(st.sampled_from([1, 2])))),
                profile=draw(st.sampled_from(["car", "bike"])),
                max_visits=draw(st.sampled_from([None, None, 2, 4])),
            )
        )
    mats = {"car": Matrix(d), "bike": Matrix(2 * d)}
    return Problem(tuple(visits), tuple(vehicles), mats)


def _compat(inst: Instance) -> list[set[int]]:
    return [{k for k in range(len(inst.vehicles)) if inst.allowed[u][k]} for u in range(inst.n)]


def _blob(inst: Instance) -> np.ndarray:
    rr = RuinRecreate(
        inst, [[] for _ in inst.vehicles], [True] * len(inst.vehicles), random.Random(0)
    )
    assert rr.blob is not None
    return rr.blob


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_days(), st.randoms(use_true_random=False))
def test_c_insertion_is_the_cheapest_feasible_position(
    problem: Problem, rnd: random.Random
) -> None:
    """For a random feasible route of each vehicle, some of its neighbouring pairs locked (as
    fixed visits lock them), and each visit not on it: the C check finds a position exactly when
    one is feasible by brute force without splitting a locked pair, at the least cost over those,
    and agrees with the Python check."""
    from routing import _sisr

    inst = Instance(problem)
    nv = len(inst.vehicles)
    for k in range(nv):
        seq: list[int] = []
        for u in rnd.sample(range(inst.n), inst.n):
            if rnd.random() < 0.6 and inst.feasible(k, trial := [*seq, u]):
                seq = trial
        inst.locked = {
            (seq[p - 1] if p else -1, seq[p]) for p in range(len(seq)) if rnd.random() < 0.3
        }
        blob = pack(
            inst, _compat(inst), np.zeros((inst.n, inst.n), dtype=np.int64), [0] * nv, [True] * nv
        )
        assert blob is not None
        base = inst.route_cost(k, seq)
        for u in set(range(inst.n)) - set(seq):
            cost, pos = _sisr.insertion(blob, np.array(seq, dtype=np.int64), k, u)
            costs = [
                inst.route_cost(k, trial) - base
                for p in range(len(seq) + 1)
                if not (p < len(seq) and (seq[p - 1] if p else -1, seq[p]) in inst.locked)
                and inst.feasible(k, trial := [*seq[:p], u, *seq[p:]])
            ]
            if not costs:
                assert (cost, pos) == (INF, -1)
            else:
                assert cost == min(costs)
                assert inst.feasible(k, [*seq[:pos], u, *seq[pos:]])
                assert inst.route_cost(k, [*seq[:pos], u, *seq[pos:]]) - base == cost
            assert (cost, pos) == RouteState(inst, k, list(seq)).insertion(u)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_days(), st.integers(0, 2**16))
def test_c_search_returns_feasible_routes_no_worse_than_its_start(
    problem: Problem, seed: int
) -> None:
    inst = Instance(problem)
    nv = len(inst.vehicles)
    rr = RuinRecreate(inst, [[] for _ in range(nv)], [True] * nv, random.Random(seed))
    assert rr.blob is not None
    start = rr.best_key
    rr.run(time.perf_counter() + 0.05, 50.0, 0.5)
    assert rr.iterations > 0
    assert rr.best_key <= start
    served = [i for seq in rr.best_routes for i in seq]
    assert len(served) == len(set(served))
    assert all(inst.feasible(k, seq) for k, seq in enumerate(rr.best_routes))
    costs = sum(inst.route_cost(k, seq) for k, seq in enumerate(rr.best_routes))
    assert rr.best_key == (-sum(inst.prio[i] for i in served), -len(served), float(costs))
    # The current routes handed back to Python are consistent with the bookkeeping.
    for k, state in enumerate(rr.states):
        assert all(rr.where[i] == k for i in state.seq)
        assert inst.feasible(k, state.seq)
    assert rr.unserved == {i for i in range(inst.n) if rr.where[i] < 0}


def test_days_the_c_loop_cannot_run_stay_in_python() -> None:
    """A break with two windows: no blob, so the Python loop runs; two breaks (a split shift)
    run in C."""
    visits = (Visit(1, location=1, duration=5, time_windows=(TimeWindow(0, 100),)),)
    two = (Break(1, (TimeWindow(10, 20),), 5), Break(2, (TimeWindow(50, 60),), 5))
    split = (Break(1, (TimeWindow(10, 20), TimeWindow(50, 60)), 5),)
    one = (Break(1, (TimeWindow(10, 20),), 5),)
    mats = {"car": Matrix(np.array([[0, 3], [3, 0]], dtype=np.int64))}
    for breaks, runs_in_c in ((two, True), (split, False), (one, True), ((), True)):
        veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 200), breaks=breaks)
        inst = Instance(Problem(visits, (veh,), mats))
        blob = pack(inst, _compat(inst), np.zeros((1, 1), dtype=np.int64), [0], [True])
        assert (blob is not None) is runs_in_c
        rr = RuinRecreate(inst, [[]], [True], random.Random(1))
        rr.run(time.perf_counter() + 0.02, 10.0, 0.1)
        assert rr.best_routes == [[0]]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_days(), st.integers(0, 2**16))
def test_a_day_under_way_runs_in_c_and_keeps_its_fixed_visits_first(
    problem: Problem, seed: int
) -> None:
    """The first two visits of an expert's route have started (fixed): the solve runs the C loop
    (locked pairs and all), and they stay that expert's first two visits, in their order."""
    from routing import _sisr

    inst = Instance(problem)
    seq: list[int] = []
    for u in range(inst.n):
        if inst.feasible(0, [*seq, u]):
            seq.append(u)
    assume(len(seq) >= 2)
    veh = problem.vehicles[0]
    visits = tuple(
        dataclasses.replace(v, fixed=True, pinned_vehicle=veh.id) if i in seq[:2] else v
        for i, v in enumerate(problem.visits)
    )
    started = Problem(visits, problem.vehicles, problem.matrices)
    ids = [problem.visits[i].id for i in seq]
    calls = []
    real = _sisr.sisr

    def counted(*args: object) -> int:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    _sisr.sisr = counted  # type: ignore[assignment]
    try:
        sol = solve(
            started, SolveParams(time_limit=0.3, seed=seed), [InitialRoute(veh.id, tuple(ids))]
        )
    finally:
        _sisr.sisr = real  # type: ignore[assignment]
    assert calls
    route = next(r for r in sol.routes if r.vehicle == veh.id)
    served = [s.id for s in route.steps if s.type is StepType.VISIT]
    assert served[:2] == ids[:2]


def _break_between_day() -> Problem:
    """Expert 1's break (at exactly 34, for 16) fits only on arriving at a second visit: visits
    B then A can be driven, A alone cannot (before a first visit a break is taken at the start,
    and leaving after it is too late for A's window). Expert 2, without a break, can take B (at
    the office) for nothing, so a search that let B go would keep the undrivable [A]."""
    d = np.array([[0, 8, 0], [8, 0, 8], [0, 8, 0]], dtype=np.int64)
    a = Visit(1, location=1, duration=29, time_windows=(TimeWindow(1, 53),))
    b = Visit(2, location=2, duration=14, time_windows=(TimeWindow(6, 41),))
    veh = Vehicle(
        1, start=0, end=0, shift=TimeWindow(0, 168), breaks=(Break(1, (TimeWindow(34, 34),), 16),)
    )
    other = Vehicle(2, start=0, end=0, shift=TimeWindow(0, 168))
    return Problem((a, b), (veh, other), {"car": Matrix(d)})


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "c"])
def test_a_ruin_never_leaves_a_route_that_cannot_be_driven(compiled: bool) -> None:
    """Taking B out of [B, A] would leave A alone, which cannot be driven: a ruin must leave such
    a route as it is (the search then never holds, nor returns, an undrivable route)."""
    inst = Instance(_break_between_day())
    assert inst.feasible(0, [1, 0]) and not inst.feasible(0, [0])
    for seed in range(200):
        rr = RuinRecreate(inst, [[1, 0], []], [True, True], random.Random(seed), compiled=compiled)
        if compiled:
            rr.chunk = 0.0005
            rr.run(time.perf_counter() + 0.01, 50.0, 0.5)
        else:
            rr._ruin()
        assert all(inst.feasible(k, st.seq) for k, st in enumerate(rr.states)), seed
        assert all(inst.feasible(k, seq) for k, seq in enumerate(rr.best_routes)), seed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_days(), st.randoms(use_true_random=False), st.integers(0, 2**16))
def test_c_loop_agrees_with_python_under_the_planners_objective(
    problem: Problem, rnd: random.Random, seed: int
) -> None:
    """With the planner's objective (working time, moves, preferences and sometimes balance),
    the C insertion gives the Python answer (travel plus assignment cost), and the C search's
    best key is the Python cost of its routes (waiting and balance included), for any number of
    breaks."""
    from routing import _sisr
    from routing.model import Objective

    nv = len(problem.vehicles)
    visits = tuple(
        dataclasses.replace(
            v,
            current_vehicle=rnd.choice([None, *range(1, nv + 1)]),
            preferred_vehicle=rnd.choice([None, None, *range(1, nv + 1)]),
        )
        for v in problem.visits
    )
    objective = Objective(
        move_cost=rnd.choice([0, 20, 200]), balance_weight=rnd.choice([0.0, 0.0, 0.5, 2.0])
    )
    problem = dataclasses.replace(problem, visits=visits, objective=objective)
    inst = Instance(problem)
    blob = pack(
        inst, _compat(inst), np.zeros((inst.n, inst.n), dtype=np.int64), [0] * nv, [True] * nv
    )
    assert blob is not None
    for k in range(nv):
        seq: list[int] = []
        for u in rnd.sample(range(inst.n), inst.n):
            if rnd.random() < 0.6 and inst.feasible(k, trial := [*seq, u]):
                seq = trial
        for u in set(range(inst.n)) - set(seq):
            got = _sisr.insertion(blob, np.array(seq, dtype=np.int64), k, u)
            assert got == RouteState(inst, k, list(seq)).insertion(u)
    rr = RuinRecreate(inst, [[] for _ in range(nv)], [True] * nv, random.Random(seed))
    rr.run(time.perf_counter() + 0.05, 50.0, 0.5)
    served = [i for seq in rr.best_routes for i in seq]
    assert all(inst.feasible(k, seq) for k, seq in enumerate(rr.best_routes))
    costs = sum(inst.route_cost(k, seq) for k, seq in enumerate(rr.best_routes))
    spans = [RouteState(inst, k, seq).span for k, seq in enumerate(rr.best_routes) if seq]
    costs += inst.balance_cost(spans)
    assert rr.best_key == (-sum(inst.prio[i] for i in served), -len(served), float(costs))
