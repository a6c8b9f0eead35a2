"""Property-based API tests with schemathesis against ``/openapi.json``.

For every operation of the citizen API and the planner day export: generated requests (valid and
invalid) never get a 5xx, and every response matches what the OpenAPI document declares for its
status code (status documented, content type, body schema, problem+json included). Next to fully
generated requests, each operation is also driven with the seeded demo's real slug, a real
booking with its manage token, a planner token, and plausible bodies, so the generated requests
reach past the first 404 into the code that answers 200, 409 and 410.

Examples per operation are few and derandomised, so this runs in seconds and the same way every
time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import citizen_world as world
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MINE = (
    ("POST", "/api/v1/municipalities/{slug}/offers"),
    ("POST", "/api/v1/municipalities/{slug}/bookings"),
    ("GET", "/api/v1/bookings/{reference}"),
    ("GET", "/api/v1/bookings/{reference}/invite.ics"),
    ("POST", "/api/v1/bookings/{reference}/reschedule"),
    ("POST", "/api/v1/bookings/{reference}/cancel"),
    ("GET", "/api/v1/bookings/{reference}/personal-data"),
    ("DELETE", "/api/v1/bookings/{reference}/personal-data"),
    ("GET", "/api/v1/municipalities/{slug}/days/{date}/routing-problem"),
    ("GET", "/api/v1/municipalities/{slug}/days/{date}/plan"),
)
SERVICES = ["wmo-intake", "id-bezorging", "overlijden-aan-huis", "schuldhulp-intake", "x"]


def _offer_bodies(homes: list[world.Home]) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly sensible offer requests: a real service, a register address or a nearby point."""
    where = st.one_of(
        st.sampled_from(homes).map(
            lambda h: {"address": {"postcode": h.postcode, "house_number": h.house_number}}
        ),
        st.builds(
            lambda lat, lon: {"location": {"lat": lat, "lon": lon}},
            st.floats(51.95, 52.25),
            st.floats(4.95, 5.3),
        ),
    )
    days = st.dates(dt.date(2026, 11, 25), dt.date(2027, 1, 10)).map(dt.date.isoformat)
    extra = st.fixed_dictionaries(
        {},
        optional={"earliest": days, "latest": days, "limit": st.integers(1, 50)},
    )
    return st.builds(
        lambda service, place, more: {"service": service, **place, **more},
        st.sampled_from(SERVICES),
        where,
        extra,
    )


def _booking_bodies(
    offer_ids: list[str], *, valid: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Bookings of real offers by citizens with plausible (unless ``valid``: some wrong) contact
    details."""
    phones = st.sampled_from(["06 12345678", "+31 20 1234567"] + ([] if valid else ["0612", None]))
    emails = st.sampled_from(["anna@example.nl"] + ([] if valid else ["not-an-address", None]))
    return st.builds(
        lambda offer, phone, email, notes: {
            "offer_id": offer,
            "citizen": {"name": "Anna", "phone": phone, "email": email},
            "notes": notes,
        },
        st.sampled_from(offer_ids),
        phones,
        emails,
        st.one_of(st.none(), st.text(max_size=40)),
    )


def _run(
    operation: Any,
    *,
    mode: GenerationMode,
    headers: dict[str, str],
    path_parameters: dict[str, Any] | None = None,
    bodies: st.SearchStrategy[Any] | None = None,
) -> dict[int, int]:
    """Drive one operation; returns how often each status was answered."""
    seen: dict[int, int] = {}

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(data: st.DataObject) -> None:
        kwargs: dict[str, Any] = {}
        if path_parameters:
            kwargs["path_parameters"] = path_parameters
        if bodies is not None:
            kwargs["body"] = data.draw(bodies)
        case = data.draw(operation.as_strategy(mode, **kwargs))
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    run()
    return seen


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_api_keeps_to_its_schema(db_url: str) -> None:
    """No 5xx and no response outside the documented statuses, media types and schemas."""
    with world.frozen_clock() as now, world.seeded("sqlite", db_url) as url:
        planner = {"Authorization": f"Bearer {world.planner_token(url)}"}
        app = create_app(Settings(database_url=url, smtp_host=None))
        with TestClient(app) as client:
            from scheduler.db import make_engine, make_sessionmaker

            engine = make_engine(url)
            with make_sessionmaker(engine)() as session:
                homes = world.addresses(session, 40, seed=17)
            engine.dispose()
            offer_ids = [
                o["id"]
                for h in homes[:6]
                for o in world.ask(client, h, latest="2026-12-04").json()["offers"]
            ]
            booking = world.book(client, offer_ids.pop()).json()
            manage = {"Authorization": f"Bearer {booking['manage_token']}"}
            moves = [
                o["id"]
                for o in client.post(
                    f"/api/v1/municipalities/{world.SLUG}/offers",
                    json={"reschedule_of": booking["reference"], "latest": "2026-12-04"},
                    headers=manage,
                ).json()["offers"]
            ]
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = {
            (r.ok().method.upper(), r.ok().path): r.ok() for r in schema.get_all_operations()
        }
        missing = [m for m in MINE if m not in operations]
        assert missing == [], "operations missing from /openapi.json"

        plans: list[tuple[str, Callable[[], dict[int, int]]]] = []
        for method, path in MINE:
            op = operations[(method, path)]
            auth = manage if path.startswith("/api/v1/bookings") else planner
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                plans.append(
                    (
                        f"{method} {path} {mode.value}",
                        lambda op=op, mode=mode: _run(op, mode=mode, headers={}),
                    )
                )
            params: dict[str, Any] = {}
            if "{slug}" in path:
                params["slug"] = world.SLUG
            if "{reference}" in path:
                params["reference"] = booking["reference"]
            if "{date}" in path:
                params["date"] = world.DAY.isoformat()
            bodies: st.SearchStrategy[Any] | None = None
            if path.endswith("/offers"):
                bodies = _offer_bodies(homes)
            elif path.endswith("/bookings"):
                bodies = _booking_bodies(offer_ids)
            elif path.endswith("/reschedule"):
                bodies = st.sampled_from(moves).map(lambda offer: {"offer_id": offer})
            plans.append(
                (
                    f"{method} {path} seeded",
                    lambda op=op, auth=auth, params=params, bodies=bodies: _run(
                        op,
                        mode=GenerationMode.POSITIVE,
                        headers=auth,
                        path_parameters=params,
                        bodies=bodies,
                    ),
                )
            )
        # Last: offers that expired meanwhile (410 with alternatives, checked like the rest).
        bookings = operations[("POST", "/api/v1/municipalities/{slug}/bookings")]

        def expired() -> dict[int, int]:
            now[0] += dt.timedelta(minutes=11)
            return _run(
                bookings,
                mode=GenerationMode.POSITIVE,
                headers={},
                path_parameters={"slug": world.SLUG},
                bodies=_booking_bodies(offer_ids, valid=True),
            )

        plans.append(("POST bookings expired", expired))
        failures: list[str] = []
        answered: dict[str, dict[int, int]] = {}
        for label, plan in plans:
            try:
                answered[label] = plan()
            except (Exception, BaseExceptionGroup) as exc:  # try all operations, report all
                failures.append(f"{label}: {type(exc).__name__}: {exc}")
        app.state.engine.dispose()
    assert failures == [], "\n\n".join(failures)
    # The seeded runs got past the first 404: real answers were checked against the schema.
    reached = {label: codes for label, codes in answered.items() if label.endswith("seeded")}
    assert any(200 in c for label, c in reached.items() if "/offers" in label), reached
    assert any(201 in c for label, c in reached.items() if "/bookings " in label), reached
    assert 410 in answered["POST bookings expired"], answered["POST bookings expired"]
    for label, codes in reached.items():
        if label.startswith("GET"):
            assert 200 in codes, (label, codes)


def _expert_token(url: str) -> str:
    """A user for the demo's first expert, and its bearer token."""
    from scheduler.accounts import service as accounts
    from scheduler.accounts.models import Role
    from scheduler.day import shifts as day_shifts
    from scheduler.db import make_engine, make_sessionmaker
    from scheduler.tenants import service as tenants

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            m = tenants.get_by_slug(session, world.SLUG)
            expert = day_shifts.get_experts(session, municipality=m)[0]
            _, token = accounts.create(
                session, name="Expert", role=Role.EXPERT, municipality=m, expert_id=expert.id
            )
            session.commit()
    finally:
        engine.dispose()
    return token


#: Operations whose generated requests would run the optimiser for seconds each: covered by
#: their own API tests; here only with requests that are refused before solving.
SLOW = {
    ("POST", "/api/v1/municipalities/{slug}/days/{date}/optimize"),
    ("POST", "/api/v1/municipalities/{slug}/rota/proposals"),
}


def _explain(exc: BaseException) -> str:
    """The error with the errors inside it (a flaky or grouped failure hides the real one)."""
    text = f"{type(exc).__name__}: {exc}"
    for inner in getattr(exc, "exceptions", ()):
        text += "\n  - " + _explain(inner).replace("\n", "\n    ")
    return text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_other_operation_keeps_to_its_schema(db_url: str) -> None:
    """The rest of the API (capacity, desk, planning, expert app, feeds, health): no 5xx, and
    every answer is documented (status, media type, body schema), for generated requests both
    anonymous and with the right role's token on the demo municipality."""
    with world.frozen_clock(), world.seeded("sqlite", db_url) as url:
        planner = {"Authorization": f"Bearer {world.planner_token(url)}"}
        expert = {"Authorization": f"Bearer {_expert_token(url)}"}
        app = create_app(Settings(database_url=url, smtp_host=None))
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = {
            (r.ok().method.upper(), r.ok().path): r.ok() for r in schema.get_all_operations()
        }
        others = sorted(set(operations) - set(MINE))
        assert len(others) > 20, others
        failures: list[str] = []
        answered: dict[str, dict[int, int]] = {}
        for method, path in others:
            op = operations[(method, path)]
            auth = expert if path.startswith(("/api/v1/me", "/api/v1/visits")) else planner
            params: dict[str, Any] = {}
            if "{slug}" in path:
                params["slug"] = world.SLUG
            if "{date}" in path:
                params["date"] = world.DAY.isoformat()
            runs = [("anonymous", GenerationMode.NEGATIVE, {}, None)]
            if (method, path) not in SLOW:
                runs.append(("authorised", GenerationMode.POSITIVE, auth, params or None))
            for label, mode, headers, path_parameters in runs:
                name = f"{method} {path} {label}"
                try:
                    answered[name] = _run(
                        op, mode=mode, headers=headers, path_parameters=path_parameters
                    )
                except Unsatisfiable:
                    # No invalid request exists (only free-text path parameters): nothing to send.
                    assert mode is GenerationMode.NEGATIVE, name
                except (Exception, BaseExceptionGroup) as exc:  # report every operation
                    failures.append(f"{name}: {_explain(exc)}")
        app.state.engine.dispose()
    assert failures == [], "\n\n".join(failures)
    # With a token on the demo municipality, some generated requests get real answers.
    assert any(200 in codes for label, codes in answered.items() if "authorised" in label)
