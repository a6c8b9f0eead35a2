"""Experts, their working patterns, exceptions to them, and closure days."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.db import Base, str_enum


class TravelMode(enum.StrEnum):
    BIKE = "bike"
    CAR = "car"
    WALK = "walk"


class Expert(Base):
    __tablename__ = "expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    travel_mode: Mapped[TravelMode] = mapped_column(
        str_enum(TravelMode, 10), default=TravelMode.BIKE
    )
    start_label: Mapped[str] = mapped_column(String(200), default="Stadskantoor")
    start_lat: Mapped[float]
    start_lon: Mapped[float]
    #: Where the day ends; None means back at the start.
    end_label: Mapped[str | None] = mapped_column(String(200), default=None)
    end_lat: Mapped[float | None] = mapped_column(default=None)
    end_lon: Mapped[float | None] = mapped_column(default=None)
    max_visits_per_day: Mapped[int | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(default=True)
    #: SHA-256 of the secret in the expert's calendar feed URL (rotated by issuing a new one).
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)

    shifts: Mapped[list[WeeklyShift]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", order_by="WeeklyShift.weekday"
    )


class WeeklyShift(Base):
    """A recurring shift on one weekday, with an optional lunch break."""

    __tablename__ = "weekly_shift"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday … 6 = Sunday
    start: Mapped[dt.time] = mapped_column(Time)
    end: Mapped[dt.time] = mapped_column(Time)
    break_earliest: Mapped[dt.time | None] = mapped_column(Time, default=None)
    break_latest: Mapped[dt.time | None] = mapped_column(Time, default=None)
    break_minutes: Mapped[int] = mapped_column(default=0)
    valid_from: Mapped[dt.date | None] = mapped_column(Date, default=None)
    valid_until: Mapped[dt.date | None] = mapped_column(Date, default=None)

    expert: Mapped[Expert] = relationship(back_populates="shifts")


class ExceptionKind(enum.StrEnum):
    EXTRA = "extra"  # an extra shift on a day
    ABSENCE = "absence"  # planned leave, training
    SICKNESS = "sickness"


class ShiftException(Base):
    """A dated exception to the weekly pattern.

    An absence or sickness without times covers the whole day; with times, only that part.
    """

    __tablename__ = "shift_exception"
    __table_args__ = (Index("ix_shift_exception_day", "expert_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[ExceptionKind] = mapped_column(str_enum(ExceptionKind, 10))
    start: Mapped[dt.time | None] = mapped_column(Time, default=None)
    end: Mapped[dt.time | None] = mapped_column(Time, default=None)
    break_earliest: Mapped[dt.time | None] = mapped_column(Time, default=None)
    break_latest: Mapped[dt.time | None] = mapped_column(Time, default=None)
    break_minutes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime]


class Closure(Base):
    """A day the municipality does not visit (public holidays, pre-filled and editable)."""

    __tablename__ = "closure"
    __table_args__ = (UniqueConstraint("municipality_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # "holiday" | "manual"
