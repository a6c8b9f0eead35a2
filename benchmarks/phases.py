"""What each phase of the solve adds, whether the time limit holds, and the quality guards.

The solve (:func:`routing.solver.solve`) runs three phases: our regret construction, our SISR
ruin-and-recreate (the C loop), and OR-Tools' guided local search. For each instance this
suite reports the objective after each phase (VROOM's travel cost here: these instances carry
no planner's objective) and the seconds each phase used, from the solve's own timing
(``timings``); the worst overrun of the time limit over all solves; booked-day travel against
VROOM and the Solomon gap to the best known, each the mean of two runs (seeds 0 and 1).

``python -m benchmarks phases`` runs the six booked municipal days and five Solomon instances
(C101, R101, RC105, R205, RC207) at 10 s; ``--quick`` two days and two instances at 3 s.

``AANHUIS_BENCH_PHASES_SOLOMON=all`` runs only the Solomon part, on all 56 instances with seeds 0
and 1 (about 20 minutes at 10 s): one row per instance with both seeds, then the mean gap per class
and overall for each seed and for both, and the worst overrun. Like every suite it writes
``benchmarks/results/phases.md``; the full run is kept as ``benchmarks/results/solomon-all.md``.
"""

from __future__ import annotations

import os
import statistics

from benchmarks import municipal, peers, solomon
from routing.model import Problem, StepType
from routing.solver import SolveParams, solve

SOLOMON = ("C101", "R101", "RC105", "R205", "RC207")
SEEDS = (0, 1)


def _solve(problem: Problem, seconds: float, seed: int) -> tuple[dict[str, float], float, float]:
    """One solve: its timings, its replayed cost and travel."""
    timings: dict[str, float] = {}
    sol = solve(problem, SolveParams(time_limit=seconds, seed=seed), timings=timings)
    orders: dict[int, list[tuple[StepType, int]]] = {}
    for r in sol.routes:
        orders[r.vehicle] = [
            (s.type, s.id)
            for s in r.steps
            if s.type in (StepType.VISIT, StepType.BREAK) and s.id is not None
        ]
    out = peers.evaluate(problem, orders, timings["total"])
    assert out.violations == 0
    return timings, float(out.cost), float(out.travel)


def _phase_cells(t: dict[str, float]) -> str:
    c0, c1, c2 = t["construction_cost"], t["ruin_recreate_cost"], t["ortools_cost"]
    return (
        f"| {c0:.0f} | {c1:.0f} ({100 * (c1 - c0) / c0:+.2f}%) | {c2:.0f} "
        f"({100 * (c2 - c1) / c1:+.2f}%) | {t['construction']:.2f} / {t['ruin_recreate']:.2f} "
        f"/ {t['ortools']:.2f} | {t['total']:.2f} |"
    )


def run(quick: bool) -> str:
    """The phases section of the benchmark report (Markdown)."""
    seconds = 3.0 if quick else 10.0
    which = os.environ.get("AANHUIS_BENCH_PHASES_SOLOMON", "")
    if which == "all":
        return _solomon_all(seconds)
    if which:
        raise ValueError(f"AANHUIS_BENCH_PHASES_SOLOMON={which!r}: only 'all' is known")
    overruns: list[float] = []
    head = (
        "| instance | after construction | after ruin-and-recreate | after OR-Tools "
        "| seconds (construction / R&R / OR-Tools) | total s |"
    )
    rule = "|---|---|---|---|---|---|"
    out = [
        "## Solver phases",
        "",
        f"Time limit {seconds:.0f} s per solve; costs are the objective (travel, or Solomon "
        "distance in tenths) after each phase, with the change each phase made.",
        "",
        "### Booked municipal days (seeds 0 and 1; VROOM solves each day once)",
        "",
        head.replace(" total s |", " total s | travel / VROOM | load |"),
        rule + "---|---|",
    ]
    ratios: dict[int, list[float]] = {seed: [] for seed in SEEDS}
    days = municipal.booked_days(quick)
    for d in days[:2] if quick else days:
        vr = peers.vroom_solve(d.problem)
        for seed in SEEDS:
            t, _, travel = _solve(d.problem, seconds, seed)
            overruns.append(t["total"] - seconds)
            ratio = travel / vr.travel
            ratios[seed].append(ratio)
            row = (
                f"| {d.name} s{seed} "
                + _phase_cells(t)
                + f" {ratio:.3f} | {os.getloadavg()[0]:.1f} |"
            )
            out.append(row)
            print(row, flush=True)
    best = solomon.bks()
    out += [
        "",
        "### Solomon (seeds 0 and 1)",
        "",
        head.replace(" total s |", " total s | gap |"),
        rule + "---|",
    ]
    gaps = []
    for name in SOLOMON[:2] if quick else SOLOMON:
        problem = solomon.load(name).problem()
        for seed in SEEDS:
            t, cost, _ = _solve(problem, seconds, seed)
            overruns.append(t["total"] - seconds)
            g = solomon.gap(cost, best[name])
            gaps.append(g)
            row = f"| {name} s{seed} " + _phase_cells(t) + f" {g:.2f}% |"
            out.append(row)
            print(row, flush=True)
    out += [
        "",
        "Booked-day travel / VROOM, mean of the runs: "
        f"{statistics.fmean(r for runs in ratios.values() for r in runs):.3f} ("
        + ", ".join(f"seed {s} {statistics.fmean(runs):.3f}" for s, runs in ratios.items())
        + "; guard ≤ 0.96). "
        f"Solomon gap, mean of the runs: {statistics.fmean(gaps):.2f}% (guard ≤ 0.20%). "
        f"Worst time-limit overrun over {len(overruns)} solves: {max(overruns):+.3f} s "
        "(guard ≤ +0.3 s). Load average at the end: "
        f"{os.getloadavg()[0]:.1f} (2 shared cores).",
    ]
    return "\n".join(out)


def _change(before: float, after: float) -> str:
    return f"{100 * (after - before) / before:+.2f}%"


def _solomon_all(seconds: float) -> str:
    """Every Solomon instance with both seeds: per-instance rows, then gaps per class and seed."""
    best = solomon.bks()
    load_start = os.getloadavg()[0]
    gaps: dict[str, dict[int, list[float]]] = {k: {s: [] for s in SEEDS} for k in solomon.CLASSES}
    overruns: list[float] = []
    out = [
        "## Solver phases: Solomon, all instances",
        "",
        f"Time limit {seconds:.0f} s per solve, seeds {SEEDS[0]} and {SEEDS[1]}; each pair of "
        "cells is seed 0 / seed 1. Distance is ours (the objective in tenths / 10); R&R and "
        "OR-Tools are the change each phase made to the cost before it.",
        "",
        "| instance | best known | distance | gap | R&R | OR-Tools | total s | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = solomon.names()
    for name in names:
        inst = solomon.load(name)
        problem = inst.problem()
        runs = []
        for seed in SEEDS:
            t, cost, _ = _solve(problem, seconds, seed)
            overruns.append(t["total"] - seconds)
            g = solomon.gap(cost, best[name])
            gaps[inst.klass][seed].append(g)
            runs.append((t, cost, g))
        (t0, c0, g0), (t1, c1, g1) = runs
        row = (
            f"| {name} | {best[name]:.1f} | {c0 / 10:.1f} / {c1 / 10:.1f} "
            f"| {g0:.2f}% / {g1:.2f}% "
            f"| {_change(t0['construction_cost'], t0['ruin_recreate_cost'])} / "
            f"{_change(t1['construction_cost'], t1['ruin_recreate_cost'])} "
            f"| {_change(t0['ruin_recreate_cost'], t0['ortools_cost'])} / "
            f"{_change(t1['ruin_recreate_cost'], t1['ortools_cost'])} "
            f"| {t0['total']:.2f} / {t1['total']:.2f} | {os.getloadavg()[0]:.1f} |"
        )
        out.append(row)
        print(row, flush=True)
    out += [
        "",
        "### Mean gap to the best known",
        "",
        "| class (instances) | seed 0 | seed 1 | both seeds |",
        "|---|---|---|---|",
    ]
    overall: dict[int, list[float]] = {s: [] for s in SEEDS}
    for klass in solomon.CLASSES:
        per_seed = gaps[klass]
        for s in SEEDS:
            overall[s] += per_seed[s]
        if per_seed[SEEDS[0]]:
            out.append(_gap_row(f"{klass} ({len(per_seed[SEEDS[0]])})", per_seed))
    out.append(_gap_row(f"**all ({len(overall[SEEDS[0]])})**", overall))
    both = statistics.fmean(overall[SEEDS[0]] + overall[SEEDS[1]])
    out += [
        "",
        f"Solomon gap over {len(names)} instances, mean of the two seeds: {both:.2f}% "
        f"(issue 9: ≤ 0.20%). Worst time-limit overrun over {len(overruns)} solves: "
        f"{max(overruns):+.3f} s (guard ≤ +0.3 s). Load average at the start "
        f"{load_start:.1f}, at the end {os.getloadavg()[0]:.1f} (2 shared cores).",
    ]
    return "\n".join(out)


def _gap_row(label: str, per_seed: dict[int, list[float]]) -> str:
    cells = [f"{statistics.fmean(per_seed[s]):.2f}%" for s in SEEDS]
    both = statistics.fmean(per_seed[SEEDS[0]] + per_seed[SEEDS[1]])
    return f"| {label} | " + " | ".join(cells) + f" | {both:.2f}% |"
