"""The planner's pages: ``/planner/{slug}/…`` for a municipality's planners (and admins).

This module holds what every planner page shares — who may see them, the section navigation,
rendering — and the overview and phone-task pages (with the visits nobody was home for). The
other sections live next to it: one module per page family of capacity — ``planner_heatmap``,
``planner_experts``, ``planner_shifts``, ``planner_absences`` (and disruption),
``planner_closures``, ``planner_services``, all answering through ``planner_changes`` (what a
change did to booked visits) — and ``planner_day`` (day view), ``planner_proposal`` (queued
optimisation, the proposal explained, apply), ``planner_desk`` (booking on behalf of a caller,
finding people) and ``planner_kpis`` (KPIs, peer comparison, CSV).
``api.routers.planner_pages`` mounts them all.

Access: the session cookie of ``/login`` (:data:`api.deps.SESSION_COOKIE`). Nobody signed in is
sent to ``/login`` and back; a planner of another municipality or an expert gets a friendly 403
page; an admin may open every municipality. Every page calls the scheduler's use cases and reads;
no business rule is repeated here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api import audit
from api.deps import ResourceId, SessionDep
from api.runtime import KeysDep, TravelDep, keys_of, sendable_channels
from api.web.expert import signed_in
from api.web.forms import Form, PostedForm
from api.web.i18n import Translator
from api.web.rendering import Page, PageDep, PageRoute, TenantPage, get_page
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.accounts.models import Role, User
from scheduler.audit.policy import LIST_FIELDS, list_line
from scheduler.booking.models import Visit
from scheduler.capacity.overview import capacity_overview
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.notify import service as notify
from scheduler.notify.models import OutboxMessage
from scheduler.notify.recipients import recipient_of
from scheduler.notify.templates import PHONE_PREFIX, service_name
from scheduler.route_app import service as route_app
from scheduler.security import KeyRing
from scheduler.tenants import service as tenants
from scheduler.tenants.models import Municipality

PREFIX = "/planner/{slug:municipality_slug}"
PLANNER_CSS = "/assets/app/css/planner.css"
#: Days the overview shows: today and the coming week.
OVERVIEW_DAYS = 7


class SignInRequired(Exception):
    """Nobody is signed in: the page sends the browser to ``/login`` and back."""


class Forbidden(Exception):
    """Signed in, but not as a planner of this municipality (or an admin)."""

    def __init__(self, user: User) -> None:
        super().__init__("not a planner of this municipality")
        self.user = user


def _login_url(request: Request) -> str:
    # After a POST the browser comes back with GET, so it returns to the section's start page.
    path = request.url.path if request.method == "GET" else "/planner/"
    return f"/login?next={quote(path, safe='/')}"


def forbidden_page(page: Page, user: User) -> HTMLResponse:
    """The friendly 403 page: who is signed in, and where they can go instead."""
    home = "/expert/" if user.role is Role.EXPERT else "/planner/"
    return page.render(
        "planner/forbidden.html",
        status=403,
        role=user.role.value,
        home=home,
        nav=None,
        planner_css=PLANNER_CSS,
    )


class PlannerRoute(PageRoute):
    """A page route behind the planner sign-in (``route_class`` of the planner routers)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                page: Page = getattr(request.state, "page", None) or get_page(request)
                return page.redirect(_login_url(request))
            except Forbidden as exc:
                page = getattr(request.state, "page", None) or get_page(request)
                return forbidden_page(page, exc.user)

        return handle


def may_plan(user: User, municipality: Municipality) -> bool:
    """A planner of this municipality, or an admin (as ``api.deps.require_planner`` decides)."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.PLANNER and user.municipality_id == municipality.id


@dataclass
class NavItem:
    key: str
    href: str
    current: bool


#: The sections of the planner's pages, in the order of the navigation.
SECTIONS = (
    ("overview", ""),
    ("day", "dag"),
    ("capacity", "capaciteit"),
    ("experts", "medewerkers"),
    ("closures", "sluitingsdagen"),
    ("rota", "rooster"),
    ("services", "diensten"),
    ("desk", "balie"),
    ("calls", "bellen"),
    ("kpis", "kpis"),
)


@dataclass
class PlannerPage:
    """A planner page: the page (language, theme, CSRF), the signed-in user, the municipality."""

    page: Page
    user: User
    municipality: Municipality

    @property
    def t(self) -> Translator:
        return self.page.t

    @property
    def base(self) -> str:
        """``/planner/{slug}``: the root of this municipality's planner pages."""
        return f"/planner/{self.municipality.slug}"

    @property
    def actor(self) -> str:
        """Who did it, in visit histories and proposals (``planner:{id}``, as the API writes)."""
        return f"planner:{self.user.id}"

    @property
    def tz(self) -> Any:
        return clock.zone(self.municipality.timezone)

    def today(self) -> dt.date:
        return day_shifts.today_of(self.municipality)

    def nav(self, section: str) -> list[NavItem]:
        return [NavItem(key, f"{self.base}/{path}", key == section) for key, path in SECTIONS]

    def render(
        self, template: str, *, section: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        """Render a planner page with the section navigation and the planner stylesheet."""
        return self.page.render(
            template,
            status=status,
            nav=self.nav(section),
            base=self.base,
            planner_css=PLANNER_CSS,
            user=self.user,
            tz=self.tz,
            **values,
        )

    def redirect(self, url: str) -> Response:
        return self.page.redirect(url)


def get_planner_page(page: TenantPage, session: SessionDep) -> PlannerPage:
    """The signed-in planner of the ``{slug}`` municipality (or an admin), else sign-in or 403."""
    user = signed_in(page.request, session)
    if user is None:
        raise SignInRequired
    municipality = page.municipality
    assert municipality is not None
    if not may_plan(user, municipality):
        raise Forbidden(user)
    return PlannerPage(page, user, municipality)


PlannerDep = Annotated[PlannerPage, Depends(get_planner_page)]

router = APIRouter(route_class=PlannerRoute, include_in_schema=False)


# -- shared view helpers --------------------------------------------------------------------------


def capitalised(text: str) -> str:
    """A date as a heading or table cell starts with a capital."""
    return text[:1].upper() + text[1:]


def percent(share: float | None) -> str:
    """A share as a whole percentage ("53%"), or an en dash when there is none."""
    return "–" if share is None else f"{round(share * 100)}%"


def hours(minutes: int, t: Translator) -> str:
    """Minutes as hours with one decimal in the page's language ("7,5 u" / "7.5 h")."""
    value = f"{minutes / 60:.1f}"
    return t("planner.hours", value=value.replace(".", ",") if t.lang == "nl" else value)


@dataclass(frozen=True)
class VisitLine:
    """A visit as a planner's list shows it (the promise, where it sits, and the flags)."""

    id: int
    reference: str
    date: dt.date
    window: str
    service: str
    address: str
    expert: str | None
    arrival: str | None
    status: str
    at_risk: bool
    unplanned: bool


def visit_lines(
    state: day_state.DayState, ids: Sequence[int], t: Translator, *, unplanned: bool = False
) -> list[VisitLine]:
    """The visits ``ids`` of a loaded day, by promised window (each read goes in the access log)."""
    out = []
    for vid in ids:
        v = state.visits[vid]
        audit.note("read", v, LIST_FIELDS, "planning")
        expert = state.experts.get(v.expert_id) if v.expert_id is not None else None
        out.append(
            VisitLine(
                id=v.id,
                reference=v.reference,
                date=state.date,
                window=t.times(v.window_start, v.window_end, state.tz),
                service=service_name(state.services[v.service_type_id], t.lang),
                address=list_line(v.citizen_name, v.postcode),
                expert=expert.name if expert is not None else None,
                arrival=t.time(v.planned_arrival, state.tz) if v.planned_arrival else None,
                status=t(f"status.{v.status.value}"),
                at_risk=v.at_risk,
                unplanned=unplanned,
            )
        )
    return sorted(out, key=lambda line: (line.date, line.window, line.reference))


def watch_list(
    session: Session, municipality: Municipality, dates: Sequence[dt.date], t: Translator
) -> tuple[list[VisitLine], list[VisitLine]]:
    """Promises at risk (running late) and visits no plan holds, on ``dates``."""
    at_risk: list[VisitLine] = []
    unplanned: list[VisitLine] = []
    for day in dates:
        state = day_state.load_day(session, municipality, day)
        waiting = set(state.unplanned)
        risky = [v.id for v in state.visits.values() if v.at_risk and v.id not in waiting]
        at_risk += visit_lines(state, risky, t)
        unplanned += visit_lines(state, sorted(waiting), t, unplanned=True)
    return at_risk, unplanned


@dataclass(frozen=True)
class PhoneTask:
    """A message a planner must pass on by phone, with whom to call."""

    id: int
    kind: str
    created: str
    reference: str | None
    name: str | None
    phone: str | None
    subject: str
    body: str
    #: Why the call: no channel reaches them, undeliverable, or Notify's delivery failed.
    why: str


def phone_tasks(
    session: Session,
    municipality: Municipality,
    t: Translator,
    keys: KeyRing | None = None,
    sendable: tuple[str, ...] = ("email", "sms", "letter"),
) -> list[PhoneTask]:
    """The outbox's phone tasks (oldest first) with the name and number to call: the contact
    person who booked for the citizen, or the citizen."""
    tz = clock.zone(municipality.timezone)
    out = []
    for message in notify.phone_tasks(session, municipality=municipality, sendable=sendable):
        visit = session.get(Visit, message.visit_id) if message.visit_id is not None else None
        if visit is not None:  # the access log: the call list shows name, phone and the text
            audit.note("read", visit, ("name", "phone", "message"), "calls")
        local = message.created_at.astimezone(tz)
        out.append(
            PhoneTask(
                id=message.id,
                kind=t(f"message.{message.kind}"),
                created=f"{t.date(local.date())}, {local:%H:%M}",
                reference=visit.reference if visit is not None else None,
                name=recipient_of(visit).name if visit is not None else None,
                phone=recipient_of(visit).phone if visit is not None else None,
                subject=message.subject.removeprefix(PHONE_PREFIX),
                body=_readable(message, keys),
                why=t(
                    f"planner.calls.{notify.call_reason(message)}",
                    channel=t(f"channel.{message.channel}"),
                ),
            )
        )
    return out


def _readable(message: OutboxMessage, keys: KeyRing | None) -> str:
    try:
        return notify.display_text(message, keys)
    except ValueError:  # written under another secret: the task still says whom to call
        return ""


# -- pages ----------------------------------------------------------------------------------------


@router.get("/planner/", response_class=HTMLResponse)
def index(page: PageDep, session: SessionDep) -> Response:
    """Where a planner starts: their own municipality; an admin chooses one."""
    user = signed_in(page.request, session)
    if user is None:
        return page.redirect(_login_url(page.request))
    if user.role is Role.PLANNER and user.municipality_id is not None:
        municipality = session.get(Municipality, user.municipality_id)
        if municipality is not None:
            return page.redirect(f"/planner/{municipality.slug}/")
    if user.role is not Role.ADMIN:
        return forbidden_page(page, user)
    return page.render(
        "planner/index.html",
        municipalities=tenants.get_all(session),
        nav=None,
        planner_css=PLANNER_CSS,
    )


@dataclass(frozen=True)
class DayGlance:
    date: dt.date
    label: str
    experts: int
    visits: int
    utilisation: str
    free: str
    unplanned: int
    at_risk: int
    closed: bool


@router.get(f"{PREFIX}/", response_class=HTMLResponse)
def overview(pp: PlannerDep, session: SessionDep, travel: TravelDep) -> Response:
    """Today and the coming days at a glance, promises at risk, phone tasks, links onwards."""
    return _overview(pp, session, travel)


def _overview(pp: PlannerPage, session: Session, travel: TravelTimeProvider) -> HTMLResponse:
    t, m = pp.t, pp.municipality
    today = pp.today()
    figures = capacity_overview(
        session, municipality=m, start=today, days=OVERVIEW_DAYS, travel=travel
    )
    at_risk, unplanned = watch_list(session, m, figures.dates, t)
    closed = day_shifts.closed_dates(session, municipality=m, first=figures.start, last=figures.end)
    risky_by_day: dict[dt.date, int] = {}
    for line in at_risk:
        risky_by_day[line.date] = risky_by_day.get(line.date, 0) + 1
    days = [
        DayGlance(
            date=d.date,
            label=capitalised(t.date(d.date)),
            experts=d.experts_working,
            visits=d.figures.visits,
            utilisation=percent(d.figures.utilisation),
            free=hours(d.figures.free, t),
            unplanned=d.unplanned_visits,
            at_risk=risky_by_day.get(d.date, 0),
            closed=d.date in closed,
        )
        for d in figures.days
    ]
    settings = pp.page.request.app.state.settings
    tasks = phone_tasks(session, m, t, keys_of(settings), sendable_channels(settings, m.slug))
    return pp.render(
        "planner/overview.html",
        section="overview",
        today=today,
        days=days,
        at_risk=at_risk,
        unplanned=unplanned,
        tasks=tasks,
    )


@router.get(f"{PREFIX}/bellen", response_class=HTMLResponse)
def calls(
    pp: PlannerDep, session: SessionDep, keys: KeysDep, afgehandeld: int | None = None
) -> Response:
    """Messages for citizens without e-mail (or whose e-mail failed): who to call, what to say."""
    settings = pp.page.request.app.state.settings
    sendable = sendable_channels(settings, pp.municipality.slug)
    tasks = phone_tasks(session, pp.municipality, pp.t, keys, sendable)
    tz = clock.zone(pp.municipality.timezone)
    calls_due = notify.not_home_calls(session, municipality=pp.municipality, now=clock.now())
    notes = {
        v.id: note
        for v, note in route_app.not_home_visits(
            session,
            municipality=pp.municipality,
            since=min((v.date for v in calls_due), default=pp.today()),
        )
    }
    for v in calls_due:
        audit.note("read", v, ("name", "phone", "notes"), "calls")
    not_home = [
        NotHomeCall(
            id=v.id,
            reference=v.reference,
            name=recipient_of(v).name,
            phone=recipient_of(v).phone,
            when=capitalised(pp.t.date(v.date))
            + ", "
            + pp.t.window(v.window_start, v.window_end, tz),
            note=notes.get(v.id),
        )
        for v in calls_due
    ]
    return pp.render(
        "planner/calls.html",
        section="calls",
        tasks=tasks,
        not_home=not_home,
        handled=afgehandeld,
    )


@dataclass(frozen=True)
class NotHomeCall:
    """A visit where nobody was home: call for a new appointment."""

    id: int
    reference: str
    name: str | None
    phone: str | None
    when: str
    #: What the expert noted at the door (the route app's "niet thuis" note).
    note: str | None = None


@router.post(f"{PREFIX}/bellen/bezoek/{{visit_id}}/afgehandeld", response_class=HTMLResponse)
def not_home_called(
    pp: PlannerDep, form: PostedForm, session: SessionDep, visit_id: ResourceId
) -> Response:
    """The planner called about a not-home visit: it leaves the list (the form only carries the
    CSRF token)."""
    notify.mark_called(
        session, municipality=pp.municipality, visit_id=visit_id, actor=pp.actor, now=clock.now()
    )
    session.commit()
    return pp.redirect(f"{pp.base}/bellen?afgehandeld={visit_id}")


@router.post(f"{PREFIX}/bellen/{{message_id}}/afgehandeld", response_class=HTMLResponse)
def call_handled(
    pp: PlannerDep, form: PostedForm, session: SessionDep, message_id: ResourceId
) -> Response:
    """The planner phoned: the task leaves the list (the form only carries the CSRF token)."""
    notify.mark_handled(
        session, municipality=pp.municipality, message_id=message_id, now=clock.now()
    )
    # mark_handled only flushes (it is a step of the outbox); this request is its unit of work.
    session.commit()
    return pp.redirect(f"{pp.base}/bellen?afgehandeld={message_id}")


# -- form validation through the domain's own schemas ---------------------------------------------


def schema_errors(
    exc: ValidationError, form: Form, t: Translator, fields: dict[str, str], fallback: str
) -> None:
    """Put a schema's validation errors on the form fields they belong to, in the page language.

    ``fields`` maps schema field names to form field names; errors of the whole model (a shift
    that ends before it starts) go to ``fallback``. The schema stays the one place for the rules.
    """
    for error in exc.errors():
        loc = error.get("loc") or ()
        name = fields.get(str(loc[0]), fallback) if loc else fallback
        ctx = error.get("ctx") or {}
        kind = error.get("type", "")
        if kind in ("int_parsing", "int_type", "int_from_float", "float_parsing"):
            message = t("planner.error.number")
        elif kind in ("greater_than_equal", "greater_than"):
            message = t("planner.error.min", min=ctx.get("ge", ctx.get("gt", "")))
        elif kind in ("less_than_equal", "less_than"):
            message = t("planner.error.max", max=ctx.get("le", ctx.get("lt", "")))
        elif kind in ("string_too_short", "missing"):
            message = t("planner.error.required")
        elif kind == "string_too_long":
            message = t("error.too_long", max=ctx.get("max_length", ""))
        elif kind == "string_pattern_mismatch":
            message = t("planner.error.code")
        elif kind in ("time_parsing", "time_type"):
            message = t("planner.error.time")
        elif kind in ("date_parsing", "date_type", "date_from_datetime_parsing"):
            message = t("planner.error.date")
        else:
            message = t("planner.error.check")
        form.add_error(name, message)


def blank_to_none(values: dict[str, str]) -> dict[str, str | None]:
    """Empty optional fields mean "not given" to the schemas."""
    return {k: (v.strip() or None) for k, v in values.items()}
