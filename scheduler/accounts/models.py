"""Users of the planner and expert tools (citizens need no account)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base, str_enum


class Role(enum.StrEnum):
    PLANNER = "planner"
    EXPERT = "expert"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for admins, who work across municipalities.
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), default=None
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, 10))
    expert_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the bearer token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    #: Set for a user who signs in with OpenID Connect: the issuer and the subject (``sub``).
    oidc_issuer: Mapped[str | None] = mapped_column(String(300), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)
    #: When the API token stops working (None: until revoked).
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class WebSession(Base):
    """A sign-in to the staff web pages: the cookie holds a random id, this row only its hash.

    Ends at ``expires_at`` (absolute), after ``idle`` without a request (checked against
    ``last_seen_at``), or when revoked (sign-out, an admin). An OpenID Connect sign-in creates the
    same row.
    """

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    #: SHA-256 of the cookie's session id.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: How the user signed in ("token"; later "oidc").
    method: Mapped[str] = mapped_column(String(20), default="token")
