"""Replay a route's order of stops into timed steps, with VROOM's semantics.

This is the one place that turns an order of visits and breaks into times. The solver uses it to
report its routes, the checker to judge a solution, the insertion engine's tests as the brute-force
reference, and the scheduler to re-time a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.model import (
    Break,
    Problem,
    Route,
    Step,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)

StopRef = tuple[StepType, int]
"""A stop in a route order: ``(StepType.VISIT, visit_id)`` or ``(StepType.BREAK, break_id)``."""


@dataclass(frozen=True)
class Replay:
    """A replayed route and everything wrong with it (empty when the route is feasible)."""

    route: Route
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def first_start(windows: Sequence[TimeWindow], t: int) -> int | None:
    """The earliest start ``>= t`` inside one of ``windows`` (sorted), or ``None``."""
    for w in windows:
        if t <= w.end:
            return max(t, w.start)
    return None


def replay(
    problem: Problem,
    vehicle: Vehicle,
    stops: Sequence[StopRef],
    *,
    depart: int | None = None,
    late_start: bool = True,
) -> Replay:
    """Time ``stops`` for ``vehicle`` as early as possible and list every violated constraint.

    Parameters
    ----------
    problem
        Supplies the visits and the vehicle profile's matrices.
    vehicle
        The vehicle that drives the route.
    stops
        Visits and breaks in order. Breaks are taken at the current location.
    depart
        Departure time from the start; defaults to the start of the shift.
    late_start
        When true, the departure is then delayed as far as it can be without making any step
        later than in the earliest schedule from the first waiting step on (less idle time at the
        office). Feasibility never changes.

    Returns
    -------
    Replay
        The timed route (cost and travel from the profile's matrices) and the violations, each a
        sentence naming the visit, break or vehicle.
    """
    visits = {v.id: v for v in problem.visits}
    breaks = {b.id: b for b in vehicle.breaks}
    matrix = problem.matrices[vehicle.profile]
    durations = matrix.durations
    costs = matrix.cost_matrix
    violations: list[str] = []

    t0 = vehicle.shift.start if depart is None else depart
    if t0 < vehicle.shift.start:
        violations.append(f"vehicle {vehicle.id}: leaves before its shift starts")
    steps: list[Step] = []
    here = vehicle.start
    if here is not None:
        steps.append(Step(StepType.START, None, here, t0))
    t = t0
    travel = cost = waiting_total = service_total = 0
    seen_visits: set[int] = set()
    seen_breaks: set[int] = set()
    served: list[Visit] = []

    for kind, ref in stops:
        if kind is StepType.VISIT:
            visit: Visit | None = visits.get(ref)
            if visit is None:
                violations.append(f"vehicle {vehicle.id}: unknown visit {ref}")
                continue
            if ref in seen_visits:
                violations.append(f"visit {ref}: appears twice in the route")
            seen_visits.add(ref)
            if not vehicle.can_serve(visit):
                violations.append(f"visit {ref}: vehicle {vehicle.id} may not serve it")
            if here is not None:
                leg = int(durations[here, visit.location])
                travel += leg
                cost += int(costs[here, visit.location])
                t += leg
            start = first_start(visit.time_windows, t)
            if start is None:
                violations.append(f"visit {ref}: arrives at {t}, after its last time window")
                start = t
            steps.append(Step(StepType.VISIT, ref, visit.location, t, start - t, visit.duration))
            waiting_total += start - t
            service_total += visit.duration
            t = start + visit.duration
            here = visit.location
            served.append(visit)
        elif kind is StepType.BREAK:
            brk: Break | None = breaks.get(ref)
            if brk is None:
                violations.append(f"vehicle {vehicle.id}: unknown break {ref}")
                continue
            if ref in seen_breaks:
                violations.append(f"break {ref}: taken twice")
            seen_breaks.add(ref)
            start = first_start(brk.time_windows, t)
            if start is None:
                violations.append(f"break {ref} of vehicle {vehicle.id}: starts too late ({t})")
                start = t
            steps.append(Step(StepType.BREAK, ref, here, t, start - t, brk.duration))
            waiting_total += start - t
            service_total += brk.duration
            t = start + brk.duration
        else:
            raise ValueError(f"a route order holds visits and breaks, not {kind}")

    if vehicle.end is not None:
        if here is not None:
            leg = int(durations[here, vehicle.end])
            travel += leg
            cost += int(costs[here, vehicle.end])
            t += leg
        steps.append(Step(StepType.END, None, vehicle.end, t))
    if t > vehicle.shift.end:
        violations.append(
            f"vehicle {vehicle.id}: ends at {t}, after its shift ({vehicle.shift.end})"
        )
    if seen_visits and len(seen_breaks) < len(vehicle.breaks):
        missing = sorted(set(breaks) - seen_breaks)
        violations.append(f"vehicle {vehicle.id}: serves visits but skips break(s) {missing}")
    if vehicle.max_visits is not None and len(seen_visits) > vehicle.max_visits:
        violations.append(
            f"vehicle {vehicle.id}: {len(seen_visits)} visits, max {vehicle.max_visits}"
        )
    violations.extend(_load_violations(vehicle, served))

    if late_start and depart is None and not violations:
        steps, waiting_total = _delay_start(steps, visits, breaks, vehicle)

    route = Route(
        vehicle=vehicle.id,
        steps=tuple(steps),
        cost=cost,
        travel=travel,
        waiting=waiting_total,
        service=service_total,
    )
    return Replay(route, tuple(violations))


def _load_violations(vehicle: Vehicle, served: Sequence[Visit]) -> list[str]:
    """VROOM's load rule: deliveries ride from the start, pickups ride to the end."""
    out: list[str] = []
    for d, cap in enumerate(vehicle.capacity):
        load = sum(v.amount[d] for v in served if v.amount)
        peak = load
        for v in served:
            load += (v.pickup[d] if v.pickup else 0) - (v.amount[d] if v.amount else 0)
            peak = max(peak, load)
        if peak > cap:
            out.append(f"vehicle {vehicle.id}: load {peak} exceeds capacity {cap} (dimension {d})")
    return out


def _delay_start(
    steps: list[Step], visits: dict[int, Visit], breaks: dict[int, Break], vehicle: Vehicle
) -> tuple[list[Step], int]:
    """Shift the steps before the first wait later by as much as that wait, within their windows."""
    delay: int | None = None
    limit = vehicle.shift.end
    for k, s in enumerate(steps):
        if s.type is StepType.VISIT and s.id is not None:
            windows = visits[s.id].time_windows
        elif s.type is StepType.BREAK and s.id is not None:
            windows = breaks[s.id].time_windows
        else:
            continue
        # The latest start keeping this step in the window it uses now.
        window = next(w for w in windows if w.start <= s.service_start <= w.end)
        limit = min(limit, window.end - s.service_start)
        if s.waiting > 0:
            delay = min(s.waiting, limit)
            cut = k
            break
    if not delay:
        return steps, sum(s.waiting for s in steps)
    moved = [
        Step(s.type, s.id, s.location, s.arrival + delay, s.waiting, s.duration)
        for s in steps[:cut]
    ]
    last = steps[cut]
    moved.append(
        Step(
            last.type,
            last.id,
            last.location,
            last.arrival + delay,
            last.waiting - delay,
            last.duration,
        )
    )
    out = moved + steps[cut + 1 :]
    return out, sum(s.waiting for s in out)
