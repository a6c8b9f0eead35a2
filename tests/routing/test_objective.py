"""The planner's objective and the per-visit expert rules, on hand-checkable problems.

Locations lie on a line, one minute apart; vehicle 1 starts and ends at 0, vehicle 2 at 4.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from routing.check import ViolationKind, check
from routing.model import Matrix, Objective, Problem, Solution, StepType, TimeWindow, Vehicle, Visit
from routing.objective import balance_seconds, moved_visits, objective_of, working_seconds
from routing.replay import replay
from routing.vroom import problem_from_vroom, problem_to_vroom, solution_to_vroom

MIN = 60


def line(n: int) -> Matrix:
    idx = np.arange(n)
    return Matrix(np.abs(idx[:, None] - idx[None, :]).astype(np.int64) * MIN)


def two_experts(
    objective: Objective | None = None, rules: dict[int, dict[str, Any]] | None = None
) -> Problem:
    """Visits 10 (at 1), 11 (at 2, window from 20 min) and 12 (at 3); 10 and 11 on vehicle 1,
    12 on vehicle 2 in the current plan."""
    base = (
        Visit(10, 1, duration=300, current_vehicle=1),
        Visit(
            11, 2, duration=300, time_windows=(TimeWindow(20 * MIN, 60 * MIN),), current_vehicle=1
        ),
        Visit(12, 3, duration=300, current_vehicle=2),
    )
    visits = tuple(dataclasses.replace(v, **(rules or {}).get(v.id, {})) for v in base)
    vehicles = (Vehicle(1, 0, 0), Vehicle(2, 4, 4))
    return Problem(visits, vehicles, {"car": line(5)}, objective=objective)


def solve_by_hand(problem: Problem, plan: dict[int, list[int]]) -> Solution:
    routes = []
    for vid, visit_ids in plan.items():
        rep = replay(problem, problem.vehicle(vid), [(StepType.VISIT, i) for i in visit_ids])
        assert rep.feasible, rep.violations
        routes.append(rep.route)
    served = {i for ids in plan.values() for i in ids}
    return Solution(tuple(routes), tuple(v.id for v in problem.visits if v.id not in served))


def test_objective_terms_by_hand() -> None:
    """Vehicle 1 drives 0-1-2-0 (1+1+2 min) and, leaving late, waits only at 11: it reaches 1
    at t0+60, serves to t0+360, reaches 2 at t0+420; 11 opens at 1200, so the late start makes
    the wait vanish. Vehicle 2 drives 4-3-4 (2 min). Working 6 min, no moves; durations
    4 min + 10 min service = 840 s and 2 min + 5 min = 420 s: balance 420 s."""
    problem = two_experts(Objective())
    sol = solve_by_hand(problem, {1: [10, 11], 2: [12]})
    value = objective_of(problem, sol)
    assert value.travel == 6 * MIN
    assert value.waiting == 0
    assert working_seconds(sol) == value.working == 6 * MIN
    assert value.moved == 0 and value.move_cost == 0
    assert balance_seconds(sol) == value.balance == 840 - 420
    assert value.total == 6 * MIN
    assert value.key == (0, -3, 360.0)


def test_a_move_costs_its_move_cost_and_unplanned_visits_are_not_moves() -> None:
    """Visit 12 moved to vehicle 1 costs the default 1200 s; with a per-visit move cost of
    3000 s that is what it costs; in free mode nothing. A visit never planned is no move."""
    problem = two_experts(Objective())
    sol = solve_by_hand(problem, {1: [10, 11, 12]})
    assert moved_visits(problem, sol) == [12]
    assert objective_of(problem, sol).move_cost == 1200
    told = two_experts(Objective(), {12: {"move_cost": 3000}})
    assert objective_of(told, solve_by_hand(told, {1: [10, 11, 12]})).move_cost == 3000
    free = two_experts(Objective.for_mode("free"), {12: {"move_cost": 3000}})
    assert objective_of(free, solve_by_hand(free, {1: [10, 11, 12]})).move_cost == 0
    new = two_experts(Objective(), {12: {"current_vehicle": None}})
    assert moved_visits(new, solve_by_hand(new, {1: [10, 11, 12]})) == []


def test_waiting_counts_as_working_time() -> None:
    """Vehicle 1 serves 10 (window [60, 120]), 12, then 11 (opens at 1200): 0->1 at 60, serve to
    360, ->3 at 480, serve to 780, ->2 at 840, wait until 1200. The late start may shift the
    departure by at most 60 s (10's window), so 300 s of waiting remain: working = 360 travel
    + 300 waiting."""
    problem = two_experts(Objective(), {10: {"time_windows": (TimeWindow(60, 120),)}})
    sol = solve_by_hand(problem, {1: [10, 12, 11]})
    value = objective_of(problem, sol)
    assert (value.travel, value.waiting, value.working) == (360, 300, 660)
    assert value.moved == 1


def test_preferred_vehicle_is_a_soft_cost() -> None:
    problem = two_experts(Objective(), {12: {"preferred_vehicle": 2}})
    sol = solve_by_hand(problem, {1: [10, 11, 12]})
    value = objective_of(problem, sol)
    assert value.not_preferred == 1
    assert value.preferred_cost == Objective().preferred_cost
    assert value.total == value.working + 1200 + Objective().preferred_cost


@pytest.mark.parametrize(
    ("rules", "allowed"),
    [
        ({"required_vehicle": 2}, [2]),
        ({"excluded_vehicles": frozenset({2})}, [1]),
        ({"pinned_vehicle": 1}, [1]),
        ({}, [1, 2]),
    ],
)
def test_required_and_excluded_vehicles_are_hard(
    rules: dict[str, object], allowed: list[int]
) -> None:
    problem = two_experts(None, {12: rules})
    visit = problem.visit(12)
    assert [v.id for v in problem.vehicles if problem.allows(visit, v)] == allowed
    for veh in problem.vehicles:
        rep = replay(problem, veh, [(StepType.VISIT, 12)])
        assert rep.feasible == (veh.id in allowed)


def test_keep_experts_allows_only_the_current_vehicle() -> None:
    problem = two_experts(Objective(mode="keep_experts"), {11: {"current_vehicle": None}})
    allowed = {
        v.id: [k.id for k in problem.vehicles if problem.allows(v, k)] for v in problem.visits
    }
    assert allowed == {10: [1], 11: [1, 2], 12: [2]}


def test_a_required_expert_that_is_also_excluded_is_refused() -> None:
    with pytest.raises(ValueError, match="also excluded"):
        Visit(1, 0, required_vehicle=2, excluded_vehicles=frozenset({2}))


def test_check_reports_required_excluded_and_keep_experts() -> None:
    """A solution serving 12 on vehicle 1 breaks each rule that forbids it, one kind each."""
    cases = [
        (two_experts(None, {12: {"required_vehicle": 2}}), ViolationKind.REQUIRED_VEHICLE),
        (
            two_experts(None, {12: {"excluded_vehicles": frozenset({1})}}),
            ViolationKind.EXCLUDED_VEHICLE,
        ),
        (two_experts(Objective(mode="keep_experts")), ViolationKind.KEEP_EXPERTS),
    ]
    free = two_experts(None)
    sol = solve_by_hand(free, {1: [10, 11, 12]})
    for problem, kind in cases:
        found = check(problem, solution_to_vroom(problem, sol))
        assert [v.kind for v in found] == [kind]
    assert check(free, solution_to_vroom(free, sol)) == []


def test_vroom_extension_fields_round_trip() -> None:
    problem = two_experts(
        Objective.for_mode("free", balance_weight=0.5),
        {
            10: {"preferred_vehicle": 1, "move_cost": 2400},
            12: {"required_vehicle": 2, "excluded_vehicles": frozenset({1})},
        },
    )
    data = problem_to_vroom(problem)
    assert data["x_aanhuis"]["objective"]["mode"] == "free"
    assert data["jobs"][0]["x_aanhuis"] == {
        "preferred_vehicle": 1,
        "current_vehicle": 1,
        "move_cost": 2400,
    }
    back = problem_from_vroom(data)
    assert back.objective == problem.objective
    # The required vehicle also travels as a pinning skill (skill 0, which only vehicle 2 has).
    assert back.vehicle(2).skills == {0} and back.visit(12).skills == {0}
    assert [dataclasses.replace(v, skills=frozenset()) for v in back.visits] == list(problem.visits)


def test_plain_vroom_input_keeps_vroom_meaning() -> None:
    data = problem_to_vroom(two_experts(None))
    assert "x_aanhuis" not in data
    assert problem_from_vroom(data).objective is None
