"""The waiting list: a booked visit whose citizen asked to hear of earlier times.

One row per visit. ``active`` while the citizen waits; opting out, cancelling or erasing ends
it. ``moved_at`` records a success: the visit was moved to an earlier window after a notice (the
planners' KPI). No personal data: the row points at the visit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class WaitlistEntry(Base):
    __tablename__ = "waitlist_entry"
    __table_args__ = (Index("ix_waitlist_due", "active", "check_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), unique=True)
    service_type_id: Mapped[int] = mapped_column(ForeignKey("service_type.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(default=True)
    joined_at: Mapped[dt.datetime]
    #: The sweep looks at the entry from this moment (a cancellation brings it forward to now).
    check_after: Mapped[dt.datetime]
    #: Notices sent so far, over every opt-in of the visit (at most three in total).
    notices: Mapped[int] = mapped_column(default=0)
    last_notice_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: The visit was moved to an earlier window after a notice: the waiting list worked.
    moved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
