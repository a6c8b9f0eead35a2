"""Data access for rotas: shift types, contracts, minimum cover, the problem read from the
database, the current rota, and proposals (made, stored and read; applying is a use case in
:mod:`scheduler.usecases.rota`, since it must keep booked visits' promises)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity.models import ExceptionKind, Expert, ShiftException, WeeklyShift
from scheduler.clock import zone
from scheduler.day.promises import broken_visits, newly_broken, visit_days
from scheduler.day.shifts import (
    closed_dates,
    days,
    get_experts,
    shift_of,
    shifts_between,
    today_of,
)
from scheduler.day.state import load_day
from scheduler.errors import InvalidInput, NotFound
from scheduler.rota import explain
from scheduler.rota.forecast import Forecast, forecast
from scheduler.rota.models import ExpertContract, MinimumCoverRow, RotaProposal, ShiftTypeRow
from scheduler.rota.problem import (
    Assignment,
    Contract,
    EveningWish,
    Fixed,
    MinimumCover,
    Part,
    Preference,
    RotaExpert,
    RotaProblem,
    ShiftType,
)
from scheduler.rota.rules import broken_promises, coverage, fairness
from scheduler.rota.solver import solve
from scheduler.security import new_id
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.rota")

#: Weeks before the horizon whose evenings and Saturdays count for fairness.
HISTORY_WEEKS = 4
MIN_WEEKS, MAX_WEEKS = 2, 8

#: Shift types a municipality starts with when it has defined none.
DEFAULT_SHIFT_TYPES = (
    ShiftType("day", "Dagdienst", dt.time(8, 30), dt.time(17), 30, dt.time(12), dt.time(13, 30)),
    ShiftType(
        "evening", "Avonddienst", dt.time(13), dt.time(21), 30, dt.time(17, 30), dt.time(18, 30)
    ),
    ShiftType("saturday", "Zaterdagochtend", dt.time(9), dt.time(14), 0, weekdays=frozenset({5})),
)


# --- shift types, contracts, minimum cover ---------------------------------------------------


def shift_type_of(row: ShiftTypeRow) -> ShiftType:
    return ShiftType(
        row.code,
        row.name,
        row.start,
        row.end,
        row.break_minutes,
        row.break_earliest,
        row.break_latest,
        frozenset(row.weekdays),
    )


def get_shift_types(session: Session, *, municipality: Municipality) -> list[ShiftTypeRow]:
    return list(
        session.scalars(
            select(ShiftTypeRow)
            .where(ShiftTypeRow.municipality_id == municipality.id)
            .order_by(ShiftTypeRow.start, ShiftTypeRow.code)
        )
    )


def replace_shift_types(
    session: Session, *, municipality: Municipality, types: Sequence[ShiftType]
) -> list[ShiftTypeRow]:
    """Replace the municipality's shift types (commits). Applied rotas keep their shifts."""
    if len({t.code for t in types}) != len(types):
        raise InvalidInput(
            "Shift type codes must differ.", nl="Codes van diensten moeten verschillen."
        )
    session.execute(delete(ShiftTypeRow).where(ShiftTypeRow.municipality_id == municipality.id))
    for t in types:
        session.add(
            ShiftTypeRow(
                municipality_id=municipality.id,
                code=t.code,
                name=t.name,
                start=t.start,
                end=t.end,
                break_earliest=t.break_earliest,
                break_latest=t.break_latest,
                break_minutes=t.break_minutes,
                weekdays=sorted(t.weekdays),
            )
        )
    session.commit()
    return get_shift_types(session, municipality=municipality)


def _expert(session: Session, municipality: Municipality, expert_id: int) -> Expert:
    expert = session.get(Expert, expert_id)
    if expert is None or expert.municipality_id != municipality.id:
        raise NotFound(f"No expert {expert_id} here.", nl=f"Medewerker {expert_id} bestaat niet.")
    return expert


def pattern_hours(expert: Expert) -> float:
    """Weekly hours of the expert's open-ended weekly pattern (the default contract)."""
    minutes = 0
    for s in expert.shifts:
        if s.valid_until is None:
            span = (s.end.hour * 60 + s.end.minute) - (s.start.hour * 60 + s.start.minute)
            minutes += span - s.break_minutes
    return round(minutes / 60, 2)


def default_contract(expert: Expert) -> Contract:
    return Contract(hours_per_week=min(60.0, pattern_hours(expert)))


def get_contract(
    session: Session, *, municipality: Municipality, expert_id: int
) -> tuple[Contract, Preference, bool]:
    """The expert's contract and preferences; ``False`` when they are the pattern's default."""
    expert = _expert(session, municipality, expert_id)
    row = session.get(ExpertContract, expert.id)
    if row is None:
        return default_contract(expert), Preference(), False
    return _contract(row), _preference(row), True


def _contract(row: ExpertContract) -> Contract:
    return Contract(
        row.hours_per_week,
        row.tolerance_hours,
        row.max_evenings_per_week,
        row.max_saturdays_per_month,
    )


def _preference(row: ExpertContract) -> Preference:
    return Preference(EveningWish(row.evenings), row.day_off)


def put_contract(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    contract: Contract,
    preference: Preference,
) -> None:
    """Set the expert's contract and preferences (commits)."""
    expert = _expert(session, municipality, expert_id)
    row = session.get(ExpertContract, expert.id) or ExpertContract(expert_id=expert.id)
    row.hours_per_week = contract.hours_per_week
    row.tolerance_hours = contract.tolerance_hours
    row.max_evenings_per_week = contract.max_evenings_per_week
    row.max_saturdays_per_month = contract.max_saturdays_per_month
    row.evenings = preference.evenings.value
    row.day_off = preference.day_off
    session.add(row)
    session.commit()


def get_minimums(session: Session, *, municipality: Municipality) -> list[MinimumCover]:
    rows = session.scalars(
        select(MinimumCoverRow)
        .where(MinimumCoverRow.municipality_id == municipality.id)
        .order_by(MinimumCoverRow.skill, MinimumCoverRow.part)
    )
    return [MinimumCover(r.skill, Part(r.part), r.experts) for r in rows]


def replace_minimums(
    session: Session, *, municipality: Municipality, minimums: Sequence[MinimumCover]
) -> list[MinimumCover]:
    """Replace the minimum cover rules (commits)."""
    if len({(m.skill, m.part) for m in minimums}) != len(minimums):
        raise InvalidInput(
            "One minimum per skill and part of day.",
            nl="Eén minimum per vaardigheid en dagdeel.",
        )
    session.execute(
        delete(MinimumCoverRow).where(MinimumCoverRow.municipality_id == municipality.id)
    )
    for m in minimums:
        session.add(
            MinimumCoverRow(
                municipality_id=municipality.id, skill=m.skill, part=m.part.value, experts=m.experts
            )
        )
    session.commit()
    return get_minimums(session, municipality=municipality)


# --- the problem and the current rota --------------------------------------------------------


def current_assignments(
    session: Session,
    *,
    municipality: Municipality,
    first: dt.date,
    last: dt.date,
    experts: Sequence[Expert] | None = None,
) -> list[Assignment]:
    """The working time the database holds now, as rota shifts (local times)."""
    tz = zone(municipality.timezone)
    shifts = shifts_between(
        session, municipality=municipality, first=first, last=last, experts=experts
    )
    out = []
    for (eid, day), s in sorted(shifts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        start, end = s.start.astimezone(tz), s.end.astimezone(tz)
        lunch = next((b for b in s.breaks if b.kind == "lunch"), None)
        out.append(
            Assignment(
                eid,
                day,
                "current",
                start.time().replace(tzinfo=None),
                end.time().replace(tzinfo=None) if end.date() == day else dt.time(23, 59),
                sum(b.minutes for b in s.breaks),
                lunch.earliest.astimezone(tz).time().replace(tzinfo=None) if lunch else None,
            )
        )
    return out


def rota_start_default(municipality: Municipality) -> dt.date:
    """The Monday after today: where a planner's rota usually starts."""
    today = today_of(municipality)
    return today + dt.timedelta(days=7 - today.weekday())


def check_horizon(municipality: Municipality, start: dt.date, weeks: int) -> None:
    if start <= today_of(municipality):
        raise InvalidInput(
            "A rota starts tomorrow or later.", nl="Een rooster begint morgen of later."
        )
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise InvalidInput(
            f"A rota covers {MIN_WEEKS} to {MAX_WEEKS} weeks.",
            nl=f"Een rooster beslaat {MIN_WEEKS} tot {MAX_WEEKS} weken.",
        )


def build_problem(
    session: Session, *, municipality: Municipality, start: dt.date, weeks: int
) -> tuple[RotaProblem, Forecast, list[Assignment]]:
    """The rota problem of the horizon from the database, its forecast and the current rota."""
    tz = zone(municipality.timezone)
    last = start + dt.timedelta(days=7 * weeks - 1)
    experts = get_experts(session, municipality=municipality)
    ids = [e.id for e in experts]
    contracts = {
        r.expert_id: r
        for r in session.scalars(select(ExpertContract).where(ExpertContract.expert_id.in_(ids)))
    }
    exceptions: dict[int, list[ShiftException]] = defaultdict(list)
    for exc in session.scalars(
        select(ShiftException).where(
            ShiftException.expert_id.in_(ids),
            ShiftException.date >= start,
            ShiftException.date <= last,
        )
    ):
        exceptions[exc.expert_id].append(exc)
    promised: dict[int, dict[dt.date, tuple[dt.time, dt.time]]] = defaultdict(dict)
    for eid, day, w_start, w_end, p_start, p_end in session.execute(
        select(
            Visit.expert_id,
            Visit.date,
            Visit.window_start,
            Visit.window_end,
            Visit.planned_arrival,
            Visit.planned_end,
        ).where(
            Visit.municipality_id == municipality.id,
            Visit.status.in_(ACTIVE_STATUSES),
            Visit.expert_id.is_not(None),
            Visit.date >= start,
            Visit.date <= last,
        )
    ):
        assert eid is not None
        first_t = (p_start or w_start).astimezone(tz).time().replace(tzinfo=None)
        last_t = (p_end or w_end).astimezone(tz).time().replace(tzinfo=None)
        old = promised[eid].get(day)
        promised[eid][day] = (
            (min(first_t, old[0]), max(last_t, old[1])) if old else (first_t, last_t)
        )
    current = current_assignments(
        session, municipality=municipality, first=start, last=last, experts=experts
    )
    now_working = {(a.expert_id, a.date): a for a in current}
    for eid, by_day in promised.items():
        for day, (first_t, last_t) in by_day.items():
            by_day[day] = _promise_span(now_working.get((eid, day)), first_t, last_t)
    history_first = start - dt.timedelta(days=7 * HISTORY_WEEKS)
    history = current_assignments(
        session,
        municipality=municipality,
        first=history_first,
        last=start - dt.timedelta(days=1),
        experts=experts,
    )
    rota_experts = []
    for e in experts:
        mine = [a for a in history if a.expert_id == e.id]
        row = contracts.get(e.id)
        last_shift = max(mine, key=lambda a: a.date, default=None)
        rota_experts.append(
            RotaExpert(
                id=e.id,
                name=e.name,
                skills=frozenset(e.skills),
                contract=_contract(row) if row else default_contract(e),
                preference=_preference(row) if row else Preference(),
                unavailable=frozenset(
                    x.date
                    for x in exceptions[e.id]
                    if x.kind is not ExceptionKind.EXTRA and (x.start is None or x.end is None)
                ),
                fixed={
                    x.date: Fixed(x.start, x.end, x.break_minutes)
                    for x in exceptions[e.id]
                    if x.kind is ExceptionKind.EXTRA and x.start and x.end
                },
                promised=promised.get(e.id, {}),
                history_evenings=sum(a.is_evening() for a in mine),
                history_saturdays=sum(a.is_saturday() for a in mine),
                saturdays_this_month=sum(
                    a.is_saturday() and a.date >= start.replace(day=1) for a in mine
                ),
                last_end=dt.datetime.combine(last_shift.date, last_shift.end)
                if last_shift
                else None,
            )
        )
    closed = frozenset(closed_dates(session, municipality=municipality, first=start, last=last))
    predicted = forecast(session, municipality=municipality, today=today_of(municipality))
    types = tuple(shift_type_of(r) for r in get_shift_types(session, municipality=municipality))
    dates = [start + dt.timedelta(days=i) for i in range(7 * weeks)]
    problem = RotaProblem(
        start=start,
        weeks=weeks,
        experts=tuple(rota_experts),
        shift_types=types or DEFAULT_SHIFT_TYPES,
        demand=predicted.demand(dates, closed),
        closed=closed,
        minimums=tuple(get_minimums(session, municipality=municipality)),
        timezone=municipality.timezone,
    )
    return problem, predicted, current


#: Time to reach the first visit of a day and to return from the last, when a shift differs
#: from today's.
TRAVEL_MARGIN = dt.timedelta(minutes=30)


def _promise_span(now: Assignment | None, first: dt.time, last: dt.time) -> tuple[dt.time, dt.time]:
    """The latest start and earliest end a shift may have and still keep the day's visits:
    no later than today's start (or half an hour before the first arrival), no earlier than
    today's end (or half an hour after the last visit)."""
    day = dt.date(2000, 1, 3)
    earliest = (dt.datetime.combine(day, first) - TRAVEL_MARGIN).time()
    latest = dt.datetime.combine(day, last) + TRAVEL_MARGIN
    latest_t = latest.time() if latest.date() == day else dt.time(23, 59)
    if first < dt.time(0, 30):
        earliest = dt.time(0)
    if now is None:
        return earliest, latest_t
    return max(now.start, earliest), min(now.end, latest_t)


# --- proposals -------------------------------------------------------------------------------


def _iso(problem: RotaProblem, day: dt.date, t: dt.time) -> str:
    return problem.at(day, t).isoformat()


def weekly_shift(a: dict[str, Any]) -> WeeklyShift | None:
    """A proposal's assignment as the weekly shift valid on its one date that applying writes
    (None for an extra shift recorded by hand: it stays an exception)."""
    if a["pattern"] == "fixed":
        return None
    day = dt.date.fromisoformat(str(a["date"]))
    start = dt.datetime.fromisoformat(str(a["start"]))
    end = dt.datetime.fromisoformat(str(a["end"]))
    b_from, b_until = a.get("break_earliest"), a.get("break_latest")
    return WeeklyShift(
        weekday=day.weekday(),
        start=start.time().replace(tzinfo=None),
        end=end.time().replace(tzinfo=None),
        break_earliest=dt.time.fromisoformat(str(b_from)) if b_from else None,
        break_latest=dt.time.fromisoformat(str(b_until)) if b_until else None,
        break_minutes=int(str(a["break_minutes"])),
        valid_from=day,
        valid_until=day,
    )


def visits_to_replan(
    session: Session,
    *,
    municipality: Municipality,
    first: dt.date,
    last: dt.date,
    assignments: Sequence[dict[str, Any]],
    travel: TravelTimeProvider,
) -> list[dict[str, Any]]:
    """The booked visits applying these assignments (a proposal's result) would re-plan: the
    same route check applying does (:func:`~scheduler.day.promises.broken_visits`, blamed by
    :func:`~scheduler.day.promises.newly_broken`), run on each expert-day holding visits whose
    working time the rota changes. Reads only: the proposed shifts replace the current ones in
    memory."""
    tz = zone(municipality.timezone)
    proposed: dict[tuple[int, dt.date], list[WeeklyShift]] = defaultdict(list)
    for a in assignments:
        shift = weekly_shift(a)
        if shift is not None:
            proposed[(int(a["expert_id"]), dt.date.fromisoformat(str(a["date"])))].append(shift)
    horizon = list(days(first, last))
    watched = visit_days(session, municipality, dates=horizon)
    if not watched:
        return []
    closed = set(closed_dates(session, municipality=municipality, first=first, last=last))
    exceptions: dict[int, list[ShiftException]] = defaultdict(list)
    for exc in session.scalars(
        select(ShiftException).where(
            ShiftException.expert_id.in_({e for ids in watched.values() for e in ids}),
            ShiftException.date >= first,
            ShiftException.date <= last,
        )
    ):
        exceptions[exc.expert_id].append(exc)
    out: list[tuple[dt.date, dt.datetime, str, dict[str, Any]]] = []
    for day in sorted(watched):
        state = load_day(session, municipality, day, expert_ids=watched[day])
        shifts = dict(state.shifts)
        for eid in watched[day]:
            expert = state.experts.get(eid)
            new = None
            if expert is not None:
                new = shift_of(
                    expert,
                    day,
                    tz,
                    shifts=proposed.get((eid, day), []),
                    exceptions=exceptions[eid],
                    closed=day in closed,
                )
            if new is None:
                shifts.pop(eid, None)
            else:
                shifts[eid] = new
        changed = {eid for eid in watched[day] if shifts.get(eid) != state.shifts.get(eid)}
        if not changed:
            continue
        unstaffed_before, infeasible_before = broken_visits(state, travel, changed)
        after = dataclasses.replace(state, shifts=shifts)
        unstaffed_after, infeasible_after = broken_visits(after, travel, changed)
        for vid in newly_broken(
            unstaffed_before | infeasible_before,
            unstaffed_before,
            unstaffed_after | infeasible_after,
            unstaffed_after,
        ):
            v = state.visits[vid]
            row = {
                "reference": v.reference,
                "date": day.isoformat(),
                "window_start": v.window_start.isoformat(),
                "window_end": v.window_end.isoformat(),
                "expert_id": v.expert_id,
            }
            out.append((day, v.window_start, v.reference, row))
    return [row for *_, row in sorted(out, key=lambda t: t[:3])]


def compute(
    session: Session,
    *,
    municipality: Municipality,
    start: dt.date,
    weeks: int,
    time_limit: float,
    travel: TravelTimeProvider,
    workers: int = 2,
) -> tuple[bool, dict[str, Any], int]:
    """Solve a rota for the horizon: (feasible, the proposal's result, the capacity version it
    was made against). Reads only; the caller stores it. ``travel`` times the route check of
    the visits to re-plan (:func:`visits_to_replan`), as applying does."""
    check_horizon(municipality, start, weeks)
    version = municipality.capacity_version
    problem, predicted, current = build_problem(
        session, municipality=municipality, start=start, weeks=weeks
    )
    solution = solve(problem, time_limit=time_limit, workers=workers)
    assignments = [
        {
            "expert_id": a.expert_id,
            "date": a.date.isoformat(),
            "start": _iso(problem, a.date, a.start),
            "end": _iso(problem, a.date, a.end),
            "pattern": a.code,
            "break_minutes": a.break_minutes,
            "break_earliest": a.break_earliest.isoformat() if a.break_earliest else None,
            "break_latest": a.break_latest.isoformat() if a.break_latest else None,
        }
        for a in solution.assignments
    ]
    result: dict[str, Any] = {
        "status": solution.status,
        "reasons": explain.reasons(problem, solution.core),
        "assignments": assignments,
        "coverage": {
            "before": coverage(problem, current).public(),
            "after": coverage(problem, solution.assignments).public()
            if solution.feasible
            else None,
        },
        "fairness": {
            "before": fairness(problem, current).public(),
            "after": fairness(problem, solution.assignments).public()
            if solution.feasible
            else None,
        },
        "replan": visits_to_replan(
            session,
            municipality=municipality,
            first=start,
            last=start + dt.timedelta(days=7 * weeks - 1),
            assignments=assignments,
            travel=travel,
        )
        if solution.feasible
        else [],
        "solver": {
            "seconds": round(solution.seconds, 2),
            "penalty": solution.penalty,
            "bound": solution.bound,
        },
        "forecast": {
            "sources_hours": dict(predicted.sources),
            "backtest": predicted.backtest.public(),
        },
        "broken_before": len(broken_promises(problem, current)),
    }
    log.info(
        "rota for municipality %s: %s, %d shifts, %.1f s",
        municipality.id,
        solution.status,
        len(solution.assignments),
        solution.seconds,
    )
    return solution.feasible, result, version


def propose(
    session: Session,
    *,
    municipality: Municipality,
    start: dt.date,
    weeks: int,
    time_limit: float,
    actor: str,
    travel: TravelTimeProvider,
    workers: int = 2,
) -> RotaProposal:
    """Solve a rota for the horizon and store it as an open proposal with its figures (commits).

    An infeasible rota is stored too, marked so, with the reasons in words.
    """
    feasible, result, version = compute(
        session,
        municipality=municipality,
        start=start,
        weeks=weeks,
        time_limit=time_limit,
        travel=travel,
        workers=workers,
    )
    proposal = RotaProposal(
        id=new_id(),
        municipality_id=municipality.id,
        start=start,
        weeks=weeks,
        base_version=version,
        status="open",
        feasible=feasible,
        result=result,
        created_at=clock.now(),
        created_by=actor[:40],
        time_limit=time_limit,
    )
    session.add(proposal)
    session.commit()
    log.info("rota proposal %s stored", proposal.id)
    return proposal


def enqueue(
    session: Session,
    *,
    municipality: Municipality,
    start: dt.date,
    weeks: int,
    time_limit: float,
    actor: str,
) -> RotaProposal:
    """Queue a rota proposal for ``aanhuis worker`` (the horizon is checked now); commits."""
    check_horizon(municipality, start, weeks)
    now = clock.now()
    proposal = RotaProposal(
        id=new_id(),
        municipality_id=municipality.id,
        start=start,
        weeks=weeks,
        base_version=municipality.capacity_version,
        status="queued",
        feasible=False,
        result={},
        created_at=now,
        created_by=actor[:40],
        time_limit=time_limit,
        run_after=now,
    )
    session.add(proposal)
    session.commit()
    log.info("rota proposal %s queued", proposal.id)
    return proposal


def get_proposal(session: Session, *, municipality: Municipality, proposal_id: str) -> RotaProposal:
    """A proposal of this municipality; an open one whose capacity moved on reads as stale."""
    proposal = session.get(RotaProposal, proposal_id)
    if proposal is None or proposal.municipality_id != municipality.id:
        raise NotFound(
            "This rota proposal does not exist.",
            nl="Dit roostervoorstel bestaat niet.",
            proposal=proposal_id,
        )
    return proposal


def status_of(proposal: RotaProposal, municipality: Municipality) -> str:
    if proposal.status == "open" and proposal.base_version != municipality.capacity_version:
        return "stale"
    return proposal.status


def forecast_table(
    session: Session, *, municipality: Municipality, start: dt.date, weeks: int
) -> tuple[list[dict[str, Any]], Forecast]:
    """Forecast against current capacity per week and part of day, in expert-hours: one row per
    skill and a total row (``skill`` None). An expert's hours count for each of their service
    skills in equal shares (the total row counts them once)."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(f"Choose 1 to {MAX_WEEKS} weeks.", nl=f"Kies 1 tot {MAX_WEEKS} weken.")
    problem, predicted, current = build_problem(
        session, municipality=municipality, start=start, weeks=weeks
    )
    service_skills = {s for s, _, _ in problem.demand} | {s for (s, _, _) in predicted.weekly}
    skills_of = {e.id: sorted(e.skills & service_skills) for e in problem.experts}
    demand: dict[tuple[int, Part, str | None], float] = defaultdict(float)
    capacity: dict[tuple[int, Part, str | None], float] = defaultdict(float)
    for (wanted, day, part), minutes in problem.demand.items():
        w = problem.week_of(day)
        demand[(w, part, wanted)] += minutes / 60
        demand[(w, part, None)] += minutes / 60
    for a in current:
        w = problem.week_of(a.date)
        mine = skills_of.get(a.expert_id, [])
        for part, minutes in a.parts().items():
            capacity[(w, part, None)] += minutes / 60
            for own in mine:
                capacity[(w, part, own)] += minutes / 60 / len(mine)
    rows = []
    keys: list[str | None] = [None, *sorted(service_skills)]
    for w in range(weeks):
        for skill in keys:
            for part in Part:
                rows.append(
                    {
                        "week": w + 1,
                        "first": start + dt.timedelta(days=7 * w),
                        "part": part,
                        "skill": skill,
                        "demand_hours": round(demand.get((w, part, skill), 0.0), 1),
                        "capacity_hours": round(capacity.get((w, part, skill), 0.0), 1),
                    }
                )
    return rows, predicted
