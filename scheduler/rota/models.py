"""Rota tables: shift types, contracts with preferences, minimum cover, and rota proposals.

An applied rota is not a table of its own: each of its shifts is written as a weekly shift valid
on its one date (``valid_from`` = ``valid_until``), with the weekly pattern cut around the
rota's horizon, so everything that reads working time (offers, day plans, the capacity overview)
reads it unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class ShiftTypeRow(Base):
    """A shift the municipality rosters: day, evening, Saturday morning, … with its break."""

    __tablename__ = "rota_shift_type"
    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    start: Mapped[dt.time] = mapped_column(Time)
    end: Mapped[dt.time] = mapped_column(Time)
    break_earliest: Mapped[dt.time | None] = mapped_column(Time, default=None)
    break_latest: Mapped[dt.time | None] = mapped_column(Time, default=None)
    break_minutes: Mapped[int] = mapped_column(default=0)
    #: Weekdays it may be rostered on (0 = Monday … 5 = Saturday).
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)


class ExpertContract(Base):
    """An expert's contract (hours, tolerance, unsocial limits) and rota preferences."""

    __tablename__ = "expert_contract"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True
    )
    hours_per_week: Mapped[float] = mapped_column(default=36.0)
    tolerance_hours: Mapped[float] = mapped_column(default=4.0)
    max_evenings_per_week: Mapped[int] = mapped_column(default=2)
    max_saturdays_per_month: Mapped[int] = mapped_column(default=2)
    #: "wants" | "cannot" | "none"
    evenings: Mapped[str] = mapped_column(String(10), default="none")
    day_off: Mapped[int | None] = mapped_column(default=None)


class MinimumCoverRow(Base):
    """Hard: at least ``experts`` experts with ``skill`` in ``part`` of every open day."""

    __tablename__ = "rota_minimum"
    __table_args__ = (UniqueConstraint("municipality_id", "skill", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(10))
    experts: Mapped[int]


class RotaProposal(Base):
    """A proposed rota with its figures; ``open`` until applied, ``stale`` once capacity moved.

    With ``Prefer: respond-async`` the row is the job too: ``queued`` until a worker claims it
    (``running``), then ``open`` with its result, or ``failed``.
    """

    __tablename__ = "rota_proposal"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[dt.date] = mapped_column(Date)
    weeks: Mapped[int]
    #: The municipality's capacity version the proposal was made against.
    base_version: Mapped[int]
    #: queued | running | failed (asynchronous ones, for ``aanhuis worker``) | open | applied |
    #: stale
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    feasible: Mapped[bool]
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(40))
    applied_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: Asynchronous proposals: the solver's time limit, claims so far, the lease or due time,
    #: and the failure (an error class name, no personal data).
    time_limit: Mapped[float] = mapped_column(default=20.0)
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[dt.datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
