"""Server-side web sessions: create, look up, touch, revoke.

The cookie carries a random session id (256 bits) and the database keeps only its SHA-256, so a
copy of the table opens no session. A session ends when it is revoked (sign-out, an admin), when
its user is deactivated, after ``idle`` without use, and at its absolute expiry. Functions flush;
the caller commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scheduler.accounts.models import User, WebSession
from scheduler.security import hash_token, new_token

#: ``last_seen_at`` is written at most this often (a page view need not be a write).
TOUCH_EVERY = dt.timedelta(minutes=1)


def create_session(
    session: Session,
    user: User,
    *,
    now: dt.datetime,
    lifetime: dt.timedelta,
    method: str = "token",
) -> tuple[WebSession, str]:
    """A new session for ``user`` and its id for the cookie (shown once, stored hashed)."""
    token = new_token()
    web = WebSession(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        method=method,
    )
    session.add(web)
    session.flush()
    return web, token


def get_active(
    session: Session, token: str, *, now: dt.datetime, idle: dt.timedelta
) -> tuple[WebSession, User] | None:
    """The live session behind a cookie's id and its active user, or None."""
    if not token or len(token) > 100:
        return None
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == hash_token(token))
    ).one_or_none()
    if found is None:
        return None
    web, user = found
    if not is_live(web, now=now, idle=idle) or not user.active:
        return None
    return web, user


def is_live(web: WebSession, *, now: dt.datetime, idle: dt.timedelta) -> bool:
    """Not revoked, not past its absolute expiry, used within ``idle``."""
    return web.revoked_at is None and now < web.expires_at and now < web.last_seen_at + idle


def needs_touch(web: WebSession, now: dt.datetime) -> bool:
    return now - web.last_seen_at >= TOUCH_EVERY


def touch(session: Session, session_id: int, now: dt.datetime) -> None:
    """Record use of a session (keeps it from idling out); flushes."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
        .values(last_seen_at=now)
    )


def revoke(session: Session, token: str, *, now: dt.datetime) -> bool:
    """End the session behind a cookie's id (sign-out); False when there was none."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.token_hash == hash_token(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_all(session: Session, user: User, *, now: dt.datetime) -> int:
    """End every session of ``user`` (an admin's action, a lost phone); how many were live."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0))


def get_all(session: Session, user: User) -> list[WebSession]:
    """The sessions of ``user``, newest first (revoked and expired ones too)."""
    return list(
        session.scalars(
            select(WebSession)
            .where(WebSession.user_id == user.id)
            .order_by(WebSession.created_at.desc(), WebSession.id.desc())
        )
    )
