"""Helpers shared by the booking routers (citizen and desk); not a router itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from api.runtime import keys_of
from api.settings import Settings
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking import offers
from scheduler.booking.schemas import OfferRead
from scheduler.errors import OfferExpired, SlotTaken
from scheduler.tenants.models import Municipality


def attach_alternatives(
    exc: SlotTaken | OfferExpired,
    session: Session,
    municipality: Municipality,
    offer_id: str,
    settings: Settings,
    travel: TravelTimeProvider,
    *,
    needs: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Roll the failed attempt back and attach fresh offers for the same service and address,
    so the caller can choose again straight from the 409/410 problem document."""
    session.rollback()
    fresh = offers.alternatives_for(
        session,
        municipality=municipality,
        offer_id=offer_id,
        travel=travel,
        hold_minutes=settings.offer_hold_minutes,
        needs=needs,
        keys=keys_of(settings),
    )
    tz = clock.zone(municipality.timezone)
    exc.extra["alternatives"] = [OfferRead.of(o, tz).model_dump(mode="json") for o in fresh]
