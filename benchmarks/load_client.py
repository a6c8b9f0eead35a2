"""The load generator's client process (``benchmarks/load.py``): imports httpx only, so a client
starts fast and its CPU is only what making the requests costs."""

from __future__ import annotations

import os
import random
import time
from typing import Any

import httpx


def citizen(
    client: httpx.Client,
    api: str,
    rng: random.Random,
    homes: list[tuple[str, int]],
    services: list[str],
    key: str,
    out: dict[str, list[Any]],
) -> None:
    """One citizen: offers for a random address and service, then book one of them."""
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
    if answer.status_code != 200:
        out["errors"].append(answer.status_code)
        return
    out["offers"].append((t1 - t0) * 1000)
    found = answer.json()["offers"]
    if not found:
        return
    answer = client.post(
        f"{api}/bookings",
        json={
            "offer_id": rng.choice(found)["id"],
            "citizen": {"name": "Load test", "phone": "0612345678"},
        },
        headers={"Idempotency-Key": key},
    )
    took = (time.perf_counter() - t1) * 1000
    if answer.status_code == 201:
        out["booked"].append(took)
    elif answer.status_code == 409:
        out["refused"].append(took)
    else:
        out["errors"].append(answer.status_code)


def run_client(
    k: int,
    api: str,
    homes: list[tuple[str, int]],
    services: list[str],
    ready: Any,
    go: Any,
    seconds: float,
    results: Any,
) -> None:
    """Connect, say ready, wait for the start, then one citizen after another for ``seconds``."""
    rng = random.Random(k)
    out: dict[str, list[Any]] = {"offers": [], "booked": [], "refused": [], "errors": []}
    with httpx.Client(timeout=120) as client:
        client.get(api.split("/api/")[0] + "/healthz")  # connected
        ready.put(k)
        go.wait()
        started, cpu = time.monotonic(), os.times()
        n = 0
        while time.monotonic() - started < seconds:
            n += 1
            try:
                citizen(client, api, rng, homes, services, f"load-{k}-{n}", out)
            except (httpx.HTTPError, ValueError) as exc:  # counted, never the end of a client
                out["errors"].append(type(exc).__name__)
        used = os.times()
    results.put({**out, "cpu": used.user + used.system - cpu.user - cpu.system})
