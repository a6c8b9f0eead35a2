"""The solution checker: it accepts a hand-checked solution and catches each kind of violation.

Every broken solution below is the hand-checked one (``data/small_solution.json``) with one defect
put in by hand, and every figure that the defect does not concern kept consistent, so the checker
must report exactly that kind of violation and nothing else.

The hand check of ``small_solution.json`` (durations from ``small_instance.json``):

- vehicle 1 leaves the depot at 31800, reaches job 101 at 32400 (+600, window opens at 32400),
  serves 1800 s to 34200, reaches job 102 at 34700 (+500), waits 1300 s for its window (36000),
  serves to 37200, waits 6000 s where it is for break 10 (window [43200, 46800]), breaks 1800 s to
  45000, reaches job 103 at 45400 (+400), waits 1400 s for its window (46800), serves 900 s to
  47700, and is back at 48900 (+1200), inside its shift [28800, 61200]. Travel 2700 s, cost
  6+5+4+12 = 27, waiting 8700 s, service 5700 s. Load: deliveries 1+2 = 3 on board at the start
  (capacity 3), 2 after 101, 3 after 102's pickup, 1 after 103. Three jobs: max_tasks 3.
- vehicle 2 leaves at 28800, serves job 105 at 29700 (+900) for 600 s, and is back at 31200
  (+900). Travel 1800, cost 18.
- job 104 (window [28800, 29000], 1200 s from the depot) cannot be reached: unassigned.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.check import Violation, ViolationKind, check
from routing.model import (
    Break,
    Matrix,
    Problem,
    Solution,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.replay import replay
from routing.vroom import VroomFormatError, problem_from_vroom, solution_to_vroom

DATA = Path(__file__).parent / "data"
K = ViolationKind


def _instance() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "small_instance.json").read_text())
    return data


def _solution() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "small_solution.json").read_text())
    return data


PROBLEM = problem_from_vroom(_instance())


def _step(sol: dict[str, Any], vehicle: int, kind: str, ident: int | None = None) -> Any:
    route = next(r for r in sol["routes"] if r["vehicle"] == vehicle)
    return next(s for s in route["steps"] if s["type"] == kind and s.get("id") == ident)


def _route(sol: dict[str, Any], vehicle: int) -> Any:
    return next(r for r in sol["routes"] if r["vehicle"] == vehicle)


def _add_waiting(sol: dict[str, Any], vehicle: int, seconds: int) -> None:
    """Keep the route's and the summary's waiting totals consistent with edited steps."""
    _route(sol, vehicle)["waiting_time"] += seconds
    sol["summary"]["waiting_time"] += seconds


def _broken(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    sol = copy.deepcopy(_solution())
    edit(sol)
    return sol


def _kinds(violations: list[Violation]) -> set[ViolationKind]:
    return {v.kind for v in violations}


def test_accepts_the_hand_checked_solution() -> None:
    """The hand-checked solution (module docstring) has no violation."""
    assert check(PROBLEM, _solution()) == []


def test_missing_job() -> None:
    """A job neither routed nor listed as unassigned is reported as missing."""

    def edit(sol: dict[str, Any]) -> None:
        sol["unassigned"] = []
        sol["summary"]["unassigned"] = 0

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.MISSING_JOB}
    assert [v.job for v in found] == [104]
    assert "job 104" in str(found[0])


def test_job_routed_and_unassigned() -> None:
    """A job that is served and also listed as unassigned is a duplicate."""

    def edit(sol: dict[str, Any]) -> None:
        sol["unassigned"].append({"id": 105, "type": "job"})
        sol["summary"]["unassigned"] = 2

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.DUPLICATE_JOB}
    assert found[0].job == 105 and found[0].vehicle == 2


def test_job_served_twice() -> None:
    """A job served by two vehicles is reported once served, then as a duplicate."""

    def edit(sol: dict[str, Any]) -> None:
        # Vehicle 2 serves 105 (at location 2, where it already is) a second time, right after.
        route = _route(sol, 2)
        again = copy.deepcopy(route["steps"][1])
        again["arrival"] = 30300
        route["steps"].insert(2, again)
        route["steps"][-1]["arrival"] += 600
        route["service"] += 600
        sol["summary"]["service"] += 600

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.DUPLICATE_JOB}
    assert found[0].job == 105


def test_unknown_job() -> None:
    """An unassigned entry for a job the problem does not have is reported."""

    def edit(sol: dict[str, Any]) -> None:
        sol["unassigned"].append({"id": 999, "type": "job"})
        sol["summary"]["unassigned"] = 2

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.UNKNOWN_JOB}
    assert found[0].job == 999


def test_service_outside_time_window() -> None:
    """A job whose service starts (arrival + waiting) before its window opens is reported."""

    def edit(sol: dict[str, Any]) -> None:
        _step(sol, 1, "job", 103)["waiting_time"] = 0  # starts at 45400, window opens at 46800
        _add_waiting(sol, 1, -1400)

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.TIME_WINDOW}
    assert found[0].job == 103 and "45400" in str(found[0])


def test_travel_too_short() -> None:
    """Arriving sooner than the previous service end plus the matrix travel time is reported,
    even though the same order re-timed would be feasible: the checker judges reported times."""

    def edit(sol: dict[str, Any]) -> None:
        step = _step(sol, 1, "job", 102)
        step["arrival"] = 34500  # 101 ends at 34200 and the leg takes 500 s
        step["waiting_time"] = 1500
        _add_waiting(sol, 1, 200)

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.TRAVEL}
    assert found[0].job == 102 and "34700" in str(found[0])


def test_travel_across_a_break_too_short() -> None:
    """Travel cannot overlap a break: the leg around a break needs the break's time on top."""

    def edit(sol: dict[str, Any]) -> None:
        # 102 now ends at 44400 and the break follows at once (44400-46200); 103 is reported at
        # 46200, but the 400 s leg from 102 fits nowhere: it needs 44400 + 1800 + 400 = 46600.
        _step(sol, 1, "job", 102)["waiting_time"] = 8500
        brk = _step(sol, 1, "break", 10)
        brk["arrival"], brk["waiting_time"] = 44400, 0
        job = _step(sol, 1, "job", 103)
        job["arrival"], job["waiting_time"] = 46200, 600
        _add_waiting(sol, 1, 8500 - 1300 - 6000 + 600 - 1400)

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.TRAVEL}
    assert found[0].job == 103 and "breaks" in str(found[0]) and "46600" in str(found[0])


def test_break_overlaps_job() -> None:
    """A break that begins before the previous job's service ends is an overlap."""

    def edit(sol: dict[str, Any]) -> None:
        brk = _step(sol, 1, "break", 10)
        brk["arrival"], brk["waiting_time"] = 37000, 6200  # job 102 ends at 37200
        _add_waiting(sol, 1, 200)

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.OVERLAP}
    assert found[0].break_id == 10 and found[0].vehicle == 1


def test_break_outside_its_window() -> None:
    """A break starting outside its time windows is reported."""

    def edit(sol: dict[str, Any]) -> None:
        _step(sol, 1, "break", 10)["waiting_time"] = 5000  # starts at 42200, window [43200, ..]
        _add_waiting(sol, 1, -1000)

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.BREAK_WINDOW}
    assert found[0].break_id == 10 and "42200" in str(found[0])


def test_break_too_short() -> None:
    """A break shorter than its service is reported."""

    def edit(sol: dict[str, Any]) -> None:
        _step(sol, 1, "break", 10)["service"] = 1200
        _route(sol, 1)["service"] -= 600
        sol["summary"]["service"] -= 600

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.SERVICE}
    assert found[0].break_id == 10


def test_job_service_too_short() -> None:
    """A job reported with less service time than it takes is reported."""

    def edit(sol: dict[str, Any]) -> None:
        _step(sol, 2, "job", 105)["service"] = 300
        _step(sol, 2, "end")["arrival"] -= 300
        _route(sol, 2)["service"] -= 300
        sol["summary"]["service"] -= 300

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.SERVICE}
    assert found[0].job == 105


def test_skipped_break() -> None:
    """A vehicle that serves jobs but skips its break is reported."""

    def edit(sol: dict[str, Any]) -> None:
        route = _route(sol, 1)
        route["steps"] = [s for s in route["steps"] if s["type"] != "break"]
        # 103 now waits from 37600 (37200 + 400) to 46800.
        job = _step(sol, 1, "job", 103)
        job["arrival"], job["waiting_time"] = 37600, 9200
        route["service"] -= 1800
        sol["summary"]["service"] -= 1800
        _add_waiting(sol, 1, 9200 - 6000 - 1400)

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.MISSING_BREAK}
    assert found[0].break_id == 10 and found[0].vehicle == 1


def test_unknown_and_repeated_break() -> None:
    """A break the vehicle does not have, or one taken twice, is reported."""

    def edit(sol: dict[str, Any]) -> None:
        steps = _route(sol, 1)["steps"]
        extra = {"type": "break", "id": 11, "service": 0, "waiting_time": 0, "arrival": 48900}
        again = dict(extra, id=10, service=0)
        steps[-1:-1] = [extra, again]

    found = check(PROBLEM, _broken(edit))
    assert {K.UNKNOWN_BREAK, K.DUPLICATE_BREAK} <= _kinds(found)
    assert {v.break_id for v in found if v.kind is K.UNKNOWN_BREAK} == {11}


def test_route_starts_before_shift() -> None:
    """A route whose start is before the vehicle's time window opens is reported."""

    def edit(sol: dict[str, Any]) -> None:
        for step in _route(sol, 2)["steps"]:
            step["arrival"] -= 800  # leaves at 28000; the shift starts at 28800

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.SHIFT_START}
    assert found[0].vehicle == 2 and "28000" in str(found[0])


def test_route_ends_after_shift() -> None:
    """A route arriving at its end after the vehicle's time window closes is reported."""

    def edit(sol: dict[str, Any]) -> None:
        for step in _route(sol, 2)["steps"]:
            step["arrival"] += 31200  # back at 62400; the shift ends at 61200

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.SHIFT_END}
    assert found[0].vehicle == 2 and "62400" in str(found[0])


def test_open_route_ends_after_shift_with_its_last_service() -> None:
    """Without an end location, the route ends when its last service ends, inside the shift."""
    vehicles = list(PROBLEM.vehicles)
    vehicles[1] = dataclasses.replace(vehicles[1], end=None, shift=TimeWindow(28800, 30000))
    problem = dataclasses.replace(PROBLEM, vehicles=tuple(vehicles))

    def edit(sol: dict[str, Any]) -> None:
        # VROOM writes an end step at the last job for routes without an end location.
        route = _route(sol, 2)
        route["steps"][-1].update(location_index=2, arrival=30300, duration=900)
        route["cost"], route["duration"] = 9, 900
        sol["summary"]["cost"] -= 9
        sol["summary"]["duration"] -= 900

    found = check(problem, _broken(edit))
    assert _kinds(found) == {K.SHIFT_END}
    assert "30300" in str(found[0])


def test_missing_skill() -> None:
    """A job served by a vehicle without one of its skills is reported."""
    instance = _instance()
    instance["vehicles"][0]["skills"] = [1]
    found = check(problem_from_vroom(instance), _solution())
    assert _kinds(found) == {K.SKILLS}
    assert found[0].job == 101 and "[2]" in str(found[0])


def test_pinned_to_another_vehicle() -> None:
    """A job pinned to one vehicle but served by another is reported."""
    visits = tuple(
        dataclasses.replace(v, pinned_vehicle=2) if v.id == 103 else v for v in PROBLEM.visits
    )
    found = check(dataclasses.replace(PROBLEM, visits=visits), _solution())
    assert _kinds(found) == {K.PINNED}
    assert found[0].job == 103 and found[0].vehicle == 1


def test_max_tasks() -> None:
    """A route with more jobs than the vehicle's max_tasks is reported."""
    instance = _instance()
    instance["vehicles"][0]["max_tasks"] = 2
    found = check(problem_from_vroom(instance), _solution())
    assert _kinds(found) == {K.MAX_TASKS}
    assert found[0].vehicle == 1


def test_capacity_with_deliveries_on_board_from_the_start() -> None:
    """VROOM's load rule: both deliveries (1 + 2) are on board at the start, over a capacity 2."""
    instance = _instance()
    instance["vehicles"][0]["capacity"] = [2]
    found = check(problem_from_vroom(instance), _solution())
    assert _kinds(found) == {K.CAPACITY}
    assert "3" in str(found[0]) and "the start" in str(found[0])


def test_capacity_with_pickups_carried_to_the_end() -> None:
    """VROOM's load rule: a pickup stays on board to the end of the route.

    With 103 delivering 1 and 102 picking up 3, vehicle 1 carries 2 at the start, 1 after 101,
    then 4 after 102: over its capacity 3.
    """
    instance = _instance()
    instance["jobs"][1]["pickup"] = [3]
    instance["jobs"][2]["delivery"] = [1]
    sol = _solution()
    route = _route(sol, 1)
    for step, load in zip(route["steps"], [2, 1, 4, 4, 3, 3], strict=True):
        step["load"] = [load]
    route.update(delivery=[2], amount=[2], pickup=[3])
    sol["summary"].update(delivery=[2], amount=[2], pickup=[3])
    found = check(problem_from_vroom(instance), sol)
    assert _kinds(found) == {K.CAPACITY}
    assert "carries 4" in str(found[0]) and "after job 102" in str(found[0])


def test_route_cost_inconsistent_with_matrix() -> None:
    """A route cost that is not the sum of the cost matrix over its legs is reported."""

    def edit(sol: dict[str, Any]) -> None:
        _route(sol, 1)["cost"] = 26

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.COST}
    assert "27" in str(found[0]) and found[0].vehicle == 1


def test_route_duration_inconsistent_with_matrix() -> None:
    """A route's reported travel duration that is not the sum of its legs is reported."""

    def edit(sol: dict[str, Any]) -> None:
        _route(sol, 2)["duration"] = 1700
        sol["summary"]["duration"] -= 100

    found = check(PROBLEM, _broken(edit))
    # The summary still adds up the matrix legs, so it disagrees as well.
    assert _kinds(found) == {K.COST, K.SUMMARY}


def test_cost_without_cost_matrix_is_the_travel_time() -> None:
    """Without a cost matrix, a route's cost is its travel time: cost 18 is then wrong."""
    instance = _instance()
    del instance["matrices"]["car"]["costs"]
    found = check(problem_from_vroom(instance), _solution())
    assert {v.vehicle for v in found if v.kind is K.COST} == {1, 2}
    assert any("2700" in str(v) for v in found)


def test_summary_inconsistent() -> None:
    """A summary figure that is not the sum over the routes is reported."""

    def edit(sol: dict[str, Any]) -> None:
        sol["summary"]["cost"] = 44
        sol["summary"]["routes"] = 3

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.SUMMARY}
    assert len(found) == 2


def test_reported_load_and_totals_inconsistent() -> None:
    """A step's reported load and a route's waiting total must match what the steps imply."""

    def edit(sol: dict[str, Any]) -> None:
        _step(sol, 1, "job", 101)["load"] = [3]
        _route(sol, 2)["waiting_time"] = 5

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.REPORT}
    assert {v.vehicle for v in found} == {1, 2}


def test_job_reported_at_wrong_location() -> None:
    """A step reported at another location than its job's is reported."""

    def edit(sol: dict[str, Any]) -> None:
        _step(sol, 2, "job", 105)["location_index"] = 3

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.ROUTE_SHAPE}


def test_route_without_end_step() -> None:
    """A vehicle with an end location needs an end step."""

    def edit(sol: dict[str, Any]) -> None:
        _route(sol, 2)["steps"].pop()
        _route(sol, 2)["cost"] = 9
        _route(sol, 2)["duration"] = 900
        sol["summary"]["cost"] -= 9
        sol["summary"]["duration"] -= 900

    found = check(PROBLEM, _broken(edit))
    assert _kinds(found) == {K.ROUTE_SHAPE}
    assert "end" in str(found[0])


def test_unknown_vehicle_and_second_route() -> None:
    """Routes for a vehicle the problem lacks, or a second route for a vehicle, are reported."""

    def edit(sol: dict[str, Any]) -> None:
        ghost = copy.deepcopy(_route(sol, 2))
        ghost["vehicle"] = 9
        ghost["steps"] = ghost["steps"][:1]
        twin = copy.deepcopy(ghost)
        twin["vehicle"] = 2
        sol["routes"] += [ghost, twin]

    found = check(PROBLEM, _broken(edit))
    assert {K.UNKNOWN_VEHICLE, K.DUPLICATE_ROUTE} <= _kinds(found)
    assert {v.vehicle for v in found if v.kind is K.UNKNOWN_VEHICLE} == {9}


def test_travel_before_a_break_is_accepted() -> None:
    """VROOM may drive first and take the break on arrival: that is as valid as breaking first."""

    def edit(sol: dict[str, Any]) -> None:
        # Drive 102 -> 103 (37200-37600), break there from 43200, serve 103 at 46800 after the
        # break ends at 45000. The break's travel so far then includes the leg.
        brk = _step(sol, 1, "break", 10)
        brk.update(arrival=37600, waiting_time=5600, duration=1500)
        job = _step(sol, 1, "job", 103)
        job.update(arrival=45000, waiting_time=1800)  # waiting still 5600 + 1800 = 6000 + 1400

    assert check(PROBLEM, _broken(edit)) == []


def test_not_vroom_output_raises() -> None:
    """Malformed solutions raise VroomFormatError naming the field, rather than a KeyError."""
    with pytest.raises(VroomFormatError, match="arrival"):
        check(PROBLEM, _broken(lambda s: _step(s, 1, "job", 101).pop("arrival")))
    with pytest.raises(VroomFormatError, match="routes"):
        check(PROBLEM, {"code": 0})
    with pytest.raises(VroomFormatError, match="error report"):
        check(PROBLEM, {"code": 2, "error": "Invalid vehicles."})


def test_accepts_vrooms_own_solution() -> None:
    """VROOM's own solution of the same instance passes the checker."""
    vroom = pytest.importorskip("vroom")
    instance = vroom.Input.from_json(str(DATA / "small_instance.json"))
    solved = instance.solve(exploration_level=5, nb_threads=1).to_dict()
    assert solved["routes"], "VROOM should route something on this instance"
    assert check(PROBLEM, solved) == []


# ---------------------------------------------------------------------------------------------
# Property: the checker agrees with routing.replay on replayed routes.


@st.composite
def _replayed(draw: st.DrawFn) -> tuple[Problem, Solution, bool]:
    n = draw(st.integers(2, 6))
    durations = [
        [0 if i == j else draw(st.integers(1, 50)) for j in range(n + 1)] for i in range(n + 1)
    ]
    visits = []
    for k in range(n):
        start = draw(st.integers(0, 300))
        windows = (
            (TimeWindow(start, start + draw(st.integers(0, 200))),) if draw(st.booleans()) else ()
        )
        visits.append(
            Visit(
                id=100 + k,
                location=k + 1,
                duration=draw(st.integers(0, 30)),
                time_windows=windows,
                amount=(draw(st.integers(0, 2)),),
                pickup=(draw(st.integers(0, 2)),),
                priority=draw(st.integers(0, 3)),
            )
        )
    brk = Break(7, (TimeWindow(draw(st.integers(0, 200)), draw(st.integers(200, 400))),), 20)
    vehicle = Vehicle(
        id=1,
        start=0,
        end=draw(st.sampled_from([0, None])),
        shift=TimeWindow(0, draw(st.integers(300, 1500))),
        breaks=(brk,),
        capacity=(draw(st.integers(2, 8)),),
        max_visits=draw(st.sampled_from([None, 3])),
    )
    problem = Problem(tuple(visits), (vehicle,), {"car": Matrix(durations)})
    order = draw(st.permutations([v.id for v in visits]))
    served = order[: draw(st.integers(1, n))]
    stops = [(StepType.VISIT, vid) for vid in served]
    stops.insert(draw(st.integers(0, len(stops))), (StepType.BREAK, 7))
    result = replay(problem, vehicle, stops)
    unassigned = tuple(v.id for v in visits if v.id not in served)
    return problem, Solution((result.route,), unassigned), result.feasible


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_replayed())
def test_checker_agrees_with_replay(case: tuple[Problem, Solution, bool]) -> None:
    """A replayed route written as VROOM output passes the checker exactly when replay finds it
    feasible (time windows, breaks, shift, max_tasks and capacity as independent judges)."""
    problem, solution, feasible = case
    found = check(problem, solution_to_vroom(problem, solution))
    assert (found == []) == feasible, found
