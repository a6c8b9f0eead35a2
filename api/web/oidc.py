"""Staff sign-in with OpenID Connect (Authlib): authorisation code flow with PKCE, state and nonce.

``/login/oidc/{name}`` sends the browser to the municipality's identity provider
(``AANHUIS_OIDC_PROVIDERS``); ``/login/oidc/{name}/callback`` checks the state, exchanges the code
(with the PKCE verifier), validates the ID token (signature from the provider's JWKS, issuer,
audience, expiry, nonce), maps its role or group claims to planner, expert or admin, and starts
the same server-side session a token sign-in gets (method ``oidc:{name}``). State, nonce and
verifier travel in a short-lived cookie sealed with a key of their own, so a tampered or replayed
state is refused. A user whose claims map to no role gets a page that says so and no session.
Signing out ends the session and, where the provider has an ``end_session_endpoint``, the
provider's session too.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import warnings
from functools import lru_cache
from typing import Any

import authlib.deprecate  # noqa: F401  (it turns its own warnings on; imported first to override)
import httpx

# Authlib 1.7 warns on import that its httpx and jose modules move (to httpx2 and joserfc) before
# 2.0; the APIs used here still work. The notice would reach stderr before logging is set up, as
# a line that is not JSON, so it is silenced here and only here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.jose import JsonWebKey, jwt
    from authlib.jose.errors import JoseError
    from authlib.oidc.core import CodeIDToken
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError as JoseRfcError  # what Authlib's claims checks raise now
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.settings import OidcProvider, Settings
from api.web import csrf
from api.web import sessions as web_sessions
from api.web.rendering import PageDep, PageRoute
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.capacity.models import Expert
from scheduler.errors import NotAllowed, NotFound, Unauthenticated
from scheduler.security import Sealer
from scheduler.tenants import service as tenants

log = logging.getLogger("aanhuis.oidc")
router = APIRouter(route_class=PageRoute)

STATE_COOKIE = "aanhuis_oidc"
STATE_PURPOSE = "oidc-state"
#: How long the provider may take (the person types a password, maybe a second factor).
STATE_SECONDS = 600
#: Roles in order of precedence when claims map to several.
PRECEDENCE = (Role.ADMIN, Role.PLANNER, Role.EXPERT)


def provider_of(settings: Settings, name: str) -> OidcProvider:
    for provider in settings.oidc_providers:
        if provider.name == name:
            return provider
    raise NotFound("There is no such sign-in.", nl="Deze manier van inloggen bestaat niet.")


@lru_cache(maxsize=16)
def _discovery(issuer: str) -> dict[str, Any]:
    answer = httpx.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration", timeout=10)
    answer.raise_for_status()
    meta: dict[str, Any] = answer.json()
    return meta


def discovery(issuer: str) -> dict[str, Any]:
    """The provider's metadata (cached per process)."""
    return _discovery(issuer)


def _jwks(uri: str) -> Any:
    answer = httpx.get(uri, timeout=10)
    answer.raise_for_status()
    return JsonWebKey.import_key_set(answer.json())


def validate_id_token(
    id_token: str, keys: Any, *, issuer: str, audience: str, nonce: str, now: float | None = None
) -> dict[str, Any]:
    """The claims of a valid ID token; :class:`Unauthenticated` for a wrong signature, issuer,
    audience or nonce, or an expired token."""
    try:
        claims = jwt.decode(
            id_token,
            keys,
            claims_cls=CodeIDToken,
            claims_options={
                "iss": {"essential": True, "values": [issuer]},
                "aud": {"essential": True, "values": [audience]},
            },
            claims_params={"nonce": nonce},
        )
        claims.validate(now=int(now if now is not None else time.time()), leeway=30)
    except (JoseError, JoseRfcError, ValueError) as exc:
        log.info("ID token refused: %s", type(exc).__name__)
        raise Unauthenticated(
            "The sign-in could not be checked. Please try again.",
            nl="De inlog kon niet worden gecontroleerd. Probeer het opnieuw.",
        ) from exc
    return dict(claims)


def role_of(provider: OidcProvider, claims: dict[str, Any]) -> Role | None:
    """The role the claims map to (the highest of several), or None."""
    values: set[str] = set()
    for name in provider.role_claims:
        raw = claims.get(name)
        if isinstance(raw, str):
            values.add(raw)
        elif isinstance(raw, list):
            values |= {str(v) for v in raw}
    mapped = {Role(provider.role_map[v]) for v in values if v in provider.role_map}
    return next((r for r in PRECEDENCE if r in mapped), None)


def _sealer(settings: Settings) -> Sealer:
    return Sealer(settings.key(STATE_PURPOSE))


def _redirect_uri(settings: Settings, provider: OidcProvider) -> str:
    return f"{settings.base_url}/login/oidc/{provider.name}/callback"


def _client(settings: Settings, provider: OidcProvider) -> OAuth2Client:
    secret = provider.client_secret.get_secret_value() if provider.client_secret else None
    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=secret,
        scope=provider.scope,
        redirect_uri=_redirect_uri(settings, provider),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        timeout=10,
    )


@router.get("/login/oidc/{name}", response_class=HTMLResponse)
def start(name: str, request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    """Off to the identity provider, with a fresh state, nonce and PKCE verifier."""
    provider = provider_of(settings, name)
    meta = discovery(provider.issuer)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    with _client(settings, provider) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
        )
    target = next if next and next.startswith("/") and not next.startswith("//") else None
    sealed = _sealer(settings).seal(
        json.dumps(
            {"s": state, "n": nonce, "v": verifier, "t": target, "e": time.time() + STATE_SECONDS}
        ).encode(),
        context=provider.name.encode(),
    )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        sealed,
        max_age=STATE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=csrf.is_https(request),
        path="/login/oidc/",
    )
    return response


def _refused() -> Unauthenticated:
    return Unauthenticated(
        "This sign-in link is not valid (any more). Please sign in again.",
        nl="Deze inloglink is niet (meer) geldig. Log opnieuw in.",
    )


@router.get("/login/oidc/{name}/callback", response_class=HTMLResponse)
def callback(
    name: str,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    """Back from the identity provider: check everything, then start a session."""
    provider = provider_of(settings, name)
    request = page.request
    try:
        kept = json.loads(
            _sealer(settings).open(
                request.cookies.get(STATE_COOKIE, ""), context=provider.name.encode()
            )
        )
    except ValueError as exc:
        raise _refused() from exc
    if kept["e"] < time.time() or not secrets.compare_digest(str(kept["s"]), state):
        raise _refused()
    if error or not code:
        raise Unauthenticated(
            "The sign-in was cancelled or refused.", nl="Het inloggen is afgebroken of geweigerd."
        )
    meta = discovery(provider.issuer)
    try:
        with _client(settings, provider) as client:
            token = client.fetch_token(
                meta["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=kept["v"],
            )
    except Exception as exc:  # the provider refused the code (reused, expired) or is down
        log.warning("token exchange failed: %s", type(exc).__name__)
        raise _refused() from exc
    claims = validate_id_token(
        str(token.get("id_token", "")),
        _jwks(meta["jwks_uri"]),
        issuer=provider.issuer,
        audience=provider.client_id,
        nonce=kept["n"],
    )
    role = role_of(provider, claims)
    if role is None:
        raise NotAllowed(
            "Your account has no role in Aan Huis (planner, expert or admin). Ask your "
            "administrator to give you one.",
            nl="Uw account heeft geen rol in Aan Huis (planner, medewerker of beheerder). Vraag "
            "uw beheerder om u een rol te geven.",
        )
    municipality = tenants.get_by_slug(session, provider.municipality)
    expert_id: int | None = None
    if role is Role.EXPERT:
        raw = str(claims.get(provider.expert_claim) or "") if provider.expert_claim else ""
        wanted = int(raw) if raw.isdigit() and len(raw) < 10 else -1
        expert_id = session.scalar(
            select(Expert.id).where(Expert.municipality_id == municipality.id, Expert.id == wanted)
        )
        if expert_id is None:
            raise NotAllowed(
                "Your account is not linked to an expert yet. Ask your administrator.",
                nl="Uw account is nog niet aan een medewerker gekoppeld. Vraag uw beheerder.",
            )
    user = accounts.sign_in_external(
        session,
        issuer=provider.issuer,
        subject=str(claims["sub"]),
        name=str(claims.get("name") or claims.get("preferred_username") or claims["sub"])[:200],
        role=role,
        municipality=None if role is Role.ADMIN else municipality,
        expert_id=expert_id,
    )
    target = kept["t"] or ("/expert/" if role is Role.EXPERT else "/planner/")
    response = page.redirect(target)
    web_sessions.start(session, request, response, user, method=f"oidc:{provider.name}")
    response.delete_cookie(STATE_COOKIE, path="/login/oidc/")
    log.info("OIDC sign-in (%s) as %s", provider.name, role.value)
    return response


def end_session_url(settings: Settings, method: str | None) -> str | None:
    """Where to send the browser after sign-out to end the provider's session too, if it can."""
    if not method or not method.startswith("oidc:"):
        return None
    try:
        provider = provider_of(settings, method.removeprefix("oidc:"))
        endpoint = discovery(provider.issuer).get("end_session_endpoint")
    except (NotFound, httpx.HTTPError):
        return None
    if not endpoint:
        return None
    query = httpx.QueryParams(
        client_id=provider.client_id, post_logout_redirect_uri=f"{settings.base_url}/login"
    )
    return f"{endpoint}?{query}"
