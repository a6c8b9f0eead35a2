"""The expert's route app in headless Chromium on a 360×740 phone.

The day is the hand-checkable one of ``route_app_world`` (Anouk: V1 09:00–10:00, V2 10:00–10:30,
lunch, V3 11:00–15:00 on Monday 15 June 2026), on a frozen clock. The map's tile server is never
reachable here (requests to it are refused), so every test also shows the page without tiles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from route_app_world import DAY, at, build
from sqlalchemy.orm import Session

from api.web.messages import MESSAGES
from scheduler import clock

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
TILES = "https://tile.openstreetmap.org/**"


def text(key: str, lang: str = "nl", **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


class Clock:
    def __init__(self, instant: dt.datetime) -> None:
        self.now = instant

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def now() -> Iterator[Clock]:
    frozen = Clock(at(DAY, "08:45"))
    previous = clock.set_clock(frozen)
    yield frozen
    clock.set_clock(previous)


@pytest.fixture
def server(make_live_server: Callable[..., Any], now: Clock) -> Any:
    def seed(session: Session) -> dict[str, Any]:
        world = build(session)
        return {
            "token": world.tokens["anouk"],
            "visits": {k: v.id for k, v in world.visits.items()},
        }

    return make_live_server(seed)


def offline_tiles(page: Any) -> list[str]:
    """Refuse every map tile request (as when the tile server is down); returns those asked."""
    asked: list[str] = []

    def refuse(route: Any) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route(TILES, refuse)
    return asked


def sign_in(page: Any, server: Any) -> None:
    page.goto(f"{server.url}/expert/")
    # Not signed in yet: the sign-in page, which comes back to the route.
    page.get_by_label(text("login.token")).fill(server.seeded["token"])
    page.get_by_role("button", name=text("login.submit")).click()
    page.wait_for_url(f"{server.url}/expert/")


def card(page: Any, server: Any, name: str) -> Any:
    return page.locator(f"#bezoek-{server.seeded['visits'][name]}")


def test_expert_signs_in_and_works_through_the_day_on_a_phone(
    server: Any,
    phone: Any,
    now: Clock,
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """Sign in, see the day's cards on a small screen, tap "on the way" and "arrived", see the
    status change, and see the later visit flagged when running late; axe finds nothing serious."""
    from playwright.sync_api import expect

    page = phone
    tiles = offline_tiles(page)
    page.goto(f"{server.url}/expert/")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("login.title"))
    assert_accessible(page, "login")
    sign_in(page, server)

    expect(page.get_by_role("heading", level=1)).to_have_text(text("expert.title"))
    cards = page.locator(".aanhuis-expert-stop")
    expect(cards).to_have_count(3)
    first = card(page, server, "V1")
    expect(first).to_contain_text("09:00")
    expect(first).to_contain_text("Oudegracht 12A, 3511 AB Utrecht")
    expect(first).to_contain_text("Keukentafelgesprek Wmo")
    expect(first).to_contain_text("Bel twee keer aan")
    expect(
        first.get_by_role(
            "link",
            name=text(
                "expert.visit.navigate_label", number=1, address="Oudegracht 12A, 3511 AB Utrecht"
            ),
        )
    ).to_have_attribute(
        "href",
        "https://www.google.com/maps/dir/?api=1&destination=52.090700,5.121400&travelmode=bicycling",
    )
    # Cards fit the phone: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = first.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    # The map is an enhancement: with Leaflet loaded it is shown, tiles or not.
    expect(page.locator("#kaart")).to_be_visible()
    expect(page.locator(".aanhuis-expert-pin")).to_have_count(3)
    assert tiles, "the map asked for tiles (and got none)"
    assert_accessible(page, "route")
    screenshot(page, "expert-1-route")

    now.now = at(DAY, "09:20")
    first.get_by_role("button", name=text("expert.action.on_the_way")).click()
    expect(first.locator(".aanhuis-expert-badge").first).to_have_text(
        text("expert.visit.status") + ": " + text("expert.status.on_the_way")
    )
    expect(first.get_by_role("status")).to_be_visible()

    now.now = at(DAY, "09:40")  # 40 minutes late
    first.get_by_role("button", name=text("expert.action.arrived")).click()
    expect(first.locator(".aanhuis-expert-badge").first).to_contain_text(
        text("expert.status.arrived")
    )
    expect(first).to_contain_text("09:40")
    second = card(page, server, "V2")
    expect(second.locator(".aanhuis-expert-badge--at-risk")).to_have_text(
        text("expert.visit.at_risk")
    )
    expect(second).to_contain_text("10:4")  # re-timed from 10:03 to about 10:43
    expect(card(page, server, "V3").locator(".aanhuis-expert-badge--at-risk")).to_have_count(0)
    expect(page.get_by_role("heading", name=text("expert.at_risk.title"))).to_be_visible()
    # Only the visit in progress offers buttons now.
    expect(second.get_by_role("button")).to_have_count(0)
    assert_accessible(page, "route running late")
    screenshot(page, "expert-2-late")


def test_the_page_works_without_javascript(server: Any, new_page: Callable[..., Any]) -> None:
    """With JavaScript off the list is the whole page and the status buttons still work."""
    from playwright.sync_api import expect

    page = new_page(viewport=PHONE, java_script_enabled=False)
    offline_tiles(page)
    sign_in(page, server)
    expect(page.locator(".aanhuis-expert-stop")).to_have_count(3)
    expect(page.locator("#kaart")).to_be_hidden()
    first = card(page, server, "V1")
    first.get_by_role("button", name=text("expert.action.on_the_way")).click()
    expect(first.locator(".aanhuis-expert-badge").first).to_contain_text(
        text("expert.status.on_the_way")
    )


def test_without_leaflet_the_list_still_works(
    server: Any, phone: Any, assert_accessible: Callable[[Any, str], Any]
) -> None:
    """When the map script cannot load the map stays hidden and nothing else breaks."""
    from playwright.sync_api import expect

    page = phone
    offline_tiles(page)
    page.route("**/leaflet/dist/leaflet.js", lambda route: route.abort())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server)
    expect(page.locator(".aanhuis-expert-stop")).to_have_count(3)
    expect(page.locator("#kaart")).to_be_hidden()
    assert errors == []
    assert_accessible(page, "route without map")


def test_english_and_another_day(server: Any, phone: Any) -> None:
    """The page speaks English on request; the date switcher shows an empty next day."""
    from playwright.sync_api import expect

    page = phone
    offline_tiles(page)
    sign_in(page, server)
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("expert.title", "en"))
    expect(card(page, server, "V1")).to_contain_text("Social support intake")
    page.get_by_role("link", name=text("expert.next", "en")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("16 June 2026")
    expect(page.get_by_text(text("expert.no_visits", "en"))).to_be_visible()


@pytest.fixture
def early_server(make_live_server: Callable[..., Any], now: Clock) -> Any:
    """The same day, with V1 planned to arrive at 08:40 for its 09:00–10:00 window."""

    def seed(session: Session) -> dict[str, Any]:
        world = build(session)
        v1 = world.visits["V1"]
        v1.planned_arrival = at(DAY, "08:40")
        v1.planned_start = at(DAY, "09:00")
        v1.planned_end = at(DAY, "10:00")
        session.flush()
        return {
            "token": world.tokens["anouk"],
            "planner": world.tokens["planner"],
            "slug": world.municipality.slug,
            "visits": {k: v.id for k, v in world.visits.items()},
        }

    return make_live_server(seed)


def test_the_card_says_when_to_ring_and_not_home_asks_first(
    early_server: Any,
    phone: Any,
    now: Clock,
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """V1's card says "wacht tot 09:00" (arriving 08:40, before the window). On the way, "Niet
    thuis" opens a confirm step first (nothing changes); confirmed with a note, the card shows
    the visit as not home. axe finds nothing serious on either page."""
    from playwright.sync_api import expect

    server = early_server
    page = phone
    offline_tiles(page)
    sign_in(page, server)
    first = card(page, server, "V1")
    expect(first.locator(".aanhuis-expert-wait")).to_contain_text(
        text("expert.visit.wait_until", time="09:00")
    )
    expect(first.locator(".aanhuis-expert-wait")).to_contain_text("08:40")
    expect(page.locator(".aanhuis-expert-wait")).to_have_count(1)
    assert_accessible(page, "route with wait until")
    screenshot(page, "expert-3-wait-until")

    now.now = at(DAY, "09:05")
    first.get_by_role("button", name=text("expert.action.on_the_way")).click()
    expect(first.locator(".aanhuis-expert-badge").first).to_contain_text(
        text("expert.status.on_the_way")
    )
    first.get_by_role("link", name=text("expert.action.not_home")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        text("expert.not_home.title", number=1)
    )
    assert_accessible(page, "not home confirm")
    screenshot(page, "expert-4-not-home-confirm")
    # Going back changes nothing.
    page.get_by_role("link", name=text("expert.not_home.cancel")).click()
    expect(first.locator(".aanhuis-expert-badge").first).to_contain_text(
        text("expert.status.on_the_way")
    )
    first.get_by_role("link", name=text("expert.action.not_home")).click()
    page.get_by_label(text("expert.not_home.note")).fill("Briefje in de bus gedaan")
    page.get_by_role("button", name=text("expert.not_home.confirm")).click()
    page.wait_for_url(f"{server.url}/expert/?*")
    expect(first.locator(".aanhuis-expert-badge").first).to_contain_text(
        text("expert.status.not_home")
    )
    expect(first.get_by_role("link", name=text("expert.action.not_home"))).to_have_count(0)

    # The planner's call list shows the visit, with the expert's note.
    page.goto(f"{server.url}/login")
    page.get_by_label(text("login.token")).fill(server.seeded["planner"])
    page.get_by_role("button", name=text("login.submit")).click()
    page.goto(f"{server.url}/planner/{server.seeded['slug']}/bellen")
    called = page.locator("#niet-thuis li")
    expect(called).to_have_count(1)
    expect(called).to_contain_text("Briefje in de bus gedaan")
    assert_accessible(page, "call list with not home")
