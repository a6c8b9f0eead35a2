"""Logs: JSON lines from every server and worker process, and never personal data.

Findings 1 and 4 of the security review: a database error during a booking printed the insert's
parameters (name, phone, e-mail, address, notes, the plain manage token) in uvicorn's traceback;
with ``--workers > 1`` no process wrote access or application lines at all.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import citizen_world as world
import httpx
import pytest
import sqlalchemy as sa
from support import free_port

from api.logging_config import JsonFormatter, Redact
from scheduler.db import make_engine

NAME = "Wilhelmina Logtest"
PHONE = "+31612340987"
EMAIL = "wilhelmina.logtest@example.org"
NOTES = "Sleutel ligt onder de bloempot"
#: A manage token has 43 URL-safe characters.
TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])")


@contextmanager
def serving(db_url: str, log_path: Path, *, workers: int = 1, **env: str) -> Iterator[str]:
    """``aanhuis serve`` on a free port, its output (both streams) in ``log_path``."""
    port = free_port()
    aanhuis = Path(sys.executable).with_name("aanhuis")
    environment = {
        **os.environ,
        "AANHUIS_DATABASE_URL": db_url,
        "AANHUIS_LOG_LEVEL": "INFO",
        "AANHUIS_SMTP_HOST": "",
        **env,
    }
    with log_path.open("w") as out:
        proc = subprocess.Popen(
            [str(aanhuis), "serve", "--workers", str(workers), "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the server did not start in 90 s"
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of the log, each of which must be one JSON object."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line[:200]}")
    return parsed


def test_an_exception_is_logged_without_its_message() -> None:
    """The filter keeps an exception's type and frames and drops its text (which may hold the
    parameters of a failed insert), also for the exception it was raised from."""

    def fail() -> None:
        try:
            raise ValueError(f"row ({NAME}, {PHONE}) refused")
        except ValueError as exc:
            raise RuntimeError(f"insert failed: [parameters: {EMAIL}]") from exc

    try:
        fail()
    except RuntimeError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", (), None
        )
        record.exc_info = sys.exc_info()
    assert Redact().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "Exception in ASGI application"
    assert "RuntimeError" in line["error"] and "ValueError" in line["error"]
    assert "in fail" in line["error"]
    for secret in (NAME, PHONE, EMAIL, "parameters"):
        assert secret not in json.dumps(line)


def test_sql_arguments_are_dropped() -> None:
    """A SQLAlchemy record (statement logging) never prints its parameters."""
    record = logging.LogRecord(
        "sqlalchemy.engine.Engine", logging.INFO, __file__, 1, "[generated] %r", ((NAME,),), None
    )
    assert Redact().filter(record)
    assert NAME not in JsonFormatter().format(record)


def _offer(client: httpx.Client, base: str, postcode: str, number: int) -> str:
    answer = client.post(
        f"{base}/api/v1/municipalities/{world.SLUG}/offers",
        json={
            "service": "wmo-intake",
            "address": {"postcode": postcode, "house_number": number},
            "limit": 1,
        },
    )
    assert answer.status_code == 200, answer.text
    offer_id: str = answer.json()["offers"][0]["id"]
    return offer_id


def _break_visit_inserts(db_url: str, backend: str) -> None:
    """Make every insert into ``visit`` fail in the database, with the row's values in the
    error message on PostgreSQL (what a constraint's DETAIL line would show)."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_visit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused (%, %, %, %, %, %)', NEW.citizen_name, "
                    "NEW.citizen_phone, NEW.citizen_email, NEW.notes, NEW.street, "
                    "NEW.replay_token; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_visit BEFORE INSERT ON visit "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_visit()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_visit BEFORE INSERT ON visit "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
    engine.dispose()


@pytest.mark.slow
def test_no_personal_data_in_the_logs_when_the_database_fails(
    backend: str, db_url: str, tmp_path: Path
) -> None:
    """A booking whose insert fails in the database answers a plain 500; the server's log has
    the failure (as JSON lines) but none of the citizen's name, phone, e-mail, street, notes,
    postcode or a manage token."""
    log_path = tmp_path / "server.log"
    with world.seeded(backend, db_url) as url:
        engine = make_engine(url)
        with engine.connect() as conn:
            street, postcode, number = conn.execute(
                sa.text("SELECT street, postcode, house_number FROM address ORDER BY id LIMIT 1")
            ).one()
        engine.dispose()
        with serving(url, log_path) as base, httpx.Client(timeout=60) as client:
            offer_id = _offer(client, base, postcode, number)
            _break_visit_inserts(url, backend)
            answer = client.post(
                f"{base}/api/v1/municipalities/{world.SLUG}/bookings",
                json={
                    "offer_id": offer_id,
                    "citizen": {"name": NAME, "phone": PHONE, "email": EMAIL},
                    "notes": NOTES,
                },
                headers={"Idempotency-Key": "log-test-key-1"},
            )
            assert answer.status_code == 500
            assert answer.headers["content-type"] == "application/problem+json"
            assert NAME not in answer.text
    text = log_path.read_text()
    for secret in (NAME, PHONE, "612340987", EMAIL, NOTES, street, postcode):
        assert secret not in text, secret
    assert "parameters:" not in text
    assert not TOKEN_SHAPE.search(text), TOKEN_SHAPE.search(text)
    lines = json_lines(log_path)
    assert any(line.get("level") == "ERROR" and "error" in line for line in lines), text


@pytest.mark.slow
def test_every_worker_process_logs(tmp_path: Path) -> None:
    """With ``--workers 4`` each worker process writes JSON lines, and every request has its
    access line (route template, status, duration, request id), whichever worker served it; the
    metrics add up the requests of all workers."""
    db = tmp_path / "db.sqlite3"
    url = f"sqlite:///{db}"
    from scheduler.migrate import upgrade

    upgrade(url)
    log_path = tmp_path / "server.log"
    requests = 40
    with serving(url, log_path, workers=4) as base:
        for _ in range(requests):
            # A new connection each time, so the kernel may hand it to any worker.
            answer = httpx.get(f"{base}/api/v1/municipalities/unknown-town", timeout=10)
            assert answer.status_code == 404
        # Every worker's requests count in /metrics, whichever worker answers the scrape.
        for _ in range(3):
            scraped = httpx.get(f"{base}/metrics", timeout=10).text
            counted = re.search(
                r'aanhuis_http_request_duration_seconds_count\{method="GET",'
                r'route="/api/v1/municipalities/\{slug\}",status="404"\} (\d+)',
                scraped,
            )
            assert counted is not None, scraped[:2000]
            assert float(counted.group(1)) == requests
        time.sleep(0.5)
    lines = json_lines(log_path)
    workers = {line["pid"] for line in lines if line["msg"].startswith("Started server process")}
    assert len(workers) == 4, lines[:20]
    access = [
        line
        for line in lines
        if line["logger"] == "aanhuis.access" and line.get("route", "").endswith("{slug}")
    ]
    assert len(access) == requests
    first = access[0]
    assert first["route"] == "/api/v1/municipalities/{slug}" and first["status"] == 404
    assert first["method"] == "GET" and first["duration_ms"] >= 0 and first["request_id"]
    assert "unknown-town" not in log_path.read_text()
