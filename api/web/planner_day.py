"""The planner's day: routes on a map and as a timeline, the way to optimise; sick reports.

* ``/planner/{slug}/dag/{date}`` shows every expert's route of the day as a timeline (an SVG drawn
  on the server: the promised windows, the planned visits, breaks and travel) and as lists, with
  at-risk flags and the visits no plan holds. The map is an enhancement (``planner-map.js`` with
  Leaflet and OpenStreetMap tiles); without script or tiles the timeline and lists are the page.
  The times are the route app's (:func:`scheduler.route_app.service.get_route`), so the planner
  sees the same re-timed forecast the expert does.
* Optimising is queued as a job and explained on the proposal page
  (:mod:`api.web.planner_proposal`); the day page lists the day's latest optimisations, so a
  planner can leave and come back.
* Reporting an expert sick for the day records the sickness through the capacity use case: the
  visits it breaks are listed first, then re-planned (moved to colleagues, or listed with the
  alternatives held for them and the message queued).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api import audit
from api.deps import SessionDep, SettingsDep
from api.runtime import NotifierDep, TravelDep
from api.web.expert import LEAFLET_CSS, LEAFLET_JS, map_csp
from api.web.forms import PostedForm
from api.web.i18n import Translator
from api.web.planner import (
    PREFIX,
    PlannerDep,
    PlannerPage,
    capitalised,
    router,
    visit_lines,
)
from api.web.planner_absences import record_exception
from api.web.planner_changes import replan_of
from api.web.planner_modes import job_lines, mode_options
from routing.travel import TravelTimeProvider
from scheduler import bounds, clock
from scheduler.audit.policy import LIST_FIELDS, list_line
from scheduler.capacity import service as capacity
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.errors import NotFound
from scheduler.route_app import schemas as route_app_schemas
from scheduler.route_app import service as route_app

PLANNER_MAP_JS = "/assets/app/js/planner-map.js"
#: What the day view shows of each citizen: initials and postcode, and needs (for interpreters).
DAY_FIELDS = (*LIST_FIELDS, "needs")
#: Dates a day page can show (outside, local midnight cannot even be computed).

# Timeline geometry, in SVG user units (the SVG scales to the page's width).
TIMELINE_WIDTH = 1000
NAMES = 170.0
LANE = 56.0
AXIS = 26.0


def parse_day(raw: str) -> dt.date:
    """The date in a day page's path, or a friendly 404."""
    day = bounds.parse_day(raw)
    if day is None:
        raise NotFound("There is no such day.", nl="Deze dag bestaat niet.")
    return day


@dataclass(frozen=True)
class Block:
    """A shape on the timeline: ``kind`` is shift, window, travel, visit or break."""

    kind: str
    x: float
    y: float
    w: float
    h: float
    label: str
    title: str
    at_risk: bool = False
    done: bool = False


@dataclass(frozen=True)
class StopLine:
    """A row of an expert's list: a visit or a break, with everything the timeline draws."""

    kind: str
    number: int
    arrival: str
    window: str
    service: str
    reference: str
    address: str
    status: str
    status_key: str
    at_risk: bool
    travel: int
    duration: int
    lat: float | None
    lon: float | None
    #: The citizen's needs in words ("Tolk: Arabisch; Bel eerst voordat u komt").
    needs: str = ""


@dataclass
class Lane:
    index: int
    expert_id: int
    name: str
    y: float
    shift: str | None
    travel: int
    visits: int
    ends_late: bool
    start_label: str
    start_lat: float
    start_lon: float
    end_lat: float
    end_lon: float
    blocks: list[Block] = field(default_factory=list)
    stops: list[StopLine] = field(default_factory=list)


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    names: float
    ticks: list[tuple[float, str]]
    lanes: list[Lane]


def timeline_span(
    routes: list[route_app_schemas.RouteRead],
    origin: dt.datetime,
    extra: Sequence[dt.datetime] = (),
) -> tuple[int, int]:
    """The hours the timeline spans: every shift, stop and window (and ``extra``), whole hours,
    08–17 at least; in seconds after ``origin`` (local midnight)."""
    seconds: list[float] = [8 * 3600, 17 * 3600]
    seconds += [(e - origin).total_seconds() for e in extra]
    for r in routes:
        times: list[dt.datetime | None] = [r.start.departure, r.end.arrival]
        if r.shift is not None:
            times += [r.shift.start, r.shift.end]
        for s in r.stops:
            if isinstance(s, route_app_schemas.VisitStop):
                times += [s.window.start, s.window.end, s.planned_arrival, s.planned_end]
            else:
                times += [s.planned_start, s.planned_end]
        seconds += [(t - origin).total_seconds() for t in times if t is not None]
    first = max(0, int(min(seconds) // 3600))
    last = min(48, -int(-max(seconds) // 3600))
    return first * 3600, max(last, first + 1) * 3600


def timeline(
    routes: list[route_app_schemas.RouteRead],
    day: dt.date,
    tz: Any,
    t: Translator,
    hours: tuple[int, int] | None = None,
) -> Timeline:
    """The day's routes as lanes of shapes, plus each expert's stops as list rows.

    ``hours`` (seconds after local midnight) fixes the hours drawn, so two timelines (the current
    plan and a proposal) line up; by default the routes' own hours.
    """
    origin = clock.local_midnight(day, tz)
    start, end = hours or timeline_span(routes, origin)
    span = end - start
    usable = TIMELINE_WIDTH - NAMES - 28  # room for the last hour's label

    def x(instant: dt.datetime) -> float:
        return NAMES + usable * ((instant - origin).total_seconds() - start) / span

    def times(a: dt.datetime, b: dt.datetime) -> str:
        return t.times(a, b, tz)

    ticks = [
        (NAMES + usable * (h * 3600 - start) / span, f"{h:02d}:00")
        for h in range(start // 3600, end // 3600 + 1)
    ]
    lanes: list[Lane] = []
    for i, r in enumerate(routes):
        y = AXIS + i * LANE
        lane = Lane(
            index=i,
            expert_id=r.expert.id,
            name=r.expert.name,
            y=y,
            shift=times(r.shift.start, r.shift.end) if r.shift else None,
            travel=round(r.travel_seconds / 60),
            visits=r.visits,
            ends_late=r.ends_after_shift,
            start_label=r.start.label,
            start_lat=r.start.location.lat,
            start_lon=r.start.location.lon,
            end_lat=r.end.location.lat,
            end_lon=r.end.location.lon,
        )
        if r.shift is not None:
            lane.blocks.append(
                Block(
                    "shift",
                    x(r.shift.start),
                    y + 14,
                    x(r.shift.end) - x(r.shift.start),
                    32,
                    "",
                    t("planner.day.shift", times=times(r.shift.start, r.shift.end)),
                )
            )
        last_end: dt.datetime | None = None
        for s in r.stops:
            if isinstance(s, route_app_schemas.BreakStop):
                if s.planned_start is None or s.planned_end is None:
                    continue
                label = t("planner.day.break", times=times(s.planned_start, s.planned_end))
                lane.blocks.append(
                    Block(
                        "break",
                        x(s.planned_start),
                        y + 18,
                        x(s.planned_end) - x(s.planned_start),
                        24,
                        "",
                        label,
                    )
                )
                lane.stops.append(
                    StopLine(
                        "break",
                        0,
                        t.time(s.planned_start, tz),
                        "",
                        label,
                        "",
                        "",
                        "",
                        "",
                        False,
                        0,
                        s.minutes,
                        None,
                        None,
                    )
                )
                last_end = s.planned_end
                continue
            window = times(s.window.start, s.window.end)
            lane.blocks.append(
                Block(
                    "window",
                    x(s.window.start),
                    y + 4,
                    x(s.window.end) - x(s.window.start),
                    8,
                    "",
                    t("planner.day.window_of", number=s.number, times=window),
                    at_risk=s.at_risk,
                )
            )
            if s.planned_arrival is not None and s.travel_seconds:
                leave = s.planned_arrival - dt.timedelta(seconds=s.travel_seconds)
                lane.blocks.append(
                    Block(
                        "travel",
                        x(leave),
                        y + 27,
                        x(s.planned_arrival) - x(leave),
                        6,
                        "",
                        t("planner.day.travel", minutes=round(s.travel_seconds / 60)),
                    )
                )
            if s.planned_start is not None and s.planned_end is not None:
                status = t(f"status.{s.status.value}")
                title = t(
                    "planner.day.visit_title",
                    number=s.number,
                    times=times(s.planned_start, s.planned_end),
                    window=window,
                    reference=s.reference,
                    status=status,
                )
                if s.at_risk:
                    title += " · " + t("planner.day.at_risk")
                lane.blocks.append(
                    Block(
                        "visit",
                        x(s.planned_start),
                        y + 16,
                        max(2.0, x(s.planned_end) - x(s.planned_start)),
                        28,
                        str(s.number),
                        title,
                        at_risk=s.at_risk,
                        done=s.status.value in ("completed", "not_home"),
                    )
                )
                last_end = s.planned_end
            lane.stops.append(
                StopLine(
                    kind="visit",
                    number=s.number,
                    arrival=t.time(s.planned_arrival, tz) if s.planned_arrival else "–",
                    window=window,
                    service=s.service.name,
                    reference=s.reference,
                    address=list_line(s.citizen.name, s.address.postcode),
                    status=t(f"status.{s.status.value}"),
                    status_key=s.status.value,
                    at_risk=s.at_risk,
                    travel=round(s.travel_seconds / 60),
                    duration=s.service.duration_minutes,
                    lat=s.location.lat,
                    lon=s.location.lon,
                    needs="; ".join(n.text for n in s.needs),
                )
            )
        if last_end is not None and r.end.arrival is not None and r.end.travel_seconds:
            lane.blocks.append(
                Block(
                    "travel",
                    x(last_end),
                    y + 27,
                    x(r.end.arrival) - x(last_end),
                    6,
                    "",
                    t("planner.day.travel_back", minutes=round(r.end.travel_seconds / 60)),
                )
            )
        lanes.append(lane)
    height = int(AXIS + LANE * max(1, len(lanes)) + 4)
    return Timeline(TIMELINE_WIDTH, height, NAMES, ticks, lanes)


def day_routes(
    session: Session, pp: PlannerPage, day: dt.date, travel: TravelTimeProvider
) -> tuple[day_state.DayState, list[route_app_schemas.RouteRead]]:
    """The loaded day and each route of it: who works, and who (absent) still holds visits."""
    state = day_state.load_day(session, pp.municipality, day)
    holding = {
        eid for eid, d in state.expert_days.items() if any(s["type"] == "visit" for s in d.stops)
    }
    ids = sorted((set(state.shifts) | holding) & set(state.experts))
    routes = [
        route_app.get_route(
            session,
            municipality=pp.municipality,
            expert=state.experts[eid],
            date=day,
            travel=travel,
            language=pp.t.lang,
            for_planner=True,
        )
        for eid in ids
    ]
    return state, routes


@router.get(f"{PREFIX}/dag", response_class=HTMLResponse)
def today_page(pp: PlannerDep, datum: str | None = None) -> Response:
    """Today's plan (or the date picked in the form)."""
    day = parse_day(datum) if datum else pp.today()
    return pp.redirect(f"{pp.base}/dag/{day.isoformat()}")


@router.get(f"{PREFIX}/dag/{{date}}", response_class=HTMLResponse)
def day_page(
    pp: PlannerDep,
    session: SessionDep,
    travel: TravelDep,
    settings: SettingsDep,
    date: str,
    toegepast: int | None = None,
) -> Response:
    """Every expert's route of the day: timeline, lists, map; at-risk and unplanned visits."""
    t = pp.t
    day = parse_day(date)
    state, routes = day_routes(session, pp, day, travel)
    lines = timeline(routes, day, state.tz, t)
    unplanned = visit_lines(state, state.unplanned, t, unplanned=True)
    # One access-log record per citizen on the page (written in one batch after the request).
    for lane in lines.lanes:
        for stop in lane.stops:
            if stop.kind == "visit":
                audit.note_ref("read", stop.reference, pp.municipality.id, DAY_FIELDS, "planning")
    at_risk = [s for lane in lines.lanes for s in lane.stops if s.at_risk]
    closed = day_shifts.closed_dates(session, municipality=pp.municipality, first=day, last=day)
    pp.page.headers["Content-Security-Policy"] = map_csp(settings.map_tiles)
    today = pp.today()
    return pp.render(
        "planner/day.html",
        section="day",
        day=day,
        day_text=capitalised(t.date(day, year=True)),
        today=today,
        editable=day >= today,
        closed=closed.get(day),
        timeline=lines,
        lanes=lines.lanes,
        unplanned=unplanned,
        at_risk=at_risk,
        experts=[(e, state.experts[e].name) for e in sorted(state.shifts) if e in state.experts],
        applied=toegepast is not None,
        previous=(day - dt.timedelta(days=1)).isoformat(),
        next=(day + dt.timedelta(days=1)).isoformat(),
        visits=sum(lane.visits for lane in lines.lanes),
        travel=sum(lane.travel for lane in lines.lanes),
        modes=mode_options(t),
        jobs=job_lines(session, pp.municipality, day, t, state.tz),
        assets={
            "leaflet_css": LEAFLET_CSS,
            "leaflet_js": LEAFLET_JS,
            "js": PLANNER_MAP_JS,
            "tiles": settings.map_tiles,
        },
    )


# -- disruption: an expert reports sick for the day ---------------------------------------------


@router.post(f"{PREFIX}/dag/{{date}}/ziekmelding", response_class=HTMLResponse)
def report_sick(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    date: str,
) -> Response:
    """An expert is sick today: record it; the visits it breaks are listed, then re-planned."""
    t = pp.t
    day = parse_day(date)
    here = f"{pp.base}/dag/{day.isoformat()}"
    pp.page.here = here
    raw = form.get("medewerker")
    if not raw.isdigit():
        raise NotFound("Choose an expert.", nl="Kies een medewerker.")
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=int(raw))
    form.values.update({"soort": "sickness", "datum": day.isoformat()})
    return record_exception(
        pp,
        session,
        form,
        expert,
        replan_of(pp, settings, travel, notifier, enabled=form.get("herplannen") == "ja"),
        action=f"{here}/ziekmelding",
        back=here,
        back_label=t("planner.day.back", date=t.date(day)),
        invalid=lambda f: pp.redirect(here),
        section="day",
    )
