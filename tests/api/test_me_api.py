"""The expert API: ``/api/v1/me/route``, ``/api/v1/visits/{id}/status``, the calendar feed.

The day is the hand-checkable one of ``route_app_world``: Anouk visits V1 (09:00–10:00), V2
(10:00–10:30), lunch, V3 (11:00–15:00) on Monday 15 June 2026; Bram visits V4.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from route_app_world import AMS, DAY, World, add_day, at, build
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from scheduler import clock
from scheduler.booking.models import Visit, VisitEvent, VisitStatus
from scheduler.notify.models import OutboxMessage

BASE_URL = "https://aanhuis.example"


class Clock:
    """A frozen clock the test moves by hand."""

    def __init__(self, instant: dt.datetime) -> None:
        self.now = instant

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def now() -> Iterator[Clock]:
    frozen = Clock(at(DAY, "07:00"))
    previous = clock.set_clock(frozen)
    yield frozen
    clock.set_clock(previous)


@pytest.fixture
def world(sessions: sessionmaker[Session], now: Clock) -> World:
    with sessions() as session:
        return build(session)


@pytest.fixture
def client(db_url: str, world: World) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=db_url, base_url=BASE_URL, smtp_host=None))
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def auth(world: World, who: str = "anouk") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def stops_by_ref(route: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["reference"].removeprefix("AH-"): s for s in route["stops"] if s["kind"] == "visit"}


def post_status(
    client: TestClient, world: World, name: str, status: str, who: str = "anouk", **body: Any
) -> Any:
    return client.post(
        f"/api/v1/visits/{world.visits[name].id}/status",
        json={"status": status, **body},
        headers=auth(world, who),
    )


# -- route ----------------------------------------------------------------------------------------


def test_route_defaults_to_today_with_local_times(client: TestClient, world: World) -> None:
    """Without a date the route is today's (Amsterdam); times carry the +02:00 summer offset."""
    answer = client.get("/api/v1/me/route", headers=auth(world))
    assert answer.status_code == 200, answer.text
    route = answer.json()
    assert route["date"] == DAY.isoformat()
    assert [s["kind"] for s in route["stops"]] == ["visit", "visit", "break", "visit"]
    first = route["stops"][0]
    assert first["planned_arrival"] == "2026-06-15T09:00:00+02:00"
    assert first["window"] == {
        "start": "2026-06-15T09:00:00+02:00",
        "end": "2026-06-15T10:00:00+02:00",
    }
    assert first["address"]["line"] == "Oudegracht 12A, 3511 AB Utrecht"
    assert first["service"]["name"] == "Keukentafelgesprek Wmo"
    assert first["notes"] == "Bel twee keer aan"
    assert first["navigation"]["geo"] == "geo:52.090700,5.121400"
    assert all(s["travel_seconds"] > 0 for s in route["stops"] if s["kind"] == "visit")
    assert route["stops"][2] == {
        "kind": "break",
        "break_id": 1,
        "planned_start": "2026-06-15T12:00:00+02:00",
        "planned_end": "2026-06-15T12:30:00+02:00",
        "minutes": 30,
    }
    assert route["at_risk"] == []


def test_route_speaks_english_when_asked(client: TestClient, world: World) -> None:
    """Service names follow Accept-Language (Dutch unless English comes first)."""
    answer = client.get(
        "/api/v1/me/route", headers={**auth(world), "Accept-Language": "en-GB,en;q=0.9"}
    )
    assert answer.json()["stops"][0]["service"]["name"] == "Social support intake"


def test_route_of_another_date_is_empty_and_bad_dates_are_refused(
    client: TestClient, world: World
) -> None:
    """A day without visits has no stops; a date that is not a date is a 422 problem."""
    answer = client.get("/api/v1/me/route?date=2026-06-16", headers=auth(world))
    assert answer.status_code == 200
    assert answer.json()["stops"] == [] and answer.json()["visits"] == 0
    bad = client.get("/api/v1/me/route?date=16-06-2026", headers=auth(world))
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_only_experts_have_a_route(client: TestClient, world: World) -> None:
    """No token: 401; a planner's token: 403; both as problem+json."""
    assert client.get("/api/v1/me/route").status_code == 401
    answer = client.get("/api/v1/me/route", headers=auth(world, "planner"))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"


def test_each_expert_sees_only_their_own_route(client: TestClient, world: World) -> None:
    """Bram's route is V4 alone; Anouk's never contains it."""
    bram = client.get("/api/v1/me/route", headers=auth(world, "bram")).json()
    anouk = client.get("/api/v1/me/route", headers=auth(world)).json()
    assert set(stops_by_ref(bram)) == {"V4"}
    assert set(stops_by_ref(anouk)) == {"V1", "V2", "V3"}


# -- status ---------------------------------------------------------------------------------------


def test_status_change_returns_the_updated_visit(
    client: TestClient, world: World, now: Clock
) -> None:
    """on_the_way then arrived: each answer is the visit with its new status and actual time."""
    now.now = at(DAY, "08:50")
    answer = post_status(client, world, "V1", "on_the_way")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "on_the_way"
    assert answer.json()["actual"]["on_the_way"] == "2026-06-15T08:50:00+02:00"
    now.now = at(DAY, "09:01")
    answer = post_status(client, world, "V1", "arrived", at="2026-06-15T08:58:00+02:00")
    assert answer.json()["status"] == "arrived"
    assert answer.json()["actual"]["arrived"] == "2026-06-15T08:58:00+02:00"
    assert answer.json()["next_statuses"] == ["completed", "not_home"]


def test_another_experts_visit_is_refused(
    client: TestClient, world: World, sessions: sessionmaker[Session], now: Clock
) -> None:
    """Bram changing Anouk's visit gets 404 (as for no visit at all) and nothing is recorded."""
    now.now = at(DAY, "09:00")
    answer = post_status(client, world, "V1", "arrived", who="bram")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    missing = client.post(
        "/api/v1/visits/424242/status", json={"status": "arrived"}, headers=auth(world, "bram")
    )
    assert missing.status_code == 404
    assert missing.json()["detail"] == answer.json()["detail"]
    planner = post_status(client, world, "V1", "arrived", who="planner")
    assert planner.status_code == 403
    with sessions() as s:
        events = s.scalars(select(VisitEvent).where(VisitEvent.status == "arrived")).all()
        assert events == []


@pytest.mark.parametrize(
    ("steps", "codes"),
    [
        (["on_the_way", "arrived", "completed"], [200, 200, 200]),
        (["completed"], [409]),
        (["arrived", "completed", "completed"], [200, 200, 409]),
        (["on_the_way", "not_home", "arrived"], [200, 200, 409]),
    ],
)
def test_transitions_over_http(
    client: TestClient, world: World, now: Clock, steps: list[str], codes: list[int]
) -> None:
    """Valid steps answer 200; invalid ones 409 problem+json naming what is allowed."""
    now.now = at(DAY, "09:00")
    for step, code in zip(steps, codes, strict=True):
        answer = post_status(client, world, "V1", step)
        assert answer.status_code == code, answer.text
        if code == 409:
            assert answer.headers["content-type"] == "application/problem+json"
            assert "allowed" in answer.json()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "cancelled"},
        {"status": "arrived", "at": "2026-06-15T09:10:00"},  # no offset
        {"status": "arrived", "at": "2026-06-15T09:05:00+02:00"},  # five minutes ahead
        {"status": "arrived", "at": "2026-06-14T23:59:00+02:00"},  # the day before
    ],
)
def test_bad_status_input_is_422(
    client: TestClient, world: World, now: Clock, body: dict[str, str]
) -> None:
    """Statuses an expert may not set and impossible times are refused as invalid input."""
    now.now = at(DAY, "09:00")
    answer = client.post(
        f"/api/v1/visits/{world.visits['V1'].id}/status", json=body, headers=auth(world)
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_running_late_is_visible_at_once_and_clears(
    client: TestClient, world: World, now: Clock, sessions: sessionmaker[Session]
) -> None:
    """Arrived 40 minutes late at V1: the route shows V2 at risk (V3 not); a quick finish clears
    it. Planners' reads of the database see the same flags."""
    now.now = at(DAY, "09:40")
    assert post_status(client, world, "V1", "arrived").status_code == 200
    route = client.get("/api/v1/me/route", headers=auth(world)).json()
    stops = stops_by_ref(route)
    assert route["at_risk"] == [world.visits["V2"].id]
    assert stops["V2"]["at_risk"] and not stops["V3"]["at_risk"]
    assert stops["V2"]["planned_arrival"].startswith("2026-06-15T10:43")
    with sessions() as s:
        assert s.get(Visit, world.visits["V2"].id).at_risk  # type: ignore[union-attr]
    now.now = at(DAY, "10:05")
    assert post_status(client, world, "V1", "completed").status_code == 200
    route = client.get("/api/v1/me/route", headers=auth(world)).json()
    assert route["at_risk"] == []
    with sessions() as s:
        assert not s.get(Visit, world.visits["V2"].id).at_risk  # type: ignore[union-attr]


# -- calendar feed --------------------------------------------------------------------------------


def feed_path(url: str) -> str:
    assert url.startswith(BASE_URL + "/feeds/") and url.endswith(".ics")
    return url.removeprefix(BASE_URL)


def test_feed_address_is_issued_once_and_serves_a_publish_calendar(
    client: TestClient, world: World
) -> None:
    """The first GET issues the secret address (shown once); the feed needs no header, is
    METHOD:PUBLISH without attendees, with stable UIDs and no name or phone of the citizen."""
    first = client.get("/api/v1/me/calendar-feed", headers=auth(world))
    assert first.status_code == 200, first.text
    url = first.json()["url"]
    assert first.json()["webcal_url"] == "webcal://" + url.removeprefix("https://")
    again = client.get("/api/v1/me/calendar-feed", headers=auth(world)).json()
    assert again == {"active": True, "url": None, "webcal_url": None}

    answer = client.get(feed_path(url))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert "private" in answer.headers["cache-control"]
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert len(events) == 3  # V1–V3, Anouk's only
    assert all("ATTENDEE" not in e and "ORGANIZER" not in e for e in events)
    text = answer.content.decode()
    assert "Jan de Vries" not in text and "0612345678" not in text
    uids = sorted(str(e["UID"]) for e in events)
    later = icalendar.Calendar.from_ical(client.get(feed_path(url)).content)
    assert sorted(str(e["UID"]) for e in later.walk("VEVENT")) == uids
    head = client.head(feed_path(url))
    assert head.status_code == 200


def test_rotating_the_feed_address_invalidates_the_old_one(
    client: TestClient, world: World
) -> None:
    """After rotate the new address works and the old one is a 404 problem."""
    old = client.get("/api/v1/me/calendar-feed", headers=auth(world)).json()["url"]
    assert client.get(feed_path(old)).status_code == 200
    rotated = client.post("/api/v1/me/calendar-feed/rotate", headers=auth(world))
    assert rotated.status_code == 200
    new = rotated.json()["url"]
    assert new != old
    assert client.get(feed_path(new)).status_code == 200
    gone = client.get(feed_path(old))
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert client.get("/feeds/not-a-token.ics").status_code == 404


def test_feed_shows_local_times_on_dst_days(
    client: TestClient, world: World, sessions: sessionmaker[Session], now: Clock
) -> None:
    """Visits at 09:00 on 29 March (CEST, +2) and 25 October 2026 (CET, +1) start at 09:00 in
    Amsterdam, i.e. 07:00 and 08:00 UTC."""
    with sessions() as s:
        march = add_day(s, world, dt.date(2026, 3, 29))
        october = add_day(s, world, dt.date(2026, 10, 25))
    url = client.post("/api/v1/me/calendar-feed/rotate", headers=auth(world)).json()["url"]
    for when, visits, utc_hour in (
        (at(dt.date(2026, 3, 20), "12:00"), march, 7),
        (at(dt.date(2026, 10, 20), "12:00"), october, 8),
    ):
        now.now = when
        calendar = icalendar.Calendar.from_ical(client.get(feed_path(url)).content)
        by_uid = {str(e["UID"]): e for e in calendar.events}
        event = next(e for uid, e in by_uid.items() if visits["V1"].ical_uid in uid)
        start = event.start
        assert isinstance(start, dt.datetime) and start.tzinfo is not None
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert start.astimezone(AMS).strftime("%H:%M") == "09:00"
        assert start.astimezone(dt.UTC).hour == utc_hour
        assert "Europe/Amsterdam" in [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]


def test_tokens_and_personal_data_stay_out_of_the_logs(
    client: TestClient, world: World, now: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Access log lines name route templates: no feed token, bearer token, name or address."""
    caplog.set_level(logging.DEBUG)
    url = client.get("/api/v1/me/calendar-feed", headers=auth(world)).json()["url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    client.get(feed_path(url))
    now.now = at(DAY, "09:00")
    post_status(client, world, "V1", "arrived")
    client.get("/api/v1/me/route", headers=auth(world))
    # The test client (httpx) logs its own requests; the server's loggers are what counts.
    server = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "/feeds/{token}.ics" in server  # the access log did run
    for secret in (token, world.tokens["anouk"], "Jan de Vries", "Oudegracht", "0612345678"):
        assert secret not in server


# -- not home: a note, and the citizen's follow-up ------------------------------------------------


def test_not_home_from_planned_is_a_409_and_queues_nothing(
    client: TestClient, world: World, now: Clock, sessions: sessionmaker[Session]
) -> None:
    """Nobody can be "not home" before the expert set off: a planned visit answers 409, with
    no event and no message."""
    now.now = at(DAY, "09:00")
    with sessions() as s:
        visit = s.get(Visit, world.visits["V1"].id)
        assert visit is not None
        visit.status = VisitStatus.PLANNED
        s.commit()
    answer = post_status(client, world, "V1", "not_home", note="niemand")
    assert answer.status_code == 409
    assert answer.json()["current"] == "planned"
    with sessions() as s:
        assert s.scalars(select(VisitEvent).where(VisitEvent.status == "not_home")).all() == []
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "not_home")).all() == []


def test_not_home_keeps_the_note_and_messages_the_citizen_new_times(
    client: TestClient, world: World, now: Clock, sessions: sessionmaker[Session]
) -> None:
    """On the way, then not home with a note: the note is in the visit's history and one
    "not home" message is queued for the visit, proposing free windows on later days."""
    now.now = at(DAY, "08:50")
    assert post_status(client, world, "V1", "on_the_way").status_code == 200
    now.now = at(DAY, "09:05")
    too_long = post_status(client, world, "V1", "not_home", note="x" * 301)
    assert too_long.status_code == 422
    answer = post_status(client, world, "V1", "not_home", note="Briefje in de bus gedaan")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "not_home"
    with sessions() as s:
        event = s.scalars(
            select(VisitEvent).where(
                VisitEvent.status == "not_home", VisitEvent.visit_id == world.visits["V1"].id
            )
        ).one()
        assert event.detail == "Briefje in de bus gedaan"
        message = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "not_home")).one()
        assert message.visit_id == world.visits["V1"].id
        body = message.body
    lines = body.split("Deze momenten zijn nu nog vrij:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert 1 <= len(lines) <= 3
    assert all(line.startswith("- ") and "tussen" in line for line in lines)
    assert "15 juni" not in "".join(lines)  # later days only
    assert "Maak een nieuwe afspraak via" in body
