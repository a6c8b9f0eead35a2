"""The planner's rota pages in headless Chromium: the demand chart and table, a proposal and
applying it after confirming; axe finds nothing serious on them.

The world is ``planner_world`` (frozen at Monday 30 November 2026).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from planner_world import SLUG, frozen_clock, seeded
from sqlalchemy.orm import Session

from api.web.messages import MESSAGES

pytestmark = pytest.mark.browser

BASE = f"/planner/{SLUG}"


def text(key: str, **values: object) -> str:
    return MESSAGES[key]["nl"].format(**values)


@pytest.fixture
def server(backend: str, db_url: str, make_live_server: Callable[..., Any]) -> Iterator[Any]:
    if backend != "sqlite":
        pytest.skip("the planner world is copied in as a database file: browser tests use SQLite")
    with seeded(backend, db_url) as (_, facts), frozen_clock():

        def seed(session: Session) -> dict[str, Any]:
            return facts

        yield make_live_server(seed, optimize_time_limit=1.0)


def test_rota_pages_propose_and_apply(
    server: Any,
    new_page: Callable[..., Any],
    assert_accessible: Callable[[Any, str], Any],
    screenshot: Callable[[Any, str], Any],
) -> None:
    """Rooster: chart and table, propose 2 weeks, the proposal with coverage and fairness, apply
    after ticking the box; every page passes axe."""
    from playwright.sync_api import expect

    page = new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server.url}{BASE}/rooster")
    page.get_by_label(text("login.token")).fill(server.seeded["tokens"]["planner"])
    page.get_by_role("button", name=text("login.submit")).click()
    page.wait_for_url(f"{server.url}{BASE}/rooster")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("rota.title"))
    expect(page.locator("#vraag")).to_be_visible()
    assert_accessible(page, "rota")
    screenshot(page, "planner-rota")
    page.get_by_label(text("rota.weeks")).fill("2")
    page.get_by_role("button", name=text("rota.propose")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("rota.proposal.title"))
    assert_accessible(page, "rota proposal")
    screenshot(page, "planner-rota-proposal")
    page.get_by_label(text("rota.apply.confirm")).check()
    page.get_by_role("button", name=text("rota.apply")).click()
    expect(page.get_by_text(text("rota.status.applied"), exact=False).first).to_be_visible()
    assert_accessible(page, "rota applied")
