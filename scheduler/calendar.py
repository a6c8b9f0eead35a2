"""Calendar files: the citizen's invite (iTIP over e-mail) and the expert's subscription feed.

Pure functions: model objects in, iCalendar bytes out. No database, no settings.

Decisions, for Outlook, Google Calendar and Apple Calendar alike:

* **The invite blocks the time the citizen must be at home**: DTSTART is the start of the arrival
  window and DTEND is the end of the window plus the service's duration (an expert who arrives at
  the last minute still needs that long). The SUMMARY and DESCRIPTION say in words that the expert
  *arrives between* the window's start and end, so nobody reads DTSTART as the arrival time.
* **The citizen's ATTENDEE line says PARTSTAT=ACCEPTED; RSVP=FALSE**: the citizen picked the time
  themselves, so the invite records that they agreed. Clients then file the event as accepted and do
  not ask for an answer that would only land in the municipality's mailbox.
* **Times are local with a TZID** and the calendar carries its own VTIMEZONE, written with yearly
  RRULEs (as Outlook, Google and tzurl.org write them). Outlook reads only TZID, DTSTART, RRULE and
  the offsets of a VTIMEZONE ([MS-STANOICAL] 2.2.47) and ignores RDATE lists, which is what
  ``icalendar.Timezone.from_tzinfo`` writes; that one remains the fallback for zones whose rules do
  not fit a yearly rule. **Except in autumn's repeated hour**: an event that starts or ends in the
  hour that happens twice (02:00–02:59 on the last Sunday of October) is written in UTC, since a
  local time there names two instants and clients pick either.
* **SEQUENCE is the visit's ``ical_sequence``**: the booking code bumps it on every reschedule and
  on cancellation, so a CANCEL rendered after a cancel carries the last REQUEST's sequence plus one.
  Rendering never bumps it (rendering twice must give the same invite).
* **The expert feed is ``METHOD:PUBLISH``**: that is what Google Calendar and Outlook.com put in
  their own published feeds, so it is the path every client is tested on, and Outlook imports every
  event of a downloaded feed file only with PUBLISH. Events have no ORGANIZER or ATTENDEE (nobody is
  invited). Cancelled visits are left out: every client removes an event that disappears from a
  feed, while STATUS:CANCELLED in a feed is shown differently (or not at all) by each.
* **The feed holds only what the expert needs on the road**: service, address (and GEO to navigate),
  promised window, planned arrival, reference and the citizen's notes. No name, phone or e-mail:
  calendar providers fetch the feed on their own servers, and the route app has the rest.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
)

from scheduler import clock
from scheduler.booking.models import Visit, VisitStatus
from scheduler.capacity.models import Expert
from scheduler.catalog.models import ServiceType
from scheduler.notify.recipients import recipient_of
from scheduler.notify.templates import (
    Language,
    format_address,
    format_date,
    format_house_number,
    format_time,
    is_ambiguous,
    preparation,
    service_name,
)
from scheduler.tenants.models import Municipality

PRODID = "-//Aan Huis//Huisbezoeken//NL"
#: How often subscribed calendars should fetch the feed again (Apple and Outlook honour it; Google
#: Calendar refreshes on its own schedule, typically several hours).
FEED_REFRESH = dt.timedelta(minutes=15)
#: Appended to a visit's UID in the expert feed, so the expert's copy never collides with the
#: citizen's invite (same person testing both, or a planner subscribed to a feed).
FEED_UID_PREFIX = "expert-"

InviteMethod = Literal["REQUEST", "CANCEL", "PUBLISH"]

_INVITE_TEXT: dict[Language, dict[str, str]] = {
    "nl": {
        "summary": "Huisbezoek {service} (aankomst tussen {start} en {end})",
        "cancelled": "Geannuleerd: ",
        "arrival": (
            "Een medewerker van {municipality} komt op {date} tussen {start} en {end} uur bij u "
            "thuis. Het bezoek duurt ongeveer {minutes} minuten."
        ),
        "cancel_note": "Deze afspraak is geannuleerd.",
        "prepare": "Wat u klaar kunt leggen:",
        "reference": "Referentie",
        "manage": "Bekijken, verplaatsen of annuleren",
        "contact": "Vragen? {contact}",
    },
    "en": {
        "summary": "Home visit {service} (arrival between {start} and {end})",
        "cancelled": "Cancelled: ",
        "arrival": (
            "An expert from {municipality} visits you at home on {date}, arriving between "
            "{start} and {end}. The visit takes about {minutes} minutes."
        ),
        "cancel_note": "This appointment has been cancelled.",
        "prepare": "Please have ready:",
        "reference": "Reference",
        "manage": "View, reschedule or cancel",
        "contact": "Questions? {contact}",
    },
}


def render_invite(
    visit: Visit,
    municipality: Municipality,
    service_type: ServiceType,
    *,
    manage_url: str | None,
    language: Language = "nl",
    method: InviteMethod = "REQUEST",
    now: dt.datetime | None = None,
) -> bytes:
    """The citizen's calendar invite for ``visit``, as iCalendar bytes.

    ``method`` is ``"REQUEST"`` for a new or moved visit, ``"CANCEL"`` after a cancellation (call
    it after the booking code bumped ``visit.ical_sequence``), or ``"PUBLISH"`` for a file the
    citizen downloads from the manage page (no iTIP processing wanted). The ATTENDEE is present only
    when the citizen gave an e-mail address. ``manage_url`` (None when the manage token is not at
    hand) goes into the description and the URL property. ``now`` is the DTSTAMP.
    """
    if method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"unknown iTIP method {method!r}")
    tz = clock.zone(municipality.timezone)
    text = _INVITE_TEXT[language]
    start = visit.window_start.astimezone(tz)
    end = (visit.window_end + dt.timedelta(minutes=visit.duration_minutes)).astimezone(tz)
    ambiguous = is_ambiguous(start) or is_ambiguous(end)
    service = service_name(service_type, language)
    window_start, window_end = (
        format_time(visit.window_start, tz, language),
        format_time(visit.window_end, tz, language),
    )

    summary = text["summary"].format(service=service, start=window_start, end=window_end)
    lines = [
        text["arrival"].format(
            municipality=municipality.name,
            date=format_date(clock.local_date(visit.window_start, tz), language),
            start=window_start,
            end=window_end,
            minutes=visit.duration_minutes,
        )
    ]
    if method == "CANCEL":
        summary = text["cancelled"] + summary
        lines.insert(0, text["cancel_note"])
    else:
        ready = preparation(service_type, language)
        if ready:
            lines.append(f"{text['prepare']}\n{ready}")
    lines.append(f"{text['reference']}: {visit.reference}")
    if method != "CANCEL" and manage_url:
        lines.append(f"{text['manage']}: {manage_url}")
    contact = ", ".join(p for p in (municipality.phone, municipality.email) if p)
    lines.append(text["contact"].format(contact=f"{municipality.name}: {contact}"))

    event = Event()
    event.add("uid", visit.ical_uid)
    event.add("sequence", visit.ical_sequence)
    event.add("dtstamp", (now or clock.now()).astimezone(dt.UTC))
    event.add("dtstart", event_time(start, tz, ambiguous))
    event.add("dtend", event_time(end, tz, ambiguous))
    event.add("summary", summary)
    event.add("description", "\n\n".join(lines))
    location = format_address(visit)
    if location:
        event.add("location", location)
    if method != "CANCEL" and manage_url:
        event.add("url", manage_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    # Shared or delegated calendars (family, carers) show a private event as busy only: the
    # service (debt counselling, a death in the family) is nobody else's business.
    event.add("class", "PRIVATE")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(municipality.email, municipality.name))
    to = recipient_of(visit)
    if to.email:
        attendee = _address(to.email, to.name)
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "ACCEPTED"
        attendee.params["RSVP"] = "FALSE"
        event.add("attendee", attendee)

    calendar = _calendar(method)
    calendar.add_component(vtimezone(tz, [start.date(), end.date()]))
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def event_time(instant: dt.datetime, tz: ZoneInfo, in_utc: bool) -> dt.datetime:
    """An event's start or end: local with its TZID, or in UTC (``…Z``) when the event touches
    the hour that happens twice in autumn.

    A local time in that hour names two instants; RFC 5545 lets a client pick either, and some
    (icalendar, vobject, ics) pick the first, putting a 02:30 wintertijd visit an hour early. A UTC
    time names one instant in every client.
    """
    return instant.astimezone(dt.UTC) if in_utc else instant.astimezone(tz)


def feed_uid(visit: Visit) -> str:
    """The UID of ``visit`` in an expert's feed: stable, and never the citizen's invite UID."""
    return f"{FEED_UID_PREFIX}{visit.ical_uid}"


def render_feed(
    expert: Expert,
    visits_with_service_and_address: Iterable[tuple[Visit, ServiceType]],
    municipality: Municipality,
    *,
    now: dt.datetime | None = None,
) -> bytes:
    """An expert's subscription feed: one event per visit, cancelled visits left out.

    Each visit carries its own address; the pairs give the service type of each. An event spans the
    planned start to the planned end, or the promised window while the visit is not planned yet.
    Texts are Dutch: experts are municipal staff.
    """
    tz = clock.zone(municipality.timezone)
    stamp = (now or clock.now()).astimezone(dt.UTC)
    events: list[Event] = []
    days: list[dt.date] = []
    for visit, service in visits_with_service_and_address:
        if visit.status == VisitStatus.CANCELLED:
            continue
        event = _feed_event(visit, service, tz, stamp)
        events.append(event)
        days.append(clock.local_date(visit.window_start, tz))

    calendar = _calendar("PUBLISH")
    calendar.add("name", f"Huisbezoeken {expert.name}")
    calendar.add("x-wr-calname", f"Huisbezoeken {expert.name}")
    calendar.add("x-wr-caldesc", f"Geplande huisbezoeken, {municipality.name}")
    calendar.add("x-wr-timezone", municipality.timezone)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property is text to the library: give it the duration form Outlook and Apple parse.
    calendar.add("x-published-ttl", f"PT{int(FEED_REFRESH.total_seconds()) // 60}M")
    calendar.add_component(vtimezone(tz, days or [clock.local_date(stamp, tz)]))
    for event in events:
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _feed_event(visit: Visit, service: ServiceType, tz: ZoneInfo, stamp: dt.datetime) -> Event:
    if visit.planned_start is not None and visit.planned_end is not None:
        start, end = visit.planned_start, visit.planned_end
    else:
        start, end = visit.window_start, visit.window_end
    street = " ".join(
        p for p in (visit.street, format_house_number(visit.house_number, visit.addition)) if p
    )
    summary = f"{service.name_nl}: {street}" if street else service.name_nl

    lines = [
        f"Belofte: aankomst tussen {format_time(visit.window_start, tz)} "
        f"en {format_time(visit.window_end, tz)}",
    ]
    if visit.planned_arrival is not None:
        lines.append(f"Geplande aankomst: {format_time(visit.planned_arrival, tz)}")
    else:
        lines.append("Nog niet ingepland")
    if visit.at_risk:
        lines.append("Let op: de planning haalt de belofte niet")
    lines.append(f"Duur: {visit.duration_minutes} minuten")
    lines.append(f"Referentie: {visit.reference}")
    if visit.notes:
        lines.append(f"Notities: {visit.notes}")

    event = Event()
    event.add("uid", feed_uid(visit))
    event.add("sequence", visit.ical_sequence)
    event.add("dtstamp", stamp)
    event.add("last-modified", visit.updated_at.astimezone(dt.UTC))
    ambiguous = is_ambiguous(start.astimezone(tz)) or is_ambiguous(end.astimezone(tz))
    event.add("dtstart", event_time(start, tz, ambiguous))
    event.add("dtend", event_time(end, tz, ambiguous))
    event.add("summary", summary)
    event.add("description", "\n".join(lines))
    location = format_address(visit)
    if location:
        event.add("location", location)
        event.add("geo", (visit.lat, visit.lon))
    event.add("status", "CONFIRMED")
    event.add("class", "PRIVATE")
    return event


def _calendar(method: InviteMethod) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _address(email: str, name: str | None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        # A double quote cannot stand inside a quoted parameter; RFC 6868's escape for it is not
        # understood by every client, so use the apostrophe that readers will not notice.
        address.params["CN"] = name.replace('"', "'")
    return address


# -- VTIMEZONE ------------------------------------------------------------------------------------

_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def vtimezone(tz: ZoneInfo, days: Sequence[dt.date]) -> Timezone:
    """A VTIMEZONE for ``tz`` that is right for every date in ``days`` and the years around them.

    Written with one yearly RRULE per observance when the zone's changes in those years follow one
    rule (Europe/Amsterdam: the last Sundays of March and October), else with explicit RDATEs.
    Both are derived from zoneinfo here: ``icalendar.Timezone.from_tzinfo`` writes RDATEs only
    (which Outlook ignores) and, in icalendar 7.3, drops changes in the first and last years of
    the range for zones such as Africa/Casablanca.
    """
    # Rules start a year before the first year promised: a reader needs an observance whose onset
    # precedes the date it resolves (January comes before the year's first change).
    first_year, last_year = min(days).year - 2, max(days).year + 1
    component = Timezone()
    component.add("tzid", tz.key)
    for observance in _observances(tz.key, first_year, last_year):
        sub = TimezoneDaylight() if observance.daylight else TimezoneStandard()
        sub.add("dtstart", observance.onset)
        if observance.rrule:
            sub.add("rrule", observance.rrule)
        for rdate in observance.rdates:
            sub.add("rdate", rdate)
        sub.add("tzoffsetfrom", observance.offset_from)
        sub.add("tzoffsetto", observance.offset_to)
        sub.add("tzname", observance.name)
        component.add_component(sub)
    return component


@dataclass(frozen=True)
class _Change:
    """A change of UTC offset: the instant (naive UTC) and the zone's state after it."""

    at: dt.datetime
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    daylight: bool
    name: str

    @property
    def local_onset(self) -> dt.datetime:
        """RFC 5545: an observance starts at a local time in the offset it changes *from*."""
        return self.at + self.offset_from

    @property
    def shape(self) -> tuple[dt.timedelta, dt.timedelta, bool, str]:
        return self.offset_from, self.offset_to, self.daylight, self.name


@dataclass(frozen=True)
class _Observance:
    daylight: bool
    onset: dt.datetime  # naive local time, as a VTIMEZONE writes it
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    rrule: dict[str, object] | None = None
    rdates: tuple[dt.datetime, ...] = ()


@functools.lru_cache(maxsize=64)
def _observances(key: str, first_year: int, last_year: int) -> tuple[_Observance, ...]:
    """The observances of zone ``key`` from ``first_year`` through ``last_year``."""
    tz = ZoneInfo(key)
    per_year = [_changes_in(tz, year) for year in range(first_year, last_year + 1)]
    yearly = _as_yearly_rules(per_year)
    if yearly is not None:
        return yearly
    # The state on the first day, then every change as an explicit date, grouped by what it does.
    start = dt.datetime(first_year, 1, 1, tzinfo=tz)
    offset = start.utcoffset() or dt.timedelta(0)
    observances = [
        _Observance(
            daylight=False,
            onset=dt.datetime(first_year, 1, 1),  # noqa: DTZ001 - VTIMEZONE local time
            offset_from=offset,
            offset_to=offset,
            name=start.tzname() or key,
        )
    ]
    groups: dict[tuple[dt.timedelta, dt.timedelta, bool, str], list[_Change]] = {}
    for change in (c for changes in per_year for c in changes):
        groups.setdefault(change.shape, []).append(change)
    for changes in groups.values():
        first = changes[0]
        observances.append(
            _Observance(
                daylight=first.daylight,
                onset=first.local_onset,
                offset_from=first.offset_from,
                offset_to=first.offset_to,
                name=first.name,
                rdates=tuple(c.local_onset for c in changes[1:]),
            )
        )
    return tuple(observances)


def _as_yearly_rules(per_year: list[list[_Change]]) -> tuple[_Observance, ...] | None:
    """Two yearly RRULE observances if every year changes twice by the same rules, else None."""
    if not per_year or any(len(changes) != 2 for changes in per_year):
        return None
    observances = []
    for index in range(2):
        changes = [year_changes[index] for year_changes in per_year]
        onsets = [c.local_onset for c in changes]
        if len({c.shape for c in changes}) != 1:
            return None
        if len({(o.month, o.weekday(), o.time()) for o in onsets}) != 1:
            return None
        # "Last Sunday" is the 4th in some years and the 5th in others; "2nd Sunday" always 2nd.
        ordinals = set.intersection(*(_ordinals(o.date()) for o in onsets))
        if not ordinals:
            return None
        ordinal = -1 if -1 in ordinals else min(ordinals)
        first = changes[0]
        observances.append(
            _Observance(
                daylight=first.daylight,
                onset=first.local_onset,
                offset_from=first.offset_from,
                offset_to=first.offset_to,
                name=first.name,
                rrule={
                    "FREQ": "YEARLY",
                    "BYMONTH": first.local_onset.month,
                    "BYDAY": f"{ordinal}{_WEEKDAY_CODES[first.local_onset.weekday()]}",
                },
            )
        )
    return tuple(observances)


def _ordinals(day: dt.date) -> set[int]:
    """Which occurrences of its weekday in its month ``day`` is: {2} or {4, -1} (the last one)."""
    ordinals = {(day.day - 1) // 7 + 1}
    if (day + dt.timedelta(days=7)).month != day.month:
        ordinals.add(-1)
    return ordinals


def _changes_in(tz: ZoneInfo, year: int) -> list[_Change]:
    """Every change of ``tz``'s UTC offset during ``year`` (UTC), to the second."""

    def offset(instant: dt.datetime) -> dt.timedelta:
        return instant.astimezone(tz).utcoffset() or dt.timedelta(0)

    changes = []
    day = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    while day < end:
        following = day + dt.timedelta(days=1)
        if offset(day) != offset(following):
            low, high = day, following  # offset differs at ``high``, not at ``low``
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            after = high.astimezone(tz)
            changes.append(
                _Change(
                    at=high.replace(tzinfo=None),
                    offset_from=offset(low),
                    offset_to=offset(high),
                    # The larger offset is "daylight" (zoneinfo calls Dublin's winter time DST).
                    daylight=offset(high) > offset(low),
                    name=after.tzname() or tz.key,
                )
            )
        day = following
    return changes
