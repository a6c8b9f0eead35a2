"""Rota proposals solved by ``aanhuis worker`` (``Prefer: respond-async``), like day
optimisations: the proposal row is the job. A worker claims the oldest due ``queued`` row (or a
``running`` one whose lease ran out, at most :data:`MAX_ATTEMPTS` times) with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, solves outside any transaction, and stores the result
(``open``), or ``failed`` with the error's class name.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.db import transaction
from scheduler.rota import service as rota
from scheduler.rota.models import RotaProposal
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.rota.jobs")

MAX_ATTEMPTS = 3
LEASE_GRACE = dt.timedelta(minutes=2)


def _claim(factory: sessionmaker[Session], now: dt.datetime) -> str | None:
    with transaction(factory) as session:
        session.execute(
            update(RotaProposal)
            .where(
                RotaProposal.status == "running",
                RotaProposal.run_after <= now,
                RotaProposal.attempts >= MAX_ATTEMPTS,
            )
            .values(status="failed", error="worker lost")
        )
        job = session.scalars(
            select(RotaProposal)
            .where(
                or_(RotaProposal.status == "queued", RotaProposal.status == "running"),
                RotaProposal.run_after <= now,
                RotaProposal.attempts < MAX_ATTEMPTS,
            )
            .order_by(RotaProposal.run_after, RotaProposal.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            return None
        job.status = "running"
        job.attempts += 1
        job.run_after = now + dt.timedelta(seconds=job.time_limit) + LEASE_GRACE
        return job.id


def run_next(factory: sessionmaker[Session], travel: TravelTimeProvider) -> str | None:
    """Claim and solve the oldest due rota proposal; its id, or None when none is due."""
    job_id = _claim(factory, clock.now())
    if job_id is None:
        return None
    try:
        with factory() as session:
            job = session.get_one(RotaProposal, job_id)
            municipality = session.get_one(Municipality, job.municipality_id)
            feasible, result, version = rota.compute(
                session,
                municipality=municipality,
                start=job.start,
                weeks=job.weeks,
                time_limit=job.time_limit,
                travel=travel,
            )
    except Exception as exc:  # recorded on the job; the worker goes on
        log.warning("rota job %s failed: %s", job_id, type(exc).__name__)
        with transaction(factory) as session:
            failed = session.get_one(RotaProposal, job_id)
            failed.status, failed.error = "failed", type(exc).__name__
        return job_id
    with transaction(factory) as session:
        done = session.get_one(RotaProposal, job_id)
        done.status, done.feasible, done.result = "open", feasible, result
        done.base_version = version
    log.info("rota job %s done", job_id)
    return job_id


def run_pending(factory: sessionmaker[Session], travel: TravelTimeProvider) -> int:
    """Solve due rota proposals until none is left; how many were run."""
    done = 0
    while run_next(factory, travel) is not None:
        done += 1
    return done
