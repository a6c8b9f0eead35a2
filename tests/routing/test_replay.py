"""Replay's break timing, on a line where every time can be checked by hand.

Locations 0 (the office), 1, 2, ... lie on a line, ten seconds apart. A break between two visits
is taken either at the first visit's address before driving on, or at the next visit's address
after arriving, whichever lets the next visit start earliest (ties: before driving). Before the
first visit and after the last one it is taken before driving.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.check import check
from routing.model import Break, Matrix, Problem, Solution, StepType, TimeWindow, Vehicle, Visit
from routing.replay import gap_ready, replay
from routing.vroom import solution_to_vroom

V, B = StepType.VISIT, StepType.BREAK


def line(n: int, per: int = 10) -> Matrix:
    idx = np.arange(n)
    return Matrix(np.abs(idx[:, None] - idx[None, :]).astype(np.int64) * per)


def day(lunch: TimeWindow, *, end: int = 1000, second: TimeWindow | None = None) -> Problem:
    """Visit 1 at location 1 (served 0-20 when reached at 10), visit 2 at location 5."""
    visits = (
        Visit(1, location=1, duration=10, time_windows=(TimeWindow(10, 20),)),
        Visit(2, location=5, duration=10, time_windows=(second or TimeWindow(0, 1000),)),
    )
    veh = Vehicle(1, start=0, end=0, shift=TimeWindow(0, end), breaks=(Break(7, (lunch,), 30),))
    return Problem(visits, (veh,), {"car": line(6)})


def steps_of(problem: Problem, stops: list[tuple[StepType, int]]) -> dict[str, tuple[int, ...]]:
    rep = replay(problem, problem.vehicles[0], stops, late_start=False)
    assert rep.feasible, rep.violations
    out = {}
    for s in rep.route.steps:
        name = s.type.value if s.id is None else f"{s.type.value}{s.id}"
        out[name] = (s.location or 0, s.arrival, s.service_start, s.departure)
    return out


def test_break_after_driving_when_its_window_opens_later() -> None:
    """Visit 1 is done at 20; the lunch may start from 60. Driving first (40 s) and taking it at
    visit 2's address (60-90) serves visit 2 at 90; taking it first would give 60-90 at visit 1
    and visit 2 at 130. Replay drives first and says where the break is."""
    problem = day(TimeWindow(60, 200))
    got = steps_of(problem, [(V, 1), (B, 7), (V, 2)])
    assert got["break7"] == (5, 60, 60, 90)  # arrives at 60, no wait
    assert got["job2"] == (5, 90, 90, 100)
    assert got["end"][1] == 150


def test_break_before_driving_on_a_tie() -> None:
    """With the lunch open from 0, both sides give visit 2 at 90 (20 + 30 + 40 or 20 + 40 + 30):
    the break is taken before driving, at visit 1's address, as before."""
    problem = day(TimeWindow(0, 200))
    got = steps_of(problem, [(V, 1), (B, 7), (V, 2)])
    assert got["break7"] == (1, 20, 20, 50)
    assert got["job2"] == (5, 90, 90, 100)


def test_break_window_closing_on_the_way_forces_the_break_first() -> None:
    """A lunch that must start by 40 cannot wait until visit 2 (reached at 60): it is taken at
    visit 1 (20-50) and visit 2 starts at 90."""
    problem = day(TimeWindow(0, 40))
    got = steps_of(problem, [(V, 1), (B, 7), (V, 2)])
    assert got["break7"] == (1, 20, 20, 50)
    assert got["job2"][2] == 90


def test_order_feasible_only_with_the_break_after_driving() -> None:
    """Visit 2 promised by 100 and the lunch from 60: only driving first (visit 2 at 90) is on
    time; break-first would reach it at 130. The solution passes the checker too."""
    problem = day(TimeWindow(60, 200), second=TimeWindow(0, 100))
    stops = [(V, 1), (B, 7), (V, 2)]
    rep = replay(problem, problem.vehicles[0], stops)
    assert rep.feasible, rep.violations
    sol = Solution((rep.route,), ())
    assert check(problem, solution_to_vroom(problem, sol)) == []


def test_before_the_first_and_after_the_last_visit_the_break_comes_first() -> None:
    """At the start and before the end, the break is taken before driving even when driving
    first would be earlier: a lunch from 60 before visit 1 makes it late (window ends at 20)."""
    problem = day(TimeWindow(60, 200))
    rep = replay(problem, problem.vehicles[0], [(B, 7), (V, 1), (V, 2)], late_start=False)
    assert not rep.feasible
    brk = next(s for s in rep.route.steps if s.type is B)
    assert (brk.location, brk.service_start) == (0, 60)
    last = steps_of(problem, [(V, 1), (V, 2), (B, 7)])
    assert last["break7"][0] == 5 and last["end"][1] == last["break7"][3] + 50


def test_no_side_fits_is_a_violation() -> None:
    """A lunch window that closes before visit 1 is done fits on neither side."""
    problem = day(TimeWindow(0, 15))
    rep = replay(problem, problem.vehicles[0], [(V, 1), (B, 7), (V, 2)])
    assert any("break 7" in v for v in rep.violations)


def test_gap_ready_lists_the_best_split() -> None:
    """Two breaks around a 40 s drive from 20: the first (window from 20) before driving, the
    second (window from 100) after arriving is best; without splitting both come first."""
    first = Break(1, (TimeWindow(20, 500),), 10)
    second = Break(2, (TimeWindow(100, 500),), 10)
    assert gap_ready([first, second], 20, 40, split=True) == (110, 1)
    assert gap_ready([first, second], 20, 40, split=False) == (150, 2)
    assert gap_ready([Break(3, (TimeWindow(0, 5),), 10)], 20, 40, split=True) is None


@st.composite
def routes(draw: st.DrawFn) -> tuple[Problem, list[tuple[StepType, int]]]:
    """A random order of 1-4 visits and 1-2 breaks on a random matrix. Windows are drawn around
    the time a break-first walk reaches each stop (breaks opening later, visits earlier), so
    which side of the drive a break goes to often decides feasibility."""
    n = draw(st.integers(1, 4))
    cells = st.integers(0, 90)
    m = np.array(draw(st.lists(cells, min_size=(n + 1) ** 2, max_size=(n + 1) ** 2)))
    m = m.reshape(n + 1, n + 1)
    stops = draw(
        st.permutations(
            [(V, 100 + k) for k in range(n)] + [(B, b) for b in range(draw(st.integers(1, 2)))]
        )
    )
    end = draw(st.sampled_from([0, None]))
    t, here = 0, 0
    visits, breaks = [], []
    for kind, ref in stops:
        # Breaks mostly open after the walk reaches them; visits close around then.
        duration = draw(st.integers(0, 40))
        if kind is B:
            a = max(0, t + draw(st.integers(-10, 60)))
            breaks.append(
                Break(ref, (TimeWindow(a, a + draw(st.sampled_from([0, 10, 30, 100]))),), duration)
            )
        else:
            loc = ref - 99
            t += int(m[here, loc])
            here = loc
            a = max(0, t - draw(st.integers(0, 90)))
            window = (TimeWindow(a, max(a, t + draw(st.integers(-15, 60)))),)
            visits.append(Visit(ref, location=loc, duration=duration, time_windows=window))
        t = max(t, a) + duration
    if end is not None:
        t += int(m[here, end])
    veh = Vehicle(
        1,
        start=0,
        end=end,
        shift=TimeWindow(0, max(0, t + draw(st.integers(-20, 60)))),
        breaks=tuple(sorted(breaks, key=lambda b: b.id)),
    )
    problem = Problem(tuple(sorted(visits, key=lambda v: v.id)), (veh,), {"car": Matrix(m)})
    return problem, list(stops)


def _brute(problem: Problem, stops: list[tuple[StepType, int]]) -> bool:
    """Whether some placement of each break on either side of the drive makes the order work."""
    veh = problem.vehicles[0]
    d = problem.matrices["car"].durations
    brk = {b.id: b for b in veh.breaks}
    visits = {v.id: v for v in problem.visits}
    states = {(0, veh.start)}  # (time, where), every reachable earliest-by-choice state
    pending: list[Break] = []
    seen_visit = False
    for kind, ref in [*stops, (StepType.END, -1)]:
        if kind is B:
            pending.append(brk[ref])
            continue
        dest = veh.end if kind is StepType.END else visits[ref].location
        splits = range(len(pending) + 1) if seen_visit and kind is V else [len(pending)]
        nxt = set()
        for t0, here in states:
            leg = 0 if here is None or dest is None else int(d[here, dest])
            for j in splits:
                t: int | None = t0
                for k, b in enumerate(pending):
                    if t is None:
                        break
                    t = t + leg if k == j else t
                    w = next((w for w in b.time_windows if t <= w.end), None)
                    t = None if w is None else max(t, w.start) + b.duration
                if t is None:
                    continue
                if j == len(pending):
                    t += leg
                if kind is V:
                    w = next((w for w in visits[ref].time_windows if t <= w.end), None)
                    if w is None:
                        continue
                    t = max(t, w.start) + visits[ref].duration
                nxt.add((t, dest if dest is not None else here))
        states, pending = nxt, []
        seen_visit = seen_visit or kind is V
    return any(t <= veh.shift.end for t, _ in states)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routes())
def test_replay_finds_a_feasible_placement_whenever_one_exists(
    case: tuple[Problem, list[tuple[StepType, int]]],
) -> None:
    """Replay's earliest choice per gap is feasible exactly when some choice of side for every
    break (enumerated by brute force) is, and a feasible replay passes the checker."""
    problem, stops = case
    rep = replay(problem, problem.vehicles[0], stops)
    assert rep.feasible == _brute(problem, stops), rep.violations
    found = check(problem, solution_to_vroom(problem, Solution((rep.route,), ())))
    assert (found == []) == rep.feasible, found
