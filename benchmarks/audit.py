"""The day view with and without the access log: 40 experts × 8 visits on one day.

The tenant is built directly (not through the booking code, so it takes a second): 40 experts on
bikes working 08:00–17:00, each with eight 30-minute visits in consecutive one-hour windows a few
hundred metres apart, planned and timed with the real route timing. A planner signs in through the
login form; the day page ``/planner/bench/dag/<date>`` is then rendered ``repeats`` times with
the access log on (one audit record and one processing record per citizen on the page: 320 of
each, two bulk inserts per request) and with it off (``api.audit.note``/``note_ref`` replaced by
no-ops, which is the page as it was before the access log). Reported: median and p95 render time
per variant and their ratio (the target is under 2), and how long the worker takes to seal one
page's 320 records into the hash chain. SQLite, and PostgreSQL when
``AANHUIS_BENCH_POSTGRES_URL`` or ``AANHUIS_TEST_POSTGRES_URL`` is set.

    python -m benchmarks audit            # 15 renders per variant
    python -m benchmarks audit --quick    # 3 renders per variant
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import audit as api_audit
from api.app import create_app
from api.settings import Settings
from benchmarks.offers import _database, _postgres_url
from routing.travel import HaversineTravel
from scheduler import clock
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.audit import service as audit
from scheduler.audit.models import AuditRecord
from scheduler.booking.models import Visit, VisitStatus
from scheduler.capacity.models import Expert, TravelMode, WeeklyShift
from scheduler.catalog.models import ServiceType
from scheduler.day import locks as day_locks
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.db import make_engine, make_sessionmaker
from scheduler.migrate import upgrade
from scheduler.tenants.models import Municipality

EXPERTS, VISITS = 40, 8
#: A Tuesday; the clock is frozen the day before at 08:00 local.
DAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
CENTER = (52.0907, 5.1214)
TRAVEL = HaversineTravel()
SECRET = "bench-only-secret-" + "0123456789abcdef" * 2


def _point(rng: random.Random, around: tuple[float, float], km: float) -> tuple[float, float]:
    r, a = km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
    return (
        around[0] + r / 111.32 * math.cos(a),
        around[1] + r / (111.32 * math.cos(math.radians(around[0]))) * math.sin(a),
    )


def build(url: str) -> str:
    """Fill a migrated database with the bench town; returns a planner's token."""
    engine = make_engine(url)
    rng = random.Random(7)
    tz = clock.zone("Europe/Amsterdam")
    try:
        with make_sessionmaker(engine)() as session:
            m = Municipality(
                slug="bench",
                name="Gemeente Bankstad",
                timezone="Europe/Amsterdam",
                center_lat=CENTER[0],
                center_lon=CENTER[1],
                radius_km=15.0,
                email="aanhuis@bench.example",
                theme="utrecht",
            )
            session.add(m)
            session.flush()
            service = ServiceType(
                municipality_id=m.id,
                code="wmo-kort",
                name_nl="Kort Wmo-gesprek",
                name_en="Short support talk",
                duration_minutes=30,
                skill="wmo",
            )
            session.add(service)
            experts = []
            for i in range(EXPERTS):
                home = _point(rng, CENTER, 5.0)
                e = Expert(
                    municipality_id=m.id,
                    name=f"Expert {i:02d} Bank",
                    skills=["wmo"],
                    travel_mode=TravelMode.BIKE,
                    start_label="Thuis",
                    start_lat=home[0],
                    start_lon=home[1],
                    active=True,
                )
                e.shifts = [
                    WeeklyShift(weekday=d, start=dt.time(8), end=dt.time(17)) for d in range(7)
                ]
                experts.append(e)
            session.add_all(experts)
            session.flush()
            n = 0
            for e in experts:
                visits = []
                for k in range(VISITS):
                    lat, lon = _point(rng, (e.start_lat, e.start_lon), 0.8)
                    start = clock.at_local(DAY, dt.time(8 + k), tz)
                    n += 1
                    visits.append(
                        Visit(
                            municipality_id=m.id,
                            service_type_id=service.id,
                            reference=f"AH-B{n:03d}-{n:04d}",
                            manage_token_hash="0" * 64,
                            status=VisitStatus.BOOKED,
                            date=DAY,
                            window_start=start,
                            window_end=start + dt.timedelta(hours=1),
                            duration_minutes=30,
                            lat=lat,
                            lon=lon,
                            postcode="3511AB",
                            house_number=k + 1,
                            street="Bankstraat",
                            city="Utrecht",
                            citizen_name=f"Burger {n} de Test",
                            citizen_phone="0612345678",
                            ical_uid=f"b{n}@aanhuis",
                            created_at=NOW,
                            updated_at=NOW,
                        )
                    )
                session.add_all(visits)
                session.flush()
                row = day_locks.lock_expert_days(session, m, DAY, [e.id])[e.id]
                for v in visits:
                    v.expert_day_id, v.expert_id = row.id, e.id
                row.stops = [{"type": "visit", "id": v.id} for v in visits]
                session.flush()
                state = day_state.load_day(session, m, DAY, expert_ids=[e.id])
                route = state.stops(e.id)
                timed = day_timing.retime(state, e.id, route, TRAVEL)
                assert timed.feasible, timed.violations
                day_timing.write_route(session, state, row, route, timed)
            _, token = accounts.create(session, name="Planner", role=Role.PLANNER, municipality=m)
            session.commit()
            return token
    finally:
        engine.dispose()


@contextlib.contextmanager
def _audit_off() -> Iterator[None]:
    saved = api_audit.note, api_audit.note_ref
    api_audit.note = lambda *a, **k: None  # type: ignore[assignment]
    api_audit.note_ref = lambda *a, **k: None  # type: ignore[assignment]
    try:
        yield
    finally:
        api_audit.note, api_audit.note_ref = saved


def _measure(url: str, token: str, repeats: int) -> dict[str, Any]:
    settings = Settings(database_url=url, base_url="http://127.0.0.1:8000", secret_key=SECRET)
    app = create_app(settings)
    previous = clock.set_clock(lambda: NOW)
    out: dict[str, Any] = {}
    try:
        with TestClient(app, follow_redirects=False) as client:
            client.get("/login")
            csrf = client.cookies.get("aanhuis_csrf")
            signed = client.post("/login", data={"csrf": csrf, "token": token})
            assert signed.status_code == 303, signed.text[:200]
            page = f"/planner/bench/dag/{DAY.isoformat()}"
            for _ in range(2):  # warm up both paths (templates, caches)
                assert client.get(page).status_code == 200
                with _audit_off():
                    assert client.get(page).status_code == 200
            times: dict[str, list[float]] = {"on": [], "off": []}
            # Alternate the variants so a change in machine load hits both alike.
            for _ in range(repeats):
                for variant in ("off", "on"):
                    ctx = _audit_off() if variant == "off" else contextlib.nullcontext()
                    with ctx:
                        started = time.perf_counter()
                        answer = client.get(page)
                        times[variant].append(time.perf_counter() - started)
                    assert answer.status_code == 200
            with app.state.sessions() as session:
                records = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
                started = time.perf_counter()
                sealed = audit.seal(session, api_audit.keys(settings))
                seal_s = time.perf_counter() - started
                verdict = audit.verify(session, api_audit.keys(settings))
        for variant, values in times.items():
            values.sort()
            out[variant] = (statistics.median(values), values[int(0.95 * (len(values) - 1))])
        out["records"] = records
        out["per_page"] = records // (repeats + 2)
        out["seal"] = (sealed, seal_s)
        out["intact"] = verdict.intact
    finally:
        clock.set_clock(previous)
        app.state.engine.dispose()
    return out


def run(quick: bool) -> str:
    repeats = 3 if quick else 15
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        rows.append(("SQLite", _measure(url, build(url), repeats)))
    pg = _postgres_url()
    if pg:
        with _database(pg, f"aanhuis_audit_bench_{os.getpid()}") as url:
            upgrade(url)
            rows.append(("PostgreSQL", _measure(url, build(url), repeats)))
    lines = [
        f"## Day view with the access log ({EXPERTS} experts × {VISITS} visits)",
        "",
        f"{repeats} renders per variant, alternating; {platform.python_implementation()} "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}.",
        "",
        "| database | off: median / p95 | on: median / p95 | ratio (median) | records per "
        "page | seal (records, ms) | verify |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        off, on = r["off"], r["on"]
        lines.append(
            f"| {name} | {off[0] * 1000:.0f} / {off[1] * 1000:.0f} ms | {on[0] * 1000:.0f} / "
            f"{on[1] * 1000:.0f} ms | {on[0] / off[0]:.2f} | {r['per_page']} | "
            f"{r['seal'][0]}, {r['seal'][1] * 1000:.0f} | "
            f"{'intact' if r['intact'] else 'BROKEN'} |"
        )
    return "\n".join(lines)
