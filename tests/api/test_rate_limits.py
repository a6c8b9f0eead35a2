"""Rate limits on the anonymous endpoints (finding 7), per client address.

Every other test runs with the limits off (tests/conftest.py); these turn them on.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import citizen_world as world
import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from scheduler.db import make_engine, make_sessionmaker

REDIS_URL = "redis://127.0.0.1:6379/0"


def random_address() -> str:
    return ".".join(["10", *(str(random.randrange(256)) for _ in range(3))])


@contextmanager
def client_of(url: str, address: str | None = None, **settings: Any) -> Iterator[TestClient]:
    """A client of an app with ``settings``, calling from ``address`` (random by default, so
    counters shared in Redis never mix between test runs)."""
    address = (
        address or f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(256)}"
    )
    app = create_app(Settings(**{"database_url": url, "smtp_host": None, **settings}))
    with TestClient(app, client=(address, 50000), follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def url(backend: str, db_url: str) -> Iterator[str]:
    with world.frozen_clock(), world.seeded(backend, db_url) as seeded:
        yield seeded


@pytest.fixture
def home(url: str) -> world.Home:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        (found,) = world.addresses(session, 1)
    engine.dispose()
    return found


def assert_429(answer: Any) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert 1 <= int(answer.headers["retry-after"]) <= 3600
    assert answer.json()["status"] == 429


def test_offers_answer_429_after_the_configured_number(url: str, home: world.Home) -> None:
    """The probe: with a limit of 3 a minute the fourth offer search gets 429 + Retry-After;
    another address is not affected."""
    with client_of(url, rate_limit_offers="3/minute") as client:
        for _ in range(3):
            assert world.ask(client, home).status_code == 200
        assert_429(world.ask(client, home))
    with client_of(url, rate_limit_offers="3/minute") as other:
        assert world.ask(other, home).status_code == 200


def test_bookings_are_limited_before_anything_is_checked(url: str) -> None:
    """Booking attempts count whether or not they are valid, and the limit answers first."""
    with client_of(url, rate_limit_bookings="2/minute") as client:
        for _ in range(2):
            assert world.book(client, "0" * 32).status_code == 404
        assert_429(world.book(client, "0" * 32))


def test_a_wrong_token_and_an_unknown_reference_look_the_same(url: str, home: world.Home) -> None:
    """401 with an identical body for a wrong manage token and a reference that does not exist;
    once the look-up limit is used up, 429 for both, and for the right token too."""
    with client_of(url) as client:
        offer = world.ask(client, home).json()["offers"][0]["id"]
        made = world.book(client, offer).json()
    real, token = made["reference"], made["manage_token"]
    unknown = "AH-ZZZZ-ZZZZ" if real != "AH-ZZZZ-ZZZZ" else "AH-YYYY-YYYY"
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}
    with client_of(url, rate_limit_lookups="4/hour") as client:
        answers = [
            client.get(f"/api/v1/bookings/{real}", headers=wrong),
            client.get(f"/api/v1/bookings/{unknown}", headers=wrong),
            client.post(f"/api/v1/bookings/{unknown}/cancel", headers=wrong),
            client.get("/api/v1/bookings/not-a-reference", headers=wrong),
        ]
        assert {a.status_code for a in answers} == {401}
        assert len({a.text for a in answers}) == 1
        limited = [
            client.get(f"/api/v1/bookings/{real}", headers=wrong),
            client.get(f"/api/v1/bookings/{unknown}", headers=wrong),
            client.get(f"/api/v1/bookings/{real}", headers={"Authorization": f"Bearer {token}"}),
        ]
        for answer in limited:
            assert_429(answer)
        assert len({a.json()["detail"][:20] for a in limited}) == 1
    with client_of(url) as fresh:  # the right token from another address still works
        seen = fresh.get(f"/api/v1/bookings/{real}", headers={"Authorization": f"Bearer {token}"})
        assert seen.status_code == 200


def test_manage_pages_count_failed_links(url: str, home: world.Home) -> None:
    """The manage pages share the look-up limit: wrong links, then the 429 page."""
    with client_of(url) as client:
        offer = world.ask(client, home).json()["offers"][0]["id"]
        real = world.book(client, offer).json()["reference"]
    with client_of(url, rate_limit_lookups="2/hour") as client:
        for _ in range(2):
            assert client.get(f"/afspraak/{real}", params={"token": "wrong"}).status_code == 401
        page = client.get(f"/afspraak/{real}", params={"token": "wrong"})
        assert page.status_code == 429 and "retry-after" in page.headers
        assert page.headers["content-type"].startswith("text/html")


def test_the_citizen_pages_share_the_offer_limit(url: str, home: world.Home) -> None:
    """Asking for windows on the web counts like the API and gets the 429 page."""
    with client_of(url, rate_limit_offers="1/minute") as client:
        form = client.get("/demo/diensten/wmo-intake")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        data = {"csrf": csrf.group(1), "postcode": home.postcode, "huisnummer": home.house_number}
        assert client.post("/demo/diensten/wmo-intake", data=data).status_code == 200
        again = client.post("/demo/diensten/wmo-intake", data=data)
        assert again.status_code == 429 and again.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_counters_in_redis_hold_across_workers(url: str, home: world.Home) -> None:
    """With AANHUIS_REDIS_URL two app processes (here: two apps) share one count."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    address = random_address()
    settings = {"rate_limit_offers": "3/minute", "redis_url": REDIS_URL}
    with client_of(url, address, **settings) as one, client_of(url, address, **settings) as two:
        assert world.ask(one, home).status_code == 200
        assert world.ask(two, home).status_code == 200
        assert world.ask(one, home).status_code == 200
        assert_429(world.ask(two, home))


def test_off_means_no_limit(url: str) -> None:
    """``off`` switches a limit off (what benchmarks and the other tests use)."""
    with client_of(url, rate_limit_bookings="off") as client:
        assert all(world.book(client, "0" * 32).status_code == 404 for _ in range(30))
