"""Anonymous offers store nothing (finding 7): they are sealed into their ids.

``POST …/offers`` stored up to 50 offer rows and a search row per call, without limit. Now an
anonymous search writes only its count into the hour's statistics row; the offer's content
travels in its id (AES-GCM under a key from the application secret), and booking it opens,
checks and re-checks it as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import citizen_world as world
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.booking.models import Offer, SpentOffer, Visit
from scheduler.db import make_engine, make_sessionmaker
from scheduler.insights.models import OfferSearchHour


@pytest.fixture
def now() -> Iterator[list[dt.datetime]]:
    with world.frozen_clock() as holder:
        yield holder


@pytest.fixture
def url(backend: str, db_url: str, now: list[dt.datetime]) -> Iterator[str]:
    with world.seeded(backend, db_url) as seeded:
        yield seeded


@pytest.fixture
def db(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with world.api_client(url) as c:
        yield c


def homes(db: Session, n: int) -> list[world.Home]:
    return world.addresses(db, n, seed=5)


def test_many_searches_store_nothing_but_one_count(client: TestClient, db: Session) -> None:
    """Twenty anonymous searches at different addresses leave no offer rows and one statistics
    row (per service and hour) that counts them all."""
    before = db.scalar(select(func.count()).select_from(OfferSearchHour))
    db.rollback()
    made = 0
    for home in homes(db, 20):
        answer = world.ask(client, home, limit=50)
        assert answer.status_code == 200
        made += len(answer.json()["offers"])
    assert made > 100
    assert db.scalar(select(func.count(Offer.id))) == 0
    assert db.scalar(select(func.count()).select_from(OfferSearchHour)) <= before + 1
    assert db.scalar(select(func.sum(OfferSearchHour.searches))) >= 20


def test_a_sealed_offer_books_once(client: TestClient, db: Session) -> None:
    """The id holds everything booking needs; the same offer cannot be booked twice (404), while
    the first booking's idempotent retry still answers with it."""
    (home,) = homes(db, 1)
    offer = world.ask(client, home).json()["offers"][0]
    assert offer["id"].startswith("v1.") and home.postcode not in offer["id"]
    first = world.book(client, offer["id"], key="once-1")
    assert first.status_code == 201, first.text
    assert first.json()["address"]["postcode"] == home.postcode
    assert world.book(client, offer["id"], key="once-1").status_code == 201  # a retry
    second = world.book(client, offer["id"], "Someone Else")
    assert second.status_code == 404, second.text
    assert db.scalar(select(func.count(Visit.id)).where(Visit.citizen_name == "Someone Else")) == 0
    assert db.scalar(select(func.count(SpentOffer.digest))) == 1


def test_an_altered_or_foreign_offer_id_opens_nothing(client: TestClient, db: Session) -> None:
    """Changing one character of a sealed id, or sealing under another secret, gives 404."""
    (home,) = homes(db, 1)
    offer_id = world.ask(client, home).json()["offers"][0]["id"]
    middle = len(offer_id) // 2
    altered = offer_id[:middle] + ("A" if offer_id[middle] != "A" else "B") + offer_id[middle + 1 :]
    assert world.book(client, altered).status_code == 404
    with world.api_client(client.app.state.settings.database_url, secret_key="z" * 40) as other:
        assert world.book(other, offer_id).status_code == 404


def test_an_expired_sealed_offer_is_410_with_fresh_alternatives(
    client: TestClient, db: Session, now: list[dt.datetime]
) -> None:
    """After its hold time a sealed offer answers 410 with sealed alternatives for the same
    service and address."""
    (home,) = homes(db, 1)
    offer_id = world.ask(client, home).json()["offers"][0]["id"]
    now[0] += dt.timedelta(minutes=11)
    answer = world.book(client, offer_id)
    assert answer.status_code == 410
    alternatives = answer.json()["alternatives"]
    assert alternatives and all(a["id"].startswith("v1.") for a in alternatives)
    assert world.book(client, alternatives[0]["id"]).status_code == 201
