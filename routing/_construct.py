"""Regret insertion with exact feasibility, and the repair of routes that replay infeasibly.

Used to build the first solution handed to OR-Tools (OR-Tools' own first-solution heuristics
struggle with breaks), to repair warm starts, and to re-insert visits after OR-Tools' looser
break model produced a route that VROOM's semantics reject.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from routing._schedule import INF, Instance, RouteState


def _class_key(inst: Instance, k: int) -> tuple[object, ...]:
    v = inst.vehicles[k]
    return (
        v.profile,
        v.start,
        v.end,
        v.shift_start,
        v.shift_end,
        v.breaks,
        v.capacity,
        v.max_visits,
        inst.problem.vehicles[k].skills,
    )


def regret_insert(
    inst: Instance,
    routes: list[list[int]],
    todo: Sequence[int],
    *,
    usable: Sequence[bool] | None = None,
    rng: random.Random | None = None,
    noise: float = 0.0,
) -> list[int]:
    """Insert ``todo`` (visit indices) into ``routes`` (one per vehicle, changed in place).

    Visits are taken by priority, then by regret (how much worse the second-best vehicle is),
    each at its cheapest feasible position. Returns the visits that fit nowhere.
    """
    nv = len(inst.vehicles)
    usable = usable if usable is not None else [True] * nv
    states = [RouteState(inst, k, routes[k]) for k in range(nv)]
    remaining = list(dict.fromkeys(todo))
    if not remaining:
        return []
    classes: dict[tuple[object, ...], list[int]] = {}
    for k in range(nv):
        classes.setdefault(_class_key(inst, k), []).append(k)
    class_of = {k: key for key, ks in classes.items() for k in ks}
    pos_u = {u: r for r, u in enumerate(remaining)}
    cost = np.full((len(remaining), nv), np.inf)
    where = np.full((len(remaining), nv), -1, dtype=np.int64)
    alive = np.ones(len(remaining), dtype=bool)
    prio = np.array([inst.prio[u] for u in remaining], dtype=np.float64)

    def shadowed(u: int, k: int) -> bool:
        # Empty vehicles of one class are interchangeable: keep only the first one allowed.
        if states[k].seq:
            return False
        for k2 in classes[class_of[k]]:
            if k2 == k:
                return False
            if usable[k2] and not states[k2].seq and inst.allowed[u][k2]:
                return True
        return False

    def column(k: int) -> None:
        if not usable[k]:
            return
        st = states[k]
        for r, u in enumerate(remaining):
            if not alive[r]:
                continue
            if shadowed(u, k):
                cost[r, k] = np.inf
                continue
            c, p = st.insertion(u)
            if c >= INF:
                cost[r, k] = np.inf
            else:
                cost[r, k] = c * (1.0 + noise * rng.random()) if rng and noise else c
                where[r, k] = p

    for k in range(nv):
        column(k)
    unplaced: list[int] = []
    big = 1e15
    while alive.any():
        rows = np.flatnonzero(alive)
        sub = cost[rows]
        feasible = np.isfinite(sub).any(axis=1)
        for r in rows[~feasible]:
            alive[r] = False
            unplaced.append(remaining[r])
        rows = rows[feasible]
        if rows.size == 0:
            break
        sub = cost[rows]
        if sub.shape[1] >= 2:
            two = np.partition(sub, 1, axis=1)[:, :2]
        else:
            two = np.concatenate([sub, np.full((sub.shape[0], 1), np.inf)], axis=1)
        best = two[:, 0]
        second = np.where(np.isfinite(two[:, 1]), two[:, 1], big)
        regret = second - best
        # Priority first, then regret, then the cheaper insertion.
        order = np.lexsort((best, -regret, -prio[rows]))
        r = int(rows[order[0]])
        u = remaining[r]
        k = int(np.argmin(cost[r]))
        states[k].insert(u, int(where[r, k]))
        alive[r] = False
        was_empty = len(states[k].seq) == 1
        column(k)
        if was_empty:
            for k2 in classes[class_of[k]]:
                if k2 != k and not states[k2].seq:
                    column(k2)
    del pos_u
    for k in range(nv):
        routes[k] = states[k].seq
    return unplaced


def repair(inst: Instance, k: int, seq: list[int]) -> tuple[list[int], list[int]]:
    """Drop visits from an infeasible route until it is feasible: ``(route, dropped)``.

    Fixed visits are never dropped here; if only they remain and still do not fit, the caller
    reports the route as it is.
    """
    dropped: list[int] = []
    seq = list(seq)
    fixed = {i for i, v in enumerate(inst.problem.visits) if v.fixed}
    while seq and not inst.feasible(k, seq):
        best: tuple[float, int] | None = None
        for p, u in enumerate(seq):
            if u in fixed:
                continue
            trial = seq[:p] + seq[p + 1 :]
            ok = inst.feasible(k, trial)
            saving = inst.route_cost(k, seq) - inst.route_cost(k, trial)
            # Prefer removals that restore feasibility, then low priority, then big savings.
            key = (0 if ok else 1, inst.prio[u], -saving)
            score = key[0] * 1e18 + key[1] * 1e15 + key[2]
            if best is None or score < best[0]:
                best = (score, p)
        if best is None:
            # Only fixed visits are left and they do not fit: give them up rather than keep an
            # infeasible route.
            dropped.append(seq.pop())
            continue
        dropped.append(seq.pop(best[1]))
    return seq, dropped
