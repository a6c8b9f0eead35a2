"""Geocoding: postcode + house number → coordinates, behind a small Protocol.

The default is offline: the municipality's own address register extract. When configured, a geopy
geocoder (Nominatim) is asked for addresses the register does not know.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from scheduler.addresses import service as addresses
from scheduler.errors import OutsideServiceArea
from scheduler.tenants.models import Municipality


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    postcode: str | None = None
    house_number: int | None = None
    addition: str | None = None
    street: str | None = None
    city: str | None = None


class Geocoder(Protocol):
    def locate(
        self,
        session: Session,
        municipality: Municipality,
        postcode: str,
        house_number: int,
        addition: str | None = None,
    ) -> Place | None:
        """The place at this address, or None when unknown."""
        ...


class RegisterGeocoder:
    """Looks addresses up in the municipality's imported address register extract."""

    def locate(
        self,
        session: Session,
        municipality: Municipality,
        postcode: str,
        house_number: int,
        addition: str | None = None,
    ) -> Place | None:
        a = addresses.lookup(
            session,
            municipality=municipality,
            postcode=postcode,
            house_number=house_number,
            addition=addition,
        )
        if a is None:
            return None
        return Place(a.lat, a.lon, a.postcode, a.house_number, a.addition or None, a.street, a.city)


class GeopyGeocoder:
    """The register first; then a geopy geocoder (e.g. Nominatim) for addresses it lacks."""

    def __init__(self, geocoder: object, register: Geocoder | None = None) -> None:
        self._geocoder = geocoder
        self._register = register or RegisterGeocoder()

    @classmethod
    def nominatim(cls, *, user_agent: str, domain: str | None = None) -> GeopyGeocoder:
        from geopy.geocoders import Nominatim

        kwargs: dict[str, object] = {"user_agent": user_agent, "timeout": 5}
        if domain:
            scheme, _, host = domain.partition("://")
            kwargs.update(domain=host or scheme, scheme=scheme if host else "https")
        return cls(Nominatim(**kwargs))

    def locate(
        self,
        session: Session,
        municipality: Municipality,
        postcode: str,
        house_number: int,
        addition: str | None = None,
    ) -> Place | None:
        found = self._register.locate(session, municipality, postcode, house_number, addition)
        if found is not None:
            return found
        pc = addresses.normalise_postcode(postcode)
        query = {"postalcode": pc, "street": f"{house_number}{addition or ''}", "country": "nl"}
        result = self._geocoder.geocode(query, addressdetails=True)  # type: ignore[attr-defined]
        if result is None:
            return None
        details = (result.raw or {}).get("address", {})
        return Place(
            lat=float(result.latitude),
            lon=float(result.longitude),
            postcode=pc,
            house_number=house_number,
            addition=addresses.normalise_addition(addition) or None,
            street=details.get("road"),
            city=details.get("city") or details.get("town") or details.get("village"),
        )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def check_service_area(municipality: Municipality, lat: float, lon: float) -> None:
    """Raise :class:`OutsideServiceArea` when the point lies outside the municipality's area."""
    d = distance_km(municipality.center_lat, municipality.center_lon, lat, lon)
    if d > municipality.radius_km:
        raise OutsideServiceArea(
            f"This address is outside the area {municipality.name} visits.",
            nl=f"Dit adres ligt buiten het gebied waar {municipality.name} op bezoek komt.",
        )
