"""Service types: the catalogue citizens book from, and the planners' changes to it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.booking.models import Visit, VisitStatus
from scheduler.capacity import service as capacity
from scheduler.catalog.models import ServiceType
from scheduler.catalog.schemas import ServiceTypeCreate, ServiceTypeUpdate
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
    service = ServiceType(municipality_id=municipality.id, **values)
    session.add(service)
    session.flush()
    capacity.bump_capacity_version(session, municipality)
    session.commit()
    log.info("service type %s created", service.id)
    return service


def update(
    session: Session,
    *,
    municipality: Municipality,
    code: str,
    data: ServiceTypeUpdate,
    replan: capacity.Replan,
) -> capacity.Changed[ServiceType]:
    """Change a service type; refused when it breaks booked visits unless re-planning.

    A new duration applies to the service's upcoming visits that have not started (the visit
    takes that long now) and a new skill decides who may serve them; both are checked by
    replaying the expert-days holding those visits. Deactivating only stops new bookings.
    """
    service = get_by_code(session, municipality=municipality, code=code, active_only=False)
    changes = data.model_dump(exclude_unset=True)
    touches_visits = (
        changes.get("duration_minutes", service.duration_minutes) != service.duration_minutes
        or changes.get("skill", service.skill) != service.skill
    )
    guard = (
        capacity.PromiseGuard(
            session,
            municipality,
            replan,
            scope=(),
            lock_days=(),
            watch=lambda: capacity.visit_days(session, municipality, service_type_id=service.id),
        )
        if touches_visits
        else None
    )
    for key, value in changes.items():
        setattr(service, key, value)
    if "duration_minutes" in changes:
        for visit in session.scalars(
            select(Visit).where(
                Visit.service_type_id == service.id,
                Visit.status.in_((VisitStatus.BOOKED, VisitStatus.PLANNED)),
                Visit.date >= capacity.today_of(municipality),
            )
        ):
            visit.duration_minutes = service.duration_minutes
    if guard is not None:
        outcome = guard.finish()
    else:
        session.flush()
        capacity.bump_capacity_version(session, municipality)
        session.commit()
        outcome = capacity.Outcome()
    log.info("service type %s updated", service.id)
    return capacity.Changed(service, outcome)
