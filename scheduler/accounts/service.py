"""Users and their bearer tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.accounts.models import Role, User
from scheduler.capacity.models import Expert
from scheduler.errors import InvalidInput, Unauthenticated
from scheduler.security import hash_token, new_token
from scheduler.tenants.models import Municipality


def create(
    session: Session,
    *,
    name: str,
    role: Role,
    municipality: Municipality | None,
    expert_id: int | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[User, str]:
    """Create a user and return it with its bearer token (shown once, stored hashed), valid
    until ``expires_at`` (None: until revoked)."""
    if role is Role.ADMIN:
        municipality = None
    elif municipality is None:
        raise InvalidInput(f"a {role.value} belongs to a municipality")
    if role is Role.EXPERT:
        if expert_id is None:
            raise InvalidInput("an expert user needs --expert ID")
        expert = session.get(Expert, expert_id)
        if expert is None or municipality is None or expert.municipality_id != municipality.id:
            raise InvalidInput(f"expert {expert_id} does not exist in this municipality")
    elif expert_id is not None:
        raise InvalidInput("only expert users are linked to an expert")
    token = new_token()
    user = User(
        name=name,
        role=role,
        municipality_id=municipality.id if municipality else None,
        expert_id=expert_id,
        token_hash=hash_token(token),
        created_at=clock.now(),
        token_expires_at=expires_at,
    )
    session.add(user)
    session.flush()
    return user, token


def authenticate(session: Session, token: str) -> User:
    """The active user holding ``token``."""
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    expired = (
        user is not None
        and user.token_expires_at is not None
        and user.token_expires_at <= clock.now()
    )
    if user is None or not user.active or expired:
        raise Unauthenticated(
            "The access token is not valid.", nl="De toegangscode is niet geldig."
        )
    return user


def rotate_token(session: Session, user: User) -> str:
    """Give ``user`` a new bearer token (the old one stops working); flushes."""
    token = new_token()
    user.token_hash = hash_token(token)
    session.flush()
    return token


def ensure_user(
    session: Session,
    *,
    name: str,
    role: Role,
    municipality: Municipality | None,
    expert_id: int | None = None,
) -> tuple[User, str]:
    """The user with this name and role (created when missing), with a fresh token."""
    query = select(User).where(User.name == name, User.role == role)
    if municipality is not None:
        query = query.where(User.municipality_id == municipality.id)
    user = session.scalar(query)
    if user is None:
        return create(session, name=name, role=role, municipality=municipality, expert_id=expert_id)
    return user, rotate_token(session, user)


def sign_in_external(
    session: Session,
    *,
    issuer: str,
    subject: str,
    name: str,
    role: Role,
    municipality: Municipality | None,
    expert_id: int | None,
) -> User:
    """The user of an OpenID Connect sign-in, created on first sign-in (flushed, not committed).

    The identity provider is the authority: role, name, municipality and expert link follow its
    claims at every sign-in. A user an admin deactivated stays refused. The user gets a random
    API token hash nobody knows (machines keep using tokens made with ``aanhuis users``).
    """
    user = session.scalar(
        select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    )
    if user is None:
        user = User(
            name=name,
            role=role,
            municipality_id=municipality.id if municipality is not None else None,
            expert_id=expert_id,
            token_hash=hash_token(new_token()),
            created_at=clock.now(),
            oidc_issuer=issuer,
            oidc_subject=subject,
        )
        session.add(user)
    elif not user.active:
        raise Unauthenticated(
            "This account has been switched off.", nl="Dit account is uitgeschakeld."
        )
    else:
        user.name, user.role, user.expert_id = name, role, expert_id
        user.municipality_id = municipality.id if municipality is not None else None
    session.flush()
    return user


def get_all(session: Session) -> list[User]:
    """Every user, by municipality, role and name (for the admins' page)."""
    return list(
        session.scalars(select(User).order_by(User.municipality_id, User.role, User.name, User.id))
    )


def revoke(session: Session, user: User) -> None:
    """Switch a user off: the token stops working (flushes; the caller ends web sessions)."""
    user.active = False
    session.flush()
