"""Applying a rota proposal: its shifts replace the weekly pattern over the horizon, in one
transaction, keeping booked visits' promises like any capacity change.

Each shift of the rota becomes a weekly shift valid on its one date (``valid_from`` =
``valid_until``); the expert's other weekly shifts are cut around the horizon (they keep their
validity before and after it). Extra shifts recorded by hand were fixed in the rota and stay as
they are; absences and closures keep applying. So everything that reads working time (offers,
day plans, the capacity overview) reads the rota unchanged.

Refused with :class:`~scheduler.errors.Conflict` (409) when the proposal was applied already,
is infeasible, or capacity changed since it was made (stale); with
:class:`~scheduler.errors.PromisesAtRisk` (409 naming the visits) when it would break booked
visits, unless re-planning was asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.capacity.models import Expert, WeeklyShift
from scheduler.day.promises import visit_days
from scheduler.day.shifts import days, get_experts
from scheduler.errors import Conflict
from scheduler.rota import service as rota
from scheduler.rota.models import RotaProposal
from scheduler.tenants.models import Municipality
from scheduler.usecases.capacity_changes import Outcome, PromiseGuard, Replan

log = logging.getLogger("aanhuis.rota")


@dataclasses.dataclass(frozen=True)
class Applied:
    proposal: RotaProposal
    outcome: Outcome
    shifts: int


def _cut(expert: Expert, first: dt.date, last: dt.date) -> None:
    """Take the horizon out of the expert's weekly shifts (keeping what lies before and after)."""
    for shift in list(expert.shifts):
        s_from = shift.valid_from or dt.date.min
        s_until = shift.valid_until or dt.date.max
        if s_until < first or s_from > last:
            continue
        if s_until > last:
            expert.shifts.append(
                WeeklyShift(
                    weekday=shift.weekday,
                    start=shift.start,
                    end=shift.end,
                    break_earliest=shift.break_earliest,
                    break_latest=shift.break_latest,
                    break_minutes=shift.break_minutes,
                    valid_from=last + dt.timedelta(days=1),
                    valid_until=shift.valid_until,
                )
            )
        if s_from < first:
            shift.valid_until = first - dt.timedelta(days=1)
        else:
            expert.shifts.remove(shift)


def apply(
    session: Session,
    *,
    municipality: Municipality,
    proposal_id: str,
    replan: Replan,
) -> Applied:
    """Write the proposal's shifts for its whole horizon in one transaction (see above)."""
    proposal = rota.get_proposal(session, municipality=municipality, proposal_id=proposal_id)
    first = proposal.start
    last = first + dt.timedelta(days=7 * proposal.weeks - 1)
    horizon = list(days(first, last))
    guard = PromiseGuard(
        session,
        municipality,
        replan,
        scope=None,
        lock_days=horizon,
        watch=lambda: visit_days(session, municipality, dates=horizon),
    )
    # Under the exclusive capacity lock: read the proposal and the version as committed now.
    session.refresh(proposal)
    version = session.scalar(
        select(Municipality.capacity_version).where(Municipality.id == municipality.id)
    )
    if proposal.status == "applied":
        session.rollback()
        raise Conflict(
            "This rota has already been applied.",
            nl="Dit rooster is al toegepast.",
            proposal=proposal.id,
        )
    if proposal.status in ("queued", "running", "failed"):
        session.rollback()
        raise Conflict(
            "This rota has not been solved (yet).",
            nl="Dit rooster is (nog) niet berekend.",
            proposal=proposal.id,
        )
    if not proposal.feasible:
        session.rollback()
        raise Conflict(
            "This rota breaks hard rules (see its reasons); it cannot be applied.",
            nl="Dit rooster breekt harde regels (zie de redenen); het kan niet worden toegepast.",
            proposal=proposal.id,
        )
    if proposal.status != "open" or version != proposal.base_version:
        proposal.status = "stale"
        session.commit()
        raise Conflict(
            "Capacity changed since this rota was proposed. Propose it again.",
            nl="De capaciteit is gewijzigd sinds dit voorstel. Maak opnieuw een voorstel.",
            proposal=proposal.id,
        )
    experts = {e.id: e for e in get_experts(session, municipality=municipality)}
    shifts_by_expert: dict[int, list[dict[str, object]]] = {}
    for a in proposal.result["assignments"]:
        shifts_by_expert.setdefault(int(a["expert_id"]), []).append(a)
    written = 0
    for eid, expert in sorted(experts.items()):
        _cut(expert, first, last)
        for a in shifts_by_expert.get(eid, []):
            shift = rota.weekly_shift(a)
            if shift is not None:
                expert.shifts.append(shift)
                written += 1
    proposal.status = "applied"
    proposal.applied_at = clock.now()
    outcome = guard.finish()
    log.info("rota proposal %s applied: %d shifts", proposal.id, written)
    return Applied(proposal, outcome, written)
