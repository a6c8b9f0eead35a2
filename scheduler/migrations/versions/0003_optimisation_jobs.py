"""Optimisation jobs: day optimisations queued for a worker (``aanhuis worker``).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "optimisation_job",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("time_limit", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposal_id", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("finished_at", scheduler.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_optimisation_job_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_optimisation_job_proposal_id_proposal"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimisation_job")),
    )
    with op.batch_alter_table("optimisation_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_optimisation_job_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("optimisation_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_optimisation_job_status"))

    op.drop_table("optimisation_job")
