"""The outbox: messages are stored in the transaction that causes them and sent after commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visit.id", ondelete="SET NULL"), default=None, index=True
    )
    #: confirmation | reschedule | cancellation | reminder | disruption
    kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text, default=None)
    ics_method: Mapped[str | None] = mapped_column(String(10), default=None)  # REQUEST | CANCEL
    created_at: Mapped[dt.datetime]
    send_after: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
