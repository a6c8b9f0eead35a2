"""The solver's exact feasibility agrees with replay, breaks included.

``Instance.feasible`` says whether some placement of the vehicle's breaks (in their order) into
the gaps of a visit order replays without violations; ``Instance.stops`` gives such a placement;
``RouteState.insertion`` finds the cheapest position at which one more visit keeps the route
feasible (with fast paths for no break and for one break with one window, and the general
dynamic programme for two). All three are held to brute force: every placement, every position,
replayed.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing._schedule import INF, Instance, RouteState
from routing.model import Break, Matrix, Problem, StepType, TimeWindow, Vehicle, Visit
from routing.replay import replay

V, B = StepType.VISIT, StepType.BREAK


@st.composite
def days(draw: st.DrawFn) -> tuple[Problem, list[int]]:
    """One vehicle with 0-2 breaks and 2-6 visits on a plane (a metric matrix), in a random
    order whose last visit is left out (the one to insert). Windows are drawn around the times
    a walk of the order reaches each visit; each break's window opens a little after the walk
    leaves some visit, so the vehicle would wait for it there and may rather drive on first."""
    n = draw(st.integers(2, 6))
    pts = st.tuples(st.integers(0, 40), st.integers(0, 40))
    xy = np.array(draw(st.lists(pts, min_size=n + 1, max_size=n + 1)))
    diff = xy[:, None, :] - xy[None, :, :]
    d = np.rint(np.hypot(diff[..., 0], diff[..., 1])).astype(np.int64)
    order = draw(st.permutations(list(range(n))))
    t, here = 0, 0
    windows: dict[int, TimeWindow] = {}
    durations: dict[int, int] = {}
    leaves = []
    for i in order:
        t += int(d[here, i + 1])
        here = i + 1
        a = max(0, t - draw(st.integers(0, 80)))
        windows[i] = TimeWindow(a, max(a, t + draw(st.integers(0, 80))))
        durations[i] = draw(st.integers(0, 40))
        t = max(t, a) + durations[i]
        leaves.append(t)
    visits = tuple(
        Visit(100 + i, location=i + 1, duration=durations[i], time_windows=(windows[i],))
        for i in range(n)
    )
    breaks = []
    for b in range(draw(st.integers(0, 2))):
        a = draw(st.sampled_from(leaves)) + draw(st.integers(0, 40))
        span = draw(st.sampled_from([0, 0, 10, 30, 300]))
        breaks.append(Break(b, (TimeWindow(a, a + span),), draw(st.integers(0, 30))))
    veh = Vehicle(
        1,
        start=0,
        end=draw(st.sampled_from([0, None])),
        shift=TimeWindow(0, t + draw(st.integers(0, 200))),
        breaks=tuple(breaks),
    )
    problem = Problem(visits, (veh,), {"car": Matrix(d)})
    return problem, list(order)


def placements(inst: Instance, seq: list[int]) -> list[list[tuple[StepType, int]]]:
    """Every way to put the vehicle's breaks, in the solver's order, between the visits."""
    veh = inst.vehicles[0]
    ids = [b[0] for b in veh.breaks]
    out = []
    for gaps in itertools.combinations_with_replacement(range(len(seq) + 1), len(ids)):
        stops: list[tuple[StepType, int]] = []
        for p in range(len(seq) + 1):
            if p:
                stops.append((V, inst.problem.visits[seq[p - 1]].id))
            stops.extend((B, ids[j]) for j, g in enumerate(gaps) if g == p)
        out.append(stops)
    return out


def replays(inst: Instance, stops: list[tuple[StepType, int]]) -> bool:
    return replay(inst.problem, inst.problem.vehicles[0], stops).feasible


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_feasible_exactly_when_some_break_placement_replays(
    case: tuple[Problem, list[int]],
) -> None:
    """``feasible`` is true exactly when some placement of the breaks replays cleanly, and then
    ``stops`` gives one that does."""
    problem, order = case
    inst = Instance(problem)
    seq = order[:-1]
    ok = inst.feasible(0, seq)
    assert ok == any(replays(inst, s) for s in placements(inst, seq))
    stops = inst.stops(0, seq)
    assert (stops is not None) == ok
    if stops is not None:
        assert replays(inst, stops)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_insertion_finds_the_cheapest_feasible_position(case: tuple[Problem, list[int]]) -> None:
    """Taking each visit out of the order in turn: when the rest is feasible, the insertion check
    finds a position for the visit exactly when one is feasible by brute force, and its cost is
    the least over the feasible positions."""
    problem, order = case
    inst = Instance(problem)
    for k, u in enumerate(order):
        seq = order[:k] + order[k + 1 :]
        if not inst.feasible(0, seq):
            continue
        cost, pos = RouteState(inst, 0, list(seq)).insertion(u)
        base = inst.route_cost(0, seq)
        costs = [
            inst.route_cost(0, trial) - base
            for p in range(len(seq) + 1)
            if inst.feasible(0, trial := [*seq[:p], u, *seq[p:]])
        ]
        if not costs:
            assert (cost, pos) == (INF, -1)
        else:
            assert cost == min(costs)
            assert inst.feasible(0, [*seq[:pos], u, *seq[pos:]])


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "c"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days(), st.integers(0, 2**16))
def test_ruin_and_recreate_keeps_its_bookkeeping_exact(
    compiled: bool, case: tuple[Problem, list[int]], seed: int
) -> None:
    """After many accepted and rejected iterations (each rejection restores saved route states
    and their versions), every route state equals one computed afresh, every cached insertion
    answer for a current route version equals a fresh check, and the best routes are feasible;
    in the Python loop and in the C loop (which hands its routes back to the Python states)."""
    import random
    import time

    from routing._improve import RuinRecreate

    problem, order = case
    inst = Instance(problem)
    rr = RuinRecreate(
        inst,
        [list(order)] if inst.feasible(0, order) else [[]],
        [True],
        random.Random(seed),
        compiled=compiled,
    )
    rr.run(time.perf_counter() + 0.05, 50.0, 0.5)
    for k, state in enumerate(rr.states):
        fresh = RouteState(inst, k, list(state.seq))
        for name in ("f0", "l0", "f1", "l1", "cost", "base", "locs", "fw", "bw"):
            assert getattr(state, name, None) == getattr(fresh, name, None), name
        for (u, version), answer in rr.cache.items():
            if version == state.version:
                assert answer == fresh.insertion(u)
    assert all(inst.feasible(k, seq) for k, seq in enumerate(rr.best_routes))
    assert {i for seq in rr.best_routes for i in seq} <= set(range(inst.n))


def _tight_day(second_shift_end: int) -> Problem:
    """Visit 0 (any expert) holds vehicle 0 at 0-100; visit 1 needs vehicle 0's skill at 50."""
    zero = Matrix(np.zeros((3, 3), dtype=np.int64))
    visits = (
        Visit(id=10, location=1, duration=100, time_windows=(TimeWindow(0, 0),)),
        Visit(id=11, location=2, duration=100, time_windows=(TimeWindow(50, 50),), skills={1}),
    )
    vehicles = (
        Vehicle(id=1, start=0, end=0, shift=TimeWindow(0, 1000), skills={1}),
        Vehicle(id=2, start=0, end=0, shift=TimeWindow(0, second_shift_end)),
    )
    return Problem(visits, vehicles, {"car": zero})


def test_ejection_chain_serves_the_visit_only_another_route_can_make_room_for() -> None:
    """The unserved visit takes the place of a visit that moves to another route; when that
    other route has no room, nothing changes."""
    import random

    from routing._improve import RuinRecreate

    inst = Instance(_tight_day(1000))
    rr = RuinRecreate(inst, [[0], []], [True, True], random.Random(0))
    assert rr.unserved == {1}
    assert rr._eject(1)
    assert [s.seq for s in rr.states] == [[1], [0]]
    assert rr.unserved == set() and rr.where == [1, 0]
    assert all(inst.feasible(k, s.seq) for k, s in enumerate(rr.states))

    short = Instance(_tight_day(50))  # vehicle 2 ends before visit 0 could be done
    rr = RuinRecreate(short, [[0], []], [True, True], random.Random(0))
    assert not rr._eject(1)
    assert [s.seq for s in rr.states] == [[0], []]
    assert rr.unserved == {1}


def test_longer_ejection_chain_goes_through_a_third_route() -> None:
    """Visit 2 fits on vehicle 1 only once visit 0 leaves; visit 0 (skill 2) fits on vehicle 2
    only once visit 1 leaves, and visit 1 fits on vehicle 3: depth 1 finds nothing, depth 2
    moves all three."""
    import random

    from routing._improve import RuinRecreate

    zero = Matrix(np.zeros((4, 4), dtype=np.int64))
    at = (TimeWindow(0, 0),)
    visits = (
        Visit(id=10, location=1, duration=100, time_windows=at, skills={2}),
        Visit(id=11, location=2, duration=100, time_windows=at),
        Visit(id=12, location=3, duration=100, time_windows=(TimeWindow(50, 50),), skills={1}),
    )
    vehicles = (
        Vehicle(id=1, start=0, end=0, shift=TimeWindow(0, 1000), skills={1, 2}),
        Vehicle(id=2, start=0, end=0, shift=TimeWindow(0, 1000), skills={2}),
        Vehicle(id=3, start=0, end=0, shift=TimeWindow(0, 1000)),
    )
    inst = Instance(Problem(visits, vehicles, {"car": zero}))
    rr = RuinRecreate(inst, [[0], [1], []], [True] * 3, random.Random(0))
    assert not rr._eject(2, depth=1)
    assert [s.seq for s in rr.states] == [[0], [1], []]
    assert rr._eject(2, depth=2)
    assert [s.seq for s in rr.states] == [[2], [0], [1]]
    assert rr.unserved == set() and rr.where == [1, 2, 0]
