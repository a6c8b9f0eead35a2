"""Planners export a day in VROOM's JSON formats: the routing problem and the current plan.

Both use the same problem (:func:`scheduler.planning.dayplan.problem_of`), so the plan can be
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
from api.runtime import TravelDep
from routing.model import Problem, Route, Solution, StepType
from routing.replay import StopRef, replay
from routing.travel import TravelTimeProvider
from routing.vroom import problem_to_vroom, solution_to_vroom
from scheduler.booking.schemas import problem_responses
from scheduler.errors import InvalidInput
from scheduler.planning import dayplan
from scheduler.tenants.models import Municipality

router = APIRouter(prefix="/api/v1/municipalities", tags=["planning"])

#: Dates a plan can be asked for (outside, local midnight cannot even be computed).
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


def _day(
    session: Session, municipality: Municipality, date: dt.date, travel: TravelTimeProvider
) -> tuple[Problem, dict[int, list[StopRef]]]:
    if not FIRST_DATE <= date <= LAST_DATE:
        raise InvalidInput(
            f"Choose a date between {FIRST_DATE} and {LAST_DATE}.",
            nl=f"Kies een datum tussen {FIRST_DATE} en {LAST_DATE}.",
            field="date",
        )
    state = dayplan.load_day(session, municipality, date)
    problem, _, orders = dayplan.problem_of(state, travel)
    return problem, orders


def plan_of(problem: Problem, orders: dict[int, list[StopRef]]) -> Solution:
    """Each expert's current stop order, timed by replay; visits in no order are unassigned.

    Experts without visits are left out, as VROOM leaves out unused vehicles.
    """
    routes: list[Route] = []
    served: set[int] = set()
    for vehicle in problem.vehicles:
        stops = orders.get(vehicle.id, [])
        visits = [i for k, i in stops if k is StepType.VISIT]
        if not visits:
            continue
        routes.append(replay(problem, vehicle, stops).route)
        served.update(visits)
    unassigned = tuple(v.id for v in problem.visits if v.id not in served)
    return Solution(routes=tuple(routes), unassigned=unassigned)


@router.get(
    "/{slug}/days/{date}/routing-problem",
    response_model=dict[str, Any],
    responses=problem_responses(401, 403, 404, 422),
)
def routing_problem(
    date: dt.date,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    travel: TravelDep,
) -> dict[str, Any]:
    """The day as a VROOM problem: working experts (vehicles) and booked visits (jobs).

    Jobs carry their promised window as `time_windows`; vehicles their shift, breaks, skills and
    maximum number of visits. Times are seconds since local midnight of `date`.
    """
    problem, _ = _day(session, municipality, date, travel)
    return problem_to_vroom(problem)


@router.get(
    "/{slug}/days/{date}/plan",
    response_model=dict[str, Any],
    responses=problem_responses(401, 403, 404, 422),
)
def plan(
    date: dt.date,
    municipality: MunicipalityDep,
    planner: Planner,
    session: SessionDep,
    travel: TravelDep,
) -> dict[str, Any]:
    """The current plan in VROOM's output format, for the problem of `routing-problem`.

    Each expert's stop order is timed as the routing engine times it; visits no expert holds
    (after a disruption) are listed as `unassigned`.
    """
    problem, orders = _day(session, municipality, date, travel)
    return solution_to_vroom(problem, plan_of(problem, orders))
