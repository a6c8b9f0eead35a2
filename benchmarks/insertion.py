"""Insertion engine and travel times: speed at municipality scale, and against brute-force replay.

Scenario: experts in a 14 × 13 km town (around Utrecht), each starting and ending at home, by car
or bike (default haversine profiles). Every expert-day is 08:00-17:00 with a 30-minute break to
start between 12:00 and 13:30 and 8 visits in nearest-neighbour order, each promised a two-hour
window around its planned start (so the days are full and the slack is realistic). A query asks,
for one new address, 30 minutes of work and one required skill, about 10 candidate two-hour
windows on every planned day at once.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from routing.insertion import InsertionIndex, PlannedRoute, candidates_by_replay
from routing.model import Break, Matrix, Problem, StepType, TimeWindow, Vehicle, Visit
from routing.replay import StopRef, replay
from routing.travel import HaversineTravel

BOX = ((5.03, 52.04), (5.23, 52.16))  # (lon, lat) corners
HOUR = 3600
SHIFT = TimeWindow(8 * HOUR, 17 * HOUR)
LUNCH = Break(1, (TimeWindow(12 * HOUR, 13 * HOUR + 1800),), 1800)
SKILLS = (1, 2, 3, 4)


def _point(rng: np.random.Generator) -> tuple[float, float]:
    (lon0, lat0), (lon1, lat1) = BOX
    return (round(float(rng.uniform(lon0, lon1)), 6), round(float(rng.uniform(lat0, lat1)), 6))


def make_routes(
    experts: int, days: int, visits_per_day: int, seed: int = 1
) -> tuple[list[PlannedRoute], int]:
    """Planned expert-days; returns the routes and how many of them replay as feasible."""
    rng = np.random.default_rng(seed)
    travel = HaversineTravel()
    routes: list[PlannedRoute] = []
    feasible = 0
    next_visit = 1
    for e in range(experts):
        home = _point(rng)
        profile = "car" if e % 5 < 3 else "bike"
        skills = frozenset(
            int(s) for s in rng.choice(SKILLS, size=rng.integers(2, 5), replace=False)
        )
        vehicle = Vehicle(
            e, start=0, end=0, shift=SHIFT, breaks=(LUNCH,), skills=skills, profile=profile
        )
        for d in range(days):
            coords = {0: home} | {k + 1: _point(rng) for k in range(visits_per_day)}
            m = travel.matrix(list(coords.values()), profile)
            # Nearest neighbour from home, then time it; the break goes where noon falls.
            order: list[int] = []
            here, left = 0, set(range(1, visits_per_day + 1))
            while left:
                here = min(left, key=lambda k, h=here: int(m[h, k]))
                order.append(here)
                left.remove(here)
            durations = [int(rng.integers(2, 5)) * 600 for _ in order]  # 20-40 min
            t, here = SHIFT.start, 0
            stops: list[StopRef] = []
            visits: dict[int, Visit] = {}
            took_break = False
            for loc, dur in zip(order, durations, strict=True):
                if not took_break and t >= 12 * HOUR:
                    stops.append((StepType.BREAK, LUNCH.id))
                    t = max(t, 12 * HOUR) + LUNCH.duration
                    took_break = True
                t += int(m[here, loc])
                window_start = (t // 1800) * 1800 - 1800
                window = TimeWindow(window_start, window_start + 2 * HOUR)
                visits[next_visit] = Visit(next_visit, loc, dur, (window,))
                stops.append((StepType.VISIT, next_visit))
                next_visit += 1
                t += dur
                here = loc
            if not took_break:
                stops.append((StepType.BREAK, LUNCH.id))
            routes.append(
                PlannedRoute((e, d), d, vehicle, tuple(stops), visits, coords, durations=m)
            )
            problem = Problem(tuple(visits.values()), (vehicle,), {profile: Matrix(m)})
            feasible += replay(problem, vehicle, stops).feasible  # late days take no new visits
    return routes, feasible


def candidate_windows(days: int, per_day: int) -> list[tuple[Hashable, TimeWindow]]:
    """``per_day`` two-hour windows starting every half hour from 08:00, on every day."""
    return [
        (d, TimeWindow(8 * HOUR + k * 1800, 10 * HOUR + k * 1800))
        for d in range(days)
        for k in range(per_day)
    ]


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Wall times in ms of ``repeat`` calls (garbage collection off while timing)."""
    out: list[float] = []
    result: Any = None
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = fn()
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        gc.enable()
    return out, result


def _p(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q))


def run(quick: bool) -> str:
    """Run the suite; returns a Markdown section."""
    rng = np.random.default_rng(7)
    travel = HaversineTravel()
    lines = ["## Insertion engine and travel times", ""]
    load = os.getloadavg()[0]
    lines.append(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work (load "
        f"average {load:.1f} at the start), Python {platform.python_version()}, numpy "
        f"{np.__version__}; times are wall-clock and noisy. "
        "Command: `.venv/bin/python -m benchmarks insertion`."
    )
    lines.append("")

    # --- travel matrix ---------------------------------------------------------------------
    n_pts = 1000
    pts = [_point(rng) for _ in range(n_pts)]
    times, m = _timed(lambda: travel.matrix(pts, "car"), 3 if quick else 10)
    lines += [
        "### Travel matrix (haversine, car profile)",
        "",
        "| size | p50 ms | max ms |",
        "|---|---:|---:|",
        f"| {n_pts} × {n_pts} | {_p(times, 50):.1f} | {max(times):.1f} |",
        "",
    ]
    assert m.shape == (n_pts, n_pts)

    # --- municipality scale ----------------------------------------------------------------
    experts, days, per_visit, per_day = (10, 7, 8, 10) if quick else (50, 28, 8, 10)
    routes, feasible = make_routes(experts, days, per_visit)
    build_times, index = _timed(lambda: InsertionIndex.build(routes, travel), 1 if quick else 5)
    bare = [dataclasses.replace(r, durations=None) for r in routes]
    bare_times, _ = _timed(lambda: InsertionIndex.build(bare, travel), 1 if quick else 5)
    windows = candidate_windows(days, per_day)
    queries = 30 if quick else 300
    asks = [(_point(rng), {int(rng.choice(SKILLS))}) for _ in range(queries)]
    it = iter(asks * 2)

    def ask() -> Any:
        location, skills = next(it)
        return index.candidates(location, 1800, skills, windows)

    ask()  # warm-up
    q_times, _ = _timed(ask, queries)
    results = [index.candidates(loc, 1800, sk, windows) for loc, sk in asks[:50]]
    sizes = [len(r) for r in results]
    list_times, _ = _timed(lambda: list(results[int(np.argmax(sizes))]), 3)
    best_times, _ = _timed(lambda: results[0].best_per_window(len(windows)), 20)
    lines += [
        f"### All candidates: {experts} experts × {days} days × {per_visit} visits, "
        f"{per_day} windows per day",
        "",
        f"{len(routes)} routes ({feasible} feasible as planned), {index.positions} positions, "
        f"{len(windows)} windows per query (every day at once). Insertions found per query: "
        f"median {statistics.median(sizes):.0f}, max {max(sizes)}.",
        "",
        "| step | p50 ms | p95 ms | max ms | runs |",
        "|---|---:|---:|---:|---:|",
        f"| index build (routes bring their day matrices) | {_p(build_times, 50):.0f} | "
        f"{_p(build_times, 95):.0f} | {max(build_times):.0f} | {len(build_times)} |",
        f"| index build, legs from the provider (no day matrices) | {_p(bare_times, 50):.0f} | "
        f"{_p(bare_times, 95):.0f} | {max(bare_times):.0f} | {len(bare_times)} |",
        f"| query (`candidates`) | {_p(q_times, 50):.2f} | {_p(q_times, 95):.2f} | "
        f"{max(q_times):.2f} | {len(q_times)} |",
        f"| `best_per_window` on a query's answer | {_p(best_times, 50):.2f} | "
        f"{_p(best_times, 95):.2f} | {max(best_times):.2f} | {len(best_times)} |",
        f"| `list()` of the largest answer ({max(sizes)} objects) | {_p(list_times, 50):.1f} | "
        f"{_p(list_times, 95):.1f} | {max(list_times):.1f} | {len(list_times)} |",
        "",
        f"Target: a query under 20 ms — p95 {_p(q_times, 95):.2f} ms "
        f"({'met' if _p(q_times, 95) < 20 else 'NOT met'}).",
        "",
    ]

    # --- against brute force ---------------------------------------------------------------
    b_experts, b_days, b_queries = (3, 2, 3) if quick else (10, 3, 10)
    small, _ = make_routes(b_experts, b_days, per_visit, seed=2)
    b_windows = candidate_windows(b_days, per_day)
    b_asks = [(_point(rng), {int(rng.choice(SKILLS))}) for _ in range(b_queries)]
    engine_ms: list[float] = []
    brute_ms: list[float] = []
    agree = True
    for location, skills in b_asks:
        e_t, found = _timed(
            lambda loc=location, sk=skills: InsertionIndex.build(small, travel).candidates(
                loc, 1800, sk, b_windows
            ),
            1,
        )
        b_t, brute = _timed(
            lambda loc=location, sk=skills: candidates_by_replay(
                small, travel, loc, 1800, sk, b_windows, find_latest=False
            ),
            1,
        )
        engine_ms += e_t
        brute_ms += b_t
        mine = {(i.window, i.route, i.position, i.extra_travel, i.service_start) for i in found}
        ref = {(i.window, i.route, i.position, i.extra_travel, i.service_start) for i in brute}
        agree &= mine == ref
    small_index = InsertionIndex.build(small, travel)
    query_only, _ = _timed(
        lambda: [small_index.candidates(loc, 1800, sk, b_windows) for loc, sk in b_asks], 5
    )
    per_query_only = [t / len(b_asks) for t in query_only]
    lines += [
        f"### Against brute-force replay: {b_experts} experts × {b_days} days × {per_visit} "
        f"visits, {per_day} windows per day",
        "",
        "The brute force inserts the visit at every position of every route of the window's day "
        "and calls `routing.replay.replay` (`candidates_by_replay(find_latest=False)`).",
        "",
        "| method | p50 ms per query | speed-up |",
        "|---|---:|---:|",
        f"| brute-force replay | {statistics.median(brute_ms):.0f} | 1× |",
        f"| engine, build + query | {statistics.median(engine_ms):.1f} | "
        f"{statistics.median(brute_ms) / statistics.median(engine_ms):.0f}× |",
        f"| engine, query on a built index | {statistics.median(per_query_only):.2f} | "
        f"{statistics.median(brute_ms) / statistics.median(per_query_only):.0f}× |",
        "",
        f"Same insertions, extra travel and start times on all {b_queries} queries: "
        f"{'yes' if agree else 'NO'}.",
    ]
    return "\n".join(lines)
