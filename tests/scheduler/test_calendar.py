"""Calendar invites and expert feeds: parsed back with icalendar and with vobject.

The fixtures are one municipality (Utrecht, Europe/Amsterdam), one service (a 60-minute WMO
intake) and a visit whose arrival window is given in local wall-clock time, so every expected value
below can be checked by hand against a calendar.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from dateutil import tz as dateutil_tz
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import clock
from scheduler.booking.models import Visit, VisitStatus
from scheduler.calendar import FEED_UID_PREFIX, render_feed, render_invite, vtimezone
from scheduler.capacity.models import Expert
from scheduler.catalog.models import ServiceType
from scheduler.tenants.models import Municipality

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MANAGE = "https://aanhuis.example/utrecht/afspraak/AH-7K3M-9QXD?token=s3cr3t"


def municipality() -> Municipality:
    return Municipality(
        id=1,
        slug="utrecht",
        name="Gemeente Utrecht",
        timezone="Europe/Amsterdam",
        center_lat=52.09,
        center_lon=5.12,
        radius_km=12.0,
        email="huisbezoek@utrecht.example",
        phone="14 030",
        website="https://utrecht.example",
    )


def service() -> ServiceType:
    return ServiceType(
        id=1,
        municipality_id=1,
        code="wmo-intake",
        name_nl="Wmo-intake",
        name_en="WMO intake",
        preparation_nl="Uw identiteitsbewijs en een lijst van uw medicijnen.",
        preparation_en="Your ID and a list of your medicines.",
        duration_minutes=60,
        skill="wmo",
    )


def visit(
    day: dt.date = dt.date(2026, 6, 15),
    start: dt.time = dt.time(9, 0),
    end: dt.time = dt.time(11, 0),
    **fields: object,
) -> Visit:
    """A booked visit whose window is ``start``–``end`` local time on ``day``."""
    values: dict[str, object] = {
        "id": 7,
        "municipality_id": 1,
        "service_type_id": 1,
        "reference": "AH-7K3M-9QXD",
        "manage_token_hash": "0" * 64,
        "status": VisitStatus.BOOKED,
        "date": day,
        "window_start": clock.at_local(day, start, AMS),
        "window_end": clock.at_local(day, end, AMS),
        "duration_minutes": 60,
        "lat": 52.0907,
        "lon": 5.1214,
        "postcode": "3511AB",
        "house_number": 12,
        "addition": "a",
        "street": "Oudegracht",
        "city": "Utrecht",
        "citizen_name": "Jan de Vries",
        "citizen_phone": "0612345678",
        "citizen_email": "jan.devries@example.nl",
        "notes": "Bel twee keer aan, slechthorend",
        "ical_uid": "3f2a9c1e-8d4b-4c55-9a51-0b7f6f0e2d11@aanhuis",
        "ical_sequence": 0,
        "at_risk": False,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Visit(**values)


def invite(v: Visit, **kwargs: object) -> bytes:
    return render_invite(v, municipality(), service(), manage_url=MANAGE, now=NOW, **kwargs)


def only_event(data: bytes) -> icalendar.Event:
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def unfolded(data: bytes) -> str:
    """The iCalendar text with folded lines joined, for plain substring checks."""
    return data.decode().replace("\r\n ", "")


# -- invites ----------------------------------------------------------------------------------


def test_invite_is_an_itip_request_both_parsers_understand() -> None:
    """A REQUEST names the municipality as organiser, the citizen as accepted attendee, and says
    where, when and what to have ready; icalendar and vobject read the same values."""
    v = visit()
    data = invite(v)

    cal = icalendar.Calendar.from_ical(data)
    assert cal["METHOD"] == "REQUEST"
    assert cal["PRODID"]
    event = only_event(data)
    assert str(event["UID"]) == v.ical_uid
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:huisbezoek@utrecht.example"
    assert event["ORGANIZER"].params["CN"] == "Gemeente Utrecht"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:jan.devries@example.nl"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"
    assert str(event["LOCATION"]) == "Oudegracht 12A, 3511 AB Utrecht"
    description = str(event["DESCRIPTION"])
    assert "Uw identiteitsbewijs en een lijst van uw medicijnen." in description
    assert "AH-7K3M-9QXD" in description
    assert MANAGE in description
    assert "tussen 09:00 en 11:00" in str(event["SUMMARY"])

    parsed = vobject.readOne(data.decode())
    assert parsed.method.value == "REQUEST"
    assert parsed.vevent.uid.value == v.ical_uid
    assert parsed.vevent.sequence.value == "0"
    assert parsed.vevent.attendee.value == "mailto:jan.devries@example.nl"
    assert parsed.vevent.location.value == "Oudegracht 12A, 3511 AB Utrecht"
    assert parsed.vevent.description.value == description


@pytest.mark.parametrize(
    ("day", "utc_start", "utc_end"),
    [
        # Last Sunday of March: clocks go 02:00 → 03:00, so 09:00 is CEST (UTC+2).
        (dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 7, 0), dt.datetime(2026, 3, 29, 10, 0)),
        # Last Sunday of October: clocks go 03:00 → 02:00, so 09:00 is CET (UTC+1).
        (dt.date(2026, 10, 25), dt.datetime(2026, 10, 25, 8, 0), dt.datetime(2026, 10, 25, 11, 0)),
        # The days before each change, on the other offset.
        (dt.date(2026, 3, 28), dt.datetime(2026, 3, 28, 8, 0), dt.datetime(2026, 3, 28, 11, 0)),
        (dt.date(2026, 10, 24), dt.datetime(2026, 10, 24, 7, 0), dt.datetime(2026, 10, 24, 10, 0)),
    ],
)
def test_window_shows_in_local_time_on_dst_change_days(
    day: dt.date, utc_start: dt.datetime, utc_end: dt.datetime
) -> None:
    """A 09:00–11:00 window is 09:00 local in the invite (DTEND 12:00: window end plus 60 minutes),
    at the right UTC instant, in both parsers, on and around the days the clocks change."""
    data = invite(visit(day, dt.time(9), dt.time(11)))
    text = unfolded(data)
    assert f"DTSTART;TZID=Europe/Amsterdam:{day:%Y%m%d}T090000" in text
    assert f"DTEND;TZID=Europe/Amsterdam:{day:%Y%m%d}T120000" in text

    event = only_event(data)
    start, end = event["DTSTART"].dt, event["DTEND"].dt
    assert (start.hour, start.minute, end.hour) == (9, 0, 12)
    assert start.astimezone(dt.UTC) == utc_start.replace(tzinfo=dt.UTC)
    assert end.astimezone(dt.UTC) == utc_end.replace(tzinfo=dt.UTC)

    # vobject builds its time zone from the VTIMEZONE in the file, so this checks that too.
    parsed = vobject.readOne(data.decode()).vevent
    assert parsed.dtstart.value.astimezone(dt.UTC) == utc_start.replace(tzinfo=dt.UTC)
    assert parsed.dtend.value.astimezone(dt.UTC) == utc_end.replace(tzinfo=dt.UTC)
    assert parsed.dtstart.value.hour == 9


def test_invite_carries_the_municipality_vtimezone_written_for_outlook() -> None:
    """The VTIMEZONE has the TZID the events use and yearly RRULEs (Outlook ignores RDATE), with
    the spring change at 02:00 and the autumn change at 03:00 local, as RFC 5545 counts them."""
    data = invite(visit(dt.date(2026, 3, 29)))
    zones = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Amsterdam"]
    text = unfolded(data)
    assert "RDATE" not in text
    daylight = zones[0].walk("DAYLIGHT")[0]
    standard = zones[0].walk("STANDARD")[0]
    assert daylight["RRULE"]["BYMONTH"] == [3] and daylight["RRULE"]["BYDAY"] == ["-1SU"]
    assert standard["RRULE"]["BYMONTH"] == [10] and standard["RRULE"]["BYDAY"] == ["-1SU"]
    assert daylight["DTSTART"].dt.time() == dt.time(2, 0)
    assert standard["DTSTART"].dt.time() == dt.time(3, 0)
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


ZONES = [
    "Europe/Amsterdam",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Tokyo",
    "Africa/Casablanca",  # changes twice a year around Ramadan: no yearly rule, explicit dates
]


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(ZONES),
    instant=st.datetimes(
        min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31, 23, 59)
    ),
)
def test_vtimezone_agrees_with_zoneinfo(key: str, instant: dt.datetime) -> None:
    """For any instant in the years around the event, a reader of the VTIMEZONE alone (dateutil's
    tzical, which is what vobject uses) finds the same UTC offset as zoneinfo."""
    zone = ZoneInfo(key)
    component = vtimezone(zone, [dt.date(2026, 6, 1)])
    reader = dateutil_tz.tzical(_as_file(component.to_ical().decode())).get(key)
    utc = instant.replace(tzinfo=dt.UTC)
    assert utc.astimezone(reader).utcoffset() == utc.astimezone(zone).utcoffset()


@pytest.mark.parametrize("key", ["Europe/Amsterdam", "America/New_York", "Africa/Casablanca"])
def test_vtimezone_is_exact_around_every_change(key: str) -> None:
    """Every 5 minutes from three hours before to three hours after each change of 2026, the
    VTIMEZONE read on its own gives zoneinfo's offset (the hours a random sample rarely hits)."""
    zone = ZoneInfo(key)
    reader = dateutil_tz.tzical(
        _as_file(vtimezone(zone, [dt.date(2026, 1, 1)]).to_ical().decode())
    ).get(key)
    changes = [
        hour
        for hour in (
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=h) for h in range(365 * 24)
        )
        if hour.astimezone(zone).utcoffset()
        != (hour - dt.timedelta(hours=1)).astimezone(zone).utcoffset()
    ]
    assert len(changes) >= 2  # the zones chosen all change in 2026
    for change in changes:
        for step in range(-36, 37):
            utc = change + dt.timedelta(minutes=5 * step)
            assert utc.astimezone(reader).utcoffset() == utc.astimezone(zone).utcoffset(), utc


def _as_file(text: str) -> object:
    import io

    return io.StringIO(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{text}END:VCALENDAR\r\n")


def test_reschedule_keeps_uid_and_raises_sequence() -> None:
    """Moving a visit (the booking code bumps the sequence) gives an invite with the same UID, the
    next SEQUENCE and the new time, so calendars move the event instead of adding a second one."""
    v = visit(dt.date(2026, 6, 15))
    first = only_event(invite(v))
    v.window_start = clock.at_local(dt.date(2026, 6, 17), dt.time(13), AMS)
    v.window_end = clock.at_local(dt.date(2026, 6, 17), dt.time(15), AMS)
    v.ical_sequence += 1
    second = only_event(invite(v))
    assert str(second["UID"]) == str(first["UID"]) == v.ical_uid
    assert second["SEQUENCE"] == first["SEQUENCE"] + 1
    assert second["DTSTART"].dt == dt.datetime(2026, 6, 17, 13, tzinfo=AMS)


def test_cancel_has_same_uid_higher_sequence_and_cancelled_status() -> None:
    """After a cancel the invite is METHOD:CANCEL, STATUS:CANCELLED, same UID, SEQUENCE one above
    the last REQUEST; both parsers agree, and the manage link is gone (nothing left to manage)."""
    v = visit(ical_sequence=2)
    request = only_event(invite(v))
    v.ical_sequence += 1  # the booking code's cancel
    v.status = VisitStatus.CANCELLED
    data = invite(v, method="CANCEL")
    cal = icalendar.Calendar.from_ical(data)
    cancel = only_event(data)
    assert cal["METHOD"] == "CANCEL"
    assert cancel["STATUS"] == "CANCELLED"
    assert str(cancel["UID"]) == str(request["UID"])
    assert cancel["SEQUENCE"] == request["SEQUENCE"] + 1 == 3
    assert str(cancel["SUMMARY"]).startswith("Geannuleerd: ")
    assert "token=" not in unfolded(data)
    parsed = vobject.readOne(data.decode())
    assert parsed.method.value == "CANCEL"
    assert parsed.vevent.status.value == "CANCELLED"
    assert parsed.vevent.sequence.value == "3"


def test_no_attendee_without_email() -> None:
    """Without an e-mail address there is no ATTENDEE (and the name is nowhere in the file); the
    organiser is still there, so the file stays a valid iTIP message."""
    data = invite(visit(citizen_email=None))
    event = only_event(data)
    assert "ATTENDEE" not in event
    assert "ORGANIZER" in event
    assert "Jan de Vries" not in unfolded(data)


def test_invite_holds_no_other_personal_data() -> None:
    """The invite holds the citizen's own address, name and e-mail, but not their phone number,
    the notes meant for the expert, or coordinates."""
    text = unfolded(invite(visit()))
    assert "0612345678" not in text
    assert "slechthorend" not in text
    assert "GEO" not in text
    assert "52.0907" not in text
    assert "CLASS:PRIVATE" in text


def test_english_invite() -> None:
    """A citizen who booked in English gets English texts and the English preparation text."""
    event = only_event(invite(visit(), language="en"))
    assert str(event["SUMMARY"]) == "Home visit WMO intake (arrival between 09:00 and 11:00)"
    assert "Your ID and a list of your medicines." in str(event["DESCRIPTION"])


def test_rendering_is_pure() -> None:
    """Rendering twice with the same clock gives the same bytes and leaves the sequence alone."""
    v = visit(ical_sequence=4)
    assert invite(v) == invite(v)
    assert v.ical_sequence == 4


def test_unknown_method_is_refused() -> None:
    """Only REQUEST, CANCEL and PUBLISH are iTIP methods the invite may carry."""
    with pytest.raises(ValueError, match="method"):
        invite(visit(), method="REPLY")


# -- expert feed ------------------------------------------------------------------------------


def expert() -> Expert:
    return Expert(id=3, municipality_id=1, name="Anna Bakker", start_lat=52.09, start_lon=5.12)


def test_feed_lists_active_visits_for_the_expert_only_with_what_they_need() -> None:
    """The feed is a PUBLISH calendar with a name and refresh hints, one event per visit that is
    not cancelled, spanning the planned time, with service, address, window, planned arrival,
    reference and notes, and no citizen name, phone or e-mail, no ORGANIZER or ATTENDEE."""
    day = dt.date(2026, 10, 25)
    planned = visit(
        day,
        planned_arrival=clock.at_local(day, dt.time(9, 20), AMS),
        planned_start=clock.at_local(day, dt.time(9, 20), AMS),
        planned_end=clock.at_local(day, dt.time(10, 20), AMS),
    )
    waiting = visit(
        day,
        dt.time(13),
        dt.time(15),
        id=8,
        reference="AH-AAAA-BBBB",
        ical_uid="second@aanhuis",
        street="Neude",
        house_number=1,
        addition=None,
    )
    cancelled = visit(
        day, id=9, reference="AH-CCCC-DDDD", ical_uid="gone@aanhuis", status=VisitStatus.CANCELLED
    )
    data = render_feed(
        expert(),
        [(planned, service()), (waiting, service()), (cancelled, service())],
        municipality(),
        now=NOW,
    )
    cal = icalendar.Calendar.from_ical(data)
    text = unfolded(data)
    assert cal["METHOD"] == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Huisbezoeken Anna Bakker"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M" in text
    assert "X-PUBLISHED-TTL:PT15M" in text
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Amsterdam"]

    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {FEED_UID_PREFIX + planned.ical_uid, FEED_UID_PREFIX + waiting.ical_uid}
    first = events[FEED_UID_PREFIX + planned.ical_uid]
    assert first["DTSTART"].dt == dt.datetime(2026, 10, 25, 9, 20, tzinfo=AMS)
    assert first["DTEND"].dt == dt.datetime(2026, 10, 25, 10, 20, tzinfo=AMS)
    assert str(first["SUMMARY"]) == "Wmo-intake: Oudegracht 12A"
    description = str(first["DESCRIPTION"])
    for expected in ("09:00", "11:00", "Geplande aankomst: 09:20", "AH-7K3M-9QXD", "slechthorend"):
        assert expected in description
    second = events[FEED_UID_PREFIX + waiting.ical_uid]
    assert second["DTSTART"].dt == dt.datetime(2026, 10, 25, 13, tzinfo=AMS)
    assert "Nog niet ingepland" in str(second["DESCRIPTION"])

    for absent in ("ATTENDEE", "ORGANIZER", "Jan de Vries", "0612345678", "jan.devries", "AH-CCCC"):
        assert absent not in text
    parsed = vobject.readOne(data.decode())
    assert len(parsed.vevent_list) == 2
    assert {e.uid.value for e in parsed.vevent_list} == set(events)


def test_feed_uid_is_stable_and_differs_from_the_invite() -> None:
    """A visit keeps its feed UID across renders (calendars update it in place), and that UID is
    not the citizen's invite UID."""
    v = visit()
    feeds = [
        icalendar.Calendar.from_ical(render_feed(expert(), [(v, service())], municipality()))
        for _ in range(2)
    ]
    uids = [str(f.walk("VEVENT")[0]["UID"]) for f in feeds]
    assert uids[0] == uids[1] != v.ical_uid


def test_empty_feed_is_still_a_valid_calendar() -> None:
    """An expert without visits gets a calendar with no events that both parsers accept."""
    data = render_feed(expert(), [], municipality(), now=NOW)
    assert icalendar.Calendar.from_ical(data).walk("VEVENT") == []
    assert vobject.readOne(data.decode()).name == "VCALENDAR"


def test_invite_without_manage_link_has_no_url() -> None:
    """Without a usable manage link the invite carries no URL and no manage line (never a link
    that would not open)."""
    data = render_invite(visit(), municipality(), service(), manage_url=None, now=NOW)
    event = only_event(data)
    assert "URL" not in event
    assert "Bekijken" not in str(event["DESCRIPTION"])


# --- the repeated autumn hour --------------------------------------------------------------------

#: 25 October 2026: at 03:00 summer time the clocks go back to 02:00, so 02:00–02:59 happens twice.
AUTUMN = dt.date(2026, 10, 25)


def _in_utc(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 10, 25, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (_in_utc(0, 0), _in_utc(0, 30)),  # 02:00–02:30 summer time
        (_in_utc(0, 30), _in_utc(1, 30)),  # 02:30 summer time – 02:30 winter time
        (_in_utc(1, 0), _in_utc(1, 30)),  # 02:00–02:30 winter time
        (_in_utc(1, 30), _in_utc(3, 0)),  # 02:30 winter time – 04:00
        (_in_utc(23, 30), _in_utc(1, 0)),  # the evening before, until 02:00 winter time
    ],
)
@pytest.mark.parametrize("where", ["invite", "feed"])
def test_times_in_the_repeated_hour_mean_one_instant_in_two_parsers(
    start: dt.datetime, end: dt.datetime, where: str
) -> None:
    """An event touching 02:00–02:59 on the last Sunday of October is written so that icalendar
    and vobject both read the instants it was made for (not one hour early)."""
    if start.hour == 23:
        start = start - dt.timedelta(days=1)
    v = visit(
        day=AUTUMN,
        window_start=start,
        window_end=end,
        duration_minutes=0,
        planned_start=start,
        planned_end=end,
        planned_arrival=start,
    )
    if where == "invite":
        data = invite(v)
    else:
        data = render_feed(expert(), [(v, service())], municipality(), now=NOW)
    parsed = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert parsed["DTSTART"].dt == start
    assert parsed["DTEND"].dt == end
    vevent = next(vobject.readComponents(data.decode())).vevent
    assert vevent.dtstart.value == start
    assert vevent.dtend.value == end


def test_times_outside_the_repeated_hour_stay_local() -> None:
    """Other events keep their local times with the TZID (Outlook shows them best that way)."""
    event = only_event(invite(visit(day=dt.date(2026, 10, 26))))
    assert event["DTSTART"].params.get("TZID") == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("instant", "nl", "en"),
    [
        (_in_utc(0, 30), "02:30 (zomertijd)", "02:30 (summer time)"),
        (_in_utc(1, 30), "02:30 (wintertijd)", "02:30 (winter time)"),
        (_in_utc(2, 30), "03:30", "03:30"),
        (_in_utc(23, 30) - dt.timedelta(days=1), "01:30", "01:30"),
    ],
)
def test_window_labels_in_the_repeated_hour_say_which_one(
    instant: dt.datetime, nl: str, en: str
) -> None:
    """Labels in pages, e-mail and invites tell the two 02:30s apart; other times are plain."""
    from api.web.i18n import Translator
    from scheduler.notify.templates import format_time

    assert format_time(instant, AMS, "nl") == nl
    assert format_time(instant, AMS, "en") == en
    assert Translator("nl").time(instant, AMS) == nl
    assert Translator("en").time(instant, AMS) == en
