"""The citizen's privacy section on the manage page, in a browser: who looked, what the expert
may see, another expert; axe on every page of it.

Teststad (``route_app_world``) on a clock frozen on Monday 15 June 2026, 07:00; V1 (Anouk's,
09:00–10:00) gets a real reference and manage token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from route_app_world import DAY, at, build
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.booking.models import Visit
from scheduler.security import hash_token

REF, TOKEN = "AH-AAAA-BBBB", "citizen-token-" + "z" * 30


@pytest.fixture
def now() -> Iterator[None]:
    previous = clock.set_clock(lambda: at(DAY, "07:00"))
    yield
    clock.set_clock(previous)


def _seed(session: Session) -> dict[str, Any]:
    world = build(session)
    v1 = session.get_one(Visit, world.visits["V1"].id)
    v1.reference, v1.manage_token_hash = REF, hash_token(TOKEN)
    session.flush()
    return {"bram": world.bram.id}


def test_the_citizen_sees_who_looked_and_chooses(
    make_live_server: Callable[..., Any],
    new_page: Callable[..., Any],
    assert_accessible: Callable[[Any, str], Any],
    now: None,
) -> None:
    """An empty access log, then the choices saved, then another expert asked for behind a
    confirm step; the list shows the citizen's own choices."""
    server = make_live_server(_seed)
    page = new_page()
    page.goto(f"{server.url}/afspraak/{REF}?token={TOKEN}")
    expect(
        page.get_by_text("Nog niemand van de gemeente heeft uw gegevens bekeken.")
    ).to_be_visible()
    assert_accessible(page, "manage page with privacy section")
    phone = page.get_by_label("De medewerker mag mijn telefoonnummer zien")
    expect(phone).to_be_checked()
    page.locator("label[for='share_phone']").click()
    page.get_by_role("button", name="Keuzes opslaan").click()
    expect(page.get_by_text("Uw keuzes zijn opgeslagen.").first).to_be_visible()
    expect(page.get_by_label("De medewerker mag mijn telefoonnummer zien")).not_to_be_checked()
    # A POST's records are written right after its answer: the next look shows them.
    own = page.get_by_role("cell", name="Uw eigen keuze of verzoek")
    for _ in range(30):
        if own.count():
            break
        page.wait_for_timeout(100)
        page.reload()
    expect(own).to_be_visible()
    assert_accessible(page, "manage page after saving choices")
    page.get_by_role("link", name="Liever een andere medewerker").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Een andere medewerker vragen")
    assert_accessible(page, "confirm another expert")
    page.get_by_role("button", name="Ja, vraag een andere medewerker").click()
    expect(page.get_by_text("Die medewerker komt niet meer bij u.").first).to_be_visible()
    with server.sessions() as s:
        v1 = s.scalars(select(Visit).where(Visit.reference == REF)).one()
        assert v1.expert_id == server.seeded["bram"] and v1.share_phone is False
