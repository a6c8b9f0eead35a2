"""Citizen API speed: offer latency on a large tenant, and bookings per second on PostgreSQL.

**Offers.** The tenant is ``aanhuis seed --demo --experts 40 --days 28 --fill 0.7`` (40 experts
over four weeks; the demo generator books through the real offer and booking code until 70% of the
capacity is used or 200 attempts found nothing, which on this tenant stops at about 1100 visits),
seeded once with the clock frozen at :data:`NOW` and cached under ``benchmarks/.cache/`` keyed by
its parameters and a hash of the schema migrations and the demo generator (seeding takes minutes).
Each run copies the file, starts the app in-process and asks ``POST /offers`` through its HTTP
interface (Starlette's test client) for random register addresses and random services over the
whole horizon. Reported: the first request after start (nothing cached yet: the searched days'
insertion indexes are built), then p50/p95/p99 over the rest. The target is p95 ≤ 50 ms.

**Bookings.** A live ``aanhuis serve --workers 4`` on a fresh PostgreSQL database (from
``AANHUIS_BENCH_POSTGRES_URL`` or ``AANHUIS_TEST_POSTGRES_URL``; skipped without), several
concurrent clients each repeating: offers for a random address and service, book one of them.
Reported: bookings per second (201s), refusals (409: someone took the window first) and latencies.

``--quick`` uses a small tenant and a few seconds of booking.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import make_url

from scheduler import clock, demo
from scheduler.addresses.models import Address
from scheduler.booking import offers
from scheduler.catalog.models import ServiceType
from scheduler.db import make_engine, make_sessionmaker

#: Where seeded tenants are kept between runs (they take minutes to seed).
#: A benchmark is one client making many anonymous requests: the rate limits are off.
NO_LIMITS = {"rate_limit_offers": "off", "rate_limit_bookings": "off", "rate_limit_lookups": "off"}
LIMITS_OFF_ENV = {f"AANHUIS_{k.upper()}": v for k, v in NO_LIMITS.items()}

CACHE = Path(os.environ.get("AANHUIS_BENCH_CACHE") or Path(__file__).parent / ".cache")
#: The seeded tenant's "now": a Monday morning, so the horizon starts on a working day.
NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
FULL = demo.DemoSize(experts=40, days=28, fill=0.7)
QUICK = demo.DemoSize(experts=6, days=7, fill=0.5)


@contextmanager
def _frozen(at: dt.datetime) -> Iterator[None]:
    previous = clock.set_clock(lambda: at)
    try:
        yield
    finally:
        clock.set_clock(previous)


def _code_fingerprint() -> str:
    """A short hash of the schema migrations and the demo generator: a cached tenant seeded by
    other code (another schema, other demo data) is never reused."""
    import hashlib

    import scheduler.migrations.versions as versions

    digest = hashlib.sha256()
    files = [*sorted(Path(versions.__file__).parent.glob("*.py")), Path(demo.__file__)]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def seeded_tenant(size: demo.DemoSize) -> Path:
    """The cached SQLite file of the demo tenant of ``size`` (seeded on first use)."""
    from api.commands.seed import seed_demo

    name = (
        f"demo-e{size.experts}-d{size.days}-f{size.fill}-s{size.seed}-{NOW:%Y%m%d}"
        f"-{_code_fingerprint()}.sqlite3"
    )
    path = CACHE / name
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"seeding {name} (once; takes a while) ...", file=sys.stderr, flush=True)
    with _frozen(NOW):
        seed_demo(f"sqlite:///{partial}", size, quiet=True)
    print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    partial.rename(path)
    return path


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def offer_latency(size: demo.DemoSize, requests: int, seed: int = 1) -> dict[str, Any]:
    """Time ``requests`` offer requests through the HTTP app on a copy of the seeded tenant."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    source = seeded_tenant(size)
    work = Path(tempfile.mkdtemp(prefix="aanhuis-bench-"))
    try:
        db = work / "tenant.sqlite3"
        shutil.copy(source, db)
        url = f"sqlite:///{db}"
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            homes = [
                (a.postcode, a.house_number)
                for a in session.scalars(select(Address).order_by(Address.id))
            ]
            services = [
                s.code for s in session.scalars(select(ServiceType).order_by(ServiceType.id))
            ]
            visits = session.execute(sa.text("SELECT count(*) FROM visit")).scalar_one()
        engine.dispose()
        rng = random.Random(seed)
        offers.CACHE.clear()
        timings: list[float] = []
        # CPU time of the whole process (client and server threads) per request: what the
        # latency would be on an idle machine, next to the wall clock of this shared one.
        cpu_times: list[float] = []
        windows: list[int] = []
        with _frozen(NOW + dt.timedelta(minutes=1)):
            app = create_app(Settings(database_url=url, smtp_host=None, **NO_LIMITS))
            with TestClient(app) as client:
                for _ in range(requests + 1):
                    postcode, number = rng.choice(homes)
                    body = {
                        "service": rng.choice(services),
                        "address": {"postcode": postcode, "house_number": number},
                    }
                    started, cpu = time.perf_counter(), time.process_time()
                    answer = client.post("/api/v1/municipalities/demo/offers", json=body)
                    timings.append((time.perf_counter() - started) * 1000)
                    cpu_times.append((time.process_time() - cpu) * 1000)
                    assert answer.status_code == 200, answer.text
                    windows.append(len(answer.json()["offers"]))
            app.state.engine.dispose()
        offers.CACHE.clear()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    warm, warm_cpu = timings[1:], cpu_times[1:]
    return {
        "cpu_p50": statistics.median(warm_cpu),
        "cpu_p95": _percentile(warm_cpu, 95),
        "visits": visits,
        "requests": len(warm),
        "first": timings[0],
        "p50": statistics.median(warm),
        "p95": _percentile(warm, 95),
        "p99": _percentile(warm, 99),
        "max": max(warm),
        "windows": statistics.mean(windows),
    }


def _postgres_url() -> str | None:
    return os.environ.get("AANHUIS_BENCH_POSTGRES_URL") or os.environ.get(
        "AANHUIS_TEST_POSTGRES_URL"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _admin(base_url: str) -> sa.Engine:
    return sa.create_engine(
        make_url(base_url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )


@contextmanager
def _database(base_url: str, name: str, template: str | None = None) -> Iterator[str]:
    """A database ``name`` (empty, or a copy of ``template``), dropped afterwards."""
    admin = _admin(base_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def booking_rates(
    base_url: str,
    size: demo.DemoSize,
    *,
    clients: list[int],
    seconds: float,
    workers: int = 4,
) -> list[dict[str, Any]]:
    """Bookings per second for each number of ``clients``, each on a fresh copy of one seeded
    tenant (seeded on the real clock, which the server runs on)."""
    from api.commands.seed import seed_demo

    template = f"aanhuis_bench_tpl_{os.getpid()}"
    with _database(base_url, template) as url:
        seed_demo(url, size, quiet=True)
        return [
            booking_rate(base_url, template, clients=n, seconds=seconds, workers=workers)
            for n in clients
        ]


def booking_rate(
    base_url: str, template: str, *, clients: int, seconds: float, workers: int = 4
) -> dict[str, Any]:
    """Bookings per second against a live server with ``workers`` on a copy of ``template``."""
    with _database(base_url, f"aanhuis_bench_{os.getpid()}", template) as url:
        return _measure(url, clients=clients, seconds=seconds, workers=workers)


def _measure(url: str, *, clients: int, seconds: float, workers: int) -> dict[str, Any]:
    proc = None
    with tempfile.TemporaryFile() as log:
        try:
            engine = make_engine(url)
            with make_sessionmaker(engine)() as session:
                homes = [
                    (a.postcode, a.house_number)
                    for a in session.scalars(select(Address).order_by(Address.id))
                ]
                services = [s.code for s in session.scalars(select(ServiceType))]
            engine.dispose()
            port = _free_port()
            env = {
                **os.environ,
                **LIMITS_OFF_ENV,
                "AANHUIS_DATABASE_URL": url,
                "AANHUIS_LOG_LEVEL": "WARNING",
            }
            env.pop("AANHUIS_SMTP_HOST", None)
            aanhuis = Path(sys.executable).with_name("aanhuis")
            proc = subprocess.Popen(
                [str(aanhuis), "serve", "--workers", str(workers), "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            api = f"http://127.0.0.1:{port}/api/v1/municipalities/demo"
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("server did not start: " + log.read().decode()[-2000:])
                time.sleep(0.3)
            # Warm every worker's offer index cache a little, as a running server would be.
            with httpx.Client(timeout=60) as client:
                for i in range(workers * 4):
                    postcode, number = homes[i]
                    client.post(
                        f"{api}/offers",
                        json={
                            "service": services[i % len(services)],
                            "address": {"postcode": postcode, "house_number": number},
                        },
                    )

            lock = threading.Lock()
            results: dict[str, list[float]] = {"booked": [], "refused": [], "offers": []}
            other: list[int] = []
            stop = time.monotonic() + seconds
            barrier = threading.Barrier(clients)

            def citizen(k: int) -> None:
                rng = random.Random(k)
                with httpx.Client(timeout=120) as client:
                    barrier.wait()
                    n = 0
                    while time.monotonic() < stop:
                        postcode, number = rng.choice(homes)
                        t0 = time.perf_counter()
                        answer = client.post(
                            f"{api}/offers",
                            json={
                                "service": rng.choice(services),
                                "address": {"postcode": postcode, "house_number": number},
                            },
                        )
                        t1 = time.perf_counter()
                        found = answer.json().get("offers") if answer.status_code == 200 else None
                        if not found:
                            continue
                        n += 1
                        booked = client.post(
                            f"{api}/bookings",
                            json={
                                "offer_id": rng.choice(found)["id"],
                                "citizen": {"name": f"Bench {k}", "phone": "0612345678"},
                            },
                            headers={"Idempotency-Key": f"bench-{k}-{n}"},
                        )
                        t2 = time.perf_counter()
                        with lock:
                            results["offers"].append((t1 - t0) * 1000)
                            if booked.status_code == 201:
                                results["booked"].append((t2 - t1) * 1000)
                            elif booked.status_code == 409:
                                results["refused"].append((t2 - t1) * 1000)
                            else:
                                other.append(booked.status_code)

            started = time.monotonic()
            threads = [threading.Thread(target=citizen, args=(k,)) for k in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.monotonic() - started
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    done = results["booked"] + results["refused"]
    return {
        "clients": clients,
        "workers": workers,
        "seconds": took,
        "booked": len(results["booked"]),
        "refused": len(results["refused"]),
        "errors": len(other),
        "per_second": len(results["booked"]) / took,
        "book_p50": statistics.median(done) if done else float("nan"),
        "book_p95": _percentile(done, 95) if done else float("nan"),
        "offers_p50": statistics.median(results["offers"]) if results["offers"] else float("nan"),
    }


def run(quick: bool) -> str:
    """Both measurements as a Markdown section."""
    size = QUICK if quick else FULL
    latency = offer_latency(size, requests=40 if quick else 400)
    lines = [
        "## Citizen API: offers and bookings",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(shared; load average {os.getloadavg()[0]:.1f} at the start), Python "
        f"{platform.python_version()}; haversine travel times.",
        "",
        f"Offers through the HTTP app (in-process) on the demo tenant with {size.experts} "
        f"experts, {size.days} days, fill {size.fill} ({latency['visits']} visits), SQLite; "
        f"random register addresses and services, whole booking horizon, "
        f"{latency['windows']:.1f} windows per answer on average.",
        "",
        "| requests | first (cold) ms | p50 ms | p95 ms | p99 ms | max ms | target p95 "
        "| CPU p50 ms | CPU p95 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {latency['requests']} | {latency['first']:.0f} | {latency['p50']:.1f} "
        f"| {latency['p95']:.1f} | {latency['p99']:.1f} | {latency['max']:.1f} | ≤ 50 ms "
        f"| {latency['cpu_p50']:.1f} | {latency['cpu_p95']:.1f} |",
        "",
        "Wall-clock times on a machine shared with other work; the CPU columns are the process's "
        "CPU time per request (client and server), i.e. the latency on an idle machine.",
        "",
    ]
    pg = _postgres_url()
    if pg is None:
        lines.append("Bookings per second: skipped (set AANHUIS_BENCH_POSTGRES_URL).")
        return "\n".join(lines)
    small = demo.DemoSize(experts=6, days=7, fill=0.2) if quick else demo.DemoSize(12, 14, 0.3)
    seconds = 5 if quick else 20
    rates = booking_rates(pg, small, clients=[2] if quick else [1, 4, 8], seconds=seconds)
    lines += [
        f"Bookings on PostgreSQL: `aanhuis serve --workers {rates[0]['workers']}`, concurrent "
        f"clients each asking offers and booking one of them, for {seconds} s per row, demo "
        f"tenant with {small.experts} experts over {small.days} days, {small.fill:.0%} booked "
        "at the start. Every client and worker shares the same 2 cores, so the rate is bound "
        "by CPU (a booking re-loads and re-checks the day under its row locks, and queues a "
        "confirmation with its invite).",
        "",
        "| clients | bookings/s | booked | refused (409) | errors | booking p50 ms "
        "| booking p95 ms | offers p50 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['clients']} | {r['per_second']:.1f} | {r['booked']} | {r['refused']} "
        f"| {r['errors']} | {r['book_p50']:.0f} | {r['book_p95']:.0f} | {r['offers_p50']:.0f} |"
        for r in rates
    ]
    return "\n".join(lines)
