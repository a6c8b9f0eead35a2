"""The manage pages behind the link in every confirmation: ``/afspraak/{reference}?token=…``.

A GET never changes anything (mail scanners and link previews open every link): reschedule,
cancel and erase each show a confirm step, and only its POST acts. Those POSTs carry the manage
token in the form body, which is their CSRF protection (see :mod:`api.web.csrf`); the token in
the URL of GET pages is why every page is sent with ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api import audit
from api.deps import SessionDep, SettingsDep
from api.ratelimit import Lookups, LookupsDep, citizen_visit, limit_offers
from api.runtime import NotifierDep, TravelDep, keys_of
from api.web import csrf
from api.web.forms import MAX_FIELD_LENGTH, CsrfRejected, Form
from api.web.rendering import SECURITY_HEADERS, Page, PageDep, PageRoute
from api.web.views import (
    ChosenOffer,
    VisitView,
    group_offers,
    next_day_after,
    personal_data_rows,
)
from scheduler import bounds, clock
from scheduler.audit import service as audit_log
from scheduler.audit.schemas import AccessEntry
from scheduler.booking import offers as offer_service
from scheduler.booking import service as booking
from scheduler.booking.models import Offer, Visit, VisitStatus
from scheduler.calendar import render_invite
from scheduler.catalog.models import ServiceType
from scheduler.errors import Conflict, NotFound, OfferExpired, SlotTaken
from scheduler.geocoding import Place
from scheduler.security import KeyRing
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases
from scheduler.usecases import choices as choices_usecases
from scheduler.usecases import waitlist as waitlist_usecases
from scheduler.waitlist import service as waitlist

router = APIRouter(prefix="/afspraak", route_class=PageRoute, include_in_schema=False)

#: The notices the manage page shows after an action (``?melding=…``).
NOTICES = {
    "verzet": "ok",
    "geannuleerd": "ok",
    "gewist": "ok",
    "wachtlijst": "ok",
    "geen-wachtlijst": "ok",
    "keuzes": "ok",
    "andere-medewerker": "ok",
}


class Manage:
    """The visit behind a manage link, its municipality and service, and the page links."""

    def __init__(self, page: Page, session: Session, visit: Visit, token: str, base_url: str):
        municipality = session.get(Municipality, visit.municipality_id)
        service = session.get(ServiceType, visit.service_type_id)
        assert municipality is not None and service is not None
        self.page = page.use(municipality)
        self.session = session
        self.visit = visit
        self.token = token
        self.municipality = municipality
        self.service = service
        base = f"/afspraak/{visit.reference}"
        q = f"?token={quote(token)}"
        self.manage_url = f"{base_url}{base}{q}"
        self.links = {
            "manage": f"{base}{q}",
            "invite": f"{base}/uitnodiging.ics{q}",
            "times": f"{base}/tijden",
            "choose": f"{base}/tijd",
            "reschedule": f"{base}/verzetten",
            "cancel": f"{base}/annuleren{q}",
            "data": f"{base}/gegevens{q}",
            "data_json": f"{base}/gegevens.json{q}",
            "erase": f"{base}/wissen{q}",
            "waitlist": f"{base}/wachtlijst",
            "earlier": f"{base}/eerder{q}",
            "choices": f"{base}/keuzes",
            "other_expert": f"{base}/andere-medewerker{q}",
        }

    @property
    def keys(self) -> KeyRing:
        """The sealers (offers for the citizen are sealed, not stored)."""
        return keys_of(self.page.request.app.state.settings)

    def view(self) -> VisitView:
        return VisitView.of(self.visit, self.service, self.municipality, self.page.t)

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        return self.page.render(
            template,
            status=status,
            visit=self.view(),
            links=self.links,
            token=self.token,
            manage_url=self.manage_url,
            waiting=waitlist.is_waiting(self.session, visit=self.visit),
            **values,
        )


def _manage(
    page: Page,
    session: Session,
    reference: str,
    token: str | None,
    base_url: str,
    lookups: Lookups,
) -> Manage:
    visit = citizen_visit(session, reference, token, lookups)
    return Manage(page, session, visit, token or "", base_url)


def _require_changeable(manage: Manage) -> None:
    """Moving or cancelling a visit that is cancelled, started or over: say so before any step
    (the use case itself refuses it too; this spares the citizen a choice that cannot work)."""
    if not manage.view().changeable:
        raise Conflict(
            "This appointment can no longer be moved or cancelled.",
            nl="Deze afspraak kan niet meer worden verzet of afgezegd.",
        )


def get_manage(
    reference: str,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    lookups: LookupsDep,
    token: str = "",
) -> Manage:
    """The booking of a GET manage page (token in the link's query)."""
    return _manage(page, session, reference, token, settings.base_url, lookups)


async def _manage_form(request: Request) -> Form:
    """A manage form: same-origin check; the manage token in the body stands in for the cookie."""
    data = await request.form()
    values = {k: v[:MAX_FIELD_LENGTH] for k, v in data.items() if isinstance(v, str)}
    if not csrf.same_origin(request):
        raise CsrfRejected
    return Form(values=values)


ManageForm = Annotated[Form, Depends(_manage_form)]
ManageDep = Annotated[Manage, Depends(get_manage)]


def posted_manage(
    reference: str,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    form: ManageForm,
    lookups: LookupsDep,
) -> Manage:
    """The booking of a manage POST: the token must be in the form body."""
    return _manage(page, session, reference, form.get("token"), settings.base_url, lookups)


PostedManage = Annotated[Manage, Depends(posted_manage)]


@router.get("/{reference}", response_class=HTMLResponse)
def show(manage: ManageDep, melding: str = "") -> Response:
    """The booking, with reschedule, cancel, calendar and personal-data actions."""
    t = manage.page.t
    notice = None
    if melding in NOTICES:
        notice = {
            "kind": NOTICES[melding],
            "heading": t(f"manage.notice.{melding}.title"),
            "text": t(f"manage.notice.{melding}"),
        }
    visit = manage.visit
    choices = Form(
        values={
            name: "ja" if getattr(visit, name) else ""
            for name in ("share_phone", "share_notes", "same_expert_followups")
        }
    )
    tz = clock.zone(manage.municipality.timezone)
    seen = [
        AccessEntry.of(s, tz, t.lang == "nl")
        for s in audit_log.seen_by(manage.session, visit, limit=50)
    ]
    return manage.render(
        "manage/show.html",
        notice=notice,
        choices=choices,
        seen=[(t.date(e.at.date()) + " " + t.time(e.at, tz), e.who, e.why) for e in seen],
        other_expert=bool(visit.excluded_expert_ids),
        can_ask_other=visit.expert_id is not None and manage.view().changeable,
    )


@router.post("/{reference}/keuzes", response_class=HTMLResponse)
def save_choices(manage: PostedManage, form: ManageForm) -> Response:
    """What the expert may see before the visit, and where follow-ups go (access-logged)."""
    audit.act_as(None, "citizen")
    changed = choices_usecases.set_choices(
        manage.session,
        visit=manage.visit,
        share_phone=form.get("share_phone") == "ja",
        share_notes=form.get("share_notes") == "ja",
        same_expert_followups=form.get("same_expert_followups") == "ja",
    )
    if changed:
        audit.note("decide", manage.visit, changed, "citizen")
    return manage.page.redirect(f"{manage.links['manage']}&melding=keuzes")


@router.get("/{reference}/andere-medewerker", response_class=HTMLResponse)
def confirm_other_expert(manage: ManageDep) -> Response:
    """Are you sure? Asking for another expert is a POST from this page."""
    _require_changeable(manage)
    t = manage.page.t
    view = manage.view()
    return manage.render(
        "manage/confirm.html",
        heading=t("privacy.other_expert.title"),
        lead=t("privacy.other_expert.lead"),
        rows=[(t("label.service"), view.service), (t("label.when"), view.when)],
        warning=None,
        action=f"/afspraak/{manage.visit.reference}/andere-medewerker",
        fields={"token": manage.token},
        yes=t("privacy.other_expert.yes"),
        back=manage.links["manage"],
    )


@router.post("/{reference}/andere-medewerker", response_class=HTMLResponse)
def other_expert(manage: PostedManage, travel: TravelDep) -> Response:
    """The current expert never comes to this booking again; the window stays."""
    _require_changeable(manage)
    audit.act_as(None, "citizen")
    choices_usecases.ask_other_expert(
        manage.session, municipality=manage.municipality, visit=manage.visit, travel=travel
    )
    audit.note("decide", manage.visit, ("expert",), "citizen")
    return manage.page.redirect(f"{manage.links['manage']}&melding=andere-medewerker")


@router.get("/{reference}/bevestigd", response_class=HTMLResponse)
def confirmed(manage: ManageDep) -> Response:
    """The confirmation right after booking: reference, calendar invite and the manage link."""
    return manage.render("manage/confirmed.html")


@router.get("/{reference}/uitnodiging.ics")
def invite(manage: ManageDep) -> Response:
    """The calendar invite as a file to open in any calendar app."""
    visit = manage.visit
    if visit.status is VisitStatus.CANCELLED:
        raise NotFound(
            "This visit was cancelled; there is no invite to add.",
            nl="Deze afspraak is geannuleerd; er is geen uitnodiging meer.",
        )
    body = render_invite(
        visit,
        manage.municipality,
        manage.service,
        manage_url=manage.manage_url,
        language=manage.page.lang,
        method="PUBLISH",
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{visit.reference}.ics"',
        },
    )


@router.get("/{reference}/tijden")
def times_again(manage: ManageDep) -> Response:
    """The windows are found by a POST; a GET (a language switch, a reload) goes back."""
    return manage.page.redirect(manage.links["manage"])


@router.post(
    "/{reference}/tijden", response_class=HTMLResponse, dependencies=[Depends(limit_offers)]
)
def search_times(
    manage: PostedManage, form: ManageForm, settings: SettingsDep, travel: TravelDep
) -> Response:
    """Windows to move the visit to (step 1 of rescheduling)."""
    _require_changeable(manage)
    return _times(manage, form, settings.offer_hold_minutes, travel)


@router.post("/{reference}/tijd", response_class=HTMLResponse)
def choose_time(
    manage: PostedManage, form: ManageForm, settings: SettingsDep, travel: TravelDep
) -> Response:
    """A window was picked (on to the confirm step), or later or first times were asked for."""
    action = form.get("actie")
    if action in ("later", "eerder"):
        if action == "eerder":
            form.values.pop("vanaf", None)
        return _times(manage, form, settings.offer_hold_minutes, travel)
    shown = _offers(manage, form.get("aanbiedingen").split(","))
    chosen = form.get("aanbod")
    if chosen and chosen in {o.id for o in shown}:
        return manage.page.redirect(
            f"/afspraak/{manage.visit.reference}/verzetten"
            f"?token={quote(manage.token)}&aanbod={quote(chosen)}"
        )
    form.add_error("aanbod", manage.page.t("error.window.missing"))
    return _times_page(manage, shown, form, settings.offer_hold_minutes, status=422)


@router.get("/{reference}/verzetten", response_class=HTMLResponse)
def confirm_reschedule(manage: ManageDep, aanbod: str = "") -> Response:
    """Step 2 of rescheduling: from the old window to the new one, confirmed by a POST."""
    _require_changeable(manage)
    offer = booking.get_offer(manage.session, manage.municipality, aanbod, manage.keys)
    t = manage.page.t
    new = ChosenOffer.of(offer, manage.service, manage.municipality, t)
    return manage.render(
        "manage/confirm.html",
        heading=t("reschedule.confirm.title"),
        lead=t("reschedule.confirm.lead"),
        rows=[(t("label.was"), manage.view().when), (t("label.becomes"), new.when)],
        warning=None,
        action=manage.links["reschedule"],
        fields={"token": manage.token, "aanbod": offer.id},
        yes=t("reschedule.confirm.yes"),
        back=manage.links["manage"],
    )


@router.post("/{reference}/verzetten", response_class=HTMLResponse)
def reschedule(
    manage: PostedManage,
    form: ManageForm,
    settings: SettingsDep,
    travel: TravelDep,
    notify: NotifierDep,
) -> Response:
    """Move the visit; if the window went meanwhile, offer fresh ones."""
    offer_id = form.get("aanbod")
    try:
        booking_usecases.reschedule(
            manage.session,
            municipality=manage.municipality,
            visit=manage.visit,
            offer_id=offer_id,
            travel=travel,
            notify=notify,
            keys=manage.keys,
        )
    except (SlotTaken, OfferExpired) as exc:
        manage.session.rollback()
        key = "taken" if isinstance(exc, SlotTaken) else "expired"
        fresh = offer_service.alternatives_for(
            manage.session,
            municipality=manage.municipality,
            offer_id=offer_id,
            travel=travel,
            hold_minutes=settings.offer_hold_minutes,
            keys=manage.keys,
        )
        t = manage.page.t
        notice = {"heading": t(f"notice.{key}.title"), "text": t(f"notice.{key}")}
        status = 409 if isinstance(exc, SlotTaken) else 410
        return _times_page(
            manage, fresh, Form(), settings.offer_hold_minutes, status=status, notice=notice
        )
    return manage.page.redirect(f"{manage.links['manage']}&melding=verzet")


@router.get("/{reference}/annuleren", response_class=HTMLResponse)
def confirm_cancel(manage: ManageDep) -> Response:
    """Are you sure? Cancelling is a POST from this page."""
    _require_changeable(manage)
    t = manage.page.t
    view = manage.view()
    return manage.render(
        "manage/confirm.html",
        heading=t("cancel.title"),
        lead=t("cancel.lead"),
        rows=[(t("label.service"), view.service), (t("label.when"), view.when)],
        warning=None,
        action=f"/afspraak/{manage.visit.reference}/annuleren",
        fields={"token": manage.token},
        yes=t("cancel.yes"),
        back=manage.links["manage"],
    )


@router.post("/{reference}/annuleren", response_class=HTMLResponse)
def cancel(manage: PostedManage, travel: TravelDep, notify: NotifierDep) -> Response:
    """Cancel the visit (its place in the plan is freed)."""
    booking_usecases.cancel(
        manage.session,
        municipality=manage.municipality,
        visit=manage.visit,
        travel=travel,
        notify=notify,
    )
    return manage.page.redirect(f"{manage.links['manage']}&melding=geannuleerd")


@router.post("/{reference}/wachtlijst", response_class=HTMLResponse)
def waiting_list(manage: PostedManage, form: ManageForm) -> Response:
    """Join (``actie=aan``) or leave (``actie=uit``) the waiting list for an earlier time."""
    if form.get("actie") == "uit":
        waitlist_usecases.leave(manage.session, visit=manage.visit)
        return manage.page.redirect(f"{manage.links['manage']}&melding=geen-wachtlijst")
    _require_changeable(manage)
    waitlist_usecases.join(manage.session, visit=manage.visit)
    return manage.page.redirect(f"{manage.links['manage']}&melding=wachtlijst")


@router.get("/{reference}/eerder", response_class=HTMLResponse)
def earlier_times(manage: ManageDep, settings: SettingsDep, travel: TravelDep) -> Response:
    """The waiting-list message's link: windows before the booked one, to move to (first come,
    first served). Choosing one goes through the ordinary reschedule's confirm step."""
    _require_changeable(manage)
    hold = settings.offer_hold_minutes
    offers = waitlist_usecases.earlier_offers(
        manage.session,
        municipality=manage.municipality,
        visit=manage.visit,
        travel=travel,
        hold_minutes=hold,
    )
    tz = clock.zone(manage.municipality.timezone)
    manage.page.here = manage.links["earlier"]
    t = manage.page.t
    return manage.render(
        "manage/windows.html",
        days=group_offers(offers, tz, t),
        form=Form(),
        notice=None,
        action=manage.links["choose"],
        hidden={"token": manage.token},
        offer_ids=[o.id for o in offers],
        later_from=None,
        earlier=False,
        duration=manage.service.duration_minutes,
        hold_minutes=hold,
        heading=t("earlier.title"),
        lead=t("earlier.lead", when=manage.view().when),
        empty={"heading": t("earlier.none.title"), "text": t("earlier.none")},
    )


@router.get("/{reference}/gegevens", response_class=HTMLResponse)
def see_data(manage: ManageDep) -> Response:
    """Everything stored about the citizen for this booking."""
    data = booking_usecases.export_personal_data(manage.session, manage.visit)
    rows = personal_data_rows(data, clock.zone(manage.municipality.timezone), manage.page.t)
    return manage.render(
        "manage/data.html",
        reference=manage.visit.reference,
        retention_days=data["retention_days"],
        person=rows["person"],
        booking=rows["booking"],
        history=rows["history"],
        messages=rows["messages"],
    )


@router.get("/{reference}/gegevens.json")
def download_data(manage: ManageDep) -> Response:
    """The same export as a JSON file (machine-readable, as the GDPR's portability right asks)."""
    data = booking_usecases.export_personal_data(manage.session, manage.visit)
    body = json.dumps(jsonable_encoder(data), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{manage.visit.reference}.json"',
        },
    )


@router.get("/{reference}/wissen", response_class=HTMLResponse)
def confirm_erase(manage: ManageDep) -> Response:
    """Are you sure? Erasing is a POST from this page; an upcoming visit is cancelled with it."""
    t = manage.page.t
    warning = None
    if manage.view().changeable:
        warning = {"heading": t("erase.cancels.title"), "text": t("erase.cancels")}
    return manage.render(
        "manage/confirm.html",
        heading=t("erase.title"),
        lead=t("erase.lead"),
        rows=None,
        warning=warning,
        action=f"/afspraak/{manage.visit.reference}/wissen",
        fields={"token": manage.token},
        yes=t("erase.yes"),
        back=manage.links["manage"],
    )


@router.post("/{reference}/wissen", response_class=HTMLResponse)
def erase(manage: PostedManage, travel: TravelDep) -> Response:
    """Erase the citizen's personal data (and cancel an upcoming visit)."""
    booking_usecases.erase_personal_data(
        manage.session, municipality=manage.municipality, visit=manage.visit, travel=travel
    )
    return manage.page.redirect(f"{manage.links['manage']}&melding=gewist")


# --- helpers --------------------------------------------------------------------------------------


def _offers(manage: Manage, ids: Sequence[str]) -> list[Offer]:
    out = []
    keys = manage.keys
    for offer_id in ids[: offer_service.MAX_LIMIT]:
        if not offer_id:
            continue
        try:
            out.append(booking.get_offer(manage.session, manage.municipality, offer_id, keys))
        except NotFound:
            continue
    return out


def _times(manage: Manage, form: Form, hold: int, travel: TravelDep) -> HTMLResponse:
    visit = manage.visit
    place = Place(
        visit.lat,
        visit.lon,
        visit.postcode,
        visit.house_number,
        visit.addition,
        visit.street,
        visit.city,
    )
    earliest = bounds.parse_day(form.get("vanaf"))
    offers = offer_service.make_offers(
        manage.session,
        municipality=manage.municipality,
        service=manage.service,
        place=place,
        travel=travel,
        hold_minutes=hold,
        earliest=earliest,
        reschedule_of=visit,
        keys=manage.keys,
    )
    return _times_page(manage, offers, Form(values=form.values), hold)


def _times_page(
    manage: Manage,
    offers: Sequence[Offer],
    form: Form,
    hold: int,
    *,
    status: int = 200,
    notice: dict[str, str] | None = None,
) -> HTMLResponse:
    tz = clock.zone(manage.municipality.timezone)
    later = next_day_after(offers, tz)
    manage.page.here = manage.links["manage"]
    return manage.render(
        "manage/windows.html",
        status=status,
        days=group_offers(offers, tz, manage.page.t),
        form=form,
        notice=notice,
        action=manage.links["choose"],
        hidden={"token": manage.token},
        offer_ids=[o.id for o in offers],
        later_from=later.isoformat() if later else None,
        earlier=bool(form.get("vanaf")),
        duration=manage.service.duration_minutes,
        hold_minutes=hold,
    )
