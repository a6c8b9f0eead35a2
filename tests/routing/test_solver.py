"""The OR-Tools day-planning solver on small hand-checkable problems.

Locations lie on a line, one minute apart (``line(n)``), so every travel time can be checked by
hand. Time limits are short; nothing here asserts on time.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.model import (
    Break,
    InitialRoute,
    Matrix,
    Problem,
    Solution,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.replay import replay
from routing.solver import SolveParams, solve

FAST = SolveParams(time_limit=0.5)
MIN = 60


def line(n: int, per: int = MIN) -> Matrix:
    idx = np.arange(n)
    return Matrix(np.abs(idx[:, None] - idx[None, :]).astype(np.int64) * per)


def check(problem: Problem, sol: Solution) -> None:
    """Every route replays cleanly; every visit is served once or reported unassigned."""
    seen: list[int] = []
    for r in sol.routes:
        veh = problem.vehicle(r.vehicle)
        stops = [(s.type, s.id) for s in r.steps if s.type in (StepType.VISIT, StepType.BREAK)]
        rep = replay(problem, veh, stops)  # type: ignore[arg-type]
        assert rep.feasible, rep.violations
        seen.extend(r.visit_ids)
    assert len(seen) == len(set(seen))
    assert sorted(seen + list(sol.unassigned)) == sorted(v.id for v in problem.visits)


def test_time_windows_respected() -> None:
    """Visits start inside their windows, even when that forces an order against the line."""
    visits = (
        Visit(1, location=1, duration=5 * MIN, time_windows=(TimeWindow(60 * MIN, 70 * MIN),)),
        Visit(2, location=2, duration=5 * MIN, time_windows=(TimeWindow(0, 20 * MIN),)),
        Visit(3, location=3, duration=5 * MIN, time_windows=(TimeWindow(30 * MIN, 40 * MIN),)),
    )
    problem = Problem(visits, (Vehicle(1, start=0, end=0),), {"car": line(4)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.unassigned == ()
    route = sol.routes[0]
    assert route.visit_ids == (2, 3, 1)
    for s in route.steps:
        if s.type is StepType.VISIT:
            w = problem.visit(s.id or 0).time_windows[0]
            assert w.start <= s.service_start <= w.end


def test_breaks_taken_and_never_overlap_visits() -> None:
    """A working vehicle takes its lunch inside the window, between visits, not during one."""
    lunch = Break(7, time_windows=(TimeWindow(100 * MIN, 130 * MIN),), duration=30 * MIN)
    visits = tuple(
        Visit(i, location=i, duration=40 * MIN, time_windows=(TimeWindow(0, 400 * MIN),))
        for i in range(1, 6)
    )
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 480 * MIN), breaks=(lunch,))
    problem = Problem(visits, (veh,), {"car": line(6)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.unassigned == ()
    steps = sol.routes[0].steps
    breaks = [s for s in steps if s.type is StepType.BREAK]
    assert len(breaks) == 1
    b = breaks[0]
    assert 100 * MIN <= b.service_start <= 130 * MIN
    for s in steps:
        if s.type is StepType.VISIT:
            assert s.departure <= b.service_start or s.service_start >= b.departure


def test_break_window_forces_a_gap_between_visits() -> None:
    """Two visits back to back would straddle the break window: the break must come between."""
    lunch = Break(1, time_windows=(TimeWindow(60 * MIN, 60 * MIN),), duration=30 * MIN)
    visits = (
        Visit(1, location=1, duration=50 * MIN, time_windows=(TimeWindow(0, 10 * MIN),)),
        Visit(2, location=2, duration=30 * MIN, time_windows=(TimeWindow(0, 200 * MIN),)),
    )
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 300 * MIN), breaks=(lunch,))
    problem = Problem(visits, (veh,), {"car": line(3)})
    sol = solve(problem, FAST)
    check(problem, sol)
    kinds = [s.type for s in sol.routes[0].steps]
    assert kinds == [StepType.START, StepType.VISIT, StepType.BREAK, StepType.VISIT, StepType.END]


def test_skills() -> None:
    """A visit needing a skill goes to the only vehicle that has it, even if farther away."""
    visits = (Visit(1, location=1, skills=frozenset({3})), Visit(2, location=1))
    vehicles = (
        Vehicle(1, start=1, end=1),
        Vehicle(2, start=5, end=5, skills=frozenset({3})),
    )
    problem = Problem(visits, vehicles, {"car": line(6)})
    sol = solve(problem, FAST)
    check(problem, sol)
    route = sol.route_of(2)
    assert route is not None and 1 in route.visit_ids
    first = sol.route_of(1)
    assert first is not None and first.visit_ids == (2,)


def test_pinned_visit_stays_on_its_vehicle() -> None:
    """A pinned visit is served by its vehicle although another one sits on top of it."""
    visits = (Visit(1, location=4, pinned_vehicle=1),)
    vehicles = (Vehicle(1, start=0, end=0), Vehicle(2, start=4, end=4))
    problem = Problem(visits, vehicles, {"car": line(5)})
    sol = solve(problem, FAST)
    check(problem, sol)
    route = sol.route_of(1)
    assert route is not None and route.visit_ids == (1,)


def test_fixed_visits_keep_vehicle_order_and_place() -> None:
    """Fixed visits stay on their vehicle, first and in the initial order; others fit around."""
    visits = (
        Visit(1, location=5, pinned_vehicle=1, fixed=True),
        Visit(2, location=1, pinned_vehicle=1, fixed=True),
        Visit(3, location=2),
        Visit(4, location=4),
    )
    vehicles = (Vehicle(1, start=0, end=0), Vehicle(2, start=0, end=0))
    problem = Problem(visits, vehicles, {"car": line(6)})
    sol = solve(problem, FAST, initial=[InitialRoute(1, (1, 2))])
    check(problem, sol)
    route = sol.route_of(1)
    assert route is not None
    assert route.visit_ids[:2] == (1, 2)
    assert sol.unassigned == ()


def test_warm_start_is_repaired_and_kept_feasible() -> None:
    """An infeasible warm start (wrong order for the windows) still gives a feasible plan."""
    visits = (
        Visit(1, location=1, time_windows=(TimeWindow(50 * MIN, 55 * MIN),)),
        Visit(2, location=2, time_windows=(TimeWindow(0, 5 * MIN),)),
        Visit(3, location=3),
    )
    problem = Problem(visits, (Vehicle(1, start=0, end=0),), {"car": line(4)})
    sol = solve(problem, FAST, initial=[InitialRoute(1, (1, 2, 3)), InitialRoute(99, (3,))])
    check(problem, sol)
    assert sol.unassigned == ()
    assert sol.routes[0].visit_ids.index(2) < sol.routes[0].visit_ids.index(1)


def test_max_visits_per_vehicle() -> None:
    """No vehicle serves more visits than its maximum, so the work is split."""
    visits = tuple(Visit(i, location=1) for i in range(1, 5))
    vehicles = (Vehicle(1, start=0, end=0, max_visits=2), Vehicle(2, start=0, end=0, max_visits=3))
    problem = Problem(visits, vehicles, {"car": line(2)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.unassigned == ()
    r1 = sol.route_of(1)
    assert r1 is None or len(r1.visit_ids) <= 2


def test_capacity_with_deliveries_and_pickups() -> None:
    """VROOM's load rule: deliveries ride from the start and pickups to the end."""
    visits = (
        Visit(1, location=1, amount=(6,)),
        Visit(2, location=2, amount=(4,)),
        Visit(3, location=3, pickup=(7,)),
    )
    # Capacity 10: 1+2 fit (10 on leaving), but the pickup of 7 needs both deliveries done and
    # room: after 1 and 2 the load is 0, +7 = 7 fits; any order with 3 before a delivery fails.
    vehicles = (Vehicle(1, start=0, end=0, capacity=(10,)),)
    problem = Problem(visits, vehicles, {"car": line(4)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.unassigned == ()
    ids = sol.routes[0].visit_ids
    assert ids.index(3) == 2


def test_capacity_drops_what_does_not_fit() -> None:
    """With one vehicle of capacity 10, only one of two deliveries of 6 is served."""
    visits = (Visit(1, location=1, amount=(6,)), Visit(2, location=2, amount=(6,)))
    problem = Problem(visits, (Vehicle(1, start=0, end=0, capacity=(10,)),), {"car": line(3)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert len(sol.unassigned) == 1


def test_drops_infeasible_visit() -> None:
    """A visit that no vehicle can reach in time is unassigned; the rest is served."""
    visits = (
        Visit(1, location=9, time_windows=(TimeWindow(0, 2 * MIN),)),
        Visit(2, location=1),
    )
    problem = Problem(visits, (Vehicle(1, start=0, end=0),), {"car": line(10)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.unassigned == (1,)


def test_priority_is_preferred() -> None:
    """When only one of two visits fits, the one with the higher priority is served."""
    tw = (TimeWindow(10 * MIN, 10 * MIN),)
    visits = (
        Visit(1, location=1, duration=30 * MIN, time_windows=tw, priority=0),
        Visit(2, location=9, duration=30 * MIN, time_windows=tw, priority=80),
    )
    problem = Problem(visits, (Vehicle(1, start=0, end=0),), {"car": line(10)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.unassigned == (1,)


def test_open_routes() -> None:
    """Without a start, the route begins at its first visit; without an end, at its last."""
    visits = (Visit(1, location=3), Visit(2, location=5))
    vehicles = (Vehicle(1, start=None, end=0), Vehicle(2, start=9, end=None))
    problem = Problem(visits, vehicles, {"car": line(10)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.unassigned == ()
    for r in sol.routes:
        kinds = [s.type for s in r.steps]
        veh = problem.vehicle(r.vehicle)
        assert (kinds[0] is StepType.START) == (veh.start is not None)
        assert (kinds[-1] is StepType.END) == (veh.end is not None)
    # Serving both from vehicle 2 (9 -> 5 -> 3, open end) costs 6 minutes; vehicle 1 would
    # need 5 -> 3 -> 0 = 5 minutes: the cheaper plan wins.
    assert sol.cost == 5 * MIN


def test_two_profiles() -> None:
    """A tight window reachable only at car speed goes to the car, not the nearer bike."""
    visits = (Visit(1, location=6, time_windows=(TimeWindow(0, 10 * MIN),)),)
    vehicles = (
        Vehicle(1, start=1, end=1, profile="bike"),
        Vehicle(2, start=0, end=0, profile="car"),
    )
    problem = Problem(visits, vehicles, {"car": line(7, MIN), "bike": line(7, 4 * MIN)})
    sol = solve(problem, FAST)
    check(problem, sol)
    assert sol.route_of(2) is not None and sol.route_of(1) is None


def test_params_are_validated() -> None:
    """Nonsense parameters are refused when made, not when solving."""
    with pytest.raises(ValueError):
        SolveParams(time_limit=0)
    with pytest.raises(ValueError):
        SolveParams(metaheuristic="magic")
    with pytest.raises(ValueError):
        SolveParams(ruin_recreate_share=1.5)


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n_loc = 8
    n_vis = draw(st.integers(1, 7))
    visits = []
    for i in range(n_vis):
        a = draw(st.integers(0, 60)) * MIN
        visits.append(
            Visit(
                i + 1,
                location=draw(st.integers(0, n_loc - 1)),
                duration=draw(st.integers(0, 30)) * MIN,
                time_windows=(TimeWindow(a, a + draw(st.integers(0, 90)) * MIN),),
                skills=frozenset(draw(st.sets(st.integers(0, 1), max_size=1))),
                priority=draw(st.integers(0, 2)) * 10,
            )
        )
    vehicles = []
    for k in range(draw(st.integers(1, 3))):
        brk = ()
        if draw(st.booleans()):
            s = draw(st.integers(30, 90)) * MIN
            brk = (Break(1, (TimeWindow(s, s + 20 * MIN),), draw(st.integers(5, 30)) * MIN),)
        vehicles.append(
            Vehicle(
                k + 1,
                start=draw(st.one_of(st.none(), st.just(0))),
                end=0,
                shift=TimeWindow(0, 180 * MIN),
                breaks=brk,
                skills=frozenset(draw(st.sets(st.integers(0, 1)))),
                profile=draw(st.sampled_from(("car", "bike"))),
            )
        )
    return Problem(
        tuple(visits), tuple(vehicles), {"car": line(n_loc), "bike": line(n_loc, 3 * MIN)}
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_any_problem_gives_a_valid_plan(problem: Problem) -> None:
    """Whatever the problem, every route replays without violations and no visit is lost."""
    sol = solve(problem, SolveParams(time_limit=0.2))
    check(problem, sol)
