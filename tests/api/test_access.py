"""Access: every planner and expert endpoint refuses the wrong tenant, the wrong role and no one.

The routes are read from the app itself, so endpoints added later are covered without touching
this file. Each route under ``/api/`` is classified by its path:

* ``/api/v1/municipalities/{slug}/…`` is a planner route (a planner of that municipality, or an
  admin), unless it is listed in :data:`PUBLIC` (citizens' routes, which have their own tests);
* ``/api/v1/me/…`` and ``/api/v1/visits/…`` are expert routes;
* anything else under ``/api/`` must be listed in :data:`PUBLIC`, or the classification test fails.

So a new unprotected planner route fails here unless someone deliberately lists it as public.
Planner routes must answer, as problem+json: 401 without a token and with a citizen's manage token;
403 to an expert (even of the same municipality) and to a planner of another municipality.
Expert routes: 401 without a token and with a manage token, 403 to a planner, and an expert of
another municipality never reaches this municipality's visits. Staff web pages (``/planner/…``,
``/expert/…``) must refuse the same callers (403, 401 or a redirect to ``/login``).

Path parameters are filled with real ids of municipality A, so a route that looked things up
before checking who asks would be caught answering 404 instead of 401/403.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from routing.travel import HaversineTravel
from scheduler import demo
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity.models import (
    Closure,
    ExceptionKind,
    Expert,
    ShiftException,
    WeeklyShift,
)
from scheduler.catalog.models import ServiceType
from scheduler.db import make_sessionmaker
from scheduler.security import hash_token, new_token

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
PROBLEM = "application/problem+json"

PLANNER_PREFIX = "/api/v1/municipalities/{slug}/"
EXPERT_PREFIXES = ("/api/v1/me/", "/api/v1/visits/")
PAGE_PREFIXES = {"planner": "/planner/", "expert": "/expert/"}

#: Routes anyone may call (citizens, with at most a manage token): (method, path template).
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/municipalities/{slug}"),
        ("GET", "/api/v1/municipalities/{slug}/services"),
        ("POST", "/api/v1/municipalities/{slug}/offers"),
        ("POST", "/api/v1/municipalities/{slug}/bookings"),
        ("GET", "/api/v1/bookings/{reference}"),
        ("GET", "/api/v1/bookings/{reference}/invite.ics"),
        ("POST", "/api/v1/bookings/{reference}/reschedule"),
        ("POST", "/api/v1/bookings/{reference}/cancel"),
        ("GET", "/api/v1/bookings/{reference}/personal-data"),
        ("DELETE", "/api/v1/bookings/{reference}/personal-data"),
        ("GET", "/api/v1/municipalities/{slug}/needs"),
        ("POST", "/api/v1/municipalities/{slug}/bookings/lookup"),
        ("GET", "/api/v1/bookings/{reference}/waitlist"),
        ("POST", "/api/v1/bookings/{reference}/waitlist"),
        ("DELETE", "/api/v1/bookings/{reference}/waitlist"),
        ("GET", "/api/v1/bookings/{reference}/earlier-offers"),
        # The citizen's access log and choices (manage token; tests/api/test_audit_api.py).
        ("GET", "/api/v1/bookings/{reference}/access-log"),
        ("GET", "/api/v1/bookings/{reference}/choices"),
        ("PATCH", "/api/v1/bookings/{reference}/choices"),
        ("POST", "/api/v1/bookings/{reference}/other-expert"),
        # Notify's delivery receipts: authenticated by the callback token (test_notify_api).
        ("POST", "/api/v1/notify/callback"),
        ("GET", "/api/docs"),
        ("GET", "/api/docs/oauth2-redirect"),
    }
)


#: Valid bodies for expert routes that take one, so another tenant's expert reaches the check
#: of whose visit it is (an empty body would stop at validation, proving nothing).
EXPERT_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/visits/{visit_id}/status"): {"status": "on_the_way"},
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app serves, with included routers' prefixes applied."""
    try:  # FastAPI ≥ 0.16x keeps included routers nested; this flattens them
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = list(app.routes)
    out = []
    for route in routes:
        path = getattr(route, "path", None)
        for method in sorted(getattr(route, "methods", None) or ()):
            if path and method != "HEAD":
                out.append(Endpoint(method, path))
    return out


def kind_of(e: Endpoint) -> str:
    """public | planner | expert | page-planner | page-expert | other-page | unclassified."""
    if (e.method, e.path) in PUBLIC:
        return "public"
    if e.path.startswith(PLANNER_PREFIX):
        return "planner"
    if e.path.startswith(EXPERT_PREFIXES):
        return "expert"
    for role, prefix in PAGE_PREFIXES.items():
        if e.path.startswith(prefix):
            return f"page-{role}"
    if e.path.startswith("/api/"):
        return "unclassified"
    return "other-page"


@dataclass
class World:
    """Two municipalities, A (``demo``, with bookings) and B (``elders``), and their people."""

    tokens: dict[str, str]
    params: dict[str, str]
    b_params: dict[str, str]


@pytest.fixture
def world(session: Session, frozen: None) -> World:
    size = demo.DemoSize(experts=3, days=2, fill=0.2, addresses=200)
    a = demo.create_municipality(session, size=size)
    session.commit()
    assert demo.fill_bookings(session, a, size=size, travel=HaversineTravel()) > 0
    b = demo.create_municipality(
        session, size=demo.DemoSize(experts=1, days=1, addresses=20), slug="elders", name="Elders"
    )
    session.flush()

    def first(model: Any, *where: Any) -> Any:
        found = session.scalars(select(model).where(*where).order_by(model.id)).first()
        assert found is not None
        return found

    visit = first(Visit, Visit.municipality_id == a.id, Visit.status.in_(ACTIVE_STATUSES))
    expert_a = first(Expert, Expert.id == visit.expert_id)
    expert_b = first(Expert, Expert.municipality_id == b.id)
    manage = new_token()
    visit.manage_token_hash = hash_token(manage)
    absence = ShiftException(
        expert_id=expert_a.id,
        date=dt.date(2026, 4, 1),
        kind=ExceptionKind.ABSENCE,
        created_at=NOW,
    )
    session.add(absence)
    session.flush()
    tokens = {"manage": manage}
    for name, role, m, expert in (
        ("planner_a", Role.PLANNER, a, None),
        ("planner_b", Role.PLANNER, b, None),
        ("expert_a", Role.EXPERT, a, expert_a.id),
        ("expert_b", Role.EXPERT, b, expert_b.id),
    ):
        _, tokens[name] = accounts.create(
            session, name=name, role=role, municipality=m, expert_id=expert
        )
    params = {
        "slug": a.slug,
        "expert_id": str(expert_a.id),
        "visit_id": str(visit.id),
        "reference": visit.reference,
        "shift_id": str(first(WeeklyShift, WeeklyShift.expert_id == expert_a.id).id),
        "exception_id": str(absence.id),
        "closure_id": str(first(Closure, Closure.municipality_id == a.id).id),
        "code": first(ServiceType, ServiceType.municipality_id == a.id).code,
        "date": visit.date.isoformat(),
        "proposal_id": "0" * 32,
    }
    session.commit()
    return World(tokens, params, {**params, "slug": b.slug})


@pytest.fixture
def reader(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine, read_only=True)


@pytest.fixture
def app(db_url: str, world: World) -> Iterator[FastAPI]:
    application = create_app(Settings(database_url=db_url, base_url="https://aanhuis.example"))
    yield application
    application.state.engine.dispose()


def fill(path: str, params: dict[str, str]) -> str:
    """The path with every ``{name}`` (or ``{name:converter}``) replaced by a real value."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: params.get(m[1], "1"), path)


def web_sign_in(client: TestClient, token: str) -> None:
    """Sign in through the web form (a token that is no staff token signs nobody in)."""
    login = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    client.post("/login", data={"csrf": csrf.group(1), "token": token}, follow_redirects=False)


def call(
    client: TestClient,
    e: Endpoint,
    path: str,
    token: str | None,
    *,
    cookie: bool = False,
    body: dict[str, Any] | None = None,
) -> Any:
    headers: dict[str, str] = {}
    client.cookies.clear()
    if token and cookie:
        web_sign_in(client, token)
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    if body is None and e.method in ("POST", "PUT", "PATCH"):
        body = {}
    return client.request(e.method, path, headers=headers, json=body, follow_redirects=False)


def refused_as_problem(response: Any, status: int, e: Endpoint, who: str) -> str | None:
    if response.status_code != status:
        return f"{e} as {who}: {response.status_code} (expected {status}) {response.text[:120]}"
    if not response.headers.get("content-type", "").startswith(PROBLEM):
        return f"{e} as {who}: not problem+json"
    if response.json().get("status") != status:
        return f"{e} as {who}: problem document without status {status}"
    return None


def test_every_api_route_is_classified(app: FastAPI) -> None:
    """No /api route escapes: planner or expert by prefix, or deliberately listed as public."""
    found = endpoints(app)
    assert any(kind_of(e) == "planner" for e in found)
    assert any(kind_of(e) == "expert" for e in found)
    unclassified = [str(e) for e in found if kind_of(e) == "unclassified"]
    assert unclassified == [], "classify these routes in tests/api/test_access.py"


def test_planner_routes_refuse_no_token_citizens_experts_and_other_tenants(
    app: FastAPI, world: World
) -> None:
    """401 without a token or with a manage token; 403 for an expert and for B's planner."""
    planner_routes = [e for e in endpoints(app) if kind_of(e) == "planner"]
    assert len(planner_routes) >= 20
    wrong: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for e in planner_routes:
            path = fill(e.path, world.params)
            for who, status in (
                (None, 401),
                ("manage", 401),
                ("expert_a", 403),
                ("planner_b", 403),
            ):
                token = world.tokens[who] if who else None
                problem = refused_as_problem(call(client, e, path, token), status, e, str(who))
                if problem:
                    wrong.append(problem)
    assert wrong == [], "\n".join(wrong)


def test_the_right_planner_gets_past_the_door(app: FastAPI, world: World) -> None:
    """The same calls with A's planner are not refused (so the refusals above are about access)."""
    with TestClient(app, raise_server_exceptions=False) as client:
        for e in endpoints(app):
            if kind_of(e) != "planner" or e.method != "GET":
                continue
            response = call(client, e, fill(e.path, world.params), world.tokens["planner_a"])
            assert response.status_code not in (401, 403), f"{e}: {response.text[:200]}"


def test_expert_routes_refuse_no_token_citizens_planners_and_other_tenants(
    app: FastAPI, world: World, reader: sessionmaker[Session]
) -> None:
    """401 without a token or with a manage token; 403 for a planner; B's expert never gets in."""
    expert_routes = [e for e in endpoints(app) if kind_of(e) == "expert"]
    assert expert_routes
    wrong: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for e in expert_routes:
            path = fill(e.path, world.params)
            for who, status in ((None, 401), ("manage", 401), ("planner_a", 403)):
                token = world.tokens[who] if who else None
                problem = refused_as_problem(call(client, e, path, token), status, e, str(who))
                if problem:
                    wrong.append(problem)
            if re.search(r"\{(?!slug)\w+", e.path):  # names one of A's things
                body = EXPERT_BODIES.get((e.method, e.path))
                if body is None and e.method in ("POST", "PUT", "PATCH"):
                    wrong.append(f"{e}: add a valid body to EXPERT_BODIES")
                    continue
                response = call(client, e, path, world.tokens["expert_b"], body=body)
                if response.status_code not in (403, 404):
                    wrong.append(f"{e} as expert_b: {response.status_code}")
                elif not response.headers.get("content-type", "").startswith(PROBLEM):
                    wrong.append(f"{e} as expert_b: not problem+json")
    assert wrong == [], "\n".join(wrong)
    with reader() as s:
        visit = s.get(Visit, int(world.params["visit_id"]))
        assert visit is not None and visit.status in ACTIVE_STATUSES  # nobody moved it on


def test_staff_pages_refuse_no_one_other_roles_and_other_tenants(
    app: FastAPI, world: World
) -> None:
    """Planner and expert pages send strangers to /login or answer 401/403: never the page."""
    pages = [e for e in endpoints(app) if kind_of(e).startswith("page-")]
    wrong: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for e in pages:
            planner_page = kind_of(e) == "page-planner"
            callers: list[str | None] = [None, "manage"]
            if planner_page:
                callers.append("expert_a")
                if "{slug" in e.path:  # a tenant's page (the bare /planner/ sends you to yours)
                    callers.append("planner_b")
            else:
                callers.append("planner_a")
            for who in callers:
                token = world.tokens[who] if who else None
                r = call(client, e, fill(e.path, world.params), token, cookie=True)
                to_login = r.status_code in (302, 303, 307) and r.headers.get(
                    "location", ""
                ).startswith("/login")
                if not (to_login or r.status_code in (401, 403)):
                    wrong.append(f"{e} as {who}: {r.status_code}")
    assert wrong == [], "\n".join(wrong)
