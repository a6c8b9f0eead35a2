"""The planner's pages in headless Chromium on a desktop (and a tablet).

The world is ``planner_world`` (Gemeente Demostad with bookings and history, a peer), on a frozen
clock: Monday 30 November 2026. The map's tile server is never reachable here (requests to it are
refused), so the day view is always seen without tiles; one test also takes Leaflet away.
Screenshots go to ``$AANHUIS_SCREENSHOTS`` (or the test's tmp dir) to look at the design.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from planner_world import DAY, PEER, SLUG, TRAVEL, frozen_clock, seeded
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.web.messages import MESSAGES
from scheduler.planning import jobs
from scheduler.planning.models import ExpertDay, Proposal

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
TILES = "https://tile.openstreetmap.org/**"
BASE = f"/planner/{SLUG}"


def text(key: str, lang: str = "nl", **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


@pytest.fixture
def server(backend: str, db_url: str, make_live_server: Callable[..., Any]) -> Iterator[Any]:
    if backend != "sqlite":
        pytest.skip("the planner world is copied in as a database file: browser tests use SQLite")
    with seeded(backend, db_url) as (_, facts), frozen_clock():

        def seed(session: Session) -> dict[str, Any]:
            return facts

        yield make_live_server(seed, optimize_time_limit=1.0)


def offline_tiles(page: Any) -> list[str]:
    """Refuse every map tile request (as when the tile server is down); returns those asked."""
    asked: list[str] = []

    def refuse(route: Any) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route(TILES, refuse)
    return asked


def sign_in(page: Any, server: Any, path: str = f"{BASE}/") -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("login.title"))
    page.get_by_label(text("login.token")).fill(server.seeded["tokens"]["planner"])
    page.get_by_role("button", name=text("login.submit")).click()
    page.wait_for_url(f"{server.url}{path}")


def mine(server: Any) -> Any:
    """Rows of the seeded municipality (the peer has expert-days on the same date)."""
    return ExpertDay.municipality_id == server.seeded["municipality_id"]


def nav(page: Any, key: str) -> None:
    """Follow a planner menu link and wait until the new page has loaded, stylesheets included:
    the old page's heading is visible too, so a check that only waits for a heading can run on
    a page whose CSS has not arrived (axe then sees the browser's default link colours)."""
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("navigation", name=text("planner.nav.label")).get_by_role(
            "link", name=text(f"planner.nav.{key}"), exact=True
        ).click()


def test_planner_walks_overview_capacity_day_optimise_apply_kpis(
    server: Any,
    new_page: Callable[..., Any],
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """Sign in, overview → capacity → day (no tiles: the timeline and lists still show) →
    optimise → apply → KPIs; axe finds nothing serious on any of them."""
    from playwright.sync_api import expect

    page = new_page(viewport=DESKTOP)
    tiles = offline_tiles(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server)
    expect(page.get_by_role("heading", level=1)).to_have_text(text("planner.overview.title"))
    expect(page.get_by_role("link", name="Dinsdag 1 december")).to_be_visible()
    assert_accessible(page, "overview")
    screenshot(page, "planner-1-overview")

    nav(page, "capacity")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("planner.capacity.title"))
    heat = page.locator("table.aanhuis-heatmap")
    expect(heat).to_be_visible()
    expect(heat.locator("td.aanhuis-heat").first).to_contain_text("%")
    assert_accessible(page, "capacity")
    screenshot(page, "planner-2-capacity")

    page.locator(f"a[href='{BASE}/dag/{DAY.isoformat()}']").first.click()
    page.wait_for_url(f"{server.url}{BASE}/dag/{DAY.isoformat()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 december 2026")
    timeline = page.locator("svg#tijdlijn")
    expect(timeline).to_be_visible()
    with server.sessions() as s:
        planned = sum(
            sum(1 for x in d.stops if x["type"] == "visit")
            for d in s.scalars(select(ExpertDay).where(ExpertDay.date == DAY, mine(server)))
        )
    assert planned > 0
    expect(timeline.locator("rect[class^='aanhuis-tl__visit']")).to_have_count(planned)
    expect(page.locator("tr.aanhuis-planner-stop")).to_have_count(planned)
    # Leaflet loaded, so the map is shown as an aid; its tiles were refused.
    expect(page.locator("#kaart")).to_be_visible()
    expect(page.locator(".aanhuis-map-pin")).to_have_count(planned)
    assert tiles, "the map asked for tiles (and got none)"
    assert_accessible(page, "day")
    screenshot(page, "planner-3-day")

    # Optimising is queued: the job's page shows progress and opens the proposal by itself
    # once a worker has run it (here the test is the worker).
    page.get_by_role("radio", name=text("planner.mode.free")).check()
    page.get_by_role("button", name=text("planner.day.optimise")).click()
    page.wait_for_url(f"{server.url}{BASE}/optimalisatie/*")
    expect(page.locator("#voortgang")).to_have_text(text("planner.job.queued"))
    expect(page.get_by_role("link", name=text("planner.job.refresh"))).to_be_visible()
    assert_accessible(page, "optimisation queued")
    screenshot(page, "planner-4-queued")
    assert jobs.run_pending(server.sessions, TRAVEL) == 1
    page.wait_for_url(f"{server.url}{BASE}/voorstel/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        text("planner.proposal.title", date="").strip()
    )
    proposal_id = page.url.rsplit("/", 1)[1]
    with server.sessions() as s:
        stored = s.get(Proposal, proposal_id)
        assert stored is not None
        plan = stored.plan
    served = sum(1 for r in plan["routes"] for x in r["stops"] if x["type"] == "visit")
    moves = sum(1 for m in plan["moved"] if m["from"] is not None)
    assert plan["mode"] == "free"
    expect(page.locator("#werkwijze")).to_have_text(
        text("planner.proposal.mode", mode=text("planner.mode.free"))
    )
    # Each change in words; the proposal's routes on its timeline and map, next to now.
    expect(page.locator("#wijzigingen-samenvatting")).to_be_visible()
    expect(page.locator("#wijzigingen li[data-kind='moved']")).to_have_count(moves)
    if moves:
        expect(page.locator("#wijzigingen li[data-kind='moved']").first).to_contain_text(" → ")
    expect(page.locator("#cijfer-working")).to_contain_text("min")
    expect(page.locator("#cijfer-balance")).to_contain_text("min")
    expect(page.locator("svg#tijdlijn-nu")).to_be_visible()
    after = page.locator("svg#tijdlijn-voorstel")
    expect(after).to_be_visible()
    expect(after.locator("rect.aanhuis-tl__visit")).to_have_count(served)
    expect(page.locator("#kaart-nu")).to_be_visible()
    expect(page.locator("#kaart-voorstel")).to_be_visible()
    expect(page.locator("#kaart-voorstel .aanhuis-map-pin")).to_have_count(served)
    expect(page.locator("#kaart-nu .aanhuis-map-pin")).to_have_count(planned)
    expect(page.locator(".aanhuis-proposal-route tr.aanhuis-planner-stop")).to_have_count(served)
    expect(page.locator("#cijfer-travel")).to_contain_text("min")
    assert_accessible(page, "proposal")
    screenshot(page, "planner-5-proposal")

    # Another mode: the same experts keep their visits; nothing moves.
    page.get_by_role("radio", name=text("planner.mode.keep_experts")).check()
    page.get_by_role("button", name=text("planner.mode.again")).click()
    page.wait_for_url(f"{server.url}{BASE}/optimalisatie/*")
    assert jobs.run_pending(server.sessions, TRAVEL) == 1
    page.wait_for_url(f"{server.url}{BASE}/voorstel/*")
    assert page.url.rsplit("/", 1)[1] != proposal_id
    expect(page.locator("#werkwijze")).to_have_text(
        text("planner.proposal.mode", mode=text("planner.mode.keep_experts"))
    )
    expect(page.locator("#wijzigingen li[data-kind='moved']")).to_have_count(0)
    expect(page.get_by_role("radio", name=text("planner.mode.keep_experts"))).to_be_checked()
    proposal_id = page.url.rsplit("/", 1)[1]

    page.get_by_role("button", name=text("planner.proposal.apply")).click()
    page.wait_for_url(f"{server.url}{BASE}/dag/{DAY.isoformat()}?toegepast=1")
    expect(page.get_by_role("heading", name=text("planner.day.applied.title"))).to_be_visible()
    with server.sessions() as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal is not None and proposal.status == "applied"

    nav(page, "kpis")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("planner.kpi.title"))
    expect(page.locator("section.aanhuis-planner-kpi")).to_have_count(6)
    expect(page.locator("#kpi-utilisation svg.aanhuis-chart").first).to_be_visible()
    expect(page.get_by_role("link", name=text("planner.kpi.csv"))).to_be_visible()
    assert_accessible(page, "kpis")
    screenshot(page, "planner-6-kpis")
    assert errors == []


def test_without_javascript_the_refresh_link_opens_the_queued_proposal(
    server: Any, new_page: Callable[..., Any]
) -> None:
    """With JavaScript off, optimising still queues the job; the progress page's refresh link
    shows it waiting, and once a worker ran it, the same link opens the proposal."""
    from playwright.sync_api import expect

    page = new_page(viewport=DESKTOP, java_script_enabled=False)
    offline_tiles(page)
    sign_in(page, server, f"{BASE}/dag/{DAY.isoformat()}")
    page.get_by_role("button", name=text("planner.day.optimise")).click()
    page.wait_for_url(f"{server.url}{BASE}/optimalisatie/*")
    job_url = page.url
    page.get_by_role("link", name=text("planner.job.refresh")).click()
    page.wait_for_url(job_url)
    expect(page.locator("#voortgang")).to_have_text(text("planner.job.queued"))
    assert jobs.run_pending(server.sessions, TRAVEL) == 1
    page.get_by_role("link", name=text("planner.job.refresh")).click()
    page.wait_for_url(f"{server.url}{BASE}/voorstel/*")
    expect(page.locator("#wijzigingen-samenvatting")).to_be_visible()
    expect(page.locator("svg#tijdlijn-voorstel")).to_be_visible()
    # Without script the maps stay hidden; the tables are the proposal's routes.
    expect(page.locator("#kaart-voorstel")).to_be_hidden()
    expect(page.locator(".aanhuis-proposal-route").first).to_be_visible()
    # The day page lists the optimisation, to come back to.
    page.goto(f"{server.url}{BASE}/dag/{DAY.isoformat()}")
    expect(page.locator("#optimalisaties-lijst")).to_contain_text(text("planner.jobs.status.done"))


def test_day_view_without_leaflet_still_shows_timeline_and_lists(
    server: Any, new_page: Callable[..., Any], assert_accessible: Callable[[Any, str], Any]
) -> None:
    """When the map script cannot load the map stays hidden and nothing else breaks."""
    from playwright.sync_api import expect

    page = new_page(viewport=DESKTOP)
    offline_tiles(page)
    page.route("**/leaflet/dist/leaflet.js", lambda route: route.abort())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, f"{BASE}/dag/{DAY.isoformat()}")
    expect(page.locator("svg#tijdlijn")).to_be_visible()
    expect(page.locator("#kaart")).to_be_hidden()
    expect(page.locator("tr.aanhuis-planner-stop").first).to_be_visible()
    assert errors == []
    assert_accessible(page, "day without map")


def test_disruption_desk_and_management_pages_are_accessible(
    server: Any,
    new_page: Callable[..., Any],
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """A sick report (affected visits, then re-planned), the desk booking and every management
    page pass axe; screenshots of the ones with most on them."""
    from playwright.sync_api import expect

    page = new_page(viewport=DESKTOP)
    offline_tiles(page)
    sign_in(page, server, f"{BASE}/dag/{DAY.isoformat()}")
    with server.sessions() as s:
        busiest = max(
            s.scalars(select(ExpertDay).where(ExpertDay.date == DAY, mine(server))),
            key=lambda d: sum(1 for x in d.stops if x["type"] == "visit"),
        )
        expert_id = busiest.expert_id
    page.locator("select#medewerker").select_option(str(expert_id))
    page.get_by_role("button", name=text("planner.day.sick")).click()
    expect(page.locator("#geraakt")).to_be_visible()
    assert_accessible(page, "affected")
    screenshot(page, "planner-6-affected")
    page.get_by_role("button", name=text("planner.affected.replan")).click()
    expect(page.get_by_role("heading", name=text("planner.outcome.saved"))).to_be_visible()
    assert_accessible(page, "re-planned")
    screenshot(page, "planner-7-replanned")

    for key, name in [
        ("experts", "experts"),
        ("closures", "closures"),
        ("services", "services"),
        ("calls", "calls"),
    ]:
        nav(page, key)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page, name)
    nav(page, "experts")
    page.get_by_role("main").get_by_role("link", name=text("planner.experts.shifts")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        text("planner.shifts.title", name="").strip()
    )
    assert_accessible(page, "shifts")
    screenshot(page, "planner-8-shifts")
    nav(page, "experts")
    edit = page.get_by_role("main").get_by_role("link", name=text("planner.experts.edit"))
    with page.expect_navigation(wait_until="load"):
        edit.first.click()
    assert_accessible(page, "expert form")
    nav(page, "services")
    with page.expect_navigation(wait_until="load"):
        page.locator(f"a[href='{BASE}/diensten/wmo-intake']").click()
    assert_accessible(page, "service form")

    nav(page, "desk")
    postcode_field = page.get_by_label(text("address.postcode"))
    page.get_by_label(text("label.service")).select_option("wmo-intake")
    with server.sessions() as s:
        from scheduler.addresses.models import Address

        address = s.scalars(
            select(Address)
            .where(Address.municipality_id == server.seeded["municipality_id"])
            .order_by(Address.id)
        ).first()
        assert address is not None
        postcode, number = address.postcode, address.house_number
    postcode_field.fill(postcode)
    page.get_by_label(text("address.house_number")).fill(str(number))
    page.get_by_role("button", name=text("address.submit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("planner.desk.windows.title"))
    assert_accessible(page, "desk windows")
    page.locator("input[name='aanbod']").first.check()
    page.locator("#naam").fill("Bep Jansen")
    page.locator("#telefoon").fill("06 12345678")
    page.get_by_role("button", name=text("planner.desk.book")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("planner.desk.booked.title"))
    expect(page.locator("#referentie")).to_contain_text("AH-")
    assert_accessible(page, "desk booked")
    screenshot(page, "planner-9-desk")


def test_tablet_and_english(
    server: Any, new_page: Callable[..., Any], screenshot: Callable[[Any, str], Any]
) -> None:
    """On a tablet the day view has no sideways page scroll (wide parts scroll by themselves)
    and the pages speak English on request."""
    from playwright.sync_api import expect

    page = new_page(viewport=TABLET, has_touch=True)
    offline_tiles(page)
    sign_in(page, server, f"{BASE}/dag/{DAY.isoformat()}")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Day plan")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    screenshot(page, "planner-10-tablet-day-en")
    nav_en = page.get_by_role("navigation", name=text("planner.nav.label", "en"))
    nav_en.get_by_role("link", name=text("planner.nav.capacity", "en"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("planner.capacity.title", "en"))
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    screenshot(page, "planner-11-tablet-capacity-en")


def test_another_municipality_wears_its_own_theme_and_stays_accessible(
    server: Any,
    new_page: Callable[..., Any],
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """The peer's planner sees their pages in Rotterdam's tokens; axe passes there too."""
    from playwright.sync_api import expect

    page = new_page(viewport=DESKTOP)
    offline_tiles(page)
    base = f"/planner/{PEER}"
    page.goto(f"{server.url}{base}/")
    page.get_by_label(text("login.token")).fill(server.seeded["tokens"]["other"])
    page.get_by_role("button", name=text("login.submit")).click()
    page.wait_for_url(f"{server.url}{base}/")
    assert "rotterdam-theme" in (page.locator("body").get_attribute("class") or "")
    for path, name in [
        ("/", "peer overview"),
        ("/capaciteit", "peer capacity"),
        (f"/dag/{DAY.isoformat()}", "peer day"),
        ("/kpis", "peer kpis"),
    ]:
        page.goto(f"{server.url}{base}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page, name)
    screenshot(page, "planner-12-peer-kpis")
