"""Ruin and recreate in the style of SISR (Christiaens & Vanden Berghe, 2020).

Each iteration removes a few strings of visits that lie close to a random seed visit, re-inserts
the removed visits (and any unserved ones) greedily at their cheapest exact-feasible positions,
with SISR's "blinks", and accepts the result by simulated annealing. Feasibility is exact (the
same forward/backward schedule checks as the construction), so every accepted solution replays
cleanly. The search is in Python, so it runs a few thousand iterations in a few seconds: enough
to move customers between routes in ways the local search of OR-Tools does not find.
"""

from __future__ import annotations

import math
import random
import time

import numpy as np

from routing._schedule import INF, Instance, RouteState


class RuinRecreate:
    """State of the search: current and best routes."""

    def __init__(
        self,
        inst: Instance,
        routes: list[list[int]],
        usable: list[bool],
        rng: random.Random,
        *,
        avg_removed: int = 10,
        max_string: int = 10,
        blink: float = 0.01,
    ) -> None:
        self.inst = inst
        self.rng = rng
        self.usable = usable
        self.avg_removed = avg_removed
        self.max_string = max_string
        self.blink = blink
        nv = len(inst.vehicles)
        self.states = [RouteState(inst, k, list(routes[k])) for k in range(nv)]
        self.fixed = {i for i, v in enumerate(inst.problem.visits) if v.fixed}
        # Neighbours by travel from the visit (first profile; good enough to pick strings).
        mats = inst.problem.matrices
        m = next(iter(mats.values())).cost_matrix
        locs = np.array(inst.loc, dtype=np.int64)
        if len(locs):
            d = np.asarray(m)[np.ix_(locs, locs)]
            self.neighbours = np.argsort(d, axis=1, kind="stable")
        else:
            self.neighbours = np.zeros((0, 0), dtype=np.int64)
        # Insertion candidates: routes holding one of the nearest visits, and empty routes.
        self.near = [list(row[1:31]) for row in self.neighbours.tolist()]
        penalty_base = (len(inst.loc) + 2 * nv + 1) * max(
            1, max(int(np.asarray(mm.cost_matrix).max()) for mm in mats.values())
        )
        self.hard_penalty = [penalty_base * (1 + p * (inst.n + 1)) for p in inst.prio]
        # During the search an unserved visit costs only a few average arcs, so the annealing
        # may drop a visit to restructure routes and serve more later; the best solution is
        # still chosen by served priority, then served count, then cost.
        self.penalty: list[float] = [float(x) for x in self.hard_penalty]
        self.best_key = (0, 0, 0.0)
        self.where = [-1] * inst.n
        for k, st in enumerate(self.states):
            for i in st.seq:
                self.where[i] = k
        self.unserved = {i for i in range(inst.n) if self.where[i] == -1}
        self.cost = self._total()
        self.best_routes = [list(st.seq) for st in self.states]
        self.best_cost = self.cost
        self.best_key = self._key()
        self.iterations = 0
        from routing._construct import _class_key

        first: dict[tuple[object, ...], int] = {}
        for k in range(nv):
            first.setdefault(_class_key(inst, k), k)
        self.klass = [first[_class_key(inst, k)] for k in range(nv)]

    def soften(self, arc: float, factor: float) -> None:
        """Price unserved visits at ``factor`` average arcs (times 1 + priority/10)."""
        if factor <= 0:
            return
        self.penalty = [arc * factor * (1 + p / 10) for p in self.inst.prio]
        self.cost = self._total()

    def _key(self) -> tuple[int, int, float]:
        served = [i for i in range(self.inst.n) if self.where[i] >= 0]
        return (
            -sum(self.inst.prio[i] for i in served),
            -len(served),
            float(sum(st.cost for st in self.states)),
        )

    def _total(self) -> float:
        c = float(sum(st.cost for st in self.states))
        return c + float(sum(self.penalty[i] for i in self.unserved))

    def _ruin(self) -> list[int]:
        inst = self.inst
        rng = self.rng
        served = [i for i in range(inst.n) if self.where[i] >= 0]
        if not served:
            return []
        sizes = [len(st.seq) for st in self.states if st.seq]
        avg_len = sum(sizes) / len(sizes)
        lmax = min(self.max_string, avg_len)
        ks_max = 4 * self.avg_removed / (1 + lmax) - 1
        ks = int(rng.random() * ks_max) + 1
        seed = rng.choice(served)
        removed: list[int] = []
        ruined: set[int] = set()
        for c in self.neighbours[seed].tolist():
            if len(ruined) >= ks:
                break
            k = self.where[c]
            if k < 0 or k in ruined or c in self.fixed:
                continue
            seq = self.states[k].seq
            lmax_r = min(len(seq), lmax)
            size = int(rng.random() * lmax_r) + 1
            pos = seq.index(c)
            if rng.random() < 0.5 or size >= len(seq):
                lo = max(0, min(pos - rng.randrange(size), len(seq) - size))
                take = list(range(lo, lo + size))
            else:
                keep = 1
                while rng.random() < 0.99 and size + keep < len(seq):
                    keep += 1
                total = size + keep
                lo = max(0, min(pos - rng.randrange(total), len(seq) - total))
                start_keep = lo + rng.randrange(size + 1)
                take = [p for p in range(lo, lo + total) if not start_keep <= p < start_keep + keep]
            out = [seq[p] for p in take if seq[p] not in self.fixed]
            if not out:
                continue
            gone = set(out)
            self.states[k].seq = [i for i in seq if i not in gone]
            ruined.add(k)
            removed.extend(out)
        for k in ruined:
            self.states[k].refresh()
        for i in removed:
            self.where[i] = -1
        return removed

    def _recreate(self, todo: list[int], n_removed: int) -> None:
        inst = self.inst
        rng = self.rng
        retried = set(todo[n_removed:])
        r = rng.random()
        if r < 0.4:
            rng.shuffle(todo)
        elif r < 0.6:
            todo.sort(key=lambda i: -inst.svc[i])
        elif r < 0.8:
            todo.sort(key=lambda i: inst.tw[i][-1][1] - inst.tw[i][0][0])
        else:
            todo.sort(key=lambda i: -inst.prio[i])
        empties_seen: set[tuple[int, bool]] = set()
        for u in todo:
            best = INF
            best_k = -1
            best_p = -1
            cand: set[int] = set()
            for c in self.near[u]:
                k = self.where[c]
                if k >= 0:
                    cand.add(k)
            empties_seen.clear()
            for k, st in enumerate(self.states):
                if not st.seq and self.usable[k]:
                    key = (self.klass[k], inst.allowed[u][k])
                    if key not in empties_seen:
                        empties_seen.add(key)
                        cand.add(k)
            for k in cand:
                if not self.usable[k]:
                    continue
                c, p = self.states[k].insertion(u)
                if c < best and rng.random() >= self.blink:
                    best, best_k, best_p = c, k, p
            if best_k < 0 and u not in retried:
                # Nothing nearby fits: try every route before giving up on the visit.
                for k, st in enumerate(self.states):
                    if k in cand or not self.usable[k]:
                        continue
                    c, p = st.insertion(u)
                    if c < best:
                        best, best_k, best_p = c, k, p
            if best_k < 0:
                self.unserved.add(u)
                continue
            self.states[best_k].insert(u, best_p)
            self.where[u] = best_k
            self.unserved.discard(u)

    def run(self, deadline: float, t0: float, t1: float) -> list[list[int]]:
        """Iterate until ``deadline`` (perf_counter); temperatures fall from ``t0`` to ``t1``."""
        rng = self.rng
        start = time.perf_counter()
        span = max(1e-6, deadline - start)
        while True:
            now = time.perf_counter()
            if now >= deadline:
                break
            frac = (now - start) / span
            temp = t0 * (t1 / t0) ** frac
            snapshot = [(k, list(st.seq)) for k, st in enumerate(self.states)]
            where = list(self.where)
            unserved = set(self.unserved)
            removed = self._ruin()
            # Unserved visits are retried when the ruin freed room near them (or now and then);
            # retrying all of them every time would cost more than the ruin itself.
            gone = set(removed)
            retry = [
                i
                for i in unserved
                if i not in gone
                and (rng.random() < 0.05 or any(c in gone for c in self.near[i][:15]))
            ]
            todo = removed + retry
            self.unserved -= set(todo)
            self._recreate(todo, len(removed))
            cost = self._total()
            self.iterations += 1
            if cost < self.cost - temp * math.log(rng.random() + 1e-300):
                self.cost = cost
                key = self._key()
                if key < self.best_key:
                    self.best_key = key
                    self.best_cost = cost
                    self.best_routes = [list(st.seq) for st in self.states]
            else:
                for k, seq in snapshot:
                    st = self.states[k]
                    if st.seq != seq:
                        st.seq = seq
                        st.refresh()
                self.where = where
                self.unserved = unserved
        return self.best_routes
