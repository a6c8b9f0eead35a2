"""VROOM's JSON formats: read and write problems (VROOM input) and solutions (VROOM output).

The input format is described in VROOM's ``docs/API.md``: ``vehicles``, ``jobs`` and ``matrices``
(one per profile, with ``durations`` and optional ``costs``; the legacy top-level ``matrix`` is the
``car`` profile's durations). Locations are matrix indices (``location_index``), coordinates
``[lon, lat]`` (``location``) or both. When no matrix is given, every location must have
coordinates and the matrices come from a travel-time provider (``routing.travel``).

Keys this module does not know are ignored, as VROOM does. Keys VROOM knows but the routing model
cannot express (shipments, setup times, vehicle cost factors, travel limits, ...) are rejected with
a :class:`VroomFormatError` rather than silently dropped, since dropping them would change the
problem.

Job ids become :attr:`routing.model.Visit.id`, vehicle ids :attr:`routing.model.Vehicle.id`; the
output uses the same ids.

Aan Huis extension fields (VROOM ignores them, so the same file still solves in VROOM, under
VROOM's meaning):

- on a job, ``x_aanhuis``: ``preferred_vehicle``, ``required_vehicle``, ``current_vehicle``
  (vehicle ids), ``excluded_vehicles`` (array of vehicle ids), ``move_cost`` (seconds); see
  :class:`routing.model.Visit`;
- at the top level, ``x_aanhuis``: ``{"objective": {"mode": "keep_experts" | "balanced" | "free",
  "move_cost": 1200, "preferred_cost": 14400, "balance_weight": 0.0}}``; every key optional. Without
  it the problem keeps VROOM's objective (served priority, then travel cost); with it, the
  planner's objective of :class:`routing.model.Objective`.

Written problems carry the same fields; a required vehicle is also written as a pinning skill so
that VROOM respects it. Excluded vehicles have no VROOM equivalent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from routing.model import (
    ANYTIME,
    MODES,
    Break,
    Matrix,
    Objective,
    Problem,
    Route,
    Solution,
    Step,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.travel import HaversineTravel, TravelTimeProvider

DEFAULT_PROFILE = "car"
"""VROOM's profile for vehicles that name none, and the profile of the legacy ``matrix`` key."""

#: VROOM's default per-hour cost: with it, a route's cost is its travel time in seconds.
_DEFAULT_PER_HOUR = 3600


class VroomFormatError(ValueError):
    """The data is not valid VROOM JSON, or uses a feature the routing model does not support.

    The message names the offending field and, where there is one, the job or vehicle id.
    """


# --------------------------------------------------------------------------------------------
# Small validating readers. ``where`` says whose field it is ("job 12", "vehicles[3]").


def _obj(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise VroomFormatError(f"{where} must be a JSON object")
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise VroomFormatError(f"{where} must be a JSON array")
    return value


def _uint(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VroomFormatError(f"{where} must be a non-negative integer, got {value!r}")
    return value


def _field_uint(obj: Mapping[str, object], key: str, where: str, default: int | None = None) -> int:
    if key not in obj:
        if default is None:
            raise VroomFormatError(f"{where}: '{key}' is required")
        return default
    return _uint(obj[key], f"{where}: '{key}'")


def _ident(obj: Mapping[str, object], what: str, position: int) -> int:
    if "id" not in obj:
        raise VroomFormatError(f"{what}[{position}]: 'id' is required")
    return _uint(obj["id"], f"{what}[{position}]: 'id'")


def _coords(value: object, where: str) -> tuple[float, float]:
    items = _list(value, where)
    numbers = [
        float(x)
        for x in items
        if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
    ]
    if len(items) != 2 or len(numbers) != 2:
        raise VroomFormatError(f"{where} must be [lon, lat], got {value!r}")
    lon, lat = numbers
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise VroomFormatError(f"{where} must be [lon, lat] in degrees, got {value!r}")
    return lon, lat


def _window(value: object, where: str) -> TimeWindow:
    items = _list(value, where)
    if len(items) != 2:
        raise VroomFormatError(f"{where} must be [start, end], got {value!r}")
    start, end = _uint(items[0], where), _uint(items[1], where)
    if start > end:
        raise VroomFormatError(f"{where} starts after it ends: {value!r}")
    return TimeWindow(start, end)


def _windows(obj: Mapping[str, object], key: str, where: str) -> tuple[TimeWindow, ...]:
    if key not in obj:
        return ()
    raw = _list(obj[key], f"{where}: '{key}'")
    ws = tuple(_window(w, f"{where}: '{key}'[{k}]") for k, w in enumerate(raw))
    ordered = sorted(ws, key=lambda w: w.start)
    for a, b in itertools.pairwise(ordered):
        if b.start <= a.end:
            raise VroomFormatError(f"{where}: '{key}' overlap")
    return tuple(ordered)


def _uints(obj: Mapping[str, object], key: str, where: str) -> tuple[int, ...]:
    if key not in obj:
        return ()
    raw = _list(obj[key], f"{where}: '{key}'")
    return tuple(_uint(x, f"{where}: '{key}'[{k}]") for k, x in enumerate(raw))


def _reject(obj: Mapping[str, object], where: str, unsupported: Mapping[str, object]) -> None:
    """Refuse VROOM keys the model cannot express, unless they hold VROOM's neutral default."""
    for key, neutral in unsupported.items():
        if key in obj and obj[key] != neutral:
            raise VroomFormatError(f"{where}: '{key}' is not supported")


def _int_matrix(value: object, where: str) -> npt.NDArray[np.int64]:
    rows = _list(value, where)
    n = len(rows)
    # Fast path for well-formed matrices (thousands of locations); the loop below finds the
    # offending cell for the error message otherwise.
    try:
        fast = np.array(rows)
    except (ValueError, TypeError, OverflowError):
        fast = None
    if (
        fast is not None
        and fast.shape == (n, n)
        and fast.dtype.kind in "iu"
        and (fast.size == 0 or int(fast.min()) >= 0)
    ):
        return fast.astype(np.int64)
    out = np.zeros((n, n), dtype=np.int64)
    for i, row in enumerate(rows):
        cells = _list(row, f"{where}[{i}]")
        if len(cells) != n:
            raise VroomFormatError(f"{where} must be square: row {i} has {len(cells)} entries")
        for j, cell in enumerate(cells):
            out[i, j] = _uint(cell, f"{where}[{i}][{j}]")
    return out


# --------------------------------------------------------------------------------------------
# VROOM input -> Problem


@dataclass
class _Place:
    """A location as written in the input, before indices are settled."""

    index: int | None
    coords: tuple[float, float] | None
    where: str


def _place(obj: Mapping[str, object], coords_key: str, index_key: str, where: str) -> _Place | None:
    index = _uint(obj[index_key], f"{where}: '{index_key}'") if index_key in obj else None
    coords = _coords(obj[coords_key], f"{where}: '{coords_key}'") if coords_key in obj else None
    if index is None and coords is None:
        return None
    return _Place(index, coords, where)


def _matrices(data: Mapping[str, object]) -> dict[str, Matrix]:
    out: dict[str, Matrix] = {}
    if "matrices" in data:
        for profile, raw in _obj(data["matrices"], "'matrices'").items():
            where = f"matrices.{profile}"
            entry = _obj(raw, where)
            if "durations" not in entry:
                raise VroomFormatError(f"{where}: 'durations' is required")
            durations = _int_matrix(entry["durations"], f"{where}.durations")
            costs = _int_matrix(entry["costs"], f"{where}.costs") if "costs" in entry else None
            if costs is not None and costs.shape != durations.shape:
                raise VroomFormatError(f"{where}: 'costs' and 'durations' differ in size")
            out[str(profile)] = Matrix(durations, costs)
    if "matrix" in data and DEFAULT_PROFILE not in out:
        out[DEFAULT_PROFILE] = Matrix(_int_matrix(data["matrix"], "'matrix'"))
    sizes = {m.size for m in out.values()}
    if len(sizes) > 1:
        raise VroomFormatError("'matrices': all profiles must have matrices of the same size")
    return out


def _provider_matrix(
    travel: TravelTimeProvider, points: Sequence[tuple[float, float]], profile: str, where: str
) -> Matrix:
    try:
        return Matrix(np.asarray(travel.matrix(np.asarray(points, dtype=np.float64), profile)))
    except KeyError as exc:
        raise VroomFormatError(
            f"{where}: 'profile' {profile!r} has no matrix and the travel-time provider "
            "does not know it"
        ) from exc


def problem_from_vroom(
    data: Mapping[str, Any], *, travel: TravelTimeProvider | None = None
) -> Problem:
    """Read a problem in VROOM's input format.

    Parameters
    ----------
    data
        The parsed JSON object: ``vehicles``, ``jobs`` and ``matrices`` (or the legacy ``matrix``).
    travel
        Computes the matrices when the input has coordinates but no matrix; defaults to
        :class:`routing.travel.HaversineTravel`.

    Returns
    -------
    Problem
        Visits and vehicles with the input's ids. ``coordinates`` is set when every matrix location
        has known coordinates.

    Raises
    ------
    VroomFormatError
        When the input is not valid VROOM input or uses a feature the model does not support; the
        message names the field and the job or vehicle.
    """
    top = _obj(data, "the problem")
    if top.get("shipments"):
        raise VroomFormatError("'shipments' are not supported")
    places: list[_Place] = []

    vehicles_raw = _list(top.get("vehicles"), "'vehicles'") if "vehicles" in top else None
    if not vehicles_raw:
        raise VroomFormatError("'vehicles' must be a non-empty array")
    jobs_raw = _list(top["jobs"], "'jobs'") if "jobs" in top else []

    # Vehicles and jobs are read with placeholders for locations, settled once all are known.
    vehicle_parts: list[tuple[dict[str, Any], _Place | None, _Place | None]] = []
    for k, raw in enumerate(vehicles_raw):
        obj = _obj(raw, f"vehicles[{k}]")
        vid = _ident(obj, "vehicles", k)
        where = f"vehicle {vid}"
        _reject(
            obj,
            where,
            {"speed_factor": 1, "max_travel_time": None, "max_distance": None},
        )
        if "costs" in obj:
            costs = _obj(obj["costs"], f"{where}: 'costs'")
            _reject(
                costs, f"{where}: 'costs'", {"fixed": 0, "per_hour": _DEFAULT_PER_HOUR, "per_km": 0}
            )
        start = _place(obj, "start", "start_index", where)
        end = _place(obj, "end", "end_index", where)
        if start is None and end is None:
            raise VroomFormatError(f"{where}: needs 'start'/'start_index' or 'end'/'end_index'")
        places.extend(p for p in (start, end) if p is not None)
        shift = (
            _window(obj["time_window"], f"{where}: 'time_window'")
            if "time_window" in obj
            else ANYTIME
        )
        breaks: list[Break] = []
        for b, braw in enumerate(_list(obj.get("breaks", []), f"{where}: 'breaks'")):
            bobj = _obj(braw, f"{where}: 'breaks'[{b}]")
            bid = _ident(bobj, f"{where}: 'breaks'", b)
            bwhere = f"break {bid} of vehicle {vid}"
            _reject(bobj, bwhere, {"max_load": None})
            breaks.append(
                Break(
                    bid,
                    _windows(bobj, "time_windows", bwhere),
                    _field_uint(bobj, "service", bwhere, 0),
                )
            )
        if len({b.id for b in breaks}) != len(breaks):
            raise VroomFormatError(f"{where}: break ids must be unique")
        profile = obj.get("profile", DEFAULT_PROFILE)
        if not isinstance(profile, str) or not profile:
            raise VroomFormatError(f"{where}: 'profile' must be a non-empty string")
        max_tasks = _field_uint(obj, "max_tasks", where) if "max_tasks" in obj else None
        fields: dict[str, Any] = {
            "id": vid,
            "shift": shift,
            "breaks": tuple(breaks),
            "skills": frozenset(_uints(obj, "skills", where)),
            "profile": profile,
            "max_visits": max_tasks,
            "capacity": _uints(obj, "capacity", where),
        }
        vehicle_parts.append((fields, start, end))

    job_parts: list[tuple[dict[str, Any], _Place]] = []
    for k, raw in enumerate(jobs_raw):
        obj = _obj(raw, f"jobs[{k}]")
        jid = _ident(obj, "jobs", k)
        where = f"job {jid}"
        _reject(obj, where, {"setup": 0, "setup_per_type": None, "service_per_type": None})
        place = _place(obj, "location", "location_index", where)
        if place is None:
            raise VroomFormatError(f"{where}: needs 'location' or 'location_index'")
        places.append(place)
        delivery_key = "delivery" if "delivery" in obj else "amount"
        priority = _field_uint(obj, "priority", where, 0)
        if priority > 100:
            raise VroomFormatError(f"{where}: 'priority' must be between 0 and 100")
        fields = {
            "id": jid,
            "duration": _field_uint(obj, "service", where, 0),
            "time_windows": _windows(obj, "time_windows", where),
            "skills": frozenset(_uints(obj, "skills", where)),
            "priority": priority,
            "amount": _uints(obj, delivery_key, where),
            "pickup": _uints(obj, "pickup", where),
        }
        if "x_aanhuis" in obj:
            fields |= _job_extension(obj["x_aanhuis"], f"{where}: 'x_aanhuis'")
        job_parts.append((fields, place))

    _unique([f["id"] for f, _, _ in vehicle_parts], "vehicle")
    _unique([f["id"] for f, _ in job_parts], "job")
    _same_dimensions(
        [(f"vehicle {f['id']}: 'capacity'", f["capacity"]) for f, _, _ in vehicle_parts]
        + [(f"job {f['id']}: 'delivery'", f["amount"]) for f, _ in job_parts]
        + [(f"job {f['id']}: 'pickup'", f["pickup"]) for f, _ in job_parts]
    )

    matrices = _matrices(top)
    index_of: Callable[[_Place], int]
    coordinates: tuple[tuple[float, float], ...] | None
    if matrices:
        n = next(iter(matrices.values())).size
        for p in places:
            if p.index is None:
                raise VroomFormatError(f"{p.where}: a location index is required with a matrix")
            if p.index >= n:
                raise VroomFormatError(
                    f"{p.where}: location index {p.index} is outside the {n}x{n} matrix"
                )
        for fields, _, _ in vehicle_parts:
            if fields["profile"] not in matrices:
                raise VroomFormatError(
                    f"vehicle {fields['id']}: no matrix for profile {fields['profile']!r}"
                )
        known: dict[int, tuple[float, float] | None] = {}
        for p in places:
            assert p.index is not None
            if p.coords is not None and known.get(p.index, p.coords) == p.coords:
                known[p.index] = p.coords
            else:
                known[p.index] = None  # no coordinates, or two different ones: don't guess
        coords_list = [known.get(i) for i in range(n)]
        coordinates = (
            tuple(c for c in coords_list if c is not None)
            if all(c is not None for c in coords_list)
            else None
        )

        def index_of(p: _Place) -> int:
            assert p.index is not None
            return p.index

    else:
        points: dict[tuple[float, float], int] = {}
        for p in places:
            if p.index is not None:
                raise VroomFormatError(f"{p.where}: a location index needs 'matrices'")
            if p.coords is None:  # pragma: no cover - _place guarantees one of both
                raise VroomFormatError(f"{p.where}: needs a location")
            points.setdefault(p.coords, len(points))
        coordinates = tuple(points)
        if travel is None:
            travel = HaversineTravel()
        user = {f["profile"]: f"vehicle {f['id']}" for f, _, _ in reversed(vehicle_parts)}
        matrices = {pr: _provider_matrix(travel, coordinates, pr, user[pr]) for pr in sorted(user)}

        def index_of(p: _Place) -> int:
            assert p.coords is not None
            return points[p.coords]

    try:
        vehicles = tuple(
            Vehicle(
                start=None if s is None else index_of(s),
                end=None if e is None else index_of(e),
                **fields,
            )
            for fields, s, e in vehicle_parts
        )
        visits = tuple(Visit(location=index_of(p), **fields) for fields, p in job_parts)
        known_ids = {v.id for v in vehicles}
        for visit in visits:
            for ref in (visit.preferred_vehicle, visit.current_vehicle, *visit.excluded_vehicles):
                if ref is not None and ref not in known_ids:
                    raise VroomFormatError(
                        f"job {visit.id}: 'x_aanhuis' names unknown vehicle {ref}"
                    )
        objective = (
            _objective_extension(top["x_aanhuis"], "'x_aanhuis'") if "x_aanhuis" in top else None
        )
        return Problem(visits, vehicles, matrices, coordinates, objective)
    except VroomFormatError:
        raise
    except ValueError as exc:
        raise VroomFormatError(str(exc).replace("visit ", "job ")) from exc


def _opt_vehicle(obj: Mapping[str, object], key: str, where: str) -> int | None:
    if key not in obj or obj[key] is None:
        return None
    return _uint(obj[key], f"{where}: '{key}'")


def _job_extension(value: object, where: str) -> dict[str, Any]:
    """A job's ``x_aanhuis`` object: its per-visit expert rules and move cost."""
    obj = _obj(value, where)
    out: dict[str, Any] = {
        "preferred_vehicle": _opt_vehicle(obj, "preferred_vehicle", where),
        "required_vehicle": _opt_vehicle(obj, "required_vehicle", where),
        "current_vehicle": _opt_vehicle(obj, "current_vehicle", where),
        "excluded_vehicles": frozenset(_uints(obj, "excluded_vehicles", where)),
        "move_cost": _opt_vehicle(obj, "move_cost", where),
    }
    return out


def _objective_extension(value: object, where: str) -> Objective | None:
    """The top-level ``x_aanhuis`` object: the planner's objective, when it names one."""
    obj = _obj(value, where)
    if "objective" not in obj:
        return None
    raw = _obj(obj["objective"], f"{where}: 'objective'")
    here = f"{where}: 'objective'"
    mode = raw.get("mode", "balanced")
    if mode not in MODES:
        raise VroomFormatError(f"{here}: 'mode' must be one of {list(MODES)}, got {mode!r}")
    weight = raw.get("balance_weight", 0.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
        raise VroomFormatError(f"{here}: 'balance_weight' must be a non-negative number")
    kwargs: dict[str, Any] = {"balance_weight": float(weight)}
    for key in ("move_cost", "preferred_cost"):
        if key in raw:
            kwargs[key] = _uint(raw[key], f"{here}: '{key}'")
    return Objective.for_mode(mode, **kwargs)


def _same_dimensions(amounts: Sequence[tuple[str, tuple[int, ...]]]) -> None:
    first: tuple[str, int] | None = None
    for where, vec in amounts:
        if not vec:
            continue
        if first is None:
            first = (where, len(vec))
        elif len(vec) != first[1]:
            raise VroomFormatError(
                f"{where} has {len(vec)} dimension(s) but {first[0]} has {first[1]}"
            )


def _unique(ids: Sequence[int], what: str) -> None:
    seen: set[int] = set()
    for i in ids:
        if i in seen:
            raise VroomFormatError(f"{what} id {i} is used twice")
        seen.add(i)


# --------------------------------------------------------------------------------------------
# Problem -> VROOM input


def _window_json(w: TimeWindow) -> list[int]:
    return [w.start, w.end]


def _loc_json(problem: Problem, index: int, index_key: str, coords_key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if problem.coordinates is not None:
        out[coords_key] = list(problem.coordinates[index])
    out[index_key] = index
    return out


def problem_to_vroom(problem: Problem) -> dict[str, Any]:
    """Write ``problem`` in VROOM's input format.

    Pinned visits (``pinned_vehicle``, and therefore fixed ones, and ``required_vehicle``) have
    no VROOM equivalent; they
    are written as one extra skill per pinning vehicle (numbered above every skill in use) that
    only that vehicle has, which makes VROOM respect the pinning. ``fixed`` is not written.

    Coordinates are written on the jobs and vehicles (``location``, ``start``, ``end``), as VROOM
    has no other place for them: those of matrix locations no job or vehicle uses are not kept.

    Parameters
    ----------
    problem
        The problem to export.

    Returns
    -------
    dict
        A JSON-ready object with ``vehicles``, ``jobs`` and ``matrices``; ``location`` coordinates
        are included when the problem has them.
    """
    used = {s for v in problem.visits for s in v.skills} | {
        s for v in problem.vehicles for s in v.skills
    }
    next_skill = max(used, default=-1) + 1
    pin_skill: dict[int, int] = {}
    for visit in problem.visits:
        for pin in (visit.pinned_vehicle, visit.required_vehicle):
            if pin is not None and pin not in pin_skill:
                pin_skill[pin] = next_skill
                next_skill += 1

    vehicles: list[dict[str, Any]] = []
    for veh in problem.vehicles:
        out: dict[str, Any] = {"id": veh.id}
        if veh.start is not None:
            out.update(_loc_json(problem, veh.start, "start_index", "start"))
        if veh.end is not None:
            out.update(_loc_json(problem, veh.end, "end_index", "end"))
        out["profile"] = veh.profile
        if veh.shift != ANYTIME:
            out["time_window"] = _window_json(veh.shift)
        skills = set(veh.skills) | ({pin_skill[veh.id]} if veh.id in pin_skill else set())
        if skills:
            out["skills"] = sorted(skills)
        if veh.breaks:
            out["breaks"] = [
                {
                    "id": b.id,
                    "time_windows": [_window_json(w) for w in b.time_windows],
                    "service": b.duration,
                }
                for b in veh.breaks
            ]
        if veh.capacity:
            out["capacity"] = list(veh.capacity)
        if veh.max_visits is not None:
            out["max_tasks"] = veh.max_visits
        vehicles.append(out)

    jobs: list[dict[str, Any]] = []
    for visit in problem.visits:
        job: dict[str, Any] = {"id": visit.id}
        job.update(_loc_json(problem, visit.location, "location_index", "location"))
        job["service"] = visit.duration
        if visit.time_windows != (ANYTIME,):
            job["time_windows"] = [_window_json(w) for w in visit.time_windows]
        skills = set(visit.skills)
        for pin in (visit.pinned_vehicle, visit.required_vehicle):
            if pin is not None:
                skills.add(pin_skill[pin])
        if skills:
            job["skills"] = sorted(skills)
        if visit.amount:
            job["delivery"] = list(visit.amount)
        if visit.pickup:
            job["pickup"] = list(visit.pickup)
        if visit.priority:
            job["priority"] = visit.priority
        ext: dict[str, Any] = {
            key: getattr(visit, key)
            for key in ("preferred_vehicle", "required_vehicle", "current_vehicle", "move_cost")
            if getattr(visit, key) is not None
        }
        if visit.excluded_vehicles:
            ext["excluded_vehicles"] = sorted(visit.excluded_vehicles)
        if ext:
            job["x_aanhuis"] = ext
        jobs.append(job)

    matrices: dict[str, Any] = {}
    for profile, m in problem.matrices.items():
        entry: dict[str, Any] = {"durations": m.durations.tolist()}
        if m.costs is not None:
            entry["costs"] = m.costs.tolist()
        matrices[profile] = entry
    out_problem: dict[str, Any] = {"vehicles": vehicles, "jobs": jobs, "matrices": matrices}
    obj = problem.objective
    if obj is not None:
        out_problem["x_aanhuis"] = {
            "objective": {
                "mode": obj.mode,
                "move_cost": obj.move_cost,
                "preferred_cost": obj.preferred_cost,
                "balance_weight": obj.balance_weight,
            }
        }
    return out_problem


# --------------------------------------------------------------------------------------------
# Solution -> VROOM output


def amount_dimensions(problem: Problem) -> int:
    """Number of capacity dimensions of ``problem`` (0 when nothing has a capacity or amount)."""
    dims = [len(v.capacity) for v in problem.vehicles]
    dims += [len(j.amount) for j in problem.visits] + [len(j.pickup) for j in problem.visits]
    return max(dims, default=0)


def _vec(values: Sequence[int], dims: int) -> list[int]:
    return list(values) if values else [0] * dims


def _sum_vec(vectors: Sequence[Sequence[int]], dims: int) -> list[int]:
    out = [0] * dims
    for vec in vectors:
        for d, x in enumerate(vec):
            out[d] += x
    return out


def solution_to_vroom(
    problem: Problem,
    solution: Solution,
    *,
    computing_times: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Write ``solution`` in VROOM's output format.

    The keys, their order and their types follow VROOM's own output. A route of a vehicle without
    a start (end) location gets VROOM's start (end) step at its first (last) visit. Break steps
    have no location, as in VROOM. A step's ``duration`` is the travel time accumulated up to it.

    Parameters
    ----------
    problem
        The solved problem (ids, locations, amounts, coordinates).
    solution
        The solution to write.
    computing_times
        VROOM's ``summary.computing_times`` in milliseconds (``loading``, ``solving``,
        ``routing``); omitted when not given.

    Returns
    -------
    dict
        A JSON-ready object: ``code`` (0), ``summary``, ``unassigned`` and ``routes``.
    """
    dims = amount_dimensions(problem)
    visits = {v.id: v for v in problem.visits}
    routes = [_route_json(problem, r, visits, dims) for r in solution.routes]

    summary: dict[str, Any] = {
        "cost": sum(r["cost"] for r in routes),
        "routes": len(routes),
        "unassigned": len(solution.unassigned),
    }
    if dims:
        delivery = _sum_vec([r["delivery"] for r in routes], dims)
        summary |= {
            "delivery": delivery,
            "amount": delivery,
            "pickup": _sum_vec([r["pickup"] for r in routes], dims),
        }
    summary |= {
        "setup": 0,
        "service": sum(r["service"] for r in routes),
        "duration": sum(r["duration"] for r in routes),
        "waiting_time": sum(r["waiting_time"] for r in routes),
        "priority": sum(r["priority"] for r in routes),
        "violations": [],
    }
    if computing_times is not None:
        summary["computing_times"] = dict(computing_times)

    unassigned: list[dict[str, Any]] = []
    for vid in solution.unassigned:
        entry: dict[str, Any] = {"id": vid}
        visit = visits.get(vid)
        if visit is not None:
            if problem.coordinates is not None:
                entry["location"] = list(problem.coordinates[visit.location])
            entry["location_index"] = visit.location
        entry["type"] = "job"
        unassigned.append(entry)
    return {"code": 0, "summary": summary, "unassigned": unassigned, "routes": routes}


def _route_json(
    problem: Problem, route: Route, visits: Mapping[int, Visit], dims: int
) -> dict[str, Any]:
    vehicle = problem.vehicle(route.vehicle)
    durations = problem.matrices[vehicle.profile].durations
    steps = list(route.steps)
    located = [s for s in steps if s.type is not StepType.BREAK and s.location is not None]
    # VROOM gives open routes a start (end) step where the first (last) task is.
    if located and steps[0].type is not StepType.START:
        first = located[0]
        steps.insert(0, Step(StepType.START, None, first.location, first.arrival))
    if located and steps[-1].type is not StepType.END:
        last = located[-1]
        steps.append(Step(StepType.END, None, last.location, max(s.departure for s in steps)))

    served = [
        visits[s.id]
        for s in steps
        if s.type is StepType.VISIT and s.id is not None and s.id in visits
    ]
    load = _sum_vec([v.amount for v in served], dims)
    travel = 0
    here: int | None = None
    out_steps: list[dict[str, Any]] = []
    located_at = [
        None
        if step.type is StepType.BREAK
        or (step.type is StepType.START and vehicle.start is None)
        or (step.type is StepType.END and vehicle.end is None)
        else step.location
        for step in steps
    ]
    left: Step | None = None  # the last located step
    break_time = 0  # breaks taken since leaving it
    for k, step in enumerate(steps):
        loc = located_at[k]
        if loc is not None:
            if here is not None:
                travel += int(durations[here, loc])
            here, left, break_time = loc, step, 0
        step_travel = travel
        if step.type is StepType.BREAK:
            # A break's travel so far includes the leg across it when it is taken after driving:
            # replayed routes say so by the break's location (the next address); otherwise VROOM
            # counts the leg first when the vehicle had the time to drive it.
            ahead = next((x for x in located_at[k + 1 :] if x is not None), None)
            if here is not None and ahead is not None and left is not None:
                leg = int(durations[here, ahead])
                if step.location is not None and here != ahead:
                    after_driving = step.location == ahead
                else:
                    after_driving = step.arrival - left.departure - break_time >= leg
                if after_driving and leg > 0:
                    step_travel += leg
            break_time += step.duration
        if step.type is StepType.VISIT and step.id is not None and step.id in visits:
            visit = visits[step.id]
            load = [
                x - d + p
                for x, d, p in zip(
                    load, _vec(visit.amount, dims), _vec(visit.pickup, dims), strict=True
                )
            ]
        item: dict[str, Any] = {"type": str(step.type)}
        if step.type is not StepType.BREAK and step.location is not None:
            if problem.coordinates is not None:
                item["location"] = list(problem.coordinates[step.location])
            item["location_index"] = step.location
        if step.type in (StepType.VISIT, StepType.BREAK):
            item["id"] = step.id
        item |= {"setup": 0, "service": step.duration, "waiting_time": step.waiting}
        if step.type is StepType.VISIT:
            item["job"] = step.id
        if dims:
            item["load"] = list(load)
        item |= {"arrival": step.arrival, "duration": step_travel, "violations": []}
        out_steps.append(item)

    out: dict[str, Any] = {"vehicle": route.vehicle, "cost": route.cost}
    if dims:
        delivery = _sum_vec([_vec(v.amount, dims) for v in served], dims)
        out |= {
            "delivery": delivery,
            "amount": delivery,
            "pickup": _sum_vec([_vec(v.pickup, dims) for v in served], dims),
        }
    out |= {
        "setup": 0,
        "service": route.service,
        "duration": route.travel,
        "waiting_time": route.waiting,
        "priority": sum(v.priority for v in served),
        "steps": out_steps,
        "violations": [],
    }
    return out


# --------------------------------------------------------------------------------------------
# VROOM output -> a solution to check


@dataclass(frozen=True, slots=True)
class VroomStep:
    """A step as reported in VROOM's output.

    ``travel`` is the reported ``duration`` (travel accumulated up to the step) and ``load`` the
    reported load after the step; both are ``None`` when not reported.
    """

    type: StepType
    id: int | None
    location: int | None
    arrival: int
    waiting: int
    service: int
    travel: int | None = None
    load: tuple[int, ...] | None = None

    @property
    def service_start(self) -> int:
        return self.arrival + self.waiting

    @property
    def departure(self) -> int:
        return self.arrival + self.waiting + self.service


@dataclass(frozen=True, slots=True)
class VroomRoute:
    """A route as reported in VROOM's output; totals are ``None`` when not reported."""

    vehicle: int
    steps: tuple[VroomStep, ...]
    cost: int | None = None
    duration: int | None = None
    waiting_time: int | None = None
    service: int | None = None
    priority: int | None = None
    delivery: tuple[int, ...] | None = None
    pickup: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class VroomSolution:
    """A solution as reported in VROOM's output.

    ``summary`` holds the reported summary figures that are integers or integer lists (``cost``,
    ``routes``, ``unassigned``, ``duration``, ``waiting_time``, ``service``, ``priority``,
    ``delivery``, ``pickup``); it is empty when the output has no summary.
    """

    routes: tuple[VroomRoute, ...]
    unassigned: tuple[int, ...]
    summary: Mapping[str, int | tuple[int, ...]]

    def to_solution(self, problem: Problem | None = None) -> Solution:
        """The reported routes as a :class:`routing.model.Solution`, with the reported times.

        With ``problem``, the start (end) steps VROOM adds to routes of vehicles without a start
        (end) location are dropped, as the model has none there.
        """
        routes: list[Route] = []
        for r in self.routes:
            veh: Vehicle | None = None
            if problem is not None:
                veh = next((v for v in problem.vehicles if v.id == r.vehicle), None)
            steps = tuple(
                Step(s.type, s.id, s.location, s.arrival, s.waiting, s.service)
                for s in r.steps
                if not (
                    veh is not None
                    and (
                        (s.type is StepType.START and veh.start is None)
                        or (s.type is StepType.END and veh.end is None)
                    )
                )
            )
            routes.append(
                Route(
                    vehicle=r.vehicle,
                    steps=steps,
                    cost=r.cost if r.cost is not None else 0,
                    travel=r.duration if r.duration is not None else 0,
                    waiting=sum(s.waiting for s in r.steps),
                    service=sum(s.service for s in r.steps),
                )
            )
        return Solution(tuple(routes), self.unassigned)


_STEP_TYPES = {t.value: t for t in StepType}


def _opt_uint(obj: Mapping[str, object], key: str, where: str) -> int | None:
    return _uint(obj[key], f"{where}: '{key}'") if key in obj else None


def _opt_uints(obj: Mapping[str, object], key: str, where: str) -> tuple[int, ...] | None:
    return _uints(obj, key, where) if key in obj else None


def _step_from_json(raw: object, where: str) -> VroomStep:
    obj = _obj(raw, where)
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in _STEP_TYPES:
        if kind in ("pickup", "delivery"):
            raise VroomFormatError(f"{where}: shipment steps ('{kind}') are not supported")
        raise VroomFormatError(f"{where}: 'type' must be start, job, break or end, got {kind!r}")
    step_type = _STEP_TYPES[kind]
    ident: int | None = None
    if step_type in (StepType.VISIT, StepType.BREAK):
        ident = _field_uint(obj, "id", where)
        where = f"{where} ({kind} {ident})"
    return VroomStep(
        type=step_type,
        id=ident,
        location=_opt_uint(obj, "location_index", where),
        arrival=_field_uint(obj, "arrival", where),
        waiting=_field_uint(obj, "waiting_time", where),
        service=_field_uint(obj, "service", where),
        travel=_opt_uint(obj, "duration", where),
        load=_opt_uints(obj, "load", where),
    )


def solution_from_vroom(data: Mapping[str, Any]) -> VroomSolution:
    """Read a solution in VROOM's output format, keeping every reported figure.

    Parameters
    ----------
    data
        The parsed JSON object. Each step needs ``type``, ``arrival``, ``waiting_time`` and
        ``service`` (and ``id`` for jobs and breaks); route and summary totals are optional.

    Returns
    -------
    VroomSolution
        The routes with their reported times, loads and totals, the unassigned job ids and the
        summary.

    Raises
    ------
    VroomFormatError
        When the data is not VROOM output (or is VROOM's error report, ``code`` not 0).
    """
    top = _obj(data, "the solution")
    code = top.get("code", 0)
    if code != 0:
        raise VroomFormatError(
            f"the solution is an error report (code {code!r}): {top.get('error')}"
        )
    if "routes" not in top:
        raise VroomFormatError("'routes' is required")
    routes: list[VroomRoute] = []
    for k, raw in enumerate(_list(top["routes"], "'routes'")):
        obj = _obj(raw, f"routes[{k}]")
        vehicle = _field_uint(obj, "vehicle", f"routes[{k}]")
        where = f"route of vehicle {vehicle}"
        if "steps" not in obj:
            raise VroomFormatError(f"{where}: 'steps' is required")
        steps = tuple(
            _step_from_json(s, f"{where}: steps[{i}]")
            for i, s in enumerate(_list(obj["steps"], f"{where}: 'steps'"))
        )
        routes.append(
            VroomRoute(
                vehicle=vehicle,
                steps=steps,
                cost=_opt_uint(obj, "cost", where),
                duration=_opt_uint(obj, "duration", where),
                waiting_time=_opt_uint(obj, "waiting_time", where),
                service=_opt_uint(obj, "service", where),
                priority=_opt_uint(obj, "priority", where),
                delivery=_opt_uints(obj, "delivery", where),
                pickup=_opt_uints(obj, "pickup", where),
            )
        )
    unassigned: list[int] = []
    for k, raw in enumerate(_list(top.get("unassigned", []), "'unassigned'")):
        obj = _obj(raw, f"unassigned[{k}]")
        kind = obj.get("type", "job")
        if kind != "job":
            raise VroomFormatError(f"unassigned[{k}]: type {kind!r} is not supported")
        unassigned.append(_field_uint(obj, "id", f"unassigned[{k}]"))
    summary: dict[str, int | tuple[int, ...]] = {}
    if "summary" in top:
        sobj = _obj(top["summary"], "'summary'")
        for key in (
            "cost",
            "routes",
            "unassigned",
            "duration",
            "waiting_time",
            "service",
            "priority",
        ):
            if key in sobj:
                summary[key] = _uint(sobj[key], f"summary: '{key}'")
        for key in ("delivery", "pickup"):
            if key in sobj:
                summary[key] = _uints(sobj, key, "summary")
    return VroomSolution(tuple(routes), tuple(unassigned), summary)
