"""Staff web sessions (finding 8) and the API's refusal of the session cookie (finding 3).

The cookie held the permanent API token for 30 days and logging out only deleted it; the JSON API
accepted that cookie without a CSRF check, so a cross-site ``POST …/desk/bookings/{ref}/cancel``
cancelled a booking. Now the cookie holds a random session id (stored hashed) that logout and an
admin revoke, with idle and absolute timeouts, and the API reads only ``Authorization: Bearer``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import citizen_world as world
import pytest
import sqlalchemy as sa
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.cli import main
from api.deps import SESSION_COOKIE
from api.settings import get_settings
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role, User, WebSession
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.db import Base, make_engine, make_sessionmaker
from scheduler.security import hash_token
from scheduler.tenants import service as tenants

#: Anonymous citizen endpoints: they take no sign-in at all, so a cookie changes nothing there.
ANONYMOUS = {
    ("POST", "/api/v1/municipalities/{slug}/offers"),
    ("POST", "/api/v1/municipalities/{slug}/bookings"),
    ("POST", "/api/v1/municipalities/{slug}/bookings/lookup"),
}
#: Bodies that pass validation, so the answer is about who asks (the rest fail auth first).
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/bookings/{reference}/reschedule": {"offer_id": "a" * 32},
    # Notify's receipts are authenticated by the callback token, never by a session.
    "/api/v1/notify/callback": {"id": "f" * 36, "status": "delivered"},
    "/api/v1/bookings/{reference}/other-expert": {"confirm": True},
    "/api/v1/municipalities/{slug}/plan-freeze": {"freeze_time": "09:00", "freeze_days_before": 0},
}
EVIL = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}


@dataclass
class Site:
    client: TestClient
    url: str
    planner: str
    expert: str
    params: dict[str, str]
    clock: list[dt.datetime]


@pytest.fixture
def site(backend: str, db_url: str) -> Iterator[Site]:
    """The seeded demo with a planner and an expert user, and a client of the app."""
    with world.frozen_clock() as holder, world.seeded(backend, db_url) as url:
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            m = tenants.get_by_slug(session, world.SLUG)
            visit = session.scalars(
                select(Visit)
                .where(Visit.expert_id.is_not(None), Visit.status.in_(ACTIVE_STATUSES))
                .order_by(Visit.id)
            ).first()
            assert visit is not None and visit.expert_id is not None
            _, planner = accounts.create(session, name="P", role=Role.PLANNER, municipality=m)
            _, expert = accounts.create(
                session, name="E", role=Role.EXPERT, municipality=m, expert_id=visit.expert_id
            )
            params = {
                "slug": world.SLUG,
                "reference": visit.reference,
                "visit_id": str(visit.id),
                "expert_id": str(visit.expert_id),
                "date": visit.date.isoformat(),
                "code": "wmo-intake",
            }
            session.commit()
        engine.dispose()
        with world.api_client(url) as client:
            client.follow_redirects = False
            yield Site(client, url, planner, expert, params, holder)


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the web form; the session cookie's value."""
    login = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    answer = client.post("/login", data={"csrf": csrf.group(1), "token": token})
    assert answer.status_code == 303, answer.text[:300]
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


def snapshot(url: str) -> dict[str, Any]:
    """Row counts of every table and every visit's state: what a forged request could change."""
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name != "web_session"
        }
        visits = conn.execute(
            sa.text("SELECT id, status, window_start, expert_id, updated_at FROM visit")
        ).all()
    engine.dispose()
    return {"counts": counts, "visits": sorted(tuple(v) for v in visits)}


def _fill(path: str, params: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: params.get(m[1], "1"), path)


def test_the_cookie_holds_a_session_id_never_the_token(site: Site) -> None:
    """Signing in stores a hashed random id; the access token is not in the cookie or table."""
    cookie = sign_in(site.client, site.planner)
    assert cookie != site.planner
    engine = make_engine(site.url)
    with make_sessionmaker(engine)() as session:
        (row,) = session.scalars(select(WebSession)).all()
        assert row.token_hash == hash_token(cookie)
        assert site.planner not in {row.token_hash, cookie}
    engine.dispose()


def test_logout_revokes_the_session_on_the_server(site: Site) -> None:
    """After logout the same cookie, replayed, opens nothing."""
    cookie = sign_in(site.client, site.expert)
    assert site.client.get("/expert/").status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', site.client.get("/expert/").text)
    assert csrf is not None
    assert site.client.post("/logout", data={"csrf": csrf.group(1)}).status_code == 303
    site.client.cookies.set(SESSION_COOKIE, cookie)  # a copy kept by someone
    answer = site.client.get("/expert/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_an_idle_session_ends_and_an_active_one_ends_at_its_maximum(site: Site) -> None:
    """No request for longer than the idle time ends a session; use keeps it alive until the
    absolute maximum."""
    settings = get_settings()
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    sign_in(site.client, site.expert)
    site.clock[0] += idle - dt.timedelta(minutes=1)
    assert site.client.get("/expert/").status_code == 200  # used in time: kept alive
    site.clock[0] += idle - dt.timedelta(minutes=1)
    assert site.client.get("/expert/").status_code == 200
    site.clock[0] += idle + dt.timedelta(minutes=1)
    assert site.client.get("/expert/").status_code == 303  # idle too long

    sign_in(site.client, site.expert)
    end = site.clock[0] + dt.timedelta(hours=settings.session_max_hours)
    while site.clock[0] + idle / 2 < end:
        site.clock[0] += idle / 2
        assert site.client.get("/expert/").status_code == 200
    site.clock[0] = end
    assert site.client.get("/expert/").status_code == 303


def test_an_admin_revokes_every_session_of_a_user(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``aanhuis users revoke-sessions`` signs the user out of every browser."""
    sign_in(site.client, site.expert)
    assert site.client.get("/expert/").status_code == 200
    engine = make_engine(site.url)
    with make_sessionmaker(engine)() as session:
        user = session.scalars(select(User).where(User.name == "E")).one()
        user_id = user.id
    engine.dispose()
    monkeypatch.setenv("AANHUIS_DATABASE_URL", site.url)
    get_settings.cache_clear()
    try:
        assert main(["users", "revoke-sessions", "--user", str(user_id)]) == 0
    finally:
        get_settings.cache_clear()
    assert site.client.get("/expert/").status_code == 303


def test_a_cross_site_cookie_only_request_changes_nothing_in_the_api(site: Site) -> None:
    """Every unsafe API route, sent with a real session cookie (signed in through the web) and a
    cross-site Origin but no Authorization header, answers 401 or 403, and nothing changed."""
    app = site.client.app
    unsafe = sorted(
        (method, route.path)
        for route in iter_route_contexts(app.routes)  # type: ignore[attr-defined]
        for method in getattr(route, "methods", None) or ()
        if route.path.startswith("/api/")
        and method in ("POST", "PUT", "PATCH", "DELETE")
        and (method, route.path) not in ANONYMOUS
    )
    assert len(unsafe) > 20
    before = snapshot(site.url)
    wrong = []
    for token in (site.planner, site.expert):
        site.client.cookies.clear()
        sign_in(site.client, token)
        for method, path in unsafe:
            answer = site.client.request(
                method, _fill(path, site.params), json=BODIES.get(path, {}), headers=EVIL
            )
            if answer.status_code not in (401, 403):
                wrong.append(f"{method} {path}: {answer.status_code} {answer.text[-200:]}")
    assert wrong == [], "\n".join(wrong)
    assert snapshot(site.url) == before


def test_the_reviewed_desk_cancel_is_refused(site: Site) -> None:
    """The review's probe: a cross-site cookie-only desk cancel answers 401 and the booking
    stays."""
    sign_in(site.client, site.planner)
    answer = site.client.post(
        f"/api/v1/municipalities/{world.SLUG}/desk/bookings/{site.params['reference']}/cancel",
        headers=EVIL,
    )
    assert answer.status_code == 401
    engine = make_engine(site.url)
    with make_sessionmaker(engine)() as session:
        visit = session.scalars(
            select(Visit).where(Visit.reference == site.params["reference"])
        ).one()
        assert visit.status in ACTIVE_STATUSES
    engine.dispose()
