"""Every ORM model, imported in one place so the metadata is complete (Alembic, tests)."""

from scheduler.accounts.models import Role, User, WebSession
from scheduler.addresses.models import Address
from scheduler.audit.models import AuditCheckpoint, AuditRecord, ProcessingRecord
from scheduler.booking.models import (
    Channel,
    Offer,
    SpentOffer,
    Visit,
    VisitEvent,
    VisitSearch,
    VisitStatus,
)
from scheduler.capacity.models import (
    Closure,
    ExceptionKind,
    Expert,
    ShiftException,
    TravelMode,
    WeeklyShift,
)
from scheduler.catalog.models import ServiceType
from scheduler.db import Base
from scheduler.insights.models import OfferSearchHour
from scheduler.notify.models import OutboxMessage, ShortLink
from scheduler.planning.models import ExpertDay, OptimisationJob, PlanningDay, Proposal
from scheduler.rota.models import ExpertContract, MinimumCoverRow, RotaProposal, ShiftTypeRow
from scheduler.tenants.models import Municipality
from scheduler.waitlist.models import WaitlistEntry

__all__ = [
    "Address",
    "AuditCheckpoint",
    "AuditRecord",
    "Base",
    "Channel",
    "Closure",
    "ExceptionKind",
    "Expert",
    "ExpertContract",
    "ExpertDay",
    "MinimumCoverRow",
    "Municipality",
    "Offer",
    "OfferSearchHour",
    "OptimisationJob",
    "OutboxMessage",
    "PlanningDay",
    "ProcessingRecord",
    "Proposal",
    "Role",
    "RotaProposal",
    "ServiceType",
    "ShiftException",
    "ShiftTypeRow",
    "ShortLink",
    "SpentOffer",
    "TravelMode",
    "User",
    "Visit",
    "VisitEvent",
    "VisitSearch",
    "VisitStatus",
    "WaitlistEntry",
    "WebSession",
    "WeeklyShift",
]
