"""Dependencies shared by the routers: sessions, the municipality in the path, the current user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api import audit
from api.settings import Settings
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role, User
from scheduler.errors import NotAllowed, Unauthenticated
from scheduler.tenants import service as tenants
from scheduler.tenants.models import Municipality

#: Cookie of the staff web pages' sign-in session (:mod:`api.web.sessions`). The API never reads
#: it: a cross-site request carries the cookie, never an Authorization header.
SESSION_COOKIE = "aanhuis_session"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session per request. Reads (GET, HEAD) never take SQLite's write lock.

    Nothing is committed here: each use case commits its own unit of work, so a failed commit
    can never follow a response that already said 200.
    """
    read_only = request.method in ("GET", "HEAD")
    factory = request.app.state.read_sessions if read_only else request.app.state.sessions
    with factory() as session:
        yield session


def get_writing_session(request: Request) -> Iterator[Session]:
    """A writing session for a GET that stores something harmless (offers for the asker)."""
    with request.app.state.sessions() as session:
        yield session


#: A row id in a path. Bounded to the database's integer range (PostgreSQL ``integer``), so an
#: absurd number is a 422 problem, never a database overflow.
ResourceId = Annotated[int, Path(ge=1, le=2_147_483_647)]

SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
WritingSessionDep = Annotated[Session, Depends(get_writing_session)]


def get_municipality(slug: str, session: SessionDep) -> Municipality:
    return tenants.get_by_slug(session, slug)


MunicipalityDep = Annotated[Municipality, Depends(get_municipality)]

_bearer = HTTPBearer(auto_error=False, description="A token from `aanhuis users create`.")


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token of the Authorization header (the only way to authenticate to the API)."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    raise Unauthenticated("Sign in with a bearer token.", nl="Meld u aan met een toegangscode.")


def get_current_user(session: SessionDep, token: Annotated[str, Depends(bearer_token)]) -> User:
    user = accounts.authenticate(session, token)
    audit.act_as(user)  # the access log names who acts in this request
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_planner(municipality: MunicipalityDep, user: CurrentUser) -> User:
    """A planner of this municipality, or an admin."""
    if user.role is Role.ADMIN:
        return user
    if user.role is Role.PLANNER and user.municipality_id == municipality.id:
        return user
    raise NotAllowed(
        "Only this municipality's planners may do this.",
        nl="Alleen planners van deze gemeente mogen dit.",
    )


Planner = Annotated[User, Depends(require_planner)]


def require_expert(user: CurrentUser) -> User:
    """An expert user linked to an expert."""
    if user.role is not Role.EXPERT or user.expert_id is None:
        raise NotAllowed("Only experts have a route.", nl="Alleen medewerkers hebben een route.")
    return user


ExpertUser = Annotated[User, Depends(require_expert)]
