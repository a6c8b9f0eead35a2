"""The routing problem and its solution, as immutable values.

Times are whole seconds on one horizon chosen by the caller (the scheduler uses seconds since the
local midnight of the planned day, so a 23- or 25-hour DST day needs no special case). Locations
are indices into the per-profile matrices. Skills are small integers, as in VROOM; the scheduler
maps its skill codes onto them.

Semantics follow VROOM:

- a visit's service starts inside one of its time windows; arriving early means waiting;
- a break is taken at the current location, between two steps, and starts inside one of its
  windows; a vehicle that serves any visit takes all of its breaks. Between two visits the
  current location is the first one's address before driving on or the next one's after
  arriving (travel is never interrupted); before the first visit it is the start, after the last
  one the last visit's address;
- a route starts no earlier than the start of the vehicle's shift and ends (arrives at its end
  location, or finishes its last step when it has none) no later than the shift's end;
- travel time comes from the vehicle profile's duration matrix, cost from its cost matrix, or from
  the durations when there is no cost matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

#: A large horizon used where no window is given (about 68 years of seconds fits in int32; we use
#: a smaller value so sums of several horizons still fit in OR-Tools' int64 arithmetic easily).
HORIZON = 10**9


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A closed interval ``[start, end]`` of whole seconds."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"time window starts after it ends: [{self.start}, {self.end}]")

    def contains(self, t: int) -> bool:
        """Whether ``t`` lies inside the window (both ends included)."""
        return self.start <= t <= self.end


ANYTIME = TimeWindow(0, HORIZON)


def _windows(windows: Sequence[TimeWindow], what: str) -> tuple[TimeWindow, ...]:
    """Validate a list of windows: sorted, not overlapping; empty means anytime."""
    ws = tuple(windows) or (ANYTIME,)
    for a, b in itertools.pairwise(ws):
        if b.start <= a.end:
            raise ValueError(f"{what}: time windows must be sorted and must not overlap")
    return ws


@dataclass(frozen=True, slots=True)
class Visit:
    """A home visit (a VROOM job).

    Parameters
    ----------
    id
        Unique among the visits of a problem.
    location
        Index into the matrices.
    duration
        Service time in seconds.
    time_windows
        Windows in which the service must start (the promised arrival window). Empty means anytime.
    skills
        Skills the serving vehicle must all have.
    priority
        0-100, as in VROOM: when not everything fits, higher priorities are served first.
    pinned_vehicle
        When set, only this vehicle may serve the visit.
    fixed
        Already started or otherwise frozen: the visit stays on ``pinned_vehicle`` (required) and
        keeps its place in the initial route handed to the solver.
    amount
        Delivery: load carried from the start and dropped here (one entry per capacity dimension).
    pickup
        Load collected here and carried to the end (VROOM's ``pickup``).
    preferred_vehicle
        Continuity of care: the expert who should serve the visit. Soft: leaving it costs
        :attr:`Objective.preferred_cost` when an objective is given, so it is kept unless
        impossible.
    required_vehicle
        Only this vehicle may serve the visit (hard, like ``pinned_vehicle``, but a rule of the
        visit rather than a freeze of the plan).
    excluded_vehicles
        Vehicles that may never serve the visit (hard).
    current_vehicle
        The vehicle serving the visit in the current plan, ``None`` when it is not planned. A
        solution that gives the visit another vehicle *moves* it (see :class:`Objective`).
    move_cost
        Seconds of working time a move of this visit costs, overriding
        :attr:`Objective.move_cost` (higher for a visit whose expert has already been told).
    """

    id: int
    location: int
    duration: int = 0
    time_windows: tuple[TimeWindow, ...] = ()
    skills: frozenset[int] = frozenset()
    priority: int = 0
    pinned_vehicle: int | None = None
    fixed: bool = False
    amount: tuple[int, ...] = ()
    pickup: tuple[int, ...] = ()
    preferred_vehicle: int | None = None
    required_vehicle: int | None = None
    excluded_vehicles: frozenset[int] = frozenset()
    current_vehicle: int | None = None
    move_cost: int | None = None

    def __post_init__(self) -> None:
        if self.location < 0:
            raise ValueError(f"visit {self.id}: location index must not be negative")
        if self.duration < 0:
            raise ValueError(f"visit {self.id}: duration must not be negative")
        if not 0 <= self.priority <= 100:
            raise ValueError(f"visit {self.id}: priority must be between 0 and 100")
        if self.fixed and self.pinned_vehicle is None:
            raise ValueError(f"visit {self.id}: a fixed visit needs a pinned vehicle")
        if any(a < 0 for a in self.amount) or any(a < 0 for a in self.pickup):
            raise ValueError(f"visit {self.id}: amounts must not be negative")
        if self.move_cost is not None and self.move_cost < 0:
            raise ValueError(f"visit {self.id}: move_cost must not be negative")
        if self.required_vehicle is not None and self.required_vehicle in self.excluded_vehicles:
            raise ValueError(f"visit {self.id}: its required vehicle is also excluded")
        object.__setattr__(self, "time_windows", _windows(self.time_windows, f"visit {self.id}"))
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "excluded_vehicles", frozenset(self.excluded_vehicles))
        object.__setattr__(self, "amount", tuple(self.amount))
        object.__setattr__(self, "pickup", tuple(self.pickup))


@dataclass(frozen=True, slots=True)
class Break:
    """A break: starts inside one of ``time_windows`` and lasts ``duration`` seconds."""

    id: int
    time_windows: tuple[TimeWindow, ...]
    duration: int

    def __post_init__(self) -> None:
        if self.duration < 0:
            raise ValueError(f"break {self.id}: duration must not be negative")
        object.__setattr__(self, "time_windows", _windows(self.time_windows, f"break {self.id}"))


@dataclass(frozen=True, slots=True)
class Vehicle:
    """An expert on a given day (a VROOM vehicle).

    ``start`` and ``end`` are location indices; ``None`` means the route starts at its first visit
    or ends at its last (VROOM's open routes). ``shift`` bounds the whole route.
    """

    id: int
    start: int | None
    end: int | None
    shift: TimeWindow = ANYTIME
    breaks: tuple[Break, ...] = ()
    skills: frozenset[int] = frozenset()
    profile: str = "car"
    max_visits: int | None = None
    capacity: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.start is None and self.end is None:
            raise ValueError(f"vehicle {self.id}: needs a start or an end location")
        for loc in (self.start, self.end):
            if loc is not None and loc < 0:
                raise ValueError(f"vehicle {self.id}: location index must not be negative")
        if self.max_visits is not None and self.max_visits < 0:
            raise ValueError(f"vehicle {self.id}: max_visits must not be negative")
        if len({b.id for b in self.breaks}) != len(self.breaks):
            raise ValueError(f"vehicle {self.id}: break ids must be unique")
        object.__setattr__(self, "breaks", tuple(self.breaks))
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "capacity", tuple(self.capacity))

    def can_serve(self, visit: Visit) -> bool:
        """Skills, pinning, the required and the excluded vehicles allow this vehicle to serve
        ``visit`` (time is not considered; :meth:`Problem.allows` adds the objective's mode)."""
        if visit.pinned_vehicle is not None and visit.pinned_vehicle != self.id:
            return False
        if visit.required_vehicle is not None and visit.required_vehicle != self.id:
            return False
        if self.id in visit.excluded_vehicles:
            return False
        return visit.skills <= self.skills


IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Matrix:
    """Travel durations (seconds) and optional costs between all locations, for one profile."""

    durations: IntMatrix
    costs: IntMatrix | None = None

    def __post_init__(self) -> None:
        d = np.asarray(self.durations, dtype=np.int64)
        if d.ndim != 2 or d.shape[0] != d.shape[1]:
            raise ValueError("a duration matrix must be square")
        if (d < 0).any():
            raise ValueError("durations must not be negative")
        d.setflags(write=False)
        object.__setattr__(self, "durations", d)
        if self.costs is not None:
            c = np.asarray(self.costs, dtype=np.int64)
            if c.shape != d.shape:
                raise ValueError("the cost matrix must have the shape of the duration matrix")
            if (c < 0).any():
                raise ValueError("costs must not be negative")
            c.setflags(write=False)
            object.__setattr__(self, "costs", c)

    @property
    def size(self) -> int:
        return int(self.durations.shape[0])

    @property
    def cost_matrix(self) -> IntMatrix:
        """The costs, or the durations when no cost matrix was given."""
        return self.costs if self.costs is not None else self.durations


#: Default stability cost of moving a visit to another vehicle: about 20 minutes of working time.
DEFAULT_MOVE_COST = 1200
#: Default soft cost of serving a visit by another vehicle than its preferred one: four hours of
#: working time, so the preference is kept unless it is impossible (or a whole route's worth).
DEFAULT_PREFERRED_COST = 4 * 3600

Mode = Literal["keep_experts", "balanced", "free"]
MODES: tuple[Mode, ...] = ("keep_experts", "balanced", "free")


@dataclass(frozen=True, slots=True)
class Objective:
    """What a good plan is, when a planner (not VROOM) asks.

    Lexicographic: first serve as many visits as possible, by priority (as VROOM does); then
    minimise the weighted sum

    - working time: travel (durations, not the cost matrix) plus waiting, in seconds;
    - stability: for each visit whose vehicle differs from its ``current_vehicle`` (a visit with no
      current vehicle is not moved), its ``move_cost`` or else :attr:`move_cost`;
    - continuity: :attr:`preferred_cost` for each visit not served by its ``preferred_vehicle``;
    - balance: :attr:`balance_weight` times the spread (max - min) of route duration (travel,
      service, waiting and breaks) across the vehicles that work.

    A problem without an objective keeps VROOM's meaning: served priority, then cost.

    Parameters
    ----------
    mode
        ``"keep_experts"``: a visit with a current vehicle may only be served by it (only order
        and times change); ``"balanced"``: moves cost their move cost; ``"free"``: moves cost
        nothing (per-visit move costs included).
    move_cost
        Default seconds of working time a move costs (``balanced``).
    preferred_cost
        Seconds of working time a visit served by another than its preferred vehicle costs.
    balance_weight
        Weight of the balance term (0 leaves it out).
    """

    mode: Mode = "balanced"
    move_cost: int = DEFAULT_MOVE_COST
    preferred_cost: int = DEFAULT_PREFERRED_COST
    balance_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.move_cost < 0 or self.preferred_cost < 0:
            raise ValueError("move_cost and preferred_cost must not be negative")
        if self.balance_weight < 0:
            raise ValueError("balance_weight must not be negative")

    @classmethod
    def for_mode(cls, mode: Mode, **kwargs: int | float) -> Objective:
        """The objective of a planner's mode (``free`` sets the move cost to 0)."""
        if mode == "free":
            kwargs = {**kwargs, "move_cost": 0}
        return cls(mode=mode, **kwargs)  # type: ignore[arg-type]

    def move_cost_of(self, visit: Visit) -> int:
        """Seconds a move of ``visit`` costs in this objective."""
        if self.mode == "free":
            return 0
        return self.move_cost if visit.move_cost is None else visit.move_cost

    def assignment_cost(self, visit: Visit, vehicle_id: int) -> int:
        """Stability and continuity cost of serving ``visit`` by vehicle ``vehicle_id``."""
        cost = 0
        if visit.current_vehicle is not None and visit.current_vehicle != vehicle_id:
            cost += self.move_cost_of(visit)
        if visit.preferred_vehicle is not None and visit.preferred_vehicle != vehicle_id:
            cost += self.preferred_cost
        return cost


@dataclass(frozen=True)
class Problem:
    """A complete routing problem: visits, vehicles and one matrix per travel profile.

    ``coordinates`` optionally gives (lon, lat) per location index, for output and maps only.
    ``objective`` is the planner's objective; ``None`` keeps VROOM's (travel cost).
    """

    visits: tuple[Visit, ...]
    vehicles: tuple[Vehicle, ...]
    matrices: Mapping[str, Matrix]
    coordinates: tuple[tuple[float, float], ...] | None = None
    objective: Objective | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "visits", tuple(self.visits))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "matrices", dict(self.matrices))
        if len({v.id for v in self.visits}) != len(self.visits):
            raise ValueError("visit ids must be unique")
        if len({v.id for v in self.vehicles}) != len(self.vehicles):
            raise ValueError("vehicle ids must be unique")
        if not self.matrices:
            raise ValueError("a problem needs at least one matrix")
        sizes = {m.size for m in self.matrices.values()}
        if len(sizes) != 1:
            raise ValueError("all profile matrices must have the same size")
        n = sizes.pop()
        vehicle_ids = {v.id for v in self.vehicles}
        dims = {len(v.capacity) for v in self.vehicles}
        dims |= {len(j.amount) for j in self.visits} | {len(j.pickup) for j in self.visits}
        dims.discard(0)
        if len(dims) > 1:
            raise ValueError("capacities and amounts must all have the same number of dimensions")
        for vis in self.visits:
            if vis.location >= n:
                raise ValueError(f"visit {vis.id}: location {vis.location} is outside the matrix")
            if vis.pinned_vehicle is not None and vis.pinned_vehicle not in vehicle_ids:
                raise ValueError(f"visit {vis.id}: pinned to unknown vehicle {vis.pinned_vehicle}")
            if vis.required_vehicle is not None and vis.required_vehicle not in vehicle_ids:
                raise ValueError(f"visit {vis.id}: requires unknown vehicle {vis.required_vehicle}")
        for veh in self.vehicles:
            if veh.profile not in self.matrices:
                raise ValueError(f"vehicle {veh.id}: no matrix for profile {veh.profile!r}")
            for loc in (veh.start, veh.end):
                if loc is not None and loc >= n:
                    raise ValueError(f"vehicle {veh.id}: location {loc} is outside the matrix")
        if self.coordinates is not None and len(self.coordinates) != n:
            raise ValueError("coordinates must give one (lon, lat) per matrix location")

    @property
    def size(self) -> int:
        """Number of locations."""
        return next(iter(self.matrices.values())).size

    def allows(self, visit: Visit, vehicle: Vehicle) -> bool:
        """Whether ``vehicle`` may serve ``visit``: :meth:`Vehicle.can_serve`, and in
        ``keep_experts`` mode only the visit's current vehicle (when it has one)."""
        if not vehicle.can_serve(visit):
            return False
        obj = self.objective
        if obj is not None and obj.mode == "keep_experts" and visit.current_vehicle is not None:
            # An expert who no longer works today cannot keep the visit; any other may take it.
            return visit.current_vehicle == vehicle.id or not any(
                v.id == visit.current_vehicle for v in self.vehicles
            )
        return True

    def visit(self, visit_id: int) -> Visit:
        for v in self.visits:
            if v.id == visit_id:
                return v
        raise KeyError(visit_id)

    def vehicle(self, vehicle_id: int) -> Vehicle:
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)


class StepType(StrEnum):
    START = "start"
    VISIT = "job"
    BREAK = "break"
    END = "end"


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a route, with its times.

    ``arrival`` is when the vehicle is at the step's location (for a break: when it would otherwise
    leave), ``service_start = arrival + waiting``, ``departure = service_start + duration``.
    """

    type: StepType
    id: int | None
    location: int | None
    arrival: int
    waiting: int = 0
    duration: int = 0

    @property
    def service_start(self) -> int:
        return self.arrival + self.waiting

    @property
    def departure(self) -> int:
        return self.arrival + self.waiting + self.duration


@dataclass(frozen=True)
class Route:
    """A vehicle's steps in order, with totals: ``cost`` (objective), ``travel`` (seconds)."""

    vehicle: int
    steps: tuple[Step, ...]
    cost: int
    travel: int
    waiting: int
    service: int

    @property
    def visit_ids(self) -> tuple[int, ...]:
        return tuple(s.id for s in self.steps if s.type is StepType.VISIT and s.id is not None)


@dataclass(frozen=True)
class Solution:
    """Routes of the vehicles that are used, plus the visits no vehicle serves."""

    routes: tuple[Route, ...]
    unassigned: tuple[int, ...]

    @property
    def cost(self) -> int:
        return sum(r.cost for r in self.routes)

    @property
    def travel(self) -> int:
        return sum(r.travel for r in self.routes)

    @property
    def waiting(self) -> int:
        return sum(r.waiting for r in self.routes)

    @property
    def service(self) -> int:
        return sum(r.service for r in self.routes)

    def route_of(self, vehicle_id: int) -> Route | None:
        for r in self.routes:
            if r.vehicle == vehicle_id:
                return r
        return None


Status = Literal["ok", "error"]


@dataclass(frozen=True)
class InitialRoute:
    """A vehicle's visits in order, to warm-start the solver (breaks are placed by the solver)."""

    vehicle: int
    visits: tuple[int, ...] = field(default_factory=tuple)
