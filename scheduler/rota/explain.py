"""Clashing hard rules in words a planner can act on (English and Dutch), and what to loosen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from typing import Any

from scheduler.rota.problem import PART_NL, Part, RotaProblem
from scheduler.rota.rules import week_maximum, week_minimum

MONTHS_NL = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()


def _part_en(part: Part) -> str:
    return "on Saturday" if part is Part.SATURDAY else f"in the {part.value}"


def _part_nl(part: Part) -> str:
    return "op zaterdag" if part is Part.SATURDAY else f"in de {PART_NL[part]}"


def _minimum(problem: RotaProblem, skill: str, part: Part, week: int) -> dict[str, Any]:
    rule = next(r for r in problem.minimums if r.skill == skill and r.part is part)
    week_days = [problem.start + dt.timedelta(days=7 * week + k) for k in range(7)]
    days = [
        d for d in week_days if d.weekday() != 6 and (d.weekday() == 5) == (part is Part.SATURDAY)
    ]
    holders = [e for e in problem.experts if skill in e.skills]
    absent = [e for e in holders if all(d in e.unavailable or d in problem.closed for d in days)]
    if part is Part.SATURDAY:
        limit_en, limit_nl, field = (
            "their Saturday limit",
            "hun zaterdaglimiet",
            "max_saturdays_per_month",
        )
    elif part is Part.EVENING:
        limit_en, limit_nl, field = (
            "their evening limit",
            "hun avondlimiet",
            "max_evenings_per_week",
        )
    else:
        limit_en, limit_nl, field = "their contract hours", "hun contracturen", "hours_per_week"
    if not holders:
        why_en, why_nl = "nobody has the skill", "niemand heeft die vaardigheid"
    elif len(absent) == len(holders):
        why_en, why_nl = "all are absent", "iedereen is afwezig"
    elif not absent:
        why_en, why_nl = f"all are at {limit_en}", f"iedereen zit aan {limit_nl}"
    else:
        why_en = f"{len(absent)} are absent, the others are at {limit_en}"
        why_nl = f"{len(absent)} zijn afwezig, de anderen zitten aan {limit_nl}"
    return {
        "rule": "minimum_cover",
        "week": week + 1,
        "skill": skill,
        "part": part.value,
        "text": f"Week {week + 1}: no further expert with skill {skill} may work "
        f"{_part_en(part)} ({rule.experts} needed): {why_en}.",
        "text_nl": f"Week {week + 1}: geen medewerker met vaardigheid {skill} kan er nog "
        f"{_part_nl(part)} bij ({rule.experts} nodig): {why_nl}.",
        "loosen": f"Raise {field} in the contracts of experts with {skill}, or lower the "
        f"minimum cover of {skill} {_part_en(part)}.",
        "loosen_nl": f"Verhoog {field} in de contracten van medewerkers met {skill}, of verlaag "
        f"de minimale bezetting van {skill} {_part_nl(part)}.",
    }


def reasons(problem: RotaProblem, groups: Sequence[tuple[Hashable, ...]]) -> list[dict[str, Any]]:
    """One reason per clashing rule group (see :func:`scheduler.rota.solver.infeasible_core`)."""
    names = {e.id: e.name for e in problem.experts}
    experts = {e.id: e for e in problem.experts}
    out: list[dict[str, Any]] = []
    for group in groups:
        kind = group[0]
        if kind == "minimum":
            _, skill, part, week = group
            out.append(_minimum(problem, str(skill), Part(str(part)), int(str(week))))
        elif kind in ("contract_min", "contract_max"):
            _, eid, week = group
            e = experts[int(str(eid))]
            w = int(str(week))
            if kind == "contract_min":
                hours = week_minimum(problem, e, w) / 60
                en = f"{names[e.id]} cannot work the contract's minimum of {hours:g} hours"
                nl = f"{names[e.id]} kan het minimum van {hours:g} contracturen niet werken"
            else:
                hours = week_maximum(problem, e) / 60
                en = f"{names[e.id]} would work more than the contract's {hours:g} hours"
                nl = f"{names[e.id]} zou meer werken dan de {hours:g} contracturen"
            out.append(
                {
                    "rule": kind,
                    "week": w + 1,
                    "expert_id": e.id,
                    "text": f"Week {w + 1}: {en} (absences, closures, rest and limits leave no "
                    "other way).",
                    "text_nl": f"Week {w + 1}: {nl} (afwezigheid, sluitingsdagen, rust en "
                    "limieten laten geen andere mogelijkheid).",
                    "loosen": f"Raise the contract's tolerance_hours of {names[e.id]}.",
                    "loosen_nl": f"Verhoog tolerance_hours in het contract van {names[e.id]}.",
                }
            )
        elif kind == "evenings":
            _, eid, week = group
            e = experts[int(str(eid))]
            out.append(
                {
                    "rule": "max_evenings_per_week",
                    "week": int(str(week)) + 1,
                    "expert_id": e.id,
                    "text": f"Week {int(str(week)) + 1}: {names[e.id]} would work more than "
                    f"{e.contract.max_evenings_per_week} evening(s).",
                    "text_nl": f"Week {int(str(week)) + 1}: {names[e.id]} zou meer dan "
                    f"{e.contract.max_evenings_per_week} avond(en) werken.",
                    "loosen": f"Raise max_evenings_per_week of {names[e.id]}.",
                    "loosen_nl": f"Verhoog max_evenings_per_week van {names[e.id]}.",
                }
            )
        elif kind == "saturdays":
            _, eid, year, month = group
            e = experts[int(str(eid))]
            m = int(str(month))
            out.append(
                {
                    "rule": "max_saturdays_per_month",
                    "expert_id": e.id,
                    "month": f"{year}-{m:02d}",
                    "text": f"{dt.date(2000, m, 1):%B} {year}: {names[e.id]} would work more than "
                    f"{e.contract.max_saturdays_per_month} Saturday(s).",
                    "text_nl": f"{MONTHS_NL[m - 1]} {year}: {names[e.id]} zou meer dan "
                    f"{e.contract.max_saturdays_per_month} zaterdag(en) werken.",
                    "loosen": f"Raise max_saturdays_per_month of {names[e.id]}.",
                    "loosen_nl": f"Verhoog max_saturdays_per_month van {names[e.id]}.",
                }
            )
        elif kind == "fixed":
            eid = int(str(group[1]))
            out.append(
                {
                    "rule": "fixed_shifts",
                    "expert_id": eid,
                    "text": f"The fixed (extra) shifts of {names[eid]} break another rule.",
                    "text_nl": f"De vaste (extra) diensten van {names[eid]} botsen met een "
                    "andere regel.",
                    "loosen": f"Remove or move an extra shift of {names[eid]}.",
                    "loosen_nl": f"Verwijder of verplaats een extra dienst van {names[eid]}.",
                }
            )
        else:
            daily = kind == "rest"
            out.append(
                {
                    "rule": "daily_rest" if daily else "weekly_rest",
                    "text": "The Working Hours Act's "
                    + ("11 hours' rest between shifts" if daily else "36 hours' weekly rest")
                    + " cannot hold with the fixed shifts and contracts.",
                    "text_nl": "De Arbeidstijdenwet ("
                    + ("11 uur rust tussen diensten" if daily else "36 uur weekrust")
                    + ") kan niet worden nageleefd met de vaste diensten en contracten.",
                    "loosen": "The law cannot be loosened: move a fixed shift or lower a "
                    "contract's hours.",
                    "loosen_nl": "De wet kan niet soepeler: verplaats een vaste dienst of verlaag "
                    "de contracturen.",
                }
            )
    return out
