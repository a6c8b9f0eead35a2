"""Carers and needs: contact person and needs on visits, need skills per service type, the
waiting list, and the record of desk searches for people.

Revision ID: 0007
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.db

revision: str = "0007"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RELATION = sa.Enum(
    "partner",
    "child",
    "carer",
    "professional",
    "other",
    name="relation",
    native_enum=False,
    length=20,
)


def upgrade() -> None:
    op.create_table(
        "visit_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=12), nullable=False),
        sa.Column("searched_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_visit_search_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_search")),
    )
    op.create_index("ix_visit_search_time", "visit_search", ["municipality_id", "searched_at"])
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("service_type_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("check_after", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("last_notice_at", scheduler.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("moved_at", scheduler.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_waitlist_entry_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_type_id"],
            ["service_type.id"],
            name=op.f("fk_waitlist_entry_service_type_id_service_type"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.id"],
            name=op.f("fk_waitlist_entry_visit_id_visit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_waitlist_entry_visit_id")),
    )
    op.create_index("ix_waitlist_due", "waitlist_entry", ["active", "check_after"])
    # Existing rows get empty JSON; the models fill new rows themselves.
    with op.batch_alter_table("service_type") as batch:
        batch.add_column(
            sa.Column("need_skills", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("visit") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("contact_relation", RELATION, nullable=True))
        batch.add_column(
            sa.Column("needs", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(
            sa.Column("extra_skills", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("visit") as batch:
        for column in (
            "extra_skills",
            "needs",
            "contact_relation",
            "contact_email",
            "contact_phone",
            "contact_name",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("service_type") as batch:
        batch.drop_column("need_skills")
    op.drop_index("ix_waitlist_due", table_name="waitlist_entry")
    op.drop_table("waitlist_entry")
    op.drop_index("ix_visit_search_time", table_name="visit_search")
    op.drop_table("visit_search")
