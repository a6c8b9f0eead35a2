"""Continuity of care: which expert a visit should keep (preferred), must have (required), or
must not have (excluded).

The optimiser keeps a preferred expert unless that is impossible, serves a visit with a required
expert only by that expert, and never by an excluded one (:func:`scheduler.day.state.DayState.
routing_visit` turns them into the routing engine's per-visit rules). A follow-up booked from an
earlier visit prefers that visit's expert (:func:`mark_follow_up`), and its offers list that
expert's windows first.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.booking.models import Visit, VisitEvent
from scheduler.capacity.models import Expert
from scheduler.day.locks import bump_day_version
from scheduler.errors import InvalidInput
from scheduler.tenants.models import Municipality


def _check_experts(session: Session, municipality: Municipality, ids: set[int]) -> None:
    if not ids:
        return
    found = set(
        session.scalars(
            select(Expert.id).where(Expert.municipality_id == municipality.id, Expert.id.in_(ids))
        )
    )
    missing = sorted(ids - found)
    if missing:
        raise InvalidInput(
            f"There is no expert {missing[0]} here.",
            nl=f"Er is hier geen medewerker {missing[0]}.",
            field="expert_id",
        )


def set_preference(
    session: Session,
    *,
    municipality: Municipality,
    visit: Visit,
    preferred: int | None,
    required: int | None,
    excluded: list[int],
    actor: str,
) -> Visit:
    """Set (or, with ``None``/``[]``, clear) the visit's expert rules; commits.

    Refuses an expert of another municipality, and an expert who is both wanted and excluded.
    The day's version goes up: a proposal made before does not know the rule.
    """
    wanted = {e for e in (preferred, required) if e is not None}
    if wanted & set(excluded):
        raise InvalidInput(
            "An expert cannot be both preferred or required and excluded.",
            nl="Een medewerker kan niet tegelijk voorkeur of verplicht én uitgesloten zijn.",
            field="excluded_expert_ids",
        )
    _check_experts(session, municipality, wanted | set(excluded))
    visit.preferred_expert_id = preferred
    visit.required_expert_id = required
    visit.excluded_expert_ids = sorted(set(excluded))
    visit.updated_at = clock.now()
    session.add(
        VisitEvent(
            visit_id=visit.id,
            status="expert_preference",
            at=visit.updated_at,
            actor=actor[:40],
            detail=f"preferred {preferred}, required {required}, excluded {sorted(set(excluded))}",
        )
    )
    bump_day_version(session, municipality, visit.date)
    session.commit()
    return visit


def follow_up_expert(earlier: Visit) -> int | None:
    """The expert a follow-up of ``earlier`` prefers: whoever has (or had) that visit; none when
    the citizen chose that follow-ups need not go to the same expert (their choice on the manage
    page, ``same_expert_followups``), or excluded that expert."""
    if not earlier.same_expert_followups:
        return None
    expert = earlier.expert_id or earlier.preferred_expert_id
    return None if expert in (earlier.excluded_expert_ids or ()) else expert


def mark_follow_up(session: Session, *, visit: Visit, earlier: Visit, actor: str) -> Visit:
    """Record that ``visit`` was booked as a follow-up of ``earlier``; it then prefers
    ``earlier``'s expert (unless a planner set a preference already). Commits."""
    visit.follow_up_of = earlier.id
    if visit.preferred_expert_id is None:
        visit.preferred_expert_id = follow_up_expert(earlier)
    visit.updated_at = clock.now()
    session.add(
        VisitEvent(
            visit_id=visit.id,
            status="follow_up",
            at=visit.updated_at,
            actor=actor[:40],
            detail=f"follow-up of visit {earlier.id}; prefers expert {visit.preferred_expert_id}",
        )
    )
    session.commit()
    return visit
