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


def take_break(brk: Break, t: int) -> int | None:
    """When a break begun as early as possible from ``t`` ends, or ``None`` when it is too late."""
    start = first_start(brk.time_windows, t)
    return None if start is None else start + brk.duration


def gap_ready(
    breaks: Sequence[Break], depart: int, leg: int, *, split: bool
) -> tuple[int, int] | None:
    """The earliest moment the next step's location is reached and the breaks before it taken.

    Between two visits the vehicle leaves the first at ``depart`` (its service done), drives
    ``leg`` seconds and takes ``breaks`` (in their order) where it is: the first ``j`` of them at
    the first visit's address before driving, the others at the next address after arriving,
    for the ``j`` that makes the next address ready earliest (ties go to taking the breaks before
    driving). ``split=False`` allows only ``j = len(breaks)`` (before the first visit and after
    the last one, breaks are taken before driving).

    Returns
    -------
    tuple of int, or None
        ``(ready, j)``, or ``None`` when no choice lets every break start inside a window.
    """
    best: tuple[int, int] | None = None
    m = len(breaks)
    for j in range(m, -1 if split else m - 1, -1):
        t: int | None = depart
        for k, brk in enumerate(breaks):
            if t is None:
                break
            t = take_break(brk, t + leg if k == j else t)
        if t is None:
            continue
        if j == m:
            t += leg
        if best is None or t < best[0]:
            best = (t, j)
    return best


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
        Visits and breaks in order. A break is taken where the vehicle is: between two visits
        either at the first one's address before driving on or at the next one's after arriving
        (whichever lets the next visit start earliest, see :func:`gap_ready`; travel is never
        interrupted); before the first visit at the start, after the last one before driving to
        the end. A break step's location says where it is taken.
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
    pending: list[Break] = []  # breaks since the last visit (or the start)
    after_visit = False  # the vehicle is at a visit's address, not at the start

    def move(dest: int | None, split: bool) -> None:
        """Take the pending breaks and drive to ``dest`` (``None``: no travel)."""
        nonlocal t, here, travel, cost, waiting_total, service_total
        leg = 0 if here is None or dest is None else int(durations[here, dest])
        if here is not None and dest is not None:
            travel += leg
            cost += int(costs[here, dest])
        best = gap_ready(pending, t, leg, split=split) if pending else None
        j = best[1] if best is not None else len(pending)
        for k, brk in enumerate(pending):
            if k == j:
                t += leg
                here = dest if dest is not None else here
            start = first_start(brk.time_windows, t)
            if start is None:
                violations.append(f"break {brk.id} of vehicle {vehicle.id}: starts too late ({t})")
                start = t
            steps.append(Step(StepType.BREAK, brk.id, here, t, start - t, brk.duration))
            waiting_total += start - t
            service_total += brk.duration
            t = start + brk.duration
        if j == len(pending):
            t += leg
        if dest is not None:
            here = dest
        pending.clear()

    for kind, ref in stops:
        if kind is StepType.VISIT:
            visit: Visit | None = visits.get(ref)
            if visit is None:
                violations.append(f"vehicle {vehicle.id}: unknown visit {ref}")
                continue
            if ref in seen_visits:
                violations.append(f"visit {ref}: appears twice in the route")
            seen_visits.add(ref)
            if not problem.allows(visit, vehicle):
                violations.append(f"visit {ref}: vehicle {vehicle.id} may not serve it")
            move(visit.location, after_visit)
            start = first_start(visit.time_windows, t)
            if start is None:
                violations.append(f"visit {ref}: arrives at {t}, after its last time window")
                start = t
            steps.append(Step(StepType.VISIT, ref, visit.location, t, start - t, visit.duration))
            waiting_total += start - t
            service_total += visit.duration
            t = start + visit.duration
            served.append(visit)
            after_visit = True
        elif kind is StepType.BREAK:
            brk: Break | None = breaks.get(ref)
            if brk is None:
                violations.append(f"vehicle {vehicle.id}: unknown break {ref}")
                continue
            if ref in seen_breaks:
                violations.append(f"break {ref}: taken twice")
            seen_breaks.add(ref)
            pending.append(brk)
        else:
            raise ValueError(f"a route order holds visits and breaks, not {kind}")

    if vehicle.end is not None:
        move(vehicle.end, False)
        steps.append(Step(StepType.END, None, vehicle.end, t))
    else:
        move(None, False)
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
