"""Dates that overflow (finding 5): every date and instant a request names is bounded.

``datetime`` stops at the years 1 and 9999, so ``start=0001-01-01`` (a local midnight a day
earlier) or ``9999-12-31T23:59:59-23:59`` (in UTC: the year 10000) raised OverflowError: a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import citizen_world as world
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.booking.models import Visit
from scheduler.bounds import MAX_RANGE_DAYS, check_range, parse_day
from scheduler.db import make_engine, make_sessionmaker
from scheduler.tenants import service as tenants

API = f"/api/v1/municipalities/{world.SLUG}"


@pytest.fixture
def site(backend: str, db_url: str) -> Iterator[tuple[TestClient, str, str, int]]:
    """The seeded demo with a planner token, an expert token and one of the expert's visits."""
    with world.frozen_clock(), world.seeded(backend, db_url) as url:
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            m = tenants.get_by_slug(session, world.SLUG)
            visit = session.scalars(
                select(Visit).where(Visit.expert_id.is_not(None)).order_by(Visit.id)
            ).first()
            assert visit is not None and visit.expert_id is not None
            _, expert = accounts.create(
                session, name="E", role=Role.EXPERT, municipality=m, expert_id=visit.expert_id
            )
            _, planner = accounts.create(session, name="P", role=Role.PLANNER, municipality=m)
            visit_id = visit.id
            session.commit()
        engine.dispose()
        with world.api_client(url) as client:
            client.follow_redirects = False
            yield client, planner, expert, visit_id


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_the_capacity_overview_refuses_a_date_out_of_range(
    site: tuple[TestClient, str, str, int], start: str
) -> None:
    """``…/capacity?start=0001-01-01`` is a 422 problem, not an overflow."""
    client, planner, _, _ = site
    answer = client.get(f"{API}/capacity", params={"start": start}, headers=_bearer(planner))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_status_time_far_in_the_future_is_refused(site: tuple[TestClient, str, str, int]) -> None:
    """``at=9999-12-31T23:59:59-23:59`` (the year 10000 in UTC) is a 422 problem."""
    client, _, expert, visit_id = site
    answer = client.post(
        f"/api/v1/visits/{visit_id}/status",
        json={"status": "on_the_way", "at": "9999-12-31T23:59:59-23:59"},
        headers=_bearer(expert),
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_expert_page_ignores_a_date_out_of_range(
    site: tuple[TestClient, str, str, int],
) -> None:
    """``/expert/?datum=0001-01-01`` shows today's route instead of failing."""
    client, _, expert, _ = site
    login = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    signed = client.post("/login", data={"csrf": csrf.group(1), "token": expert})
    assert signed.status_code == 303
    for datum in ("0001-01-01", "9999-12-31"):
        answer = client.get("/expert/", params={"datum": datum})
        assert answer.status_code == 200, answer.text[:300]


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/days/0001-01-01/plan",
        f"{API}/days/9999-12-31/plan",
        f"{API}/experts/1/exceptions?from=0001-01-01",
        "/api/v1/me/route?date=0001-01-01",
    ],
)
def test_api_dates_out_of_range_are_422(site: tuple[TestClient, str, str, int], path: str) -> None:
    """Path and query dates outside 2000–2100 are refused before any arithmetic."""
    client, planner, expert, _ = site
    token = expert if "/me/" in path else planner
    answer = client.get(path, headers=_bearer(token))
    assert answer.status_code == 422, answer.text


def test_offers_refuse_an_earliest_date_out_of_range(
    site: tuple[TestClient, str, str, int],
) -> None:
    """The offer search's ``earliest`` is bounded too."""
    client, _, _, _ = site
    answer = client.post(
        f"{API}/offers",
        json={
            "service": "wmo-intake",
            "location": {"lat": 52.09, "lon": 5.12},
            "earliest": "0001-01-01",
        },
    )
    assert answer.status_code == 422


def test_page_dates_and_ranges_are_bounded() -> None:
    """Typed dates outside the bounds read as no date; a range may span at most the cap."""
    assert parse_day("0001-01-01") is None
    assert parse_day("9999-12-31") is None
    assert parse_day("2026-12-01") is not None
    assert parse_day("2026-12-01T00:00") is None
    first = parse_day("2026-01-01")
    assert first is not None
    check_range(first, first.replace(year=2026, month=12, day=31))
    with pytest.raises(ValueError):
        check_range(first, first.replace(year=2100))
    assert MAX_RANGE_DAYS >= 366
