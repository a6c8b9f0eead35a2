"""The pages NotifyNL adds, in headless Chromium with axe: the demo's messages page (SMS,
e-mail and letters by channel) and the manage page showing the expert on the way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.booking.models import Visit, VisitStatus
from scheduler.notify import service as notify
from scheduler.security import KeyRing, hash_token

pytestmark = pytest.mark.browser

SECRET = "b" * 40
KEYS = KeyRing.derive(SECRET)
TOKEN = "browser-manage-token"


def seed_messages(session: Session) -> dict[str, Any]:
    """The demo municipality, with one visit's messages over each channel, that visit on the
    way, and its manage token known."""
    from conftest import seed_demo

    facts = seed_demo(session)
    visits = session.scalars(select(Visit).order_by(Visit.id).limit(3)).all()
    sms, mail, post = visits
    sms.citizen_email, sms.citizen_phone = None, "+31612345678"
    mail.citizen_email = "inwoner@example.org"
    post.wants_post = True
    for visit in visits:
        notify.enqueue(
            session,
            visit=visit,
            kind="confirmation",
            language="nl",
            base_url="http://127.0.0.1",
            manage_token=TOKEN,
            keys=KEYS,
        )
    sms.status = VisitStatus.ON_THE_WAY
    sms.planned_arrival = sms.window_start + dt.timedelta(minutes=20)
    sms.manage_token_hash = hash_token(TOKEN)
    session.commit()
    return {**facts, "reference": sms.reference}


def test_demo_messages_and_live_status_pages_are_accessible(
    backend: str,
    make_live_server: Callable[..., Any],
    new_page: Callable[..., Any],
    assert_accessible: Callable[[Any, str], list[dict[str, Any]]],
) -> None:
    """The demo page lists the SMS, the e-mail and the letter; the manage page says the expert
    is on the way; axe finds no serious or critical problem on either."""
    if backend != "sqlite":
        pytest.skip("one backend is enough for pages")
    server = make_live_server(seed_messages, demo_messages=True, secret_key=SECRET)
    page = new_page()
    page.goto(f"{server.url}/demo-berichten")
    body = page.locator("main").inner_text()
    assert "+31612345678" in body and "inwoner@example.org" in body
    assert "Bevestiging van uw huisbezoek" in body  # the letter's subject line
    assert assert_accessible(page, "demo messages") == []
    reference = server.seeded["reference"]
    page.goto(f"{server.url}/afspraak/{reference}?token={TOKEN}")
    assert "De medewerker is onderweg" in page.locator("main").inner_text()
    assert assert_accessible(page, "manage page, on the way") == []
