"""Messages to experts: the outbox names the expert a message is for, and a key that makes
queueing it idempotent (one "route changed" message per expert per re-plan).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("expert_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dedupe_key", sa.String(length=80), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_message_expert_id_expert"),
            "expert",
            ["expert_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_outbox_message_expert_id", ["expert_id"])
        batch.create_index("ix_outbox_message_dedupe_key", ["dedupe_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_dedupe_key")
        batch.drop_index("ix_outbox_message_expert_id")
        batch.drop_constraint(op.f("fk_outbox_message_expert_id_expert"), type_="foreignkey")
        batch.drop_column("dedupe_key")
        batch.drop_column("expert_id")
