"""The sign-in page and the expert's route pages as HTML (no browser): access, forms, headers.

The day is the hand-checkable one of ``route_app_world`` (Anouk: V1, V2, lunch, V3 on Monday 15
June 2026), on a frozen clock at 08:45 that morning.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from route_app_world import DAY, TRAVEL, World, add_day, at, build
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.deps import SESSION_COOKIE
from api.settings import Settings
from api.web.expert import safe_next
from api.web.messages import MESSAGES
from scheduler import clock
from scheduler.booking.models import Visit, VisitEvent, VisitStatus
from scheduler.capacity.models import ExceptionKind, ShiftException
from scheduler.notify.models import OutboxMessage
from scheduler.tenants.models import Municipality
from scheduler.usecases import disruption


def text(key: str, lang: str = "nl", **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[World]:
    previous = clock.set_clock(lambda: at(DAY, "08:45"))
    with sessions() as session:
        yield build(session)
    clock.set_clock(previous)


@pytest.fixture
def client(db_url: str, world: World) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=db_url, smtp_host=None))
    with TestClient(app, follow_redirects=False) as c:
        yield c
    app.state.engine.dispose()


def csrf_token(client: TestClient, path: str = "/login") -> str:
    answer = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert found, answer.text[:500]
    return found.group(1)


def sign_in(client: TestClient, token: str, **extra: str) -> httpx.Response:
    answer: httpx.Response = client.post(
        "/login", data={"csrf": csrf_token(client), "token": token, **extra}
    )
    return answer


def test_the_route_page_needs_a_sign_in(client: TestClient) -> None:
    """Nobody signed in: /expert/ sends the browser to the sign-in page, which comes back."""
    answer = client.get("/expert/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/expert/"


def test_a_wrong_token_is_explained_and_never_echoed(client: TestClient) -> None:
    """A wrong access code gets the error summary (422) and the field comes back empty."""
    answer = sign_in(client, "not-a-valid-token-1234")
    assert answer.status_code == 422
    page = answer.text
    assert text("login.token.invalid") in page
    assert "not-a-valid-token-1234" not in page
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_signing_in_sets_an_httponly_cookie_and_goes_to_the_route(
    client: TestClient, world: World
) -> None:
    """The token becomes an HttpOnly session cookie; the expert lands on the route page."""
    answer = sign_in(client, world.tokens["anouk"])
    assert answer.status_code == 303
    assert answer.headers["location"] == "/expert/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie
    day = client.get("/expert/")
    assert day.status_code == 200
    assert "Oudegracht 12A" in day.text


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("/planner/teststad/", "/planner/teststad/"),
        ("//evil.example/", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("", None),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(value: str, safe: str | None) -> None:
    """``next`` can never send a freshly signed-in user to another site."""
    assert safe_next(value) == safe


def test_a_planner_has_no_route_page(client: TestClient, world: World) -> None:
    """A planner signed in on /expert/ gets a friendly 403 page, not someone's route."""
    sign_in(client, world.tokens["planner"])
    answer = client.get("/expert/")
    assert answer.status_code == 403
    assert "text/html" in answer.headers["content-type"]
    assert "Oudegracht" not in answer.text


def test_only_the_route_page_may_load_map_tiles(client: TestClient, world: World) -> None:
    """The route page's CSP allows OpenStreetMap's tiles as images, nothing else from outside;
    other pages keep the strict policy. Personal data is never cached."""
    sign_in(client, world.tokens["anouk"])
    route = client.get("/expert/")
    policy = route.headers["content-security-policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy and "connect-src" not in policy
    assert route.headers["cache-control"] == "no-store"
    assert route.headers["referrer-policy"] == "no-referrer"
    login = client.get("/login")
    assert "tile.openstreetmap.org" not in login.headers["content-security-policy"]


def test_status_buttons_need_the_csrf_token(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """A status form without the CSRF token is refused and records nothing."""
    sign_in(client, world.tokens["anouk"])
    answer = client.post(
        f"/expert/bezoeken/{world.visits['V1'].id}/status",
        data={"status": "on_the_way", "datum": DAY.isoformat()},
    )
    assert answer.status_code == 403
    with sessions() as s:
        assert s.scalars(select(VisitEvent).where(VisitEvent.status == "on_the_way")).all() == []


def test_a_refused_status_change_is_explained_on_the_page(client: TestClient, world: World) -> None:
    """Completing a visit not yet arrived shows the route again with the reason (409)."""
    sign_in(client, world.tokens["anouk"])
    token = csrf_token(client, "/expert/")
    answer = client.post(
        f"/expert/bezoeken/{world.visits['V1'].id}/status",
        data={"csrf": token, "status": "completed", "datum": DAY.isoformat()},
    )
    assert answer.status_code == 409
    assert text("expert.refused.title") in answer.text
    assert "Oudegracht 12A" in answer.text


def test_another_experts_visit_cannot_be_changed_from_the_page(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """Bram posting a status for Anouk's visit gets 404 and nothing changes."""
    sign_in(client, world.tokens["bram"])
    token = csrf_token(client, "/expert/")
    answer = client.post(
        f"/expert/bezoeken/{world.visits['V1'].id}/status",
        data={"csrf": token, "status": "arrived", "datum": DAY.isoformat()},
    )
    assert answer.status_code == 404
    with sessions() as s:
        assert s.scalars(select(VisitEvent).where(VisitEvent.status == "arrived")).all() == []


def test_the_calendar_link_is_shown_once_and_works(client: TestClient, world: World) -> None:
    """Making a calendar link shows a working feed address; the page then says one exists."""
    sign_in(client, world.tokens["anouk"])
    token = csrf_token(client, "/expert/agenda")
    made = client.post("/expert/agenda", data={"csrf": token})
    assert made.status_code == 200
    found = re.search(r'value="(http[^"]+/feeds/[^"]+\.ics)"', made.text)
    assert found
    path = "/" + found.group(1).split("/", 3)[3]
    feed = client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    again = client.get("/expert/agenda")
    assert found.group(1) not in again.text
    assert text("expert.calendar.active") in again.text


def test_logout_forgets_the_session(client: TestClient, world: World) -> None:
    """After signing out the route page asks to sign in again."""
    sign_in(client, world.tokens["anouk"])
    token = csrf_token(client, "/expert/")
    out = client.post("/logout", data={"csrf": token})
    assert out.status_code == 303
    client.cookies.delete(SESSION_COOKIE)  # what the browser does with the expired cookie
    assert client.get("/expert/").status_code == 303


def test_another_day_is_shown_by_date(client: TestClient, world: World) -> None:
    """?datum= picks the day; the day after has no visits and offers the way back to today."""
    sign_in(client, world.tokens["anouk"])
    answer = client.get(f"/expert/?datum={(DAY + dt.timedelta(days=1)).isoformat()}")
    assert answer.status_code == 200
    assert text("expert.no_visits") in answer.text
    assert f'href="/expert/?datum={DAY.isoformat()}"' in answer.text


def test_the_map_uses_the_configured_tile_server(db_url: str, world: World) -> None:
    """With ``AANHUIS_MAP_TILES`` set, the page hands that template to the map and its CSP lets
    images come from that host only (OpenStreetMap's no longer)."""
    tiles = "https://tiles.gemeente.example/brt/{z}/{x}/{y}.png"
    app = create_app(Settings(database_url=db_url, map_tiles=tiles))
    with TestClient(app) as own:
        sign_in(own, world.tokens["anouk"])
        route = own.get("/expert/")
    app.state.engine.dispose()
    policy = route.headers["content-security-policy"]
    assert "img-src 'self' data: https://tiles.gemeente.example;" in policy
    assert "openstreetmap" not in policy
    assert tiles in route.text


@pytest.mark.parametrize(
    "template",
    ["tile.example/{z}/{x}/{y}.png", "https://tile.example/{z}/{x}.png", "ftp://t/{z}/{x}/{y}"],
)
def test_a_tile_template_without_host_or_placeholders_is_refused(template: str) -> None:
    """A map that could never load is a configuration error at start-up, not a blank map."""
    with pytest.raises(ValueError, match="map_tiles"):
        Settings(map_tiles=template)


# -- when to ring the bell; "not home" with a confirm step ---------------------------------------


def card(html: str, visit_id: int) -> str:
    """The HTML of one visit's card on the route page."""
    found = re.search(rf'<li[^>]*id="bezoek-{visit_id}".*?</li>', html, re.S)
    assert found, f"no card for visit {visit_id}"
    return found.group(0)


def test_a_visit_planned_before_its_window_says_when_to_ring(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """V1 planned to arrive at 08:40 for its 09:00–10:00 window: its card says "wacht tot
    09:00" (the start of service); V2, reached inside its window, says nothing of the kind."""
    with sessions() as s:
        v1 = s.get(Visit, world.visits["V1"].id)
        assert v1 is not None and v1.planned_start is not None
        v1.planned_arrival = at(DAY, "08:40")
        v1.planned_start = at(DAY, "09:00")
        v1.planned_end = at(DAY, "10:00")
        s.commit()
    sign_in(client, world.tokens["anouk"])
    page = client.get("/expert/").text
    first = card(page, world.visits["V1"].id)
    assert text("expert.visit.wait_until", time="09:00") in first
    assert text("expert.visit.wait_arrival", time="08:40") in first
    assert "aanhuis-expert-wait" not in card(page, world.visits["V2"].id)
    assert page.count("aanhuis-expert-wait") == 1


def test_not_home_asks_for_confirmation_then_reaches_the_call_list(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """ "Niet thuis" is a link to a confirm step, never a one-tap POST; posting it without the
    confirmation only leads there. Confirmed (with a note), the visit is not home, the note is
    in its history, the citizen's message is queued and the planner's call list shows it."""
    sign_in(client, world.tokens["anouk"])
    v1 = world.visits["V1"].id
    token = csrf_token(client, "/expert/")
    client.post(
        f"/expert/bezoeken/{v1}/status",
        data={"csrf": token, "status": "on_the_way", "datum": DAY.isoformat()},
    )
    page = client.get("/expert/").text
    confirm = f"/expert/bezoeken/{v1}/niet-thuis?datum={DAY.isoformat()}"
    assert f'href="{confirm}"' in card(page, v1)
    assert 'value="not_home"' not in page
    unconfirmed = client.post(
        f"/expert/bezoeken/{v1}/status",
        data={"csrf": token, "status": "not_home", "datum": DAY.isoformat()},
    )
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == confirm
    step = client.get(confirm)
    assert step.status_code == 200
    assert text("expert.not_home.title", number=1) in step.text
    assert 'name="bevestigd" value="ja"' in step.text
    with sessions() as s:
        assert s.scalars(select(VisitEvent).where(VisitEvent.status == "not_home")).all() == []
    done = client.post(
        f"/expert/bezoeken/{v1}/status",
        data={
            "csrf": token,
            "status": "not_home",
            "bevestigd": "ja",
            "notitie": "Briefje in de bus",
            "datum": DAY.isoformat(),
        },
    )
    assert done.status_code == 303
    with sessions() as s:
        visit = s.get(Visit, v1)
        assert visit is not None and visit.status is VisitStatus.NOT_HOME
        event = s.scalars(select(VisitEvent).where(VisitEvent.status == "not_home")).one()
        assert event.detail == "Briefje in de bus"
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "not_home")).one()
    sign_in(client, world.tokens["planner"])
    calls = client.get(f"/planner/{world.municipality.slug}/bellen").text
    section = re.search(r'<ol[^>]*id="niet-thuis".*?</ol>', calls, re.S)
    assert section is not None
    assert world.visits["V1"].reference in section.group(0)
    assert "Briefje in de bus" in section.group(0)
    assert section.group(0).count('class="aanhuis-planner-task"') == 1


@pytest.mark.parametrize("day", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_wait_until_is_local_time_on_both_dst_days(
    client: TestClient, world: World, sessions: sessionmaker[Session], day: dt.date
) -> None:
    """On the days the clocks change, an arrival at 08:40 for a 09:00 window still reads "wacht
    tot 09:00" in Amsterdam time (stored in UTC: 07:00 in March, 08:00 in October)."""
    with sessions() as s:
        made = add_day(s, world, day)
        v1 = s.get(Visit, made["V1"].id)
        assert v1 is not None
        v1.planned_arrival = at(day, "08:40")
        v1.planned_start = at(day, "09:00")
        v1.planned_end = at(day, "10:00")
        s.commit()
        assert v1.planned_start.astimezone(dt.UTC).hour == (7 if day.month == 3 else 8)
        v1_id = v1.id
    sign_in(client, world.tokens["anouk"])
    page = client.get(f"/expert/?datum={day.isoformat()}").text
    first = card(page, v1_id)
    assert text("expert.visit.wait_until", time="09:00") in first
    assert text("expert.visit.wait_arrival", time="08:40") in first


# -- draft or final; a re-plan after the expert had the route ------------------------------------


def test_the_route_says_whether_it_is_final_or_still_a_draft(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """Monday's plan froze on Friday at 16:00, so on Monday morning the route is final. The
    Monday after is a draft until Friday 19 June 16:00 (the default freeze: 16:00 on the working
    day before), and the page names that moment in Amsterdam time."""
    later = DAY + dt.timedelta(days=7)
    with sessions() as s:
        add_day(s, world, later)
    sign_in(client, world.tokens["anouk"])
    today = client.get("/expert/").text
    assert text("expert.plan.final") in today
    assert text("expert.plan.draft.label") not in today
    draft = client.get(f"/expert/?datum={later.isoformat()}").text
    assert text("expert.plan.draft", moment="vrijdag 19 juni 16:00") in draft
    assert text("expert.plan.final") not in draft
    route = client.get(
        "/api/v1/me/route",
        params={"date": later.isoformat()},
        headers={"Authorization": f"Bearer {world.tokens['anouk']}"},
    )
    assert route.json()["freezes_at"] == "2026-06-19T16:00:00+02:00"
    assert route.json()["final"] is False


def test_a_re_plan_after_the_freeze_shows_on_the_route_of_each_expert_it_changed(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """Anouk falls ill on the (frozen) day at 08:45; the re-plan moves what Bram can take. Each
    expert whose route changed sees "Je route is gewijzigd" with the moment of the re-plan; a
    page without a re-plan says nothing of the kind."""
    sign_in(client, world.tokens["bram"])
    assert text("expert.route_changed.title") not in client.get("/expert/").text
    with sessions() as s:
        m = s.get(Municipality, world.municipality.id)
        assert m is not None
        s.add(
            ShiftException(
                expert_id=world.anouk.id,
                date=DAY,
                kind=ExceptionKind.SICKNESS,
                created_at=clock.now(),
            )
        )
        m.capacity_version += 1
        s.commit()
        result = disruption.replan_day(
            s, municipality=m, date=DAY, travel=TRAVEL, notify=None, actor="t", time_limit=1
        )
    assert world.bram.id in result.experts_notified
    page = client.get("/expert/").text
    assert text("expert.route_changed.title") in page
    assert text("expert.route_changed", moment="maandag 15 juni 08:45") in page
    assert text("expert.plan.final") in page
