"""Service types."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.catalog.models import ServiceType
from scheduler.errors import NotFound
from scheduler.tenants.models import Municipality


def get_all(
    session: Session, *, municipality: Municipality, active_only: bool = True
) -> Sequence[ServiceType]:
    query = select(ServiceType).where(ServiceType.municipality_id == municipality.id)
    if active_only:
        query = query.where(ServiceType.active.is_(True))
    return session.scalars(query.order_by(ServiceType.id)).all()


def get_by_code(
    session: Session, *, municipality: Municipality, code: str, active_only: bool = True
) -> ServiceType:
    service = session.scalar(
        select(ServiceType).where(
            ServiceType.municipality_id == municipality.id, ServiceType.code == code
        )
    )
    if service is None or (active_only and not service.active):
        raise NotFound(
            f"The service '{code}' is not offered by {municipality.name}.",
            nl=f"De dienst '{code}' wordt door {municipality.name} niet aangeboden.",
        )
    return service
