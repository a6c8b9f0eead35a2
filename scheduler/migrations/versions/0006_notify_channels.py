"""Notify channels: the outbox keeps each message's channel, Notify id and delivery status;
short manage links (stored hashed); visits remember a wish for letters.

Revision ID: 0006
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.db

revision: str = "0006"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=10), nullable=False, server_default="email")
        )
        batch.add_column(sa.Column("notify_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("delivery_status", sa.String(length=30), nullable=True))
        batch.add_column(
            sa.Column("delivery_updated_at", scheduler.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("handled_at", scheduler.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_outbox_message_notify_id", ["notify_id"])
    # Messages without an address were phone tasks: that is the "call" channel now.
    op.execute("UPDATE outbox_message SET channel = 'call' WHERE recipient IS NULL")
    with op.batch_alter_table("outbox_message") as batch:
        batch.alter_column("channel", server_default=None)
    with op.batch_alter_table("visit") as batch:
        batch.add_column(
            sa.Column("wants_post", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("visit") as batch:
        batch.alter_column("wants_post", server_default=None)
    op.create_table(
        "short_link",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("sealed_token", sa.String(length=300), nullable=False),
        sa.Column("created_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    op.create_index("ix_short_link_visit_id", "short_link", ["visit_id"])


def downgrade() -> None:
    op.drop_index("ix_short_link_visit_id", table_name="short_link")
    op.drop_table("short_link")
    with op.batch_alter_table("visit") as batch:
        batch.drop_column("wants_post")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_notify_id")
        batch.drop_column("handled_at")
        batch.drop_column("delivery_updated_at")
        batch.drop_column("delivery_status")
        batch.drop_column("notify_id")
        batch.drop_column("channel")
