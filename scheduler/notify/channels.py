"""How a message travels, and the short texts that fit a phone.

The channel follows what the citizen (or their contact person) gave and asked for:

* a letter when they asked for post, or gave neither a phone number nor an e-mail address (the
  desk may book with an address only);
* e-mail when there is an e-mail address;
* SMS when the only number is a Dutch mobile number (``+316…``, written 06… when booking);
* a landline cannot take an SMS: a letter for the kinds that have one, else a planner calls.

Only confirmations, changes and cancellations exist as letters (a reminder or an "on the way"
by post would arrive too late). A message no channel carries is a task on the call list.
"""

from __future__ import annotations

import re
from typing import Literal

from scheduler.notify.recipients import Recipient
from scheduler.notify.templates import WEEKDAYS, Kind, Language, MessageFacts

MessageChannel = Literal["email", "sms", "letter", "call"]
CHANNELS: tuple[MessageChannel, ...] = ("email", "sms", "letter", "call")
#: The kinds that exist as a letter.
LETTER_KINDS: tuple[Kind, ...] = ("confirmation", "reschedule", "cancellation")
#: The kinds that are only worth sending at once: by post or by phone they would come too late.
LIVE_KINDS: tuple[Kind, ...] = ("on_the_way", "late")

_MOBILE = re.compile(r"\+316\d{8}")


def is_mobile(phone: str | None) -> bool:
    """A Dutch mobile number in E.164 (``+31612345678``), the only kind that takes an SMS."""
    return bool(phone) and bool(_MOBILE.fullmatch(str(phone)))


def choose_channel(
    to: Recipient, *, kind: Kind, wants_post: bool, has_address: bool
) -> MessageChannel:
    """The channel of a message of ``kind`` to ``to`` (see the module docstring)."""
    by_post: MessageChannel = "letter" if has_address and kind in LETTER_KINDS else "call"
    if wants_post or (not to.email and not to.phone):
        return by_post
    if to.email:
        return "email"
    if is_mobile(to.phone):
        return "sms"
    return by_post


def recipient_address(to: Recipient, channel: MessageChannel) -> str | None:
    """What the outbox stores as the recipient: the e-mail address or the mobile number."""
    if channel == "email":
        return to.email
    if channel == "sms":
        return to.phone
    return None


_SMS: dict[Language, dict[str, str]] = {
    "nl": {
        "confirmation": "uw huisbezoek is bevestigd: {day}, tussen {start} en {end} uur.",
        "reschedule": "uw huisbezoek is verplaatst naar {day}, tussen {start} en {end} uur.",
        "cancellation": "uw huisbezoek van {day}, {start}-{end} uur, is geannuleerd.",
        "reminder": "herinnering: huisbezoek op {day}, tussen {start} en {end} uur.",
        "disruption": "uw huisbezoek van {day}, {start}-{end} uur, kan helaas niet doorgaan.",
        "waiting_list_offer": (
            "er is een eerder moment vrij voor uw huisbezoek (nu {day}, {start}-{end} uur)."
        ),
        "manage_link": "uw link voor het huisbezoek op {day}, {start}-{end} uur.",
        "not_home": (
            "niemand deed open bij uw huisbezoek van {day}, {start}-{end} uur. "
            "Maak een nieuwe afspraak."
        ),
        "on_the_way": "{expert} is onderweg naar u. Verwacht tussen {from_} en {until} uur.",
        "late": (
            "{expert} is later dan beloofd, sorry. Nieuwe verwachting: tussen {from_} en "
            "{until} uur."
        ),
        "ref": "Ref. {reference}.",
        "link": "Bekijk of wijzig: {url}",
        "pick": "Kies een nieuw moment: {url}",
        "free": "Vrij: {windows}.",
        "call": "Vragen? Bel {phone}.",
        "for": "(voor {name})",
        "expert": "Onze medewerker",
    },
    "en": {
        "confirmation": "your home visit is confirmed: {day}, between {start} and {end}.",
        "reschedule": "your home visit has moved to {day}, between {start} and {end}.",
        "cancellation": "your home visit of {day}, {start}-{end}, is cancelled.",
        "reminder": "reminder: home visit on {day}, between {start} and {end}.",
        "disruption": "sorry, your home visit of {day}, {start}-{end}, cannot go ahead.",
        "waiting_list_offer": (
            "an earlier time is free for your home visit (now {day}, {start}-{end})."
        ),
        "manage_link": "your link for the home visit on {day}, {start}-{end}.",
        "not_home": (
            "nobody opened the door for your home visit of {day}, {start}-{end}. Please book again."
        ),
        "on_the_way": "{expert} is on the way; expected between {from_} and {until}.",
        "late": "{expert} is running late, sorry. Now expected between {from_} and {until}.",
        "ref": "Ref. {reference}.",
        "link": "View or change: {url}",
        "pick": "Choose a new time: {url}",
        "free": "Free: {windows}.",
        "call": "Questions? Call {phone}.",
        "for": "(for {name})",
        "expert": "Our expert",
    },
}


def short_day(date_text: str, language: Language) -> str:
    """``dinsdag 8 december`` from ``dinsdag 8 december 2026``: an SMS needs no year (also at
    the start of ``dinsdag 8 december 2026, 09:00-11:00``)."""
    head, sep, tail = date_text.partition(",")
    words = head.split()
    if len(words) == 4 and words[0] in WEEKDAYS[language]:
        return " ".join(words[:3]) + sep + tail
    return date_text


def render_sms(kind: Kind, facts: MessageFacts, language: Language) -> str:
    """A short text for a phone: who sends it, what happened, the reference, day, window and
    the short manage link (or the municipality's number when there is no link)."""
    t = _SMS[language]
    line = t[kind].format(
        day=short_day(facts.date, language),
        start=facts.window_start,
        end=facts.window_end,
        expert=facts.expert_name or t["expert"],
        from_=facts.expected_from or facts.window_start,
        until=facts.expected_until or facts.window_end,
    )
    parts = [f"{facts.municipality}: {line}"]
    if facts.on_behalf_of:
        parts.append(t["for"].format(name=facts.on_behalf_of))
    parts.append(t["ref"].format(reference=facts.reference))
    if kind == "disruption" and facts.new_windows:
        windows = [short_day(w, language) for w in facts.new_windows[:2]]
        parts.append(t["free"].format(windows="; ".join(windows)))
    if kind == "not_home" and facts.suggestions:
        windows = [short_day(w, language) for w in facts.suggestions[:2]]
        parts.append(t["free"].format(windows="; ".join(windows)))
    url = facts.book_url if kind == "not_home" else facts.short_url or facts.manage_url
    if url and kind != "cancellation":
        label = "pick" if kind in ("disruption", "waiting_list_offer", "not_home") else "link"
        parts.append(t[label].format(url=url))
    elif facts.municipality_phone:
        parts.append(t["call"].format(phone=facts.municipality_phone))
    return " ".join(parts)
