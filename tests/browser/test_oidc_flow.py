"""Staff sign-in with OpenID Connect in a real browser, against a local provider.

``oidc-provider-mock`` runs in a thread; the app runs with uvicorn (``make_live_server``) with
that provider configured for Teststad (``route_app_world``). The person clicks the sign-in
button, types their user name in the provider's form and lands on the planner's pages; someone
whose groups map to no role sees a page that says so. axe checks the pages of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread
from route_app_world import build
from sqlalchemy.orm import Session

from api.settings import OidcProvider


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def _seed(session: Session) -> dict[str, Any]:
    world = build(session)
    return {"anouk": world.anouk.id}


@pytest.fixture
def server(make_live_server: Callable[..., Any], issuer: str) -> Any:
    provider = OidcProvider(
        name="teststad",
        label="Inloggen met uw Teststad-account",
        municipality="teststad",
        issuer=issuer,
        client_id="aanhuis-teststad",
        client_secret="not-so-secret",  # type: ignore[arg-type]
        role_map={"aanhuis-planners": "planner"},  # type: ignore[dict-item]
    )
    return make_live_server(_seed, oidc_providers=[provider])


def _through_provider(page: Any, server: Any, issuer: str, sub: str, groups: list[str]) -> None:
    httpx.put(f"{issuer}/users/{sub}", json={"name": sub, "groups": groups}).raise_for_status()
    page.goto(f"{server.url}/login")
    page.get_by_role("link", name="Inloggen met uw Teststad-account").click()
    page.wait_for_url(f"{issuer}/oauth2/authorize*")
    page.fill("input[name=sub]", sub)
    page.get_by_role("button", name="Authorize").click()


def test_a_planner_signs_in_with_the_identity_provider(
    new_page: Callable[..., Any],
    server: Any,
    issuer: str,
    assert_accessible: Callable[[Any, str], Any],
) -> None:
    """Button, provider's form, back signed in on the planner's overview; sign-out ends it."""
    page = new_page()
    page.goto(f"{server.url}/login")
    assert_accessible(page, "login with OIDC button")
    _through_provider(page, server, issuer, "petra", ["aanhuis-planners"])
    page.wait_for_url(f"{server.url}/planner/**")
    assert page.locator("h1").count() >= 1
    assert_accessible(page, "planner after OIDC sign-in")
    cookies = {c["name"] for c in page.context.cookies()}
    assert "aanhuis_session" in cookies and "aanhuis_oidc" not in cookies


def test_someone_without_a_role_is_refused_with_a_clear_page(
    new_page: Callable[..., Any],
    server: Any,
    issuer: str,
    assert_accessible: Callable[[Any, str], Any],
) -> None:
    """Groups that map to no role: a page that says the account has no role, no session."""
    page = new_page()
    _through_provider(page, server, issuer, "sam", ["sales"])
    page.wait_for_url(f"{server.url}/login/oidc/teststad/callback*")
    assert page.get_by_text("Uw account heeft geen rol in Aan Huis").is_visible()
    assert_accessible(page, "no role refusal")
    assert "aanhuis_session" not in {c["name"] for c in page.context.cookies()}
