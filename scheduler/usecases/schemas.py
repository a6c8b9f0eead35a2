"""Answers of the use cases that span domains: capacity changes and disruption re-plans."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from scheduler import clock
from scheduler.booking.models import Offer
from scheduler.capacity.schemas import ClosureRead, ExceptionRead, ExpertRead, ShiftRead
from scheduler.catalog.schemas import ServiceTypeRead
from scheduler.planning.schemas import DayFigures, MoveRead
from scheduler.usecases.capacity_changes import Outcome
from scheduler.usecases.disruption import ListedVisit, ReplanResult


class AlternativeRead(BaseModel):
    """A fresh window for a visit that could not be kept; book it as a reschedule of the visit."""

    offer_id: str
    date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    expires_at: dt.datetime

    @classmethod
    def of(cls, offer: Offer, tz_name: str) -> AlternativeRead:
        tz = clock.zone(tz_name)
        return cls(
            offer_id=offer.id,
            date=offer.date,
            window_start=offer.window_start.astimezone(tz),
            window_end=offer.window_end.astimezone(tz),
            expires_at=offer.expires_at.astimezone(tz),
        )


class ListedVisitRead(BaseModel):
    visit_id: int
    reference: str
    window_start: dt.datetime
    window_end: dt.datetime
    notified: bool = Field(description="A disruption message was queued for the citizen")
    alternatives: list[AlternativeRead]

    @classmethod
    def of(cls, item: ListedVisit, tz_name: str) -> ListedVisitRead:
        tz = clock.zone(tz_name)
        return cls(
            visit_id=item.visit.id,
            reference=item.visit.reference,
            window_start=item.visit.window_start.astimezone(tz),
            window_end=item.visit.window_end.astimezone(tz),
            notified=item.notified,
            alternatives=[AlternativeRead.of(o, tz_name) for o in item.alternatives],
        )


class ReplanRead(BaseModel):
    """A re-planned day: visits moved to colleagues, and those listed with new windows."""

    date: dt.date
    version: int
    note: str
    before: DayFigures
    after: DayFigures
    kept: int = Field(description="Visits of the day that are in a route")
    moved: list[MoveRead]
    listed: list[ListedVisitRead] = Field(description="Visits no expert can keep: offer new times")
    frozen: bool = Field(
        default=False,
        description="The day's plan was frozen: only what the disruption forced has changed",
    )
    experts_notified: list[int] = Field(
        default_factory=list,
        description="Experts whose route changed (shown in the route app; on a frozen day each "
        "also gets one 'route changed' message in the outbox, channel `app`)",
    )

    @classmethod
    def of(cls, result: ReplanResult, tz_name: str) -> ReplanRead:
        return cls(
            date=result.date,
            version=result.version,
            note=result.note,
            before=DayFigures.model_validate(result.before),
            after=DayFigures.model_validate(result.after),
            kept=result.kept,
            moved=[
                MoveRead(
                    visit_id=m.visit_id,
                    from_expert_id=m.from_expert_id,
                    to_expert_id=m.to_expert_id,
                    reason=m.reason,
                )
                for m in result.moved
            ],
            listed=[ListedVisitRead.of(item, tz_name) for item in result.listed],
            frozen=result.frozen,
            experts_notified=result.experts_notified,
        )


class AffectedVisitRead(BaseModel):
    """A booked visit a change touches: the reference and the promise, no personal data."""

    reference: str
    date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    expert_id: int | None


class ReplannedDayRead(BaseModel):
    """What re-planning one date did with the visits the change broke."""

    date: dt.date
    #: References of visits now with a colleague (or later the same day), inside their windows.
    moved: list[str]
    #: References of visits that could not be kept; each citizen is sent fresh alternatives.
    unplaced: list[str]


class ChangeOutcome(BaseModel):
    """Added to the answer of every change that could touch booked visits."""

    #: Visits the change broke; empty unless ``replan=true`` was asked (else the change is refused).
    affected: list[AffectedVisitRead] = Field(default_factory=list)
    replanned: list[ReplannedDayRead] = Field(default_factory=list)


class ExpertChanged(ExpertRead, ChangeOutcome):
    """The expert after the change, with what happened to booked visits."""


class WeeklyPattern(ChangeOutcome):
    """An expert's weekly shifts (and, after a change, what happened to booked visits)."""

    expert_id: int
    shifts: list[ShiftRead]


class ExceptionsChanged(ChangeOutcome):
    """Exceptions created by one request (one per date), with what happened to booked visits."""

    exceptions: list[ExceptionRead]


class ClosureChanged(ClosureRead, ChangeOutcome):
    """A closure day after the change, with what happened to booked visits."""


class Removed(ChangeOutcome):
    """The answer to a delete: what was removed and what happened to booked visits."""

    removed: int


class ClosureYear(ChangeOutcome):
    year: int
    #: How many public holidays the request added (0 when the year was already filled).
    added: int
    closures: list[ClosureRead]


def outcome_fields(outcome: Outcome) -> dict[str, object]:
    """The :class:`ChangeOutcome` members of a change's answer."""
    return {
        "affected": [
            AffectedVisitRead(
                reference=a.reference,
                date=a.date,
                window_start=a.window_start,
                window_end=a.window_end,
                expert_id=a.expert_id,
            )
            for a in outcome.affected
        ],
        "replanned": [
            ReplannedDayRead(date=r.date, moved=list(r.moved), unplaced=list(r.unplaced))
            for r in outcome.replanned
        ],
    }


class ServiceTypeChanged(ServiceTypeRead, ChangeOutcome):
    """The service type after a change, with what happened to its booked visits."""
