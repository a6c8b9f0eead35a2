"""Optimising a day from the planner's pages: queue it, follow it, read the proposal, apply it.

* ``POST /dag/{date}/optimaliseren`` queues the optimisation in the chosen mode
  (:mod:`api.web.planner_modes`) and opens its progress page; nothing is solved in the request.
* ``/optimalisatie/{job}`` says where the job is (queued, running, failed) and opens the proposal
  once it is done. ``planner-job.js`` asks ``…/status`` every few seconds and moves on by itself;
  without script the page has a refresh link. The day page lists its latest jobs, so a planner
  can leave and come back.
* ``/voorstel/{id}`` explains the proposal before anyone applies it: every change in words
  ("Bezoek AH-… gaat van Mila Bakker naar Noor el Amrani; 10:07 → 11:15", order and time changes
  too), the figures before and after (working time is travel plus waiting; balance is the spread
  of route duration across the experts), the proposed routes as a timeline below the current one
  (same hours), as tables and on a map next to the current map, and a mode choice to propose
  again. Applying is a POST; when the day changed since (409) the page says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from api.runtime import TravelDep
from api.web.expert import LEAFLET_CSS, LEAFLET_JS, map_csp
from api.web.forms import PostedForm
from api.web.i18n import Translator
from api.web.planner import PREFIX, PlannerDep, PlannerPage, capitalised, router, visit_lines
from api.web.planner_charts import pair_chart
from api.web.planner_day import (
    AXIS,
    LANE,
    NAMES,
    PLANNER_MAP_JS,
    TIMELINE_WIDTH,
    Block,
    Lane,
    Timeline,
    day_routes,
    parse_day,
    timeline,
    timeline_span,
)
from api.web.planner_modes import mode_options, parse_mode, queue
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.catalog.models import ServiceType
from scheduler.day import state as day_state
from scheduler.errors import Conflict
from scheduler.notify.templates import format_address, service_name
from scheduler.planning import jobs
from scheduler.planning import service as planning
from scheduler.planning.models import OptimisationJob
from scheduler.planning.schemas import DayFigures, ProposalRead, RouteRead

PLANNER_JOB_JS = "/assets/app/js/planner-job.js"
#: A visit whose start moves by less than this keeps its time in the change list.
SAME_TIME = dt.timedelta(minutes=1)


# -- queue the optimisation and follow it ---------------------------------------------------------


@router.post(f"{PREFIX}/dag/{{date}}/optimaliseren", response_class=HTMLResponse)
def optimise(
    pp: PlannerDep, form: PostedForm, session: SessionDep, settings: SettingsDep, date: str
) -> Response:
    """Queue the day's optimisation in the chosen mode and open its progress page."""
    day = parse_day(date)
    pp.page.here = f"{pp.base}/dag/{day.isoformat()}"
    job = queue(
        session,
        municipality=pp.municipality,
        date=day,
        mode=parse_mode(form.get("modus")),
        time_limit=settings.optimize_time_limit,
        actor=pp.actor,
    )
    return pp.redirect(f"{pp.base}/optimalisatie/{job.id}")


#: A job still queued after this long probably has no worker to run it: the page says so.
SLOW_QUEUE = dt.timedelta(seconds=30)


def _job_text(job: OptimisationJob, t: Translator) -> str:
    if job.status == "running":
        return t("planner.job.running", seconds=round(job.time_limit))
    if job.status == "queued" and clock.now() - job.created_at > SLOW_QUEUE:
        return t("planner.job.queued") + " " + t("planner.job.slow")
    return t(f"planner.job.{job.status}")


@router.get(f"{PREFIX}/optimalisatie/{{job_id}}", response_class=HTMLResponse)
def job_page(pp: PlannerDep, session: SessionDep, job_id: str) -> Response:
    """Where the optimisation is; once done, the proposal itself."""
    job = jobs.get_job(session, municipality=pp.municipality, job_id=job_id)
    if job.status == "done" and job.proposal_id:
        return pp.redirect(f"{pp.base}/voorstel/{job.proposal_id}")
    t = pp.t
    return pp.render(
        "planner/job.html",
        section="day",
        job=job,
        status_text=_job_text(job, t),
        day_text=capitalised(t.date(job.date, year=True)),
        modes=mode_options(t),
        js=PLANNER_JOB_JS,
    )


@router.get(f"{PREFIX}/optimalisatie/{{job_id}}/status")
def job_status(pp: PlannerDep, session: SessionDep, job_id: str) -> JSONResponse:
    """The job's status for ``planner-job.js``: its words, and the proposal's page once done."""
    job = jobs.get_job(session, municipality=pp.municipality, job_id=job_id)
    done = job.status == "done" and job.proposal_id is not None
    return JSONResponse(
        {
            "status": job.status,
            "text": _job_text(job, pp.t),
            "proposal_url": f"{pp.base}/voorstel/{job.proposal_id}" if done else None,
        },
        headers={"Cache-Control": "no-store"},
    )


# -- the proposal: what changes, in words, figures, timeline and map ------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    before: str
    after: str
    change: str
    better: bool | None


@dataclass(frozen=True)
class ExpertCompare:
    name: str
    visits: str
    travel: str
    distance: str
    waiting: str
    working: str
    overtime: str
    end: str


@dataclass(frozen=True)
class ChangeLine:
    """One change of the proposal in the planner's words; ``kind`` is moved, placed, retimed or
    dropped."""

    kind: str
    reference: str
    text: str


@dataclass(frozen=True)
class ProposedStop:
    number: int
    reference: str
    arrival: str
    start: str
    window: str
    service: str
    address: str
    waiting: int
    changed: bool
    lat: float
    lon: float


@dataclass
class ProposedLane:
    lane: Lane
    stops: list[ProposedStop] = field(default_factory=list)


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


def _km(value: float, t: Translator) -> str:
    text = f"{value:.1f}"
    return (text.replace(".", ",") if t.lang == "nl" else text) + " km"


def working_seconds(figures: DayFigures) -> int:
    """Travel plus waiting: what the day costs besides the visits themselves."""
    # Proposals stored before the figure existed read it as 0: computed from its parts then.
    return figures.working_seconds or figures.travel_seconds + figures.waiting_seconds


def balance_seconds(figures: DayFigures) -> int:
    """The spread (longest − shortest) of the experts' route durations, as the plan reports it;
    for plans from before it reported it, from each route's first arrival to its end."""
    if figures.balance_seconds or any(e.duration_seconds for e in figures.experts):
        return figures.balance_seconds
    durations = [
        (e.end - e.start).total_seconds() if e.start and e.end else 0.0 for e in figures.experts
    ]
    return int(max(durations) - min(durations)) if durations else 0


def _metrics(before: DayFigures, after: DayFigures, t: Translator) -> list[Metric]:
    rows: list[Metric] = []

    def add(key: str, b: float, a: float, fmt: Any, lower_is_better: bool = True) -> None:
        diff = a - b
        if fmt(abs(diff)) == fmt(0):
            rows.append(Metric(key, fmt(b), fmt(a), "0", None))
            return
        change = ("+" if diff > 0 else "−") + fmt(abs(diff))
        rows.append(Metric(key, fmt(b), fmt(a), change, (diff < 0) == lower_is_better))

    minutes = lambda s: t("planner.minutes", minutes=_minutes(s))  # noqa: E731
    add("working", working_seconds(before), working_seconds(after), minutes)
    add("travel", before.travel_seconds, after.travel_seconds, minutes)
    add("waiting", before.waiting_seconds, after.waiting_seconds, minutes)
    add("balance", balance_seconds(before), balance_seconds(after), minutes)
    add("distance", before.distance_km, after.distance_km, lambda v: _km(v, t))
    add("overtime", before.overtime_seconds, after.overtime_seconds, minutes)
    add("assigned", before.visits_assigned, after.visits_assigned, lambda v: str(int(v)), False)
    add("unassigned", before.visits_unassigned, after.visits_unassigned, lambda v: str(int(v)))
    return rows


def _starts(routes: list[RouteRead]) -> dict[int, tuple[int, dt.datetime]]:
    """Each visit of the proposal: its expert and its start of service."""
    return {s.id: (r.expert_id, s.start) for r in routes for s in r.stops if s.type == "visit"}


def change_lines(
    proposal: ProposalRead, state: day_state.DayState, names: dict[int, str], t: Translator
) -> list[ChangeLine]:
    """Every change the proposal makes to the day, in words, by reference.

    An expert change comes from ``proposal.moved`` (the exact list); a visit placed from no route
    from ``newly_planned`` or a move without a source; a visit that keeps its expert but starts at
    another time (so also a changed order) is "retimed"; a visit that loses its place "dropped".
    """
    tz = state.tz
    proposed = _starts(proposal.routes)
    moved = {m.visit_id: m for m in proposal.moved}
    placed = set(proposal.newly_planned)

    def time(instant: dt.datetime | None) -> str:
        return t.time(instant, tz) if instant is not None else "–"

    def name(expert_id: int | None) -> str:
        return names.get(expert_id, "–") if expert_id is not None else "–"

    out: list[ChangeLine] = []
    for vid, v in state.visits.items():
        now_expert = v.expert_id if v.expert_day_id is not None else None
        before = v.planned_start
        if vid not in proposed:
            if now_expert is not None:
                out.append(
                    ChangeLine(
                        "dropped",
                        v.reference,
                        t(
                            "planner.change.dropped",
                            reference=v.reference,
                            expert=name(now_expert),
                            before=time(before),
                        ),
                    )
                )
            continue
        expert, start = proposed[vid]
        move = moved.get(vid)
        if vid in placed or (move is not None and move.from_expert_id is None):
            text = t(
                "planner.change.placed",
                reference=v.reference,
                target=name(expert),
                after=time(start),
            )
            out.append(ChangeLine("placed", v.reference, text))
        elif move is not None:
            text = t(
                "planner.change.moved",
                reference=v.reference,
                source=name(move.from_expert_id),
                target=name(move.to_expert_id),
                before=time(before),
                after=time(start),
            )
            out.append(ChangeLine("moved", v.reference, text))
        elif before is None or abs(start - before) >= SAME_TIME:
            text = t(
                "planner.change.retimed",
                reference=v.reference,
                expert=name(expert),
                before=time(before),
                after=time(start),
            )
            out.append(ChangeLine("retimed", v.reference, text))
    order = {"moved": 0, "placed": 1, "dropped": 2, "retimed": 3}
    return sorted(out, key=lambda c: (order[c.kind], c.reference))


def proposed_lanes(
    proposal: ProposalRead,
    state: day_state.DayState,
    current: list[Lane],
    span: tuple[int, int],
    changed: set[str],
    t: Translator,
) -> tuple[Timeline, list[ProposedLane]]:
    """The proposal's routes as a timeline on the same hours as the current one, and as rows.

    Lanes keep the current plan's order and colours (so one expert is one colour on both maps);
    travel is drawn from the end of one stop to the arrival at the next.
    """
    tz = state.tz
    origin = clock.local_midnight(state.date, tz)
    start, end = span
    usable = TIMELINE_WIDTH - NAMES - 28

    def x(instant: dt.datetime) -> float:
        return NAMES + usable * ((instant - origin).total_seconds() - start) / (end - start)

    ticks = [
        (NAMES + usable * (h * 3600 - start) / (end - start), f"{h:02d}:00")
        for h in range(start // 3600, end // 3600 + 1)
    ]
    routes = {r.expert_id: r for r in proposal.routes}
    order = [lane.expert_id for lane in current] + sorted(
        e for e in routes if e not in {lane.expert_id for lane in current}
    )
    by_id = {lane.expert_id: lane for lane in current}
    out: list[ProposedLane] = []
    for i, eid in enumerate(order):
        base = by_id.get(eid)
        route = routes.get(eid)
        y = AXIS + i * LANE
        name = base.name if base else (route.expert if route else str(eid))
        lane = Lane(
            index=base.index if base else i,
            expert_id=eid,
            name=name,
            y=y,
            shift=base.shift if base else None,
            travel=0,
            visits=0,
            ends_late=False,
            start_label=base.start_label if base else "",
            start_lat=base.start_lat if base else 0.0,
            start_lon=base.start_lon if base else 0.0,
            end_lat=base.end_lat if base else 0.0,
            end_lon=base.end_lon if base else 0.0,
        )
        if base is not None:
            lane.blocks += [
                Block(b.kind, b.x, y + (b.y - base.y), b.w, b.h, "", b.title)
                for b in base.blocks
                if b.kind == "shift"
            ]
        row = ProposedLane(lane)
        previous: dt.datetime | None = None
        number = 0
        travel = 0.0
        for s in route.stops if route else []:
            if s.type == "break":
                label = t("planner.day.break", times=t.times(s.start, s.end, tz))
                lane.blocks.append(
                    Block("break", x(s.start), y + 18, x(s.end) - x(s.start), 24, "", label)
                )
                previous = s.end
                continue
            v = state.visits.get(s.id)
            if v is None:
                continue
            number += 1
            window = t.times(v.window_start, v.window_end, tz)
            lane.blocks.append(
                Block(
                    "window",
                    x(v.window_start),
                    y + 4,
                    x(v.window_end) - x(v.window_start),
                    8,
                    "",
                    t("planner.day.window_of", number=number, times=window),
                )
            )
            if previous is not None and s.arrival > previous:
                minutes = _minutes((s.arrival - previous).total_seconds())
                travel += (s.arrival - previous).total_seconds()
                lane.blocks.append(
                    Block(
                        "travel",
                        x(previous),
                        y + 27,
                        x(s.arrival) - x(previous),
                        6,
                        "",
                        t("planner.day.travel", minutes=minutes),
                    )
                )
            title = t(
                "planner.proposal.visit_title",
                number=number,
                times=t.times(s.start, s.end, tz),
                window=window,
                reference=v.reference,
            )
            lane.blocks.append(
                Block(
                    "visit",
                    x(s.start),
                    y + 16,
                    max(2.0, x(s.end) - x(s.start)),
                    28,
                    str(number),
                    title,
                )
            )
            service = state.services.get(v.service_type_id)
            row.stops.append(
                ProposedStop(
                    number=number,
                    reference=v.reference,
                    arrival=t.time(s.arrival, tz),
                    start=t.time(s.start, tz),
                    window=window,
                    service=_service(service, t),
                    address=format_address(v),
                    waiting=_minutes((s.start - s.arrival).total_seconds()),
                    changed=v.reference in changed,
                    lat=v.lat,
                    lon=v.lon,
                )
            )
            previous = s.end
        lane.visits = number
        lane.travel = _minutes(travel)
        out.append(row)
    height = int(AXIS + LANE * max(1, len(out)) + 4)
    return Timeline(TIMELINE_WIDTH, height, NAMES, ticks, [r.lane for r in out]), out


def _service(service: ServiceType | None, t: Translator) -> str:
    return service_name(service, t.lang) if service is not None else ""


def _proposal_times(proposal: ProposalRead, state: day_state.DayState) -> list[dt.datetime]:
    times: list[dt.datetime] = []
    for r in proposal.routes:
        for s in r.stops:
            times += [s.arrival, s.end]
            v = state.visits.get(s.id) if s.type == "visit" else None
            if v is not None:
                times += [v.window_start, v.window_end]
    return times


def _proposal_page(
    pp: PlannerPage,
    session: Session,
    travel: TravelTimeProvider,
    tiles: str,
    proposal: ProposalRead,
    *,
    conflict: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    t = pp.t
    tz = pp.tz
    state, routes = day_routes(session, pp, proposal.date, travel)
    origin = clock.local_midnight(proposal.date, state.tz)
    span = timeline_span(routes, origin, _proposal_times(proposal, state))
    now = timeline(routes, proposal.date, state.tz, t, hours=span)
    names = {e.expert_id: e.expert for e in proposal.before.experts}
    names |= {e.expert_id: e.expert for e in proposal.after.experts}
    names |= {eid: e.name for eid, e in state.experts.items()}
    changes = change_lines(proposal, state, names, t)
    after_timeline, after_lanes = proposed_lanes(
        proposal, state, now.lanes, span, {c.reference for c in changes}, t
    )
    after_by_expert = {e.expert_id: e for e in proposal.after.experts}
    experts = []
    pairs = []
    for b in proposal.before.experts:
        a = after_by_expert.get(b.expert_id, b)

        def pair(x: Any, y: Any) -> str:
            return f"{x} → {y}" if x != y else str(x)

        experts.append(
            ExpertCompare(
                name=b.expert,
                visits=pair(b.visits, a.visits),
                travel=pair(_minutes(b.travel_seconds), _minutes(a.travel_seconds)),
                distance=pair(_km(b.distance_km, t), _km(a.distance_km, t)),
                waiting=pair(_minutes(b.waiting_seconds), _minutes(a.waiting_seconds)),
                working=pair(
                    _minutes(b.travel_seconds + b.waiting_seconds),
                    _minutes(a.travel_seconds + a.waiting_seconds),
                ),
                overtime=pair(_minutes(b.overtime_seconds), _minutes(a.overtime_seconds)),
                end=pair(t.time(b.end, tz) if b.end else "–", t.time(a.end, tz) if a.end else "–"),
            )
        )
        pairs.append(
            (
                b.expert,
                _minutes(b.travel_seconds + b.waiting_seconds),
                _minutes(a.travel_seconds + a.waiting_seconds),
            )
        )
    unassigned = visit_lines(state, [i for i in proposal.unassigned if i in state.visits], t)
    chart = pair_chart(pairs, fmt=lambda v: t("planner.minutes", minutes=round(v)))
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("moved", "placed", "retimed")}
    mode = proposal.mode
    pp.page.headers["Content-Security-Policy"] = map_csp(tiles)
    return pp.render(
        "planner/proposal.html",
        section="day",
        status=status,
        proposal=proposal,
        day_text=capitalised(t.date(proposal.date, year=True)),
        metrics=_metrics(proposal.before, proposal.after, t),
        experts=experts,
        changes=changes,
        counts=counts,
        visits=len(state.visits),
        unassigned=unassigned,
        newly_planned=len(proposal.newly_planned),
        chart=chart,
        conflict=conflict,
        mode=mode,
        modes=mode_options(t, mode),
        now=now,
        after=after_timeline,
        after_lanes=after_lanes,
        assets={
            "leaflet_css": LEAFLET_CSS,
            "leaflet_js": LEAFLET_JS,
            "js": PLANNER_MAP_JS,
            "tiles": tiles,
        },
    )


@router.get(f"{PREFIX}/voorstel/{{proposal_id}}", response_class=HTMLResponse)
def proposal_page(
    pp: PlannerDep,
    session: SessionDep,
    travel: TravelDep,
    settings: SettingsDep,
    proposal_id: str,
) -> Response:
    """The proposal explained next to the current plan, with a button to apply it."""
    proposal = planning.get_proposal(session, municipality=pp.municipality, proposal_id=proposal_id)
    return _proposal_page(pp, session, travel, settings.map_tiles, ProposalRead.of(proposal))


@router.post(f"{PREFIX}/voorstel/{{proposal_id}}/toepassen", response_class=HTMLResponse)
def apply_proposal(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    travel: TravelDep,
    settings: SettingsDep,
    proposal_id: str,
) -> Response:
    """Apply the proposal; when the day changed since, say so and offer to optimise again."""
    pp.page.here = f"{pp.base}/voorstel/{proposal_id}"
    try:
        proposal = planning.apply(
            session,
            municipality=pp.municipality,
            proposal_id=proposal_id,
            travel=travel,
            actor=pp.actor,
        )
    except Conflict as exc:
        session.rollback()
        stale = planning.get_proposal(
            session, municipality=pp.municipality, proposal_id=proposal_id
        )
        detail = exc.detail if pp.t.lang == "en" else exc.detail_nl
        return _proposal_page(
            pp,
            session,
            travel,
            settings.map_tiles,
            ProposalRead.of(stale),
            conflict=detail,
            status=409,
        )
    return pp.redirect(f"{pp.base}/dag/{proposal.date.isoformat()}?toegepast=1")
