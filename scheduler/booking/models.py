"""Visits (confirmed promises), their status history, and offers (briefly held windows)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base, str_enum


class VisitStatus(enum.StrEnum):
    BOOKED = "booked"
    PLANNED = "planned"
    ON_THE_WAY = "on_the_way"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    NOT_HOME = "not_home"
    CANCELLED = "cancelled"


#: Visits that hold a place in a day plan.
ACTIVE_STATUSES = (
    VisitStatus.BOOKED,
    VisitStatus.PLANNED,
    VisitStatus.ON_THE_WAY,
    VisitStatus.ARRIVED,
)
#: Visits the citizen may still move or cancel (and that may wait for an earlier time).
CHANGEABLE_STATUSES = (VisitStatus.BOOKED, VisitStatus.PLANNED)
#: Visits the expert has started: never moved by an optimisation.
STARTED_STATUSES = (VisitStatus.ON_THE_WAY, VisitStatus.ARRIVED)


class Relation(enum.StrEnum):
    """How a contact person is related to the person visited."""

    PARTNER = "partner"
    CHILD = "child"
    CARER = "carer"  # mantelzorger
    PROFESSIONAL = "professional"
    OTHER = "other"


class Channel(enum.StrEnum):
    ONLINE = "online"
    PHONE = "phone"
    DESK = "desk"


class Visit(Base):
    """A booked home visit: the promise (arrival window) and where it sits in a day plan.

    The citizen is the person visited. A contact person (a daughter, a carer, a social worker) may
    have made the booking on their behalf: messages then go to the contact, naming the citizen.

    Personal fields (citizen and contact name, phone, e-mail, notes, needs, street and house
    number) are wiped on erasure or after the service's retention period; the visit itself stays,
    anonymously, for planning and statistics.
    """

    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("municipality_id", "idempotency_key"),
        Index("ix_visit_day", "municipality_id", "date"),
        Index("ix_visit_expert_day", "expert_day_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_type.id"))
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    manage_token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[VisitStatus] = mapped_column(
        str_enum(VisitStatus, 16), default=VisitStatus.BOOKED
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 10), default=Channel.ONLINE)
    #: The local date of the promised window.
    date: Mapped[dt.date]
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    duration_minutes: Mapped[int]
    lat: Mapped[float]
    lon: Mapped[float]
    postcode: Mapped[str | None] = mapped_column(String(6), default=None)
    house_number: Mapped[int | None] = mapped_column(default=None)
    addition: Mapped[str | None] = mapped_column(String(10), default=None)
    street: Mapped[str | None] = mapped_column(String(200), default=None)
    city: Mapped[str | None] = mapped_column(String(120), default=None)
    citizen_name: Mapped[str | None] = mapped_column(String(200), default=None)
    citizen_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    citizen_email: Mapped[str | None] = mapped_column(String(254), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    #: The person who made the booking for the citizen and receives the messages (all or none).
    contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    contact_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    contact_email: Mapped[str | None] = mapped_column(String(254), default=None)
    contact_relation: Mapped[Relation | None] = mapped_column(str_enum(Relation, 20), default=None)
    #: Needs chosen when booking (``scheduler.booking.needs``): ``[{"code", "detail"}]``.
    needs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Skills the needs require of the expert (beside the service's), fixed when booking.
    extra_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Where the visit sits in a plan; None while it waits for a new window (after a disruption).
    expert_day_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert_day.id", ondelete="SET NULL"), default=None
    )
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), default=None)
    #: Continuity of care: the expert this visit should keep when possible (soft), the expert it
    #: must have (hard), and experts who must not serve it. A follow-up booked from an earlier
    #: visit (``follow_up_of``) prefers that visit's expert.
    preferred_expert_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert.id", ondelete="SET NULL"), default=None
    )
    required_expert_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert.id", ondelete="SET NULL"), default=None
    )
    excluded_expert_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    follow_up_of: Mapped[int | None] = mapped_column(
        ForeignKey("visit.id", ondelete="SET NULL"), default=None
    )
    planned_arrival: Mapped[dt.datetime | None] = mapped_column(default=None)
    planned_start: Mapped[dt.datetime | None] = mapped_column(default=None)
    planned_end: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: The plan no longer keeps the promise (running late, disruption); planners see it at once.
    at_risk: Mapped[bool] = mapped_column(default=False)
    ical_uid: Mapped[str] = mapped_column(String(100))
    ical_sequence: Mapped[int] = mapped_column(default=0)
    #: The citizen asked for messages by post (a letter), whatever else they gave.
    wants_post: Mapped[bool] = mapped_column(default=False)
    #: Language the citizen booked in ("nl" or "en"): messages and invites follow it.
    language: Mapped[str] = mapped_column(String(2), default="nl")
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    #: The manage token, kept only for a day so a retried request with the same Idempotency-Key
    #: gets the same answer (cleared by ``aanhuis purge``); afterwards only its hash remains.
    #: Encrypted (``scheduler.security.KeyRing.tokens``), never in plain text.
    replay_token: Mapped[str | None] = mapped_column(String(200), default=None)
    #: What the idempotency key was used for, so a reused key with other content is refused.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    #: The citizen's choices (``scheduler.audit.policy``): may the expert see the phone numbers
    #: and the notes before the visit; should follow-ups go to the same expert.
    share_phone: Mapped[bool] = mapped_column(default=True)
    share_notes: Mapped[bool] = mapped_column(default=True)
    same_expert_followups: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(20), default=None)
    erased_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class VisitEvent(Base):
    """The status history of a visit (who did what when), for the route app and the KPIs."""

    __tablename__ = "visit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(40))  # "citizen", "planner:12", "expert:3", "system"
    detail: Mapped[str | None] = mapped_column(String(300), default=None)


class Offer(Base):
    """An arrival window offered to a citizen, valid until ``expires_at``.

    Holding an offer reserves nothing: booking it re-checks feasibility under a lock, so an offer
    can never be double-sold; an offer that can no longer be kept answers with fresh alternatives.
    """

    __tablename__ = "offer"
    __table_args__ = (Index("ix_offer_expiry", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_type.id"))
    date: Mapped[dt.date]
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    lat: Mapped[float]
    lon: Mapped[float]
    postcode: Mapped[str | None] = mapped_column(String(6), default=None)
    house_number: Mapped[int | None] = mapped_column(default=None)
    addition: Mapped[str | None] = mapped_column(String(10), default=None)
    street: Mapped[str | None] = mapped_column(String(200), default=None)
    city: Mapped[str | None] = mapped_column(String(120), default=None)
    #: The expert the offer was computed for (a hint; booking may pick another one).
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), default=None)
    extra_travel_seconds: Mapped[int] = mapped_column(default=0)
    #: Set when the offer is for moving an existing visit.
    reschedule_of: Mapped[int | None] = mapped_column(
        ForeignKey("visit.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class VisitSearch(Base):
    """A planner looked for a person's bookings at the desk: who, when, how, how many found.

    The search terms themselves (a name, a phone number) are personal data and are not kept.
    """

    __tablename__ = "visit_search"
    __table_args__ = (Index("ix_visit_search_time", "municipality_id", "searched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(40))  # "planner:12"
    #: reference | address | phone | name
    by: Mapped[str] = mapped_column(String(12))
    searched_at: Mapped[dt.datetime]
    found: Mapped[int] = mapped_column(default=0)


#: Visits the expert has finished: fixed in the past, out of every plan's active stops.
FINISHED_STATUSES = (VisitStatus.COMPLETED, VisitStatus.NOT_HOME)


#: The statuses an expert may set.
EXPERT_STATUSES = (
    VisitStatus.ON_THE_WAY,
    VisitStatus.ARRIVED,
    VisitStatus.COMPLETED,
    VisitStatus.NOT_HOME,
)


class SpentOffer(Base):
    """A sealed (stateless) offer that was booked, kept until it expires so it books only once.

    One row per booking at most, gone after the offer's hold time (``aanhuis purge``).
    """

    __tablename__ = "spent_offer"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
