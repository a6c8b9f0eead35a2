"""Stable day plans: visits moved against working time saved, per mode and move cost.

The tenant is ``aanhuis seed --demo --experts 15 --days 10 --fill 0.6`` with seeds 21 to 25
(``--quick``: 6 experts, 3 days, seed 21), seeded once with the clock frozen at
:data:`benchmarks.offers.NOW` (a Monday morning) and cached like the offers benchmark's tenant.
For the busiest day of the coming week (most active visits), the day is read once
(:func:`scheduler.planning.service.snapshot_day`) and optimised with the same time limit in
``keep_experts``, ``free`` and ``balanced`` for a range of move costs, each twice (solver seeds
0 and 1: the searches are randomised, so one run of ``free`` may find a few per cent more than
another). Reported per setting, as the mean of its runs:

- visits moved (that change from one expert to another) and their share of the day's visits;
- working time (travel + waiting) before and after, and the saving as a share of ``free``'s;
- the balance figure (spread of route duration across the experts who work) before and after;
- whether every visit served before is served after, and the wall time of the solve.

Then the default (``balanced`` at :data:`scheduler.planning.service.MOVE_COST`) is stored as a
proposal, applied, exported as VROOM problem and solution files and judged by ``aanhuis route
check``, and the issue's bars are checked: keep_experts moves 0 visits and never adds working
time; balanced moves at most 20% and recovers at least half of free's saving; every mode serves
every visit served before; the applied plan passes the check.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from api import cli
from benchmarks.offers import NOW, _frozen, seeded_tenant
from routing.model import Solution, StepType
from routing.replay import replay
from routing.solver import SolveParams
from routing.travel import HaversineTravel
from routing.vroom import problem_to_vroom, solution_to_vroom
from scheduler import clock, demo
from scheduler.booking.models import ACTIVE_STATUSES, Visit
from scheduler.day import state as day_state
from scheduler.db import make_engine, make_sessionmaker
from scheduler.planning import service as planning
from scheduler.tenants.models import Municipality

FULL = [demo.DemoSize(experts=15, days=10, fill=0.6, seed=s) for s in (21, 22, 23, 24, 25)]
QUICK = [demo.DemoSize(experts=6, days=3, fill=0.6, seed=21)]
#: Move costs of ``balanced`` in the table (seconds of working time per visit that moves).
MOVE_COSTS = (300, 600, 900, 1200, 1800, 3600)
#: Each setting is solved with these solver seeds; the table gives the mean of the runs (as the
#: Solomon gap is the mean of two runs), and the bars name each run too.
SEEDS = (0, 1)
TRAVEL = HaversineTravel()


def _busiest_day(session: Any, municipality: Municipality) -> dt.date:
    today = clock.local_date(clock.now(), clock.zone(municipality.timezone))
    rows = session.execute(
        select(Visit.date, func.count())
        .where(
            Visit.municipality_id == municipality.id,
            Visit.status.in_(ACTIVE_STATUSES),
            Visit.date >= today,
            Visit.date < today + dt.timedelta(days=7),
        )
        .group_by(Visit.date)
    ).all()
    return max(rows, key=lambda r: (r[1], r[0]))[0]  # type: ignore[no-any-return]


def _row(
    label: str, snapshot: planning.DaySnapshot, outcome: planning.PlanOutcome, took: float
) -> dict[str, Any]:
    before, after = outcome.before, outcome.after
    return {
        "label": label,
        "visits": len(snapshot.visits),
        "moves": outcome.moves,
        "working_before": before["working_seconds"],
        "working_after": after["working_seconds"],
        "saved": before["working_seconds"] - after["working_seconds"],
        "balance_before": before["balance_seconds"],
        "balance_after": after["balance_seconds"],
        "keeps_all": set(snapshot.kept) <= planning.served_visits(outcome.routes),
        "seconds": took,
    }


def _mean(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One table row from the runs of one setting: the mean of each figure, every run kept."""
    out = dict(runs[0])
    for key in ("moves", "working_after", "saved", "balance_after", "seconds"):
        out[key] = statistics.fmean(r[key] for r in runs)
    out["keeps_all"] = all(r["keeps_all"] for r in runs)
    out["runs"] = runs
    return out


def _route_check(
    session: Any, municipality: Municipality, day: dt.date, folder: Path
) -> tuple[int, str]:
    """Export the stored day as VROOM problem and solution files and run ``aanhuis route check``
    on them; its exit code and first line."""
    state = day_state.load_day(session, municipality, day)
    problem, _, orders = day_state.problem_of(state, TRAVEL)
    routes: list[Any] = []
    served: set[int] = set()
    for eid, stops in orders.items():
        if any(k is StepType.VISIT for k, _ in stops):
            routes.append(replay(problem, problem.vehicle(eid), stops).route)
            served.update(i for k, i in stops if k is StepType.VISIT)
    solution = Solution(tuple(routes), tuple(v.id for v in problem.visits if v.id not in served))
    instance, plan = folder / "problem.json", folder / "plan.json"
    instance.write_text(json.dumps(problem_to_vroom(problem)))
    plan.write_text(json.dumps(solution_to_vroom(problem, solution)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["route", "check", str(instance), str(plan)])
    return code, (out.getvalue().splitlines() or [""])[0]


def measure(size: demo.DemoSize, time_limit: float) -> dict[str, Any]:
    """Every mode and move cost on the busiest day of the seeded tenant's coming week."""
    source = seeded_tenant(size)
    work = Path(tempfile.mkdtemp(prefix="aanhuis-stability-"))
    try:
        db = work / "tenant.sqlite3"
        shutil.copy(source, db)
        engine = make_engine(f"sqlite:///{db}")
        sessions = make_sessionmaker(engine)
        with _frozen(NOW), sessions() as session:
            municipality = session.scalars(select(Municipality)).first()
            assert municipality is not None
            day = _busiest_day(session, municipality)
            snapshot = planning.snapshot_day(session, municipality, day, TRAVEL)
            session.commit()
            rows = []
            default: planning.PlanOutcome | None = None
            runs: list[tuple[str, planning.Mode, int | None]] = [
                ("keep_experts", "keep_experts", None),
                ("free", "free", None),
                *((f"balanced {c // 60} min", "balanced", c) for c in MOVE_COSTS),
            ]
            for label, mode, cost in runs:
                each = []
                for seed in SEEDS:
                    params = SolveParams(time_limit=time_limit, seed=seed)
                    started = time.perf_counter()
                    outcome = planning.plan_day(
                        snapshot, params, purpose="optimise", mode=mode, move_cost=cost
                    )
                    each.append(_row(label, snapshot, outcome, time.perf_counter() - started))
                    if mode == "balanced" and cost == planning.MOVE_COST and default is None:
                        default = outcome
                rows.append(_mean(each))
            assert default is not None
            proposal = planning.store_proposal(session, snapshot, default, actor="bench")
            if default.improved:
                planning.apply(
                    session,
                    municipality=municipality,
                    proposal_id=proposal.id,
                    travel=TRAVEL,
                    actor="bench",
                )
            check = _route_check(session, municipality, day, work)
        engine.dispose()
        return {"size": size, "day": day, "rows": rows, "check": check}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}"


def _bars(result: dict[str, Any]) -> list[str]:
    rows = {r["label"]: r for r in result["rows"]}
    keep, free = rows["keep_experts"], rows["free"]
    balanced = rows[f"balanced {planning.MOVE_COST // 60} min"]
    out = []
    kept = all(r["moves"] == 0 and r["saved"] >= 0 for r in keep["runs"])
    out.append(
        f"keep_experts moves 0 and adds no working time, in every run: {'yes' if kept else 'NO'}"
    )
    share = max(r["moves"] for r in balanced["runs"]) / max(1, balanced["visits"])
    recovered = balanced["saved"] / free["saved"] if free["saved"] > 0 else 1.0
    each = ", ".join(
        f"{b['saved'] / f['saved']:.0%}" if f["saved"] > 0 else "-"
        for b, f in zip(balanced["runs"], free["runs"], strict=True)
    )
    out.append(
        f"balanced (default) moves at most {share:.0%} in any run (≤ 20%: "
        f"{'yes' if share <= 0.2 else 'NO'}) and recovers {recovered:.0%} of free's saving, "
        f"mean of {len(SEEDS)} runs (≥ 50%: {'yes' if recovered >= 0.5 else 'NO'}; "
        f"run by run against the same run of free: {each})"
    )
    every = all(r["keeps_all"] for r in result["rows"])
    out.append(f"every mode serves every visit served before: {'yes' if every else 'NO'}")
    code, first = result["check"]
    out.append(f"`aanhuis route check` on the applied default plan: exit {code}, {first[:80]}")
    return out


def run(quick: bool = False) -> str:
    sizes = QUICK if quick else FULL
    limit = 3.0 if quick else float(os.environ.get("AANHUIS_BENCH_STABILITY_LIMIT", "10"))
    lines = [
        "## Stable day plans: visits moved against working time saved",
        "",
        f"Each run solves the day for {limit:.0f} s (load {os.getloadavg()[0]:.1f}); each row is "
        f"the mean of {len(SEEDS)} runs (solver seeds {', '.join(map(str, SEEDS))}). Working "
        "time is travel + waiting; balance is the spread (max - min) of route duration across "
        "the experts who work; 'of free' is the saving as a share of free's.",
    ]
    for size in sizes:
        result = measure(size, limit)
        rows = result["rows"]
        free_saved = next(r["saved"] for r in rows if r["label"] == "free")
        lines += [
            "",
            f"### Seed {size.seed}: {size.experts} experts, {size.days} days, fill {size.fill}; "
            f"busiest day {result['day']} ({rows[0]['visits']} visits)",
            "",
            "| run | moved | moved % | working before (min) | after (min) | saved (min) | "
            "of free | balance before (min) | after (min) | keeps all | s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for r in rows:
            of_free = f"{r['saved'] / free_saved:.0%}" if free_saved > 0 else "-"
            lines.append(
                f"| {r['label']} | {r['moves']:g} | {r['moves'] / max(1, r['visits']):.0%} | "
                f"{_minutes(r['working_before'])} | {_minutes(r['working_after'])} | "
                f"{_minutes(r['saved'])} | {of_free} | {_minutes(r['balance_before'])} | "
                f"{_minutes(r['balance_after'])} | {'yes' if r['keeps_all'] else 'NO'} | "
                f"{r['seconds']:.1f} |"
            )
        lines += ["", *(f"- {b}" for b in _bars(result))]
    return "\n".join(lines)
