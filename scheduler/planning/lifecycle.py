"""The plan lifecycle: a day's plan is ``draft`` until its freeze, then ``frozen``.

The freeze (:func:`scheduler.day.freeze.freeze_at`: by default 16:00 on the working day before)
is when the experts get their routes as final. The worker (``aanhuis worker``) calls
:func:`freeze_due` every round; for each day past its freeze that is not frozen yet it

1. optimises the day in ``balanced`` mode (a proposal, as a planner would get one) and applies it
   when nothing changed meanwhile (the day's version); a day that changed keeps its plan;
2. marks the day ``frozen`` (a conditional update, so two workers freeze a day once).

After the freeze, only disruptions change the plan
(:func:`scheduler.usecases.disruption.replan_day`), with the fewest changes, and a visit's move
costs :data:`~scheduler.planning.service.TOLD_MOVE_COST`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.day.freeze import MAX_FREEZE_DAYS_BEFORE, freeze_at
from scheduler.errors import Conflict
from scheduler.planning import service as planning
from scheduler.planning.models import PlanningDay
from scheduler.tenants.models import Municipality
from scheduler.tenants.service import lock_capacity

log = logging.getLogger("aanhuis.planning.lifecycle")

#: Days ahead the worker looks for plans to freeze (a freeze lies at most a few days ahead).
LOOK_AHEAD_DAYS = 7


@dataclass(frozen=True)
class PlanState:
    date: dt.date
    state: str  # "draft" | "frozen"
    freeze_at: dt.datetime
    frozen_at: dt.datetime | None
    version: int


def plan_state(
    session: Session, municipality: Municipality, date: dt.date, now: dt.datetime | None = None
) -> PlanState:
    """Where the plan of ``date`` is: ``frozen`` from its freeze time on (or once frozen)."""
    row = session.execute(
        select(PlanningDay.version, PlanningDay.state, PlanningDay.frozen_at).where(
            PlanningDay.municipality_id == municipality.id, PlanningDay.date == date
        )
    ).first()
    at = freeze_at(municipality, date)
    frozen = (row is not None and row.state == "frozen") or (now or clock.now()) >= at
    return PlanState(
        date=date,
        state="frozen" if frozen else "draft",
        freeze_at=at,
        frozen_at=row.frozen_at if row is not None else None,
        version=row.version if row is not None else 0,
    )


def due_days(session: Session, municipality: Municipality, now: dt.datetime) -> list[dt.date]:
    """Days from today on whose freeze has come and that the worker has not frozen yet."""
    today = clock.local_date(now, clock.zone(municipality.timezone))
    frozen = set(
        session.scalars(
            select(PlanningDay.date).where(
                PlanningDay.municipality_id == municipality.id,
                PlanningDay.date >= today,
                PlanningDay.state == "frozen",
            )
        )
    )
    out = []
    for n in range(LOOK_AHEAD_DAYS + 1):
        day = today + dt.timedelta(days=n)
        if day not in frozen and now >= freeze_at(municipality, day):
            out.append(day)
    return out


@dataclass(frozen=True)
class FreezeChanged:
    """What changing a municipality's freeze did."""

    freeze_time: dt.time
    freeze_days_before: int
    #: Days whose freeze had come under the old setting and that are now stored ``frozen``, so
    #: the new setting cannot turn them back into drafts.
    kept_frozen: tuple[dt.date, ...]


def set_freeze(
    session: Session,
    *,
    municipality: Municipality,
    freeze_time: dt.time,
    freeze_days_before: int,
    actor: str,
    now: dt.datetime | None = None,
) -> FreezeChanged:
    """Change when the municipality's day plans freeze, and commit.

    A later freeze must not make a frozen plan a draft again: the experts may already have their
    routes as final. So every day from today on whose freeze has come under the old setting is
    stored ``frozen`` first (as the worker would, but without its optimisation: the plan is kept
    as the experts may have seen it). Days still in draft simply follow the new setting (an
    earlier freeze makes them due for the worker's next round).
    """
    if not 0 <= freeze_days_before <= MAX_FREEZE_DAYS_BEFORE:
        raise ValueError(f"freeze_days_before must be 0 to {MAX_FREEZE_DAYS_BEFORE}")
    now = now or clock.now()
    lock_capacity(session, municipality, exclusive=True)
    before = (municipality.freeze_time, municipality.freeze_days_before)
    kept = [
        day
        for day in due_days(session, municipality, now)
        if _freeze_row(session, municipality, day)
    ]
    municipality.freeze_time = freeze_time.replace(second=0, microsecond=0, tzinfo=None)
    municipality.freeze_days_before = freeze_days_before
    session.commit()
    log.info(
        "freeze of municipality %s changed by %s: %s, %d working day(s) before (was %s, %d); "
        "%d day(s) kept frozen",
        municipality.id,
        actor,
        municipality.freeze_time.strftime("%H:%M"),
        freeze_days_before,
        before[0].strftime("%H:%M"),
        before[1],
        len(kept),
    )
    return FreezeChanged(municipality.freeze_time, freeze_days_before, tuple(kept))


@dataclass(frozen=True)
class Frozen:
    """What freezing one day did."""

    municipality_id: int
    date: dt.date
    applied: bool
    moves: int
    note: str


def _mark_frozen(session: Session, municipality: Municipality, date: dt.date) -> bool:
    frozen = _freeze_row(session, municipality, date)
    session.commit()
    return frozen


def _freeze_row(session: Session, municipality: Municipality, date: dt.date) -> bool:
    """Store the day's plan as ``frozen`` (flush only); False when it already was."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(PlanningDay)
        .values(municipality_id=municipality.id, date=date, version=0, state="draft")
        .on_conflict_do_nothing(index_elements=["municipality_id", "date"])
    )
    result = session.execute(
        update(PlanningDay)
        .where(
            PlanningDay.municipality_id == municipality.id,
            PlanningDay.date == date,
            PlanningDay.state == "draft",
        )
        .values(state="frozen", frozen_at=clock.now())
    )
    return bool(getattr(result, "rowcount", 0))


def freeze_day(
    session: Session,
    municipality: Municipality,
    date: dt.date,
    travel: TravelTimeProvider,
    *,
    time_limit: float,
) -> Frozen:
    """Optimise the day (``balanced``), apply it when the day did not change, mark it frozen."""
    has_visits = session.scalar(
        select(Visit.id)
        .where(
            Visit.municipality_id == municipality.id,
            Visit.date == date,
            Visit.status.in_(ACTIVE_STATUSES),
        )
        .limit(1)
    )
    applied, moves, note = False, 0, "no visits"
    if has_visits is not None:
        proposal = planning.propose(
            session,
            municipality=municipality,
            date=date,
            travel=travel,
            time_limit=time_limit,
            actor="worker:freeze",
            mode="balanced",
            # The experts are told their routes only now: a move costs what it does in a draft.
            move_cost=planning.MOVE_COST,
        )
        note = str(proposal.plan["note"])
        moves = sum(1 for m in proposal.plan["moved"] if m["from"] is not None)
        if proposal.plan["improved"]:
            try:
                planning.apply(
                    session,
                    municipality=municipality,
                    proposal_id=proposal.id,
                    travel=travel,
                    actor="worker:freeze",
                )
                applied = True
            except Conflict:
                session.rollback()
                note = "the day changed during the optimisation; its plan is kept"
                moves = 0
        else:
            moves = 0
    _mark_frozen(session, municipality, date)
    return Frozen(municipality.id, date, applied, moves if applied else 0, note)


def freeze_due(
    factory: sessionmaker[Session],
    travel: TravelTimeProvider,
    *,
    now: dt.datetime,
    time_limit: float,
) -> list[Frozen]:
    """Freeze every day whose freeze has come, in every municipality."""
    done: list[Frozen] = []
    with factory() as session:
        towns = [
            (m.id, d)
            for m in session.scalars(select(Municipality))
            for d in due_days(session, m, now)
        ]
    for town_id, day in towns:
        with factory() as session:
            municipality = session.get(Municipality, town_id)
            if municipality is None:
                continue
            result = freeze_day(session, municipality, day, travel, time_limit=time_limit)
            log.info(
                "froze the plan of municipality %s on %s: %s",
                town_id,
                day.isoformat(),
                result.note,
            )
            done.append(result)
    return done
