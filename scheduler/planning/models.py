"""Day plans: each expert's ordered stops per date, day versions, and optimisation proposals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class PlanningDay(Base):
    """One row per municipality and date; ``version`` goes up with every change to that day.

    Bookings, cancellations and re-plans bump it in their transaction; an optimisation proposal
    remembers the version it was made from and is refused when the day moved on since.
    """

    __tablename__ = "planning_day"
    __table_args__ = (UniqueConstraint("municipality_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=0)
    #: ``draft`` until the freeze (:mod:`scheduler.planning.lifecycle`), then ``frozen``: after it,
    #: only disruptions change the plan, with the fewest changes.
    state: Mapped[str] = mapped_column(String(8), default="draft")
    frozen_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ExpertDay(Base):
    """An expert's plan for one date: the order of visits and breaks.

    This row is also the lock for that expert's day: a booking takes ``SELECT … FOR UPDATE`` on it
    before re-checking feasibility, so two bookings can never both take the last room.
    ``stops`` is a list of ``{"type": "visit" | "break", "id": int}``; every active visit whose
    ``expert_day_id`` points here appears in it exactly once.
    """

    __tablename__ = "expert_day"
    __table_args__ = (UniqueConstraint("expert_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    stops: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=0)
    #: Planned break starts, by break id (UTC ISO strings), for the route app and the timeline.
    break_times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Travel seconds of the planned route, kept for the KPIs (set whenever the route is written).
    travel_seconds: Mapped[int] = mapped_column(default=0)
    #: When a re-plan last changed this route after the expert had it (the route app says so).
    changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime]


class Proposal(Base):
    """An optimised plan for a day, with before/after figures, waiting to be applied."""

    __tablename__ = "proposal"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    #: The planning day's version the proposal was computed from.
    base_version: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | applied | stale
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(40))
    applied_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class OptimisationJob(Base):
    """A day optimisation queued for a worker (``aanhuis worker``), and what became of it.

    ``status`` is ``queued``, ``running``, ``done`` (``proposal_id`` set) or ``failed``
    (``error`` holds the error class, never personal data). A worker claims a job by moving
    ``run_after`` a lease ahead; a job whose worker died is claimed again once the lease is over,
    up to ``MAX_ATTEMPTS`` (in :mod:`scheduler.planning.jobs`).
    """

    __tablename__ = "optimisation_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    time_limit: Mapped[float]
    #: ``keep_experts``, ``balanced`` or ``free`` (:data:`scheduler.planning.service.MODES`).
    mode: Mapped[str] = mapped_column(String(12), default="balanced")
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[dt.datetime]
    proposal_id: Mapped[str | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL"), default=None
    )
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
