"""View models: domain objects turned into the texts a page shows, in the page's language.

Pure functions of the objects they are given; no database access. Formatting only: which windows
exist, which visits may change and what is stored about a citizen is decided by the scheduler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from api.web.i18n import Translator
from scheduler import clock
from scheduler.booking.live import live_of
from scheduler.booking.models import ACTIVE_STATUSES, STARTED_STATUSES, Offer, Visit, VisitStatus
from scheduler.booking.needs import describe
from scheduler.booking.offers import AFTERNOON, EVENING, MORNING, part_of_day
from scheduler.catalog.models import ServiceType
from scheduler.notify.templates import format_address, preparation, service_name
from scheduler.tenants.models import Municipality

PARTS = (MORNING, AFTERNOON, EVENING)


@dataclass(frozen=True)
class WindowView:
    id: str
    label: str


@dataclass(frozen=True)
class PartGroup:
    key: str
    label: str
    windows: list[WindowView]


@dataclass(frozen=True)
class DayGroup:
    key: str
    label: str
    parts: list[PartGroup]


def group_offers(offers: Sequence[Offer], tz: ZoneInfo, t: Translator) -> list[DayGroup]:
    """Offers by local day, then morning / afternoon / evening, each in time order."""
    by_day: dict[dt.date, dict[str, list[Offer]]] = {}
    for offer in sorted(offers, key=lambda o: o.window_start):
        local = offer.window_start.astimezone(tz)
        by_day.setdefault(local.date(), {}).setdefault(part_of_day(local), []).append(offer)
    return [
        DayGroup(
            key=day.isoformat(),
            label=_capitalised(t.date(day)),
            parts=[
                PartGroup(
                    key=part,
                    label=t(f"part.{part}"),
                    windows=[
                        WindowView(o.id, t.times(o.window_start, o.window_end, tz))
                        for o in parts[part]
                    ],
                )
                for part in PARTS
                if part in parts
            ],
        )
        for day, parts in sorted(by_day.items())
    ]


def _capitalised(text: str) -> str:
    """A date as a heading starts with a capital: "Dinsdag 1 december" ("dinsdag" mid-sentence)."""
    return text[:1].upper() + text[1:]


def next_day_after(offers: Sequence[Offer], tz: ZoneInfo) -> dt.date | None:
    """The first date after the last offered one (where "later times" start)."""
    if not offers:
        return None
    last = max(o.window_start for o in offers).astimezone(tz).date()
    return last + dt.timedelta(days=1)


def is_changeable(visit: Visit) -> bool:
    """Booked or planned and not started: the citizen may still move or cancel it."""
    return visit.status in ACTIVE_STATUSES and visit.status not in STARTED_STATUSES


@dataclass(frozen=True)
class VisitView:
    """A booking as the citizen sees it."""

    reference: str
    status: str
    service: str
    when: str
    address: str
    name: str | None
    phone: str | None
    email: str | None
    #: The contact person who booked for the citizen, in one line ("Sara (zoon of dochter), …").
    contact: str | None
    #: The needs in words ("Tolk: Arabisch; Er is een huisdier in huis").
    needs: str | None
    notes: str | None
    preparation: str
    changeable: bool
    cancelled: bool
    erased: bool
    #: The live status while the expert comes ("Onderweg: verwacht tussen 10:20 en 10:40").
    live: str | None = None

    @classmethod
    def of(
        cls, visit: Visit, service: ServiceType, municipality: Municipality, t: Translator
    ) -> VisitView:
        tz = clock.zone(municipality.timezone)
        return cls(
            reference=visit.reference,
            status=t(f"status.{visit.status.value}"),
            service=service_name(service, t.lang),
            when=t("when.window", window=t.window(visit.window_start, visit.window_end, tz)),
            address=format_address(visit),
            name=visit.citizen_name,
            phone=visit.citizen_phone,
            email=visit.citizen_email,
            contact=contact_line(visit, t),
            needs="; ".join(describe(visit.needs or [], t.lang)) or None,
            notes=visit.notes,
            preparation=preparation(service, t.lang),
            changeable=is_changeable(visit),
            cancelled=visit.status is VisitStatus.CANCELLED,
            erased=visit.erased_at is not None,
            live=live_line(visit, t, tz),
        )


def live_line(visit: Visit, t: Translator, tz: ZoneInfo) -> str | None:
    """The live status in words while the expert is on the way or running late, else None."""
    live = live_of(visit)
    if live.expected_from is None or live.expected_until is None:
        return None
    key = "live.on_the_way" if live.status == VisitStatus.ON_THE_WAY.value else "live.late"
    return t(key, start=t.time(live.expected_from, tz), end=t.time(live.expected_until, tz))


def contact_line(visit: Visit, t: Translator) -> str | None:
    """``Sara Jansen (zoon of dochter), +31687654321, sara@example.org``, or None."""
    if visit.contact_name is None:
        return None
    who = visit.contact_name
    if visit.contact_relation is not None:
        who += f" ({t(f'relation.{visit.contact_relation.value}').lower()})"
    return ", ".join(p for p in (who, visit.contact_phone, visit.contact_email) if p)


@dataclass(frozen=True)
class ChosenOffer:
    """The window a citizen picked, before booking it."""

    id: str
    service: str
    when: str
    address: str

    @classmethod
    def of(
        cls, offer: Offer, service: ServiceType, municipality: Municipality, t: Translator
    ) -> ChosenOffer:
        tz = clock.zone(municipality.timezone)
        return cls(
            id=offer.id,
            service=service_name(service, t.lang),
            when=t("when.window", window=t.window(offer.window_start, offer.window_end, tz)),
            address=format_address(offer),
        )


def personal_data_rows(
    data: dict[str, Any], tz: ZoneInfo, t: Translator
) -> dict[str, list[tuple[str, str]] | list[str]]:
    """The export of :func:`scheduler.booking.service.export_personal_data`, as page rows."""

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        return f"{t.date(local.date(), year=True)}, {local.strftime('%H:%M')}"

    citizen, address = data["citizen"], data["address"]
    street = " ".join(
        str(p)
        for p in (address["street"], address["house_number"], address["addition"])
        if p is not None and p != ""
    )
    place = " ".join(str(p) for p in (address["postcode"], address["city"]) if p)
    return {
        "person": [
            (t("label.name"), citizen["name"] or ""),
            (t("label.phone"), citizen["phone"] or ""),
            (t("label.email"), citizen["email"] or ""),
            (t("label.address"), ", ".join(p for p in (street, place) if p)),
            (t("label.contact"), _contact_of(data.get("contact"), t)),
            (t("label.needs"), "; ".join(describe(data.get("needs") or [], t.lang))),
            (t("label.notes"), data["notes"] or ""),
            (t("label.language"), t(f"language.{data['language']}")),
        ],
        "booking": [
            (t("label.reference"), data["reference"]),
            (t("label.status"), t(f"status.{data['status']}")),
            (t("label.service"), data["service"]["name"]),
            (t("label.from"), when(data["window_start"])),
            (t("label.until"), when(data["window_end"])),
            (t("label.booked_at"), when(data["created_at"])),
        ],
        "history": [
            t("data.history_line", status=t(f"status.{e['status']}"), at=when(e["at"]))
            for e in data["history"]
        ],
        "messages": [
            t("data.message_line", kind=t(f"message.{m['kind']}"), at=when(m["created_at"]))
            for m in data["messages"]
        ],
    }


def _contact_of(contact: dict[str, Any] | None, t: Translator) -> str:
    if not contact:
        return ""
    who = contact.get("name") or ""
    if contact.get("relation"):
        who += f" ({t('relation.' + contact['relation']).lower()})"
    return ", ".join(p for p in (who, contact.get("phone"), contact.get("email")) if p)
