"""Day plans planners can trust: continuity of care on visits (preferred, required and excluded
experts; the visit a follow-up was booked from), the plan lifecycle (a day's plan is draft, then
frozen at the municipality's freeze time; when a re-plan changed an expert's route) and the mode
of a queued optimisation.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit") as batch:
        batch.add_column(sa.Column("preferred_expert_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("required_expert_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "excluded_expert_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch.add_column(sa.Column("follow_up_of", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_visit_preferred_expert_id_expert"),
            "expert",
            ["preferred_expert_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            op.f("fk_visit_required_expert_id_expert"),
            "expert",
            ["required_expert_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            op.f("fk_visit_follow_up_of_visit"),
            "visit",
            ["follow_up_of"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("visit") as batch:
        batch.alter_column("excluded_expert_ids", server_default=None)
    with op.batch_alter_table("municipality") as batch:
        batch.add_column(
            sa.Column("freeze_time", sa.Time(), nullable=False, server_default="16:00:00")
        )
        batch.add_column(
            sa.Column("freeze_days_before", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("municipality") as batch:
        batch.alter_column("freeze_time", server_default=None)
        batch.alter_column("freeze_days_before", server_default=None)
    with op.batch_alter_table("planning_day") as batch:
        batch.add_column(
            sa.Column("state", sa.String(length=8), nullable=False, server_default="draft")
        )
        batch.add_column(
            sa.Column("frozen_at", scheduler.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("planning_day") as batch:
        batch.alter_column("state", server_default=None)
    with op.batch_alter_table("expert_day") as batch:
        batch.add_column(
            sa.Column("changed_at", scheduler.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("optimisation_job") as batch:
        batch.add_column(
            sa.Column("mode", sa.String(length=12), nullable=False, server_default="balanced")
        )
    with op.batch_alter_table("optimisation_job") as batch:
        batch.alter_column("mode", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("expert_day") as batch:
        batch.drop_column("changed_at")
    with op.batch_alter_table("optimisation_job") as batch:
        batch.drop_column("mode")
    with op.batch_alter_table("planning_day") as batch:
        batch.drop_column("frozen_at")
        batch.drop_column("state")
    with op.batch_alter_table("municipality") as batch:
        batch.drop_column("freeze_days_before")
        batch.drop_column("freeze_time")
    with op.batch_alter_table("visit") as batch:
        batch.drop_constraint(op.f("fk_visit_follow_up_of_visit"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_visit_required_expert_id_expert"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_visit_preferred_expert_id_expert"), type_="foreignkey")
        batch.drop_column("follow_up_of")
        batch.drop_column("excluded_expert_ids")
        batch.drop_column("required_expert_id")
        batch.drop_column("preferred_expert_id")
