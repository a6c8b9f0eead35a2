"""Rota quality and speed: CP-SAT against the demo's current weekly patterns.

Teams of 10, 25 and 50 experts built by the demo generator (``scheduler.demo.experts``: day,
evening, Saturday and part-time patterns, one or two skills each), over 4 and 8 weeks from Monday
2 March 2026, on 2 CP-SAT workers with 60 s per instance. Contracts are each pattern's hours
(± 4 h, part-timers ± 2 h), at most 2 evenings a week and 2 Saturdays a month; every fifth
expert cannot do evenings, every seventh wants them, every fourth prefers Wednesday off. The
forecast is synthetic but shaped like the demo's: per skill-holder, 2.1 h in the morning, 2.4 h
in the afternoon, 1 h in the evening and 1.5 h on Saturday.

"Before" is the current weekly patterns over the same dates, "after" the proposal. Reported:
solve time and status; forecast expert-hours covered (overall, evenings, Saturdays; exact max
flow, not the solver's own figure); the penalty against the lower bound CP-SAT proves (flagged
"no proof" when the bound is not above the unavoidable part: then it proves nothing); the spread
(max - min) of evenings and of Saturdays per expert, 4 weeks of history counted; and the hard
rules the proposal breaks, checked independently (must be 0).

The demo row is the demo municipality itself, seeded into a temporary SQLite database on a clock
frozen at Monday 2 March 2026: 12 experts, 14 days of history and 14 days ahead booked at 40%
through the real booking code, ``demo.fill_rota``'s contracts and ``demo.fill_demand``'s 8 weeks
of unmet searches; the rota covers the 4 weeks from Monday 9 March with its real forecast.

``--quick``: 10 experts over 2 weeks, 5 s, and no demo row.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
from typing import Any

from routing.travel import HaversineTravel
from scheduler import clock, demo, migrate
from scheduler.capacity.models import Expert
from scheduler.db import make_engine, make_sessionmaker
from scheduler.rota import service as rota
from scheduler.rota.problem import (
    Assignment,
    Contract,
    EveningWish,
    Part,
    Preference,
    RotaExpert,
    RotaProblem,
)
from scheduler.rota.rules import coverage, fairness, violations
from scheduler.rota.solver import solve

START = dt.date(2026, 3, 2)
HISTORY = 28


def _pattern(e: Expert, first: dt.date, days: int) -> list[Assignment]:
    out = []
    for k in range(days):
        day = first + dt.timedelta(days=k)
        for s in e.shifts:
            if s.weekday == day.weekday():
                out.append(
                    Assignment(
                        e.id, day, "current", s.start, s.end, s.break_minutes, s.break_earliest
                    )
                )
    return out


def instance(n: int, weeks: int, seed: int = 1) -> tuple[RotaProblem, list[Assignment]]:
    """A team of ``n`` demo experts, its forecast, and its current patterns over the horizon."""
    team = demo.experts(random.Random(seed), n)
    for i, e in enumerate(team):
        e.id = i + 1
    experts = []
    for i, e in enumerate(team):
        hours = rota.pattern_hours(e)
        history = _pattern(e, START - dt.timedelta(days=HISTORY), HISTORY)
        last = max(history, key=lambda a: a.date, default=None)
        experts.append(
            RotaExpert(
                e.id,
                e.name,
                frozenset(e.skills),
                Contract(hours, 2.0 if hours < 24 else 4.0, 2, 2),
                Preference(
                    EveningWish.CANNOT
                    if i % 5 == 1
                    else EveningWish.WANTS
                    if i % 7 == 2
                    else EveningWish.NONE,
                    2 if i % 4 == 3 else None,
                ),
                history_evenings=sum(a.is_evening() for a in history),
                history_saturdays=sum(a.is_saturday() for a in history),
                last_end=dt.datetime.combine(last.date, last.end) if last else None,
            )
        )
    holders: dict[str, float] = {}
    for e in team:
        services = [s for s in e.skills if s in ("wmo", "burgerzaken", "schuldhulp")]
        for s in services:
            holders[s] = holders.get(s, 0.0) + 1 / len(services)
    demand: dict[tuple[str, dt.date, Part], int] = {}
    for k in range(7 * weeks):
        day = START + dt.timedelta(days=k)
        for skill, count in holders.items():
            if day.weekday() < 5:
                demand[(skill, day, Part.MORNING)] = round(count * 2.1 * 60)
                demand[(skill, day, Part.AFTERNOON)] = round(count * 2.4 * 60)
                demand[(skill, day, Part.EVENING)] = round(count * 1.0 * 60)
            elif day.weekday() == 5:
                demand[(skill, day, Part.SATURDAY)] = round(count * 1.5 * 60)
    problem = RotaProblem(START, weeks, tuple(experts), rota.DEFAULT_SHIFT_TYPES, demand)
    current = [a for e in team for a in _pattern(e, START, 7 * weeks)]
    return problem, current


def demo_case(limit: float) -> dict[str, object]:
    """The rota of the seeded demo (see the module's notes): its proposal's result."""
    now = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
    size = demo.DemoSize(experts=12, days=14, fill=0.4, addresses=400)
    past = demo.DemoSize(experts=12, days=14, fill=0.5, seed=101, addresses=400)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        previous = clock.set_clock(lambda: now)
        try:
            with make_sessionmaker(engine)() as s:
                m = demo.create_municipality(s, size=size)
                s.commit()
                demo.fill_history(s, m, size=past, travel=HaversineTravel())
                demo.fill_bookings(s, m, size=size, travel=HaversineTravel())
                demo.fill_rota(s, m)
                demo.fill_demand(s, m)
                proposal = rota.propose(
                    s,
                    municipality=m,
                    start=dt.date(2026, 3, 9),
                    weeks=4,
                    time_limit=limit,
                    actor="benchmark",
                    travel=HaversineTravel(),
                )
                return dict(proposal.result)
        finally:
            clock.set_clock(previous)
            engine.dispose()


def _part_pct(c: dict[str, Any], part: str) -> str:
    return _pct(c["by_part"][part]["covered_hours"], c["by_part"][part]["demand_hours"])


def _pct(covered: float, wanted: float) -> str:
    return f"{100 * covered / wanted:.1f}%" if wanted else "-"


def run(quick: bool) -> str:
    cases = [(10, 2)] if quick else [(10, 4), (25, 4), (50, 4), (10, 8), (25, 8), (50, 8)]
    limit = 5.0 if quick else 60.0
    lines = [
        f"## Rota (CP-SAT, 2 workers, {limit:.0f} s per instance; load {os.getloadavg()[0]:.2f})",
        "",
        "| experts | weeks | status | solve s | covered before → after | evenings | Saturdays "
        "| penalty / bound | evening spread | Saturday spread | rules broken |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, weeks in cases:
        problem, current = instance(n, weeks)
        began = time.perf_counter()
        solution = solve(problem, time_limit=limit, workers=2)
        took = time.perf_counter() - began
        if not solution.feasible:
            lines.append(f"| {n} | {weeks} | {solution.status} | {took:.1f} | | | | | | | |")
            continue
        cb, ca = coverage(problem, current), coverage(problem, solution.assignments)
        fb, fa = fairness(problem, current), fairness(problem, solution.assignments)
        ev_b, ev_a = cb.by_part["evening"], ca.by_part["evening"]
        sa_b, sa_a = cb.by_part["saturday"], ca.by_part["saturday"]
        penalty, bound = solution.penalty or 0.0, solution.bound or 0.0
        proof = (
            f"{penalty:.0f} / {bound:.0f} (gap {100 * (penalty - bound) / penalty:.0f}%)"
            if bound > 0 and penalty > 0
            else f"{penalty:.0f} / {bound:.0f} (no proof)"
        )
        before, after = (
            _pct(cb.covered_hours, cb.demand_hours),
            _pct(ca.covered_hours, ca.demand_hours),
        )
        lines.append(
            f"| {n} | {weeks} | {solution.status} | {took:.1f} | {before} → {after} "
            f"| {_pct(ev_b[1], ev_b[0])} → {_pct(ev_a[1], ev_a[0])} "
            f"| {_pct(sa_b[1], sa_b[0])} → {_pct(sa_a[1], sa_a[0])} "
            f"| {proof} | {fb.evening_spread} → {fa.evening_spread} "
            f"| {fb.saturday_spread} → {fa.saturday_spread} "
            f"| {len(violations(problem, solution.assignments))} |"
        )
    if not quick:
        r = demo_case(limit)
        solver = r["solver"]
        assert isinstance(solver, dict)
        cov, fair = r["coverage"], r["fairness"]
        assert isinstance(cov, dict) and isinstance(fair, dict)
        cb, ca, fb, fa = cov["before"], cov["after"], fair["before"], fair["after"]
        if ca is None:
            lines.append(f"| demo (12) | 4 | {r['status']} | {solver['seconds']} | | | | | | | |")
        else:
            lines.append(
                f"| demo (12) | 4 | {r['status']} | {solver['seconds']} "
                f"| {_pct(cb['covered_hours'], cb['demand_hours'])} → "
                f"{_pct(ca['covered_hours'], ca['demand_hours'])} "
                f"| {_part_pct(cb, 'evening')} → {_part_pct(ca, 'evening')} "
                f"| {_part_pct(cb, 'saturday')} → {_part_pct(ca, 'saturday')} "
                f"| {solver['penalty']:.0f} / {solver['bound']:.0f} "
                f"| {fb['evening_spread']} → {fa['evening_spread']} "
                f"| {fb['saturday_spread']} → {fa['saturday_spread']} | - |"
            )
    return "\n".join(lines)
