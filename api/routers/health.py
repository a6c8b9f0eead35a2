"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import SessionDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/healthz", response_model=Health)
def health(session: SessionDep) -> Health:
    """The service is up and its database answers."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")
