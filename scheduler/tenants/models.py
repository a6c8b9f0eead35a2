"""Municipalities: the tenants. Everything else belongs to exactly one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    center_lat: Mapped[float]
    center_lon: Mapped[float]
    radius_km: Mapped[float]
    #: The organiser of calendar invites and the sender shown to citizens.
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    website: Mapped[str | None] = mapped_column(String(300), default=None)
    #: Which published NL Design System token set the pages use (e.g. "utrecht", "rotterdam").
    theme: Mapped[str] = mapped_column(String(40), default="voorbeeld")
    #: Goes up with every change to experts, shifts, exceptions, closures or services, so caches
    #: of derived data (offer indexes) can be validated against the database cheaply.
    capacity_version: Mapped[int] = mapped_column(default=0)
    #: A day's plan freezes at this local time, ``freeze_days_before`` working days before it
    #: (default 16:00 the working day before); see :mod:`scheduler.day.freeze`.
    freeze_time: Mapped[dt.time] = mapped_column(default=dt.time(16, 0))
    freeze_days_before: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
