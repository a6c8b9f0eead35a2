"""The rota solver on small teams a person can check by hand: hard rules hold, checked by
:func:`scheduler.rota.rules.violations` (not by the solver), and clashes come back in words."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.rota import explain
from scheduler.rota.problem import (
    Assignment,
    Contract,
    EveningWish,
    MinimumCover,
    Part,
    Preference,
    RotaExpert,
    RotaProblem,
    ShiftType,
    part_minutes,
)
from scheduler.rota.rules import broken_promises, coverage, fairness, violations
from scheduler.rota.solver import solve

T = dt.time
MONDAY = dt.date(2026, 12, 7)
DAY = ShiftType("day", "Dag", T(8, 30), T(17), 30, T(12), T(13, 30))
EVENING = ShiftType("evening", "Avond", T(13), T(21), 30, T(17, 30), T(18, 30))
SATURDAY = ShiftType("saturday", "Zaterdag", T(9), T(14), weekdays=frozenset({5}))
TYPES = (DAY, EVENING, SATURDAY)


PART_TIME = Contract(28, 4, 2, 2)


def team(n: int, contract: Contract = PART_TIME) -> tuple[RotaExpert, ...]:
    return tuple(
        RotaExpert(i, f"Expert {i}", frozenset({"wmo"} if i % 2 else {"bz"}), contract)
        for i in range(1, n + 1)
    )


def demand(
    weeks: int, evening: int = 240, saturday: int = 300
) -> dict[tuple[str, dt.date, Part], int]:
    out = {}
    for k in range(7 * weeks):
        day = MONDAY + dt.timedelta(days=k)
        for skill in ("wmo", "bz"):
            if day.weekday() < 5:
                out[(skill, day, Part.MORNING)] = 480
                out[(skill, day, Part.AFTERNOON)] = 480
                out[(skill, day, Part.EVENING)] = evening
            elif day.weekday() == 5:
                out[(skill, day, Part.SATURDAY)] = saturday
    return out


def test_part_minutes_take_the_break_from_the_part_it_starts_in() -> None:
    """An evening shift 13:00-21:00 with dinner at 17:30 works 4 h in the afternoon, 3.5 h in the
    evening; a Saturday shift is all Saturday; Sunday has no part."""
    assert part_minutes(MONDAY, T(13), T(21), 30, T(17, 30)) == {
        Part.AFTERNOON: 240,
        Part.EVENING: 210,
    }
    assert part_minutes(MONDAY + dt.timedelta(days=5), T(9), T(14)) == {Part.SATURDAY: 300}
    assert part_minutes(MONDAY + dt.timedelta(days=6), T(9), T(14)) == {}


@pytest.mark.parametrize("weeks", [2, 4])
def test_a_solved_rota_keeps_every_hard_rule(weeks: int) -> None:
    """Contract hours, limits, rest, absences and closures hold in the solver's rota, checked
    by the independent rule check."""
    experts = list(team(6))
    experts[0] = RotaExpert(
        experts[0].id,
        experts[0].name,
        experts[0].skills,
        experts[0].contract,
        unavailable=frozenset({MONDAY + dt.timedelta(days=2)}),
        last_end=dt.datetime.combine(MONDAY - dt.timedelta(days=1), T(23)),
    )
    problem = RotaProblem(
        MONDAY,
        weeks,
        tuple(experts),
        TYPES,
        demand(weeks),
        closed=frozenset({MONDAY + dt.timedelta(days=3)}),
    )
    solution = solve(problem, time_limit=5)
    assert solution.feasible
    assert violations(problem, solution.assignments) == []
    assert not any(a.date == MONDAY + dt.timedelta(days=3) for a in solution.assignments)
    # Sunday 23:00 to Monday 08:30 is 9.5 h: expert 1 may not start at 08:30 on Monday.
    assert not any(
        a.expert_id == 1 and a.date == MONDAY and a.start < T(10) for a in solution.assignments
    )


def test_the_rule_check_catches_a_short_rest() -> None:
    """An evening until 21:00 followed by a day shift at 08:30 is 11.5 h: allowed; a 22:00 end
    leaves 10.5 h and is reported."""
    (e,) = team(1, Contract(0, 60, 7, 5))
    problem = RotaProblem(MONDAY, 1, (e,), TYPES, {})
    ok = [
        Assignment(e.id, MONDAY, "evening", T(13), T(21), 30),
        Assignment(e.id, MONDAY + dt.timedelta(days=1), "day", T(8, 30), T(17), 30),
    ]
    assert violations(problem, ok) == []
    late = [ok[0].__class__(e.id, MONDAY, "late", T(14), T(22), 30), ok[1]]
    assert any("11 hours" in v for v in violations(problem, late))


def test_booked_visits_keep_a_shift_that_spans_them() -> None:
    """An expert with visits booked 18:00-20:30 on a date gets an evening shift that day (the
    promise outweighs coverage), so no promise is listed as broken."""
    experts = list(team(4))
    wed = MONDAY + dt.timedelta(days=2)
    experts[1] = RotaExpert(
        2, "Expert 2", frozenset({"bz"}), Contract(28, 4, 2, 2), promised={wed: (T(18), T(20, 30))}
    )
    problem = RotaProblem(MONDAY, 2, tuple(experts), TYPES, demand(2, evening=0))
    solution = solve(problem, time_limit=5)
    assert solution.feasible
    assert broken_promises(problem, solution.assignments) == []
    (shift,) = [a for a in solution.assignments if a.expert_id == 2 and a.date == wed]
    assert shift.code == "evening"


def test_an_impossible_promise_is_listed_not_hidden() -> None:
    """Visits on a date the expert is now absent cannot keep their expert: the proposal lists
    that expert-day to re-plan instead of failing."""
    wed = MONDAY + dt.timedelta(days=2)
    (e,) = team(1)
    e = RotaExpert(
        1,
        "Expert 1",
        e.skills,
        e.contract,
        unavailable=frozenset({wed}),
        promised={wed: (T(10), T(11))},
    )
    problem = RotaProblem(MONDAY, 1, (e,), TYPES, {})
    solution = solve(problem, time_limit=5)
    assert solution.feasible
    assert solution.broken == [(1, wed)]


def test_an_over_constrained_saturday_names_the_rule_to_loosen() -> None:
    """Four wmo experts on every Saturday from 3 wmo experts can never hold: the reason says,
    in words, that no further wmo expert may work on Saturday and which rule to loosen."""
    problem = RotaProblem(
        MONDAY, 4, team(6), TYPES, demand(4), minimums=(MinimumCover("wmo", Part.SATURDAY, 4),)
    )
    solution = solve(problem, time_limit=5)
    assert solution.status == "infeasible"
    reasons = explain.reasons(problem, solution.core)
    assert reasons, solution.core
    first = reasons[0]
    assert first["rule"] == "minimum_cover"
    assert first["text"].startswith("Week 1: no further expert with skill wmo may work on Saturday")
    assert "max_saturdays_per_month" in first["loosen"]


def test_the_saturday_limit_is_what_makes_the_minimum_impossible() -> None:
    """With 3 wmo experts at 2 Saturdays a month, 2 on each of December's 3 Saturdays fit (6
    of 6), but 3 on each do not: the explanation is about the Saturday limit."""
    fits = RotaProblem(
        MONDAY, 3, team(6), TYPES, demand(3), minimums=(MinimumCover("wmo", Part.SATURDAY, 2),)
    )
    assert solve(fits, time_limit=5).feasible
    too_many = RotaProblem(
        MONDAY, 3, team(6), TYPES, demand(3), minimums=(MinimumCover("wmo", Part.SATURDAY, 3),)
    )
    solution = solve(too_many, time_limit=5)
    assert solution.status == "infeasible"
    (reason,) = explain.reasons(too_many, solution.core)
    assert "all are at their Saturday limit" in reason["text"]


def test_preferences_and_fairness_steer_evenings() -> None:
    """An expert who cannot work evenings gets none when others can; among the rest the
    evenings are spread within one of each other."""
    experts = list(team(6))
    experts[0] = RotaExpert(
        1,
        "Expert 1",
        experts[0].skills,
        experts[0].contract,
        preference=Preference(EveningWish.CANNOT),
    )
    problem = RotaProblem(MONDAY, 2, tuple(experts), TYPES, demand(2, evening=400))
    solution = solve(problem, time_limit=5)
    assert solution.feasible
    assert not any(a.expert_id == 1 and a.is_evening() for a in solution.assignments)
    assert fairness(problem, solution.assignments).evening_spread <= 1


@settings(max_examples=8, deadline=None)
@given(
    hours=st.integers(min_value=8, max_value=36),
    evenings=st.integers(min_value=0, max_value=3),
    absent=st.sets(st.integers(min_value=0, max_value=13), max_size=4),
)
def test_any_solved_rota_passes_the_independent_check(
    hours: int, evenings: int, absent: set[int]
) -> None:
    """Whatever the contract and absences, a rota the solver calls feasible passes the rule
    check, and its coverage never exceeds the demand."""
    contract = Contract(hours, 4, evenings, 1)
    experts = tuple(
        RotaExpert(
            e.id,
            e.name,
            e.skills,
            contract,
            unavailable=frozenset(MONDAY + dt.timedelta(days=d) for d in absent if e.id == 1),
        )
        for e in team(4, contract)
    )
    problem = RotaProblem(MONDAY, 2, experts, TYPES, demand(2))
    solution = solve(problem, time_limit=5, workers=1)
    if solution.feasible:
        assert violations(problem, solution.assignments) == []
        cov = coverage(problem, solution.assignments)
        assert cov.covered_hours <= cov.demand_hours + 1e-9
