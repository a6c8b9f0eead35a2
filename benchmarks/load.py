"""Load test: offers and bookings against ``aanhuis serve --workers 2`` on PostgreSQL.

The tenant is the demo with 12 experts over 14 days, 30% booked, seeded once on the real clock
into a template database; every run gets a fresh copy. Each client is a **process of its own**
(the load generator never shares a GIL with the server or with other clients) that repeats: ask
offers for a random register address and service, book one of them (with an Idempotency-Key).
Rate limits are off (one address makes all the requests).

Reported per number of clients (1, 4, 8), as the median of 3 runs of ``seconds`` each: bookings
per second, booking latency p50/p95/p99, offer latency p50, refusals (409: a competitor took the
window first), errors (anything else), and CPU use in cores: the server processes, the clients
and PostgreSQL (its backends), next to the machine's load average. Needs
``AANHUIS_BENCH_POSTGRES_URL`` (or ``AANHUIS_TEST_POSTGRES_URL``); skipped without.

    python -m benchmarks load            # 3 × 20 s per row
    python -m benchmarks load --quick    # one 5 s run with 2 clients
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from benchmarks import load_client
from benchmarks.offers import (
    LIMITS_OFF_ENV,
    _database,
    _free_port,
    _percentile,
    _postgres_url,
)
from scheduler import demo
from scheduler.addresses.models import Address
from scheduler.catalog.models import ServiceType
from scheduler.db import make_engine, make_sessionmaker

SIZE = demo.DemoSize(experts=12, days=14, fill=0.3)
QUICK_SIZE = demo.DemoSize(experts=6, days=7, fill=0.2)
WORKERS = 2
CLIENTS = (1, 4, 8)
RUNS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: On a machine shared with other work, ``AANHUIS_BENCH_NICE=-10`` (as root) runs the server, the
#: clients and their PostgreSQL backends at that priority, so the numbers measure this system
#: rather than what else the machine is doing (the table says when it was used).
NICE = int(os.environ.get("AANHUIS_BENCH_NICE", "0"))


def _prioritise(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, NICE)
        except OSError:
            continue


def _backends(url: str) -> list[int]:
    """The PostgreSQL backend processes serving database ``url``."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = make_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        ).scalars()
        found = [int(p) for p in pids]
    engine.dispose()
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of processes (and their reaped children) from /proc."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime are fields 14-17 (1-based); after ")" index 11-14.
        total += sum(int(v) for v in fields[11:15]) / CLK_TCK
    return total


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _postgres_pids() -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() in ("postgres", "postmaster"):
                pids.append(int(stat.parent.name))
        except OSError:
            continue
    return pids


def _gather(results: Any, procs: list[Any], timeout: float) -> list[dict[str, Any]]:
    """Every client's results; fails (instead of hanging) when a client process died."""
    gathered: list[dict[str, Any]] = []
    deadline = time.time() + timeout
    while len(gathered) < len(procs):
        try:
            gathered.append(results.get(timeout=1))
        except queue.Empty:
            dead = [p.exitcode for p in procs if not p.is_alive() and p.exitcode]
            if dead or time.time() > deadline:
                raise RuntimeError(f"client processes failed (exit codes {dead})") from None
    return gathered


def one_run(url: str, clients: int, seconds: float) -> dict[str, Any]:
    """One measurement on database ``url`` with ``clients`` client processes."""
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
        "AANHUIS_LOG_LEVEL": "INFO",  # as in production: one JSON access line per request
    }
    env.pop("AANHUIS_SMTP_HOST", None)
    aanhuis = Path(sys.executable).with_name("aanhuis")
    api = f"http://127.0.0.1:{port}/api/v1/municipalities/demo"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [str(aanhuis), "serve", "--workers", str(WORKERS), "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Every worker process must be up (each logs its start-up as a JSON line): under load
            # a worker can take many seconds to import, while another already answers.
            deadline = time.monotonic() + 300
            while True:
                log.seek(0)
                up = log.read().decode(errors="replace").count("Application startup complete")
                if up >= WORKERS:
                    break
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("server did not start: " + log.read().decode()[-2000:])
                time.sleep(0.3)
            with httpx.Client(timeout=60) as warm:  # each worker's caches, as when running
                for i in range(WORKERS * 6):
                    postcode, number = homes[i]
                    warm.post(
                        f"{api}/offers",
                        json={
                            "service": services[i % len(services)],
                            "address": {"postcode": postcode, "house_number": number},
                        },
                    )
            context = mp.get_context("spawn")
            results, ready, go = context.Queue(), context.Queue(), context.Event()
            procs = [
                context.Process(
                    target=load_client.run_client,
                    args=(k, api, homes, services, ready, go, seconds, results),
                )
                for k in range(clients)
            ]
            for p in procs:
                p.start()
            for _ in procs:  # every client started and connected: then all begin at once
                ready.get(timeout=300)
            server_pids = [server.pid, *_children(server.pid)]
            if NICE:
                _prioritise([*server_pids, *(p.pid for p in procs if p.pid), *_backends(url)])
            pg_pids = _postgres_pids()
            server_cpu, pg_cpu = _cpu_seconds(server_pids), _cpu_seconds(pg_pids)
            load_before = os.getloadavg()[0]
            go.set()
            gathered = _gather(results, procs, seconds + 300)
            server_cpu = _cpu_seconds(server_pids) - server_cpu
            pg_cpu = _cpu_seconds(pg_pids) - pg_cpu
            for p in procs:
                p.join()
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    booked = [x for g in gathered for x in g["booked"]]
    refused = [x for g in gathered for x in g["refused"]]
    offered = [x for g in gathered for x in g["offers"]]
    nan = float("nan")
    return {
        "clients": clients,
        "per_second": len(booked) / seconds,
        "booked": len(booked),
        "refused": len(refused),
        "errors": sum(len(g["errors"]) for g in gathered),
        "p50": statistics.median(booked) if booked else nan,
        "p95": _percentile(booked, 95) if booked else nan,
        "p99": _percentile(booked, 99) if booked else nan,
        "offers_p50": statistics.median(offered) if offered else nan,
        "server_cpu": server_cpu / seconds,
        "client_cpu": sum(g["cpu"] for g in gathered) / seconds,
        "db_cpu": pg_cpu / seconds,
        "load": load_before,
    }


def measure(
    base_url: str, size: demo.DemoSize, clients: tuple[int, ...], runs: int, seconds: float
) -> list[dict[str, Any]]:
    """The median run (by bookings per second) of ``runs`` for each number of clients."""
    from api.commands.seed import seed_demo

    template = f"aanhuis_load_tpl_{os.getpid()}"
    rows = []
    with _database(base_url, template) as url:
        seed_demo(url, size, quiet=True)
        for n in clients:
            done = []
            for r in range(runs):
                with _database(base_url, f"aanhuis_load_{os.getpid()}_{r}", template) as copy:
                    done.append(one_run(copy, n, seconds))
            done.sort(key=lambda d: d["per_second"])
            median = dict(done[len(done) // 2])
            median["runs"] = [round(d["per_second"], 1) for d in done]
            rows.append(median)
    return rows


def run(quick: bool) -> str:
    """The load table as a Markdown section."""
    base = _postgres_url()
    lines = ["## Load: offers and bookings against a live server", ""]
    if base is None:
        return "\n".join([*lines, "Skipped: set AANHUIS_BENCH_POSTGRES_URL."])
    size = QUICK_SIZE if quick else SIZE
    clients = (2,) if quick else CLIENTS
    runs, seconds = (1, 5.0) if quick else (RUNS, 20.0)
    load_start = os.getloadavg()
    rows = measure(base, size, clients, runs, seconds)
    lines += [
        f"`aanhuis serve --workers {WORKERS}` on PostgreSQL; demo tenant with {size.experts} "
        f"experts over {size.days} days, {size.fill:.0%} booked at the start; every client a "
        "process of its own repeating offers + booking; median of "
        f"{runs} run(s) of {seconds:.0f} s per row. Machine: {os.cpu_count()} cores shared "
        f"with other work, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}; load average at the start {load_start[0]:.2f} "
        f"(1 min), {load_start[1]:.2f} (5 min)"
        + (f"; server, clients and their PostgreSQL backends at nice {NICE}" if NICE else "")
        + ". CPU columns are cores in use during the run.",
        "",
        "| clients | bookings/s (runs) | booked | refused (409) | errors | p50 ms | p95 ms "
        "| p99 ms | offers p50 ms | CPU server | CPU clients | CPU PostgreSQL | load avg |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['clients']} | {r['per_second']:.1f} ({', '.join(map(str, r['runs']))}) "
        f"| {r['booked']} | {r['refused']} | {r['errors']} | {r['p50']:.0f} | {r['p95']:.0f} "
        f"| {r['p99']:.0f} | {r['offers_p50']:.0f} | {r['server_cpu']:.2f} "
        f"| {r['client_cpu']:.2f} | {r['db_cpu']:.2f} | {r['load']:.2f} |"
        for r in rows
    ]
    return "\n".join(lines)
