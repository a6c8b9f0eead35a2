"""What the KPIs need that the other tables do not keep: one row per offer search."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class OfferSearch(Base):
    """A citizen (or planner) asked for times: when, for what, and how soon the first one was.

    No address or other personal data: only the service and the dates, so it can be kept for as
    long as statistics need.
    """

    __tablename__ = "offer_search"
    __table_args__ = (Index("ix_offer_search_time", "municipality_id", "searched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_type.id", ondelete="CASCADE"))
    searched_at: Mapped[dt.datetime]
    #: Start of the earliest window offered; None when nothing could be offered.
    first_window_start: Mapped[dt.datetime | None] = mapped_column(default=None)
    offered: Mapped[int] = mapped_column(default=0)
