"""Optimisation jobs: queued in the database, claimed by exactly one worker, never lost.

A small demo municipality (3 experts, one day booked to 30%) with jobs for that day. Workers are
:func:`jobs.run_next` / the claim behind it, called from threads to race each other (on
PostgreSQL with ``SKIP LOCKED``, on SQLite serialised by ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from routing.travel import HaversineTravel
from scheduler import clock, demo
from scheduler.errors import InvalidInput
from scheduler.planning import jobs
from scheduler.planning import service as planning
from scheduler.planning.models import OptimisationJob, Proposal
from scheduler.tenants.models import Municipality

NOW = dt.datetime(2025, 3, 3, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Amsterdam
DAY = dt.date(2025, 3, 4)
TRAVEL = HaversineTravel()


@pytest.fixture
def town(sessions: sessionmaker[Session]) -> Iterator[int]:
    previous = clock.set_clock(lambda: NOW)
    size = demo.DemoSize(experts=3, days=1, fill=0.3, addresses=150)
    with sessions() as s:
        m = demo.create_municipality(s, size=size, today=NOW.date())
        s.commit()
        demo.fill_bookings(s, m, size=size, travel=TRAVEL)
        town = m.id
    yield town
    clock.set_clock(previous)


def _enqueue(sessions: sessionmaker[Session], town: int, *, limit: float = 0.5) -> str:
    with sessions() as s:
        m = s.get(Municipality, town)
        assert m is not None
        return jobs.enqueue(s, municipality=m, date=DAY, time_limit=limit, actor="planner:1").id


def _job(sessions: sessionmaker[Session], job_id: str) -> OptimisationJob:
    with sessions() as s:
        job = s.get(OptimisationJob, job_id)
        assert job is not None
        s.expunge(job)
        return job


def test_a_queued_job_is_run_into_an_open_proposal(
    sessions: sessionmaker[Session], town: int
) -> None:
    """The worker solves the day and the job names the proposal; then nothing is due."""
    job_id = _enqueue(sessions, town)
    assert _job(sessions, job_id).status == "queued"
    assert jobs.run_pending(sessions, TRAVEL) == 1
    job = _job(sessions, job_id)
    assert (job.status, job.attempts, job.error) == ("done", 1, None)
    assert job.finished_at == NOW
    with sessions() as s:
        proposal = s.get(Proposal, job.proposal_id)
        assert proposal is not None
        assert (proposal.status, proposal.date, proposal.created_by) == ("open", DAY, "planner:1")
    assert jobs.run_next(sessions, TRAVEL) is None


def test_a_day_that_cannot_be_planned_is_refused_when_queued(
    sessions: sessionmaker[Session], town: int
) -> None:
    with sessions() as s:
        m = s.get(Municipality, town)
        assert m is not None
        with pytest.raises(InvalidInput):
            jobs.enqueue(
                s, municipality=m, date=NOW.date() - dt.timedelta(days=1), time_limit=1, actor="x"
            )
        assert s.scalars(select(OptimisationJob)).all() == []


def test_a_failing_solve_fails_its_job_and_the_next_job_still_runs(
    sessions: sessionmaker[Session], town: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error's class is recorded (no message, which might hold personal data)."""
    first, second = _enqueue(sessions, town), _enqueue(sessions, town)
    real = planning.propose
    calls = []

    def flaky(*args: object, **kwargs: object) -> Proposal:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Mevrouw Jansen, Dorpsstraat 1")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(planning, "propose", flaky)
    assert jobs.run_pending(sessions, TRAVEL) == 2
    # The clock stands still, so which of the two is taken first is up to the ids.
    failed, done = sorted(
        (_job(sessions, first), _job(sessions, second)), key=lambda j: j.status, reverse=True
    )
    assert (failed.status, failed.error, failed.proposal_id) == ("failed", "RuntimeError", None)
    assert done.status == "done" and done.proposal_id is not None


def test_a_job_whose_worker_died_is_taken_again_then_given_up(
    sessions: sessionmaker[Session], town: int
) -> None:
    """A claim holds a lease; after it expires another worker takes the job, up to
    MAX_ATTEMPTS times; then the job is marked failed instead of retried for ever."""
    job_id = _enqueue(sessions, town, limit=1)
    lease = dt.timedelta(seconds=1) + jobs.LEASE_GRACE
    at = NOW
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        claim = jobs._claim(sessions, at)
        assert claim is not None and claim.id == job_id
        job = _job(sessions, job_id)
        assert (job.status, job.attempts) == ("running", attempt)
        assert jobs._claim(sessions, at + lease - dt.timedelta(seconds=1)) is None  # leased
        at += lease
    assert jobs._claim(sessions, at) is None
    job = _job(sessions, job_id)
    assert (job.status, job.error) == ("failed", "worker lost")


def test_racing_workers_claim_each_job_exactly_once(
    sessions: sessionmaker[Session], town: int
) -> None:
    """Four threads claim from eight jobs until none is left: every job once, none twice."""
    queued = {_enqueue(sessions, town) for _ in range(8)}
    claimed: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            while (claim := jobs._claim(sessions, NOW)) is not None:
                claimed.append(claim.id)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(claimed) == sorted(queued)
