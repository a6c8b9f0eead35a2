"""The expert's own API: today's route, status changes from the road, the calendar feed address.

Every route takes the expert's bearer token (or the web pages' session cookie) and works only on
that expert's own day and visits; another expert's visit answers 404, exactly as a visit that does
not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import audit
from api.deps import ExpertUser, ResourceId, SessionDep, SettingsDep
from api.problems import prefers_dutch, problem_responses
from api.runtime import NotifierDep, TravelDep
from scheduler.booking.models import VisitStatus
from scheduler.bounds import Day, Moment
from scheduler.capacity.models import Expert
from scheduler.errors import InvalidInput
from scheduler.route_app import schemas as route_app_schemas
from scheduler.route_app import service as route_app
from scheduler.tenants.models import Municipality
from scheduler.usecases import visit_status

router = APIRouter(prefix="/api/v1", tags=["expert"])

#: Dates a route can be asked for (outside, local midnight cannot even be computed).
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


def _writing_session(request: Request) -> Iterator[Session]:
    """A writing session for a GET that may issue the feed address on first use."""
    with request.app.state.sessions() as session:
        yield session


WritingSession = Annotated[Session, Depends(_writing_session)]


def current_expert(session: SessionDep, user: ExpertUser) -> tuple[Municipality, Expert]:
    """The signed-in expert and their municipality."""
    return route_app.expert_of(session, expert_id=user.expert_id)


CurrentExpert = Annotated[tuple[Municipality, Expert], Depends(current_expert)]


class StatusChange(BaseModel):
    """What the expert reports: a status, and when (now when left out)."""

    status: Literal["on_the_way", "arrived", "completed", "not_home"]
    at: Moment | None = Field(
        default=None,
        description="When it happened, with its UTC offset; at most a minute ahead, not before "
        "the day of the visit, not before the visit's previous status.",
    )
    note: str | None = Field(
        default=None,
        max_length=300,
        description="What the expert saw (kept in the visit's history), e.g. with not_home.",
    )


def _language(request: Request) -> route_app_schemas.Language:
    return "nl" if prefers_dutch(request) else "en"


@router.get(
    "/me/route",
    response_model=route_app_schemas.RouteRead,
    responses=problem_responses(401, 403, 422),
)
def my_route(
    request: Request,
    expert: CurrentExpert,
    session: SessionDep,
    travel: TravelDep,
    date: Annotated[
        Day | None,
        Query(description="The day (YYYY-MM-DD); today in the municipality's time zone."),
    ] = None,
) -> route_app_schemas.RouteRead:
    """The signed-in expert's stops in order, with planned times, legs, breaks and flags."""
    if date is not None and not FIRST_DATE <= date <= LAST_DATE:
        raise InvalidInput(
            f"Choose a date between {FIRST_DATE} and {LAST_DATE}.",
            nl=f"Kies een datum tussen {FIRST_DATE} en {LAST_DATE}.",
        )
    municipality, me = expert
    route = route_app.get_route(
        session,
        municipality=municipality,
        expert=me,
        date=date,
        travel=travel,
        language=_language(request),
    )
    for stop in route.stops:
        if isinstance(stop, route_app_schemas.VisitStop):
            audit.note_ref(
                "read", stop.reference, municipality.id, stop.shown, "visit", stop.service.code
            )
    return route


@router.post(
    "/visits/{visit_id}/status",
    response_model=route_app_schemas.VisitStop,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def set_status(
    visit_id: ResourceId,
    body: StatusChange,
    request: Request,
    expert: CurrentExpert,
    session: SessionDep,
    travel: TravelDep,
    notifier: NotifierDep,
) -> route_app_schemas.VisitStop:
    """Report on the way, arrived, completed or not at home (which messages the citizen new
    times); the rest of the day is re-timed."""
    municipality, me = expert
    return visit_status.report_status(
        session,
        municipality=municipality,
        expert=me,
        visit_id=visit_id,
        status=VisitStatus(body.status),
        at=body.at,
        travel=travel,
        notify=notifier,
        note=body.note,
        language=_language(request),
    )


@router.get(
    "/me/calendar-feed",
    response_model=route_app_schemas.FeedLink,
    responses=problem_responses(401, 403),
)
def my_calendar_feed(
    user: ExpertUser, session: WritingSession, settings: SettingsDep
) -> route_app_schemas.FeedLink:
    """The secret address of the expert's calendar feed, issued on first use.

    Only a hash of the address is stored: once issued, it is not shown again (`url` is null and
    `active` true). A lost address is replaced with `POST /api/v1/me/calendar-feed/rotate`.
    """
    _, me = route_app.expert_of(session, expert_id=user.expert_id)
    return route_app.feed_link(session, expert=me, base_url=settings.base_url)


@router.post(
    "/me/calendar-feed/rotate",
    response_model=route_app_schemas.FeedLink,
    responses=problem_responses(401, 403),
)
def rotate_calendar_feed(
    expert: CurrentExpert, session: SessionDep, settings: SettingsDep
) -> route_app_schemas.FeedLink:
    """A new secret feed address; the old one stops working at once."""
    _, me = expert
    return route_app.rotate_feed_link(session, expert=me, base_url=settings.base_url)
