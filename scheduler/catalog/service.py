"""Service types: the catalogue citizens book from, and the planners' changes to it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.catalog.models import ServiceType
from scheduler.catalog.schemas import ServiceTypeCreate
from scheduler.day.locks import bump_capacity_version
from scheduler.errors import Conflict, NotFound
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.catalog")


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


def create(session: Session, *, municipality: Municipality, data: ServiceTypeCreate) -> ServiceType:
    """Add a service type (its code must be new in this municipality)."""
    taken = session.scalar(
        select(ServiceType.id).where(
            ServiceType.municipality_id == municipality.id, ServiceType.code == data.code
        )
    )
    if taken is not None:
        raise Conflict(
            f"There already is a service '{data.code}'.",
            nl=f"Er is al een dienst '{data.code}'.",
        )
    values = data.model_dump()
    for text in ("description_nl", "description_en", "preparation_nl", "preparation_en"):
        values[text] = values[text] or ""
    values["need_skills"] = values["need_skills"] or {}
    service = ServiceType(municipality_id=municipality.id, **values)
    session.add(service)
    session.flush()
    bump_capacity_version(session, municipality)
    session.commit()
    log.info("service type %s created", service.id)
    return service
