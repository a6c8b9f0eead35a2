"""What the KPIs need that the other tables do not keep: offer searches, counted per hour."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class OfferSearchHour(Base):
    """Citizens (or planners) asked for times: how often in an hour, and how soon the first
    window offered was, summed.

    One row per municipality, service and hour, whatever the number of searches, so anonymous
    clients cannot make it grow. No address or other personal data.
    """

    __tablename__ = "offer_search_hour"

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True
    )
    service_type_id: Mapped[int] = mapped_column(
        ForeignKey("service_type.id", ondelete="CASCADE"), primary_key=True
    )
    #: The start of the hour (UTC).
    hour: Mapped[dt.datetime] = mapped_column(primary_key=True)
    searches: Mapped[int] = mapped_column(default=0)
    #: Searches that found a window at all.
    with_window: Mapped[int] = mapped_column(default=0)
    #: Sum over those of the time from the search to the first window offered, in seconds.
    wait_seconds: Mapped[float] = mapped_column(default=0.0)
