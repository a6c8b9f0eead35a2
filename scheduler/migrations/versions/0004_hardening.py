"""Hardening: server-side web sessions; the replay token is stored encrypted (longer); stateless
offers leave a digest when booked (spent_offer); offer searches are counted per hour
(offer_search_hour replaces one row per search).

Revision ID: 0004
Revises: 0007
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scheduler.db

revision: str = "0004"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _searches_per_hour() -> None:
    """Fold the rows of offer_search into hourly counts (the KPIs read sums only)."""
    bind = op.get_bind()
    old = sa.table(
        "offer_search",
        sa.column("municipality_id", sa.Integer),
        sa.column("service_type_id", sa.Integer),
        sa.column("searched_at", scheduler.db.UTCDateTime(timezone=True)),
        sa.column("first_window_start", scheduler.db.UTCDateTime(timezone=True)),
    )
    new = sa.table(
        "offer_search_hour",
        sa.column("municipality_id", sa.Integer),
        sa.column("service_type_id", sa.Integer),
        sa.column("hour", scheduler.db.UTCDateTime(timezone=True)),
        sa.column("searches", sa.Integer),
        sa.column("with_window", sa.Integer),
        sa.column("wait_seconds", sa.Double),
    )
    sums: dict[tuple[int, int, dt.datetime], list[float]] = {}
    for m, s, at, first in bind.execute(sa.select(old)):
        hour = at.replace(minute=0, second=0, microsecond=0)
        row = sums.setdefault((m, s, hour), [0, 0, 0.0])
        row[0] += 1
        if first is not None:
            row[1] += 1
            row[2] += (first - at).total_seconds()
    if sums:
        op.bulk_insert(
            new,
            [
                {
                    "municipality_id": m,
                    "service_type_id": s,
                    "hour": hour,
                    "searches": int(v[0]),
                    "with_window": int(v[1]),
                    "wait_seconds": v[2],
                }
                for (m, s, hour), v in sums.items()
            ],
        )


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", scheduler.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_web_session_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index("ix_web_session_user", ["user_id"], unique=False)
    # Replay tokens kept in plain text until now are dropped: a retry within the day still finds
    # its booking, only without the token (as after a day).
    op.execute("UPDATE visit SET replay_token = NULL")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.alter_column(
            "replay_token",
            existing_type=sa.String(length=64),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
    op.create_table(
        "spent_offer",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_spent_offer")),
    )
    with op.batch_alter_table("spent_offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spent_offer_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "offer_search_hour",
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("service_type_id", sa.Integer(), nullable=False),
        sa.Column("hour", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("with_window", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_offer_search_hour_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_type_id"],
            ["service_type.id"],
            name=op.f("fk_offer_search_hour_service_type_id_service_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "municipality_id", "service_type_id", "hour", name=op.f("pk_offer_search_hour")
        ),
    )
    _searches_per_hour()
    with op.batch_alter_table("offer_search", schema=None) as batch_op:
        batch_op.drop_index("ix_offer_search_time")
    op.drop_table("offer_search")


def downgrade() -> None:
    op.create_table(
        "offer_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("service_type_id", sa.Integer(), nullable=False),
        sa.Column("searched_at", scheduler.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_window_start", scheduler.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_offer_search_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_type_id"],
            ["service_type.id"],
            name=op.f("fk_offer_search_service_type_id_service_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_search")),
    )
    with op.batch_alter_table("offer_search", schema=None) as batch_op:
        batch_op.create_index(
            "ix_offer_search_time", ["municipality_id", "searched_at"], unique=False
        )
    op.drop_table("offer_search_hour")
    with op.batch_alter_table("spent_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spent_offer_expires_at"))
    op.drop_table("spent_offer")
    op.execute("UPDATE visit SET replay_token = NULL")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.alter_column(
            "replay_token",
            existing_type=sa.String(length=200),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index("ix_web_session_user")
    op.drop_table("web_session")
