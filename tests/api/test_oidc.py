"""Staff sign-in with OpenID Connect against a real local provider (``oidc-provider-mock``).

The provider runs in a thread on a free port; Teststad (``route_app_world``) has a planner role
for the group ``aanhuis-planners``, an expert role for the app role ``Aanhuis.Expert`` and admin
for ``aanhuis-admins``. The browser goes through the provider's own form (here: httpx posts it).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.jose import JsonWebKey, jwt
from fastapi.testclient import TestClient
from oidc_provider_mock import run_server_in_thread
from route_app_world import World, build
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import OidcProvider, Settings
from api.web import oidc
from scheduler.accounts.models import Role, User, WebSession
from scheduler.errors import Unauthenticated

ROLE_MAP = {"aanhuis-planners": "planner", "Aanhuis.Expert": "expert", "aanhuis-admins": "admin"}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions() as session:
        return build(session)


def provider(issuer: str) -> OidcProvider:
    return OidcProvider(
        name="teststad",
        municipality="teststad",
        issuer=issuer,
        client_id="aanhuis-teststad",
        client_secret="not-so-secret",  # type: ignore[arg-type]
        role_map=ROLE_MAP,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(db_url: str, world: World, issuer: str) -> Iterator[TestClient]:
    app = create_app(
        Settings(
            database_url=db_url,
            base_url="http://testserver",
            oidc_providers=[provider(issuer)],
        )
    )
    with TestClient(app, follow_redirects=False) as c:
        yield c
    app.state.engine.dispose()


def at_provider(issuer: str, sub: str, claims: dict[str, Any], location: str) -> str:
    """The person signs in at the provider as ``sub``; returns where it sends the browser."""
    httpx.put(f"{issuer}/users/{sub}", json=claims).raise_for_status()
    answer = httpx.post(location, data={"sub": sub, "action": "authorize"})
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["location"]


def sign_in(client: TestClient, issuer: str, sub: str, claims: dict[str, Any]) -> Any:
    started = client.get("/login/oidc/teststad")
    assert started.status_code == 303
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = at_provider(issuer, sub, claims, started.headers["location"])
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")


@pytest.mark.parametrize(
    ("claims", "role", "home"),
    [
        ({"groups": ["aanhuis-planners", "other"]}, Role.PLANNER, "/planner/"),
        ({"roles": "aanhuis-admins"}, Role.ADMIN, "/planner/"),
        ({"roles": ["Aanhuis.Expert", "aanhuis-planners"]}, Role.PLANNER, "/planner/"),
    ],
    ids=["keycloak-groups", "entra-role", "highest-of-two"],
)
def test_sign_in_maps_claims_to_a_role_and_starts_a_server_session(
    client: TestClient,
    issuer: str,
    sessions: sessionmaker[Session],
    claims: dict[str, Any],
    role: Role,
    home: str,
) -> None:
    """The role-mapping table: each claim shape gives its role, a user linked by issuer and
    subject, and an ordinary server-side session (method ``oidc:teststad``)."""
    sub = f"user-{role.value}-{len(claims)}-{time.monotonic_ns()}"
    done = sign_in(client, issuer, sub, {"name": "Petra Planner", **claims})
    assert done.status_code == 303, done.text[:400]
    assert done.headers["location"] == home
    assert client.get(home).status_code in (200, 303)
    with sessions() as s:
        user = s.scalars(select(User).where(User.oidc_subject == sub)).one()
        assert user.role is role and user.oidc_issuer == issuer
        assert s.scalars(select(WebSession.method).where(WebSession.user_id == user.id)).all() == [
            "oidc:teststad"
        ]


def test_an_expert_is_linked_by_claim_and_reaches_the_route_app(
    client: TestClient, issuer: str, world: World
) -> None:
    """The expert claim links the user to Anouk; her route app opens."""
    done = sign_in(
        client,
        issuer,
        f"anouk-{time.monotonic_ns()}",
        {"roles": ["Aanhuis.Expert"], "aanhuis_expert_id": str(world.anouk.id)},
    )
    assert done.headers["location"] == "/expert/"
    assert client.get("/expert/").status_code == 200


def test_no_role_is_refused_with_a_clear_page(
    client: TestClient, issuer: str, sessions: sessionmaker[Session]
) -> None:
    """Claims that map to no role: 403 with a page that says so, and no session."""
    done = sign_in(client, issuer, f"nobody-{time.monotonic_ns()}", {"groups": ["sales"]})
    assert done.status_code == 403
    assert "geen rol in Aan Huis" in done.text
    with sessions() as s:
        assert s.scalar(select(WebSession.id)) is None


def test_a_tampered_or_missing_state_is_refused(client: TestClient, issuer: str) -> None:
    """A callback whose state differs from the one sealed in the cookie, or without the cookie,
    starts no session."""
    started = client.get("/login/oidc/teststad")
    back = urlsplit(
        at_provider(issuer, "tamper", {"groups": ["aanhuis-planners"]}, started.headers["location"])
    )
    query = parse_qs(back.query)
    bad = client.get(back.path, params={"code": query["code"][0], "state": "x" + query["state"][0]})
    assert bad.status_code == 401 and "aanhuis_session" not in bad.cookies
    client.cookies.delete("aanhuis_oidc", path="/login/oidc/")
    client.cookies.clear()
    none = client.get(back.path, params={"code": query["code"][0], "state": query["state"][0]})
    assert none.status_code == 401


def test_signing_out_revokes_the_session_and_ends_the_providers(
    client: TestClient, issuer: str
) -> None:
    """After sign-out the old cookie no longer opens a page, and the browser is sent to the
    provider's end-session endpoint."""
    sign_in(client, issuer, f"out-{time.monotonic_ns()}", {"groups": ["aanhuis-planners"]})
    cookie = client.cookies.get("aanhuis_session")
    assert cookie and client.get("/planner/").status_code in (200, 303)
    client.get("/login")
    out = client.post("/logout", data={"csrf": client.cookies.get("aanhuis_csrf")})
    assert out.status_code == 303
    assert out.headers["location"].startswith(f"{issuer}/oauth2/end_session?")
    client.cookies.set("aanhuis_session", cookie)
    again = client.get("/planner/")
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


# -- the ID token's checks, with a key of our own ------------------------------------------------

KEY = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})


def _token(**claims: Any) -> str:
    now = int(time.time())
    body = {"iss": "https://idp.example", "aud": "aanhuis", "sub": "s", "nonce": "n"}
    body |= {"iat": now, "exp": now + 300, "auth_time": now} | claims
    return jwt.encode({"alg": "RS256", "kid": "k1"}, body, KEY).decode()


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "someone-else"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"iss": "https://evil.example"},
        {"nonce": "replayed"},
    ],
    ids=["wrong-audience", "expired", "wrong-issuer", "wrong-nonce"],
)
def test_an_id_token_that_fails_a_check_is_refused(claims: dict[str, Any]) -> None:
    """Audience, expiry, issuer and nonce are each checked (the good token passes)."""
    keys = JsonWebKey.import_key_set({"keys": [KEY.as_dict(is_private=False)]})
    check = {"issuer": "https://idp.example", "audience": "aanhuis", "nonce": "n"}
    assert oidc.validate_id_token(_token(), keys, **check)["sub"] == "s"
    with pytest.raises(Unauthenticated):
        oidc.validate_id_token(_token(**claims), keys, **check)


# -- API tokens for machines: admins issue, list and revoke them in the web UI ------------------


def _signed_in_as(client: TestClient, token: str) -> None:
    client.get("/login")
    answer = client.post(
        "/login", data={"csrf": client.cookies.get("aanhuis_csrf"), "token": token}
    )
    assert answer.status_code == 303


def test_an_admin_issues_lists_and_revokes_tokens_with_an_expiry(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """The token is shown once and works on the API until it expires or is revoked; revoking
    is a POST behind a confirm page; a planner may not open the page."""
    from scheduler import clock
    from scheduler.accounts import service as accounts

    with sessions() as s:
        _, admin = accounts.create(s, name="Beheer", role=Role.ADMIN, municipality=None)
        s.commit()
    _signed_in_as(client, world.tokens["planner"])
    assert client.get("/planner/toegangscodes").status_code == 403
    client.cookies.clear()
    _signed_in_as(client, admin)
    made = client.post(
        "/planner/toegangscodes",
        data={
            "csrf": client.cookies.get("aanhuis_csrf"),
            "naam": "Koppeling",
            "rol": "planner",
            "gemeente": "teststad",
            "dagen": "30",
        },
    )
    assert made.status_code == 200
    token = made.text.split('id="new-token">')[1].split("<")[0]
    desk = "/api/v1/municipalities/teststad/desk/bookings/AH-V1"
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(desk, headers=bearer).status_code == 200
    listed = client.get("/planner/toegangscodes")
    assert "Koppeling" in listed.text and token not in listed.text  # shown once only
    later = clock.now() + dt.timedelta(days=31)
    previous = clock.set_clock(lambda: later)
    try:
        assert client.get(desk, headers=bearer).status_code == 401  # expired
    finally:
        clock.set_clock(previous)
    with sessions() as s:
        user_id = s.scalars(select(User.id).where(User.name == "Koppeling")).one()
    confirm = client.get(f"/planner/toegangscodes/{user_id}/intrekken")
    assert confirm.status_code == 200 and "Ja, trek de toegang in" in confirm.text
    revoked = client.post(
        f"/planner/toegangscodes/{user_id}/intrekken",
        data={"csrf": client.cookies.get("aanhuis_csrf")},
    )
    assert revoked.status_code == 303
    assert client.get(desk, headers=bearer).status_code == 401
