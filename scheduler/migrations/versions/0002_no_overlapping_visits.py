"""PostgreSQL: no two active visits of one expert overlap in time (last line of defence).

Bookings already re-check feasibility under a lock on the expert's day; this constraint makes the
database itself refuse a double booking should any code path ever get that wrong. It is deferred to
commit, so a re-plan may move visits past each other inside one transaction.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "('booked', 'planned', 'on_the_way', 'arrived')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        f"""
        ALTER TABLE visit ADD CONSTRAINT ex_visit_no_overlap
        EXCLUDE USING gist (
            expert_id WITH =,
            tstzrange(planned_start, planned_end, '[)') WITH &&
        )
        WHERE (status IN {ACTIVE} AND expert_id IS NOT NULL AND planned_start IS NOT NULL)
        DEFERRABLE INITIALLY DEFERRED
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE visit DROP CONSTRAINT IF EXISTS ex_visit_no_overlap")
