"""The citizen's booking pages: choose a service, give an address, pick a window, leave details.

State travels between steps without personal data in URLs: the address goes by POST (and back
as hidden fields of POSTed forms), windows are referred to by offer id, and after booking the
browser is sent to the confirmation under the reference and its manage token.

Every handler calls the scheduler's use cases directly (``resolve_place``, ``make_offers``,
``alternatives_for``, ``book``); no business rule is repeated here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from api.ratelimit import LookupsDep, TooManyRequests, limit_bookings, limit_offers
from api.runtime import GeocoderDep, NotifierDep, TravelDep, keys_of
from api.web import forms, needs_form
from api.web.forms import Form, PostedForm
from api.web.rendering import Page, PageDep, PageRoute, TenantPage
from api.web.views import ChosenOffer, group_offers, next_day_after
from scheduler import bounds, clock
from scheduler.booking import offers as offer_service
from scheduler.booking import service as booking
from scheduler.booking.models import Offer
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
from scheduler.notify.templates import format_address, service_name
from scheduler.security import KeyRing, new_token
from scheduler.tenants import service as tenants
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SLUG = "{slug:municipality_slug}"
#: How many alternatives to offer when a chosen window was taken or expired.
ALTERNATIVES = 6


class ServiceView:
    """A service in the page language."""

    def __init__(self, service: ServiceType, lang: str) -> None:
        self.code = service.code
        self.name = service_name(service, "en" if lang == "en" else "nl")
        self.description = (service.description_en if lang == "en" else "") or (
            service.description_nl
        )
        self.duration_minutes = service.duration_minutes


@router.get("/", response_class=HTMLResponse)
def home(page: PageDep, session: SessionDep) -> Response:
    """The municipalities that book home visits here."""
    return page.render("home.html", municipalities=tenants.get_all(session))


@router.get(f"/{SLUG}/", response_class=HTMLResponse)
def start(page: TenantPage, session: SessionDep) -> Response:
    """A municipality's start page: the services it offers at home."""
    municipality = _municipality(page)
    services = catalog.get_all(session, municipality=municipality)
    return page.render("citizen/start.html", services=[ServiceView(s, page.lang) for s in services])


@router.get(f"/{SLUG}/diensten/{{code}}", response_class=HTMLResponse)
def address_form(page: TenantPage, session: SessionDep, code: str) -> Response:
    """Step 2: for whom, postcode and house number, and the needs."""
    service = catalog.get_by_code(session, municipality=_municipality(page), code=code)
    return _address_page(page, service, forms.form_of({needs_form.FOR: "zelf"}))


@router.post(
    f"/{SLUG}/diensten/{{code}}",
    response_class=HTMLResponse,
    dependencies=[Depends(limit_offers)],
)
def search_windows(
    page: TenantPage,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    geocoder: GeocoderDep,
    form: PostedForm,
    code: str,
) -> Response:
    """Step 3: the windows on offer for this address (or the address form again, with errors).

    Needs that the service ties to a skill (an interpreter's language) leave only the windows
    of experts who have it.
    """
    municipality = _municipality(page)
    service = catalog.get_by_code(session, municipality=municipality, code=code)
    page.here = f"/{municipality.slug}/diensten/{service.code}"
    if form.get("actie") == "taal":
        return _address_page(page, service, form)
    if form.get(needs_form.FOR) not in ("", "zelf", "ander"):  # "" (not asked): for oneself
        form.add_error(needs_form.FOR, page.t("for.missing"))
    postcode = forms.postcode(form, page.t)
    number = forms.house_number(form, page.t)
    addition = forms.addition(form, page.t)
    needs = needs_form.needs_of(form, page.t)
    if not form.ok or postcode is None or number is None:
        return _address_page(page, service, form, status=422)
    try:
        place = offer_service.resolve_place(
            session,
            municipality,
            offer_service.AddressQuery(postcode=postcode, house_number=number, addition=addition),
            geocoder,
        )
    except UnknownAddress:
        form.add_error("postcode", page.t("error.address.unknown"))
        return _address_page(page, service, form, status=422)
    except OutsideServiceArea:
        problem = {
            "heading": page.t("error.address.outside.title"),
            "text": page.t("error.address.outside", name=municipality.name),
        }
        return _address_page(page, service, form, status=422, problem=problem)
    offers = offer_service.make_offers(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        hold_minutes=settings.offer_hold_minutes,
        earliest=_date(form.get("vanaf")),
        extra_skills=skills_for(service.need_skills or {}, needs),
        keys=keys_of(settings),
    )
    return _windows_page(
        page, service, offers, form=Form(values=form.values), hold=settings.offer_hold_minutes
    )


@router.post(
    f"/{SLUG}/diensten/{{code}}/tijd",
    response_class=HTMLResponse,
    dependencies=[Depends(limit_offers)],
)
def choose_window(
    page: TenantPage,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    geocoder: GeocoderDep,
    form: PostedForm,
    code: str,
) -> Response:
    """A window was picked (on to step 4), or later or first times were asked for."""
    municipality = _municipality(page)
    service = catalog.get_by_code(session, municipality=municipality, code=code)
    action = form.get("actie")
    if action in ("later", "eerder"):
        if action == "eerder":
            form.values.pop("vanaf", None)
        return search_windows(page, session, settings, travel, geocoder, form, code)
    chosen = form.get("aanbod")
    shown = _offers(session, municipality, form.get("aanbiedingen").split(","), _keys(page))
    hold = settings.offer_hold_minutes
    if action == "taal":
        return _windows_page(page, service, shown, form=form, hold=hold)
    if chosen and chosen in {o.id for o in shown}:
        # The answers so far (for whom, needs) go on as hidden fields, never in a URL.
        offer = booking.get_offer(session, municipality, chosen, _keys(page))
        details = forms.form_of(
            {"aanbod": offer.id, "sleutel": new_token(), **needs_form.carried(form)}
        )
        return _details_page(page, session, offer, details)
    page.here = f"/{municipality.slug}/diensten/{service.code}"
    form.add_error("aanbod", page.t("error.window.missing"))
    return _windows_page(page, service, shown, form=form, hold=hold, status=422)


@router.get(f"/{SLUG}/gegevens", response_class=HTMLResponse)
def details_form(page: TenantPage, session: SessionDep, aanbod: str = "") -> Response:
    """Step 4: name and contact details for the chosen window."""
    municipality = _municipality(page)
    offer = booking.get_offer(session, municipality, aanbod, _keys(page))
    form = forms.form_of({"aanbod": offer.id, "sleutel": new_token()})
    return _details_page(page, session, offer, form)


@router.post(
    f"/{SLUG}/gegevens", response_class=HTMLResponse, dependencies=[Depends(limit_bookings)]
)
def book(
    page: TenantPage,
    session: SessionDep,
    settings: SettingsDep,
    travel: TravelDep,
    notify: NotifierDep,
    form: PostedForm,
) -> Response:
    """Book the chosen window: on to the confirmation (303), or explain and offer fresh windows."""
    municipality = _municipality(page)
    t = page.t
    offer_id = form.get("aanbod")
    page.here = f"/{municipality.slug}/gegevens?aanbod={quote(offer_id)}"
    if form.get("actie") == "taal":
        return _details_again(page, session, form, offer_id, status=200)
    other = needs_form.for_someone_else(form)
    missing_name = "details.visited.name.missing" if other else "error.name.missing"
    name = forms.required_text(form, t, "naam", missing_name, 200)
    phone = forms.phone(form, t)
    email = forms.email(form, t)
    contact = needs_form.contact_of(form, t)
    notes = forms.optional_text(form, t, "opmerkingen", 1000, multiline=True)
    needs = needs_form.needs_of(form, t)
    reachable = phone or email or other
    if not form.error("telefoon") and not form.error("email") and not reachable:
        form.add_error("telefoon", t("error.contact.missing"))
    if not offer_id:
        form.add_error("aanbod", t("error.window.missing"))
    if not form.ok or name is None or (other and contact is None):
        return _details_again(page, session, form, offer_id, status=422)
    key = form.get("sleutel") or None
    try:
        booked = booking_usecases.book(
            session,
            municipality=municipality,
            offer_id=offer_id,
            citizen=booking.Citizen(name=name, phone=phone, email=email),
            contact=contact,
            needs=needs,
            notes=notes,
            idempotency_key=key[:200] if key else None,
            travel=travel,
            language=page.lang,
            notify=notify,
            keys=keys_of(settings),
        )
    except (SlotTaken, OfferExpired) as exc:
        session.rollback()
        notice_key = "taken" if isinstance(exc, SlotTaken) else "expired"
        alternatives = offer_service.alternatives_for(
            session,
            municipality=municipality,
            offer_id=offer_id,
            travel=travel,
            hold_minutes=settings.offer_hold_minutes,
            limit=ALTERNATIVES,
            needs=needs,
            keys=keys_of(settings),
        )
        form.values.pop("aanbod", None)
        notice = {"heading": t(f"notice.{notice_key}.title"), "text": t(f"notice.{notice_key}")}
        status = 409 if isinstance(exc, SlotTaken) else 410
        return _details_page(
            page, session, None, form, alternatives=alternatives, notice=notice, status=status
        )
    visit = booked.visit
    if booked.manage_token is None:  # a retry long after the booking: the link went by mail
        raise NotFound(
            "This booking was already made; use the link in your confirmation.",
            nl="Deze afspraak is al gemaakt; gebruik de link in uw bevestiging.",
        )
    return page.redirect(
        f"/afspraak/{visit.reference}/bevestigd?token={quote(booked.manage_token)}"
    )


@router.get(f"/{SLUG}/mijn-afspraak", response_class=HTMLResponse)
def lookup_form(page: TenantPage) -> Response:
    """ "Heeft u al een afspraak?": ask for a fresh manage link with reference and address."""
    return _lookup_page(page, Form())


@router.post(f"/{SLUG}/mijn-afspraak", response_class=HTMLResponse)
def lookup(
    page: TenantPage,
    session: SessionDep,
    notify: NotifierDep,
    lookups: LookupsDep,
    form: PostedForm,
) -> Response:
    """Send a fresh manage link when reference, postcode and house number match an active
    booking. The page says the same whether or not they did; only the look-up limit shows."""
    municipality = _municipality(page)
    t = page.t
    if form.get("actie") == "taal":
        return _lookup_page(page, form)
    raw = form.get("referentie")
    if not raw:
        form.add_error("referentie", t("lookup.reference.missing"))
    postcode = forms.postcode(form, t)
    number = forms.house_number(form, t)
    if not form.ok or postcode is None or number is None:
        return _lookup_page(page, form, status=422)
    reference = normalise_reference(raw)
    try:
        lookups.hit(reference or raw.upper())
    except TooManyRequests:
        notice = {"kind": "warning", "heading": t("lookup.too_many.title"), "text": ""}
        notice["text"] = t("lookup.too_many")
        return _lookup_page(page, form, status=429, notice=notice)
    if reference is not None:
        booking_usecases.send_manage_link(
            session,
            municipality=municipality,
            reference=reference,
            postcode=postcode,
            house_number=number,
            notify=notify,
        )
    notice = {"kind": "ok", "heading": t("lookup.sent.title"), "text": t("lookup.sent")}
    return _lookup_page(page, Form(), notice=notice)


def _lookup_page(
    page: Page, form: Form, *, status: int = 200, notice: dict[str, str] | None = None
) -> HTMLResponse:
    action = f"/{_municipality(page).slug}/mijn-afspraak"
    page.keep_form("zoeken", action)
    return page.render(
        "citizen/lookup.html", status=status, form=form, action=action, notice=notice
    )


# --- helpers --------------------------------------------------------------------------------------


def _keys(page: Page) -> KeyRing:
    return keys_of(page.request.app.state.settings)


def _municipality(page: Page) -> Municipality:
    assert page.municipality is not None
    return page.municipality


def _date(raw: str) -> dt.date | None:
    return bounds.parse_day(raw)


def _offers(
    session: Session, municipality: Municipality, ids: Sequence[str], keys: KeyRing
) -> list[Offer]:
    """The offers shown before (to show them again), skipping any that are gone."""
    out = []
    for offer_id in ids[: offer_service.MAX_LIMIT]:
        if not offer_id:
            continue
        try:
            out.append(booking.get_offer(session, municipality, offer_id, keys))
        except NotFound:
            continue
    return out


def _address_page(
    page: Page,
    service: ServiceType,
    form: Form,
    *,
    status: int = 200,
    problem: dict[str, str] | None = None,
) -> HTMLResponse:
    action = f"/{_municipality(page).slug}/diensten/{service.code}"
    page.keep_form("boeken", action)
    return page.render(
        "citizen/address.html",
        status=status,
        service=ServiceView(service, page.lang),
        form=form,
        problem=problem,
        action=action,
        needs=needs_form.need_options(page.t),
        languages=needs_form.language_options(page.t),
    )


def _windows_page(
    page: Page,
    service: ServiceType,
    offers: Sequence[Offer],
    *,
    form: Form,
    hold: int,
    status: int = 200,
) -> HTMLResponse:
    municipality = _municipality(page)
    tz = clock.zone(municipality.timezone)
    later = next_day_after(offers, tz)
    address = format_address(offers[0]) if offers else ""
    hidden = {k: form.get(k) for k in ("postcode", "huisnummer", "toevoeging")}
    hidden |= needs_form.carried(form)
    action = f"/{municipality.slug}/diensten/{service.code}/tijd"
    page.keep_form("boeken", action)
    needs = needs_form.needs_of(Form(values=dict(form.values)), page.t)
    restricted = bool(skills_for(service.need_skills or {}, needs))
    return page.render(
        "citizen/windows.html",
        status=status,
        service=ServiceView(service, page.lang),
        address=address,
        days=group_offers(offers, tz, page.t),
        form=form,
        notice=None,
        restricted=restricted,
        action=action,
        hidden=hidden,
        offer_ids=[o.id for o in offers],
        later_from=later.isoformat() if later else None,
        earlier=bool(form.get("vanaf")),
        hold_minutes=hold,
    )


def _details_page(
    page: Page,
    session: Session,
    offer: Offer | None,
    form: Form,
    *,
    alternatives: Sequence[Offer] | None = None,
    notice: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The contact form, for one chosen window or with a fresh choice of ``alternatives``."""
    municipality = _municipality(page)
    tz = clock.zone(municipality.timezone)
    source = offer or (alternatives[0] if alternatives else None)
    chosen = other_times = None
    if source is not None:
        service = session.get(ServiceType, source.service_type_id)
        assert service is not None
        if offer is not None:
            chosen = ChosenOffer.of(offer, service, municipality, page.t)
        other_times = {
            "service": service.code,
            "fields": {
                "postcode": source.postcode or "",
                "huisnummer": str(source.house_number or ""),
                "toevoeging": source.addition or "",
                **needs_form.carried(form),
            },
        }
    page.keep_form("boeken", f"/{municipality.slug}/gegevens")
    needs = needs_form.needs_of(Form(values=dict(form.values)), page.t)
    return page.render(
        "citizen/details.html",
        status=status,
        form=form,
        for_other=needs_form.for_someone_else(form),
        carried=needs_form.carried(form),
        needs_text=", ".join(describe(needs, page.t.lang)),
        relations=needs_form.relation_options(page.t),
        chosen=chosen,
        alternatives=group_offers(alternatives, tz, page.t) if alternatives is not None else None,
        alternative_ids=[o.id for o in alternatives or ()],
        notice=notice,
        idempotency_key=form.get("sleutel") or new_token(),
        other_times=other_times,
    )


def _details_again(
    page: Page,
    session: Session,
    form: Form,
    offer_id: str,
    *,
    status: int,
) -> HTMLResponse:
    """The contact form again with its errors: for the same window, or the alternatives shown."""
    municipality = _municipality(page)
    try:
        offer = (
            booking.get_offer(session, municipality, offer_id, _keys(page)) if offer_id else None
        )
    except NotFound:
        offer = None
    if offer is not None:
        return _details_page(page, session, offer, form, status=status)
    shown = _offers(session, municipality, form.get("alternatieven").split(","), _keys(page))
    return _details_page(page, session, None, form, alternatives=shown, status=status)
