"""The solver under the planner's objective: hard expert rules, modes, and its word on time.

Small problems on a line (one minute between neighbouring locations) drawn by hypothesis; a
"current plan" is a solve of the same problem with VROOM's objective, handed back as the warm
start, as the scheduler does with the day's plan.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import _improve
from routing.model import (
    Break,
    InitialRoute,
    Matrix,
    Objective,
    Problem,
    Solution,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.objective import moved_visits, objective_of
from routing.replay import replay
from routing.solver import SolveParams, solve

MIN = 60
QUICK = SolveParams(time_limit=0.3)


def line(n: int, per: int = MIN) -> Matrix:
    idx = np.arange(n)
    return Matrix(np.abs(idx[:, None] - idx[None, :]).astype(np.int64) * per)


def replays_cleanly(problem: Problem, sol: Solution) -> None:
    """Every route replays without violation (the replay applies the expert rules and the
    mode); every visit is served once or reported unassigned."""
    seen: list[int] = []
    for r in sol.routes:
        veh = problem.vehicle(r.vehicle)
        stops = [(s.type, s.id) for s in r.steps if s.type in (StepType.VISIT, StepType.BREAK)]
        rep = replay(problem, veh, stops)  # type: ignore[arg-type]
        assert rep.feasible, rep.violations
        seen.extend(r.visit_ids)
    assert sorted(seen + list(sol.unassigned)) == sorted(v.id for v in problem.visits)


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    """Up to 9 visits and 3 vehicles, with windows, skills, breaks and expert rules."""
    n_loc = 9
    n_veh = draw(st.integers(1, 3))
    vehicle_ids = st.integers(1, n_veh)
    visits = []
    for i in range(draw(st.integers(1, 9))):
        a = draw(st.integers(0, 90)) * MIN
        required = draw(st.one_of(st.none(), vehicle_ids)) if draw(st.booleans()) else None
        excluded = frozenset(draw(st.sets(vehicle_ids, max_size=1))) - {required}
        visits.append(
            Visit(
                i + 1,
                location=draw(st.integers(0, n_loc - 1)),
                duration=draw(st.integers(0, 30)) * MIN,
                time_windows=(TimeWindow(a, a + draw(st.integers(10, 120)) * MIN),),
                skills=frozenset(draw(st.sets(st.integers(0, 1), max_size=1))),
                priority=draw(st.integers(0, 2)) * 10,
                required_vehicle=required,
                excluded_vehicles=excluded,
                preferred_vehicle=draw(st.one_of(st.none(), vehicle_ids)),
                move_cost=draw(st.one_of(st.none(), st.integers(0, 60 * MIN))),
            )
        )
    vehicles = []
    for k in range(n_veh):
        brk: tuple[Break, ...] = ()
        if draw(st.booleans()):
            s = draw(st.integers(30, 120)) * MIN
            brk = (Break(1, (TimeWindow(s, s + 30 * MIN),), draw(st.integers(5, 30)) * MIN),)
        vehicles.append(
            Vehicle(
                k + 1,
                start=draw(st.one_of(st.none(), st.just(0))),
                end=draw(st.sampled_from((0, 8))),
                shift=TimeWindow(0, 240 * MIN),
                breaks=brk,
                skills=frozenset(draw(st.sets(st.integers(0, 1)))),
                profile=draw(st.sampled_from(("car", "bike"))),
            )
        )
    return Problem(
        tuple(visits), tuple(vehicles), {"car": line(n_loc), "bike": line(n_loc, 3 * MIN)}
    )


def with_current_plan(problem: Problem) -> tuple[Problem, Solution, list[InitialRoute]]:
    """Plan with VROOM's objective; that plan becomes every visit's ``current_vehicle``."""
    plan = solve(dataclasses.replace(problem, objective=None), QUICK)
    current = {vid: r.vehicle for r in plan.routes for vid in r.visit_ids}
    visits = tuple(
        dataclasses.replace(v, current_vehicle=current.get(v.id)) for v in problem.visits
    )
    initial = [InitialRoute(r.vehicle, r.visit_ids) for r in plan.routes]
    return dataclasses.replace(problem, visits=visits), plan, initial


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems(), st.sampled_from(("keep_experts", "balanced", "free")))
def test_a_solution_never_breaks_a_required_or_excluded_vehicle(
    problem: Problem, mode: str
) -> None:
    """Whatever the mode, no visit is served by a vehicle its rules forbid."""
    problem = dataclasses.replace(problem, objective=Objective.for_mode(mode))  # type: ignore[arg-type]
    sol = solve(problem, QUICK)
    replays_cleanly(problem, sol)
    for r in sol.routes:
        for vid in r.visit_ids:
            visit = problem.visit(vid)
            assert visit.required_vehicle in (None, r.vehicle)
            assert r.vehicle not in visit.excluded_vehicles


@SETTINGS
@given(problems())
def test_keep_experts_moves_no_visit_and_never_works_longer(problem: Problem) -> None:
    """Starting from the current plan, ``keep_experts`` changes only order and times: no visit
    moves, none that was served is dropped, and working time does not grow."""
    problem, plan, initial = with_current_plan(problem)
    problem = dataclasses.replace(problem, objective=Objective(mode="keep_experts"))
    sol = solve(problem, QUICK, initial)
    replays_cleanly(problem, sol)
    assert moved_visits(problem, sol) == []
    before, after = objective_of(problem, plan), objective_of(problem, sol)
    assert after.served >= before.served
    if after.served == before.served:
        # (Preferences can only be kept where they were kept: the vehicles are the same.)
        assert after.working <= before.working


@SETTINGS
@given(problems(), st.sampled_from(("balanced", "free")))
def test_a_solve_from_the_current_plan_is_never_worse(problem: Problem, mode: str) -> None:
    """The objective of the result is never worse than that of the plan it started from."""
    problem, plan, initial = with_current_plan(problem)
    problem = dataclasses.replace(problem, objective=Objective.for_mode(mode))  # type: ignore[arg-type]
    sol = solve(problem, QUICK, initial)
    replays_cleanly(problem, sol)
    assert objective_of(problem, sol).key <= objective_of(problem, plan).key


def test_a_move_is_made_only_when_it_pays_for_itself() -> None:
    """Two experts at opposite ends of a line; visit 2 (at 7) is currently with vehicle 1 (home
    at 0) although vehicle 2 (home at 8) is next door. Moving it saves 12 minutes of travel: in
    ``free`` mode it moves, with a 20-minute move cost it stays, with 5 minutes it moves."""
    visits = (
        Visit(1, 1, duration=600, current_vehicle=1),
        Visit(2, 7, duration=600, current_vehicle=1),
        Visit(3, 8, duration=600, current_vehicle=2),
    )
    vehicles = (Vehicle(1, 0, 0), Vehicle(2, 8, 8))
    base = Problem(visits, vehicles, {"car": line(9)})
    initial = [InitialRoute(1, (1, 2)), InitialRoute(2, (3,))]
    moved = {}
    for name, objective in (
        ("free", Objective.for_mode("free")),
        ("20 min", Objective(move_cost=20 * MIN)),
        ("5 min", Objective(move_cost=5 * MIN)),
    ):
        problem = dataclasses.replace(base, objective=objective)
        moved[name] = moved_visits(problem, solve(problem, QUICK, initial))
    assert moved == {"free": [2], "20 min": [], "5 min": [2]}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3), st.booleans())
def test_a_cap_on_moves_is_never_exceeded(problem: Problem, cap: int, compiled: bool) -> None:
    """With moves free (the strongest pull to move) and a cap of ``cap`` moves, in the C loop and
    in the Python loop: the plan moves at most ``cap`` visits from their current vehicle, and is
    no worse than the current plan it started from (which moves none)."""
    problem, plan, initial = with_current_plan(problem)
    problem = dataclasses.replace(problem, objective=Objective.for_mode("free"))
    with pytest.MonkeyPatch.context() as mp:
        if not compiled:
            mp.setattr(_improve, "_sisr", None)
        sol = solve(problem, dataclasses.replace(QUICK, max_moves=cap), initial)
    replays_cleanly(problem, sol)
    assert len(moved_visits(problem, sol)) <= cap
    assert objective_of(problem, sol).key <= objective_of(problem, plan).key


def _swapped_day() -> tuple[Problem, list[InitialRoute]]:
    """Two experts at opposite ends of a line, each currently serving the three visits next to
    the other's home: in ``free`` mode all six change expert."""
    visits = tuple(
        Visit(i, loc, duration=600, current_vehicle=vehicle)
        for i, loc, vehicle in ((1, 1, 2), (2, 2, 2), (3, 3, 2), (4, 13, 1), (5, 14, 1), (6, 15, 1))
    )
    vehicles = (Vehicle(1, 0, 0), Vehicle(2, 16, 16))
    problem = Problem(visits, vehicles, {"car": line(17)}, objective=Objective.for_mode("free"))
    return problem, [InitialRoute(1, (4, 5, 6)), InitialRoute(2, (1, 2, 3))]


@pytest.mark.parametrize("compiled", [True, False])
def test_the_cap_binds_and_the_search_uses_it(compiled: bool) -> None:
    """On the swapped day, free mode moves all six visits; with a cap of k moves the plan moves
    exactly k (each move here saves travel) and works less the more moves it may make."""
    problem, initial = _swapped_day()
    working = {}
    with pytest.MonkeyPatch.context() as mp:
        if not compiled:
            mp.setattr(_improve, "_sisr", None)
        assert len(moved_visits(problem, solve(problem, QUICK, initial))) == 6
        for cap in (0, 1, 2):
            sol = solve(problem, dataclasses.replace(QUICK, max_moves=cap), initial)
            replays_cleanly(problem, sol)
            assert len(moved_visits(problem, sol)) == cap
            working[cap] = objective_of(problem, sol).working
    assert working[0] > working[1] > working[2]


def test_a_negative_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="max_moves"):
        SolveParams(max_moves=-1)


def test_a_preferred_vehicle_is_kept_unless_impossible() -> None:
    """Visit 2 prefers vehicle 1 although vehicle 2 is next door: it stays with vehicle 1. When
    vehicle 1 lacks its skill, vehicle 2 serves it."""
    visits = (Visit(1, 1, duration=600), Visit(2, 7, duration=600, preferred_vehicle=1))
    vehicles = (Vehicle(1, 0, 0, skills=frozenset({0})), Vehicle(2, 8, 8, skills=frozenset({0})))
    problem = Problem(visits, vehicles, {"car": line(9)}, objective=Objective())
    sol = solve(problem, QUICK)
    assert 2 in sol.route_of(1).visit_ids  # type: ignore[union-attr]
    skilled = dataclasses.replace(
        problem, visits=(visits[0], dataclasses.replace(visits[1], skills=frozenset({1})))
    )
    skilled = dataclasses.replace(
        skilled, vehicles=(vehicles[0], dataclasses.replace(vehicles[1], skills=frozenset({0, 1})))
    )
    sol = solve(skilled, QUICK)
    assert 2 in sol.route_of(2).visit_ids  # type: ignore[union-attr]


def busy_day(seed: int, experts: int, visits: int) -> Problem:
    """A random day big enough to keep a solver busy: a 10 x 10 km square, two-hour windows,
    a lunch break per expert."""
    rng = random.Random(seed)
    n = visits + 1
    pts = np.array([(5.0, 5.0)] + [(rng.uniform(0, 10), rng.uniform(0, 10)) for _ in range(visits)])
    km = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))
    durations = (km * 150 + 60).astype(np.int64)
    np.fill_diagonal(durations, 0)
    vs = []
    for i in range(visits):
        start = rng.randrange(8, 15) * 3600
        vs.append(
            Visit(
                i + 1,
                i + 1,
                duration=rng.choice((1800, 2700, 3600)),
                time_windows=(TimeWindow(start, start + 7200),),
            )
        )
    lunch = Break(1, (TimeWindow(11 * 3600, 13 * 3600),), 1800)
    vehicles = tuple(
        Vehicle(k + 1, 0, 0, shift=TimeWindow(8 * 3600, 17 * 3600), breaks=(lunch,))
        for k in range(experts)
    )
    assert n == durations.shape[0]
    return Problem(tuple(vs), vehicles, {"car": Matrix(durations)})


def test_a_solve_keeps_its_time_limit() -> None:
    """From the solve's own timing: with a 2 s limit and no early stop, a 150-visit day (VROOM's
    objective and the planner's) is solved in at most 2.3 s."""
    problem = busy_day(7, 15, 150)
    for objective in (None, Objective()):
        timings: dict[str, float] = {}
        solve(
            dataclasses.replace(problem, objective=objective),
            SolveParams(time_limit=2.0, stall=None),
            timings=timings,
        )
        assert timings["total"] <= 2.3, timings


def test_a_solve_stops_early_once_it_stops_improving() -> None:
    """Three visits leave nothing to improve: with a 10 s limit and a 0.3 s stall window the
    solve ends long before the limit."""
    visits = tuple(Visit(i, i, duration=600) for i in (1, 2, 3))
    problem = Problem(visits, (Vehicle(1, 0, 0),), {"car": line(4)}, objective=Objective())
    timings: dict[str, float] = {}
    solve(problem, SolveParams(time_limit=10.0, stall=0.3), timings=timings)
    assert timings["total"] < 3.0, timings


def test_a_balance_weight_evens_out_the_working_day() -> None:
    """Both experts (home at 0) must visit someone at 1 (required). Visits at 4, 5 and 6 are
    cheapest all on one route (14 min travel, spans 52 and 12 min: spread 40 min); with a balance
    weight of 1, spreading them (22 min travel, spread 8 min) is better."""
    visits = (
        Visit(1, 1, duration=600, required_vehicle=1),
        Visit(2, 1, duration=600, required_vehicle=2),
        Visit(3, 4, duration=600),
        Visit(4, 5, duration=600),
        Visit(5, 6, duration=600),
    )
    base = Problem(visits, (Vehicle(1, 0, 0), Vehicle(2, 0, 0)), {"car": line(9)})
    found = {}
    for weight in (0.0, 1.0):
        problem = dataclasses.replace(base, objective=Objective(balance_weight=weight))
        found[weight] = objective_of(problem, solve(problem, QUICK))
    assert (found[0.0].working, found[0.0].balance) == (14 * MIN, 40 * MIN)
    assert found[1.0].balance <= 8 * MIN < found[0.0].balance
    assert found[1.0].total < found[0.0].working + found[0.0].balance
