"""Optimisation jobs: day optimisations run by workers instead of inside a web request.

The database is the queue, so nothing else needs running and a job is as durable as a booking.

* :func:`enqueue` checks the date and stores a queued job (commits); the API answers 202 with it.
* :func:`run_next` claims the oldest due job in a short transaction: on PostgreSQL with
  ``SELECT … FOR UPDATE SKIP LOCKED``, so workers on any number of machines never wait for or
  double-claim each other; on SQLite every writer is serialised by ``BEGIN IMMEDIATE``. The claim
  moves ``run_after`` a lease ahead (the time limit plus :data:`LEASE_GRACE`). The solve then
  runs outside any transaction, exactly as a synchronous optimisation does
  (:func:`~scheduler.planning.service.propose`), and the job is marked done with its proposal.
* A worker that dies mid-job leaves it ``running`` with an expired lease: the next claim takes it
  again, up to :data:`MAX_ATTEMPTS`; after that it is marked failed. A solve that raises marks
  the job failed at once with the error's class name (no personal data).

A stale job (its day changed after the solve) still yields a proposal; applying it then answers
409 as any stale proposal does.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.db import transaction
from scheduler.errors import NotFound
from scheduler.planning import service as planning
from scheduler.planning.models import OptimisationJob
from scheduler.security import new_id
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.planning.jobs")

#: Claims of one job before it is given up (a worker that keeps dying on it).
MAX_ATTEMPTS = 3
#: Lease beyond the job's time limit: reading the day, storing the proposal.
LEASE_GRACE = dt.timedelta(minutes=2)


def enqueue(
    session: Session,
    *,
    municipality: Municipality,
    date: dt.date,
    time_limit: float,
    actor: str,
    mode: planning.Mode = "balanced",
) -> OptimisationJob:
    """Queue an optimisation of the day (the date is checked now, not by the worker); commits."""
    planning.check_date(municipality, date)
    now = clock.now()
    job = OptimisationJob(
        id=new_id(),
        municipality_id=municipality.id,
        date=date,
        time_limit=time_limit,
        mode=mode,
        status="queued",
        attempts=0,
        run_after=now,
        created_at=now,
        created_by=actor[:40],
    )
    session.add(job)
    session.commit()
    log.info("optimisation job %s queued for municipality %s", job.id, municipality.id)
    return job


def get_job(session: Session, *, municipality: Municipality, job_id: str) -> OptimisationJob:
    """A job of this municipality, or :class:`NotFound`."""
    job = session.get(OptimisationJob, job_id)
    if job is None or job.municipality_id != municipality.id:
        raise NotFound(
            "This optimisation job does not exist.",
            nl="Deze optimalisatie bestaat niet.",
            job=job_id,
        )
    return job


@dataclass(frozen=True)
class _Claim:
    id: str
    municipality_id: int
    date: dt.date
    time_limit: float
    actor: str
    mode: planning.Mode


def _claim(factory: sessionmaker[Session], now: dt.datetime) -> _Claim | None:
    with transaction(factory) as session:
        # Jobs whose workers died too often: give up on them, visibly.
        session.execute(
            update(OptimisationJob)
            .where(
                OptimisationJob.status == "running",
                OptimisationJob.run_after <= now,
                OptimisationJob.attempts >= MAX_ATTEMPTS,
            )
            .values(status="failed", error="worker lost", finished_at=now)
        )
        job = session.scalars(
            select(OptimisationJob)
            .where(
                or_(OptimisationJob.status == "queued", OptimisationJob.status == "running"),
                OptimisationJob.run_after <= now,
                OptimisationJob.attempts < MAX_ATTEMPTS,
            )
            .order_by(OptimisationJob.run_after, OptimisationJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            return None
        job.status = "running"
        job.attempts += 1
        job.run_after = now + dt.timedelta(seconds=job.time_limit) + LEASE_GRACE
        mode: planning.Mode = job.mode if job.mode in planning.MODES else "balanced"
        return _Claim(job.id, job.municipality_id, job.date, job.time_limit, job.created_by, mode)


def _finish(
    factory: sessionmaker[Session], job_id: str, *, proposal_id: str | None, error: str | None
) -> None:
    with transaction(factory) as session:
        job = session.get(OptimisationJob, job_id)
        if job is None:  # the municipality was removed meanwhile
            return
        job.status = "failed" if error else "done"
        job.proposal_id = proposal_id
        job.error = error
        job.finished_at = clock.now()


def run_next(factory: sessionmaker[Session], travel: TravelTimeProvider) -> str | None:
    """Claim and run the oldest due job; its id, or ``None`` when none is due."""
    claim = _claim(factory, clock.now())
    if claim is None:
        return None
    log.info("optimisation job %s started", claim.id)
    try:
        with factory() as session:
            municipality = session.get(Municipality, claim.municipality_id)
            if municipality is None:
                raise NotFound("The municipality no longer exists.", nl="De gemeente bestaat niet.")
            proposal = planning.propose(
                session,
                municipality=municipality,
                date=claim.date,
                travel=travel,
                time_limit=claim.time_limit,
                actor=claim.actor,
                mode=claim.mode,
            )
            proposal_id = proposal.id
    except Exception as exc:  # recorded on the job; the worker goes on with the next one
        log.warning("optimisation job %s failed: %s", claim.id, type(exc).__name__)
        _finish(factory, claim.id, proposal_id=None, error=type(exc).__name__)
        return claim.id
    _finish(factory, claim.id, proposal_id=proposal_id, error=None)
    log.info("optimisation job %s done: proposal %s", claim.id, proposal_id)
    return claim.id


def run_pending(factory: sessionmaker[Session], travel: TravelTimeProvider) -> int:
    """Run due jobs until none is left; how many were run."""
    done = 0
    while run_next(factory, travel) is not None:
        done += 1
    return done


def get_day_jobs(
    session: Session, *, municipality: Municipality, date: dt.date, limit: int = 5
) -> list[OptimisationJob]:
    """The day's latest optimisation jobs, newest first (the planner's "come back later" list)."""
    return list(
        session.scalars(
            select(OptimisationJob)
            .where(
                OptimisationJob.municipality_id == municipality.id,
                OptimisationJob.date == date,
            )
            .order_by(OptimisationJob.created_at.desc(), OptimisationJob.id)
            .limit(limit)
        )
    )
