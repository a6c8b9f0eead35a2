"""VROOM JSON: input <-> Problem round trips, clear errors, and output identical to VROOM's."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.check import check
from routing.model import (
    ANYTIME,
    Break,
    Matrix,
    Problem,
    Route,
    Solution,
    Step,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.travel import HaversineTravel
from routing.vroom import (
    VroomFormatError,
    problem_from_vroom,
    problem_to_vroom,
    solution_from_vroom,
    solution_to_vroom,
)

DATA = Path(__file__).parent / "data"


def _instance() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "small_instance.json").read_text())
    return data


def _same_problem(a: Problem, b: Problem) -> None:
    assert a.visits == b.visits
    assert a.vehicles == b.vehicles
    assert a.coordinates == b.coordinates
    assert set(a.matrices) == set(b.matrices)
    for profile, m in a.matrices.items():
        other = b.matrices[profile]
        assert np.array_equal(m.durations, other.durations)
        assert (m.costs is None) == (other.costs is None)
        if m.costs is not None and other.costs is not None:
            assert np.array_equal(m.costs, other.costs)


# ---------------------------------------------------------------------------------------------
# Input


def test_reads_every_field() -> None:
    """Every supported field of the fixture lands in the right place of the Problem."""
    problem = problem_from_vroom(_instance())
    v1 = problem.vehicle(1)
    assert (v1.start, v1.end, v1.profile) == (0, 0, "car")
    assert v1.shift == TimeWindow(28800, 61200)
    assert v1.skills == {1, 2} and v1.capacity == (3,) and v1.max_visits == 3
    assert v1.breaks == (Break(10, (TimeWindow(43200, 46800),), 1800),)
    job = problem.visit(101)
    assert (job.location, job.duration, job.priority) == (1, 1800, 50)
    assert job.time_windows == (TimeWindow(32400, 36000),)
    assert job.skills == {2} and job.amount == (1,) and job.pickup == ()
    assert problem.visit(102).pickup == (1,)
    assert problem.visit(105).time_windows == (ANYTIME,)
    assert problem.coordinates is not None and problem.coordinates[1] == (4.9041, 52.3676)
    assert problem.matrices["car"].costs is not None
    assert int(problem.matrices["car"].cost_matrix[0, 3]) == 12


def test_round_trip_vroom_problem_vroom() -> None:
    """VROOM input -> Problem -> VROOM input gives back the same input."""
    data = _instance()
    assert problem_to_vroom(problem_from_vroom(data)) == data


def test_round_trip_is_json_serialisable() -> None:
    """The exported input is plain JSON (no numpy scalars) and reads back to the same problem."""
    problem = problem_from_vroom(_instance())
    text = json.dumps(problem_to_vroom(problem))
    _same_problem(problem_from_vroom(json.loads(text)), problem)


def test_legacy_amount_and_matrix() -> None:
    """``amount`` is the legacy name of ``delivery``, top-level ``matrix`` the car durations."""
    data = _instance()
    legacy = copy.deepcopy(data)
    legacy["matrix"] = legacy.pop("matrices")["car"]["durations"]
    for job in legacy["jobs"]:
        if "delivery" in job:
            job["amount"] = job.pop("delivery")
    del data["matrices"]["car"]["costs"]
    _same_problem(problem_from_vroom(legacy), problem_from_vroom(data))


def test_defaults_and_unknown_keys() -> None:
    """Missing optional fields take VROOM's defaults; unknown keys are ignored."""
    data = {
        "vehicles": [{"id": 4, "start_index": 1, "description": "x", "colour": "red"}],
        "jobs": [{"id": 9, "location_index": 0, "description": "y", "foo": {"bar": 1}}],
        "matrices": {"car": {"durations": [[0, 5], [5, 0]], "distances": [[0, 1], [1, 0]]}},
        "options": {"g": True},
    }
    problem = problem_from_vroom(data)
    assert problem.vehicles == (Vehicle(4, start=1, end=None),)
    assert problem.visits == (Visit(9, location=0),)
    assert problem.coordinates is None


def test_coordinates_without_matrix_use_the_travel_provider() -> None:
    """Coordinates only: locations are deduplicated and the matrix comes from the provider."""

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[list[list[float]], str]] = []

        def durations(self, origins: Any, destinations: Any, profile: str) -> Any:
            raise AssertionError("only matrix() is needed")

        def matrix(self, points: npt.ArrayLike, profile: str) -> npt.NDArray[np.int64]:
            pts = np.asarray(points)
            self.calls.append((pts.tolist(), profile))
            n = len(pts)
            return np.arange(n * n, dtype=np.int64).reshape(n, n) * (1 - np.eye(n, dtype=np.int64))

    depot, home = [4.89, 52.37], [4.9, 52.36]
    data = {
        "vehicles": [{"id": 1, "start": depot, "end": depot, "profile": "bike"}],
        "jobs": [{"id": 5, "location": home}, {"id": 6, "location": home}],
    }
    recorder = Recorder()
    problem = problem_from_vroom(data, travel=recorder)
    assert recorder.calls == [([depot, home], "bike")]
    assert problem.coordinates == (tuple(depot), tuple(home))
    assert [v.location for v in problem.visits] == [1, 1]
    assert int(problem.matrices["bike"].durations[0, 1]) == 1

    default = problem_from_vroom(data)
    expected = HaversineTravel().matrix(np.array([depot, home]), "bike")
    assert np.array_equal(default.matrices["bike"].durations, expected)


def test_problem_to_vroom_expresses_pinning_as_a_skill() -> None:
    """A pinned visit gets a fresh skill that only its vehicle has, so VROOM respects it."""
    problem = Problem(
        visits=(Visit(1, 1, skills=frozenset({3})), Visit(2, 2, pinned_vehicle=8, fixed=True)),
        vehicles=(Vehicle(7, 0, 0, skills=frozenset({3})), Vehicle(8, 0, 0)),
        matrices={"car": Matrix(np.zeros((3, 3), dtype=np.int64))},
    )
    data = problem_to_vroom(problem)
    assert data["jobs"][1]["skills"] == [4]
    assert data["vehicles"][1]["skills"] == [4]
    assert data["vehicles"][0]["skills"] == [3]
    back = problem_from_vroom(data)
    assert [v.can_serve(back.visit(2)) for v in back.vehicles] == [False, True]


@st.composite
def _problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(1, 5))
    durations = draw(
        st.lists(st.lists(st.integers(0, 10**6), min_size=n, max_size=n), min_size=n, max_size=n)
    )
    costs = draw(
        st.none()
        | st.lists(st.lists(st.integers(0, 999), min_size=n, max_size=n), min_size=n, max_size=n)
    )
    dims = draw(st.integers(0, 2))
    amounts = st.lists(st.integers(0, 9), min_size=dims, max_size=dims).map(tuple)

    def windows(max_count: int) -> st.SearchStrategy[tuple[TimeWindow, ...]]:
        bounds = st.lists(st.integers(0, 10**5), max_size=2 * max_count, unique=True)
        return bounds.map(
            lambda xs: tuple(
                TimeWindow(a, b) for a, b in zip(sorted(xs)[::2], sorted(xs)[1::2], strict=False)
            )
        )

    locs = st.integers(0, n - 1)
    skills = st.frozensets(st.integers(0, 5), max_size=3)
    vehicles = []
    for vid in draw(st.lists(st.integers(0, 10**9), min_size=1, max_size=3, unique=True)):
        start, end = draw(st.one_of(st.tuples(locs, st.none() | locs), st.tuples(st.none(), locs)))
        vehicles.append(
            Vehicle(
                vid,
                start,
                end,
                shift=draw(windows(1).map(lambda w: w[0] if w else ANYTIME)),
                breaks=tuple(
                    Break(bid, draw(windows(2)), draw(st.integers(0, 3600)))
                    for bid in draw(st.lists(st.integers(0, 99), max_size=2, unique=True))
                ),
                skills=draw(skills),
                max_visits=draw(st.none() | st.integers(0, 9)),
                capacity=draw(amounts),
            )
        )
    visits = [
        Visit(
            jid,
            draw(locs),
            duration=draw(st.integers(0, 3600)),
            time_windows=draw(windows(3)),
            skills=draw(skills),
            priority=draw(st.integers(0, 100)),
            amount=draw(amounts),
            pickup=draw(amounts),
        )
        for jid in draw(st.lists(st.integers(0, 10**9), max_size=6, unique=True))
    ]
    coords = draw(
        st.none()
        | st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=n, max_size=n).map(
            tuple
        )
    )
    return Problem(tuple(visits), tuple(vehicles), {"car": Matrix(durations, costs)}, coords)


@settings(max_examples=200, deadline=None)
@given(_problems())
def test_round_trip_problem_vroom_problem(problem: Problem) -> None:
    """Problem -> VROOM input (through JSON text) -> Problem gives back the same problem.

    VROOM attaches coordinates to the locations of jobs and vehicles, so they survive only when
    every matrix location is used by one.
    """
    text = json.dumps(problem_to_vroom(problem))
    used = {v.location for v in problem.visits}
    used |= {x for v in problem.vehicles for x in (v.start, v.end) if x is not None}
    if len(used) < problem.size:
        problem = dataclasses.replace(problem, coordinates=None)
    _same_problem(problem_from_vroom(json.loads(text)), problem)


BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("not an object", [], "must be a JSON object"),
    ("no vehicles", {"jobs": []}, "'vehicles'"),
    ("vehicle without id", {"vehicles": [{"start_index": 0}], "matrix": [[0]]}, r"vehicles\[0\]"),
    (
        "negative service",
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 7, "location_index": 0, "service": -5}],
            "matrix": [[0]],
        },
        "job 7: 'service'",
    ),
    (
        "string service",
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 7, "location_index": 0, "service": "60"}],
            "matrix": [[0]],
        },
        "job 7: 'service' must be a non-negative integer",
    ),
    (
        "index outside matrix",
        {"vehicles": [{"id": 1, "start_index": 0}], "jobs": [{"id": 3, "location_index": 2}]}
        | {"matrix": [[0, 1], [1, 0]]},
        "job 3: location index 2 is outside",
    ),
    (
        "reversed window",
        {"vehicles": [{"id": 2, "start_index": 0, "time_window": [9, 3]}], "matrix": [[0]]},
        "vehicle 2: 'time_window'",
    ),
    (
        "overlapping job windows",
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 4, "location_index": 0, "time_windows": [[0, 10], [5, 20]]}],
            "matrix": [[0]],
        },
        "job 4: 'time_windows' overlap",
    ),
    (
        "no location",
        {"vehicles": [{"id": 1, "start_index": 0}], "jobs": [{"id": 4}], "matrix": [[0]]},
        "job 4: needs 'location'",
    ),
    (
        "vehicle without start or end",
        {"vehicles": [{"id": 6}], "matrix": [[0]]},
        "vehicle 6: needs",
    ),
    (
        "duplicate job ids",
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 4, "location_index": 0}, {"id": 4, "location_index": 0}],
            "matrix": [[0]],
        },
        "job id 4 is used twice",
    ),
    (
        "amount dimensions",
        {
            "vehicles": [{"id": 1, "start_index": 0, "capacity": [4, 4]}],
            "jobs": [{"id": 8, "location_index": 0, "delivery": [1]}],
            "matrix": [[0]],
        },
        "job 8: 'delivery' has 1 dimension",
    ),
    (
        "priority above 100",
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 8, "location_index": 0, "priority": 101}],
            "matrix": [[0]],
        },
        "job 8: 'priority'",
    ),
    (
        "profile without matrix",
        {"vehicles": [{"id": 1, "start_index": 0, "profile": "bike"}], "matrix": [[0]]},
        "vehicle 1: no matrix for profile 'bike'",
    ),
    (
        "unknown profile, coordinates only",
        {"vehicles": [{"id": 1, "start": [4.9, 52.3], "profile": "boat"}]},
        "vehicle 1: 'profile' 'boat'",
    ),
    (
        "index without matrix",
        {"vehicles": [{"id": 1, "start_index": 0}], "jobs": []},
        "vehicle 1: a location index needs 'matrices'",
    ),
    (
        "coordinates without index, with a matrix",
        {"vehicles": [{"id": 1, "start": [4.9, 52.3]}], "matrix": [[0]]},
        "vehicle 1: a location index is required",
    ),
    (
        "latitude out of range",
        {"vehicles": [{"id": 1, "start": [4.9, 152.3]}]},
        "vehicle 1: 'start' must be",
    ),
    (
        "non-square matrix",
        {"vehicles": [{"id": 1, "start_index": 0}], "matrices": {"car": {"durations": [[0, 1]]}}},
        "matrices.car.durations must be square",
    ),
    (
        "shipments",
        {"vehicles": [{"id": 1, "start_index": 0}], "shipments": [{}], "matrix": [[0]]},
        "'shipments' are not supported",
    ),
    (
        "setup time",
        {
            "vehicles": [{"id": 1, "start_index": 0}],
            "jobs": [{"id": 3, "location_index": 0, "setup": 60}],
            "matrix": [[0]],
        },
        "job 3: 'setup' is not supported",
    ),
    (
        "vehicle cost factors",
        {"vehicles": [{"id": 1, "start_index": 0, "costs": {"fixed": 100}}], "matrix": [[0]]},
        "vehicle 1: 'costs': 'fixed' is not supported",
    ),
    (
        "break without id",
        {"vehicles": [{"id": 1, "start_index": 0, "breaks": [{"service": 5}]}], "matrix": [[0]]},
        r"vehicle 1: 'breaks'\[0\]: 'id' is required",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"), [(d, m) for _, d, m in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS]
)
def test_invalid_input_names_the_field(data: Any, message: str) -> None:
    """Bad input raises VroomFormatError (a ValueError) naming the field and the id."""
    with pytest.raises(VroomFormatError, match=message) as info:
        problem_from_vroom(data)
    assert isinstance(info.value, ValueError)


def test_neutral_values_of_unsupported_keys_are_accepted() -> None:
    """VROOM keys holding their neutral default (setup 0, per_hour 3600) are harmless."""
    data = {
        "vehicles": [
            {"id": 1, "start_index": 0, "costs": {"fixed": 0, "per_hour": 3600}, "speed_factor": 1}
        ],
        "jobs": [{"id": 2, "location_index": 0, "setup": 0}],
        "matrix": [[0]],
    }
    assert problem_from_vroom(data).visit(2).duration == 0


# ---------------------------------------------------------------------------------------------
# Output


def _keys_and_types(value: Any) -> Any:
    """The shape of a JSON value: keys in order and scalar types, recursively."""
    if isinstance(value, dict):
        return [(k, _keys_and_types(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_keys_and_types(v) for v in value]
    return type(value).__name__


def _vroom_solve(path: Path) -> dict[str, Any]:
    vroom = pytest.importorskip("vroom")
    solved: dict[str, Any] = (
        vroom.Input.from_json(str(path)).solve(exploration_level=5, nb_threads=1).to_dict()
    )
    return solved


def test_output_matches_vrooms_own_output_exactly() -> None:
    """VROOM's solution, read back and written again, is VROOM's output key for key and value
    for value (computing times aside): keys, their order, types, times, loads and totals."""
    solved = _vroom_solve(DATA / "small_instance.json")
    problem = problem_from_vroom(_instance())
    ours = solution_to_vroom(
        problem,
        solution_from_vroom(solved).to_solution(problem),
        computing_times=solved["summary"]["computing_times"],
    )
    assert _keys_and_types(ours) == _keys_and_types(solved)
    assert ours == solved


@pytest.mark.parametrize("with_coordinates", [True, False])
@pytest.mark.parametrize("with_capacity", [True, False])
def test_output_shape_matches_vroom_on_variants(
    tmp_path: Path, with_coordinates: bool, with_capacity: bool
) -> None:
    """Without coordinates there is no ``location``; without amounts no ``delivery``/``pickup``/
    ``load``; open routes get start and end steps at their first and last job — as in VROOM."""
    data = _instance()
    del data["vehicles"][1]["end"], data["vehicles"][1]["end_index"]
    del data["vehicles"][0]["start"], data["vehicles"][0]["start_index"]
    for item in data["vehicles"] + data["jobs"]:
        if not with_coordinates:
            for key in ("start", "end", "location"):
                item.pop(key, None)
        if not with_capacity:
            for key in ("capacity", "delivery", "pickup"):
                item.pop(key, None)
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data))
    solved = _vroom_solve(path)
    del solved["summary"]["computing_times"]
    problem = problem_from_vroom(data)
    solution = solution_from_vroom(solved).to_solution(problem)
    for route in solution.routes:
        vehicle = problem.vehicle(route.vehicle)
        assert (route.steps[0].type is StepType.START) == (vehicle.start is not None)
        assert (route.steps[-1].type is StepType.END) == (vehicle.end is not None)
    assert solution_to_vroom(problem, solution) == solved
    assert check(problem, solved) == []


def test_output_of_a_replayed_route_by_hand() -> None:
    """A model solution is written with cumulated travel per step, loads by VROOM's rule, summed
    totals and the unassigned job with its location (values checked by hand)."""
    problem = Problem(
        visits=(
            Visit(5, 1, duration=10, amount=(2,), priority=3),
            Visit(6, 2, duration=20, pickup=(1,)),
            Visit(7, 2),
        ),
        vehicles=(Vehicle(1, 0, 0, breaks=(Break(9, (TimeWindow(0, 500),), 15),), capacity=(4,)),),
        matrices={"car": Matrix(np.array([[0, 30, 50], [30, 0, 40], [50, 40, 0]]))},
    )
    steps = (
        Step(StepType.START, None, 0, 100),
        Step(StepType.VISIT, 5, 1, 130, 0, 10),
        Step(StepType.BREAK, 9, 1, 140, 0, 15),
        Step(StepType.VISIT, 6, 2, 195, 5, 20),
        Step(StepType.END, None, 0, 270),
    )
    route = Route(1, steps, cost=120, travel=120, waiting=5, service=45)
    out = solution_to_vroom(problem, Solution((route,), (7,)))
    assert out["code"] == 0
    assert out["unassigned"] == [{"id": 7, "location_index": 2, "type": "job"}]
    (r,) = out["routes"]
    assert [s["type"] for s in r["steps"]] == ["start", "job", "break", "job", "end"]
    assert [s["duration"] for s in r["steps"]] == [0, 30, 30, 70, 120]
    assert [s["load"] for s in r["steps"]] == [[2], [0], [0], [1], [1]]
    assert [s.get("id") for s in r["steps"]] == [None, 5, 9, 6, None]
    assert "location_index" not in r["steps"][2]
    assert (r["cost"], r["duration"], r["waiting_time"], r["service"]) == (120, 120, 5, 45)
    assert (r["delivery"], r["pickup"], r["priority"]) == ([2], [1], 3)
    summary = out["summary"]
    assert (summary["routes"], summary["unassigned"], summary["cost"]) == (1, 1, 120)
    assert "computing_times" not in summary
    json.dumps(out)


def test_solution_from_vroom_keeps_reported_figures() -> None:
    """Reading VROOM output keeps each step's reported times, travel so far and load."""
    sol = solution_from_vroom(json.loads((DATA / "small_solution.json").read_text()))
    route = sol.routes[0]
    brk = route.steps[3]
    assert (brk.type, brk.id, brk.location) == (StepType.BREAK, 10, None)
    assert (brk.arrival, brk.waiting, brk.service, brk.travel, brk.load) == (
        37200,
        6000,
        1800,
        1100,
        (3,),
    )
    assert brk.service_start == 43200 and brk.departure == 45000
    assert (route.cost, route.duration, route.waiting_time) == (27, 2700, 8700)
    assert sol.unassigned == (104,)
    assert sol.summary["cost"] == 45 and sol.summary["delivery"] == (3,)


def test_solution_from_vroom_rejects_shipment_steps() -> None:
    """Shipment steps are VROOM output the model cannot hold: a clear error, not a crash."""
    data = json.loads((DATA / "small_solution.json").read_text())
    data["routes"][0]["steps"][1]["type"] = "pickup"
    with pytest.raises(VroomFormatError, match="shipment"):
        solution_from_vroom(data)
