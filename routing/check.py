"""Check a solution in VROOM's output format against a problem, under VROOM's semantics.

The checker judges the solution's own claims: the steps in their order with their reported
arrival, waiting and service times. It never re-times a route and then trusts its own times, so a
solution that would be feasible if re-timed but reports impossible times is rejected.

The rules (see :mod:`routing.model` for the semantics):

- every job is served at most once, or listed as unassigned, never both; none is missing;
- a job's service starts (``arrival + waiting_time``) inside one of its time windows and lasts its
  service time;
- between consecutive located steps (start, jobs, end) there is at least the profile's travel time,
  on top of the breaks taken in between. Breaks are taken where the vehicle is, so no travel leads
  into or out of a break; the travel from the location before a break to the one after it may lie
  before or after the break (VROOM reports either);
- no step begins before the previous one ends (no overlap of jobs and breaks);
- a break starts inside one of its windows and lasts its service; a vehicle that serves any job
  takes all of its breaks, each once;
- a route starts no earlier than its vehicle's time window and ends (arrives at its end, or
  finishes its last step without an end location) no later than the window's end;
- skills, pinning, the required and excluded vehicles, ``keep_experts`` (a visit stays with its
  current vehicle), ``max_tasks`` and capacity (VROOM's load rule: deliveries are on board from the
  start, pickups from their step to the end);
- the reported costs, durations, waiting and service times, loads and the summary agree with the
  steps and the matrices (cost is the sum of the profile's costs, or durations, over the legs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from routing.model import Problem, StepType, TimeWindow, Vehicle, Visit
from routing.vroom import VroomRoute, VroomSolution, VroomStep, solution_from_vroom


class ViolationKind(StrEnum):
    """What kind of rule a :class:`Violation` breaks."""

    UNKNOWN_VEHICLE = "unknown-vehicle"
    DUPLICATE_ROUTE = "duplicate-route"
    ROUTE_SHAPE = "route-shape"
    UNKNOWN_JOB = "unknown-job"
    DUPLICATE_JOB = "duplicate-job"
    MISSING_JOB = "missing-job"
    SERVICE = "service"
    TIME_WINDOW = "time-window"
    TRAVEL = "travel"
    OVERLAP = "overlap"
    UNKNOWN_BREAK = "unknown-break"
    DUPLICATE_BREAK = "duplicate-break"
    BREAK_WINDOW = "break-window"
    MISSING_BREAK = "missing-break"
    SHIFT_START = "shift-start"
    SHIFT_END = "shift-end"
    SKILLS = "skills"
    PINNED = "pinned"
    REQUIRED_VEHICLE = "required-vehicle"
    EXCLUDED_VEHICLE = "excluded-vehicle"
    KEEP_EXPERTS = "keep-experts"
    MAX_TASKS = "max-tasks"
    CAPACITY = "capacity"
    COST = "cost"
    REPORT = "report"
    SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: its kind, a sentence saying what is wrong, and whom it concerns."""

    kind: ViolationKind
    message: str
    vehicle: int | None = None
    job: int | None = None
    break_id: int | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class _Totals:
    """What a route's legs and steps add up to, for the summary."""

    cost: int = 0
    travel: int = 0
    waiting: int = 0
    service: int = 0
    priority: int = 0
    delivery: list[int] = field(default_factory=list)
    pickup: list[int] = field(default_factory=list)


def _windows_text(windows: Sequence[TimeWindow]) -> str:
    return ", ".join(f"[{w.start}, {w.end}]" for w in windows)


def _label(step: VroomStep) -> str:
    if step.type is StepType.VISIT:
        return f"job {step.id}"
    if step.type is StepType.BREAK:
        return f"break {step.id}"
    return f"the {step.type.value} step"


def _plus(a: Sequence[int], b: Sequence[int]) -> list[int]:
    return [x + y for x, y in zip(a, b, strict=True)]


def _vec(values: Sequence[int], dims: int) -> list[int]:
    return list(values) if values else [0] * dims


def check(problem: Problem, solution_json: Mapping[str, Any] | VroomSolution) -> list[Violation]:
    """Replay a solution's reported steps and times and list every rule it breaks.

    Parameters
    ----------
    problem
        The problem the solution claims to solve.
    solution_json
        The solution in VROOM's output format (parsed JSON), or already read with
        :func:`routing.vroom.solution_from_vroom`.

    Returns
    -------
    list of Violation
        Empty when the solution is feasible and its reported figures are consistent; otherwise one
        entry per defect, each naming the vehicle, job or break.

    Raises
    ------
    routing.vroom.VroomFormatError
        When ``solution_json`` is not in VROOM's output format.
    """
    solution = (
        solution_json
        if isinstance(solution_json, VroomSolution)
        else solution_from_vroom(solution_json)
    )
    out: list[Violation] = []
    visits = {v.id: v for v in problem.visits}
    vehicles = {v.id: v for v in problem.vehicles}
    dims = max(
        [len(v.capacity) for v in problem.vehicles]
        + [len(j.amount) for j in problem.visits]
        + [len(j.pickup) for j in problem.visits],
        default=0,
    )
    served_by: dict[int, int] = {}
    routed_vehicles: set[int] = set()
    totals = _Totals(delivery=[0] * dims, pickup=[0] * dims)

    for route in solution.routes:
        vehicle = vehicles.get(route.vehicle)
        if vehicle is None:
            out.append(
                Violation(
                    ViolationKind.UNKNOWN_VEHICLE,
                    f"route of vehicle {route.vehicle}: the problem has no such vehicle.",
                    vehicle=route.vehicle,
                )
            )
        elif route.vehicle in routed_vehicles:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE_ROUTE,
                    f"vehicle {route.vehicle}: has more than one route.",
                    vehicle=route.vehicle,
                )
            )
        routed_vehicles.add(route.vehicle)
        for step in route.steps:
            if step.type is not StepType.VISIT or step.id is None:
                continue
            if step.id not in visits:
                out.append(
                    Violation(
                        ViolationKind.UNKNOWN_JOB,
                        f"vehicle {route.vehicle}: serves job {step.id}, which the problem does "
                        "not have.",
                        vehicle=route.vehicle,
                        job=step.id,
                    )
                )
            elif step.id in served_by:
                first = served_by[step.id]
                where = "again" if first == route.vehicle else f"after vehicle {first} did"
                out.append(
                    Violation(
                        ViolationKind.DUPLICATE_JOB,
                        f"vehicle {route.vehicle}: serves job {step.id} {where}; a job is served "
                        "at most once.",
                        vehicle=route.vehicle,
                        job=step.id,
                    )
                )
            else:
                served_by[step.id] = route.vehicle
        if vehicle is not None:
            _check_route(problem, vehicle, route, visits, dims, out, totals)

    unassigned_seen: set[int] = set()
    for job_id in solution.unassigned:
        if job_id not in visits:
            out.append(
                Violation(
                    ViolationKind.UNKNOWN_JOB,
                    f"job {job_id}: listed as unassigned, but the problem has no such job.",
                    job=job_id,
                )
            )
        elif job_id in unassigned_seen:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE_JOB,
                    f"job {job_id}: listed as unassigned more than once.",
                    job=job_id,
                )
            )
        elif job_id in served_by:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE_JOB,
                    f"job {job_id}: listed as unassigned, but vehicle {served_by[job_id]} "
                    "serves it.",
                    vehicle=served_by[job_id],
                    job=job_id,
                )
            )
        unassigned_seen.add(job_id)
    for visit in problem.visits:
        if visit.id not in served_by and visit.id not in unassigned_seen:
            out.append(
                Violation(
                    ViolationKind.MISSING_JOB,
                    f"job {visit.id}: neither served by a route nor listed as unassigned.",
                    job=visit.id,
                )
            )

    expected: dict[str, int | tuple[int, ...]] = {
        "cost": totals.cost,
        "routes": len(solution.routes),
        "unassigned": len(solution.unassigned),
        "duration": totals.travel,
        "waiting_time": totals.waiting,
        "service": totals.service,
        "priority": totals.priority,
        "delivery": tuple(totals.delivery),
        "pickup": tuple(totals.pickup),
    }
    for key, reported in solution.summary.items():
        want = expected[key]
        if reported != want:
            out.append(
                Violation(
                    ViolationKind.SUMMARY,
                    f"summary: reports {key} {_show(reported)}, but the routes add up to "
                    f"{_show(want)}.",
                )
            )
    return out


def _show(value: int | Sequence[int]) -> str:
    return str(value) if isinstance(value, int) else str(list(value))


def _check_route(
    problem: Problem,
    vehicle: Vehicle,
    route: VroomRoute,
    visits: Mapping[int, Visit],
    dims: int,
    out: list[Violation],
    totals: _Totals,
) -> None:
    """Judge one route's reported steps and add its figures to ``totals``."""
    vid = vehicle.id
    who = f"vehicle {vid}"
    steps = route.steps
    matrix = problem.matrices[vehicle.profile]
    durations, costs = matrix.durations, matrix.cost_matrix

    def add(kind: ViolationKind, text: str, job: int | None = None, brk: int | None = None) -> None:
        out.append(Violation(kind, f"{who}: {text}", vehicle=vid, job=job, break_id=brk))

    # The shape: a start step first and an end step last where the vehicle has those locations.
    for k, step in enumerate(steps):
        if step.type is StepType.START and k != 0:
            add(ViolationKind.ROUTE_SHAPE, f"the start step is step {k}, not the first one.")
        if step.type is StepType.END and k != len(steps) - 1:
            add(ViolationKind.ROUTE_SHAPE, f"the end step is step {k}, not the last one.")
    if vehicle.start is not None and (not steps or steps[0].type is not StepType.START):
        add(
            ViolationKind.ROUTE_SHAPE,
            f"the route has no start step at its start location {vehicle.start}.",
        )
    if vehicle.end is not None and (not steps or steps[-1].type is not StepType.END):
        add(
            ViolationKind.ROUTE_SHAPE,
            f"the route has no end step at its end location {vehicle.end}.",
        )

    breaks = {b.id: b for b in vehicle.breaks}
    taken: set[int] = set()
    served: list[tuple[VroomStep, Visit]] = []

    # Per-step rules: identity, skills, service time, windows.
    for step in steps:
        if step.type is StepType.VISIT and step.id is not None and step.id in visits:
            visit = visits[step.id]
            served.append((step, visit))
            jid = visit.id
            missing = sorted(visit.skills - vehicle.skills)
            if missing:
                add(ViolationKind.SKILLS, f"serves job {jid} without its skill(s) {missing}.", jid)
            if visit.pinned_vehicle is not None and visit.pinned_vehicle != vid:
                add(
                    ViolationKind.PINNED,
                    f"serves job {jid}, which is pinned to vehicle {visit.pinned_vehicle}.",
                    jid,
                )
            if visit.required_vehicle is not None and visit.required_vehicle != vid:
                add(
                    ViolationKind.REQUIRED_VEHICLE,
                    f"serves job {jid}, which requires vehicle {visit.required_vehicle}.",
                    jid,
                )
            if vid in visit.excluded_vehicles:
                add(ViolationKind.EXCLUDED_VEHICLE, f"serves job {jid}, which excludes it.", jid)
            if vehicle.can_serve(visit) and not problem.allows(visit, vehicle):
                add(
                    ViolationKind.KEEP_EXPERTS,
                    f"serves job {jid}, which keeps its vehicle {visit.current_vehicle} "
                    "(mode keep_experts).",
                    jid,
                )
            if step.service != visit.duration:
                add(
                    ViolationKind.SERVICE,
                    f"job {jid} reports {step.service} s of service, but it takes "
                    f"{visit.duration} s.",
                    jid,
                )
            if not any(w.contains(step.service_start) for w in visit.time_windows):
                add(
                    ViolationKind.TIME_WINDOW,
                    f"job {jid} starts at {step.service_start}, outside its time window(s) "
                    f"{_windows_text(visit.time_windows)}.",
                    jid,
                )
        elif step.type is StepType.BREAK and step.id is not None:
            bid = step.id
            brk = breaks.get(bid)
            if brk is None:
                add(
                    ViolationKind.UNKNOWN_BREAK,
                    f"takes break {bid}, which it does not have.",
                    brk=bid,
                )
                continue
            if bid in taken:
                add(ViolationKind.DUPLICATE_BREAK, f"takes break {bid} more than once.", brk=bid)
            taken.add(bid)
            if step.service != brk.duration:
                add(
                    ViolationKind.SERVICE,
                    f"break {bid} lasts {step.service} s, but it must last {brk.duration} s.",
                    brk=bid,
                )
            if not any(w.contains(step.service_start) for w in brk.time_windows):
                add(
                    ViolationKind.BREAK_WINDOW,
                    f"break {bid} starts at {step.service_start}, outside its time window(s) "
                    f"{_windows_text(brk.time_windows)}.",
                    brk=bid,
                )

    if served:
        for bid in breaks:
            if bid not in taken:
                add(
                    ViolationKind.MISSING_BREAK,
                    f"serves jobs but does not take break {bid}.",
                    brk=bid,
                )
    if vehicle.max_visits is not None and len(served) > vehicle.max_visits:
        add(
            ViolationKind.MAX_TASKS,
            f"serves {len(served)} jobs, more than its max_tasks {vehicle.max_visits}.",
        )

    # Time: order, travel, the shift. Only the reported times are judged.
    cost = travel = 0
    anchor: VroomStep | None = None  # the last located step
    anchor_loc: int | None = None
    break_time = 0  # service of the breaks since the anchor
    pending: list[VroomStep] = []  # breaks since the anchor

    def report_breaks(before: int, after: int) -> None:
        # A break's travel so far lies between the legs before and after it: VROOM puts the leg
        # across a break on either side of it.
        for brk in pending:
            if brk.travel is not None and not before <= brk.travel <= after:
                add(
                    ViolationKind.REPORT,
                    f"break {brk.id} reports {brk.travel} s of travel so far, but the legs "
                    f"around it put that between {before} and {after} s.",
                    brk=brk.id,
                )

    previous: VroomStep | None = None
    for step in steps:
        in_order = True
        if previous is not None and step.arrival < previous.departure:
            in_order = False
            kind = (
                ViolationKind.OVERLAP
                if StepType.BREAK in (step.type, previous.type)
                else ViolationKind.TRAVEL
            )
            add(
                kind,
                f"{_label(step)} begins at {step.arrival}, before {_label(previous)} ends at "
                f"{previous.departure}.",
                job=step.id if step.type is StepType.VISIT else None,
                brk=step.id if step.type is StepType.BREAK else None,
            )
        loc = _location(step, vehicle, visits)
        if (
            loc is not None
            and step.location is not None
            and step.location != loc
            and step.type is not StepType.BREAK
        ):
            add(
                ViolationKind.ROUTE_SHAPE,
                f"{_label(step)} is reported at location {step.location}, but it is at "
                f"location {loc}.",
                job=step.id if step.type is StepType.VISIT else None,
            )
        if loc is not None:
            before = travel
            if anchor is not None and anchor_loc is not None:
                leg = int(durations[anchor_loc, loc])
                travel += leg
                cost += int(costs[anchor_loc, loc])
                earliest = anchor.departure + leg + break_time
                if in_order and step.arrival < earliest:
                    also = f" and {break_time} s of breaks" if break_time else ""
                    add(
                        ViolationKind.TRAVEL,
                        f"{_label(step)} is reached at {step.arrival}, but leaving "
                        f"{_label(anchor)} at {anchor.departure} with {leg} s of travel{also} "
                        f"it cannot be reached before {earliest}.",
                        job=step.id if step.type is StepType.VISIT else None,
                    )
            report_breaks(before, travel)
            if step.travel is not None and step.travel != travel:
                add(
                    ViolationKind.REPORT,
                    f"{_label(step)} reports {step.travel} s of travel so far, but the legs up "
                    f"to it take {travel} s.",
                    job=step.id if step.type is StepType.VISIT else None,
                )
            anchor, anchor_loc, break_time, pending = step, loc, 0, []
        elif step.type is StepType.BREAK:
            break_time += step.service
            pending.append(step)
        elif step.travel is not None and step.travel != travel:
            add(
                ViolationKind.REPORT,
                f"{_label(step)} reports {step.travel} s of travel so far, but the legs up to it "
                f"take {travel} s.",
            )
        previous = step
    report_breaks(travel, travel)

    if steps:
        first = steps[0]
        if first.arrival < vehicle.shift.start:
            add(
                ViolationKind.SHIFT_START,
                f"the route starts at {first.arrival}, before its time window opens at "
                f"{vehicle.shift.start}.",
            )
        last = steps[-1]
        if vehicle.end is not None and last.type is StepType.END:
            finish, what = last.arrival, "arrives at its end"
        else:
            finish, what = max(s.departure for s in steps), "finishes its last step"
        if finish > vehicle.shift.end:
            add(
                ViolationKind.SHIFT_END,
                f"the route {what} at {finish}, after its time window closes at "
                f"{vehicle.shift.end}.",
            )

    # Load, by VROOM's rule.
    deliveries = [_vec(v.amount, dims) for _, v in served]
    pickups = [_vec(v.pickup, dims) for _, v in served]
    load = [sum(col) for col in zip(*deliveries, strict=True)] if deliveries else [0] * dims
    loads: dict[int, list[int]] = {}  # load after each step, by step position
    at_start = list(load)
    peak = list(load)
    peak_at = ["the start"] * dims
    for k, step in enumerate(steps):
        if step.type is StepType.VISIT and step.id is not None and step.id in visits:
            visit = visits[step.id]
            load = [
                x - d + p
                for x, d, p in zip(
                    load, _vec(visit.amount, dims), _vec(visit.pickup, dims), strict=True
                )
            ]
            for d in range(dims):
                if load[d] > peak[d]:
                    peak[d], peak_at[d] = load[d], f"after job {visit.id}"
        loads[k] = at_start if step.type is StepType.START else list(load)
    for d, capacity in enumerate(vehicle.capacity):
        if peak[d] > capacity:
            add(
                ViolationKind.CAPACITY,
                f"carries {peak[d]} in dimension {d} ({peak_at[d]}), more than its capacity "
                f"{capacity}.",
            )
    if dims:
        for k, step in enumerate(steps):
            if step.load is not None and list(step.load) != loads[k]:
                add(
                    ViolationKind.REPORT,
                    f"{_label(step)} reports load {list(step.load)}, but the load there is "
                    f"{loads[k]}.",
                )

    # Reported totals.
    waiting = sum(s.waiting for s in steps)
    service = sum(s.service for s in steps)
    priority = sum(v.priority for _, v in served)
    delivery = [sum(col) for col in zip(*deliveries, strict=True)] if deliveries else [0] * dims
    pickup = [sum(col) for col in zip(*pickups, strict=True)] if pickups else [0] * dims
    if route.cost is not None and route.cost != cost:
        add(ViolationKind.COST, f"the route reports cost {route.cost}, but its legs cost {cost}.")
    if route.duration is not None and route.duration != travel:
        add(
            ViolationKind.COST,
            f"the route reports {route.duration} s of travel (duration), but its legs take "
            f"{travel} s.",
        )
    reported: list[tuple[str, int | tuple[int, ...] | None, int | list[int]]] = [
        ("waiting_time", route.waiting_time, waiting),
        ("service", route.service, service),
        ("priority", route.priority, priority),
    ]
    if dims:
        reported += [("delivery", route.delivery, delivery), ("pickup", route.pickup, pickup)]
    for key, value, want in reported:
        if value is None:
            continue
        if (list(value) if isinstance(value, tuple) else value) != want:
            add(
                ViolationKind.REPORT,
                f"the route reports {key} {_show(value)}, but its steps add up to {_show(want)}.",
            )

    totals.cost += cost
    totals.travel += travel
    totals.waiting += waiting
    totals.service += service
    totals.priority += priority
    if dims:
        totals.delivery = _plus(totals.delivery, delivery)
        totals.pickup = _plus(totals.pickup, pickup)


def _location(step: VroomStep, vehicle: Vehicle, visits: Mapping[int, Visit]) -> int | None:
    """Where a step is, or ``None`` for breaks, unknown jobs and VROOM's open-route ends."""
    if step.type is StepType.START:
        return vehicle.start
    if step.type is StepType.END:
        return vehicle.end
    if step.type is StepType.VISIT and step.id is not None and step.id in visits:
        return visits[step.id].location
    return None
