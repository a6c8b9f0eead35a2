"""For operators: ``/metrics`` (Prometheus), ``/healthz`` and ``/readyz``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import citizen_world as world
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.routers.health import migration_head
from api.settings import Settings
from scheduler.db import make_engine, make_sessionmaker
from scheduler.migrate import downgrade

LOOPBACK = ("127.0.0.1", 40000)
ELSEWHERE = ("192.0.2.10", 40000)


@contextmanager
def client_of(url: str, where: tuple[str, int] = LOOPBACK, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(**{"database_url": url, "smtp_host": None, **settings}))
    with TestClient(app, client=where) as client:
        yield client
    app.state.engine.dispose()


def value(text: str, name: str, **labels: str) -> float:
    """One sample of the exposition text (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.fixture
def url(backend: str, db_url: str) -> Iterator[str]:
    with world.frozen_clock(), world.seeded(backend, db_url) as seeded:
        yield seeded


def test_metrics_count_requests_bookings_searches_and_the_outbox(url: str) -> None:
    """After an offer search, a booking and a refused second booking of the same offer, the
    metrics show the route latencies, both booking answers by status (a 409 counts the same
    way), the search and the outbox backlog."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        (home_a,) = world.addresses(session, 1, seed=11)
    engine.dispose()
    with client_of(url) as client:
        before = client.get("/metrics").text
        offers = world.ask(client, home_a, limit=1).json()["offers"]
        assert world.book(client, offers[0]["id"], email="a@example.org").status_code == 201
        assert world.book(client, offers[0]["id"], "B").status_code == 404  # spent
        answer = client.get("/metrics")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        text = answer.text
    offers_route = "/api/v1/municipalities/{slug}/offers"
    bookings_route = "/api/v1/municipalities/{slug}/bookings"
    assert value(text, "aanhuis_http_request_duration_seconds_count", route=offers_route) >= 1
    for status, wanted in (("201", 1), ("404", 1)):
        labels = {"route": bookings_route, "status": status}
        got = value(text, "aanhuis_bookings_total", **labels)
        assert got - value(before, "aanhuis_bookings_total", **labels) == wanted
    labels = {"route": offers_route, "status": "200"}
    got = value(text, "aanhuis_offer_searches_total", **labels)
    assert got - value(before, "aanhuis_offer_searches_total", **labels) == 1
    assert value(text, "aanhuis_outbox_backlog") >= 1  # the confirmation waits (no SMTP)
    assert "aanhuis_optimisation_job_seconds_count" in text
    assert "# TYPE aanhuis_optimisation_jobs gauge" in text


def test_metrics_answer_only_loopback_without_a_token(url: str) -> None:
    """No token configured: loopback reads the metrics, another address gets 403."""
    with client_of(url, ELSEWHERE) as client:
        answer = client.get("/metrics")
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"


def test_metrics_need_the_token_when_one_is_set(url: str) -> None:
    """With AANHUIS_METRICS_TOKEN a bearer token is required, from anywhere (401 without)."""
    token = "metrics-token-0123456789"
    with client_of(url, ELSEWHERE, metrics_token=token) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200 and "aanhuis_outbox_backlog" in right.text
    with client_of(url, LOOPBACK, metrics_token=token) as client:
        assert client.get("/metrics").status_code == 401


def test_health_reports_the_migration_and_readiness_waits_for_it(
    db_url: str, session: Session
) -> None:
    """At head: both 200 with the head named. One migration behind: /healthz still 200 (the
    database answers) and says which migration it is at; /readyz 503 until migrated."""
    head = migration_head()
    with client_of(db_url) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "migration": head, "head": head}
        assert client.get("/readyz").status_code == 200
    session.close()
    downgrade(db_url, "0003")
    with client_of(db_url) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["migration"] == "0003"
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "migrations pending"


def test_health_is_503_when_the_database_is_gone(tmp_path: Any) -> None:
    """A database that cannot be opened makes /healthz and /readyz answer 503."""
    missing = tmp_path / "no" / "such" / "dir" / "x.sqlite3"
    with client_of(f"sqlite:///{missing}") as client:
        assert client.get("/healthz").status_code == 503
        assert client.get("/readyz").status_code == 503
