"""Liveness and readiness: ``/healthz`` (the database answers; which migration it is at) and
``/readyz`` (503 until the database is at the code's migration head)."""

from __future__ import annotations

from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.deps import SessionDep
from scheduler.migrate import alembic_config

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    #: The migration the database is at, and the newest one this code knows.
    migration: str | None
    head: str


@lru_cache(maxsize=1)
def migration_head() -> str:
    """The newest migration shipped with the code."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _check(session: Session) -> Health:
    try:
        session.execute(text("SELECT 1"))
        current = MigrationContext.configure(session.connection()).get_current_revision()
    except SQLAlchemyError:
        session.rollback()
        return Health(status="unavailable", database="error", migration=None, head=migration_head())
    ready = current == migration_head()
    return Health(
        status="ok" if ready else "migrations pending",
        database="ok",
        migration=current,
        head=migration_head(),
    )


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def health(session: SessionDep, response: Response) -> Health:
    """The service is up and its database answers (503 when it does not); reports migrations."""
    found = _check(session)
    if found.database != "ok":
        response.status_code = 503
    return found


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def ready(session: SessionDep, response: Response) -> Health:
    """Ready for traffic: the database answers and is at the code's migration head (else 503)."""
    found = _check(session)
    if found.status != "ok":
        response.status_code = 503
    return found
