"""Every municipality theme keeps the pages accessible (contrast, focus) and looks like its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.web.messages import MESSAGES
from api.web.theming import THEMES
from routing.travel import HaversineTravel
from scheduler import demo

pytestmark = pytest.mark.browser

SIZE = demo.DemoSize(experts=4, days=3, fill=0.2, addresses=300)


def seed_with_theme(theme: str) -> Callable[[Session], dict[str, Any]]:
    def seed(session: Session) -> dict[str, Any]:
        municipality = demo.create_municipality(
            session, size=SIZE, slug=theme, name=f"Gemeente {theme.title()}", theme=theme
        )
        session.commit()
        demo.fill_bookings(session, municipality, size=SIZE, travel=HaversineTravel())
        return {"slug": municipality.slug}

    return seed


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_theme_pages_pass_axe_and_take_the_theme_colours(
    theme: str,
    make_live_server: Callable[..., Any],
    phone: Any,
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """Start page, an address form with errors and the page of windows pass axe in this theme,
    and the primary button takes the theme's colour rather than our neutral default."""
    server = make_live_server(seed_with_theme(theme))
    page = phone
    page.goto(f"{server.url}/{theme}/")
    assert THEMES[theme].body_class in (page.locator("body").get_attribute("class") or "")
    assert_accessible(page, f"{theme} start")
    screenshot(page, f"theme-{theme}-start")
    page.locator(".aanhuis-service__link").first.click()
    submit = page.get_by_role("button", name=MESSAGES["address.submit"]["nl"])
    submit.click()
    assert_accessible(page, f"{theme} address errors")
    background = submit.evaluate("b => getComputedStyle(b).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(31, 78, 140)"), background
    # Keyboard focus is visible on the button: an outline of some width.
    submit.focus()
    outline = submit.evaluate("b => getComputedStyle(b).outlineWidth")
    assert outline not in ("0px", ""), outline
    screenshot(page, f"theme-{theme}-address-errors")
