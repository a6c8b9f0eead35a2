"""The planner's capacity pages: heat map, experts, weekly shifts, absences, closure days, services.

Every change goes through the capacity or catalogue use case that keeps promises already made. A
change that would break booked visits comes back as :class:`~scheduler.errors.PromisesAtRisk`:
the page lists those visits (reference and window, no personal data) and offers to make the change
anyway and re-plan their days. What that re-plan did — visits moved to colleagues, visits that
could not be kept with the alternatives held for them and the message queued — is shown next, with
a way to move each one on the phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import ResourceId, SessionDep, SettingsDep
from api.runtime import GeocoderDep, NotifierDep, TravelDep
from api.settings import Settings
from api.web import forms
from api.web.forms import Form, PostedForm
from api.web.i18n import Translator
from api.web.planner import (
    PREFIX,
    PlannerDep,
    PlannerPage,
    blank_to_none,
    capitalised,
    hours,
    percent,
    router,
    schema_errors,
)
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import offers as offer_service
from scheduler.booking import service as booking
from scheduler.capacity import service as capacity
from scheduler.capacity.models import ExceptionKind, Expert, TravelMode
from scheduler.capacity.overview import MAX_DAYS, Figures, capacity_overview
from scheduler.capacity.schemas import (
    ClosureIn,
    ExceptionIn,
    ExpertCreate,
    ExpertUpdate,
    LocationIn,
    ShiftIn,
)
from scheduler.catalog import service as catalog
from scheduler.catalog.models import ServiceType
from scheduler.catalog.schemas import ServiceTypeCreate, ServiceTypeUpdate
from scheduler.day import shifts as day_shifts
from scheduler.errors import Conflict, InvalidInput, PromisesAtRisk
from scheduler.notify.recipients import recipient_of
from scheduler.notify.templates import format_address, service_name
from scheduler.tenants.models import Municipality
from scheduler.usecases import capacity_changes
from scheduler.usecases.notifier import Notifier

#: Period lengths the heat map offers (days).
PERIODS = (7, 14, 28)
DEFAULT_PERIOD = 14


def replan_of(
    pp: PlannerPage,
    settings: Settings,
    travel: TravelTimeProvider,
    notifier: Notifier,
    *,
    enabled: bool,
) -> capacity_changes.Replan:
    """What a change needs to re-plan the visits it breaks (as the API's ``?replan=true``)."""
    return capacity_changes.Replan(
        enabled=enabled,
        travel=travel,
        notify=notifier,
        actor=pp.actor,
        hold_minutes=settings.offer_hold_minutes,
        time_limit=settings.optimize_time_limit,
    )


def _wants_replan(form: Form) -> bool:
    return form.get("herplannen") == "ja"


# -- heat map -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    """One expert on one date: a colour level and the utilisation written out."""

    id: str
    level: str
    text: str
    detail: str


@dataclass(frozen=True)
class HeatRow:
    expert_id: int
    name: str
    active: bool
    skills: str
    cells: list[HeatCell]


@dataclass(frozen=True)
class DateHead:
    date: dt.date
    short: str
    long: str
    closed: str | None
    weekend: bool


@dataclass(frozen=True)
class FigureRow:
    """A line of totals: label, the utilisation level, and the numbers written out."""

    label: str
    level: str
    utilisation: str
    visits: int
    available: str
    booked: str
    travel: str
    free: str
    evening: str
    weekend: str


def level(utilisation: float | None, *, works: bool = True) -> str:
    """The heat map's colour class for a utilisation (the number is always shown as text too)."""
    if not works or utilisation is None:
        return "off"
    for bound, name in ((0.25, "1"), (0.5, "2"), (0.75, "3"), (0.9, "4"), (1.0, "5")):
        if utilisation < bound or (name == "5" and utilisation <= bound):
            return name
    return "over"


def _figure_row(label: str, f: Figures, t: Translator) -> FigureRow:
    return FigureRow(
        label=label,
        level=level(f.utilisation),
        utilisation=percent(f.utilisation),
        visits=f.visits,
        available=hours(f.available, t),
        booked=hours(f.booked, t),
        travel=hours(f.travel, t),
        free=hours(f.free, t),
        evening=percent(f.evening_share),
        weekend=percent(f.weekend_share),
    )


def _short_date(day: dt.date, t: Translator) -> str:
    return f"{t(f'planner.weekday.{day.weekday()}')} {day.day}-{day.month}"


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@router.get(f"{PREFIX}/capaciteit", response_class=HTMLResponse)
def capacity_page(
    pp: PlannerDep,
    session: SessionDep,
    travel: TravelDep,
    start: str | None = None,
    dagen: int = DEFAULT_PERIOD,
) -> Response:
    """Utilisation per expert and day as a heat map, totals per day and week, evening/weekend."""
    t, m = pp.t, pp.municipality
    first = _date(start) or pp.today()
    days = dagen if 1 <= dagen <= MAX_DAYS else DEFAULT_PERIOD
    overview = capacity_overview(session, municipality=m, start=first, days=days, travel=travel)
    closed = day_shifts.closed_dates(
        session, municipality=m, first=overview.start, last=overview.end
    )
    heads = [
        DateHead(
            date=d,
            short=_short_date(d, t),
            long=capitalised(t.date(d, year=True)),
            closed=closed.get(d),
            weekend=d.weekday() >= 5,
        )
        for d in overview.dates
    ]
    rows = []
    for row in overview.experts:
        cells = []
        for d, cell in zip(overview.dates, row.cells, strict=True):
            cid = f"cel-{row.expert_id}-{d.isoformat()}"
            if cell is None:
                cells.append(HeatCell(cid, "off", "–", t("planner.capacity.off")))
                continue
            f = cell.figures
            works = cell.shift_start is not None
            detail = t(
                "planner.capacity.cell",
                visits=f.visits,
                booked=hours(f.booked, t),
                travel=hours(f.travel, t),
                available=hours(f.available, t),
            )
            if not works:
                detail = t("planner.capacity.no_shift", visits=f.visits)
            text = percent(f.utilisation) if works else "!"
            cells.append(HeatCell(cid, level(f.utilisation, works=works), text, detail))
        rows.append(HeatRow(row.expert_id, row.name, row.active, ", ".join(row.skills), cells))
    day_totals = [
        _figure_row(h.short, d.figures, t) for h, d in zip(heads, overview.days, strict=True)
    ]
    weeks = [
        _figure_row(
            t(
                "planner.capacity.week",
                week=w.week,
                first=_short_date(w.first, t),
                last=_short_date(w.last, t),
            ),
            w.figures,
            t,
        )
        for w in overview.weeks
    ]
    return pp.render(
        "planner/capacity.html",
        section="capacity",
        overview=overview,
        heads=heads,
        rows=rows,
        days=overview.days,
        day_totals=day_totals,
        weeks=weeks,
        total=_figure_row(t("planner.capacity.total"), overview.totals, t),
        start=overview.start.isoformat(),
        period=days,
        periods=PERIODS,
        previous=(overview.start - dt.timedelta(days=days)).isoformat(),
        next=(overview.start + dt.timedelta(days=days)).isoformat(),
        levels=["1", "2", "3", "4", "5", "over", "off"],
    )


# -- outcomes of changes: affected visits, re-plans -----------------------------------------------


@dataclass(frozen=True)
class AffectedLine:
    reference: str
    date: str
    window: str
    expert: str | None


def affected_lines(
    exc: PromisesAtRisk, session: Session, municipality: Municipality, t: Translator
) -> list[AffectedLine]:
    """The visits a refused change would break (reference, date, window, whose day)."""
    tz = clock.zone(municipality.timezone)
    names = {
        e.id: e.name
        for e in day_shifts.get_experts(session, municipality=municipality, active_only=False)
    }
    out = []
    for item in exc.extra.get("affected", []):
        start, end = item["window_start"], item["window_end"]
        out.append(
            AffectedLine(
                reference=str(item["reference"]),
                date=capitalised(t.date(item["date"])),
                window=t.times(start, end, tz),
                expert=names.get(item["expert_id"]) if item.get("expert_id") else None,
            )
        )
    return out


@dataclass(frozen=True)
class Alternative:
    offer_id: str
    label: str
    expires: str


@dataclass(frozen=True)
class MovedLine:
    reference: str
    window: str
    expert: str | None
    arrival: str | None


@dataclass(frozen=True)
class ListedLine:
    """A visit a re-plan could not keep: whom to call, what was sent, what can be offered."""

    reference: str
    window: str
    service: str
    address: str
    name: str | None
    phone: str | None
    by_email: bool
    alternatives: list[Alternative]


@dataclass
class DayOutcome:
    date: dt.date
    label: str
    moved: list[MovedLine] = field(default_factory=list)
    listed: list[ListedLine] = field(default_factory=list)


def replan_outcome(
    session: Session, municipality: Municipality, outcome: capacity_changes.Outcome, t: Translator
) -> list[DayOutcome]:
    """What re-planning did per date, with the alternatives still held for the visits listed."""
    tz = clock.zone(municipality.timezone)
    names = {
        e.id: e.name
        for e in day_shifts.get_experts(session, municipality=municipality, active_only=False)
    }
    days: list[DayOutcome] = []
    listed_visits = {
        ref: booking.get_for_planner(session, municipality=municipality, reference=ref)
        for day in outcome.replanned
        for ref in day.unplaced
    }
    held = offer_service.held_for(
        session, municipality=municipality, visit_ids=[v.id for v in listed_visits.values()]
    )
    for day in outcome.replanned:
        result = DayOutcome(day.date, capitalised(t.date(day.date, year=True)))
        for ref in day.moved:
            v = booking.get_for_planner(session, municipality=municipality, reference=ref)
            result.moved.append(
                MovedLine(
                    reference=v.reference,
                    window=t.times(v.window_start, v.window_end, tz),
                    expert=names.get(v.expert_id) if v.expert_id is not None else None,
                    arrival=t.time(v.planned_arrival, tz) if v.planned_arrival else None,
                )
            )
        for ref in day.unplaced:
            v = listed_visits[ref]
            service = session.get(ServiceType, v.service_type_id)
            assert service is not None
            result.listed.append(
                ListedLine(
                    reference=v.reference,
                    window=t.window(v.window_start, v.window_end, tz),
                    service=service_name(service, t.lang),
                    address=format_address(v),
                    name=recipient_of(v).name,
                    phone=recipient_of(v).phone,
                    by_email=bool(recipient_of(v).email),
                    alternatives=[
                        Alternative(
                            o.id,
                            capitalised(t.window(o.window_start, o.window_end, tz)),
                            t.time(o.expires_at, tz),
                        )
                        for o in held.get(v.id, [])
                    ],
                )
            )
        days.append(result)
    return days


def refused_page(
    pp: PlannerPage,
    session: Session,
    exc: PromisesAtRisk,
    *,
    form: Form,
    action: str,
    back: str,
    what: str,
    section: str,
) -> HTMLResponse:
    """The change breaks booked visits: list them and offer to make it anyway and re-plan."""
    values = {k: v for k, v in form.values.items() if k not in ("csrf", "herplannen")}
    return pp.render(
        "planner/affected.html",
        section=section,
        status=409,
        affected=affected_lines(exc, session, pp.municipality, pp.t),
        action=action,
        values=values,
        back=back,
        what=what,
    )


def outcome_page(
    pp: PlannerPage,
    session: Session,
    outcome: capacity_changes.Outcome,
    *,
    title: str,
    back: str,
    back_label: str,
    section: str,
) -> HTMLResponse:
    """A change went through: say so, and show what re-planning did to booked visits."""
    pp.page.here = back
    return pp.render(
        "planner/outcome.html",
        section=section,
        title=title,
        days=replan_outcome(session, pp.municipality, outcome, pp.t),
        affected=len(outcome.affected),
        back=back,
        back_label=back_label,
    )


# -- experts --------------------------------------------------------------------------------------

EXPERT_FIELDS = {
    "name": "naam",
    "skills": "vaardigheden",
    "travel_mode": "reismiddel",
    "start": "start_postcode",
    "end": "eind_postcode",
    "max_visits_per_day": "max_bezoeken",
    "active": "actief",
}


@dataclass(frozen=True)
class ExpertLine:
    id: int
    name: str
    skills: str
    travel_mode: str
    start: str
    end: str
    max_visits: str
    active: bool


def _skills_known(session: Session, municipality: Municipality) -> list[str]:
    services = catalog.get_all(session, municipality=municipality, active_only=False)
    experts = day_shifts.get_experts(session, municipality=municipality, active_only=False)
    return sorted({s.skill for s in services} | {k for e in experts for k in e.skills})


@router.get(f"{PREFIX}/medewerkers", response_class=HTMLResponse)
def experts_page(pp: PlannerDep, session: SessionDep) -> Response:
    """The municipality's experts, with links to their shifts and absences."""
    t = pp.t
    experts = day_shifts.get_experts(session, municipality=pp.municipality, active_only=False)
    lines = [
        ExpertLine(
            id=e.id,
            name=e.name,
            skills=", ".join(e.skills),
            travel_mode=t(f"planner.travel.{e.travel_mode.value}"),
            start=e.start_label,
            end=e.end_label or t("planner.expert.end.same"),
            max_visits=str(e.max_visits_per_day or "–"),
            active=e.active,
        )
        for e in experts
    ]
    return pp.render("planner/experts.html", section="experts", experts=lines)


def _expert_values(expert: Expert) -> dict[str, str]:
    values = {
        "naam": expert.name,
        "reismiddel": expert.travel_mode.value,
        "start_label": expert.start_label,
        "eind": "anders" if expert.end_lat is not None else "start",
        "eind_label": expert.end_label or "",
        "max_bezoeken": str(expert.max_visits_per_day or ""),
        "actief": "ja" if expert.active else "",
        "andere_vaardigheden": "",
    }
    for skill in expert.skills:
        values[f"vaardigheid-{skill}"] = "ja"
    return values


def _expert_form_page(
    pp: PlannerPage,
    session: Session,
    form: Form,
    *,
    expert: Expert | None,
    status: int = 200,
) -> HTMLResponse:
    known = _skills_known(session, pp.municipality)
    extra = [k for k in known if f"vaardigheid-{k}" in form.values]
    return pp.render(
        "planner/expert_form.html",
        section="experts",
        status=status,
        form=form,
        expert=expert,
        skills=sorted(set(known) | set(extra)),
        modes=[m.value for m in TravelMode],
    )


@router.get(f"{PREFIX}/medewerkers/nieuw", response_class=HTMLResponse)
def new_expert(pp: PlannerDep, session: SessionDep) -> Response:
    """The form for a new expert."""
    form = forms.form_of(
        {"reismiddel": "bike", "actief": "ja", "eind": "start", "start_label": "Stadskantoor"}
    )
    return _expert_form_page(pp, session, form, expert=None)


def _location(
    form: Form, t: Translator, prefix: str, current: tuple[str, float, float] | None
) -> LocationIn | None:
    """The start or end from the form: an address, coordinates, or (editing) the current place."""
    label = form.get(f"{prefix}_label") or (current[0] if current else "Stadskantoor")
    postcode = form.get(f"{prefix}_postcode")
    number = form.get(f"{prefix}_huisnummer")
    if postcode or number:
        pc = forms.postcode(form, t, f"{prefix}_postcode")
        nr = forms.house_number(form, t, f"{prefix}_huisnummer")
        if pc is None or nr is None:
            return None
        return LocationIn(label=label, postcode=pc, house_number=nr)
    if current is not None:
        return LocationIn(label=label, lat=current[1], lon=current[2])
    form.add_error(f"{prefix}_postcode", t("planner.expert.address.missing"))
    return None


def _skills_of(form: Form, t: Translator) -> list[str]:
    chosen = [
        k.removeprefix("vaardigheid-")
        for k, v in form.values.items()
        if k.startswith("vaardigheid-") and v
    ]
    chosen += [s.strip() for s in form.get("andere_vaardigheden").split(",") if s.strip()]
    return chosen


def _expert_data(form: Form, t: Translator, expert: Expert | None) -> dict[str, Any] | None:
    """The expert's fields from the form, as the schemas take them (None when invalid)."""
    name = forms.required_text(form, t, "naam", "planner.expert.name.missing", 200)
    current_start = (
        (expert.start_label, expert.start_lat, expert.start_lon) if expert is not None else None
    )
    start = _location(form, t, "start", current_start)
    end: LocationIn | None = None
    if form.get("eind") == "anders":
        current_end = None
        if expert is not None and expert.end_lat is not None and expert.end_lon is not None:
            current_end = (expert.end_label or "", expert.end_lat, expert.end_lon)
        end = _location(form, t, "eind", current_end)
        if end is None:
            return None
    if name is None or start is None or not form.ok:
        return None
    return {
        "name": name,
        "skills": _skills_of(form, t),
        "travel_mode": form.get("reismiddel") or "bike",
        "start": start,
        "end": end,
        "max_visits_per_day": form.get("max_bezoeken") or None,
        "active": form.get("actief") == "ja",
    }


@router.post(f"{PREFIX}/medewerkers/nieuw", response_class=HTMLResponse)
def create_expert(
    pp: PlannerDep, form: PostedForm, session: SessionDep, geocoder: GeocoderDep
) -> Response:
    """Add an expert, then on to their weekly shifts."""
    t = pp.t
    pp.page.here = f"{pp.base}/medewerkers/nieuw"
    data = _expert_data(form, t, None)
    if data is None:
        return _expert_form_page(pp, session, form, expert=None, status=422)
    try:
        expert = capacity.create_expert(
            session, municipality=pp.municipality, data=ExpertCreate(**data), geocoder=geocoder
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, EXPERT_FIELDS, "naam")
        return _expert_form_page(pp, session, form, expert=None, status=422)
    except InvalidInput as exc:
        session.rollback()
        form.add_error("start_postcode", exc.detail if t.lang == "en" else exc.detail_nl)
        return _expert_form_page(pp, session, form, expert=None, status=422)
    return pp.redirect(f"{pp.base}/medewerkers/{expert.id}/diensten?nieuw=1")


@router.get(f"{PREFIX}/medewerkers/{{expert_id}}", response_class=HTMLResponse)
def edit_expert(pp: PlannerDep, session: SessionDep, expert_id: ResourceId) -> Response:
    """The form to change an expert's profile."""
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    return _expert_form_page(pp, session, Form(values=_expert_values(expert)), expert=expert)


@router.post(f"{PREFIX}/medewerkers/{{expert_id}}", response_class=HTMLResponse)
def update_expert(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    geocoder: GeocoderDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
) -> Response:
    """Change an expert; a change that breaks booked visits asks first, then re-plans."""
    t = pp.t
    here = f"{pp.base}/medewerkers/{expert_id}"
    pp.page.here = here
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    data = _expert_data(form, t, expert)
    if data is None:
        return _expert_form_page(pp, session, form, expert=expert, status=422)
    try:
        changed = capacity_changes.update_expert(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            data=ExpertUpdate(**data),
            geocoder=geocoder,
            replan=replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, EXPERT_FIELDS, "naam")
        return _expert_form_page(pp, session, form, expert=expert, status=422)
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=here,
            back=here,
            what=t("planner.change.expert", name=expert.name),
            section="experts",
        )
    except InvalidInput as exc:
        session.rollback()
        form.add_error("start_postcode", exc.detail if t.lang == "en" else exc.detail_nl)
        return _expert_form_page(pp, session, form, expert=expert, status=422)
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.expert.saved", name=changed.value.name),
        back=f"{pp.base}/medewerkers",
        back_label=t("planner.experts.back"),
        section="experts",
    )


# -- weekly shifts --------------------------------------------------------------------------------

SHIFT_FIELDS = {
    "weekday": "weekdag",
    "start": "begin",
    "end": "einde",
    "break_earliest": "pauze_vanaf",
    "break_latest": "pauze_uiterlijk",
    "break_minutes": "pauze_minuten",
    "valid_from": "geldig_vanaf",
    "valid_until": "geldig_tot",
}


@dataclass(frozen=True)
class ShiftLine:
    id: int
    weekday: str
    times: str
    lunch: str
    valid: str


def _shift_lines(shifts: Iterable[Any], t: Translator) -> list[ShiftLine]:
    out = []
    for s in shifts:
        lunch = "–"
        if s.break_minutes:
            lunch = t(
                "planner.shift.lunch",
                minutes=s.break_minutes,
                earliest=f"{s.break_earliest:%H:%M}",
                latest=f"{s.break_latest:%H:%M}",
            )
        valid = t("planner.shift.always")
        if s.valid_from or s.valid_until:
            valid = t(
                "planner.shift.valid",
                first=t.date(s.valid_from, year=True) if s.valid_from else "…",
                last=t.date(s.valid_until, year=True) if s.valid_until else "…",
            )
        out.append(
            ShiftLine(
                id=s.id,
                weekday=capitalised(t(f"planner.weekday.long.{s.weekday}")),
                times=f"{s.start:%H:%M}–{s.end:%H:%M}",
                lunch=lunch,
                valid=valid,
            )
        )
    return out


def _shifts_page(
    pp: PlannerPage,
    session: Session,
    expert: Expert,
    form: Form,
    *,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    shifts = capacity.get_shifts(session, municipality=pp.municipality, expert_id=expert.id)
    return pp.render(
        "planner/shifts.html",
        section="experts",
        status=status,
        expert=expert,
        shifts=_shift_lines(shifts, pp.t),
        form=form,
        notice=notice,
    )


@router.get(f"{PREFIX}/medewerkers/{{expert_id}}/diensten", response_class=HTMLResponse)
def shifts_page(
    pp: PlannerDep, session: SessionDep, expert_id: ResourceId, nieuw: int = 0
) -> Response:
    """An expert's weekly pattern: shifts with their lunch breaks, and a form to add one."""
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    form = forms.form_of(
        {
            "weekdag": "0",
            "begin": "09:00",
            "einde": "17:00",
            "pauze_vanaf": "12:00",
            "pauze_uiterlijk": "13:30",
            "pauze_minuten": "30",
        }
    )
    notice = pp.t("planner.expert.created", name=expert.name) if nieuw else None
    return _shifts_page(pp, session, expert, form, notice=notice)


@router.post(f"{PREFIX}/medewerkers/{{expert_id}}/diensten", response_class=HTMLResponse)
def add_shift(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
) -> Response:
    """Add a weekly shift (more working time); booked days are re-timed to fit it."""
    t = pp.t
    back = f"{pp.base}/medewerkers/{expert_id}/diensten"
    pp.page.here = back
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    values = blank_to_none({k: form.get(v) for k, v in SHIFT_FIELDS.items()})
    if values["break_minutes"] is None:
        values["break_minutes"] = "0"
    if values["break_minutes"] == "0":
        values["break_earliest"] = values["break_latest"] = None
    try:
        data = ShiftIn(**values)
        capacity_changes.add_shift(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            data=data,
            replan=replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, SHIFT_FIELDS, "begin")
        return _shifts_page(pp, session, expert, form, status=422)
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=back,
            back=back,
            what=t("planner.change.shift_added", name=expert.name),
            section="experts",
        )
    except InvalidInput as exc:
        session.rollback()
        form.add_error("begin", exc.detail if t.lang == "en" else exc.detail_nl)
        return _shifts_page(pp, session, expert, form, status=422)
    return pp.redirect(back)


@router.post(
    f"{PREFIX}/medewerkers/{{expert_id}}/diensten/{{shift_id}}/verwijderen",
    response_class=HTMLResponse,
)
def delete_shift(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
    shift_id: ResourceId,
) -> Response:
    """Remove a weekly shift; when that breaks booked visits, ask first, then re-plan."""
    t = pp.t
    back = f"{pp.base}/medewerkers/{expert_id}/diensten"
    pp.page.here = back
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    try:
        changed = capacity_changes.delete_shift(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            shift_id=shift_id,
            replan=replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{back}/{shift_id}/verwijderen",
            back=back,
            what=t("planner.change.shift", name=expert.name),
            section="experts",
        )
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.shift.deleted"),
        back=back,
        back_label=t("planner.shifts.back", name=expert.name),
        section="experts",
    )


# -- absences, sickness, extra shifts; disruption -------------------------------------------------

EXCEPTION_FIELDS = {
    "date": "datum",
    "kind": "soort",
    "start": "van",
    "end": "tot",
    "until": "tot_en_met",
}


@dataclass(frozen=True)
class ExceptionLine:
    id: int
    date: str
    kind: str
    times: str


def _exceptions_page(
    pp: PlannerPage,
    session: Session,
    expert: Expert,
    form: Form,
    *,
    status: int = 200,
) -> HTMLResponse:
    t = pp.t
    found = capacity.get_exceptions(session, municipality=pp.municipality, expert_id=expert.id)
    lines = [
        ExceptionLine(
            id=e.id,
            date=capitalised(t.date(e.date, year=True)),
            kind=t(f"planner.exception.{e.kind.value}"),
            times=f"{e.start:%H:%M}–{e.end:%H:%M}"
            if e.start and e.end
            else t("planner.exception.whole_day"),
        )
        for e in found
    ]
    return pp.render(
        "planner/exceptions.html",
        section="experts",
        status=status,
        expert=expert,
        exceptions=lines,
        form=form,
        kinds=[
            k.value for k in (ExceptionKind.SICKNESS, ExceptionKind.ABSENCE, ExceptionKind.EXTRA)
        ],
    )


@router.get(f"{PREFIX}/medewerkers/{{expert_id}}/afwezigheid", response_class=HTMLResponse)
def exceptions_page(pp: PlannerDep, session: SessionDep, expert_id: ResourceId) -> Response:
    """An expert's absences, sickness and extra shifts from today on, and a form to add one."""
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    form = forms.form_of({"soort": "sickness", "datum": pp.today().isoformat()})
    return _exceptions_page(pp, session, expert, form)


def record_exception(
    pp: PlannerPage,
    session: Session,
    form: Form,
    expert: Expert,
    replan: capacity_changes.Replan,
    *,
    action: str,
    back: str,
    back_label: str,
    invalid: Any,
    section: str = "experts",
) -> Response:
    """Record an absence, sickness or extra shift: refused with the visits it breaks (and a way
    to re-plan them), or done, with what re-planning did. ``invalid(form)`` shows the form again.
    """
    t = pp.t
    values = blank_to_none({k: form.get(v) for k, v in EXCEPTION_FIELDS.items()})
    try:
        data = ExceptionIn(**values)
        changed = capacity_changes.create_exception(
            session, municipality=pp.municipality, expert_id=expert.id, data=data, replan=replan
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, EXCEPTION_FIELDS, "datum")
        return invalid(form)  # type: ignore[no-any-return]
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=action,
            back=back,
            what=t(f"planner.change.exception.{data.kind.value}", name=expert.name),
            section=section,
        )
    first = changed.value[0]
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t(
            "planner.exception.saved",
            kind=t(f"planner.exception.{first.kind.value}"),
            name=expert.name,
            date=t.date(first.date),
        ),
        back=back,
        back_label=back_label,
        section=section,
    )


@router.post(f"{PREFIX}/medewerkers/{{expert_id}}/afwezigheid", response_class=HTMLResponse)
def create_exception(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
) -> Response:
    """Record an absence, sickness or extra shift for an expert."""
    here = f"{pp.base}/medewerkers/{expert_id}/afwezigheid"
    pp.page.here = here
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    return record_exception(
        pp,
        session,
        form,
        expert,
        replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        action=here,
        back=here,
        back_label=pp.t("planner.exceptions.back", name=expert.name),
        invalid=lambda f: _exceptions_page(pp, session, expert, f, status=422),
    )


@router.post(
    f"{PREFIX}/medewerkers/{{expert_id}}/afwezigheid/{{exception_id}}/verwijderen",
    response_class=HTMLResponse,
)
def delete_exception(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    expert_id: ResourceId,
    exception_id: ResourceId,
) -> Response:
    """Remove an exception (an absence ends; taking back an extra shift may break visits)."""
    t = pp.t
    back = f"{pp.base}/medewerkers/{expert_id}/afwezigheid"
    pp.page.here = back
    expert = capacity.get_expert(session, municipality=pp.municipality, expert_id=expert_id)
    try:
        changed = capacity_changes.delete_exception(
            session,
            municipality=pp.municipality,
            expert_id=expert_id,
            exception_id=exception_id,
            replan=replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{back}/{exception_id}/verwijderen",
            back=back,
            what=t("planner.change.exception_removed", name=expert.name),
            section="experts",
        )
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.exception.deleted"),
        back=back,
        back_label=t("planner.exceptions.back", name=expert.name),
        section="experts",
    )


# -- closure days ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureLine:
    id: int
    date: str
    name: str
    holiday: bool


def _closures_page(
    pp: PlannerPage,
    session: Session,
    year: int,
    form: Form,
    *,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    t = pp.t
    closures = capacity.get_closures(session, municipality=pp.municipality, year=year)
    lines = [
        ClosureLine(c.id, capitalised(t.date(c.date, year=True)), c.name, c.source == "holiday")
        for c in closures
    ]
    return pp.render(
        "planner/closures.html",
        section="closures",
        status=status,
        year=year,
        closures=lines,
        form=form,
        notice=notice,
    )


def _year(raw: int | None, pp: PlannerPage) -> int:
    year = raw or pp.today().year
    return year if capacity.FIRST_YEAR <= year <= capacity.LAST_YEAR else pp.today().year


@router.get(f"{PREFIX}/sluitingsdagen", response_class=HTMLResponse)
def closures_page(
    pp: PlannerDep, session: SessionDep, jaar: int | None = None, gevuld: int | None = None
) -> Response:
    """A year's closure days (public holidays pre-filled, editable) and a form to add one."""
    year = _year(jaar, pp)
    notice = pp.t("planner.closures.filled", count=gevuld) if gevuld is not None else None
    return _closures_page(pp, session, year, Form(), notice=notice)


@router.post(f"{PREFIX}/sluitingsdagen", response_class=HTMLResponse)
def add_closure(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
) -> Response:
    """Close the municipality on a date; with visits that day, ask first, then re-plan."""
    t = pp.t
    day = _date(form.get("datum"))
    year = day.year if day else pp.today().year
    back = f"{pp.base}/sluitingsdagen?jaar={year}"
    pp.page.here = back
    name = forms.required_text(form, t, "naam", "planner.closure.name.missing", 200)
    if day is None:
        form.add_error("datum", t("planner.error.date"))
    if day is None or name is None:
        return _closures_page(pp, session, year, form, status=422)
    try:
        changed = capacity_changes.add_closure(
            session,
            municipality=pp.municipality,
            data=ClosureIn(date=day, name=name),
            replan=replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{pp.base}/sluitingsdagen",
            back=back,
            what=t("planner.change.closure", date=t.date(day, year=True)),
            section="closures",
        )
    except Conflict as exc:
        session.rollback()
        form.add_error("datum", exc.detail if t.lang == "en" else exc.detail_nl)
        return _closures_page(pp, session, year, form, status=409)
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.closure.saved", date=t.date(day, year=True)),
        back=back,
        back_label=t("planner.closures.back"),
        section="closures",
    )


@router.post(f"{PREFIX}/sluitingsdagen/feestdagen", response_class=HTMLResponse)
def prefill_closures(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
) -> Response:
    """Pre-fill a year with the Dutch public holidays (once; edits and deletions stay)."""
    t = pp.t
    year = _year(int(form.get("jaar")) if form.get("jaar").isdigit() else None, pp)
    back = f"{pp.base}/sluitingsdagen?jaar={year}"
    pp.page.here = back
    try:
        changed = capacity_changes.prefill_year(
            session,
            municipality=pp.municipality,
            year=year,
            replan=replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        )
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=f"{pp.base}/sluitingsdagen/feestdagen",
            back=back,
            what=t("planner.change.holidays", year=year),
            section="closures",
        )
    added, _ = changed.value
    if changed.outcome.replanned:
        return outcome_page(
            pp,
            session,
            changed.outcome,
            title=t("planner.closures.filled", count=added),
            back=back,
            back_label=t("planner.closures.back"),
            section="closures",
        )
    return pp.redirect(f"{back}&gevuld={added}")


@router.post(f"{PREFIX}/sluitingsdagen/{{closure_id}}/naam", response_class=HTMLResponse)
def rename_closure(
    pp: PlannerDep, form: PostedForm, session: SessionDep, closure_id: ResourceId
) -> Response:
    """Give a closure day another name."""
    t = pp.t
    name = forms.required_text(form, t, f"naam-{closure_id}", "planner.closure.name.missing", 200)
    if name is None:
        year = _year(int(form.get("jaar")) if form.get("jaar").isdigit() else None, pp)
        return _closures_page(pp, session, year, form, status=422)
    closure = capacity.rename_closure(
        session, municipality=pp.municipality, closure_id=closure_id, name=name
    )
    return pp.redirect(f"{pp.base}/sluitingsdagen?jaar={closure.date.year}")


@router.post(f"{PREFIX}/sluitingsdagen/{{closure_id}}/verwijderen", response_class=HTMLResponse)
def delete_closure(
    pp: PlannerDep, form: PostedForm, session: SessionDep, closure_id: ResourceId
) -> Response:
    """Open a closed day again (more capacity: it can break no promise)."""
    year = _year(int(form.get("jaar")) if form.get("jaar").isdigit() else None, pp)
    capacity.delete_closure(session, municipality=pp.municipality, closure_id=closure_id)
    return pp.redirect(f"{pp.base}/sluitingsdagen?jaar={year}")


# -- service types --------------------------------------------------------------------------------

SERVICE_FIELDS = {
    "code": "code",
    "name_nl": "naam_nl",
    "name_en": "naam_en",
    "description_nl": "omschrijving_nl",
    "description_en": "omschrijving_en",
    "preparation_nl": "voorbereiding_nl",
    "preparation_en": "voorbereiding_en",
    "duration_minutes": "duur",
    "skill": "vaardigheid",
    "window_minutes": "tijdvak",
    "horizon_days": "horizon",
    "lead_time_hours": "voorbereidingstijd",
    "retention_days": "bewaartermijn",
    "active": "actief",
}


@dataclass(frozen=True)
class ServiceLine:
    code: str
    name: str
    duration: int
    skill: str
    window: int
    horizon: int
    lead_time: int
    retention: int
    active: bool


@router.get(f"{PREFIX}/diensten", response_class=HTMLResponse)
def services_page(pp: PlannerDep, session: SessionDep) -> Response:
    """The service types: duration, skill, window length, horizon, lead time, retention."""
    services = catalog.get_all(session, municipality=pp.municipality, active_only=False)
    lines = [
        ServiceLine(
            s.code,
            service_name(s, pp.t.lang),
            s.duration_minutes,
            s.skill,
            s.window_minutes,
            s.horizon_days,
            s.lead_time_hours,
            s.retention_days,
            s.active,
        )
        for s in services
    ]
    return pp.render("planner/services.html", section="services", services=lines)


def _service_form_page(
    pp: PlannerPage, form: Form, *, code: str | None, status: int = 200
) -> HTMLResponse:
    return pp.render(
        "planner/service_form.html", section="services", status=status, form=form, code=code
    )


def _service_values(form: Form, *, new: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        key: form.get(name) for key, name in SERVICE_FIELDS.items() if key != "active"
    }
    if not new:
        values.pop("code")
    values["active"] = form.get("actief") == "ja"
    for key in ("description_nl", "description_en", "preparation_nl", "preparation_en"):
        values[key] = values[key] or ""
    return values


@router.get(f"{PREFIX}/diensten/nieuw", response_class=HTMLResponse)
def new_service(pp: PlannerDep) -> Response:
    """The form for a new service type."""
    form = forms.form_of(
        {
            "duur": 60,
            "tijdvak": 120,
            "horizon": 28,
            "voorbereidingstijd": 24,
            "bewaartermijn": 90,
            "actief": "ja",
        }
    )
    return _service_form_page(pp, form, code=None)


@router.post(f"{PREFIX}/diensten/nieuw", response_class=HTMLResponse)
def create_service(pp: PlannerDep, form: PostedForm, session: SessionDep) -> Response:
    """Add a service type."""
    t = pp.t
    pp.page.here = f"{pp.base}/diensten/nieuw"
    try:
        data = ServiceTypeCreate(**_service_values(form, new=True))
        catalog.create(session, municipality=pp.municipality, data=data)
    except ValidationError as exc:
        schema_errors(exc, form, t, SERVICE_FIELDS, "code")
        return _service_form_page(pp, form, code=None, status=422)
    except Conflict as exc:
        session.rollback()
        form.add_error("code", exc.detail if t.lang == "en" else exc.detail_nl)
        return _service_form_page(pp, form, code=None, status=409)
    return pp.redirect(f"{pp.base}/diensten")


@router.get(f"{PREFIX}/diensten/{{code}}", response_class=HTMLResponse)
def edit_service(pp: PlannerDep, session: SessionDep, code: str) -> Response:
    """The form to change a service type."""
    s = catalog.get_by_code(session, municipality=pp.municipality, code=code, active_only=False)
    form = forms.form_of(
        {
            "naam_nl": s.name_nl,
            "naam_en": s.name_en,
            "omschrijving_nl": s.description_nl,
            "omschrijving_en": s.description_en,
            "voorbereiding_nl": s.preparation_nl,
            "voorbereiding_en": s.preparation_en,
            "duur": s.duration_minutes,
            "vaardigheid": s.skill,
            "tijdvak": s.window_minutes,
            "horizon": s.horizon_days,
            "voorbereidingstijd": s.lead_time_hours,
            "bewaartermijn": s.retention_days,
            "actief": "ja" if s.active else "",
        }
    )
    return _service_form_page(pp, form, code=s.code)


@router.post(f"{PREFIX}/diensten/{{code}}", response_class=HTMLResponse)
def update_service(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    code: str,
) -> Response:
    """Change a service type; a new duration or skill that breaks visits asks first."""
    t = pp.t
    here = f"{pp.base}/diensten/{code}"
    pp.page.here = here
    service = catalog.get_by_code(
        session, municipality=pp.municipality, code=code, active_only=False
    )
    try:
        data = ServiceTypeUpdate(**_service_values(form, new=False))
        changed = capacity_changes.update_service_type(
            session,
            municipality=pp.municipality,
            code=service.code,
            data=data,
            replan=replan_of(pp, settings, travel, notifier, enabled=_wants_replan(form)),
        )
    except ValidationError as exc:
        schema_errors(exc, form, t, SERVICE_FIELDS, "naam_nl")
        return _service_form_page(pp, form, code=code, status=422)
    except PromisesAtRisk as exc:
        return refused_page(
            pp,
            session,
            exc,
            form=form,
            action=here,
            back=here,
            what=t("planner.change.service", name=service_name(service, t.lang)),
            section="services",
        )
    return outcome_page(
        pp,
        session,
        changed.outcome,
        title=t("planner.service.saved", name=service_name(changed.value, t.lang)),
        back=f"{pp.base}/diensten",
        back_label=t("planner.services.back"),
        section="services",
    )
