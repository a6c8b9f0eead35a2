"""Day plans planners can trust: modes, working time and balance, the freeze, and disruptions on a
frozen day that change only what they must.

The demo municipality (6 experts, 2 days booked to 60% through the real offer and booking code) is
optimised with a short solver limit. Stored plans are judged by ``routing.check`` through
:func:`test_planning.violations_of_day`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from support import SeedDemo
from test_planning import violations_of_day

from routing.model import StepType
from routing.replay import replay
from routing.solver import SolveParams, solve
from routing.travel import HaversineTravel
from scheduler import clock, demo
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.capacity.models import ExceptionKind, Expert, ShiftException
from scheduler.day import state as day_state
from scheduler.day.freeze import freeze_at
from scheduler.notify import experts as expert_messages
from scheduler.notify.models import OutboxMessage
from scheduler.planning import lifecycle
from scheduler.planning import service as planning
from scheduler.planning.models import ExpertDay, PlanningDay
from scheduler.route_app import service as route_app
from scheduler.tenants.models import Municipality
from scheduler.usecases import disruption

NOW = dt.datetime(2025, 3, 3, 6, 0, tzinfo=dt.UTC)  # Monday 07:00 in Amsterdam
DAY = dt.date(2025, 3, 4)  # Tuesday
SIZE = demo.DemoSize(experts=6, days=2, fill=0.6, addresses=300)
LIMIT = 1.5
TRAVEL = HaversineTravel()

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def town(seed_demo: SeedDemo) -> int:
    return seed_demo(SIZE, NOW)


def _m(session: Session, town: int) -> Municipality:
    m = session.get(Municipality, town)
    assert m is not None
    return m


def _experts_of(session: Session, town: int) -> dict[int, int | None]:
    query = select(Visit).where(
        Visit.municipality_id == town, Visit.date == DAY, Visit.status.in_(ACTIVE_STATUSES)
    )
    return {
        v.id: v.expert_id for v in session.scalars(query.execution_options(populate_existing=True))
    }


def _stops(session: Session, town: int) -> dict[int, list[int]]:
    rows = session.scalars(
        select(ExpertDay)
        .where(ExpertDay.municipality_id == town, ExpertDay.date == DAY)
        .execution_options(populate_existing=True)
    )
    return {d.expert_id: [int(s["id"]) for s in d.stops if s["type"] == "visit"] for d in rows}


def test_every_mode_keeps_every_visit_and_never_adds_working_time(
    town: int, session: Session
) -> None:
    """keep_experts moves nothing; balanced and free serve what was served; no mode proposes more
    working time (travel + waiting) than the current plan; the figures add up."""
    m = _m(session, town)
    experts_before = _experts_of(session, town)
    served_before = {v for v, e in experts_before.items() if e is not None}
    assert len(served_before) >= 10
    for mode in planning.MODES:
        p = planning.propose(
            session, municipality=m, date=DAY, travel=TRAVEL, time_limit=LIMIT, actor="t", mode=mode
        )
        assert p.plan["mode"] == mode
        assert p.after["working_seconds"] <= p.before["working_seconds"], mode
        for fig in (p.before, p.after):
            assert fig["working_seconds"] == fig["travel_seconds"] + fig["waiting_seconds"]
            durations = [e["duration_seconds"] for e in fig["experts"] if e["visits"]]
            assert fig["balance_seconds"] == max(durations) - min(durations)
        after = {
            s["id"]: r["expert_id"]
            for r in p.plan["routes"]
            for s in r["stops"]
            if s["type"] == "visit"
        }
        assert served_before <= set(after), mode
        changed = {v for v in served_before if after[v] != experts_before[v]}
        assert {mv["visit_id"] for mv in p.plan["moved"] if mv["from"] is not None} == changed
        if mode == "keep_experts":
            assert changed == set()
        if mode == "balanced":
            assert len(changed) <= planning.MAX_MOVE_SHARE * len(served_before)


def test_keep_experts_applies_and_checks(town: int, session: Session) -> None:
    """The applied keep_experts plan passes VROOM's rules and every visit keeps its expert."""
    m = _m(session, town)
    before = _experts_of(session, town)
    p = planning.propose(
        session,
        municipality=m,
        date=DAY,
        travel=TRAVEL,
        time_limit=LIMIT,
        actor="t",
        mode="keep_experts",
    )
    if p.plan["improved"]:
        planning.apply(session, municipality=m, proposal_id=p.id, travel=TRAVEL, actor="t")
    session.expire_all()
    assert _experts_of(session, town) == before
    assert violations_of_day(session, m, DAY) == []


def test_a_high_move_cost_moves_nothing_and_a_zero_one_may(town: int, session: Session) -> None:
    """``balanced`` with a move cost above any saving proposes no move; the plan it proposes then
    costs no more working time than keep_experts would allow (the current plan at worst)."""
    m = _m(session, town)
    p = planning.propose(
        session,
        municipality=m,
        date=DAY,
        travel=TRAVEL,
        time_limit=LIMIT,
        actor="t",
        mode="balanced",
        move_cost=10**7,
    )
    assert sum(1 for mv in p.plan["moved"] if mv["from"] is not None) == 0
    assert p.after["working_seconds"] <= p.before["working_seconds"]


def test_freeze_time_is_16h_on_the_working_day_before_in_both_dst_seasons(
    town: int, session: Session
) -> None:
    """Tuesday's plan freezes Monday 16:00; Monday's the Friday before; across both DST changes
    the local time stays 16:00 (15:00 UTC in winter, 14:00 UTC in summer)."""
    m = _m(session, town)
    assert freeze_at(m, DAY) == dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)
    # Monday 31 March 2025 (summer time since Sunday): Friday 28 March 16:00 CET.
    assert freeze_at(m, dt.date(2025, 3, 31)) == dt.datetime(2025, 3, 28, 15, 0, tzinfo=dt.UTC)
    # Monday 27 October 2025 (winter time since Sunday): Friday 24 October 16:00 CEST.
    assert freeze_at(m, dt.date(2025, 10, 27)) == dt.datetime(2025, 10, 24, 14, 0, tzinfo=dt.UTC)
    m.freeze_time = dt.time(12, 30)
    m.freeze_days_before = 2
    assert freeze_at(m, DAY) == dt.datetime(2025, 2, 28, 11, 30, tzinfo=dt.UTC)


def test_the_worker_freezes_the_day_at_its_freeze_time(
    town: int,
    session: Session,
    sessions: sessionmaker[Session],
    frozen: object,
) -> None:
    """Before Monday 16:00 only Monday itself is due (its freeze was Friday) and Tuesday is a
    draft; at 16:00 the worker optimises
    it (balanced), applies it when the day did not change, marks it frozen once, and the route
    app shows each expert's route as final."""
    m = _m(session, town)
    assert lifecycle.plan_state(session, m, DAY).state == "draft"
    session.commit()  # SQLite: the worker's sessions write
    first = lifecycle.freeze_due(sessions, TRAVEL, now=clock.now(), time_limit=LIMIT)
    assert [f.date for f in first] == [NOW.date()]
    assert lifecycle.plan_state(session, m, DAY).state == "draft"
    at = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)
    move = frozen
    assert callable(move)
    move(at)
    before = _experts_of(session, town)
    version = session.scalar(
        select(PlanningDay.version).where(
            PlanningDay.municipality_id == town, PlanningDay.date == DAY
        )
    )
    session.commit()
    done = lifecycle.freeze_due(sessions, TRAVEL, now=at, time_limit=LIMIT)
    assert [(f.date, f.municipality_id) for f in done] == [(DAY, town)]
    session.expire_all()
    state = lifecycle.plan_state(session, m, DAY)
    assert state.state == "frozen" and state.frozen_at == at
    assert state.version == (version or 0) + (1 if done[0].applied else 0)
    after = _experts_of(session, town)
    assert set(after) == set(before)
    assert done[0].moves == sum(1 for v in before if before[v] and after[v] != before[v])
    assert violations_of_day(session, m, DAY) == []
    # Once: a second round finds nothing due.
    session.commit()
    assert lifecycle.freeze_due(sessions, TRAVEL, now=at, time_limit=LIMIT) == []
    expert = session.get(Expert, next(e for e in after.values() if e is not None))
    assert expert is not None
    route = route_app.get_route(session, municipality=m, expert=expert, date=DAY, travel=TRAVEL)
    assert route.final


def _busiest(session: Session, town: int) -> tuple[int, list[int]]:
    load: dict[int, list[int]] = {}
    for vid, eid in _experts_of(session, town).items():
        if eid is not None:
            load.setdefault(eid, []).append(vid)
    experts = {e.id: set(e.skills) for e in session.scalars(select(Expert))}
    shared = [e for e in load if any(experts[e] & experts[o] for o in load if o != e)]
    return max(((e, load[e]) for e in shared), key=lambda kv: len(kv[1]))


def test_an_absence_on_a_frozen_day_moves_only_that_experts_visits(
    town: int, session: Session
) -> None:
    """The day is frozen; the busiest expert falls ill. Only their visits change: each moves to a
    colleague (reason 'expert absent') or is listed; every other visit keeps its expert; the
    report's counts agree with the database visit by visit; exactly the experts whose route
    changed are notified."""
    m = _m(session, town)
    lifecycle._mark_frozen(session, m, DAY)
    sick, theirs = _busiest(session, town)
    before = _experts_of(session, town)
    stops_before = _stops(session, town)
    session.add(
        ShiftException(
            expert_id=sick, date=DAY, kind=ExceptionKind.SICKNESS, created_at=clock.now()
        )
    )
    m.capacity_version += 1
    session.commit()
    result = disruption.replan_day(
        session, municipality=m, date=DAY, travel=TRAVEL, notify=None, actor="t", time_limit=2
    )
    assert result.frozen
    after = _experts_of(session, town)
    assert set(after) == set(before)
    changed = {v for v in before if after[v] != before[v]}
    listed = {x.visit.id for x in result.listed}
    moved = {x.visit_id for x in result.moved}
    # Only the sick expert's visits changed, and each is either moved or listed, never both.
    assert changed == set(theirs)
    assert moved | listed == set(theirs) and not moved & listed
    assert len(result.moved) + len(result.listed) == len(theirs) == len(changed)
    assert all(x.reason == "expert absent" and x.from_expert_id == sick for x in result.moved)
    assert {x.visit_id: x.to_expert_id for x in result.moved} == {v: after[v] for v in moved}
    stops_after = _stops(session, town)
    routes_changed = {
        e
        for e in set(stops_before) | set(stops_after)
        if stops_before.get(e, []) != stops_after.get(e, [])
    }
    assert set(result.experts_notified) == routes_changed
    assert sick in routes_changed
    notified = session.scalars(
        select(ExpertDay.expert_id).where(
            ExpertDay.municipality_id == town,
            ExpertDay.date == DAY,
            ExpertDay.changed_at.is_not(None),
        )
    ).all()
    assert set(notified) == routes_changed
    assert violations_of_day(session, m, DAY) == []


BASE_URL = "https://aanhuis.example.nl"


#: The API's expert notifier (:func:`api.runtime.expert_notifier`) without its settings.
_tell = expert_messages.route_changed_notifier(BASE_URL)


def _route_messages(session: Session, town: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.municipality_id == town,
                OutboxMessage.kind == expert_messages.ROUTE_CHANGED,
            )
            .order_by(OutboxMessage.expert_id)
        )
    )


def _report_sick(session: Session, m: Municipality, town: int) -> tuple[int, list[int]]:
    sick, theirs = _busiest(session, town)
    session.add(
        ShiftException(
            expert_id=sick, date=DAY, kind=ExceptionKind.SICKNESS, created_at=clock.now()
        )
    )
    m.capacity_version += 1
    session.commit()
    return sick, theirs


def test_after_the_freeze_each_expert_whose_route_changed_gets_one_message(
    town: int, session: Session
) -> None:
    """Frozen day, an expert falls ill: each expert whose route changed (the sick one included)
    gets exactly one "route changed" message in the outbox (channel: the route app, which shows
    it at once), with the date, visit counts and the route app's link of that day, and nothing of
    the citizens; an expert whose route stayed gets none. Queueing it again for the same re-plan
    adds nothing."""
    m = _m(session, town)
    lifecycle._mark_frozen(session, m, DAY)
    stops_before = _stops(session, town)
    sick, _ = _report_sick(session, m, town)
    result = disruption.replan_day(
        session,
        municipality=m,
        date=DAY,
        travel=TRAVEL,
        notify=None,
        actor="t",
        time_limit=2,
        tell_experts=_tell,
    )
    assert result.frozen and sick in result.experts_notified
    stops_after = _stops(session, town)
    unchanged = {e for e in stops_after if stops_after[e] == stops_before.get(e, [])}
    assert unchanged, "some expert keeps their route (the test needs one)"
    messages = _route_messages(session, town)
    assert [x.expert_id for x in messages] == sorted(result.experts_notified)
    assert not unchanged & {x.expert_id for x in messages}
    visits = list(session.scalars(select(Visit).where(Visit.municipality_id == town)))
    personal = {
        value
        for v in visits
        for value in (
            v.citizen_name,
            v.citizen_phone,
            v.citizen_email,
            v.contact_name,
            v.street,
            v.postcode,
            v.notes,
        )
        if value
    }
    for x in messages:
        assert x.channel == expert_messages.ROUTE_APP and x.recipient is None
        assert x.visit_id is None and x.sent_at is not None
        assert "dinsdag 4 maart 2025" in x.subject
        assert f"{BASE_URL}/expert/?datum=2025-03-04" in x.body
        after = len(stops_after.get(x.expert_id or 0, []))
        assert f"Je hebt nu {after} bezoek" in x.body
        assert not [p for p in personal if p in x.subject or p in x.body]
        assert not any(v.reference in x.body for v in visits)
    sick_message = next(x for x in messages if x.expert_id == sick)
    assert "Je hebt nu 0 bezoeken" in sick_message.body
    # The same re-plan's message again (a retried call): nothing new.
    _tell(
        session,
        municipality=m,
        expert_id=sick,
        date=DAY,
        version=result.version,
        before=len(stops_before[sick]),
        after=0,
    )
    session.commit()
    assert len(_route_messages(session, town)) == len(messages)


def test_before_the_freeze_a_replan_tells_no_expert(town: int, session: Session) -> None:
    """A draft day's routes are not final: the same absence re-plans the day, changes routes,
    and queues no "route changed" message."""
    m = _m(session, town)
    assert lifecycle.plan_state(session, m, DAY).state == "draft"
    _report_sick(session, m, town)
    result = disruption.replan_day(
        session,
        municipality=m,
        date=DAY,
        travel=TRAVEL,
        notify=None,
        actor="t",
        time_limit=2,
        tell_experts=_tell,
    )
    assert not result.frozen and result.experts_notified
    assert _route_messages(session, town) == []


def test_figures_replay_the_routes_of_the_day(town: int, session: Session) -> None:
    """Per expert, working time is travel plus waiting of the replayed route and the duration is
    travel, service (breaks included) and waiting."""
    m = _m(session, town)
    snapshot = planning.snapshot_day(session, m, DAY, TRAVEL)
    fig = planning.figures(snapshot, snapshot.orders)
    for e in fig["experts"]:
        stops = snapshot.orders[e["expert_id"]]
        if not any(k is StepType.VISIT for k, _ in stops):
            assert e["duration_seconds"] == 0
            continue
        route = replay(snapshot.problem, snapshot.problem.vehicle(e["expert_id"]), stops).route
        assert e["working_seconds"] == route.travel + route.waiting
        assert e["duration_seconds"] == route.travel + route.service + route.waiting
        assert e["duration_seconds"] >= route.travel + route.service > 0
    state = day_state.load_day(session, m, DAY)
    assert not state.frozen


def test_taking_back_moves_keeps_the_plan_feasible_and_never_costs_more(
    town: int, session: Session
) -> None:
    """From a plan made without stability cost, moves that do not pay are given back: the same
    visits are served, every route still keeps every rule, there are no more moves and the
    objective (working time plus moves' cost) is no higher, and a second pass gives nothing more
    back."""
    m = _m(session, town)
    snapshot = planning.snapshot_day(session, m, DAY, TRAVEL)
    free = planning.mode_problem(snapshot, "free", move_cost=0)
    solution = solve(free, SolveParams(time_limit=LIMIT), initial=snapshot.initial)
    routes = planning._routes_of(snapshot, solution)
    for cost in (600, 10**7):
        problem = planning.mode_problem(snapshot, "balanced", move_cost=cost)
        taken = planning.take_back_moves(snapshot, problem, routes)
        assert planning.served_visits(taken) == planning.served_visits(routes)
        for eid, stops in taken.items():
            if any(k is StepType.VISIT for k, _ in stops):
                assert replay(problem, problem.vehicle(eid), stops).feasible
        before = planning._objective(problem, snapshot, routes)
        after = planning._objective(problem, snapshot, taken)
        assert after.moved <= before.moved
        assert after.total <= before.total
        # Giving back is done: a second pass finds nothing more to give back.
        assert planning.take_back_moves(snapshot, problem, taken) == taken


def test_balanced_moves_at_most_the_cap_and_never_works_longer_than_keeping_every_expert(
    town: int, session: Session
) -> None:
    """On the same snapshot, ``balanced`` changes the expert of at most MAX_MOVE_SHARE of the
    visits served now, serves each of them, and proposes no more working time (travel + waiting)
    than ``keep_experts`` (it searches keeping every expert too, and picks the least working time
    among the plans within the cap)."""
    m = _m(session, town)
    snapshot = planning.snapshot_day(session, m, DAY, TRAVEL)
    assert len(snapshot.kept) >= 10
    params = SolveParams(time_limit=LIMIT, stall=None)
    kept = planning.plan_day(snapshot, params, purpose="optimise", mode="keep_experts")
    balanced = planning.plan_day(snapshot, params, purpose="optimise", mode="balanced")
    assert balanced.moves <= planning.MAX_MOVE_SHARE * len(snapshot.kept)
    assert set(snapshot.kept) <= planning.served_visits(balanced.routes)
    assert kept.moves == 0
    assert balanced.after["working_seconds"] <= kept.after["working_seconds"]
