"""Citizen API speed: offer latency on a large tenant, and bookings per second on PostgreSQL.

**Offers.** The tenant is ``aanhuis seed --demo --experts 40 --days 28 --fill 0.7`` (40 experts,
70% of four weeks' capacity booked through the real offer and booking code), seeded once with the
clock frozen at :data:`NOW` and cached under ``benchmarks/.cache/`` keyed by its parameters
(seeding takes minutes). Each run copies the file, starts the app in-process and asks
``POST /offers`` through its HTTP interface (Starlette's test client) for random register
addresses and random services over the whole horizon. Reported: the first request after start
(nothing cached: every day's insertion index is built), then p50/p95/p99 over the rest. The target
is p95 ≤ 50 ms.

**Bookings.** A live ``aanhuis serve --workers 4`` on a fresh PostgreSQL database (from
``AANHUIS_BENCH_POSTGRES_URL`` or ``AANHUIS_TEST_POSTGRES_URL``; skipped without), several
concurrent clients each repeating: offers for a random address and service, book the first one.
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


def seeded_tenant(size: demo.DemoSize) -> Path:
    """The cached SQLite file of the demo tenant of ``size`` (seeded on first use)."""
    from api.commands.seed import seed_demo

    name = f"demo-e{size.experts}-d{size.days}-f{size.fill}-s{size.seed}-{NOW:%Y%m%d}.sqlite3"
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
        windows: list[int] = []
        with _frozen(NOW + dt.timedelta(minutes=1)):
            app = create_app(Settings(database_url=url, smtp_host=None))
            with TestClient(app) as client:
                for _ in range(requests + 1):
                    postcode, number = rng.choice(homes)
                    body = {
                        "service": rng.choice(services),
                        "address": {"postcode": postcode, "house_number": number},
                    }
                    started = time.perf_counter()
                    answer = client.post("/api/v1/municipalities/demo/offers", json=body)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.text
                    windows.append(len(answer.json()["offers"]))
            app.state.engine.dispose()
        offers.CACHE.clear()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    warm = timings[1:]
    return {
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


def booking_rate(
    base_url: str, size: demo.DemoSize, *, clients: int, seconds: float, workers: int = 4
) -> dict[str, Any]:
    """Bookings per second against a live server with ``workers`` on a fresh database."""
    from api.commands.seed import seed_demo

    name = f"aanhuis_bench_{os.getpid()}"
    admin = sa.create_engine(
        make_url(base_url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    proc = None
    with tempfile.TemporaryFile() as log:
        try:
            seed_demo(url, size, quiet=True)  # the server runs on the real clock, so seed on it too
            engine = make_engine(url)
            with make_sessionmaker(engine)() as session:
                homes = [
                    (a.postcode, a.house_number)
                    for a in session.scalars(select(Address).order_by(Address.id))
                ]
                services = [s.code for s in session.scalars(select(ServiceType))]
            engine.dispose()
            port = _free_port()
            env = {**os.environ, "AANHUIS_DATABASE_URL": url, "AANHUIS_LOG_LEVEL": "WARNING"}
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
                                "offer_id": found[0]["id"],
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
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
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
        f"(shared), Python {platform.python_version()}; haversine travel times.",
        "",
        f"Offers through the HTTP app (in-process) on the demo tenant with {size.experts} "
        f"experts, {size.days} days, fill {size.fill} ({latency['visits']} visits), SQLite; "
        f"random register addresses and services, whole booking horizon, "
        f"{latency['windows']:.1f} windows per answer on average.",
        "",
        "| requests | first (cold) ms | p50 ms | p95 ms | p99 ms | max ms | target p95 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {latency['requests']} | {latency['first']:.0f} | {latency['p50']:.1f} "
        f"| {latency['p95']:.1f} | {latency['p99']:.1f} | {latency['max']:.1f} | ≤ 50 ms |",
        "",
    ]
    pg = _postgres_url()
    if pg is None:
        lines.append("Bookings per second: skipped (set AANHUIS_BENCH_POSTGRES_URL).")
        return "\n".join(lines)
    small = demo.DemoSize(experts=6, days=7, fill=0.2) if quick else demo.DemoSize(12, 14, 0.3)
    rate = booking_rate(pg, small, clients=4 if quick else 8, seconds=5 if quick else 30)
    lines += [
        f"Bookings on PostgreSQL: `aanhuis serve --workers {rate['workers']}`, "
        f"{rate['clients']} concurrent clients each asking offers and booking the first one, "
        f"for {rate['seconds']:.0f} s, demo tenant with {small.experts} experts over "
        f"{small.days} days, {small.fill:.0%} booked at the start.",
        "",
        "| clients | bookings/s | booked | refused (409) | errors | booking p50 ms "
        "| booking p95 ms | offers p50 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {rate['clients']} | {rate['per_second']:.1f} | {rate['booked']} | {rate['refused']} "
        f"| {rate['errors']} | {rate['book_p50']:.0f} | {rate['book_p95']:.0f} "
        f"| {rate['offers_p50']:.0f} |",
    ]
    return "\n".join(lines)
