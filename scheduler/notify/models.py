"""The outbox: messages are stored in the transaction that causes them and sent after commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_pending", "sent_at", "send_after"),
        Index("ix_outbox_message_dedupe_key", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visit.id", ondelete="SET NULL"), default=None, index=True
    )
    #: The expert a message is for (None for messages to citizens, which name their visit).
    expert_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert.id", ondelete="CASCADE"), default=None, index=True
    )
    #: confirmation | reschedule | cancellation | reminder | disruption | waiting_list_offer |
    #: manage_link | on_the_way | late; to experts: route_changed
    kind: Mapped[str] = mapped_column(String(20))
    #: How it travels: email | sms | letter | call (a planner phones; nothing is sent); to
    #: experts: app (the route app shows it; see :mod:`scheduler.notify.experts`).
    channel: Mapped[str] = mapped_column(String(10), default="email")
    #: The e-mail address (email) or E.164 mobile number (sms); None for a letter or a call.
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
    #: The id Notify gave the notification (delivery callbacks name it).
    notify_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    #: Notify's delivery status: created | sending | delivered | permanent-failure |
    #: temporary-failure | technical-failure (None: not sent through Notify, or no news yet).
    delivery_status: Mapped[str | None] = mapped_column(String(30), default=None)
    delivery_updated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: A planner phoned the citizen about this message (it leaves the call list).
    handled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: Queueing the same message twice is refused by the database (e.g. one "route changed" per
    #: expert and re-plan: ``route_changed:{expert}:{date}:{day version}``).
    dedupe_key: Mapped[str | None] = mapped_column(String(80), default=None)


class ShortLink(Base):
    """A short manage link ``/m/{code}`` that fits in an SMS and can be read out over the phone.

    Only a keyed hash of the code is stored (HMAC with the ``short-link`` key), so a copy of the
    database opens no visit. The manage token it leads to is kept sealed (AES-GCM, bound to the
    code's hash); the row expires with the booking's retention period.
    """

    __tablename__ = "short_link"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    sealed_token: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
