"""Planners export a day in VROOM's JSON formats: the routing problem and the current plan.

Both use the same problem (:func:`scheduler.day.state.problem_of`), so the plan can be
checked against the problem with ``aanhuis route check problem.json plan.json`` or fed to VROOM
itself. Vehicle ids are expert ids, job ids are visit ids; times are seconds since the local
midnight of the date; coordinates are ``[lon, lat]``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from api.deps import MunicipalityDep, Planner, SessionDep
from api.problems import problem_responses
from api.runtime import TravelDep
from routing.vroom import problem_to_vroom, solution_to_vroom
from scheduler.bounds import Day
from scheduler.day import state as day_state
from scheduler.errors import InvalidInput
from scheduler.tenants.models import Municipality

router = APIRouter(prefix="/api/v1/municipalities", tags=["planning"])

#: Dates a plan can be asked for (outside, local midnight cannot even be computed).
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


def _day(session: Session, municipality: Municipality, date: dt.date) -> day_state.DayState:
    if not FIRST_DATE <= date <= LAST_DATE:
        raise InvalidInput(
            f"Choose a date between {FIRST_DATE} and {LAST_DATE}.",
            nl=f"Kies een datum tussen {FIRST_DATE} en {LAST_DATE}.",
            field="date",
        )
    return day_state.load_day(session, municipality, date)


@router.get(
    "/{slug}/days/{date}/routing-problem",
    response_model=dict[str, Any],
    responses=problem_responses(401, 403, 404, 422),
)
def routing_problem(
    date: Day,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    travel: TravelDep,
) -> dict[str, Any]:
    """The day as a VROOM problem: working experts (vehicles) and booked visits (jobs).

    Jobs carry their promised window as `time_windows`; vehicles their shift, breaks, skills and
    maximum number of visits. Times are seconds since local midnight of `date`.
    """
    problem, _, _ = day_state.problem_of(_day(session, municipality, date), travel)
    return problem_to_vroom(problem)


@router.get(
    "/{slug}/days/{date}/plan",
    response_model=dict[str, Any],
    responses=problem_responses(401, 403, 404, 422),
)
def plan(
    date: Day,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    travel: TravelDep,
) -> dict[str, Any]:
    """The current plan in VROOM's output format, for the problem of `routing-problem`.

    Each expert's stop order is timed as the routing engine times it; visits no expert holds
    (after a disruption) are listed as `unassigned`.
    """
    problem, solution, _ = day_state.current_solution(_day(session, municipality, date), travel)
    return solution_to_vroom(problem, solution)
