"""The citizen's whole journey in headless Chromium on a small phone: book, reschedule, cancel.

Every page on the way is scanned with axe (no serious or critical WCAG 2.1 AA violation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from api.web.messages import MESSAGES

pytestmark = pytest.mark.browser


def text(key: str, lang: str, **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_book_reschedule_and_cancel_on_a_phone(
    lang: str,
    live_server: Any,
    phone: Any,
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """A citizen books, moves and cancels a visit on a 360 px screen, in Dutch or in English,
    with every page free of serious accessibility problems and the language kept throughout."""
    from playwright.sync_api import expect

    seeded = live_server.seeded
    page = phone
    page.goto(f"{live_server.url}/{seeded['slug']}/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    if lang == "en":
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("start.title", lang))
    assert_accessible(page, "start")
    screenshot(page, f"{lang}-1-start")

    service = "Keukentafelgesprek Wmo" if lang == "nl" else "Social support intake (Wmo)"
    page.get_by_role("link", name=service).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("address.title", lang))
    assert_accessible(page, "address")

    # An empty form: the error summary takes focus and links to the field.
    page.get_by_role("button", name=text("address.submit", lang)).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert_accessible(page, "address with errors")
    screenshot(page, f"{lang}-2-address-errors")
    summary.get_by_role("link", name=text("error.postcode.missing", lang)).click()
    expect(page.get_by_label(text("address.postcode", lang))).to_be_focused()

    page.get_by_label(text("address.postcode", lang)).fill(seeded["postcode"])
    page.get_by_label(text("address.house_number", lang)).fill(str(seeded["house_number"]))
    page.get_by_role("button", name=text("address.submit", lang)).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("windows.title", lang))
    assert_accessible(page, "windows")
    screenshot(page, f"{lang}-3-windows")
    radios = page.get_by_role("radio")
    assert radios.count() >= 3
    first = radios.first
    page.locator(f"label[for='{first.get_attribute('id')}']").click()
    expect(first).to_be_checked()
    page.get_by_role("button", name=text("windows.submit", lang)).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("details.title", lang))
    assert_accessible(page, "details")
    page.get_by_label(text("details.name", lang)).fill("Fatima el Amrani")
    page.get_by_label(text("details.phone", lang)).fill("06 12345678")
    screenshot(page, f"{lang}-4-details")
    page.get_by_role("button", name=text("details.submit", lang)).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("confirmed.title", lang))
    assert_accessible(page, "confirmation")
    screenshot(page, f"{lang}-5-confirmation")
    reference = re.search(r"AH-[A-Z0-9]{4}-[A-Z0-9]{4}", page.locator("main").inner_text())
    assert reference is not None
    invite = page.get_by_role("link", name=text("manage.invite", lang))
    assert "/uitnodiging.ics?token=" in (invite.get_attribute("href") or "")
    page.locator(".aanhuis-manage-link a").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("manage.title", lang))
    expect(page.locator("main")).to_contain_text(reference[0])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page, "manage")
    was = page.locator("main").inner_text()

    # Reschedule: new times, pick the last one, confirm.
    page.get_by_role("button", name=text("manage.reschedule", lang)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("reschedule.title", lang))
    assert_accessible(page, "reschedule windows")
    last = page.get_by_role("radio").last
    page.locator(f"label[for='{last.get_attribute('id')}']").click()
    page.get_by_role("button", name=text("windows.submit", lang)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        text("reschedule.confirm.title", lang)
    )
    assert_accessible(page, "reschedule confirm")
    page.get_by_role("button", name=text("reschedule.confirm.yes", lang)).click()
    moved = page.get_by_role("heading", name=text("manage.notice.verzet.title", lang))
    expect(moved).to_be_visible()
    assert page.locator("main").inner_text() != was
    assert_accessible(page, "manage after reschedule")

    # Cancel: the link only shows the question; the button cancels.
    page.get_by_role("link", name=text("manage.cancel", lang)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("cancel.title", lang))
    assert_accessible(page, "cancel confirm")
    screenshot(page, f"{lang}-6-cancel-confirm")
    page.get_by_role("button", name=text("cancel.yes", lang)).click()
    expect(
        page.get_by_role("heading", name=text("manage.notice.geannuleerd.title", lang))
    ).to_be_visible()
    expect(page.locator("main")).to_contain_text(text("status.cancelled", lang))
    assert_accessible(page, "manage after cancel")
    screenshot(page, f"{lang}-7-cancelled")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(
    live_server: Any, phone: Any
) -> None:
    """Keyboard users reach a visible skip link first; it moves focus to the main content."""
    from playwright.sync_api import expect

    page = phone
    page.goto(f"{live_server.url}/{live_server.seeded['slug']}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=text("layout.skip", "nl"))
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] >= 24
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
