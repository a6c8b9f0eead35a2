"""When a day's plan freezes, and changing that setting without thawing a frozen plan.

Pure :func:`scheduler.day.freeze.freeze_at` on hand-made municipalities (no database), then
:func:`scheduler.planning.lifecycle.set_freeze` on a small demo town with the clock on Monday
3 March 2025, 16:30 in Amsterdam: Tuesday's freeze (16:00 today) has come, the worker has not run.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import clock, demo
from scheduler.day import state as day_state
from scheduler.day.freeze import freeze_at
from scheduler.planning import lifecycle
from scheduler.planning.models import PlanningDay
from scheduler.tenants.models import Municipality

NOW = dt.datetime(2025, 3, 3, 15, 30, tzinfo=dt.UTC)  # Monday 16:30 in Amsterdam
TUESDAY = dt.date(2025, 3, 4)
WEDNESDAY = dt.date(2025, 3, 5)


def _town(time: dt.time, days_before: int) -> Municipality:
    return Municipality(
        timezone="Europe/Amsterdam", freeze_time=time, freeze_days_before=days_before
    )


@pytest.mark.parametrize(
    ("time", "days_before", "date", "expected"),
    [
        # Spring forward (Sunday 30 March 2025): Monday's freeze is the Friday before, still CET.
        (dt.time(17, 45), 1, dt.date(2025, 3, 31), dt.datetime(2025, 3, 28, 16, 45, tzinfo=dt.UTC)),
        # Tuesday after it, frozen the Monday after: CEST.
        (dt.time(17, 45), 1, dt.date(2025, 4, 1), dt.datetime(2025, 3, 31, 15, 45, tzinfo=dt.UTC)),
        # Two working days before Tuesday 1 April: Friday 28 March, CET.
        (dt.time(9, 15), 2, dt.date(2025, 4, 1), dt.datetime(2025, 3, 28, 8, 15, tzinfo=dt.UTC)),
        # Fall back (Sunday 26 October 2025): Monday's freeze is Friday, still CEST.
        (
            dt.time(17, 45),
            1,
            dt.date(2025, 10, 27),
            dt.datetime(2025, 10, 24, 15, 45, tzinfo=dt.UTC),
        ),
        (
            dt.time(17, 45),
            1,
            dt.date(2025, 10, 28),
            dt.datetime(2025, 10, 27, 16, 45, tzinfo=dt.UTC),
        ),
        # On the DST Sundays themselves (0 days before): 02:30 does not exist in spring (it is
        # 03:30 CEST, one hour on) and happens twice in autumn (the first, CEST, counts).
        (dt.time(2, 30), 0, dt.date(2025, 3, 30), dt.datetime(2025, 3, 30, 1, 30, tzinfo=dt.UTC)),
        (dt.time(2, 30), 0, dt.date(2025, 10, 26), dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.UTC)),
    ],
)
def test_a_non_default_freeze_keeps_its_local_time_across_both_dst_changes(
    time: dt.time, days_before: int, date: dt.date, expected: dt.datetime
) -> None:
    """The freeze is the set local time on the working day counted back, in that day's offset."""
    assert freeze_at(_town(time, days_before), date) == expected


@pytest.fixture
def town(session: Session) -> Municipality:
    previous = clock.set_clock(lambda: NOW)
    try:
        m = demo.create_municipality(
            session, size=demo.DemoSize(experts=2, days=1, fill=0.0, addresses=20), today=NOW.date()
        )
        session.commit()
    finally:
        clock.set_clock(previous)
    return m


def _stored_state(session: Session, town: Municipality, day: dt.date) -> str | None:
    return session.scalar(
        select(PlanningDay.state).where(
            PlanningDay.municipality_id == town.id, PlanningDay.date == day
        )
    )


def test_a_later_freeze_keeps_a_day_whose_freeze_has_come_frozen(
    session: Session, town: Municipality
) -> None:
    """Monday 16:30: Tuesday's freeze (16:00) has come but the worker has not stored it. Moving
    the freeze to 17:00 keeps Tuesday frozen (stored, reported in ``kept_frozen``) while
    Wednesday, still a draft, follows the new time (Tuesday 17:00 CET = 16:00 UTC)."""
    assert lifecycle.plan_state(session, town, TUESDAY, NOW).state == "frozen"
    assert _stored_state(session, town, TUESDAY) is None
    changed = lifecycle.set_freeze(
        session,
        municipality=town,
        freeze_time=dt.time(17, 0),
        freeze_days_before=1,
        actor="planner:1",
        now=NOW,
    )
    assert TUESDAY in changed.kept_frozen and WEDNESDAY not in changed.kept_frozen
    session.expire_all()
    m = session.get(Municipality, town.id)
    assert m is not None and (m.freeze_time, m.freeze_days_before) == (dt.time(17, 0), 1)
    assert _stored_state(session, m, TUESDAY) == "frozen"
    tuesday = lifecycle.plan_state(session, m, TUESDAY, NOW)
    assert tuesday.state == "frozen"
    assert tuesday.freeze_at == dt.datetime(2025, 3, 3, 16, 0, tzinfo=dt.UTC)
    wednesday = lifecycle.plan_state(session, m, WEDNESDAY, NOW)
    assert wednesday.state == "draft"
    assert wednesday.freeze_at == dt.datetime(2025, 3, 4, 16, 0, tzinfo=dt.UTC)
    # The day state the planners and disruptions plan with agrees.
    previous = clock.set_clock(lambda: NOW)
    try:
        assert day_state.load_day(session, m, TUESDAY).frozen
        assert not day_state.load_day(session, m, WEDNESDAY).frozen
    finally:
        clock.set_clock(previous)
    # The worker has nothing left to freeze for Tuesday.
    assert TUESDAY not in lifecycle.due_days(session, m, NOW)


def test_an_earlier_freeze_freezes_drafts_at_once_and_leaves_the_worker_to_store_them(
    session: Session, town: Municipality
) -> None:
    """Moving the freeze to 2 working days before makes Wednesday (freeze: Monday) frozen now;
    it is due for the worker (which optimises it first) rather than stored by the change."""
    changed = lifecycle.set_freeze(
        session,
        municipality=town,
        freeze_time=dt.time(16, 0),
        freeze_days_before=2,
        actor="planner:1",
        now=NOW,
    )
    assert WEDNESDAY not in changed.kept_frozen
    assert lifecycle.plan_state(session, town, WEDNESDAY, NOW).state == "frozen"
    assert _stored_state(session, town, WEDNESDAY) is None
    assert WEDNESDAY in lifecycle.due_days(session, town, NOW)


@pytest.mark.parametrize("days_before", [-1, 6])
def test_freeze_days_outside_zero_to_five_are_refused(
    session: Session, town: Municipality, days_before: int
) -> None:
    """The domain refuses what the API's schema already refuses (a bug guard), changing nothing."""
    with pytest.raises(ValueError):
        lifecycle.set_freeze(
            session,
            municipality=town,
            freeze_time=dt.time(16, 0),
            freeze_days_before=days_before,
            actor="planner:1",
            now=NOW,
        )
    assert town.freeze_days_before == 1
