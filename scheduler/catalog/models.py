"""Service types a municipality offers at home (data, configurable per municipality)."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class ServiceType(Base):
    __tablename__ = "service_type"
    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_nl: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    #: What the citizen should have ready, shown in the confirmation and the invite.
    preparation_nl: Mapped[str] = mapped_column(Text, default="")
    preparation_en: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int]
    skill: Mapped[str] = mapped_column(String(64))
    window_minutes: Mapped[int] = mapped_column(default=120)
    horizon_days: Mapped[int] = mapped_column(default=28)
    lead_time_hours: Mapped[int] = mapped_column(default=24)
    retention_days: Mapped[int] = mapped_column(default=90)
    active: Mapped[bool] = mapped_column(default=True)
    #: Skills a chosen need requires of the expert, by need code: ``{"interpreter":
    #: "taal-{detail}", "sign-language": "gebarentaal"}`` (``{detail}`` is the need's language).
    need_skills: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
