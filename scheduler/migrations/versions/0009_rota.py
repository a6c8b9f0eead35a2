"""Rotas: shift types, expert contracts with preferences, minimum cover and rota proposals.

An applied rota is written as weekly shifts valid on one date each (no table of its own).

Revision ID: 0009
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.db

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rota_minimum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=10), nullable=False),
        sa.Column("experts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_rota_minimum_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_minimum")),
        sa.UniqueConstraint(
            "municipality_id",
            "skill",
            "part",
            name=op.f("uq_rota_minimum_municipality_id_skill_part"),
        ),
    )
    op.create_table(
        "rota_proposal",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("feasible", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("applied_at", scheduler.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("time_limit", sa.Double(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", scheduler.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_rota_proposal_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_proposal")),
    )
    with op.batch_alter_table("rota_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rota_proposal_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rota_proposal_status"), ["status"], unique=False)

    op.create_table(
        "rota_shift_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("break_earliest", sa.Time(), nullable=True),
        sa.Column("break_latest", sa.Time(), nullable=True),
        sa.Column("break_minutes", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_rota_shift_type_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_shift_type")),
        sa.UniqueConstraint(
            "municipality_id", "code", name=op.f("uq_rota_shift_type_municipality_id_code")
        ),
    )
    with op.batch_alter_table("rota_shift_type", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rota_shift_type_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "expert_contract",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("hours_per_week", sa.Double(), nullable=False),
        sa.Column("tolerance_hours", sa.Double(), nullable=False),
        sa.Column("max_evenings_per_week", sa.Integer(), nullable=False),
        sa.Column("max_saturdays_per_month", sa.Integer(), nullable=False),
        sa.Column("evenings", sa.String(length=10), nullable=False),
        sa.Column("day_off", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            ["expert.id"],
            name=op.f("fk_expert_contract_expert_id_expert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("expert_id", name=op.f("pk_expert_contract")),
    )


def downgrade() -> None:
    op.drop_table("expert_contract")
    with op.batch_alter_table("rota_shift_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_shift_type_municipality_id"))

    op.drop_table("rota_shift_type")
    with op.batch_alter_table("rota_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rota_proposal_status"))
        batch_op.drop_index(batch_op.f("ix_rota_proposal_municipality_id"))

    op.drop_table("rota_proposal")
    op.drop_table("rota_minimum")
