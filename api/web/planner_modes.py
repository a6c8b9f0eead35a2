"""How the planner's pages ask for an optimisation: the mode, the queued job, its progress.

The optimisation modes (``keep_experts``, ``balanced``, ``free``) belong to the planning domain;
this module only names them for the planner ("Zelfde experts", "Gebalanceerd", "Vrij"), reads the
planner's choice from a form and queues the job (:mod:`scheduler.planning.jobs`) that a worker
(``aanhuis worker``) runs. The pages never solve inside a request, so nobody waits at the button.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.web.i18n import Translator
from scheduler.errors import InvalidInput
from scheduler.planning import jobs
from scheduler.planning import service as planning
from scheduler.planning.models import OptimisationJob
from scheduler.tenants.models import Municipality

#: The modes in the order the page offers them; the first choice a planner sees is the default.
MODES: tuple[str, ...] = ("balanced", "keep_experts", "free")
DEFAULT_MODE = "balanced"


@dataclass(frozen=True)
class ModeOption:
    value: str
    label: str
    hint: str
    checked: bool


def mode_options(t: Translator, chosen: str | None = None) -> list[ModeOption]:
    """The radio buttons of the mode choice, with ``chosen`` (or the default) ticked."""
    chosen = chosen if chosen in MODES else DEFAULT_MODE
    return [
        ModeOption(m, t(f"planner.mode.{m}"), t(f"planner.mode.{m}.hint"), m == chosen)
        for m in MODES
    ]


def parse_mode(raw: str | None) -> str:
    """The mode a form asked for (empty: the default); anything else is a friendly 400."""
    if not raw:
        return DEFAULT_MODE
    if raw not in MODES:
        raise InvalidInput(
            f"Choose one of {', '.join(MODES)}.", nl="Kies een van de werkwijzen op de pagina."
        )
    return raw


def queue(
    session: Session,
    *,
    municipality: Municipality,
    date: dt.date,
    mode: str,
    time_limit: float,
    actor: str,
) -> OptimisationJob:
    """Queue the day's optimisation in ``mode`` (one of :data:`MODES`) for a worker; commits."""
    chosen: planning.Mode = next(m for m in planning.MODES if m == mode)
    return jobs.enqueue(
        session,
        municipality=municipality,
        date=date,
        time_limit=time_limit,
        actor=actor,
        mode=chosen,
    )


def job_mode(job: OptimisationJob) -> str:
    """The mode a job was queued with (the default for anything unknown)."""
    return job.mode if job.mode in MODES else DEFAULT_MODE


@dataclass(frozen=True)
class JobLine:
    """A queued optimisation as the day page lists it."""

    id: str
    status: str
    mode: str
    created: str
    proposal_id: str | None


def job_lines(
    session: Session, municipality: Municipality, date: dt.date, t: Translator, tz: ZoneInfo
) -> list[JobLine]:
    """The day's latest optimisations, newest first, to come back to."""
    return [
        JobLine(
            id=j.id,
            status=j.status,
            mode=job_mode(j),
            created=t.time(j.created_at, tz),
            proposal_id=j.proposal_id,
        )
        for j in jobs.get_day_jobs(session, municipality=municipality, date=date)
    ]
