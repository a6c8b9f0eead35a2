"""The personal channel: a planner books, moves or cancels a visit for a citizen on the phone.

The same use cases as online (``resolve_place``, ``make_offers``, ``book``, ``reschedule``,
``cancel``), so the same rules hold: route-aware offers, a locked re-check when booking. A booking
made here is marked as made by phone or at the desk and its history names the planner. The
confirmation shows the reference and the manage link (with its token, known only now) to read
out or pass on; it is shown once, in the answer to the POST, never put in a URL of ours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api import audit
from api.deps import SessionDep, SettingsDep
from api.runtime import GeocoderDep, KeysDep, NotifierDep, TravelDep, keys_of
from api.web import forms, needs_form
from api.web.forms import Form, PostedForm
from api.web.i18n import Translator
from api.web.planner import PREFIX, PlannerDep, PlannerPage, router
from api.web.views import VisitView, group_offers, next_day_after
from scheduler import bounds, clock
from scheduler.booking import offers as offer_service
from scheduler.booking import service as booking
from scheduler.booking.models import ACTIVE_STATUSES, Channel, Offer, Visit
from scheduler.booking.needs import describe, skills_for
from scheduler.booking.schemas import normalise_reference
from scheduler.catalog import service as catalog
from scheduler.catalog.models import ServiceType
from scheduler.errors import (
    NotFound,
    OfferExpired,
    OutsideServiceArea,
    SlotTaken,
    UnknownAddress,
)
from scheduler.geocoding import Place
from scheduler.notify import service as notify
from scheduler.notify.recipients import recipient_of
from scheduler.notify.service import manage_link
from scheduler.notify.templates import format_address, service_name
from scheduler.security import new_token
from scheduler.usecases import booking as booking_usecases

#: Windows offered to a caller at once (the phone needs a short list to read out).
OFFERS = 8


def _date(raw: str) -> dt.date | None:
    return bounds.parse_day(raw)


def _services(session: Session, pp: PlannerPage) -> list[tuple[str, str]]:
    return [
        (s.code, service_name(s, pp.t.lang))
        for s in catalog.get_all(session, municipality=pp.municipality)
    ]


def _start_page(
    pp: PlannerPage,
    session: Session,
    form: Form,
    *,
    lookup: Form | None = None,
    status: int = 200,
    found: Sequence[VisitLine] | None = None,
) -> HTMLResponse:
    return pp.render(
        "planner/desk.html",
        section="desk",
        status=status,
        form=form,
        lookup=lookup or Form(),
        services=_services(session, pp),
        needs=needs_form.need_options(pp.t),
        languages=needs_form.language_options(pp.t),
        found=found,
    )


@dataclass(frozen=True)
class VisitLine:
    """A search result: enough to tell bookings apart on the phone."""

    reference: str
    when: str
    service: str
    address: str
    person: str
    status: str


@router.post(f"{PREFIX}/balie/zoeken", response_class=HTMLResponse)
def desk_search(pp: PlannerDep, form: PostedForm, session: SessionDep) -> Response:
    """Find a caller's bookings by reference (as read out), postcode and house number, phone
    number or name. Every search is recorded (who, when, by what, how many; not the terms)."""
    t = pp.t
    pp.page.here = f"{pp.base}/balie"
    query = _search_query(form, t)
    if query is None:
        return _start_page(pp, session, Form(), lookup=form, status=422)
    found = booking.search_visits(
        session, municipality=pp.municipality, actor=pp.actor, now=clock.now(), **query
    )
    lines = []
    for v in found:
        service = session.get(ServiceType, v.service_type_id)
        assert service is not None
        view = VisitView.of(v, service, pp.municipality, t)
        audit.note("read", v, ("address", "contact", "name"), "desk", service.code)
        person = v.citizen_name or ""
        if v.contact_name:
            person += f" ({t('label.contact').lower()}: {v.contact_name})"
        lines.append(
            VisitLine(v.reference, view.when, view.service, view.address, person, view.status)
        )
    return _start_page(pp, session, Form(), lookup=form, found=lines)


def _search_query(form: Form, t: Translator) -> dict[str, Any] | None:
    """The one search the form asks for, normalised; None (with the error shown) otherwise."""
    filled = {
        k for k in ("referentie", "postcode", "huisnummer", "telefoon", "naam") if form.get(k)
    }
    if filled == {"referentie"}:
        reference = normalise_reference(form.get("referentie"))
        if reference is None:
            form.add_error("referentie", t("planner.desk.reference.unknown"))
            return None
        return {"by": "reference", "reference": reference}
    if filled == {"postcode", "huisnummer"}:
        postcode = forms.postcode(form, t)
        number = forms.house_number(form, t)
        if postcode is None or number is None:
            return None
        return {"by": "address", "postcode": postcode, "house_number": number}
    if filled == {"telefoon"}:
        phone = forms.phone(form, t)
        return {"by": "phone", "phone": phone} if phone else None
    if filled == {"naam"} and len(form.get("naam")) >= 2:
        return {"by": "name", "name": form.get("naam")}
    form.add_error("referentie", t("planner.desk.find.one"))
    return None


@router.get(f"{PREFIX}/balie", response_class=HTMLResponse)
def desk(pp: PlannerDep, session: SessionDep) -> Response:
    """Find windows for a caller's address, or look up a booking by its reference."""
    return _start_page(pp, session, Form())


def _shown(session: Session, pp: PlannerPage, ids: Sequence[str]) -> list[Offer]:
    """The offers shown before (to show them again), skipping any that are gone."""
    out = []
    for offer_id in ids[: offer_service.MAX_LIMIT]:
        if not offer_id:
            continue
        try:
            out.append(booking.get_offer(session, pp.municipality, offer_id))
        except NotFound:
            continue
    return out


def _windows_page(
    pp: PlannerPage,
    session: Session,
    service: ServiceType,
    offers: Sequence[Offer],
    form: Form,
    *,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    later = next_day_after(offers, pp.tz)
    address = {k: form.get(k) for k in ("postcode", "huisnummer", "toevoeging")}
    carried = needs_form.carried(form) | address
    needs = needs_form.needs_of(Form(values=dict(form.values)), pp.t)
    return pp.render(
        "planner/desk_windows.html",
        section="desk",
        status=status,
        form=form,
        service=service_name(service, pp.t.lang),
        service_code=service.code,
        address=format_address(offers[0]) if offers else "",
        days=group_offers(offers, pp.tz, pp.t),
        offer_ids=[o.id for o in offers],
        notice=notice,
        carried=carried,
        later={"dienst": service.code, **carried, "vanaf": later.isoformat()} if later else None,
        relations=needs_form.relation_options(pp.t),
        needs_text=", ".join(describe(needs, pp.t.lang)),
    )


@router.post(f"{PREFIX}/balie/tijden", response_class=HTMLResponse)
def desk_windows(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    geocoder: GeocoderDep,
) -> Response:
    """The windows on offer for the caller's address and service."""
    t, m = pp.t, pp.municipality
    pp.page.here = f"{pp.base}/balie"
    code = form.get("dienst")
    if not code:
        form.add_error("dienst", t("planner.desk.service.missing"))
    postcode = forms.postcode(form, t)
    number = forms.house_number(form, t)
    addition = forms.addition(form, t)
    needs = needs_form.needs_of(form, t)
    if not form.ok or postcode is None or number is None:
        return _start_page(pp, session, form, status=422)
    service = catalog.get_by_code(session, municipality=m, code=code)
    try:
        place = offer_service.resolve_place(
            session,
            m,
            offer_service.AddressQuery(postcode=postcode, house_number=number, addition=addition),
            geocoder,
        )
    except UnknownAddress:
        form.add_error("postcode", t("error.address.unknown"))
        return _start_page(pp, session, form, status=422)
    except OutsideServiceArea:
        form.add_error("postcode", t("error.address.outside", name=m.name))
        return _start_page(pp, session, form, status=422)
    offers = offer_service.make_offers(
        session,
        municipality=m,
        service=service,
        place=place,
        travel=travel,
        hold_minutes=settings.offer_hold_minutes,
        earliest=_date(form.get("vanaf")),
        limit=OFFERS,
        extra_skills=skills_for(service.need_skills or {}, needs),
    )
    details = forms.form_of(
        {
            "kanaal": "phone",
            "taal": "nl",
            "sleutel": new_token(),
            "dienst": service.code,
            "voor": "zelf",
            **{k: form.get(k) for k in ("postcode", "huisnummer", "toevoeging")},
            **needs_form.carried(form),
        }
    )
    return _windows_page(pp, session, service, offers, details)


@router.post(f"{PREFIX}/balie/boeken", response_class=HTMLResponse)
def desk_book(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
) -> Response:
    """Book the chosen window for the caller; show the reference and manage link to read out."""
    t, m = pp.t, pp.municipality
    pp.page.here = f"{pp.base}/balie"
    service = catalog.get_by_code(session, municipality=m, code=form.get("dienst"))
    offer_id = form.get("aanbod")
    if not offer_id:
        form.add_error("aanbod", t("error.window.missing"))
    name = forms.required_text(form, t, "naam", "planner.desk.name.missing", 200)
    phone = forms.phone(form, t)
    email = forms.email(form, t)
    contact = needs_form.contact_of(form, t)
    needs = needs_form.needs_of(form, t)
    notes = forms.optional_text(form, t, "opmerkingen", 1000, multiline=True)
    by_post = form.get("post") == "ja"
    # An address only is enough at the desk when the caller asks for letters.
    reachable = phone or email or by_post or needs_form.for_someone_else(form)
    if not form.error("telefoon") and not form.error("email") and not reachable:
        form.add_error("telefoon", t("planner.desk.contact.missing"))
    channel = Channel.DESK if form.get("kanaal") == "desk" else Channel.PHONE
    language = "en" if form.get("taal") == "en" else "nl"
    shown = _shown(session, pp, form.get("aanbiedingen").split(","))
    if not form.ok or name is None or (needs_form.for_someone_else(form) and contact is None):
        return _windows_page(pp, session, service, shown, form, status=422)
    key = form.get("sleutel") or None
    try:
        booked = booking_usecases.book(
            session,
            municipality=m,
            offer_id=offer_id,
            citizen=booking.Citizen(name=name, phone=phone, email=email, wants_post=by_post),
            contact=contact,
            needs=needs,
            notes=notes,
            idempotency_key=key[:200] if key else None,
            travel=travel,
            channel=channel,
            language=language,
            actor=pp.actor,
            notify=notifier,
            keys=keys_of(settings),
        )
    except (SlotTaken, OfferExpired) as exc:
        session.rollback()
        fresh = offer_service.alternatives_for(
            session,
            municipality=m,
            offer_id=offer_id,
            travel=travel,
            hold_minutes=settings.offer_hold_minutes,
            limit=OFFERS,
            needs=needs,
        )
        form.values.pop("aanbod", None)
        kind = "taken" if isinstance(exc, SlotTaken) else "expired"
        return _windows_page(
            pp, session, service, fresh, form, notice=t(f"notice.{kind}"), status=409
        )
    visit = booked.visit
    audit.note("create", visit, audit.ALL_FIELDS, "desk")
    link = manage_link(settings.base_url, m, visit, booked.manage_token)
    return pp.render(
        "planner/desk_booked.html",
        section="desk",
        visit=VisitView.of(visit, service, m, t),
        channel=t(f"planner.desk.channel.{visit.channel.value}"),
        manage_url=link if booked.manage_token else None,
        by_email=bool(recipient_of(visit).email),
    )


# -- an existing booking ---------------------------------------------------------------------------


def _visit(session: Session, pp: PlannerPage, reference: str) -> tuple[Visit, ServiceType]:
    visit = booking.get_for_planner(session, municipality=pp.municipality, reference=reference)
    service = session.get(ServiceType, visit.service_type_id)
    assert service is not None
    return visit, service


def _visit_page(
    pp: PlannerPage,
    session: Session,
    visit: Visit,
    service: ServiceType,
    *,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    pp.page.here = f"{pp.base}/balie/afspraak?referentie={quote(visit.reference)}"
    audit.note("read", visit, audit.ALL_FIELDS, "desk", service.code)
    return pp.render(
        "planner/desk_visit.html",
        section="desk",
        status=status,
        visit=VisitView.of(visit, service, pp.municipality, pp.t),
        channel=pp.t(f"planner.desk.channel.{visit.channel.value}"),
        at_risk=visit.at_risk,
        unplanned=visit.expert_day_id is None and visit.status in ACTIVE_STATUSES,
        notice=notice,
    )


@router.get(f"{PREFIX}/balie/afspraak", response_class=HTMLResponse)
def desk_visit(pp: PlannerDep, session: SessionDep, referentie: str = "") -> Response:
    """A booking by its reference: details, and ways to move or cancel it."""
    t = pp.t
    lookup = forms.form_of({"referentie": referentie})
    if not referentie.strip():
        lookup.add_error("referentie", t("planner.desk.reference.missing"))
        return _start_page(pp, session, Form(), lookup=lookup, status=422)
    try:
        visit, service = _visit(session, pp, normalise_reference(referentie) or referentie)
    except NotFound:
        lookup.add_error("referentie", t("planner.desk.reference.unknown"))
        return _start_page(pp, session, Form(), lookup=lookup, status=404)
    return _visit_page(pp, session, visit, service)


def _move_page(
    pp: PlannerPage,
    visit: Visit,
    service: ServiceType,
    offers: Sequence[Offer],
    form: Form,
    *,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    pp.page.here = f"{pp.base}/balie/afspraak?referentie={quote(visit.reference)}"
    later = next_day_after(offers, pp.tz)
    return pp.render(
        "planner/desk_move.html",
        section="desk",
        status=status,
        visit=VisitView.of(visit, service, pp.municipality, pp.t),
        days=group_offers(offers, pp.tz, pp.t),
        offer_ids=[o.id for o in offers],
        form=form,
        notice=notice,
        later=later.isoformat() if later else None,
    )


@router.post(f"{PREFIX}/balie/afspraak/{{reference}}/tijden", response_class=HTMLResponse)
def desk_move_windows(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    reference: str,
) -> Response:
    """Windows to move the booking to, at its own address."""
    visit, service = _visit(session, pp, reference)
    place = Place(
        visit.lat,
        visit.lon,
        visit.postcode,
        visit.house_number,
        visit.addition,
        visit.street,
        visit.city,
    )
    offers = offer_service.make_offers(
        session,
        municipality=pp.municipality,
        service=service,
        place=place,
        travel=travel,
        hold_minutes=settings.offer_hold_minutes,
        earliest=_date(form.get("vanaf")),
        limit=OFFERS,
        reschedule_of=visit,
    )
    return _move_page(pp, visit, service, offers, Form())


@router.post(f"{PREFIX}/balie/afspraak/{{reference}}/verzetten", response_class=HTMLResponse)
def desk_move(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notifier: NotifierDep,
    reference: str,
) -> Response:
    """Move the booking to the chosen window; the citizen gets the new time."""
    t = pp.t
    visit, service = _visit(session, pp, reference)
    offer_id = form.get("aanbod")
    if not offer_id:
        form.add_error("aanbod", t("error.window.missing"))
        shown = _shown(session, pp, form.get("aanbiedingen").split(","))
        return _move_page(pp, visit, service, shown, form, status=422)
    try:
        moved = booking_usecases.reschedule(
            session,
            municipality=pp.municipality,
            visit=visit,
            offer_id=offer_id,
            travel=travel,
            actor=pp.actor,
            notify=notifier,
            keys=keys_of(settings),
        )
    except (SlotTaken, OfferExpired) as exc:
        session.rollback()
        fresh = offer_service.alternatives_for(
            session,
            municipality=pp.municipality,
            offer_id=offer_id,
            travel=travel,
            hold_minutes=settings.offer_hold_minutes,
            limit=OFFERS,
        )
        visit, service = _visit(session, pp, reference)
        kind = "taken" if isinstance(exc, SlotTaken) else "expired"
        return _move_page(pp, visit, service, fresh, Form(), notice=t(f"notice.{kind}"), status=409)
    return _visit_page(pp, session, moved, service, notice=t("planner.desk.moved"))


@router.get(f"{PREFIX}/balie/afspraak/{{reference}}/brief.pdf", response_class=Response)
def desk_letter(pp: PlannerDep, session: SessionDep, keys: KeysDep, reference: str) -> Response:
    """The visit's letter (A4 PDF) to print at the desk."""
    visit, _ = _visit(session, pp, normalise_reference(reference) or reference)
    pdf = notify.desk_letter(session, visit=visit, keys=keys, now=clock.now())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{visit.reference}.pdf"'},
    )


@router.get(f"{PREFIX}/balie/afspraak/{{reference}}/annuleren", response_class=HTMLResponse)
def desk_cancel_confirm(pp: PlannerDep, session: SessionDep, reference: str) -> Response:
    """Ask before cancelling on the citizen's behalf."""
    visit, service = _visit(session, pp, reference)
    return pp.render(
        "planner/desk_cancel.html",
        section="desk",
        visit=VisitView.of(visit, service, pp.municipality, pp.t),
    )


@router.post(f"{PREFIX}/balie/afspraak/{{reference}}/annuleren", response_class=HTMLResponse)
def desk_cancel(
    pp: PlannerDep,
    form: PostedForm,
    session: SessionDep,
    travel: TravelDep,
    notifier: NotifierDep,
    reference: str,
) -> Response:
    """Cancel the booking on the citizen's behalf; its window is free for others at once."""
    visit, service = _visit(session, pp, reference)
    cancelled = booking_usecases.cancel(
        session,
        municipality=pp.municipality,
        visit=visit,
        travel=travel,
        actor=pp.actor,
        notify=notifier,
    )
    return _visit_page(pp, session, cancelled, service, notice=pp.t("planner.desk.cancelled"))
