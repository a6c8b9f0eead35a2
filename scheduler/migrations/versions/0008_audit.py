"""The citizen in control, and staff sign-in with OpenID Connect: the access log (audit_record,
audit_checkpoint), the processing log (processing_record), the citizen's choices on the visit
(what the expert sees, follow-ups, an excluded expert), and users' OpenID Connect identity.

Revision ID: 0008
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.db

revision: str = "0008"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = scheduler.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_record",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("at", Instant, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("fields", sa.String(200), nullable=False),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(10), nullable=False),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("seq", BigId, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_record_reference", "audit_record", ["reference", "at"])
    op.create_index("ix_audit_record_seq", "audit_record", ["seq"], unique=True)
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", Instant, nullable=False),
        sa.Column("seq", BigId, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("purged", BigId, nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
    )
    op.create_table(
        "processing_record",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False, unique=True),
        sa.Column("parent_span_id", sa.String(16), nullable=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("start_at", Instant, nullable=False),
        sa.Column("end_at", Instant, nullable=False),
        sa.Column("processing_activity_id", sa.String(300), nullable=False),
        sa.Column("data_subject_id", sa.String(64), nullable=False),
        sa.Column("data_subject_id_type", sa.String(40), nullable=False),
    )
    op.create_index("ix_processing_record_start", "processing_record", ["start_at"])
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("oidc_issuer", sa.String(300), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        batch.add_column(sa.Column("token_expires_at", Instant, nullable=True))
        batch.create_unique_constraint(
            "uq_app_user_oidc_issuer_oidc_subject", ["oidc_issuer", "oidc_subject"]
        )
    with op.batch_alter_table("visit") as batch:
        batch.add_column(
            sa.Column("share_phone", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("share_notes", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column(
                "same_expert_followups", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint("uq_app_user_oidc_issuer_oidc_subject", type_="unique")
        batch.drop_column("token_expires_at")
        batch.drop_column("oidc_subject")
        batch.drop_column("oidc_issuer")
    with op.batch_alter_table("visit") as batch:
        for column in ("same_expert_followups", "share_notes", "share_phone"):
            batch.drop_column(column)
    op.drop_table("processing_record")
    op.drop_table("audit_checkpoint")
    op.drop_index("ix_audit_record_seq", "audit_record")
    op.drop_index("ix_audit_record_reference", "audit_record")
    op.drop_table("audit_record")
