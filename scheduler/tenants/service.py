"""Municipalities."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.errors import NotFound
from scheduler.tenants.models import Municipality


def get_by_slug(session: Session, slug: str) -> Municipality:
    municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        raise NotFound(
            f"There is no municipality '{slug}' here.", nl=f"Gemeente '{slug}' bestaat hier niet."
        )
    return municipality


def get_all(session: Session) -> Sequence[Municipality]:
    return session.scalars(select(Municipality).order_by(Municipality.name)).all()
