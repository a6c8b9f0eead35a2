"""Control characters (finding 2): a NUL byte in a path, query or body never reaches the database.

On PostgreSQL text with ``\\x00`` made 43 routes answer 500 with a long traceback each. Every
path, query and form value with control characters now gets a 400 problem document (the 400 page
for pages), and a one-line form field refuses line breaks (a CR/LF in a name reached the e-mail).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from api.app import create_app
from api.settings import Settings

PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=db_url, smtp_host=None))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.engine.dispose()


def test_a_nul_in_a_municipality_slug_is_a_400_problem(client: TestClient) -> None:
    """The review's probe: ``GET /api/v1/municipalities/x%00y`` answers 4xx, not 500."""
    answer = client.get("/api/v1/municipalities/x%00y")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 400


def _api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    """Every API and page route, also those of included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def test_no_route_answers_500_to_a_nul_in_its_path(client: TestClient) -> None:
    """Every route with path parameters, each filled with ``x%00y``, answers 4xx."""
    tried = 0
    for route in _api_routes(client.app.routes):  # type: ignore[attr-defined]
        if not PARAM.search(route.path):
            continue
        path = PARAM.sub("x%00y", route.path)
        for method in sorted(route.methods - {"HEAD"}):
            answer = client.request(method, path, json={})
            assert 400 <= answer.status_code < 500, (method, route.path, answer.status_code)
            tried += 1
    assert tried > 40


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/municipalities/demo/services?lang=%00",
        "/api/v1/municipalities/demo/days/2026-12-01?x=a%0Db",
        "/feeds/x%01y.ics",
    ],
)
def test_control_characters_in_a_query_or_path_are_refused(client: TestClient, url: str) -> None:
    """A control character anywhere in the URL is refused before any handler runs."""
    answer = client.get(url)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_nul_in_a_json_body_is_refused(client: TestClient) -> None:
    """An escaped NUL in a JSON body is refused whatever field it is in."""
    answer = client.post(
        "/api/v1/municipalities/demo/offers",
        content=b'{"service": "wmo\\u0000intake", "location": {"lat": 52.09, "lon": 5.12}}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_page_gets_the_400_page(client: TestClient) -> None:
    """A browser asking for a page with a NUL in its URL gets the HTML error page."""
    answer = client.get("/demo/diensten/x%00y", headers={"accept": "text/html"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")


def test_a_nul_in_a_form_is_refused(client: TestClient) -> None:
    """A posted form with a NUL in any value is refused before the CSRF check or the handler."""
    answer = client.post(
        "/login",
        content=b"token=abc%00def&csrf=x",
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
