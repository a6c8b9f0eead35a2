"""The rota as a CP-SAT model: who works which shift type on which date.

Hard rules (see :mod:`scheduler.rota.rules` for the list) are grouped, each group behind one
literal: "the Saturday limit of expert 7 in December", "contract hours of expert 3 in week 2",
"minimum cover of wmo on Saturday in week 3", "11 hours' rest", … The model is first solved with
the groups simply on. When that is infeasible it is solved again as a relaxation: each group may
be switched off at a cost (the law costs most), coverage ignored; the cheapest set switched off
names the rules to loosen (:mod:`scheduler.rota.explain` puts them into words). CP-SAT's own
assumption cores were tried first, but without a minimal core they named dozens of contracts.

Soft rules, in the objective (points; :class:`~scheduler.rota.problem.Weights`): uncovered
forecast per expert-hour, the spread of evenings and of Saturdays across the team (history
counted), evenings for experts who cannot do them, weeks without an evening for experts who want
them, shifts on a preferred day off, and expert-days with booked visits left without a shift
that spans them (their visits are listed to re-plan).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.rota.problem import (
    Assignment,
    EveningWish,
    Part,
    RotaProblem,
    part_minutes,
)
from scheduler.rota.rules import (
    HOUR,
    broken_promises,
    earliest_start,
    fair_pool,
    week_maximum,
    week_minimum,
)

#: The objective counts in 1/60 points, so the penalty per uncovered minute is a whole number.
SCALE = 60

Group = tuple[Hashable, ...]


@dataclass(frozen=True)
class _Option:
    code: str
    start: dt.time
    end: dt.time
    break_minutes: int
    break_earliest: dt.time | None
    break_latest: dt.time | None
    minutes: int
    parts: dict[Part, int]
    evening: bool


@dataclass
class Solution:
    """What the solver found; ``penalty`` and ``bound`` are in points (None when not solved)."""

    status: str  # optimal | feasible | infeasible | unknown
    assignments: list[Assignment] = field(default_factory=list)
    penalty: float | None = None
    bound: float | None = None
    seconds: float = 0.0
    #: The rule groups that clash, when infeasible.
    core: list[Group] = field(default_factory=list)
    broken: list[tuple[int, dt.date]] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "feasible")


class _Model:
    def __init__(self, problem: RotaProblem, *, explain: bool) -> None:
        self.p = problem
        self.m = cp_model.CpModel()
        self.explain = explain
        self.groups: dict[Group, cp_model.IntVar] = {}
        self.x: dict[tuple[int, dt.date], list[tuple[_Option, cp_model.IntVar]]] = {}
        self.objective: list[cp_model.LinearExprT] = []
        self.promise_broken: dict[tuple[int, dt.date], cp_model.IntVar] = {}
        self._build()

    def lit(self, group: Group) -> cp_model.IntVar:
        """The literal that switches a group of hard rules on."""
        if group not in self.groups:
            if self.explain:
                self.groups[group] = self.m.new_bool_var(str(group))
            else:
                self.groups[group] = self.m.new_constant(1)
        return self.groups[group]

    def options(self, eidx: int, day: dt.date) -> list[tuple[_Option, cp_model.IntVar]]:
        return self.x.get((eidx, day), [])

    def _build(self) -> None:
        p = self.p
        for i, e in enumerate(p.experts):
            for day in p.dates:
                if day in p.closed or day in e.unavailable or day.weekday() == 6:
                    continue
                opts: list[_Option] = []
                if day in e.fixed:
                    f = e.fixed[day]
                    parts = _parts(day, f.start, f.end, f.break_minutes)
                    opts.append(
                        _Option(
                            "fixed",
                            f.start,
                            f.end,
                            f.break_minutes,
                            None,
                            None,
                            _span(f.start, f.end) - f.break_minutes,
                            parts,
                            parts.get(Part.EVENING, 0) >= 60,
                        )
                    )
                else:
                    for s in p.shift_types:
                        if day.weekday() in s.weekdays:
                            opts.append(
                                _Option(
                                    s.code,
                                    s.start,
                                    s.end,
                                    s.break_minutes,
                                    s.break_earliest,
                                    s.break_latest,
                                    s.minutes,
                                    s.parts(day),
                                    s.is_evening(day),
                                )
                            )
                pairs = [(o, self.m.new_bool_var(f"x{e.id}_{day}_{o.code}")) for o in opts]
                if pairs:
                    self.x[(i, day)] = pairs
                    self.m.add_at_most_one(v for _, v in pairs)
                if day in e.fixed and pairs:
                    self.m.add(pairs[0][1] == 1).only_enforce_if(self.lit(("fixed", e.id)))
        for i in range(len(p.experts)):
            self._rest(i)
            self._weeks(i)
            self._promises(i)
        self._minimums()
        self._coverage()
        self._fairness()
        self.m.minimize(sum(self.objective))

    def _rest(self, i: int) -> None:
        p, e = self.p, self.p.experts[i]
        daily = p.daily_rest_hours * HOUR
        weekly = p.weekly_rest_hours * HOUR
        last_end = e.last_end.replace(tzinfo=p.zone) if e.last_end else None
        rest = self.lit(("rest",))
        for day in p.dates:
            nxt = day + dt.timedelta(days=1)
            for o1, v1 in self.options(i, day):
                for o2, v2 in self.options(i, nxt):
                    if p.at(nxt, o2.start) - p.at(day, o1.end) < daily:
                        self.m.add_bool_or([v1.Not(), v2.Not(), rest.Not()])
            if day == p.start and last_end is not None:
                for o, v in self.options(i, day):
                    if p.at(day, o.start) - last_end < daily:
                        self.m.add_bool_or([v.Not(), rest.Not()])
        after = p.at(p.last + dt.timedelta(days=1), earliest_start(p))
        for week in range(p.weeks):
            frees = []
            for k in range(7):
                day = p.start + dt.timedelta(days=7 * week + k)
                r = self.m.new_bool_var(f"r{e.id}_{day}")
                frees.append(r)
                for _, v in self.options(i, day):
                    self.m.add_bool_or([r.Not(), v.Not()])
                prev, nxt = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
                before = self.options(i, prev)
                later = self.options(i, nxt)
                ends = [(p.at(prev, o.end), [v.Not()]) for o, v in before]
                if prev < p.start and last_end is not None:
                    ends = [(last_end, [])]
                starts = [(p.at(nxt, o.start), [v.Not()]) for o, v in later]
                if nxt > p.last:
                    starts = [(after, [])]
                for end, c1 in ends:
                    for start, c2 in starts:
                        if start - end < weekly:
                            self.m.add_bool_or([r.Not(), *c1, *c2])
            self.m.add_bool_or(frees).only_enforce_if(self.lit(("weekly_rest",)))

    def _weeks(self, i: int) -> None:
        p, e = self.p, self.p.experts[i]
        w = p.weights
        saturdays: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        for week in range(p.weeks):
            week_days = [p.start + dt.timedelta(days=7 * week + k) for k in range(7)]
            shifts = [(o, v) for d in week_days for o, v in self.options(i, d)]
            minutes = sum(o.minutes * v for o, v in shifts)
            lo, hi = week_minimum(p, e, week), week_maximum(p, e)
            if shifts:
                self.m.add(minutes <= hi).only_enforce_if(self.lit(("contract_max", e.id, week)))
                self.m.add(minutes >= lo).only_enforce_if(self.lit(("contract_min", e.id, week)))
            elif lo > 0:
                self.m.add_bool_or([self.lit(("contract_min", e.id, week)).Not()])
            evenings = [v for o, v in shifts if o.evening]
            if evenings:
                self.m.add(sum(evenings) <= e.contract.max_evenings_per_week).only_enforce_if(
                    self.lit(("evenings", e.id, week))
                )
            if e.preference.evenings is EveningWish.CANNOT:
                self.objective.extend(w.unwanted_evening * SCALE * v for v in evenings)
            elif e.preference.evenings is EveningWish.WANTS and evenings:
                none = self.m.new_bool_var("")
                self.m.add(sum(evenings) >= 1).only_enforce_if(none.Not())
                self.objective.append(w.wanted_evening * SCALE * none)
            for d in week_days:
                if d.weekday() == 5:
                    saturdays[(d.year, d.month)].extend(v for _, v in self.options(i, d))
                if e.preference.day_off == d.weekday():
                    self.objective.extend(w.day_off * SCALE * v for _, v in self.options(i, d))
        for (year, month), vs in saturdays.items():
            already = (
                e.saturdays_this_month if (year, month) == (p.start.year, p.start.month) else 0
            )
            if vs:
                self.m.add(sum(vs) + already <= e.contract.max_saturdays_per_month).only_enforce_if(
                    self.lit(("saturdays", e.id, year, month))
                )

    def _promises(self, i: int) -> None:
        e = self.p.experts[i]
        for day, (first, last) in e.promised.items():
            if not self.p.start <= day <= self.p.last:
                continue
            covering = [v for o, v in self.options(i, day) if o.start <= first and last <= o.end]
            broken = self.m.new_bool_var(f"b{e.id}_{day}")
            self.m.add(sum(covering) + broken >= 1)
            self.promise_broken[(e.id, day)] = broken
            self.objective.append(self.p.weights.broken_promise * SCALE * broken)

    def _minimums(self) -> None:
        p = self.p
        for rule in p.minimums:
            for day in p.dates:
                if day in p.closed or day.weekday() == 6:
                    continue
                if (rule.part is Part.SATURDAY) != (day.weekday() == 5):
                    continue
                working = [
                    v
                    for i, e in enumerate(p.experts)
                    if rule.skill in e.skills
                    for o, v in self.options(i, day)
                    if o.parts.get(rule.part, 0) >= 60
                ]
                group = ("minimum", rule.skill, rule.part.value, p.week_of(day))
                if working:
                    self.m.add(sum(working) >= rule.experts).only_enforce_if(self.lit(group))
                elif rule.experts > 0:
                    self.m.add_bool_or([self.lit(group).Not()])

    def _coverage(self) -> None:
        p = self.p
        wanted: dict[tuple[dt.date, Part], dict[str, int]] = defaultdict(dict)
        for (skill, day, part), minutes in p.demand.items():
            if minutes > 0 and p.start <= day <= p.last and day not in p.closed:
                wanted[(day, part)][skill] = minutes
        for (day, part), skills in wanted.items():
            covered: dict[str, list[cp_model.LinearExprT]] = defaultdict(list)
            for i, e in enumerate(p.experts):
                opts = [(o.parts.get(part, 0), v) for o, v in self.options(i, day)]
                opts = [(m, v) for m, v in opts if m > 0]
                mine = [s for s in e.skills if s in skills]
                if not opts or not mine:
                    continue
                supply = sum(m * v for m, v in opts)
                if len(mine) == 1:
                    covered[mine[0]].append(supply)
                    continue
                top = max(m for m, _ in opts)
                shares = [self.m.new_int_var(0, top, "") for _ in mine]
                self.m.add(sum(shares) <= supply)
                for s, share in zip(mine, shares, strict=True):
                    covered[s].append(share)
            for skill, demand in skills.items():
                short = self.m.new_int_var(0, demand, "")
                self.m.add(cp_model.LinearExpr.sum([short, *covered[skill]]) >= demand)
                self.objective.append(p.weights.uncovered_hour * short)

    def _fairness(self) -> None:
        p = self.p
        for kind in ("evening", "saturday"):
            totals = []
            top = 0
            for i, e in enumerate(p.experts):
                if not fair_pool(e):
                    continue
                if kind == "evening":
                    if e.preference.evenings is EveningWish.CANNOT:
                        continue
                    if e.contract.max_evenings_per_week == 0:
                        continue
                    vs = [v for d in p.dates for o, v in self.options(i, d) if o.evening]
                    base = e.history_evenings
                else:
                    if e.contract.max_saturdays_per_month == 0:
                        continue
                    vs = [v for d in p.dates if d.weekday() == 5 for _, v in self.options(i, d)]
                    base = e.history_saturdays
                top = max(top, base + len(vs))
                total = self.m.new_int_var(0, base + len(vs), "")
                self.m.add(total == base + sum(vs))
                totals.append(total)
            if len(totals) < 2:
                continue
            hi, lo = self.m.new_int_var(0, top, ""), self.m.new_int_var(0, top, "")
            self.m.add_max_equality(hi, totals)
            self.m.add_min_equality(lo, totals)
            self.objective.append(p.weights.fairness_spread * SCALE * (hi - lo))


def _span(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _parts(day: dt.date, start: dt.time, end: dt.time, break_minutes: int) -> dict[Part, int]:
    return part_minutes(day, start, end, break_minutes)


def _status(code: cp_model.CpSolverStatus) -> str:
    names: dict[cp_model.CpSolverStatus, str] = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
        cp_model.MODEL_INVALID: "invalid",
    }
    return names.get(code, "unknown")


def solve(
    problem: RotaProblem, *, time_limit: float = 10.0, workers: int = 2, seed: int = 0
) -> Solution:
    """Solve the rota; when the hard rules clash, find which (see the module's notes)."""
    began = time.perf_counter()
    model = _Model(problem, explain=False)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(model.m)
    status = _status(code)
    if status in ("optimal", "feasible"):
        assignments = [
            Assignment(
                expert_id=problem.experts[i].id,
                date=day,
                code=o.code,
                start=o.start,
                end=o.end,
                break_minutes=o.break_minutes,
                break_earliest=o.break_earliest,
                break_latest=o.break_latest,
            )
            for (i, day), opts in sorted(model.x.items(), key=lambda kv: (kv[0][1], kv[0][0]))
            for o, v in opts
            if solver.value(v)
        ]
        return Solution(
            status,
            assignments,
            penalty=solver.objective_value / SCALE,
            bound=solver.best_objective_bound / SCALE,
            seconds=time.perf_counter() - began,
            broken=broken_promises(problem, assignments),
        )
    core: list[Group] = []
    if status == "infeasible":
        core = infeasible_core(problem, max(1.0, time_limit - (time.perf_counter() - began)))
    return Solution(status, seconds=time.perf_counter() - began, core=core)


#: What it costs to loosen a group of each kind when the rules clash: the law last, a minimum
#: cover first (the explanation then says why it cannot be met).
LOOSEN_COST = {
    "minimum": 1,
    "saturdays": 2,
    "evenings": 2,
    "contract_min": 3,
    "contract_max": 3,
    "fixed": 20,
    "weekly_rest": 100,
    "rest": 100,
}


def infeasible_core(problem: RotaProblem, time_limit: float) -> list[Group]:
    """The cheapest set of rule groups to loosen so the rest can hold (a weighted relaxation:
    every group may be switched off at its :data:`LOOSEN_COST`)."""
    model = _Model(problem, explain=True)
    model.m.minimize(sum(LOOSEN_COST[str(g[0])] * (1 - lit) for g, lit in model.groups.items()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    if solver.solve(model.m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return []
    return sorted((g for g, lit in model.groups.items() if not solver.value(lit)), key=str)
