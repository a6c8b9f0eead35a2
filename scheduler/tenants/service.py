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


def lock_capacity(session: Session, municipality: Municipality, *, exclusive: bool) -> None:
    """Serialise capacity changes against the use cases that rely on capacity.

    Bookings, reschedules, cancellations and applied plans read experts, shifts, exceptions and
    closures, then write plans that must fit them; a capacity change must not commit in between.
    They take this lock shared (``FOR SHARE`` on the municipality row: they still run side by
    side); capacity changes take it exclusive (``FOR UPDATE``), so each waits for the other. It is
    always the first lock of a transaction — municipality, then expert-days (ascending expert id),
    then the planning-day row — so no two use cases can deadlock. SQLite already runs one writer
    at a time, so there it does nothing.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        select(Municipality.id)
        .where(Municipality.id == municipality.id)
        .with_for_update(read=not exclusive)
    )
