"""A small day a person can check by hand, for the route app's tests (domain, API and browser).

Teststad (Europe/Amsterdam) has two experts on bikes, both starting at the Stadskantoor and working
every day 08:00–17:00 with a 30-minute lunch break that starts between 12:00 and 13:30. Expert
Anouk has three visits, a few minutes' cycling apart:

====  ==============  ========  ===========================
 id    window          minutes   where
====  ==============  ========  ===========================
 V1    09:00–10:00     60        Oudegracht 12A
 V2    10:00–10:30     30        Twijnstraat 3 (tight window)
 V3    11:00–15:00     30        Biltstraat 40 (wide window)
====  ==============  ========  ===========================

planned in the order V1, V2, lunch, V3. Expert Bram has one visit (V4, 09:00–11:00). Arriving at V1
40 minutes late (09:40) ends it at 10:40, so V2 cannot be reached by 10:30 while V3 still can.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.travel import HaversineTravel
from scheduler import clock
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.booking.models import Visit, VisitEvent, VisitStatus
from scheduler.capacity.models import Expert, TravelMode, WeeklyShift
from scheduler.catalog.models import ServiceType
from scheduler.day import locks as day_locks
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.tenants.models import Municipality

AMS = ZoneInfo("Europe/Amsterdam")
TRAVEL = HaversineTravel()
#: A Monday in summer (CEST, UTC+2).
DAY = dt.date(2026, 6, 15)
OFFICE = (52.0894, 5.1103)


@dataclass
class World:
    municipality: Municipality
    anouk: Expert
    bram: Expert
    visits: dict[str, Visit]
    tokens: dict[str, str]
    date: dt.date


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """The UTC instant of a wall-clock time in Amsterdam."""
    return clock.at_local(day, dt.time.fromisoformat(hhmm), AMS)


def _expert(m: Municipality, name: str) -> Expert:
    expert = Expert(
        municipality_id=m.id,
        name=name,
        skills=["wmo"],
        travel_mode=TravelMode.BIKE,
        start_label="Stadskantoor",
        start_lat=OFFICE[0],
        start_lon=OFFICE[1],
        active=True,
    )
    expert.shifts = [
        WeeklyShift(
            weekday=d,
            start=dt.time(8, 0),
            end=dt.time(17, 0),
            break_earliest=dt.time(12, 0),
            break_latest=dt.time(13, 30),
            break_minutes=30,
        )
        for d in range(7)
    ]
    return expert


def _visit(
    m: Municipality,
    service: ServiceType,
    day: dt.date,
    window: tuple[str, str],
    minutes: int,
    where: tuple[float, float],
    street: str,
    number: int,
    ref: str,
    addition: str | None = None,
) -> Visit:
    now = clock.now()
    return Visit(
        municipality_id=m.id,
        service_type_id=service.id,
        reference=ref,
        manage_token_hash="0" * 64,
        status=VisitStatus.BOOKED,
        date=day,
        window_start=at(day, window[0]),
        window_end=at(day, window[1]),
        duration_minutes=minutes,
        lat=where[0],
        lon=where[1],
        postcode="3511AB",
        house_number=number,
        addition=addition,
        street=street,
        city="Utrecht",
        citizen_name="Jan de Vries",
        citizen_phone="0612345678",
        notes="Bel twee keer aan",
        ical_uid=f"{ref.lower()}@aanhuis",
        created_at=now,
        updated_at=now,
    )


def plan(
    session: Session, m: Municipality, expert: Expert, day: dt.date, order: Sequence[object]
) -> None:
    """Put visits (and ``"lunch"``) in this order in the expert's day and time it by replay."""
    row = day_locks.lock_expert_days(session, m, day, [expert.id])[expert.id]
    stops: list[dict[str, object]] = []
    for item in order:
        if item == "lunch":
            stops.append({"type": "break", "id": 1})
        else:
            assert isinstance(item, Visit)
            item.expert_day_id, item.expert_id = row.id, expert.id
            stops.append({"type": "visit", "id": item.id})
    row.stops = stops
    session.flush()
    state = day_state.load_day(session, m, day)
    route = state.stops(expert.id)
    timed = day_timing.retime(state, expert.id, route, TRAVEL)
    assert timed.feasible, timed.violations
    day_timing.write_route(session, state, row, route, timed)


def build(session: Session, day: dt.date = DAY) -> World:
    """Create Teststad with its experts, users and the planned day ``day`` (committed)."""
    m = Municipality(
        slug="teststad",
        name="Gemeente Teststad",
        timezone="Europe/Amsterdam",
        center_lat=52.0907,
        center_lon=5.1214,
        radius_km=10.0,
        email="huisbezoek@teststad.example",
        theme="utrecht",
    )
    session.add(m)
    session.flush()
    long = ServiceType(
        municipality_id=m.id,
        code="wmo-intake",
        name_nl="Keukentafelgesprek Wmo",
        name_en="Social support intake",
        duration_minutes=60,
        skill="wmo",
    )
    short = ServiceType(
        municipality_id=m.id,
        code="wmo-kort",
        name_nl="Kort Wmo-gesprek",
        name_en="Short support talk",
        duration_minutes=30,
        skill="wmo",
    )
    anouk, bram = _expert(m, "Anouk de Vries"), _expert(m, "Bram Jansen")
    session.add_all([long, short, anouk, bram])
    session.flush()
    v1 = _visit(
        m, long, day, ("09:00", "10:00"), 60, (52.0907, 5.1214), "Oudegracht", 12, "AH-V1", "a"
    )
    v2 = _visit(m, short, day, ("10:00", "10:30"), 30, (52.0870, 5.1240), "Twijnstraat", 3, "AH-V2")
    v3 = _visit(m, short, day, ("11:00", "15:00"), 30, (52.0930, 5.1330), "Biltstraat", 40, "AH-V3")
    v4 = _visit(m, long, day, ("09:00", "11:00"), 60, (52.0850, 5.1100), "Croeselaan", 8, "AH-V4")
    session.add_all([v1, v2, v3, v4])
    session.flush()
    for v in (v1, v2, v3, v4):
        session.add(VisitEvent(visit_id=v.id, status="booked", at=clock.now(), actor="citizen"))
    plan(session, m, anouk, day, [v1, v2, "lunch", v3])
    plan(session, m, bram, day, [v4])
    _, anouk_token = accounts.create(
        session, name="Anouk", role=Role.EXPERT, municipality=m, expert_id=anouk.id
    )
    _, bram_token = accounts.create(
        session, name="Bram", role=Role.EXPERT, municipality=m, expert_id=bram.id
    )
    _, planner_token = accounts.create(session, name="Planner", role=Role.PLANNER, municipality=m)
    session.commit()
    return World(
        municipality=m,
        anouk=anouk,
        bram=bram,
        visits={"V1": v1, "V2": v2, "V3": v3, "V4": v4},
        tokens={"anouk": anouk_token, "bram": bram_token, "planner": planner_token},
        date=day,
    )


def add_day(session: Session, world: World, day: dt.date) -> dict[str, Visit]:
    """Anouk's visits V1–V3 (same windows and places) on another date, planned the same way."""
    m = world.municipality
    services = {
        s.duration_minutes: s
        for s in session.scalars(select(ServiceType).where(ServiceType.municipality_id == m.id))
    }
    specs = {
        "V1": (("09:00", "10:00"), 60, (52.0907, 5.1214), "Oudegracht", 12),
        "V2": (("10:00", "10:30"), 30, (52.0870, 5.1240), "Twijnstraat", 3),
        "V3": (("11:00", "15:00"), 30, (52.0930, 5.1330), "Biltstraat", 40),
    }
    made: dict[str, Visit] = {}
    for name, (window, minutes, where, street, number) in specs.items():
        ref = f"AH-{name}-{day:%m%d}"
        made[name] = _visit(m, services[minutes], day, window, minutes, where, street, number, ref)
    session.add_all(made.values())
    session.flush()
    plan(session, m, world.anouk, day, [made["V1"], made["V2"], "lunch", made["V3"]])
    session.commit()
    return made
