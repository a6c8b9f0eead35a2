"""Prometheus metrics at ``GET /metrics`` (``prometheus-client``).

* ``aanhuis_http_request_duration_seconds{method,route,status}`` — latency per route template;
* ``aanhuis_bookings_total{route,status}`` — booking attempts by answer (201/303 booked, 409 a
  competitor took the window first, 410 expired, …), API and pages;
* ``aanhuis_offer_searches_total{route,status}`` — offer searches, API and pages;
* ``aanhuis_optimisation_jobs{status}``, ``aanhuis_optimisation_job_seconds`` (count and sum,
  queued to finished) and ``aanhuis_outbox_backlog`` / ``aanhuis_outbox_oldest_seconds`` — read
  from the database at scrape time, so they are right whichever process or machine did the work
  (``aanhuis worker`` runs the jobs and sends the mail).

With ``aanhuis serve --workers N`` (N > 1) each worker process counts on its own; the counters are
shared through files in ``PROMETHEUS_MULTIPROC_DIR`` (``serve`` makes a fresh directory when it is
unset) and every worker answers ``/metrics`` with the sum of all.

Access: with ``AANHUIS_METRICS_TOKEN`` set, ``Authorization: Bearer <token>`` is required (401
otherwise); unset, only loopback clients may read the metrics (403 for others).
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings
from scheduler import clock
from scheduler.errors import NotAllowed, Unauthenticated
from scheduler.notify.models import OutboxMessage
from scheduler.notify.service import MAX_ATTEMPTS
from scheduler.planning.models import OptimisationJob

REQUEST_SECONDS = Histogram(
    "aanhuis_http_request_duration_seconds",
    "Time to answer a request, per route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BOOKINGS = Counter(
    "aanhuis_bookings_total",
    "Booking attempts by answer (201/303 booked, 409 taken by someone else, 410 expired).",
    ["route", "status"],
)
OFFER_SEARCHES = Counter(
    "aanhuis_offer_searches_total", "Offer searches by answer.", ["route", "status"]
)

#: Routes whose answers count as bookings or offer searches.
BOOKING_ROUTES = frozenset(
    {
        ("POST", "/api/v1/municipalities/{slug}/bookings"),
        ("POST", "/api/v1/municipalities/{slug}/desk/bookings"),
        ("POST", "/{slug:municipality_slug}/gegevens"),
        ("POST", "/planner/{slug:municipality_slug}/balie/boeken"),
    }
)
OFFER_ROUTES = frozenset(
    {
        ("POST", "/api/v1/municipalities/{slug}/offers"),
        ("POST", "/api/v1/municipalities/{slug}/desk/offers"),
        ("POST", "/{slug:municipality_slug}/diensten/{code}"),
        ("POST", "/afspraak/{reference}/tijden"),
        ("POST", "/planner/{slug:municipality_slug}/balie/tijden"),
    }
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Record one answered request (called by the access log middleware)."""
    code = str(status)
    REQUEST_SECONDS.labels(method, route, code).observe(seconds)
    if (method, route) in BOOKING_ROUTES:
        BOOKINGS.labels(route, code).inc()
    elif (method, route) in OFFER_ROUTES:
        OFFER_SEARCHES.labels(route, code).inc()


class DatabaseCollector(Collector):
    """Job and outbox figures, read from the database when scraped."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        now = clock.now()
        with self.sessions() as session:
            jobs = GaugeMetricFamily(
                "aanhuis_optimisation_jobs", "Optimisation jobs by status.", labels=["status"]
            )
            for status, count in session.execute(
                select(OptimisationJob.status, func.count()).group_by(OptimisationJob.status)
            ):
                jobs.add_metric([str(status)], count)
            finished = session.execute(
                select(OptimisationJob.created_at, OptimisationJob.finished_at).where(
                    OptimisationJob.finished_at.is_not(None)
                )
            ).all()
            durations = [
                (done - made).total_seconds() for made, done in finished if done is not None
            ]
            pending = select(OutboxMessage.created_at).where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.recipient.is_not(None),
                OutboxMessage.attempts < MAX_ATTEMPTS,
            )
            backlog = session.scalar(select(func.count()).select_from(pending.subquery())) or 0
            oldest = session.scalar(select(func.min(pending.subquery().c.created_at)))
        yield jobs
        yield SummaryMetricFamily(
            "aanhuis_optimisation_job_seconds",
            "Optimisation jobs from queued to finished.",
            count_value=len(durations),
            sum_value=sum(durations),
        )
        yield GaugeMetricFamily(
            "aanhuis_outbox_backlog", "E-mails waiting to be sent.", value=backlog
        )
        age = (now - _aware(oldest)).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "aanhuis_outbox_oldest_seconds", "Age of the oldest e-mail waiting.", value=age
        )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def exposition(sessions: sessionmaker[Session]) -> bytes:
    """The metrics text: this process's (or all workers') counters and the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shared = CollectorRegistry()
        MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        counters = generate_latest(shared)
    else:
        counters = generate_latest(REGISTRY)
    database = CollectorRegistry()
    database.register(DatabaseCollector(sessions))
    return counters + generate_latest(database)


def _allowed(request: Request, settings: Settings) -> None:
    if settings.metrics_token is not None:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        expected = settings.metrics_token.get_secret_value()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthenticated(
                "The metrics need the metrics token.", nl="De metrics vragen het metrics-token."
            )
        return
    host = request.client.host if request.client else ""
    if host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("127."):
        raise NotAllowed(
            "Set AANHUIS_METRICS_TOKEN to read the metrics from elsewhere.",
            nl="Zet AANHUIS_METRICS_TOKEN om de metrics van elders te lezen.",
        )


router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus metrics (bearer token, or loopback only)."""
    settings: Settings = request.app.state.settings
    _allowed(request, settings)
    return Response(exposition(request.app.state.read_sessions), media_type=CONTENT_TYPE_LATEST)
