"""The ruin-and-recreate's inner loop: Python against C, same start, same seconds.

Both loops start from the same regret construction with the same temperatures and run for the
same wall-clock time; the table gives iterations per second and the travel cost of the best
solution each found (both serve every visit they can; served counts are shown). The solver runs
the C loop whenever the day allows it (no break or one break with one window per expert).

``python -m benchmarks search``; ``--quick`` runs one second per loop.
"""

from __future__ import annotations

import random
import time

from benchmarks import municipal, solomon
from routing._construct import regret_insert
from routing._improve import RuinRecreate
from routing._schedule import Instance
from routing.model import Problem
from routing.solver import _usable


def _loop(problem: Problem, compiled: bool, seconds: float) -> tuple[float, int, int]:
    """Iterations per second, visits served and cost of the best solution."""
    inst = Instance(problem)
    usable = _usable(problem)
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    regret_insert(inst, routes, list(range(inst.n)), usable=usable)
    arcs = max(1, sum(len(s) + 1 for s in routes if s))
    arc = max(1.0, sum(inst.route_cost(k, s) for k, s in enumerate(routes)) / arcs)
    rr = RuinRecreate(inst, routes, usable, random.Random(0), compiled=compiled)
    assert (rr.blob is not None) is compiled
    started = time.perf_counter()
    best = rr.run(started + seconds, arc, 0.01 * arc)
    took = time.perf_counter() - started
    assert all(inst.feasible(k, seq) for k, seq in enumerate(best))
    cost = sum(inst.route_cost(k, seq) for k, seq in enumerate(best))
    return rr.iterations / took, sum(len(s) for s in best), cost


def run(quick: bool) -> str:
    seconds = 1.0 if quick else 5.0
    booked = municipal.booked_days(quick)[-1]
    over = municipal.days(quick)[-1]
    cases = [
        (booked.name, booked.problem),
        (over.name, over.problem),
        ("Solomon R208", solomon.load("R208").problem()),
        ("Solomon RC105", solomon.load("RC105").problem()),
    ]
    out = [
        f"### Ruin-and-recreate loop, Python and C ({seconds:.0f} s each from the same start)",
        "",
        "| instance | visits | iterations/s Python | iterations/s C | speed-up "
        "| served Python / C | best cost Python | best cost C |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, problem in cases:
        py = _loop(problem, False, seconds)
        c = _loop(problem, True, seconds)
        out.append(
            f"| {name} | {len(problem.visits)} | {py[0]:,.0f} | {c[0]:,.0f} | {c[0] / py[0]:.0f}× "
            f"| {py[1]} / {c[1]} | {py[2]:,} | {c[2]:,} |"
        )
        print(out[-1], flush=True)
    out.append("")
    out.append(
        "Costs are the travel of the best solution found (Solomon: 10 × distance); same "
        "construction, same temperatures, one run each on a shared 2-core machine."
    )
    return "\n".join(out)
