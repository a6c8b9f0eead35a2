"""Realistic municipal days, generated deterministically from a seed.

Experts (on bikes and in cars) visit residents around Amersfoort: day, evening and part-time
shifts, a lunch break with a start window, one or two skills each, two-hour promised arrival
windows, 30-75 minute visits. Travel times come from haversine distances with a detour factor
and a speed per profile (plus parking time for cars), one matrix per profile; costs are the
durations, so the objective is total travel time.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.insertion import InsertionIndex, PlannedRoute
from routing.model import Break, Matrix, Problem, StepType, TimeWindow, Vehicle, Visit

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


def _experts(rng: random.Random, experts: int, coords: list[tuple[float, float]]) -> list[Vehicle]:
    """``experts`` experts; homes of those who start at home are appended to ``coords``."""
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
    return vehicles


@dataclass(frozen=True)
class _Request:
    point: tuple[float, float]
    duration: int
    window: TimeWindow
    skills: frozenset[int]
    priority: int


def _request(rng: random.Random, hoods: list[tuple[float, float]], offered: set[int]) -> _Request:
    """One citizen's wish: an address (mostly in a neighbourhood), a visit and a window."""
    hood = rng.choice(hoods)
    point = _point(rng, hood, 1.5) if rng.random() < 0.8 else _point(rng, CENTRE, 7.0)
    w = rng.choices(WINDOWS, [x[2] for x in WINDOWS])[0]
    skill = rng.choices(range(len(SKILL_WEIGHTS)), SKILL_WEIGHTS)[0]
    return _Request(
        point=point,
        duration=rng.choice((1800, 2700, 2700, 3600, 4500)),
        window=TimeWindow(w[0], w[1]),
        skills=frozenset({skill}) if skill in offered else frozenset(),
        priority=50 if rng.random() < 0.1 else 0,
    )


def day(seed: int, experts: int, visits: int) -> Day:
    """An overbooked day: ``visits`` requests, more than ``experts`` experts can serve.

    Nothing checked the requests when they came in, so the solvers choose whom to serve; a
    stress test for the dropping logic rather than a day Aan Huis would ever have.
    """
    rng = random.Random(seed)
    # Neighbourhoods: visits cluster around a handful of centres within ~7 km.
    hoods = [_point(rng, CENTRE, 6.0) for _ in range(8)]
    coords: list[tuple[float, float]] = [CENTRE]  # the office
    vehicles = _experts(rng, experts, coords)
    offered = {s for v in vehicles for s in v.skills}
    job_list: list[Visit] = []
    for j in range(visits):
        req = _request(rng, hoods, offered)
        coords.append(req.point)
        job_list.append(
            Visit(
                id=1000 + j,
                location=len(coords) - 1,
                duration=req.duration,
                time_windows=(req.window,),
                skills=req.skills,
                priority=req.priority,
            )
        )
    problem = Problem(tuple(job_list), tuple(vehicles), matrices(coords), coordinates=tuple(coords))
    return Day(f"day{seed}-{experts}x{visits}", problem)


class _MatrixTravel:
    """Travel times read from the day's matrices by coordinates (for the insertion engine)."""

    symmetric = True

    def __init__(self, coords: list[tuple[float, float]], mats: dict[str, Matrix]) -> None:
        self.index = {c: i for i, c in enumerate(coords)}
        self.mats = mats

    def _rows(self, points: npt.ArrayLike) -> list[int]:
        arr = np.asarray(points, dtype=float).reshape(-1, 2)
        return [self.index[(float(x), float(y))] for x, y in arr]

    def durations(
        self, origins: npt.ArrayLike, destinations: npt.ArrayLike, profile: str
    ) -> npt.NDArray[np.int64]:
        d = self.mats[profile].durations
        return np.asarray(d[np.ix_(self._rows(origins), self._rows(destinations))])

    def matrix(self, points: npt.ArrayLike, profile: str) -> npt.NDArray[np.int64]:
        return self.durations(points, points, profile)


@dataclass(frozen=True)
class BookedDay:
    name: str
    problem: Problem
    #: Each expert's stops in the order the bookings made them (a feasible plan of every visit).
    as_booked: dict[int, list[tuple[StepType, int]]]
    requests: int


def booked_day(seed: int, experts: int, visits: int, requests: int) -> BookedDay:
    """A day as Aan Huis would fill it: every visit was booked through route-aware offers.

    Citizens ask one after another, each for the window they prefer. The insertion engine
    (:mod:`routing.insertion`) lists where the visit fits while every earlier promise, shift and
    break is kept; the citizen takes their own window when it is on offer, else the offered
    window nearest to it, and the visit goes where it adds the least travel. Requests stop at
    ``visits`` bookings or after ``requests`` asks. Every visit of the day can therefore be
    served (the booking order is a witness), and a solver is judged on travel alone.
    """
    rng = random.Random(seed)
    hoods = [_point(rng, CENTRE, 6.0) for _ in range(8)]
    coords: list[tuple[float, float]] = [CENTRE]
    vehicles = _experts(rng, experts, coords)
    fixed = len(coords)
    offered = {s for v in vehicles for s in v.skills}
    wishes = [_request(rng, hoods, offered) for _ in range(requests)]
    everything = coords + [w.point for w in wishes]
    mats = matrices(everything)
    travel = _MatrixTravel(everything, mats)
    where = dict(enumerate(everything))
    stops: dict[int, list[tuple[StepType, int]]] = {
        v.id: [(StepType.BREAK, b.id) for b in v.breaks] for v in vehicles
    }
    booked: dict[int, Visit] = {}
    candidates = [(0, TimeWindow(w[0], w[1])) for w in WINDOWS]
    asked = 0
    for j, wish in enumerate(wishes):
        if len(booked) >= visits:
            break
        asked += 1
        routes = [
            PlannedRoute(
                key=v.id,
                day=0,
                vehicle=v,
                stops=tuple(stops[v.id]),
                visits=booked,
                coordinates=where,
                durations=mats[v.profile].durations,
            )
            for v in vehicles
        ]
        index = InsertionIndex.build(routes, travel)
        best = index.candidates(wish.point, wish.duration, wish.skills, candidates)
        per_window = best.best_per_window(len(candidates))
        on_offer = [(i, ins) for i, ins in enumerate(per_window) if ins is not None]
        if not on_offer:
            continue
        _, choice = min(
            on_offer,
            key=lambda x: (abs(candidates[x[0]][1].start - wish.window.start), x[1].extra_travel),
        )
        assert choice is not None
        visit = Visit(
            id=1000 + j,
            location=fixed + j,
            duration=wish.duration,
            time_windows=(candidates[choice.window][1],),
            skills=wish.skills,
            priority=wish.priority,
        )
        booked[visit.id] = visit
        stops[int(choice.route)].insert(choice.position, (StepType.VISIT, visit.id))
    # Renumber: the office and homes, then the booked visits' addresses in booking order.
    final = coords + [everything[v.location] for v in booked.values()]
    renumbered = tuple(
        dataclasses.replace(v, location=fixed + n) for n, v in enumerate(booked.values())
    )
    problem = Problem(renumbered, tuple(vehicles), matrices(final), coordinates=tuple(final))
    as_booked = {k: s for k, s in stops.items() if any(t is StepType.VISIT for t, _ in s)}
    return BookedDay(f"booked{seed}-{experts}x{len(booked)}", problem, as_booked, asked)


def days(quick: bool) -> list[Day]:
    """The overbooked days (more requests than capacity)."""
    sizes = SIZES[:2] if quick else SIZES
    return [day(seed, e, v) for seed, (e, v) in enumerate(sizes, start=1)]


def booked_days(quick: bool) -> list[BookedDay]:
    """Days filled through the insertion engine, as bookings fill them (up to SIZES' visits)."""
    sizes = SIZES[:2] if quick else SIZES
    return [booked_day(100 + seed, e, v, 3 * v) for seed, (e, v) in enumerate(sizes, start=1)]


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
