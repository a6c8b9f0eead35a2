"""API shapes of municipalities."""

from __future__ import annotations

from pydantic import BaseModel, Field

from scheduler.tenants.models import Municipality


class Point(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ServiceArea(BaseModel):
    center: Point
    radius_km: float


class MunicipalityRead(BaseModel):
    slug: str
    name: str
    timezone: str
    service_area: ServiceArea
    email: str
    phone: str | None
    website: str | None
    theme: str

    @classmethod
    def of(cls, m: Municipality) -> MunicipalityRead:
        return cls(
            slug=m.slug,
            name=m.name,
            timezone=m.timezone,
            service_area=ServiceArea(
                center=Point(lat=m.center_lat, lon=m.center_lon), radius_km=m.radius_km
            ),
            email=m.email,
            phone=m.phone,
            website=m.website,
            theme=m.theme,
        )
