"""Realistic municipal days, generated deterministically from a seed.

Experts (on bikes and in cars) visit residents around Amersfoort: day, evening and part-time
shifts, a lunch break with a start window, one or two skills each, two-hour promised arrival
windows, 30-75 minute visits. Travel times come from haversine distances with a detour factor
and a speed per profile (plus parking time for cars), one matrix per profile; costs are the
durations, so the objective is total travel time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from routing.model import Break, Matrix, Problem, TimeWindow, Vehicle, Visit

CENTRE = (5.3872, 52.1561)  # Amersfoort (lon, lat)
H = 3600

#: (km/h, detour factor, seconds added per leg)
PROFILES = {"car": (32.0, 1.35, 120), "bike": (15.0, 1.2, 30)}

#: name, shift, lunch (window start, window end, duration) or None, share of experts
SHIFTS = (
    ("day", (8 * H, 16 * H + 1800), (11 * H + 1800, 13 * H + 1800, 1800), 0.55),
    ("morning", (8 * H + 1800, 12 * H + 1800), None, 0.15),
    ("afternoon", (12 * H, 17 * H), (14 * H + 1800, 15 * H + 1800, 900), 0.15),
    ("evening", (15 * H, 21 * H), (17 * H + 1800, 18 * H + 1800, 1800), 0.15),
)

#: Promised two-hour arrival windows, with their relative demand.
WINDOWS = (
    (8 * H + 1800, 10 * H + 1800, 3),
    (9 * H, 11 * H, 4),
    (10 * H, 12 * H, 4),
    (11 * H, 13 * H, 2),
    (12 * H + 1800, 14 * H + 1800, 3),
    (13 * H, 15 * H, 4),
    (14 * H, 16 * H, 3),
    (15 * H, 17 * H, 2),
    (17 * H, 19 * H, 2),
    (18 * H, 20 * H, 1),
)

#: Skills: 0 general intake, 1 WMO assessment, 2 youth care, 3 debt counselling.
SKILL_WEIGHTS = (0.5, 0.25, 0.15, 0.10)

#: (experts, visits) for the benchmark days, in order of growing size.
SIZES = ((10, 60), (15, 100), (20, 140), (25, 180), (30, 220), (40, 250))


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _point(rng: random.Random, centre: tuple[float, float], km: float) -> tuple[float, float]:
    r = km * math.sqrt(rng.random())
    t = rng.uniform(0, 2 * math.pi)
    dlat = r * math.sin(t) / 111.2
    dlon = r * math.cos(t) / (111.2 * math.cos(math.radians(centre[1])))
    return (centre[0] + dlon, centre[1] + dlat)


def matrices(coords: list[tuple[float, float]]) -> dict[str, Matrix]:
    n = len(coords)
    km = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            km[i, j] = km[j, i] = haversine_km(coords[i], coords[j])
    out = {}
    for name, (speed, detour, extra) in PROFILES.items():
        secs = np.rint(km * detour / speed * 3600).astype(np.int64)
        secs = np.where(km > 0, secs + extra, 0)
        out[name] = Matrix(secs)
    return out


@dataclass(frozen=True)
class Day:
    name: str
    problem: Problem


def day(seed: int, experts: int, visits: int) -> Day:
    """One municipal day: ``experts`` experts, ``visits`` visits, reproducible from ``seed``."""
    rng = random.Random(seed)
    office = CENTRE
    # Neighbourhoods: visits cluster around a handful of centres within ~7 km.
    hoods = [_point(rng, CENTRE, 6.0) for _ in range(8)]
    coords: list[tuple[float, float]] = [office]
    vehicles: list[Vehicle] = []
    skills_pool = range(len(SKILL_WEIGHTS))
    for k in range(experts):
        u = rng.random()
        acc = 0.0
        shift = SHIFTS[-1]
        for s in SHIFTS:
            acc += s[3]
            if u < acc:
                shift = s
                break
        _, (s0, s1), lunch, _ = shift
        profile = "bike" if rng.random() < 0.4 else "car"
        own = {0} if rng.random() < 0.7 else set()
        while len(own) < rng.choice((1, 2)):
            own.add(rng.choices(list(skills_pool), SKILL_WEIGHTS)[0])
        if rng.random() < 0.3:  # starts and ends at home
            coords.append(_point(rng, CENTRE, 7.0))
            start = end = len(coords) - 1
        else:
            start = end = 0
        breaks = ()
        if lunch is not None:
            breaks = (
                Break(id=1, time_windows=(TimeWindow(lunch[0], lunch[1]),), duration=lunch[2]),
            )
        vehicles.append(
            Vehicle(
                id=k + 1,
                start=start,
                end=end,
                shift=TimeWindow(s0, s1),
                breaks=breaks,
                skills=frozenset(own),
                profile=profile,
            )
        )
    offered = {s for v in vehicles for s in v.skills}
    job_list: list[Visit] = []
    for j in range(visits):
        hood = rng.choice(hoods)
        coords.append(_point(rng, hood, 1.5) if rng.random() < 0.8 else _point(rng, CENTRE, 7.0))
        w = rng.choices(WINDOWS, [x[2] for x in WINDOWS])[0]
        skill = rng.choices(list(skills_pool), SKILL_WEIGHTS)[0]
        need = frozenset({skill}) if skill in offered else frozenset()
        job_list.append(
            Visit(
                id=1000 + j,
                location=len(coords) - 1,
                duration=rng.choice((1800, 2700, 2700, 3600, 4500)),
                time_windows=(TimeWindow(w[0], w[1]),),
                skills=need,
                priority=50 if rng.random() < 0.1 else 0,
            )
        )
    problem = Problem(tuple(job_list), tuple(vehicles), matrices(coords), coordinates=tuple(coords))
    return Day(f"day{seed}-{experts}x{visits}", problem)


def days(quick: bool) -> list[Day]:
    sizes = SIZES[:2] if quick else SIZES
    return [day(seed, e, v) for seed, (e, v) in enumerate(sizes, start=1)]


def without_breaks(problem: Problem) -> Problem:
    """The same day with every break removed (for solvers that do not model breaks)."""
    vehicles = tuple(
        Vehicle(
            id=v.id,
            start=v.start,
            end=v.end,
            shift=v.shift,
            breaks=(),
            skills=v.skills,
            profile=v.profile,
            max_visits=v.max_visits,
            capacity=v.capacity,
        )
        for v in problem.vehicles
    )
    return Problem(problem.visits, vehicles, problem.matrices, problem.coordinates)
