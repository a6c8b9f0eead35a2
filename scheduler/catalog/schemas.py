"""API shapes of service types."""

from __future__ import annotations

from pydantic import BaseModel

from scheduler.catalog.models import ServiceType


class ServiceRead(BaseModel):
    code: str
    name: str
    description: str
    preparation: str
    duration_minutes: int
    window_minutes: int
    skill: str
    horizon_days: int
    lead_time_hours: int
    retention_days: int

    @classmethod
    def of(cls, s: ServiceType, *, dutch: bool = True) -> ServiceRead:
        return cls(
            code=s.code,
            name=s.name_nl if dutch else s.name_en,
            description=s.description_nl if dutch else s.description_en,
            preparation=s.preparation_nl if dutch else s.preparation_en,
            duration_minutes=s.duration_minutes,
            window_minutes=s.window_minutes,
            skill=s.skill,
            horizon_days=s.horizon_days,
            lead_time_hours=s.lead_time_hours,
            retention_days=s.retention_days,
        )
