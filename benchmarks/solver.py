"""Day-planning quality: our solver side by side with VROOM and PyVRP, on the same instances.

- Solomon VRPTW (DIMACS convention, distance-only): mean gap to the best-known distance per class,
  for us (10 s), VROOM (exploration level 5, one thread) and PyVRP (10 s, one core).
- Municipal days from :mod:`benchmarks.municipal` (breaks, skills, two profiles): served visits
  and total travel for us and VROOM. PyVRP models neither breaks nor skills, so it is left out.

Every solution of every solver is replayed with :mod:`routing.replay`, and ours and VROOM's
own VROOM-format output are judged by :func:`routing.check.check`; the tables count the violations
found, which must be zero.

``python -m benchmarks solver`` runs everything (about 25 minutes on one core);
``--quick`` runs a few instances with short limits.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections import defaultdict

from benchmarks import municipal, peers, solomon
from routing.check import check
from routing.model import Problem, Solution, StepType
from routing.replay import replay
from routing.solver import SolveParams, solve
from routing.vroom import solution_to_vroom

QUICK_SOLOMON = ("C101", "R101", "RC105", "R205", "RC207")


def _ours(problem: Problem, seconds: float) -> tuple[peers.Outcome, Solution]:
    started = time.perf_counter()
    sol = solve(problem, SolveParams(time_limit=seconds))
    took = time.perf_counter() - started
    orders = {}
    for r in sol.routes:
        orders[r.vehicle] = [
            (s.type, s.id)
            for s in r.steps
            if s.type in (StepType.VISIT, StepType.BREAK) and s.id is not None
        ]
    out = peers.evaluate(problem, orders, took)
    # The solver's own routes must equal their independent replay.
    for r in sol.routes:
        again = replay(problem, problem.vehicle(r.vehicle), orders[r.vehicle])
        assert again.feasible and again.route.travel == r.travel
    checked = len(check(problem, solution_to_vroom(problem, sol)))
    return dataclasses.replace(out, checked=checked), sol


def _solomon(quick: bool) -> str:
    names = list(QUICK_SOLOMON) if quick else solomon.names()
    seconds = 2.0 if quick else 10.0
    best = solomon.bks()
    gaps: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    served: dict[str, int] = defaultdict(int)
    total = 0
    bad: dict[str, int] = defaultdict(int)
    checked: dict[str, int] = defaultdict(int)
    took: dict[str, float] = defaultdict(float)
    rows = []
    for name in names:
        inst = solomon.load(name)
        problem = inst.problem()
        total += len(problem.visits)
        ours, _ = _ours(problem, seconds)
        vr = peers.vroom_solve(problem)
        pv = peers.pyvrp_solve(problem, inst.xy, seconds)
        line = [name]
        for label, res in (("ours", ours), ("vroom", vr), ("pyvrp", pv)):
            g = solomon.gap(res.cost, best[name])
            gaps[label][inst.klass].append(g)
            gaps[label]["all"].append(g)
            served[label] += res.served
            bad[label] += res.violations
            checked[label] += res.checked or 0
            took[label] += res.seconds
            line.append(f"{g:.2f}%" + ("" if res.served == len(problem.visits) else "*"))
        rows.append(line)
        print(" ".join(line), flush=True)
    out = [
        f"### Solomon VRPTW ({len(names)} instances, ours and PyVRP {seconds:.0f} s each, "
        "VROOM exploration 5; gap of distance to best known)",
        "",
        "| class | ours | VROOM | PyVRP |",
        "|---|---|---|---|",
    ]
    for klass in (*solomon.CLASSES, "all"):
        if not gaps["ours"].get(klass):
            continue
        cells = [f"{statistics.fmean(gaps[s][klass]):.2f}%" for s in ("ours", "vroom", "pyvrp")]
        out.append(f"| {klass} ({len(gaps['ours'][klass])}) | " + " | ".join(cells) + " |")
    out.append(
        "| served | "
        + " | ".join(f"{served[s]}/{total}" for s in ("ours", "vroom", "pyvrp"))
        + " |"
    )
    out.append(
        "| replay violations | "
        + " | ".join(str(bad[s]) for s in ("ours", "vroom", "pyvrp"))
        + " |"
    )
    out.append(
        "| check violations (own output) | "
        + " | ".join(str(checked[s]) for s in ("ours", "vroom"))
        + " | – |"
    )
    out.append(
        "| total time | "
        + " | ".join(f"{took[s]:.0f} s" for s in ("ours", "vroom", "pyvrp"))
        + " |"
    )
    out += ["", "<details><summary>per instance (gap; * = not all served)</summary>", ""]
    out += ["| instance | ours | VROOM | PyVRP |", "|---|---|---|---|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out += ["", "</details>"]
    return "\n".join(out)


def _days_table(
    title: str,
    days: list[tuple[str, Problem, dict[int, list[tuple[StepType, int]]] | None]],
    seconds: float,
) -> list[str]:
    """Rows for one set of days: ours and VROOM side by side (and the booking order if known)."""
    booked = any(order is not None for _, _, order in days)
    head = "| day | visits | served ours | served VROOM | VROOM's not ours "
    head += "| travel as booked (h) " if booked else ""
    head += (
        "| travel ours (h) | travel VROOM (h) | ours/VROOM | time ours | time VROOM "
        "| replay ours/VROOM | check ours/VROOM | load |"
    )
    out = [title, "", head, "|" + "---|" * (head.count("|") - 1)]
    ratios = []
    missing = 0
    for name, p, order in days:
        ours, _ = _ours(p, seconds)
        load = os.getloadavg()[0]
        vr = peers.vroom_solve(p)
        ratio = ours.travel / vr.travel if vr.travel else float("nan")
        ratios.append(ratio)
        lost = len(vr.served_ids - ours.served_ids)
        missing += lost
        row = f"| {name} | {len(p.visits)} | {ours.served} | {vr.served} | {lost} "
        if order is not None:
            row += f"| {peers.evaluate(p, order, 0.0).travel / 3600:.2f} "
        row += (
            f"| {ours.travel / 3600:.2f} | {vr.travel / 3600:.2f} | {ratio:.3f} "
            f"| {ours.seconds:.1f} s | {vr.seconds:.1f} s | {ours.violations}/{vr.violations} "
            f"| {ours.checked}/{vr.checked} | {load:.1f} |"
        )
        out.append(row)
        print(row, flush=True)
    out.append("")
    out.append(
        f"Mean travel ratio ours/VROOM: {statistics.fmean(ratios):.3f} "
        "(target ≤ 1.02 with every visit VROOM serves served too). "
        f"Visits VROOM serves that we do not: {missing} in all (target 0)."
    )
    return out


def _municipal(quick: bool) -> str:
    seconds = 3.0 if quick else 10.0
    booked = _days_table(
        f"### Booked municipal days (ours {seconds:.0f} s, VROOM exploration 5, one thread; "
        "breaks, skills, bike and car profiles)",
        [(d.name, d.problem, d.as_booked) for d in municipal.booked_days(quick)],
        seconds,
    )
    over = _days_table(
        "### Overbooked municipal days (more requests than capacity; same settings)",
        [(d.name, d.problem, None) for d in municipal.days(quick)],
        seconds,
    )
    notes = [
        "Booked days are filled the way Aan Huis fills them: citizens ask one after another, "
        "the insertion engine offers only windows that keep every earlier promise, the shift and "
        "the breaks, and the visit goes where it adds least travel (`municipal.booked_day`). "
        'Every visit of such a day can be served; "as booked" is the travel of that booking '
        "order, i.e. what the day costs without any optimisation. Overbooked days take every "
        "request unchecked, so more visits are asked than capacity allows and each solver "
        'chooses whom to serve: there "VROOM\'s not ours" mostly counts equal-sized but '
        "different choices, not fewer visits served.",
        '"replay" counts what `routing.replay` finds in each solver\'s route orders, "check" '
        "what `routing.check` finds in each solver's own VROOM-format output (reported times "
        'included). "load" is the 1-minute load average when our solve ended (2 cores, '
        f"shared): our {seconds:.0f} s are wall-clock time under that load.",
        "PyVRP is not run on these days: it models neither breaks nor skills, so its routes "
        "would not be valid plans.",
    ]
    return "\n".join([*booked, "", *over, "", *notes])


def run(quick: bool) -> str:
    """The solver section of the benchmark report (Markdown)."""
    parts = ["## Day-planning solver", "", _municipal(quick), "", _solomon(quick)]
    return "\n".join(parts)
