"""API shapes of service types."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scheduler.booking.needs import check_need_skills
from scheduler.catalog.models import ServiceType

#: Service and skill codes: lower case letters, digits and dashes (they appear in URLs).
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


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


# --- Planner management of service types -----------------------------------------------------


class _ServiceFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_nl: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    description_nl: str | None = Field(default=None, max_length=4000)
    description_en: str | None = Field(default=None, max_length=4000)
    preparation_nl: str | None = Field(default=None, max_length=4000)
    preparation_en: str | None = Field(default=None, max_length=4000)
    duration_minutes: int | None = Field(default=None, ge=5, le=480)
    skill: str | None = Field(default=None, pattern=CODE_PATTERN)
    window_minutes: int | None = Field(default=None, ge=15, le=720)
    horizon_days: int | None = Field(default=None, ge=1, le=365)
    lead_time_hours: int | None = Field(default=None, ge=0, le=24 * 60)
    retention_days: int | None = Field(default=None, ge=1, le=3650)
    active: bool | None = None
    need_skills: dict[str, str] | None = Field(
        default=None,
        max_length=20,
        description="Skills a need chosen at booking requires of the expert, by need code "
        '(see `GET …/needs`): `{"interpreter": "taal-{detail}"}` requires `taal-ar` for an '
        "interpreter for Arabic. Applies to bookings made from then on.",
        examples=[{"interpreter": "taal-{detail}", "sign-language": "gebarentaal"}],
    )

    @field_validator("need_skills")
    @classmethod
    def _need_skills(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        return check_need_skills(v) if v is not None else None


class ServiceTypeUpdate(_ServiceFields):
    """Fields to change; omitted fields stay.

    A new duration also applies to upcoming booked visits of the service (they take that long
    now), and a new skill to who may serve them: either can break promises already made.
    """

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ServiceTypeCreate(_ServiceFields):
    """A new service type; the code is its permanent name in URLs and data."""

    code: str = Field(pattern=CODE_PATTERN)
    name_nl: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    duration_minutes: int = Field(ge=5, le=480)
    skill: str = Field(pattern=CODE_PATTERN)
    window_minutes: int = Field(default=120, ge=15, le=720)
    horizon_days: int = Field(default=28, ge=1, le=365)
    lead_time_hours: int = Field(default=24, ge=0, le=24 * 60)
    retention_days: int = Field(default=90, ge=1, le=3650)
    active: bool = True
    need_skills: dict[str, str] | None = Field(default=None, max_length=20)


class ServiceTypeRead(BaseModel):
    """A service type as planners manage it: both languages, and whether it is offered."""

    code: str
    name_nl: str
    name_en: str
    description_nl: str
    description_en: str
    preparation_nl: str
    preparation_en: str
    duration_minutes: int
    skill: str
    window_minutes: int
    horizon_days: int
    lead_time_hours: int
    retention_days: int
    active: bool
    need_skills: dict[str, str]

    @classmethod
    def of(cls, s: ServiceType) -> ServiceTypeRead:
        return cls(
            code=s.code,
            name_nl=s.name_nl,
            name_en=s.name_en,
            description_nl=s.description_nl,
            description_en=s.description_en,
            preparation_nl=s.preparation_nl,
            preparation_en=s.preparation_en,
            duration_minutes=s.duration_minutes,
            skill=s.skill,
            window_minutes=s.window_minutes,
            horizon_days=s.horizon_days,
            lead_time_hours=s.lead_time_hours,
            retention_days=s.retention_days,
            active=s.active,
            need_skills=dict(s.need_skills or {}),
        )
