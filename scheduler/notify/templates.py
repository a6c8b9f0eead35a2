"""Texts of the messages to citizens, Dutch first and English when the citizen booked in English.

Dates and times are written out here (not with the process locale), so a server without the Dutch
locale installed still writes "zondag 29 maart 2026". Every text is plain, short and polite, for
readers who are often older or in a hard moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from scheduler.catalog.models import ServiceType

Language = Literal["nl", "en"]
Kind = Literal[
    "confirmation",
    "reschedule",
    "cancellation",
    "reminder",
    "disruption",
    "waiting_list_offer",
    "manage_link",
    "not_home",
    "on_the_way",
    "late",
]
KINDS: tuple[Kind, ...] = (
    "confirmation",
    "reschedule",
    "cancellation",
    "reminder",
    "disruption",
    "waiting_list_offer",
    "manage_link",
    "not_home",
    "on_the_way",
    "late",
)

#: Put before the subject of a message that cannot be e-mailed: a planner phones the citizen.
PHONE_PREFIX = "[bellen] "

#: Day and month names by language, shared by messages and the web pages.
WEEKDAYS: dict[str, tuple[str, ...]] = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS: dict[str, tuple[str, ...]] = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def normalise_language(value: str) -> Language:
    """``"nl"`` or ``"en"`` from a language tag such as ``"en-GB"``; anything else is refused."""
    tag = value.strip().lower()[:2]
    if tag == "nl":
        return "nl"
    if tag == "en":
        return "en"
    raise ValueError(f"unsupported language {value!r}: use 'nl' or 'en'")


def format_date(day: dt.date, language: Language) -> str:
    """``zondag 29 maart 2026`` or ``Sunday 29 March 2026``."""
    weekday = WEEKDAYS[language][day.weekday()]
    return f"{weekday} {day.day} {MONTHS[language][day.month - 1]} {day.year}"


#: Said after a wall-clock time that occurs twice (the repeated hour when summer time ends).
CLOCK_LABEL: dict[Language, tuple[str, str]] = {
    "nl": (" (zomertijd)", " (wintertijd)"),
    "en": (" (summer time)", " (winter time)"),
}


def is_ambiguous(local: dt.datetime) -> bool:
    """The wall-clock time of ``local`` happens twice in its zone (autumn's repeated hour)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def format_time(instant: dt.datetime, tz: ZoneInfo, language: Language = "nl") -> str:
    """Wall-clock time of an aware instant in ``tz``, 24-hour: ``09:00``.

    In the hour that happens twice when summer time ends, the time says which one it is:
    ``02:30 (zomertijd)`` is an hour before ``02:30 (wintertijd)``.
    """
    local = instant.astimezone(tz)
    text = local.strftime("%H:%M")
    if is_ambiguous(local):
        summer, winter = CLOCK_LABEL[language]
        text += summer if local.dst() else winter
    return text


class HasAddress(Protocol):
    street: str | None
    house_number: int | None
    addition: str | None
    postcode: str | None
    city: str | None


def format_house_number(number: int | None, addition: str | None) -> str:
    """``12``, ``12A`` (a house letter) or ``12-2`` (any other addition)."""
    if number is None:
        return ""
    if not addition:
        return str(number)
    if len(addition) == 1 and addition.isalpha():
        return f"{number}{addition.upper()}"
    return f"{number}-{addition}"


def format_postcode(postcode: str | None) -> str:
    """``1234 AB``: the way a Dutch postcode is written on an envelope."""
    if not postcode:
        return ""
    compact = postcode.replace(" ", "").upper()
    return f"{compact[:4]} {compact[4:]}" if len(compact) == 6 else compact


def format_address(place: HasAddress) -> str:
    """``Dorpsstraat 12A, 1234 AB Utrecht``; empty once the address has been erased."""
    line1 = " ".join(
        p
        for p in (place.street or "", format_house_number(place.house_number, place.addition))
        if p
    )
    line2 = " ".join(p for p in (format_postcode(place.postcode), place.city or "") if p)
    return ", ".join(p for p in (line1, line2) if p)


def service_name(service: ServiceType, language: Language) -> str:
    """The service's name in ``language`` (Dutch when no English name was entered)."""
    return (service.name_en if language == "en" else "") or service.name_nl


def preparation(service: ServiceType, language: Language) -> str:
    """What the citizen should have ready, in ``language`` (Dutch when no English text exists)."""
    return (service.preparation_en if language == "en" else "") or service.preparation_nl


@dataclass(frozen=True)
class MessageFacts:
    """Everything a message to a citizen says, already formatted for its language."""

    reference: str
    service: str
    date: str
    window_start: str
    window_end: str
    duration_minutes: int
    address: str
    preparation: str
    #: None when the manage token is not at hand (it is stored hashed): the text then points to
    #: the confirmation e-mail's link instead of printing a link that would not open the visit.
    manage_url: str | None
    book_url: str
    municipality: str
    municipality_phone: str | None
    municipality_email: str
    municipality_website: str | None
    #: Whom the message greets: the contact person who booked, or the citizen.
    citizen_name: str | None
    #: Whether the e-mail carries the calendar invite (not for a phone task, not for every kind).
    invite_attached: bool = False
    #: The citizen visited, when the message goes to a contact person on their behalf.
    on_behalf_of: str | None = None
    #: Free windows to suggest ("dinsdag 8 december, tussen 10:00 en 12:00 uur"), already worded.
    suggestions: tuple[str, ...] = ()
    #: The short manage link (``/m/{code}``) for SMS texts and letters, when one was issued.
    short_url: str | None = None
    #: "On the way" and "late": the expert's first name and the expected arrival band.
    expert_name: str | None = None
    expected_from: str | None = None
    expected_until: str | None = None
    #: A disruption: the first free windows at the citizen's address ("woensdag 2 december,
    #: 09:00-11:00"), to choose from with the link.
    new_windows: tuple[str, ...] = ()


_SUBJECTS: dict[Language, dict[Kind, str]] = {
    "nl": {
        "confirmation": "Bevestiging: huisbezoek {service} op {date} ({reference})",
        "reschedule": "Gewijzigd: huisbezoek {service} op {date} ({reference})",
        "cancellation": "Geannuleerd: huisbezoek {service} op {date} ({reference})",
        "reminder": "Herinnering: huisbezoek {service} op {date} ({reference})",
        "disruption": "Uw huisbezoek op {date} kan niet doorgaan ({reference})",
        "waiting_list_offer": "Er is een eerder moment vrij voor uw huisbezoek ({reference})",
        "manage_link": "Uw link voor het huisbezoek op {date} ({reference})",
        "not_home": (
            "Niemand thuis bij uw huisbezoek op {date}: maak een nieuwe afspraak ({reference})"
        ),
        "on_the_way": "Uw huisbezoek vandaag: de medewerker is onderweg ({reference})",
        "late": "Uw huisbezoek vandaag: de medewerker is later ({reference})",
    },
    "en": {
        "confirmation": "Confirmed: home visit {service} on {date} ({reference})",
        "reschedule": "Changed: home visit {service} on {date} ({reference})",
        "cancellation": "Cancelled: home visit {service} on {date} ({reference})",
        "reminder": "Reminder: home visit {service} on {date} ({reference})",
        "disruption": "Your home visit on {date} cannot go ahead ({reference})",
        "waiting_list_offer": "An earlier time is free for your home visit ({reference})",
        "manage_link": "Your link for the home visit on {date} ({reference})",
        "not_home": (
            "Nobody home for your home visit on {date}: please make a new appointment ({reference})"
        ),
        "on_the_way": "Your home visit today: the expert is on the way ({reference})",
        "late": "Your home visit today: the expert is running late ({reference})",
    },
}

_OPENINGS: dict[Language, dict[Kind, str]] = {
    "nl": {
        "confirmation": "Uw afspraak voor een huisbezoek is bevestigd.",
        "reschedule": "Uw afspraak is gewijzigd. Dit is het nieuwe moment.",
        "cancellation": "Uw afspraak is geannuleerd. Er komt niemand langs.",
        "reminder": "Dit is een herinnering aan uw afspraak voor een huisbezoek.",
        "disruption": (
            "Het spijt ons: de medewerker kan helaas niet komen op het afgesproken moment. "
            "Onze excuses voor het ongemak."
        ),
        "waiting_list_offer": (
            "U staat op de wachtlijst voor een eerder moment. Er is nu een eerder moment vrij. "
            "Wie het eerst kiest, krijgt het: we houden het niet voor u vast. Uw huidige "
            "afspraak blijft staan tot u een ander moment kiest."
        ),
        "manage_link": (
            "U vroeg om een nieuwe link voor uw afspraak. Met deze link bekijkt, verzet of "
            "annuleert u de afspraak. Eerdere links werken niet meer."
        ),
        "not_home": (
            "Onze medewerker kwam bij u langs, maar er deed niemand open. Daarom maken we graag "
            "een nieuwe afspraak met u."
        ),
        "on_the_way": "{expert} is onderweg naar u. Verwacht tussen {start} en {end} uur.",
        "late": (
            "{expert} is later dan beloofd. Het spijt ons. "
            "Nieuwe verwachting: tussen {start} en {end} uur."
        ),
    },
    "en": {
        "confirmation": "Your appointment for a home visit is confirmed.",
        "reschedule": "Your appointment has been changed. This is the new time.",
        "cancellation": "Your appointment has been cancelled. Nobody will visit.",
        "reminder": "This is a reminder of your appointment for a home visit.",
        "disruption": (
            "We are sorry: our expert cannot come at the agreed time. "
            "Our apologies for the inconvenience."
        ),
        "waiting_list_offer": (
            "You are on the waiting list for an earlier time. An earlier time is free now. "
            "First come, first served: we do not hold it for you. Your current appointment "
            "stays until you choose another time."
        ),
        "manage_link": (
            "You asked for a new link for your appointment. With this link you can view, "
            "reschedule or cancel it. Earlier links no longer work."
        ),
        "not_home": (
            "Our expert came to your home, but nobody opened the door. We would like to make a "
            "new appointment with you."
        ),
        "on_the_way": "{expert} is on the way to you; expected between {start} and {end}.",
        "late": ("{expert} is running late. We are sorry. Now expected between {start} and {end}."),
    },
}

_LABELS: dict[Language, dict[str, str]] = {
    "nl": {
        "greeting": "Beste {name},",
        "greeting_anonymous": "Beste inwoner,",
        "what": "Wat",
        "when": "Wanneer",
        "when_was": "Was gepland",
        "when_now": "Uw afspraak nu",
        "for": "Voor",
        "earlier": "Bekijk en kies een eerder moment",
        "waitlist_stop": "Geen berichten meer? Meld u af op de pagina van uw afspraak.",
        "window": "{date}, de medewerker komt tussen {start} en {end} uur",
        "duration": "Duur",
        "minutes": "ongeveer {minutes} minuten",
        "address": "Adres",
        "reference": "Referentie",
        "prepare": "Wat u klaar kunt leggen:",
        "manage": "Bekijken, verplaatsen of annuleren",
        "invite": "De afspraak zit als agenda-uitnodiging bij deze e-mail.",
        "cancel_invite": "Met de bijlage haalt u de afspraak uit uw agenda.",
        "rebook": "Wilt u toch een huisbezoek? Maak een nieuwe afspraak via",
        "pick_new": "Kies een nieuw moment dat u past",
        "free_now": "Deze momenten zijn nu nog vrij:",
        "book_new": "Maak een nieuwe afspraak via",
        "call_us": "Liever bellen? Dat kan via {phone}.",
        "manage_elsewhere": (
            "Bekijken, verplaatsen of annuleren kan met de link in uw bevestigingsmail, "
            "of neem contact met ons op via {contact}."
        ),
        "call_for_new": "Neem contact met ons op via {contact} om een nieuw moment af te spreken.",
        "contact_to_change": (
            "Wilt u de afspraak verplaatsen of annuleren? Neem contact met ons op via {contact} "
            "en noem uw referentie."
        ),
        "regards": "Met vriendelijke groet,",
        "phone": "Telefoon",
        "email": "E-mail",
        "website": "Website",
    },
    "en": {
        "greeting": "Dear {name},",
        "greeting_anonymous": "Dear resident,",
        "what": "What",
        "when": "When",
        "when_was": "Was planned",
        "when_now": "Your appointment now",
        "for": "For",
        "earlier": "See and choose an earlier time",
        "waitlist_stop": "No more messages? Leave the waiting list on your appointment's page.",
        "window": "{date}, the expert arrives between {start} and {end}",
        "duration": "Duration",
        "minutes": "about {minutes} minutes",
        "address": "Address",
        "reference": "Reference",
        "prepare": "Please have ready:",
        "manage": "View, reschedule or cancel",
        "invite": "The appointment is attached as a calendar invitation.",
        "cancel_invite": "The attachment removes the appointment from your calendar.",
        "rebook": "Would you still like a home visit? Book a new appointment at",
        "pick_new": "Please choose a new time that suits you",
        "free_now": "These times are still free now:",
        "book_new": "Make a new appointment at",
        "call_us": "Prefer to call? Phone {phone}.",
        "manage_elsewhere": (
            "To view, reschedule or cancel, use the link in your confirmation e-mail, "
            "or contact us at {contact}."
        ),
        "call_for_new": "Please contact us at {contact} to agree a new time.",
        "contact_to_change": (
            "To reschedule or cancel, please contact us at {contact} and mention your reference."
        ),
        "regards": "Kind regards,",
        "phone": "Phone",
        "email": "E-mail",
        "website": "Website",
    },
}


def window_text(facts: MessageFacts, language: Language) -> str:
    """``zondag 29 maart 2026, de medewerker komt tussen 09:00 en 11:00 uur``."""
    return _LABELS[language]["window"].format(
        date=facts.date, start=facts.window_start, end=facts.window_end
    )


def render_message(kind: Kind, facts: MessageFacts, language: Language) -> tuple[str, str]:
    """The subject and plain-text body of a message of ``kind`` to a citizen."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    t = _LABELS[language]
    subject = _SUBJECTS[language][kind].format(
        service=facts.service, date=facts.date, reference=facts.reference
    )
    greeting = (
        t["greeting"].format(name=facts.citizen_name)
        if facts.citizen_name
        else t["greeting_anonymous"]
    )
    when = {
        "cancellation": "when_was",
        "disruption": "when_was",
        "not_home": "when_was",
        "waiting_list_offer": "when_now",
    }
    facts_rows = [
        (t["what"], facts.service),
        # A booking made for someone else names the person visited.
        (t["for"], facts.on_behalf_of or ""),
        # A cancelled or disrupted visit's time is history, and the label must say so.
        (t[when.get(kind, "when")], window_text(facts, language)),
        (t["duration"], t["minutes"].format(minutes=facts.duration_minutes)),
        (t["address"], facts.address),
        (t["reference"], facts.reference),
    ]
    width = max(len(label) for label, _ in facts_rows) + 2
    table = "\n".join(f"{label + ':':<{width}}{value}" for label, value in facts_rows if value)

    contact = facts.municipality_phone or facts.municipality_email
    opening = _OPENINGS[language][kind]
    if kind in ("on_the_way", "late"):
        opening = opening.format(
            expert=facts.expert_name or ("Onze medewerker" if language == "nl" else "Our expert"),
            start=facts.expected_from or facts.window_start,
            end=facts.expected_until or facts.window_end,
        )
    parts = [greeting, opening, table]
    if kind == "cancellation":
        parts.append(f"{t['rebook']} {facts.book_url}")
        if facts.invite_attached:
            parts.append(t["cancel_invite"])
    elif kind == "waiting_list_offer":
        if facts.manage_url:
            parts.append(f"{t['earlier']}: {facts.manage_url}")
        else:
            parts.append(t["call_for_new"].format(contact=contact))
        parts.append(t["waitlist_stop"])
    elif kind == "not_home":
        if facts.suggestions:
            parts.append("\n".join([t["free_now"], *(f"- {w}" for w in facts.suggestions)]))
        parts.append(f"{t['book_new']} {facts.book_url}")
    elif kind in ("on_the_way", "late"):
        if facts.municipality_phone:
            parts.append(t["call_us"].format(phone=facts.municipality_phone))
    elif kind == "disruption":
        if facts.new_windows:
            parts.append(f"{t['free_now']}\n" + "\n".join(f"- {w}" for w in facts.new_windows))
        if facts.manage_url:
            parts.append(f"{t['pick_new']}: {facts.manage_url}")
            if facts.municipality_phone:
                parts.append(t["call_us"].format(phone=facts.municipality_phone))
        else:
            parts.append(t["call_for_new"].format(contact=contact))
    else:
        if facts.preparation:
            parts.append(f"{t['prepare']}\n{facts.preparation}")
        if facts.manage_url:
            parts.append(f"{t['manage']}: {facts.manage_url}")
        elif kind == "confirmation":
            # No earlier e-mail to point to: the confirmation is the first message.
            parts.append(t["contact_to_change"].format(contact=contact))
        else:
            parts.append(t["manage_elsewhere"].format(contact=contact))
        if facts.invite_attached:
            parts.append(t["invite"])

    signature = [t["regards"], facts.municipality]
    if facts.municipality_phone:
        signature.append(f"{t['phone']}: {facts.municipality_phone}")
    signature.append(f"{t['email']}: {facts.municipality_email}")
    if facts.municipality_website:
        signature.append(f"{t['website']}: {facts.municipality_website}")
    parts.append("\n".join(signature))
    return subject, "\n\n".join(parts) + "\n"


def window_words(start: dt.datetime, end: dt.datetime, tz: ZoneInfo, language: Language) -> str:
    """A window in a message's words: ``dinsdag 8 december 2026, de medewerker komt tussen 10:00
    en 12:00 uur``."""
    return _LABELS[language]["window"].format(
        date=format_date(start.astimezone(tz).date(), language),
        start=format_time(start, tz, language),
        end=format_time(end, tz, language),
    )
