"""The rota's hard rules checked on a finished rota, independently of the solver; and its figures.

Rules modelled (the solver holds the same ones; :func:`violations` checks them afresh):

* at most one shift per expert and date; none on closure days, whole-day absences or Sundays;
* shifts already fixed (extra shifts recorded by hand) stay as they are;
* Arbeidstijdenwet: at least 11 hours' rest between two shifts (the once-a-week shortening to
  8 hours is not used); at least 36 hours' uninterrupted rest in every 7-day week of the rota
  (the alternative of 72 hours per 14 days is not used); shifts of at most 12 hours and at most
  60 hours a week. Both rest rules look across the horizon's edges: at the last shift before it,
  and at the earliest shift type's start on the day after it;
* contract hours per week within the tolerance; a weekday the expert cannot work (absence,
  closure) lowers that week's minimum by a fifth of the contract hours;
* at most the contract's evenings per week and Saturdays per calendar month (Saturdays already
  worked that month before the rota count);
* minimum cover: at least the set number of experts with a skill in a part of day.

Booked visits are not a rule here: :func:`broken_promises` lists the expert-days whose visits no
longer fit a shift, and the planner decides.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ortools.graph.python import max_flow

from scheduler.rota.problem import (
    PARTS,
    Assignment,
    EveningWish,
    Part,
    RotaExpert,
    RotaProblem,
)

HOUR = dt.timedelta(hours=1)


def week_minimum(problem: RotaProblem, expert: RotaExpert, week: int) -> int:
    """The fewest minutes the contract asks in a week (tolerance and days off subtracted)."""
    c = expert.contract
    first = problem.start + dt.timedelta(days=7 * week)
    off = sum(
        1
        for i in range(7)
        if (d := first + dt.timedelta(days=i)).weekday() < 5
        and (d in expert.unavailable or d in problem.closed)
    )
    return max(0, round((c.hours_per_week - c.tolerance_hours - off * c.hours_per_week / 5) * 60))


def week_maximum(problem: RotaProblem, expert: RotaExpert) -> int:
    c = expert.contract
    return min(round((c.hours_per_week + c.tolerance_hours) * 60), problem.max_hours_per_week * 60)


def earliest_start(problem: RotaProblem) -> dt.time:
    return min(s.start for s in problem.shift_types)


def violations(problem: RotaProblem, assignments: Sequence[Assignment]) -> list[str]:
    """Every hard rule the rota breaks, in words (empty: it keeps them all)."""
    out: list[str] = []
    by_expert: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_expert[a.expert_id].append(a)
    experts = {e.id: e for e in problem.experts}
    for eid, mine in by_expert.items():
        e = experts[eid]
        mine.sort(key=lambda a: (a.date, a.start))
        dates = [a.date for a in mine]
        if len(set(dates)) != len(dates):
            out.append(f"expert {eid}: two shifts on one date")
        for a in mine:
            if a.date in problem.closed or a.date in e.unavailable or a.date.weekday() == 6:
                out.append(f"expert {eid}: works on {a.date}, a closed or unavailable date")
            if a.minutes > 12 * 60:
                out.append(f"expert {eid}: shift longer than 12 hours on {a.date}")
        for day, fixed in e.fixed.items():
            if day in problem.closed or day in e.unavailable:
                continue
            if not any(
                a.date == day and (a.start, a.end) == (fixed.start, fixed.end) for a in mine
            ):
                out.append(f"expert {eid}: fixed shift on {day} not kept")
        ends = [(problem.at(a.date, a.start), problem.at(a.date, a.end)) for a in mine]
        previous = e.last_end.replace(tzinfo=problem.zone) if e.last_end else None
        for start, end in ends:
            if previous is not None and start - previous < problem.daily_rest_hours * HOUR:
                out.append(f"expert {eid}: less than 11 hours' rest before {start:%Y-%m-%d %H:%M}")
            previous = end
        out.extend(_weekly_rest(problem, e, ends))
        for week in range(problem.weeks):
            in_week = [a for a in mine if problem.week_of(a.date) == week]
            minutes = sum(a.minutes for a in in_week)
            if not week_minimum(problem, e, week) <= minutes <= week_maximum(problem, e):
                out.append(f"expert {eid}: {minutes / 60:.1f} hours in week {week + 1}")
            evenings = sum(a.is_evening() for a in in_week)
            if evenings > e.contract.max_evenings_per_week:
                out.append(f"expert {eid}: {evenings} evenings in week {week + 1}")
        months: dict[tuple[int, int], int] = defaultdict(int)
        months[(problem.start.year, problem.start.month)] = e.saturdays_this_month
        for a in mine:
            if a.is_saturday():
                months[(a.date.year, a.date.month)] += 1
        for (year, month), n in months.items():
            if n > e.contract.max_saturdays_per_month:
                out.append(f"expert {eid}: {n} Saturdays in {year}-{month:02d}")
    for eid in set(experts) - set(by_expert):
        for week in range(problem.weeks):
            if week_minimum(problem, experts[eid], week) > 0:
                out.append(f"expert {eid}: 0.0 hours in week {week + 1}")
    out.extend(_minimums(problem, assignments))
    return out


def _weekly_rest(
    problem: RotaProblem, e: RotaExpert, spans: Sequence[tuple[dt.datetime, dt.datetime]]
) -> list[str]:
    """Each 7-day week of the rota holds a free date inside a rest of at least 36 hours."""
    after = problem.at(problem.last + dt.timedelta(days=1), earliest_start(problem))
    before = e.last_end.replace(tzinfo=problem.zone) if e.last_end else None
    worked = {s.date() for s, _ in spans}
    out = []
    for week in range(problem.weeks):
        ok = False
        for i in range(7):
            day = problem.start + dt.timedelta(days=7 * week + i)
            if day in worked:
                continue
            midnight = problem.at(day, dt.time(0))
            prev_end = max((end for _, end in spans if end <= midnight), default=before)
            next_start = min((s for s, _ in spans if s >= midnight), default=after)
            if prev_end is None or next_start - prev_end >= problem.weekly_rest_hours * HOUR:
                ok = True
                break
        if not ok:
            out.append(f"expert {e.id}: no 36 hours' rest in week {week + 1}")
    return out


def _minimums(problem: RotaProblem, assignments: Sequence[Assignment]) -> list[str]:
    skills = {e.id: e.skills for e in problem.experts}
    out = []
    for rule in problem.minimums:
        for day in problem.dates:
            if day in problem.closed or not _part_on(rule.part, day):
                continue
            n = sum(
                1
                for a in assignments
                if a.date == day
                and rule.skill in skills[a.expert_id]
                and a.parts().get(rule.part, 0) >= 60
            )
            if n < rule.experts:
                out.append(f"{day}: {n} of {rule.experts} experts with {rule.skill} ({rule.part})")
    return out


def _part_on(part: Part, day: dt.date) -> bool:
    return (part is Part.SATURDAY) == (day.weekday() == 5) and day.weekday() != 6


def broken_promises(
    problem: RotaProblem, assignments: Sequence[Assignment]
) -> list[tuple[int, dt.date]]:
    """Expert-days with booked visits that no shift of the rota spans any more."""
    spans = {(a.expert_id, a.date): (a.start, a.end) for a in assignments}
    out = []
    for e in problem.experts:
        for day, (first, last) in sorted(e.promised.items()):
            span = spans.get((e.id, day))
            if span is None or not (span[0] <= first and last <= span[1]):
                out.append((e.id, day))
    return out


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Forecast expert-hours and how many of them a rota covers, overall and per part of day."""

    demand_hours: float
    covered_hours: float
    by_part: Mapping[str, tuple[float, float]]  # part -> (demand, covered)
    by_skill: Mapping[str, tuple[float, float]]

    @property
    def share(self) -> float | None:
        return None if not self.demand_hours else self.covered_hours / self.demand_hours

    def public(self) -> dict[str, object]:
        return {
            "demand_hours": round(self.demand_hours, 1),
            "covered_hours": round(self.covered_hours, 1),
            "share": None if self.share is None else round(self.share, 4),
            "by_part": {
                k: {"demand_hours": round(d, 1), "covered_hours": round(c, 1)}
                for k, (d, c) in self.by_part.items()
            },
            "by_skill": {
                k: {"demand_hours": round(d, 1), "covered_hours": round(c, 1)}
                for k, (d, c) in self.by_skill.items()
            },
        }


def coverage(problem: RotaProblem, assignments: Iterable[Assignment]) -> Coverage:
    """How much forecast demand the rota covers: per date and part an exact max flow from the
    experts' working minutes to the skills they have, capped at each skill's demand."""
    skills = {e.id: e.skills for e in problem.experts}
    supply: dict[tuple[dt.date, Part], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for a in assignments:
        for part, minutes in a.parts().items():
            supply[(a.date, part)][a.expert_id] += minutes
    demand: dict[tuple[dt.date, Part], dict[str, int]] = defaultdict(dict)
    for (skill, day, part), minutes in problem.demand.items():
        if minutes > 0 and problem.start <= day <= problem.last:
            demand[(day, part)][skill] = minutes
    by_part = {p.value: [0, 0] for p in PARTS}
    by_skill: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, wanted in demand.items():
        covered = _flow(supply.get(key, {}), wanted, skills)
        for skill, minutes in wanted.items():
            by_part[key[1].value][0] += minutes
            by_part[key[1].value][1] += covered[skill]
            by_skill[skill][0] += minutes
            by_skill[skill][1] += covered[skill]
    total_d = sum(d for d, _ in by_part.values())
    total_c = sum(c for _, c in by_part.values())
    return Coverage(
        total_d / 60,
        total_c / 60,
        {k: (d / 60, c / 60) for k, (d, c) in by_part.items()},
        {k: (d / 60, c / 60) for k, (d, c) in sorted(by_skill.items())},
    )


def _flow(
    supply: Mapping[int, int], wanted: Mapping[str, int], skills: Mapping[int, frozenset[str]]
) -> dict[str, int]:
    flow = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    skill_node = {s: 2 + i for i, s in enumerate(wanted)}
    base = 2 + len(wanted)
    for i, (eid, minutes) in enumerate(supply.items()):
        node = base + i
        flow.add_arc_with_capacity(source, node, minutes)
        for s in skills[eid] & set(wanted):
            flow.add_arc_with_capacity(node, skill_node[s], minutes)
    arcs = {s: flow.add_arc_with_capacity(n, sink, wanted[s]) for s, n in skill_node.items()}
    flow.solve(source, sink)
    return {s: int(flow.flow(arc)) for s, arc in arcs.items()}


@dataclass(frozen=True)
class Fairness:
    """Evenings and Saturdays per expert (history included) and how far apart they lie."""

    evenings: Mapping[int, int]
    saturdays: Mapping[int, int]
    hours: Mapping[int, float]

    @staticmethod
    def _spread(values: Iterable[int]) -> int:
        v = list(values)
        return max(v) - min(v) if v else 0

    @staticmethod
    def _stdev(values: Iterable[int]) -> float:
        v = list(values)
        return statistics.pstdev(v) if len(v) > 1 else 0.0

    def public(self) -> dict[str, object]:
        return {
            "evening_spread": self._spread(self.evenings.values()),
            "saturday_spread": self._spread(self.saturdays.values()),
            "evening_stdev": round(self._stdev(self.evenings.values()), 3),
            "saturday_stdev": round(self._stdev(self.saturdays.values()), 3),
            "per_expert": [
                {
                    "expert_id": eid,
                    "hours": round(self.hours.get(eid, 0.0), 1),
                    "evenings": self.evenings.get(eid, 0),
                    "saturdays": self.saturdays.get(eid, 0),
                }
                for eid in sorted(self.hours)
            ],
        }

    @property
    def evening_spread(self) -> int:
        return self._spread(self.evenings.values())

    @property
    def saturday_spread(self) -> int:
        return self._spread(self.saturdays.values())


def fair_pool(e: RotaExpert) -> bool:
    """Who the evening/Saturday balance is about: experts with contract hours."""
    return e.contract.hours_per_week > 0


def fairness(problem: RotaProblem, assignments: Iterable[Assignment]) -> Fairness:
    """Evenings (among experts who can work evenings) and Saturdays, history counted."""
    evenings = {
        e.id: e.history_evenings
        for e in problem.experts
        if fair_pool(e)
        and e.preference.evenings is not EveningWish.CANNOT
        and e.contract.max_evenings_per_week > 0
    }
    saturdays = {
        e.id: e.history_saturdays
        for e in problem.experts
        if fair_pool(e) and e.contract.max_saturdays_per_month > 0
    }
    hours: dict[int, float] = {e.id: 0.0 for e in problem.experts}
    for a in assignments:
        hours[a.expert_id] = hours.get(a.expert_id, 0.0) + a.minutes / 60
        if a.is_evening() and a.expert_id in evenings:
            evenings[a.expert_id] += 1
        if a.is_saturday() and a.expert_id in saturdays:
            saturdays[a.expert_id] += 1
    return Fairness(evenings, saturdays, hours)
