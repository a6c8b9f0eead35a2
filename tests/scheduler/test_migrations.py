"""Migrations: they build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scheduler.demo import DemoSize, create_municipality
from scheduler.migrate import downgrade, upgrade
from scheduler.models import Base, Expert, ServiceType, Visit


def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    """Alembic finds nothing to autogenerate: no model change is missing a migration."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_the_comparison_would_notice_a_missing_migration(engine: sa.Engine) -> None:
    """A model column that no migration created shows up in the diff (the check above can fail)."""
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["visit"].append_column(sa.Column("shoe_size", sa.Integer()))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert any(d[0] == "add_column" and d[3].name == "shoe_size" for d in diff)


def test_downgrade_and_upgrade_again(db_url: str, engine: sa.Engine) -> None:
    """Every migration can be undone and redone (the database ends up at head with all tables)."""
    downgrade(db_url, "base")
    with engine.connect() as conn:
        left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    assert left == set()
    upgrade(db_url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_postgresql_refuses_overlapping_visits(backend: str, engine: sa.Engine) -> None:
    """The exclusion constraint exists on PostgreSQL (the last line of defence), not on SQLite."""
    with engine.connect() as conn:
        if backend == "postgresql":
            found = conn.exec_driver_sql(
                "SELECT conname FROM pg_constraint WHERE conname = 'ex_visit_no_overlap'"
            ).all()
            assert found
        else:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'visit'"
            ).scalar_one()
            assert "EXCLUDE" not in sql


def test_the_database_refuses_a_double_booking(
    backend: str, sessions: sessionmaker[Session]
) -> None:
    """On PostgreSQL two active visits of one expert cannot overlap, even if code tried to."""
    if backend != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's (SQLite serialises writers instead)")
    with sessions() as s:
        m = create_municipality(s, size=DemoSize(experts=1, addresses=0))
        s.commit()
        service = s.scalars(select(ServiceType)).first()
        expert = s.scalars(select(Expert)).first()
        assert service is not None and expert is not None
        start = dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC)

        def visit(ref: str, at: dt.datetime) -> Visit:
            return Visit(
                municipality_id=m.id,
                service_type_id=service.id,
                reference=ref,
                manage_token_hash="x",
                date=at.date(),
                window_start=at,
                window_end=at + dt.timedelta(hours=2),
                duration_minutes=60,
                lat=52.1,
                lon=5.1,
                ical_uid=ref,
                created_at=at,
                updated_at=at,
                expert_id=expert.id,
                planned_start=at,
                planned_end=at + dt.timedelta(hours=1),
            )

        s.add(visit("AH-AAAA-0001", start))
        s.add(visit("AH-AAAA-0002", start + dt.timedelta(minutes=30)))
        with pytest.raises(IntegrityError):
            s.commit()  # deferred: checked at commit
        s.rollback()
        s.add(visit("AH-AAAA-0003", start))
        s.add(visit("AH-AAAA-0004", start + dt.timedelta(hours=1)))  # back to back is fine
        s.commit()
