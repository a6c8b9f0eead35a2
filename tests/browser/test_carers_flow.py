"""Booking for someone else with needs, the look-up page, and the waiting list, in headless
Chromium on a small phone; every page scanned with axe (no serious or critical finding)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.runtime import keys_of, notifier
from api.settings import Settings
from api.web.messages import MESSAGES
from routing.travel import HaversineTravel
from scheduler import clock, demo
from scheduler.booking import offers
from scheduler.booking import service as booking
from scheduler.booking.models import Visit
from scheduler.catalog import service as catalog
from scheduler.geocoding import Place
from scheduler.notify.models import OutboxMessage
from scheduler.notify.service import readable
from scheduler.usecases import booking as booking_usecases
from scheduler.usecases import waitlist
from scheduler.waitlist.schemas import Hours

pytestmark = pytest.mark.browser


def text(key: str, lang: str = "nl", **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


def test_booking_for_someone_else_with_needs(
    live_server: Any,
    phone: Any,
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """A daughter books her father's Wmo intake with an interpreter for Arabic: she answers
    "Voor wie?", ticks the needs, switches to English half-way (nothing typed is lost), picks a
    window of the Arabic-speaking expert and gives her own details as contact person. The visit
    holds father, daughter and needs; the confirmation goes to her."""
    from playwright.sync_api import expect

    seeded = live_server.seeded
    page = phone
    page.goto(f"{live_server.url}/{seeded['slug']}/diensten/wmo-intake")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("address.title"))
    page.get_by_label(text("for.other")).check()
    page.get_by_label(text("address.postcode")).fill(seeded["postcode"])
    page.get_by_label(text("address.house_number")).fill(str(seeded["house_number"]))
    page.get_by_label("Tolk (welke taal?)").check()
    page.get_by_label(text("needs.language")).select_option("ar")
    page.get_by_label("Er is een huisdier in huis").check()
    assert_accessible(page, "address with needs")
    screenshot(page, "carers-1-address")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label(text("address.postcode", "en"))).to_have_value(seeded["postcode"])
    expect(page.get_by_label(text("for.other", "en"))).to_be_checked()
    expect(page.get_by_label("Interpreter (which language?)")).to_be_checked()
    expect(page.get_by_label(text("needs.language", "en"))).to_have_value("ar")
    assert_accessible(page, "address in English")
    page.get_by_role("button", name=text("address.submit", "en")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("windows.title", "en"))
    assert_accessible(page, "windows for an interpreter")
    first = page.get_by_role("radio").first
    page.locator(f"label[for='{first.get_attribute('id')}']").click()
    page.get_by_role("button", name=text("windows.submit", "en")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("details.title", "en"))
    expect(page.locator("main")).to_contain_text("Interpreter: Arabic")
    page.get_by_label(text("details.visited.name", "en")).fill("Ahmed Bakri")
    page.get_by_label(text("details.contact.name", "en")).fill("Samira Bakri")
    page.get_by_label(text("details.contact.relation", "en")).select_option("child")
    page.get_by_label(text("details.contact.email", "en")).fill("samira@example.org")
    assert_accessible(page, "details for someone else")
    screenshot(page, "carers-2-details")
    page.get_by_role("button", name=text("details.submit", "en")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("confirmed.title", "en"))
    assert_accessible(page, "confirmation for someone else")
    reference = re.search(r"AH-[A-Z0-9]{4}-[A-Z0-9]{4}", page.locator("main").inner_text())
    assert reference is not None
    with live_server.sessions() as s:
        visit = s.scalar(select(Visit).where(Visit.reference == reference[0]))
        assert visit is not None
        assert (visit.citizen_name, visit.contact_name) == ("Ahmed Bakri", "Samira Bakri")
        assert visit.needs == [
            {"code": "interpreter", "detail": "ar"},
            {"code": "pet", "detail": None},
        ]
        assert visit.extra_skills == ["taal-ar"]
        sent = s.scalars(select(OutboxMessage.recipient).where(OutboxMessage.visit_id == visit.id))
        assert list(sent) == ["samira@example.org"]


def test_the_lookup_page(
    live_server: Any,
    phone: Any,
    assert_accessible: Callable[[Any, str], Any],
) -> None:
    """ "Heeft u al een afspraak?" from the start page: a reference typed loosely with the
    postcode and house number sends a new link; the page says the same for a wrong postcode."""
    from playwright.sync_api import expect

    with live_server.sessions() as s:
        visit = s.scalars(
            select(Visit).where(Visit.postcode.is_not(None), Visit.citizen_email.is_not(None))
        ).first()
        assert visit is not None
        ref, postcode, number = visit.reference, visit.postcode, visit.house_number
    page = phone
    page.goto(f"{live_server.url}/{live_server.seeded['slug']}/")
    page.get_by_role("link", name=text("start.have_booking_lookup")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("lookup.title"))
    assert_accessible(page, "lookup")

    page.get_by_label(text("lookup.reference")).fill(ref.lower().replace("-", " "))
    page.get_by_label(text("address.postcode")).fill("9999 ZZ")
    page.get_by_label(text("address.house_number")).fill(str(number))
    page.get_by_role("button", name=text("lookup.submit")).click()
    expect(page.get_by_role("heading", name=text("lookup.sent.title"))).to_be_visible()
    wrong = page.locator("main").inner_text()

    page.get_by_label(text("lookup.reference")).fill(ref.lower().replace("-", " "))
    page.get_by_label(text("address.postcode")).fill(f"{postcode[:4]} {postcode[4:].lower()}")
    page.get_by_label(text("address.house_number")).fill(str(number))
    page.get_by_role("button", name=text("lookup.submit")).click()
    expect(page.get_by_role("heading", name=text("lookup.sent.title"))).to_be_visible()
    assert page.locator("main").inner_text() == wrong
    assert_accessible(page, "lookup sent")
    with live_server.sessions() as s:
        kinds = s.scalars(
            select(OutboxMessage.kind)
            .join(Visit, Visit.id == OutboxMessage.visit_id)
            .where(Visit.reference == ref)
        )
        assert list(kinds).count("manage_link") == 1


def seed_with_a_late_booking(session: Session) -> dict[str, Any]:
    """The demo, plus a Wmo intake booked in the last window offered on a day a week ahead."""
    size = demo.DemoSize(experts=4, days=3, fill=0.3)
    m = demo.create_municipality(session, size=size)
    session.commit()
    demo.fill_bookings(session, m, size=size, travel=HaversineTravel())
    seeded = {"slug": m.slug}
    service = catalog.get_by_code(session, municipality=m, code="wmo-intake")
    day = clock.now().astimezone(clock.zone(m.timezone)).date() + dt.timedelta(days=7)
    made = offers.make_offers(
        session,
        municipality=m,
        service=service,
        place=Place(m.center_lat, m.center_lon),
        travel=HaversineTravel(),
        hold_minutes=10,
        earliest=day,
        latest=day + dt.timedelta(days=3),
        limit=50,
    )
    late = max(made, key=lambda o: o.window_start)
    booked = booking_usecases.book(
        session,
        municipality=m,
        offer_id=late.id,
        citizen=booking.Citizen("Wim de Wachter", email="wim@example.org"),
        notes=None,
        idempotency_key=None,
        travel=HaversineTravel(),
    )
    return {**seeded, "reference": booked.visit.reference, "token": booked.manage_token}


def test_waiting_list_opt_in_and_claim(
    make_live_server: Callable[..., Any],
    phone: Any,
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """On the manage page the citizen asks to hear of earlier times; the sweep sends a message
    whose link shows only earlier windows; choosing one and confirming moves the visit."""
    from playwright.sync_api import expect

    live = make_live_server(seed_with_a_late_booking)
    ref, token = live.seeded["reference"], live.seeded["token"]
    page = phone
    page.goto(f"{live.url}/afspraak/{ref}?token={token}")
    expect(page.get_by_role("heading", name=text("waitlist.title"))).to_be_visible()
    assert_accessible(page, "manage with waiting list")
    page.get_by_role("button", name=text("waitlist.join")).click()
    expect(page.get_by_role("heading", name=text("manage.notice.wachtlijst.title"))).to_be_visible()
    expect(page.locator("main")).to_contain_text(text("waitlist.on"))
    assert_accessible(page, "manage on the waiting list")
    screenshot(page, "carers-3-waiting")

    settings = Settings(database_url=live.db_url, base_url=live.url, smtp_host=None)
    queued = waitlist.sweep(
        live.sessions,
        travel=HaversineTravel(),
        notify=notifier(settings),
        hours=Hours.parse("00:00-23:59"),
    )
    assert queued == 1
    with live.sessions() as s:
        body = s.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "waiting_list_offer")
        ).one()
        was = s.scalars(select(Visit.window_start).where(Visit.reference == ref)).one()
    body = readable(body, keys_of(settings))  # outbox texts are stored encrypted
    link = re.search(r"http://\S+/eerder\?token=\S+", body)
    assert link is not None
    page.goto(link[0])
    expect(page.get_by_role("heading", level=1)).to_have_text(text("earlier.title"))
    assert_accessible(page, "earlier times")
    screenshot(page, "carers-4-earlier")
    first = page.get_by_role("radio").first
    page.locator(f"label[for='{first.get_attribute('id')}']").click()
    page.get_by_role("button", name=text("windows.submit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("reschedule.confirm.title"))
    assert_accessible(page, "confirm the earlier time")
    page.get_by_role("button", name=text("reschedule.confirm.yes")).click()
    expect(page.get_by_role("heading", name=text("manage.notice.verzet.title"))).to_be_visible()
    with live.sessions() as s:
        now = s.scalars(select(Visit.window_start).where(Visit.reference == ref)).one()
    assert now < was
