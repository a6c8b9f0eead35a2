"""Staff sign-in sessions for the web pages, on top of :mod:`scheduler.accounts.sessions`.

The cookie (HttpOnly, SameSite=Lax, Secure on HTTPS) holds only a random session id; the user's
permanent access token is checked once at sign-in and never stored in the browser. Signing out
revokes the session on the server, so a copied cookie stops working too. The JSON API never
accepts this cookie (only ``Authorization: Bearer``), so no cross-site request can use it there.
"""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import Request, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api import audit
from api.deps import SESSION_COOKIE
from api.settings import Settings
from api.web import csrf
from scheduler import clock
from scheduler.accounts import sessions
from scheduler.accounts.models import User
from scheduler.db import transaction

log = logging.getLogger("aanhuis.web")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def idle_of(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.session_idle_minutes)


def lifetime_of(settings: Settings) -> dt.timedelta:
    return dt.timedelta(hours=settings.session_max_hours)


def start(
    session: Session, request: Request, response: Response, user: User, method: str = "token"
) -> None:
    """Sign ``user`` in: a new server-side session (committed) and its cookie."""
    settings = _settings(request)
    _, token = sessions.create_session(
        session, user, now=clock.now(), lifetime=lifetime_of(settings), method=method
    )
    session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime_of(settings).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=csrf.is_https(request),
        path="/",
    )


def current_user(request: Request, session: Session) -> User | None:
    """The user of the request's live session, or None (and keeps the session from idling out).

    A read-only request records the use in a short transaction of its own; a writing one in its
    own session (SQLite has one writer: a second transaction would wait for this one).
    """
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    now = clock.now()
    found = sessions.get_active(session, token, now=now, idle=idle_of(_settings(request)))
    if found is None:
        return None
    web, user = found
    if sessions.needs_touch(web, now):
        if request.method in ("GET", "HEAD"):
            try:
                with transaction(request.app.state.sessions) as writer:
                    sessions.touch(writer, web.id, now)
            except OperationalError:  # busy: the next request records it
                log.warning("could not record a session's use")
        else:
            sessions.touch(session, web.id, now)
    audit.act_as(user)  # the access log names who acts in this request
    return user


def end(session: Session, request: Request, response: Response) -> str | None:
    """Sign out: revoke the session on the server (committed) and drop the cookie.

    Returns how the session was signed in ("token", "oidc:{provider}"), or None.
    """
    token = request.cookies.get(SESSION_COOKIE)
    method = None
    if token:
        found = sessions.get_active(
            session, token, now=clock.now(), idle=idle_of(_settings(request))
        )
        method = found[0].method if found is not None else None
        sessions.revoke(session, token, now=clock.now())
        session.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return method
