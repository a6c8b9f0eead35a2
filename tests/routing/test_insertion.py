"""The insertion engine agrees exactly with inserting and replaying, and hand-checked examples."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from routing.insertion import (
    Insertion,
    InsertionIndex,
    PlannedRoute,
    candidates_by_replay,
)
from routing.model import Break, IntMatrix, Step, StepType, TimeWindow, Vehicle, Visit
from routing.replay import StopRef, first_start, replay
from routing.travel import HaversineTravel, TravelTimeProvider

V, B = StepType.VISIT, StepType.BREAK


class LineTravel(TravelTimeProvider):
    """Points (x, 0) on a line; travel takes |x1 - x2| seconds (times ``factor`` for "bike")."""

    def durations(
        self, origins: npt.ArrayLike, destinations: npt.ArrayLike, profile: str
    ) -> IntMatrix:
        o = np.asarray(origins, dtype=float).reshape(-1, 2)[:, 0]
        d = np.asarray(destinations, dtype=float).reshape(-1, 2)[:, 0]
        factor = 2 if profile == "bike" else 1
        return (np.abs(o[:, None] - d[None, :]) * factor).round().astype(np.int64)


class LookupTravel(TravelTimeProvider):
    """Point (i, 0) is row i of a random matrix per profile: no symmetry, no triangle inequality,
    non-zero diagonal allowed."""

    def __init__(self, matrices: dict[str, IntMatrix]) -> None:
        self.matrices = matrices

    def durations(
        self, origins: npt.ArrayLike, destinations: npt.ArrayLike, profile: str
    ) -> IntMatrix:
        o = np.rint(np.asarray(origins, dtype=float).reshape(-1, 2)[:, 0]).astype(int)
        d = np.rint(np.asarray(destinations, dtype=float).reshape(-1, 2)[:, 0]).astype(int)
        return self.matrices[profile][np.ix_(o, d)]


def line(*xs: float) -> dict[int, tuple[float, float]]:
    """Coordinates for locations 0, 1, ... at x = xs on the line."""
    return {i: (float(x), 0.0) for i, x in enumerate(xs)}


def query(
    routes: Sequence[PlannedRoute],
    travel: TravelTimeProvider,
    location: tuple[float, float],
    duration: int,
    windows: Sequence[tuple[Hashable, TimeWindow]],
    skills: frozenset[int] = frozenset(),
) -> tuple[set[Insertion], set[Insertion]]:
    """The engine's answer and the brute force's, as sets."""
    engine = InsertionIndex.build(routes, travel).candidates(location, duration, skills, windows)
    brute = candidates_by_replay(routes, travel, location, duration, skills, windows)
    return set(engine), set(brute)


# --- hand-checkable examples ------------------------------------------------------------------


def test_before_and_after_a_break_are_different_positions() -> None:
    """An expert-day with only a break: inserting before the break (taken at the new address)
    and after it (taken at the office) give the times worked out by hand, and both agree with
    replay."""
    veh = Vehicle(
        1, start=0, end=0, shift=TimeWindow(0, 100), breaks=(Break(7, (TimeWindow(40, 50),), 10),)
    )
    route = PlannedRoute("r", "mon", veh, ((B, 7),), {}, line(0))
    # The new address is 10 s away; the visit takes 20 s; promised anywhere in [0, 100].
    engine, brute = query([route], LineTravel(), (10.0, 0.0), 20, [("mon", TimeWindow(0, 100))])
    assert engine == brute
    # Before: arrive 10, serve 10-30, break 40-50 there (must start by 50, so leave by 50:
    # latest start 30), home at 60. After: break 40-50 at the office, arrive 60, latest start
    # 100 - 10 - 20 = 70. Both add 10 + 10 s of driving.
    assert engine == {
        Insertion(0, "r", 0, 20, 10, 10, 30),
        Insertion(0, "r", 1, 20, 60, 60, 70),
    }


def test_break_window_can_rule_out_one_side() -> None:
    """With a break that must start by 20, the visit [10-30] cannot go before it, only after."""
    veh = Vehicle(
        1, start=0, end=0, shift=TimeWindow(0, 200), breaks=(Break(7, (TimeWindow(0, 20),), 10),)
    )
    route = PlannedRoute("r", "mon", veh, ((B, 7),), {}, line(0))
    engine, brute = query([route], LineTravel(), (10.0, 0.0), 20, [("mon", TimeWindow(0, 200))])
    assert engine == brute
    assert {i.position for i in engine} == {1}


def test_break_after_driving_to_the_candidate() -> None:
    """Visit 5 (at 10) is done at 20, the lunch opens at 60. Inserted after the lunch, the
    candidate at 40 is reached at 50 and the lunch taken there (60-70): it starts at 70. Taking
    the lunch before driving would start it at 90, too late for its window [0, 80]."""
    veh = Vehicle(
        1, start=0, end=0, shift=TimeWindow(0, 500), breaks=(Break(7, (TimeWindow(60, 200),), 10),)
    )
    visits = {5: Visit(5, 1, 10, (TimeWindow(10, 10),))}
    route = PlannedRoute("r", "mon", veh, ((V, 5), (B, 7)), visits, line(0, 10))
    engine, brute = query([route], LineTravel(), (40.0, 0.0), 10, [("mon", TimeWindow(0, 80))])
    assert engine == brute
    after = [i for i in engine if i.position == 2]
    assert [(i.arrival, i.service_start) for i in after] == [(70, 70)]


def test_break_after_driving_from_the_candidate() -> None:
    """The candidate (at 30, 10 s of work) goes before the lunch and visit 6 (at 50, promised by
    120). Leaving the candidate at t, the lunch (from 100, 20 s) is best taken at visit 6's
    address after the 20 s drive: visit 6 then starts at max(t + 20, 100) + 20, by 120 when
    t <= 80, so the latest start is 70. Taking the lunch before driving would make visit 6
    start at 140 at best: only driving first makes this position possible."""
    veh = Vehicle(
        1,
        start=0,
        end=None,
        shift=TimeWindow(0, 500),
        breaks=(Break(7, (TimeWindow(100, 300),), 20),),
    )
    visits = {5: Visit(5, 1, 0), 6: Visit(6, 2, 10, (TimeWindow(0, 120),))}
    route = PlannedRoute("r", "mon", veh, ((V, 5), (B, 7), (V, 6)), visits, line(0, 10, 50))
    engine, brute = query([route], LineTravel(), (30.0, 0.0), 10, [("mon", TimeWindow(0, 500))])
    assert engine == brute
    before_lunch = [i for i in engine if i.position == 1]
    assert [(i.service_start, i.latest_start) for i in before_lunch] == [(30, 70)]


def test_return_to_the_end_is_checked() -> None:
    """A visit that fits its window but cannot get the expert home before the shift ends is not
    offered; with an open end (no return) the same visit is."""
    closed = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 100))
    open_end = dataclasses.replace(closed, end=None)
    # Far address: 40 s out, 30 s of work, 40 s back = 110 > 100.
    window = [("mon", TimeWindow(0, 100))]
    for veh, expected in ((closed, set()), (open_end, {Insertion(0, "r", 0, 40, 40, 40, 70)})):
        route = PlannedRoute("r", "mon", veh, (), {}, line(0))
        engine, brute = query([route], LineTravel(), (40.0, 0.0), 30, window)
        assert engine == brute == expected


def test_open_start_pays_no_travel_to_the_first_stop() -> None:
    """With no start location the first stop is reached without travel: inserting first costs
    only the leg from the new address to the old first visit."""
    veh = Vehicle(1, start=None, end=0, shift=TimeWindow(0, 1000))
    visits = {5: Visit(5, 1, 10)}
    route = PlannedRoute("r", "mon", veh, ((V, 5),), visits, line(0, 30))
    engine, brute = query([route], LineTravel(), (50.0, 0.0), 10, [("mon", TimeWindow(0, 1000))])
    assert engine == brute
    first = next(i for i in engine if i.position == 0)
    last = next(i for i in engine if i.position == 1)
    assert (first.extra_travel, first.arrival) == (20, 0)  # |50 - 30|, no drive to the first
    # After visit 5 (at 30, done at 10): 20 to the new address, 50 home instead of 30 home.
    assert (last.extra_travel, last.arrival) == (20 + 50 - 30, 30)


def test_promised_windows_of_existing_visits_hold() -> None:
    """Inserting before a visit whose promised window would then be missed is not offered;
    after it, it is."""
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 1000))
    visits = {5: Visit(5, 1, 10, (TimeWindow(0, 25),))}
    route = PlannedRoute("r", "mon", veh, ((V, 5),), visits, line(0, 20))
    engine, brute = query([route], LineTravel(), (10.0, 0.0), 10, [("mon", TimeWindow(0, 1000))])
    # Before: at 10, done 20, at visit 5 by 30 > 25. After: done at 30, new visit 40-50.
    assert engine == brute
    assert {(i.position, i.service_start) for i in engine} == {(1, 40)}


def test_second_window_of_a_visit_is_used() -> None:
    """A visit with two promised windows may slide into its second one when something is
    inserted before it."""
    veh = Vehicle(1, start=0, end=None, shift=TimeWindow(0, 1000))
    visits = {5: Visit(5, 1, 10, (TimeWindow(0, 25), TimeWindow(100, 120)))}
    route = PlannedRoute("r", "mon", veh, ((V, 5),), visits, line(0, 20))
    engine, brute = query([route], LineTravel(), (10.0, 0.0), 10, [("mon", TimeWindow(0, 1000))])
    assert engine == brute
    before = next(i for i in engine if i.position == 0)
    # Visit 5 must start by 25 in its first window or by 120 in its second; the new visit ends
    # 10 s after it starts and is 10 s away, so it may start as late as 120 - 10 - 10 = 100.
    assert (before.service_start, before.latest_start) == (10, 100)


def test_skills_and_max_visits() -> None:
    """Only experts with all the skills get offers, and an expert-day at max_visits gets none."""
    full = Vehicle(1, start=0, end=0, skills=frozenset({1, 2}), max_visits=1)
    skilled = Vehicle(2, start=0, end=0, skills=frozenset({1, 2}))
    unskilled = Vehicle(3, start=0, end=0, skills=frozenset({1}))
    visits = {5: Visit(5, 1, 10)}
    routes = [
        PlannedRoute(key, "mon", veh, ((V, 5),), visits, line(0, 20))
        for key, veh in (("full", full), ("skilled", skilled), ("unskilled", unskilled))
    ]
    window = [("mon", TimeWindow(0, 1000))]
    engine, brute = query(routes, LineTravel(), (10.0, 0.0), 10, window, frozenset({2}))
    assert engine == brute
    assert {i.route for i in engine} == {"skilled"}
    engine, brute = query(routes, LineTravel(), (10.0, 0.0), 10, window)
    assert engine == brute
    assert {i.route for i in engine} == {"skilled", "unskilled"}


def test_windows_only_match_routes_of_their_day() -> None:
    """A window of one day is only checked against that day's routes (each has its own time
    origin); a day without routes gives nothing; window indices refer to the query."""
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 1000))
    routes = [PlannedRoute(("e1", day), day, veh, (), {}, line(0)) for day in ("mon", "tue", "wed")]
    windows = [("tue", TimeWindow(0, 100)), ("sun", TimeWindow(0, 100)), ("mon", TimeWindow(0, 5))]
    engine, brute = query(routes, LineTravel(), (10.0, 0.0), 10, windows)
    assert engine == brute
    # Window 2 starts by 5 but the address is 10 s away.
    assert {(i.window, i.route) for i in engine} == {(0, ("e1", "tue"))}


def test_nested_and_sliding_windows() -> None:
    """Candidate windows nested inside each other (ends not rising with starts) and a sliding
    grid (ends rising) are both checked exactly: arriving at 10, a window closing before 10 is
    refused, every other one offered, with the service start at the window's start if later."""
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 1000))
    route = PlannedRoute("r", "mon", veh, (), {}, line(0))
    nested = [(0, 15), (0, 1000), (5, 8), (20, 30)]
    sliding = [(0, 8), (4, 12), (8, 16), (12, 20)]
    for spans, fitting in ((nested, {0: 10, 1: 10, 3: 20}), (sliding, {1: 10, 2: 10, 3: 12})):
        windows = [("mon", TimeWindow(a, b)) for a, b in spans]
        engine, brute = query([route], LineTravel(), (10.0, 0.0), 10, windows)
        assert engine == brute
        assert {i.window: i.service_start for i in engine} == fitting


def test_missing_break_or_late_plan_blocks_insertion() -> None:
    """A day whose order lacks one of the expert's breaks, or whose plan is already late, cannot
    take a visit (replay would flag it), whatever the position."""
    brk = Break(7, (TimeWindow(0, 1000),), 10)
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 1000), breaks=(brk,))
    late = {5: Visit(5, 1, 10, (TimeWindow(0, 5),))}  # 20 s away, promised by 5
    routes = [
        PlannedRoute("no break", "mon", veh, (), {}, line(0, 20)),
        PlannedRoute("late", "mon", veh, ((V, 5), (B, 7)), late, line(0, 20)),
    ]
    window = [("mon", TimeWindow(0, 1000))]
    engine, brute = query(routes, LineTravel(), (40.0, 0.0), 10, window)
    assert engine == brute == set()


def test_extra_travel_can_be_negative_without_triangle_inequality() -> None:
    """With a matrix that has a shortcut via the new address, the extra travel is negative and
    still equals the difference of replayed travel."""
    m = np.array([[0, 100, 5], [100, 0, 5], [5, 5, 0]], dtype=np.int64)
    travel = LookupTravel({"car": m})
    veh = Vehicle(1, start=0, end=1, shift=TimeWindow(0, 1000))
    route = PlannedRoute("r", "mon", veh, (), {}, {0: (0.0, 0.0), 1: (1.0, 0.0)})
    engine, brute = query([route], travel, (2.0, 0.0), 0, [("mon", TimeWindow(0, 1000))])
    assert engine == brute
    assert {i.extra_travel for i in engine} == {5 + 5 - 100}


def test_given_day_matrix_is_used_for_existing_legs() -> None:
    """When a route brings its day matrix, the legs between its addresses come from it, not from
    the provider: here it makes the planned visit late, so only the position that replaces the
    slow leg (office -> visit, 45 s) by two provider legs (20 s + 0 s) is offered."""
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 1000))
    visits = {5: Visit(5, 1, 10, (TimeWindow(0, 30),))}
    fast = PlannedRoute("r", "mon", veh, ((V, 5),), visits, line(0, 20))  # 20 s by the provider
    slow = dataclasses.replace(fast, durations=np.array([[0, 45], [45, 0]], dtype=np.int64))
    window = [("mon", TimeWindow(0, 1000))]
    engine_fast, brute_fast = query([fast], LineTravel(), (20.0, 0.0), 0, window)
    engine_slow, brute_slow = query([slow], LineTravel(), (20.0, 0.0), 0, window)
    assert engine_fast == brute_fast and engine_slow == brute_slow
    assert {i.position for i in engine_fast} == {0, 1}
    assert {(i.position, i.extra_travel) for i in engine_slow} == {(0, 20 + 0 - 45)}


def test_best_per_window_takes_least_extra_travel() -> None:
    """best_per_window picks, per window, the insertion with the least extra travel."""
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, 1000))
    routes = [
        PlannedRoute("near", "mon", veh, (), {}, line(0)),
        PlannedRoute("far", "mon", veh, (), {}, line(100)),
    ]
    index = InsertionIndex.build(routes, LineTravel())
    windows = [("mon", TimeWindow(0, 1000)), ("tue", TimeWindow(0, 1000))]
    found = index.candidates((10.0, 0.0), 10, (), windows)
    best = found.best_per_window(len(windows))
    assert len(found) == 2
    assert best[0] is not None and best[0].route == "near" and best[0].extra_travel == 20
    assert best[1] is None


def test_bad_routes_are_refused() -> None:
    """A route naming a visit or break it does not have, or lacking coordinates, is refused at
    construction; duplicate keys are refused by the index."""
    veh = Vehicle(1, start=0, end=0)
    with pytest.raises(ValueError, match="visit 5 is not in its visits"):
        PlannedRoute("r", "mon", veh, ((V, 5),), {}, line(0))
    with pytest.raises(ValueError, match="no break 7"):
        PlannedRoute("r", "mon", veh, ((B, 7),), {}, line(0))
    with pytest.raises(ValueError, match="no coordinates for locations"):
        PlannedRoute("r", "mon", veh, ((V, 5),), {5: Visit(5, 3)}, line(0))
    route = PlannedRoute("r", "mon", veh, (), {}, line(0))
    with pytest.raises(ValueError, match="unique"):
        InsertionIndex.build([route, route], LineTravel())


# --- properties against the brute force -------------------------------------------------------

SKILLS = st.frozensets(st.integers(1, 3), max_size=3)


@st.composite
def windows(draw: st.DrawFn, scale: int, max_count: int = 2) -> tuple[TimeWindow, ...]:
    """0..max_count sorted, non-overlapping windows (possibly single instants)."""
    out = []
    t = draw(st.integers(0, 300)) * scale
    for _ in range(draw(st.integers(0, max_count))):
        length = draw(st.integers(0, 150)) * scale
        out.append(TimeWindow(t, t + length))
        t += length + draw(st.integers(1, 150)) * scale
    return tuple(out)


@st.composite
def promised(draw: st.DrawFn, t: int, scale: int, later: int = 0) -> tuple[TimeWindow, ...]:
    """Windows for a stop the plan reaches at ``t``: none, around ``t`` (slack 0 is common, so
    plans are tight), around ``t`` plus a later one, random, or closed before ``t`` (late); with
    ``later`` (breaks) also opening up to ``later`` steps after ``t``, so the vehicle would wait
    for it and may drive on first."""
    modes = ["anytime", "around", "around", "two", "random", "late"]
    mode = draw(st.sampled_from(modes + ["later"] * 6 if later else modes))
    if mode == "anytime":
        return ()
    if mode == "later":
        start = t + draw(st.integers(1, later)) * scale
        return (TimeWindow(start, start + draw(st.sampled_from([0, 10, 60, 200])) * scale),)
    if mode == "late" and t >= scale:
        end = t - draw(st.integers(1, t // scale)) * scale
        return (TimeWindow(max(0, end - draw(st.integers(0, 60)) * scale), end),)
    if mode == "random":
        return draw(windows(scale))
    before = draw(st.sampled_from([0, 5, 30, 60, 200])) * scale
    after = draw(st.sampled_from([0, 5, 30, 60, 200])) * scale
    first = TimeWindow(max(0, t - before), t + after)
    if mode == "around":
        return (first,)
    later = first.end + draw(st.integers(1, 60)) * scale
    return (first, TimeWindow(later, later + draw(st.integers(0, 60)) * scale))


@st.composite
def planned_route(
    draw: st.DrawFn,
    key: int,
    coords: dict[int, tuple[float, float]],
    scale: int,
    travel: TravelTimeProvider,
    has_matrix: bool,
    lunch: bool = False,
) -> PlannedRoute:
    """A random small expert-day on a random day: open or closed, breaks, visits, all of it.

    The windows are mostly drawn around the times the plan reaches its stops (so most days are
    feasible and many are tight), sometimes at random (late plans). With ``lunch`` the day has
    2-4 visits with 1-2 breaks between them, all skills and no visit limit, so what decides an
    offer is mostly where the breaks are taken."""
    n_loc = len(coords)
    loc = st.integers(0, n_loc - 1)
    start = draw(st.one_of(st.none(), loc))
    end = draw(loc) if start is None else draw(st.one_of(st.none(), loc))
    profile = draw(st.sampled_from(["car", "bike"]))
    durations = None
    if has_matrix and draw(st.booleans()):
        cells = st.lists(st.integers(0, 60), min_size=n_loc * n_loc, max_size=n_loc * n_loc)
        durations = np.array(draw(cells), dtype=np.int64).reshape(n_loc, n_loc)
    leg = (
        durations
        if durations is not None
        else travel.matrix([coords[i] for i in range(n_loc)], profile)
    )
    visit_ids = [100 + k for k in range(draw(st.integers(2 if lunch else 0, 4)))]
    break_ids = list(range(draw(st.integers(1 if lunch else 0, 2))))
    if lunch:
        order: list[StopRef] = [(V, v) for v in visit_ids]
        for b in break_ids:
            order.insert(draw(st.integers(1, len(order) - 1)), (B, b))
    else:
        kept_breaks = [b for b in break_ids if draw(st.integers(0, 19)) > 0]  # rarely one lost
        order = draw(st.permutations([(V, v) for v in visit_ids] + [(B, b) for b in kept_breaks]))

    # Walk the plan as replay would, drawing each stop's windows around the time it is reached.
    shift_start = draw(st.integers(0, 100)) * scale
    t, here = shift_start, start
    visits: dict[int, Visit] = {}
    break_of: dict[int, Break] = {}
    for kind, ref in order:
        duration = draw(st.integers(0, 40 if kind is B else 60)) * scale
        if kind is V:
            where = draw(loc)
            t += 0 if here is None else int(leg[here, where])
            here = where
            visit_skills = draw(
                st.sampled_from([frozenset(), frozenset(), frozenset({1}), frozenset({2})])
            )
            visits[ref] = Visit(ref, where, duration, draw(promised(t, scale)), skills=visit_skills)
            t = (first_start(visits[ref].time_windows, t) or t) + duration
        else:
            break_of[ref] = Break(
                ref, draw(promised(t, scale, later=200 if lunch else 60)), duration
            )
            t = (first_start(break_of[ref].time_windows, t) or t) + duration
    for b in break_ids:
        if b not in break_of:
            break_of[b] = Break(b, draw(windows(scale)), draw(st.integers(0, 40)) * scale)
    if end is not None and here is not None:
        t += int(leg[here, end])
    shift_end = draw(
        st.one_of(
            st.sampled_from([0, 20, 100, 400]).map(lambda x: t + x * scale),
            st.integers(0, 600).map(lambda x: shift_start + x * scale),
        )
        if not lunch
        else st.sampled_from([20, 100, 400]).map(lambda x: t + x * scale)
    )
    vehicle = Vehicle(
        id=key,
        start=start,
        end=end,
        shift=TimeWindow(shift_start, max(shift_start, shift_end)),
        breaks=tuple(break_of[b] for b in break_ids),
        skills=frozenset({1, 2, 3})
        if lunch
        else draw(st.one_of(st.just(frozenset({1, 2, 3})), SKILLS)),
        profile=profile,
        max_visits=None if lunch else draw(st.one_of(st.none(), st.none(), st.integers(0, 5))),
    )
    return PlannedRoute(
        key=key,
        day=draw(st.sampled_from(["mon", "tue"])),
        vehicle=vehicle,
        stops=tuple(order),
        visits=visits,
        coordinates=coords,
        durations=durations,
    )


@st.composite
def matrix_scenario(draw: st.DrawFn, lunch: bool = False) -> dict[str, Any]:
    """Random small non-metric matrices (per profile) over a few locations, 1-3 routes, one
    candidate with 1-5 windows over the days (including a day without routes). With ``lunch``
    the routes are days with breaks between visits (see :func:`planned_route`)."""
    n_loc = draw(st.integers(1, 5))
    n_pts = n_loc + 1  # the candidate may use a fresh point or share an address
    cell = st.integers(0, 60)
    travel = LookupTravel(
        {
            prof: np.array(
                draw(st.lists(cell, min_size=n_pts * n_pts, max_size=n_pts * n_pts)),
                dtype=np.int64,
            ).reshape(n_pts, n_pts)
            for prof in ("car", "bike")
        }
    )
    coords = {i: (float(i), 0.0) for i in range(n_loc)}
    routes = [
        draw(planned_route(k, coords, 1, travel, True, lunch))
        for k in range(draw(st.integers(1, 3)))
    ]
    cand = (float(draw(st.integers(0, n_pts - 1))), 0.0)
    return dict(
        routes=routes,
        travel=travel,
        location=cand,
        duration=draw(st.integers(0, 20 if lunch else 60)),
        skills=frozenset() if lunch else draw(SKILLS),
        windows=draw(query_windows(1)),
    )


@st.composite
def query_windows(draw: st.DrawFn, scale: int) -> list[tuple[str, TimeWindow]]:
    """1-5 candidate windows, mostly on days with routes: random (often too early, too late or
    too short) or wide."""
    out = []
    for _ in range(draw(st.integers(1, 5))):
        day = draw(st.sampled_from(["mon", "tue", "mon", "tue", "wed"]))
        if draw(st.booleans()):
            out.append((day, TimeWindow(0, 1000 * scale)))
            continue
        start = draw(st.integers(0, 500)) * scale
        length = draw(st.integers(0, 200)) * scale
        out.append((day, TimeWindow(start, start + length)))
    return out


@st.composite
def coordinate_scenario(draw: st.DrawFn, lunch: bool = False) -> dict[str, Any]:
    """Random addresses within a few km, real haversine travel with the default profiles, times
    in seconds (scaled so windows and travel are of similar size)."""
    n_loc = draw(st.integers(1, 5))
    coord = st.tuples(
        st.floats(5.05, 5.15, allow_nan=False).map(lambda x: round(x, 5)),
        st.floats(52.05, 52.12, allow_nan=False).map(lambda x: round(x, 5)),
    )
    coords = {i: draw(coord) for i in range(n_loc)}
    travel = HaversineTravel()
    routes = [
        draw(planned_route(k, coords, 20, travel, False, lunch))
        for k in range(draw(st.integers(1, 3)))
    ]
    location = draw(st.one_of(coord, st.sampled_from(list(coords.values()))))
    return dict(
        routes=routes,
        travel=travel,
        location=location,
        duration=draw(st.integers(0, 20 if lunch else 60)) * 20,
        skills=frozenset() if lunch else draw(SKILLS),
        windows=draw(query_windows(20)),
    )


def engine_and_brute(s: dict[str, Any]) -> tuple[list[Insertion], list[Insertion]]:
    index = InsertionIndex.build(s["routes"], s["travel"])
    engine = list(index.candidates(s["location"], s["duration"], s["skills"], s["windows"]))
    brute = candidates_by_replay(
        s["routes"], s["travel"], s["location"], s["duration"], s["skills"], s["windows"]
    )
    return engine, brute


@given(matrix_scenario())
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_engine_equals_replay_brute_force_on_random_matrices(s: dict[str, Any]) -> None:
    """On random non-metric matrices the engine lists exactly the (window, route, position)
    that replay finds feasible — no false offers, none missed — with the same extra travel,
    arrival, earliest start and latest feasible start."""
    engine, brute = engine_and_brute(s)
    assert len(engine) == len(set(engine))
    assert set(engine) == set(brute)


@given(coordinate_scenario())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_engine_equals_replay_brute_force_on_coordinates(s: dict[str, Any]) -> None:
    """Same exact agreement with real coordinates and the haversine provider (symmetric,
    metric, with per-leg overhead and zero-length legs to a shared address)."""
    engine, brute = engine_and_brute(s)
    assert set(engine) == set(brute)


@given(st.one_of(matrix_scenario(lunch=True), coordinate_scenario(lunch=True)))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_engine_equals_replay_brute_force_around_breaks(s: dict[str, Any]) -> None:
    """Days with breaks between their visits, on both kinds of travel: the engine agrees exactly
    with replay on which breaks it takes before driving and which after arriving, before the
    candidate and after it."""
    engine, brute = engine_and_brute(s)
    assert set(engine) == set(brute)


def test_random_scenarios_reach_the_interesting_cases() -> None:
    """The random generator is not vacuous: it produces routes where some positions are offered
    and others refused, offers into days holding only breaks, offers into open routes, and
    offers whose replay takes a break after driving, before the candidate and after it."""

    def offers(s: dict[str, Any]) -> list[Insertion]:
        index = InsertionIndex.build(s["routes"], s["travel"])
        return list(index.candidates(s["location"], s["duration"], s["skills"], s["windows"]))

    def mixed(s: dict[str, Any]) -> bool:
        found = offers(s)
        positions = sum(len(r.stops) + 1 for r in s["routes"] if r.day == s["windows"][0][0])
        return 0 < len({i.position for i in found if i.window == 0}) < positions

    def only_breaks(s: dict[str, Any]) -> bool:
        keys = {r.key for r in s["routes"] if r.stops and all(k is B for k, _ in r.stops)}
        return any(i.route in keys for i in offers(s))

    def open_route(s: dict[str, Any]) -> bool:
        keys = {r.key for r in s["routes"] if r.vehicle.start is None or r.vehicle.end is None}
        return any(i.route in keys for i in offers(s))

    def split(side: str) -> Callable[[dict[str, Any]], bool]:
        def found(s: dict[str, Any]) -> bool:
            routes = {r.key: r for r in s["routes"]}
            for ins in offers(s):
                steps = _replayed_with(s, routes[ins.route], ins)
                if any(_after_driving(steps, k, side) for k in range(len(steps))):
                    return True
            return False

        return found

    conditions = (mixed, only_breaks, open_route, split("before"), split("after"))
    for condition in conditions:
        example = find(
            matrix_scenario(),
            condition,
            settings=settings(max_examples=2000, phases=[Phase.generate], database=None),
        )
        assert condition(example)


def _replayed_with(s: dict[str, Any], route: PlannedRoute, ins: Insertion) -> list[Step]:
    """The route with the candidate at the offer's position, promised its earliest start."""
    from routing.insertion import _problem_with_candidate

    problem, vehicle = _problem_with_candidate(
        route, s["travel"], s["location"], s["duration"], frozenset(s["skills"])
    )
    cand = problem.visits[-1]
    at = TimeWindow(ins.service_start, ins.service_start)
    problem = dataclasses.replace(
        problem,
        visits=(*problem.visits[:-1], dataclasses.replace(cand, time_windows=(at,))),
    )
    stops = (*route.stops[: ins.position], (V, cand.id), *route.stops[ins.position :])
    rep = replay(problem, vehicle, stops, late_start=False)
    assert rep.feasible
    return [*rep.route.steps]


def _after_driving(steps: Sequence[Step], k: int, side: str) -> bool:
    """Step ``k`` is a break taken after a drive of positive length, at the candidate's address
    (``side="before"``: the break precedes the candidate) or at the visit after it."""
    if steps[k].type is not B:
        return False
    prev = next((x for x in reversed(steps[:k]) if x.type is not B), None)
    nxt = next((x for x in steps[k + 1 :] if x.type is not B), None)
    if prev is None or nxt is None or nxt.type is not V or prev.type is not V:
        return False
    moved = steps[k].location == nxt.location != prev.location
    cand = max(x.id or 0 for x in steps if x.type is V)
    return moved and (nxt.id == cand) == (side == "before")


@given(matrix_scenario())
@settings(max_examples=300, deadline=None)
def test_offer_times_replay_as_reported(s: dict[str, Any]) -> None:
    """For every offer, replaying with the visit promised exactly its latest start is feasible,
    one second later is not (unless the window ends there) — checked directly with replay."""
    from routing.insertion import _problem_with_candidate, _replay_at

    index = InsertionIndex.build(s["routes"], s["travel"])
    engine = index.candidates(s["location"], s["duration"], s["skills"], s["windows"])
    routes = {r.key: r for r in s["routes"]}
    for ins in engine:
        route = routes[ins.route]
        problem, vehicle = _problem_with_candidate(
            route, s["travel"], s["location"], s["duration"], frozenset(s["skills"])
        )
        at = TimeWindow(ins.latest_start, ins.latest_start)
        assert _replay_at(problem, vehicle, route, ins.position, at)[0]
        if ins.latest_start < s["windows"][ins.window][1].end:
            later = TimeWindow(ins.latest_start + 1, ins.latest_start + 1)
            assert not _replay_at(problem, vehicle, route, ins.position, later)[0]
