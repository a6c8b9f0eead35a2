"""Staff sign-in and the expert's route app: ``/login``, ``/logout``, ``/expert/…``.

* ``/login`` takes a user's access token (from ``aanhuis users create``) and starts a server-side
  session (:mod:`api.web.sessions`: the cookie holds a random session id, never the token); experts
  go to their route, planners to ``/planner/`` (or a safe ``next`` path). The token never appears
  in a URL or a log line, and a wrong one is never echoed back into the form. ``/logout`` revokes
  the session on the server.
* ``/expert/`` is a phone page: the day's stops as large cards with re-timed arrivals, the promised
  window, address, service, notes, one-tap navigation, at-risk badges and status buttons. Every
  button is a plain form POST (CSRF-checked), answered with a redirect back to the card, so the
  page works without JavaScript. A date switcher (links and a date field) shows other days.
* The map of the day is an enhancement: ``expert-map.js`` shows it only when Leaflet has loaded,
  with OpenStreetMap tiles (the only third-party host the page may load images from, asked with
  the origin only as referrer). Without script or tiles the list is the page.
* ``/expert/agenda`` issues the secret calendar feed link, shown once (only its hash is stored).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api import audit
from api.deps import ResourceId, SessionDep, SettingsDep
from api.problems import status_of
from api.runtime import NotifierDep, TravelDep
from api.web import oidc
from api.web import sessions as web_sessions
from api.web.forms import Form, PostedForm
from api.web.rendering import SECURITY_HEADERS, Page, PageDep, PageRoute
from routing.travel import TravelTimeProvider
from scheduler import bounds, clock
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role, User
from scheduler.booking import models as booking_models
from scheduler.booking.models import VisitStatus
from scheduler.capacity.models import Expert
from scheduler.day import shifts as day_shifts
from scheduler.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unauthenticated
from scheduler.route_app import schemas as route_app_schemas
from scheduler.route_app import service as route_app
from scheduler.tenants.models import Municipality
from scheduler.usecases import visit_status

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def map_csp(tiles: str) -> str:
    """The pages with a map may load images from its tile server; nothing else is loosened."""
    parts = urlsplit(tiles)
    return SECURITY_HEADERS["Content-Security-Policy"].replace(
        "img-src 'self' data:", f"img-src 'self' data: {parts.scheme}://{parts.netloc}"
    )


LEAFLET_CSS = "/assets/npm/leaflet/dist/leaflet.css"
LEAFLET_JS = "/assets/npm/leaflet/dist/leaflet.js"
EXPERT_CSS = "/assets/app/css/expert.css"
EXPERT_JS = "/assets/app/js/expert-map.js"
DAY_PATH = "/expert/"


def signed_in(request: Request, session: Session) -> User | None:
    """The user of the request's live sign-in session, or None."""
    return web_sessions.current_user(request, session)


def safe_next(value: str | None) -> str | None:
    """A local path to go to after signing in; anything that could leave the site is dropped."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def _login_redirect(page: Page, here: str) -> Response:
    return page.redirect(f"/login?next={quote(here, safe='/')}")


def _expert(session: Session, user: User) -> tuple[Municipality, Expert]:
    if user.role is not Role.EXPERT:
        raise NotAllowed("Only experts have a route.", nl="Alleen medewerkers hebben een route.")
    return route_app.expert_of(session, expert_id=user.expert_id)


# -- sign in / out --------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(page: PageDep, next: str | None = None) -> Response:
    """The sign-in form."""
    return page.render(
        "expert/login.html",
        form=Form(),
        next=safe_next(next),
        providers=page.request.app.state.settings.oidc_providers,
    )


@router.post("/login", response_class=HTMLResponse)
def login(page: PageDep, form: PostedForm, session: SessionDep) -> Response:
    """Check the access token and keep it in the session cookie."""
    token = form.get("token")
    user: User | None = None
    if not token:
        form.add_error("token", page.t("login.token.missing"))
    else:
        try:
            user = accounts.authenticate(session, token)
        except Unauthenticated:
            form.add_error("token", page.t("login.token.invalid"))
    target = safe_next(form.get("next"))
    if user is None:
        form.values.pop("token", None)  # a secret is never written back into a page
        page.here = "/login"
        return page.render(
            "expert/login.html",
            status=422,
            form=form,
            next=target,
            providers=page.request.app.state.settings.oidc_providers,
        )
    if target is None:
        target = DAY_PATH if user.role is Role.EXPERT else "/planner/"
    response = page.redirect(target)
    web_sessions.start(session, page.request, response, user)
    return response


@router.post("/logout", response_class=HTMLResponse)
def logout(page: PageDep, form: PostedForm, session: SessionDep) -> Response:
    """End the session on the server and forget its cookie."""
    response = page.redirect("/login")
    method = web_sessions.end(session, page.request, response)
    # Signed in with OpenID Connect: end the provider's session too, where it supports that.
    beyond = oidc.end_session_url(page.request.app.state.settings, method)
    if beyond is not None:
        response.headers["location"] = beyond
    return response


# -- the day --------------------------------------------------------------------------------------


def _date(value: str | None, municipality: Municipality) -> dt.date:
    return bounds.parse_day(value) or day_shifts.today_of(municipality)


def _day_page(
    page: Page,
    municipality: Municipality,
    route: route_app_schemas.RouteRead,
    *,
    tiles: str,
    changed: int | None = None,
    refused: str | None = None,
    status: int = 200,
) -> Response:
    page.use(municipality)
    page.headers["Content-Security-Policy"] = map_csp(tiles)
    tz = clock.zone(municipality.timezone)
    today = day_shifts.today_of(municipality)
    date = route.date
    page.here = f"{DAY_PATH}?datum={date.isoformat()}"
    visits = [s for s in route.stops if isinstance(s, route_app_schemas.VisitStop)]
    return page.render(
        "expert/day.html",
        status=status,
        route=route,
        visits=visits,
        tz=tz,
        date=date,
        today=today,
        days={
            "previous": (date - dt.timedelta(days=1)).isoformat(),
            "next": (date + dt.timedelta(days=1)).isoformat(),
            "today": today.isoformat(),
        },
        changed=changed,
        refused=refused,
        travel_minutes=round(route.travel_seconds / 60),
        minutes=lambda seconds: max(1, round(seconds / 60)) if seconds else 0,
        assets={
            "leaflet_css": LEAFLET_CSS,
            "leaflet_js": LEAFLET_JS,
            "css": EXPERT_CSS,
            "js": EXPERT_JS,
            "tiles": tiles,
        },
    )


def _route(
    session: Session,
    municipality: Municipality,
    expert: Expert,
    date: dt.date,
    travel: TravelTimeProvider,
    page: Page,
) -> route_app_schemas.RouteRead:
    route = route_app.get_route(
        session,
        municipality=municipality,
        expert=expert,
        date=date,
        travel=travel,
        language=page.lang,
    )
    for stop in route.stops:
        if isinstance(stop, route_app_schemas.VisitStop):
            audit.note_ref(
                "read", stop.reference, municipality.id, stop.shown, "visit", stop.service.code
            )
    return route


@router.get("/expert/", response_class=HTMLResponse)
def day(
    page: PageDep,
    session: SessionDep,
    travel: TravelDep,
    settings: SettingsDep,
    datum: str | None = None,
    gewijzigd: int | None = None,
) -> Response:
    """The expert's stops of a day (today by default) as cards, with a map when it can load."""
    user = signed_in(page.request, session)
    if user is None:
        return _login_redirect(page, DAY_PATH)
    municipality, expert = _expert(session, user)
    date = _date(datum, municipality)
    route = _route(session, municipality, expert, date, travel, page)
    return _day_page(page, municipality, route, tiles=settings.map_tiles, changed=gewijzigd)


@router.post("/expert/bezoeken/{visit_id}/status", response_class=HTMLResponse)
def set_status(
    visit_id: ResourceId,
    page: PageDep,
    form: PostedForm,
    session: SessionDep,
    travel: TravelDep,
    settings: SettingsDep,
    notifier: NotifierDep,
) -> Response:
    """A status button: change it, then back to the card (or the day with the reason why not).

    "Not home" is final and messages the citizen, so it needs the confirm step's ``bevestigd``:
    without it the button leads to that step first.
    """
    user = signed_in(page.request, session)
    if user is None:
        return _login_redirect(page, DAY_PATH)
    municipality, expert = _expert(session, user)
    wanted = form.get("status")
    if wanted == VisitStatus.NOT_HOME.value and form.get("bevestigd") != "ja":
        return page.redirect(
            f"/expert/bezoeken/{visit_id}/niet-thuis?datum={quote(form.get('datum'))}"
        )
    try:
        if wanted not in {s.value for s in booking_models.EXPERT_STATUSES}:
            raise InvalidInput("Choose a status.", nl="Kies een status.")
        stop = visit_status.report_status(
            session,
            municipality=municipality,
            expert=expert,
            visit_id=visit_id,
            status=VisitStatus(wanted),
            at=None,
            travel=travel,
            notify=notifier,
            note=form.get("notitie") or None,
            language=page.lang,
        )
    except (Conflict, InvalidInput, NotFound) as exc:
        session.rollback()
        date = _date(form.get("datum"), municipality)
        route = _route(session, municipality, expert, date, travel, page)
        detail = exc.detail if page.lang == "en" else exc.detail_nl
        return _day_page(
            page,
            municipality,
            route,
            tiles=settings.map_tiles,
            refused=detail,
            status=status_of(exc),
        )
    date = stop.window.start.date()
    return page.redirect(
        f"{DAY_PATH}?datum={date.isoformat()}&gewijzigd={stop.visit_id}#bezoek-{stop.visit_id}"
    )


@router.get("/expert/bezoeken/{visit_id}/niet-thuis", response_class=HTMLResponse)
def confirm_not_home(
    visit_id: ResourceId,
    page: PageDep,
    session: SessionDep,
    travel: TravelDep,
    datum: str | None = None,
) -> Response:
    """The confirm step of "not home": what happens next, an optional note, then the POST."""
    user = signed_in(page.request, session)
    if user is None:
        return _login_redirect(page, DAY_PATH)
    municipality, expert = _expert(session, user)
    page.use(municipality)
    date = _date(datum, municipality)
    route = _route(session, municipality, expert, date, travel, page)
    stop = next(
        (
            s
            for s in route.stops
            if isinstance(s, route_app_schemas.VisitStop) and s.visit_id == visit_id
        ),
        None,
    )
    if stop is None:
        raise NotFound("You have no such visit.", nl="U heeft zo'n bezoek niet.")
    page.here = f"{DAY_PATH}?datum={date.isoformat()}"
    return page.render(
        "expert/not_home.html",
        stop=stop,
        date=date,
        tz=clock.zone(municipality.timezone),
        allowed=VisitStatus.NOT_HOME in stop.next_statuses,
        back=f"{DAY_PATH}?datum={date.isoformat()}#bezoek-{visit_id}",
        assets={"css": EXPERT_CSS},
    )


# -- calendar feed --------------------------------------------------------------------------------


def _calendar_page(
    page: Page, municipality: Municipality, expert: Expert, **values: Any
) -> Response:
    page.use(municipality)
    page.here = "/expert/agenda"
    return page.render("expert/calendar.html", active=expert.feed_token_hash is not None, **values)


@router.get("/expert/agenda", response_class=HTMLResponse)
def calendar(page: PageDep, session: SessionDep) -> Response:
    """What the calendar subscription is, and a button to make a (new) link."""
    user = signed_in(page.request, session)
    if user is None:
        return _login_redirect(page, "/expert/agenda")
    municipality, expert = _expert(session, user)
    return _calendar_page(page, municipality, expert, link=None)


@router.post("/expert/agenda", response_class=HTMLResponse)
def make_calendar_link(
    page: PageDep, form: PostedForm, session: SessionDep, settings: SettingsDep
) -> Response:
    """Issue a new feed link (the old one stops working) and show it, this once."""
    user = signed_in(page.request, session)
    if user is None:
        return _login_redirect(page, "/expert/agenda")
    municipality, expert = _expert(session, user)
    link = route_app.rotate_feed_link(session, expert=expert, base_url=settings.base_url)
    return _calendar_page(page, municipality, expert, link=link)
