"""The expert's route app: the day as the plan has it, status changes, and re-timing when late.

The day is the hand-checkable one of ``route_app_world``: Anouk visits V1 (09:00–10:00, 60 min),
V2 (10:00–10:30, 30 min), lunch, V3 (11:00–15:00, 30 min); Bram visits V4.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from route_app_world import AMS, DAY, TRAVEL, World, at, build
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from routing.model import StepType
from scheduler import clock
from scheduler.booking.models import Visit, VisitEvent, VisitStatus
from scheduler.day import locks as day_locks
from scheduler.day import state as day_state
from scheduler.day import timing as day_timing
from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.planning.models import ExpertDay, PlanningDay
from scheduler.route_app import schemas as route_app_schemas
from scheduler.route_app import service as route_app

Clock = Callable[[dt.datetime], None]


@pytest.fixture
def set_time() -> Iterator[Clock]:
    """Freeze the clock at an instant (changeable during the test); restored afterwards."""
    now = [at(DAY, "07:00")]
    previous = clock.set_clock(lambda: now[0])

    def _set(instant: dt.datetime) -> None:
        now[0] = instant

    yield _set
    clock.set_clock(previous)


@pytest.fixture
def world(session: Session, set_time: Clock) -> World:
    return build(session)


def change(
    session: Session, world: World, name: str, status: VisitStatus, **kwargs: object
) -> route_app_schemas.VisitStop:
    """Anouk (or ``expert=``) sets the status of visit ``name``."""
    expert = kwargs.pop("expert", world.anouk)
    return route_app.change_status(
        session,
        municipality=world.municipality,
        expert=expert,  # type: ignore[arg-type]
        visit_id=world.visits[name].id,
        status=status,
        at=kwargs.pop("at", None),  # type: ignore[arg-type]
        travel=TRAVEL,
    )


def route(session: Session, world: World, expert: object = None) -> route_app_schemas.RouteRead:
    return route_app.get_route(
        session,
        municipality=world.municipality,
        expert=expert or world.anouk,  # type: ignore[arg-type]
        date=world.date,
        travel=TRAVEL,
    )


def visit_stops(r: route_app_schemas.RouteRead) -> dict[str, route_app_schemas.VisitStop]:
    return {
        s.reference.removeprefix("AH-"): s
        for s in r.stops
        if isinstance(s, route_app_schemas.VisitStop)
    }


def local(instant: dt.datetime | None) -> str:
    assert instant is not None
    return instant.astimezone(AMS).strftime("%H:%M")


# -- the day as planned ---------------------------------------------------------------------------


def test_route_order_and_times_equal_the_replayed_plan(session: Session, world: World) -> None:
    """Stops come in the plan's order with the times, legs and break that replay gives."""
    r = route(session, world)
    state = day_state.load_day(session, world.municipality, DAY)
    order = state.stops(world.anouk.id)
    timed = day_timing.retime(state, world.anouk.id, order, TRAVEL)
    assert timed.feasible
    assert [(s.kind, s.visit_id if s.kind == "visit" else s.break_id) for s in r.stops] == [
        ("visit" if k is StepType.VISIT else "break", i) for k, i in order
    ]
    steps = [s for s in timed.route.steps if s.type in (StepType.VISIT, StepType.BREAK)]
    points = [state.expert_point(world.anouk.id)]
    for stop, step in zip(r.stops, steps, strict=True):
        if isinstance(stop, route_app_schemas.VisitStop):
            assert stop.planned_arrival == state.instant(step.arrival)
            assert stop.planned_start == state.instant(step.service_start)
            assert stop.planned_end == state.instant(step.departure)
            here = (stop.location.lon, stop.location.lat)
            assert stop.travel_seconds == int(TRAVEL.durations([points[-1]], [here], "bike")[0, 0])
            assert stop.travel_seconds > 0
            points.append(here)
        else:
            assert stop.planned_start == state.instant(step.service_start)
            assert stop.minutes == 30
    assert r.travel_seconds == timed.route.travel
    assert r.end.arrival == state.instant(timed.route.steps[-1].arrival)
    assert r.start.departure == state.instant(timed.route.steps[0].arrival)
    assert r.at_risk == [] and not r.ends_after_shift
    # The hand-checked plan: leave to be at V1 at nine, V2 just after ten, lunch at noon.
    stops = visit_stops(r)
    assert local(stops["V1"].planned_arrival) == "09:00"
    assert local(stops["V2"].planned_arrival) == "10:03"
    assert local(r.stops[2].planned_start) == "12:00"


@pytest.mark.parametrize("day", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_route_on_a_dst_day_keeps_local_times(
    session: Session, set_time: Clock, day: dt.date
) -> None:
    """On the 23- and 25-hour days the promised and planned times are the local ones."""
    set_time(at(day, "07:00"))
    w = build(session, day)
    stops = visit_stops(route(session, w))
    assert local(stops["V1"].window.start) == "09:00"
    assert local(stops["V1"].planned_arrival) == "09:00"
    assert stops["V1"].window.start.utcoffset() == (
        dt.timedelta(hours=2) if day.month == 3 else dt.timedelta(hours=1)
    )


def test_an_expert_sees_only_their_own_visits(session: Session, world: World) -> None:
    """Bram's route holds V4 only; Anouk's holds V1–V3 and never V4."""
    assert set(visit_stops(route(session, world, world.bram))) == {"V4"}
    assert set(visit_stops(route(session, world))) == {"V1", "V2", "V3"}


def test_navigation_links_carry_the_coordinates(session: Session, world: World) -> None:
    """Each stop links to its own coordinates; OpenStreetMap's route starts at the stop before."""
    stops = visit_stops(route(session, world))
    v1, v2 = stops["V1"], stops["V2"]
    assert v2.navigation.geo == "geo:52.087000,5.124000"
    assert "destination=52.087000,5.124000" in v2.navigation.google_maps
    assert "travelmode=bicycling" in v2.navigation.google_maps
    assert "route=52.090700,5.121400;52.087000,5.124000" in v2.navigation.openstreetmap
    assert "route=52.089400,5.110300;" in v1.navigation.openstreetmap


def test_another_experts_visit_is_not_found(session: Session, world: World) -> None:
    """Bram cannot change Anouk's visit, nor anyone a visit that does not exist; nothing changes."""
    with pytest.raises(NotFound):
        change(session, world, "V1", VisitStatus.ON_THE_WAY, expert=world.bram)
    session.rollback()
    with pytest.raises(NotFound):
        route_app.change_status(
            session,
            municipality=world.municipality,
            expert=world.anouk,
            visit_id=99999,
            status=VisitStatus.ARRIVED,
            at=None,
            travel=TRAVEL,
        )
    session.rollback()
    assert session.get(Visit, world.visits["V1"].id).status is VisitStatus.BOOKED  # type: ignore[union-attr]


# -- transitions ----------------------------------------------------------------------------------

OK, NO = True, False


@pytest.mark.parametrize(
    ("steps", "last_ok"),
    [
        (["on_the_way", "arrived", "completed"], OK),
        (["arrived", "completed"], OK),
        (["on_the_way", "not_home"], OK),
        (["arrived", "not_home"], OK),
        (["completed"], NO),
        (["not_home"], NO),
        (["on_the_way", "on_the_way"], NO),
        (["on_the_way", "completed"], NO),
        (["arrived", "completed", "completed"], NO),
        (["arrived", "not_home", "completed"], NO),
        (["arrived", "on_the_way"], NO),
    ],
)
def test_status_transitions(
    session: Session, world: World, set_time: Clock, steps: list[str], last_ok: bool
) -> None:
    """Only forward steps are accepted; a refused one (409) leaves the status as it was."""
    set_time(at(DAY, "09:00"))
    for step in steps[:-1]:
        change(session, world, "V1", VisitStatus(step))
    before = session.get(Visit, world.visits["V1"].id)
    assert before is not None
    status_before = before.status
    if last_ok:
        stop = change(session, world, "V1", VisitStatus(steps[-1]))
        assert stop.status is VisitStatus(steps[-1])
    else:
        with pytest.raises(Conflict):
            change(session, world, "V1", VisitStatus(steps[-1]))
        session.rollback()
        session.refresh(before)
        assert before.status is status_before


def test_status_change_records_an_event_and_bumps_versions(
    session: Session, world: World, set_time: Clock
) -> None:
    """An accepted change is in the visit's history (by the expert, at the given time) and makes
    the day's version and the expert-day's version go up."""
    version = session.scalar(select(PlanningDay.version).where(PlanningDay.date == DAY)) or 0
    row = session.scalar(select(ExpertDay).where(ExpertDay.expert_id == world.anouk.id))
    assert row is not None
    row_version = row.version
    set_time(at(DAY, "09:30"))
    change(session, world, "V1", VisitStatus.ARRIVED, at=at(DAY, "09:10"))
    event = session.scalar(
        select(VisitEvent).where(
            VisitEvent.visit_id == world.visits["V1"].id, VisitEvent.status == "arrived"
        )
    )
    assert event is not None
    assert event.at == at(DAY, "09:10")
    assert event.actor == f"expert:{world.anouk.id}"
    assert session.scalar(select(PlanningDay.version).where(PlanningDay.date == DAY)) == version + 1
    session.refresh(row)
    assert row.version == row_version + 1


@pytest.mark.parametrize(
    ("when", "why"),
    [
        (lambda: at(DAY, "09:02"), "future"),
        (lambda: at(DAY - dt.timedelta(days=1), "23:59"), "before the day"),
    ],
)
def test_times_in_the_future_or_before_the_day_are_refused(
    session: Session, world: World, set_time: Clock, when: Callable[[], dt.datetime], why: str
) -> None:
    """``at`` more than a minute ahead, or before the visit's local day, is invalid input."""
    set_time(at(DAY, "09:00"))
    with pytest.raises(InvalidInput):
        change(session, world, "V1", VisitStatus.ON_THE_WAY, at=when())
    session.rollback()
    # Within a minute ahead is fine: phone and server clocks differ a little.
    stop = change(
        session, world, "V1", VisitStatus.ON_THE_WAY, at=at(DAY, "09:00") + dt.timedelta(seconds=50)
    )
    assert stop.status is VisitStatus.ON_THE_WAY


def test_a_time_before_the_previous_status_is_refused(
    session: Session, world: World, set_time: Clock
) -> None:
    """Arrived at 09:10 cannot be followed by completed at 09:05."""
    set_time(at(DAY, "09:30"))
    change(session, world, "V1", VisitStatus.ARRIVED, at=at(DAY, "09:10"))
    with pytest.raises(InvalidInput):
        change(session, world, "V1", VisitStatus.COMPLETED, at=at(DAY, "09:05"))
    session.rollback()


def test_one_visit_at_a_time(session: Session, world: World, set_time: Clock) -> None:
    """While V1 is in progress, starting V2 is a conflict; after V1 is completed it is fine."""
    set_time(at(DAY, "09:00"))
    change(session, world, "V1", VisitStatus.ARRIVED)
    with pytest.raises(Conflict):
        change(session, world, "V2", VisitStatus.ON_THE_WAY)
    session.rollback()
    set_time(at(DAY, "10:00"))
    change(session, world, "V1", VisitStatus.COMPLETED)
    assert change(session, world, "V2", VisitStatus.ON_THE_WAY).status is VisitStatus.ON_THE_WAY


# -- running late ---------------------------------------------------------------------------------


def test_running_late_flags_only_promises_that_cannot_be_kept(
    session: Session, world: World, set_time: Clock
) -> None:
    """Arriving at V1 40 minutes late re-times the rest: V2 (by 10:30) is at risk, V3 is not."""
    set_time(at(DAY, "09:40"))
    change(session, world, "V1", VisitStatus.ARRIVED)
    r = route(session, world)
    stops = visit_stops(r)
    leg = stops["V2"].travel_seconds
    assert stops["V1"].planned_arrival == at(DAY, "09:40")
    assert stops["V1"].planned_end == at(DAY, "10:40")
    assert stops["V2"].planned_arrival == at(DAY, "10:40") + dt.timedelta(seconds=leg)
    assert local(stops["V2"].planned_arrival) == "10:43"
    assert stops["V2"].at_risk
    assert not stops["V1"].at_risk and not stops["V3"].at_risk
    assert stops["V3"].planned_arrival is not None
    assert stops["V3"].planned_arrival <= stops["V3"].window.end
    assert r.at_risk == [world.visits["V2"].id]
    # Planners read the flags from the database.
    flags = {v.reference: v.at_risk for v in session.scalars(select(Visit))}
    assert flags == {"AH-V1": False, "AH-V2": True, "AH-V3": False, "AH-V4": False}


def test_the_flag_clears_when_the_day_is_safe_again(
    session: Session, world: World, set_time: Clock
) -> None:
    """Finishing V1 quickly (10:05) brings V2 back within its window: no visit is at risk."""
    set_time(at(DAY, "09:40"))
    change(session, world, "V1", VisitStatus.ARRIVED)
    assert session.get(Visit, world.visits["V2"].id).at_risk  # type: ignore[union-attr]
    set_time(at(DAY, "10:05"))
    change(session, world, "V1", VisitStatus.COMPLETED)
    r = route(session, world)
    stops = visit_stops(r)
    assert not any(s.at_risk for s in stops.values())
    assert r.at_risk == []
    assert stops["V2"].planned_arrival == at(DAY, "10:05") + dt.timedelta(
        seconds=stops["V2"].travel_seconds
    )
    assert stops["V1"].status is VisitStatus.COMPLETED
    assert stops["V1"].actual.arrived == at(DAY, "09:40")
    assert stops["V1"].actual.finished == at(DAY, "10:05")


def test_on_the_way_late_forecasts_arrival_one_leg_later(
    session: Session, world: World, set_time: Clock
) -> None:
    """Leaving for V1 at 09:50 forecasts V1 one leg later and puts V2 at risk before arrival."""
    set_time(at(DAY, "09:50"))
    change(session, world, "V1", VisitStatus.ON_THE_WAY)
    stops = visit_stops(route(session, world))
    assert stops["V1"].planned_arrival == at(DAY, "09:50") + dt.timedelta(
        seconds=stops["V1"].travel_seconds
    )
    assert not stops["V1"].at_risk  # 09:55 is still inside 09:00–10:00
    assert stops["V2"].at_risk


def test_late_arrival_past_the_window_is_not_at_risk_but_its_successors_are(
    session: Session, world: World, set_time: Clock
) -> None:
    """A visit the expert has reached is never flagged (the promise is settled either way)."""
    set_time(at(DAY, "10:20"))
    change(session, world, "V1", VisitStatus.ARRIVED)
    stops = visit_stops(route(session, world))
    assert not stops["V1"].at_risk
    assert stops["V2"].at_risk


def test_a_visit_started_out_of_order_moves_ahead(
    session: Session, world: World, set_time: Clock
) -> None:
    """Arriving at V2 first puts it before V1; V1 is then forecast after V2 and still on time."""
    set_time(at(DAY, "09:05"))
    change(session, world, "V2", VisitStatus.ARRIVED)
    r = route(session, world)
    names = [s.reference for s in r.stops if isinstance(s, route_app_schemas.VisitStop)]
    assert names == ["AH-V2", "AH-V1", "AH-V3"]
    stops = visit_stops(r)
    assert stops["V1"].planned_arrival == at(DAY, "09:35") + dt.timedelta(
        seconds=stops["V1"].travel_seconds
    )
    assert not stops["V1"].at_risk
    row = session.scalar(select(ExpertDay).where(ExpertDay.expert_id == world.anouk.id))
    assert row is not None
    assert [s["id"] for s in row.stops if s["type"] == "visit"] == [
        world.visits[n].id for n in ("V2", "V1", "V3")
    ]


@pytest.mark.parametrize(("left", "lunch_before_v3"), [("12:40", True), ("11:10", False)])
def test_lunch_counts_as_taken_only_if_planned_before_the_next_start(
    session: Session, world: World, set_time: Clock, left: str, lunch_before_v3: bool
) -> None:
    """Leaving for V3 after lunch's planned start means lunch was taken; before it, lunch waits."""
    set_time(at(DAY, "09:00"))
    change(session, world, "V1", VisitStatus.ARRIVED)
    set_time(at(DAY, "10:00"))
    change(session, world, "V1", VisitStatus.COMPLETED)
    set_time(at(DAY, "10:05"))
    change(session, world, "V2", VisitStatus.ARRIVED, at=at(DAY, "10:03"))
    set_time(at(DAY, "10:30"))
    change(session, world, "V2", VisitStatus.COMPLETED)
    set_time(at(DAY, left))
    change(session, world, "V3", VisitStatus.ON_THE_WAY)
    kinds = [s.kind for s in route(session, world).stops]
    assert kinds == (
        ["visit", "visit", "break", "visit"]
        if lunch_before_v3
        else ["visit", "visit", "visit", "break"]
    )
    brk = next(s for s in route(session, world).stops if isinstance(s, route_app_schemas.BreakStop))
    assert brk.planned_start is not None
    if not lunch_before_v3:
        # V3 from about 11:15 to 11:45; lunch then waits for its window at 12:00.
        assert local(brk.planned_start) == "12:00"


def test_finished_visits_survive_a_plan_rewrite_by_another_use_case(
    session: Session, world: World, set_time: Clock
) -> None:
    """Bookings rewrite the active stops only; the route still shows V1 done, first."""
    set_time(at(DAY, "09:00"))
    change(session, world, "V1", VisitStatus.ARRIVED)
    set_time(at(DAY, "10:00"))
    change(session, world, "V1", VisitStatus.COMPLETED)
    row = day_locks.lock_expert_days(session, world.municipality, DAY, [world.anouk.id])[
        world.anouk.id
    ]
    state = day_state.load_day(session, world.municipality, DAY)
    stops = state.stops(world.anouk.id)
    day_timing.write_route(
        session, state, row, stops, day_timing.retime(state, world.anouk.id, stops, TRAVEL)
    )
    session.commit()
    assert world.visits["V1"].id not in [s["id"] for s in row.stops if s["type"] == "visit"]
    r = route(session, world)
    names = [s.reference for s in r.stops if isinstance(s, route_app_schemas.VisitStop)]
    assert names == ["AH-V1", "AH-V2", "AH-V3"]
    assert visit_stops(r)["V1"].status is VisitStatus.COMPLETED


def test_next_statuses_offer_only_allowed_steps(
    session: Session, world: World, set_time: Clock
) -> None:
    """The route tells the app which buttons to show: none for others while one is in progress,
    none on a future day."""
    set_time(at(DAY, "09:00"))
    stops = visit_stops(route(session, world))
    assert stops["V1"].next_statuses == [VisitStatus.ON_THE_WAY, VisitStatus.ARRIVED]
    change(session, world, "V1", VisitStatus.ARRIVED)
    stops = visit_stops(route(session, world))
    assert stops["V1"].next_statuses == [VisitStatus.COMPLETED, VisitStatus.NOT_HOME]
    assert stops["V2"].next_statuses == []
    set_time(at(DAY - dt.timedelta(days=1), "09:00"))
    assert all(s.next_statuses == [] for s in visit_stops(route(session, world)).values())


def test_concurrent_status_changes_take_turns(
    sessions: sessionmaker[Session], world: World, set_time: Clock
) -> None:
    """Two phones completing the same visit at once: one succeeds, the other gets a conflict."""
    set_time(at(DAY, "09:00"))
    with sessions() as s:
        route_app.change_status(
            s,
            municipality=world.municipality,
            expert=world.anouk,
            visit_id=world.visits["V1"].id,
            status=VisitStatus.ARRIVED,
            at=None,
            travel=TRAVEL,
        )
    set_time(at(DAY, "10:00"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete() -> None:
        with sessions() as s:
            # Nothing is read before both are ready: on SQLite the first read takes the lock.
            barrier.wait(timeout=30)
            try:
                route_app.change_status(
                    s,
                    municipality=world.municipality,
                    expert=world.anouk,
                    visit_id=world.visits["V1"].id,
                    status=VisitStatus.COMPLETED,
                    at=None,
                    travel=TRAVEL,
                )
                outcomes.append("ok")
            except Conflict:
                s.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    with sessions() as s:
        events = s.scalars(
            select(VisitEvent).where(
                VisitEvent.visit_id == world.visits["V1"].id, VisitEvent.status == "completed"
            )
        ).all()
        assert len(events) == 1


def test_a_route_rewrite_forgets_lateness_until_retimed_from_actuals(
    session: Session, world: World, set_time: Clock
) -> None:
    """Another use case rewriting the route times it from the shift start (V2 looks safe again);
    ``retime_from_actuals`` in the same transaction brings the late forecast and the flag back."""
    set_time(at(DAY, "09:40"))
    change(session, world, "V1", VisitStatus.ARRIVED)
    m, anouk = world.municipality, world.anouk
    row = day_locks.lock_expert_days(session, m, DAY, [anouk.id])[anouk.id]
    state = day_state.load_day(session, m, DAY)
    stops = state.stops(anouk.id)
    day_timing.write_route(
        session, state, row, stops, day_timing.retime(state, anouk.id, stops, TRAVEL)
    )
    v2 = session.get(Visit, world.visits["V2"].id)
    assert v2 is not None and not v2.at_risk  # the rewrite forgot that Anouk is late
    plan = day_timing.retime_from_actuals(
        session, municipality=m, expert=anouk, date=DAY, travel=TRAVEL
    )
    session.commit()
    assert plan is not None
    assert v2.at_risk
    assert local(v2.planned_arrival) == "10:43"


def test_retime_from_actuals_leaves_an_unstarted_day_alone(session: Session, world: World) -> None:
    """Before anything is started the plan's own times stand: nothing is rewritten."""
    row = session.scalar(select(ExpertDay).where(ExpertDay.expert_id == world.anouk.id))
    assert row is not None
    version = row.version
    plan = day_timing.retime_from_actuals(
        session, municipality=world.municipality, expert=world.anouk, date=DAY, travel=TRAVEL
    )
    assert plan is None
    assert row.version == version
