"""Ruin and recreate in the style of SISR (Christiaens & Vanden Berghe, 2020).

Each iteration removes a few strings of visits that lie close to a random seed visit, re-inserts
the removed visits (and the unserved ones near them) greedily at their cheapest exact-feasible
positions, with SISR's "blinks", and accepts the result by simulated annealing. Feasibility is
exact (the same forward/backward schedule checks as the construction), so every accepted
solution replays cleanly.

The loop runs in C (:mod:`routing._sisr`, built from ``routing/_sisr.c``) when every route is of
the kinds the C code knows: breaks of one window each (any number: split shifts and the extra
breaks of a disruption day), deliveries only (fixed visits and their locked pairs included), with
or without the planner's objective. That is the usual municipal day, a re-plan of a day under
way or disrupted, and every Solomon instance; the C loop runs about a hundred times more
iterations in the same time. Between short C runs, Python tries ejection
chains for unserved visits. Other days run the same search in Python, where speed is in the
bookkeeping: a visit is only tried on the vehicles that may serve it within their shift;
insertion answers are cached per route version (a route that is changed and then restored by a
rejected iteration gets its old version back, so the answers stay valid); and a rejected
iteration restores the saved states of the routes it touched instead of recomputing them.
"""

from __future__ import annotations

import itertools
import math
import random
import time

import numpy as np

from routing._schedule import INF, Instance, RouteState, first_start

try:
    from routing import _sisr
except ImportError:  # pragma: no cover - a checkout whose extension was not built
    _sisr = None  # type: ignore[assignment]

#: The C loop takes vehicles with fewer breaks than this (``MAXW`` in ``routing/_sisr.c``).
_MAX_BREAKS = 16

#: Field order of the C loop's instance blob (``routing/_sisr.c``, enum ``F_*``).
_FIELDS = (
    "loc svc prio fixed tw_off tw_s tw_e amount vstart vend shs she nbrk bs be bd maxv cap prof "
    "klass usable dur cost compat neigh lockp acost wmode boff"
).split()


def pack(
    inst: Instance,
    compat: list[set[int]],
    neighbours: np.ndarray,
    klass: list[int],
    usable: list[bool],
) -> np.ndarray | None:
    """The instance as the C loop reads it (one int64 array), or ``None`` when it cannot run
    it (a break with several windows, pickups, or 16 breaks or more)."""
    problem = inst.problem
    if inst.has_pickups:
        return None
    if any(
        len(v.breaks) >= _MAX_BREAKS or any(len(b[1]) != 1 for b in v.breaks) for v in inst.vehicles
    ):
        return None
    n, nv, dims = inst.n, len(inst.vehicles), inst.dims
    sz = problem.size + 1
    null = problem.size
    profiles = list(problem.matrices)
    tw_off = [0]
    tw_s: list[int] = []
    tw_e: list[int] = []
    for ws in inst.tw:
        tw_s.extend(s for s, _ in ws)
        tw_e.extend(e for _, e in ws)
        tw_off.append(len(tw_s))
    vs = inst.vehicles
    lockp = [-2] * n
    for a, b in inst.locked:
        lockp[b] = a
    fields: dict[str, object] = {
        "loc": inst.loc,
        "svc": inst.svc,
        "prio": inst.prio,
        "fixed": [int(v.fixed) for v in problem.visits],
        "tw_off": tw_off,
        "tw_s": tw_s,
        "tw_e": tw_e,
        "amount": [a for row in inst.amount for a in row] or [0],
        "vstart": [null if v.start is None else v.start for v in vs],
        "vend": [null if v.end is None else v.end for v in vs],
        "shs": [v.shift_start for v in vs],
        "she": [v.shift_end for v in vs],
        "nbrk": [len(v.breaks) for v in vs],
        "bs": [b[1][0][0] for v in vs for b in v.breaks] or [0],
        "be": [b[1][0][1] for v in vs for b in v.breaks] or [0],
        "bd": [b[2] for v in vs for b in v.breaks] or [0],
        "maxv": [min(v.max_visits, n + 1) for v in vs],
        "cap": [c for v in vs for c in v.capacity] or [0],
        "prof": [profiles.index(v.profile) for v in vs],
        "klass": klass,
        "usable": [int(x) for x in usable],
        "dur": np.stack(
            [np.pad(np.asarray(m.durations), ((0, 1), (0, 1))) for m in problem.matrices.values()]
        ),
        # With the planner's objective the search minimises travel time, not the cost matrix.
        "cost": np.stack(
            [
                np.pad(np.asarray(m.durations if inst.wmode else m.cost_matrix), ((0, 1), (0, 1)))
                for m in problem.matrices.values()
            ]
        ),
        "compat": [int(k in ks) for ks in compat for k in range(nv)] or [0],
        "neigh": neighbours if n else [0],
        "lockp": lockp or [0],
        "acost": [a for row in inst.acost for a in row] if inst.acost and n else [-1],
        "wmode": [int(inst.wmode), inst.balance_milli],
        "boff": list(itertools.accumulate((len(v.breaks) for v in vs), initial=0))[:-1] or [0],
    }
    head = [n, nv, sz, dims, len(profiles)]
    parts = [np.ascontiguousarray(np.asarray(fields[f], dtype=np.int64).ravel()) for f in _FIELDS]
    offsets = []
    at = len(head) + len(_FIELDS)
    for part in parts:
        offsets.append(at)
        at += len(part)
    return np.concatenate([np.array(head + offsets, dtype=np.int64), *parts])


#: The key of a plan over a cap on moves: worse than any plan within it.
OVER_CAP = (INF, 0, 0.0)


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
        compiled: bool = True,
    ) -> None:
        self.inst = inst
        self.rng = rng
        self.usable = usable
        self.avg_removed = avg_removed
        self.max_string = max_string
        self.blink = blink
        #: Share of the iterations whose ruin is centred on an unserved visit (when there is one).
        self.focus_share = 0.2
        #: Every so many iterations, try to serve an unserved visit by an ejection chain.
        self.eject_every = 50
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
        # Unserved visits are retried when a ruin frees room near them.
        self.near = [list(row[1:31]) for row in self.neighbours.tolist()]
        # Insertion candidates: the vehicles that may serve the visit within their shift.
        self.compat = [
            [
                k
                for k, veh in enumerate(inst.vehicles)
                if usable[k]
                and inst.allowed[u][k]
                and first_start(inst.tw[u], veh.shift_start) + inst.svc[u] <= veh.shift_end
            ]
            for u in range(inst.n)
        ]
        self.compat_set = [set(ks) for ks in self.compat]
        #: Try a visit on the routes near it first (and on all only when none of those fits).
        self.near_only = True
        penalty_base = (len(inst.loc) + 2 * nv + 1) * max(
            1, max(int(np.asarray(mm.cost_matrix).max()) for mm in mats.values())
        )
        if inst.wmode:
            # Serving one more visit must beat any working time and assignment costs.
            penalty_base += (len(inst.loc) + 2 * nv + 1) * max(
                1, max(int(np.asarray(mm.durations).max()) for mm in mats.values())
            )
            penalty_base += sum(max(v.shift_end - v.shift_start, 0) for v in inst.vehicles)
            if inst.acost is not None:
                penalty_base += sum(max(row) for row in inst.acost)
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
        self.best_key = self._key()
        self.iterations = 0
        #: Early stop: seconds without a better solution (``None``: run to the deadline).
        self.stall: float | None = None
        self._seen_key = self.best_key
        self._improved_at = 0.0
        #: Insertion answers per (visit, route version); routes restored keep their versions.
        self.cache: dict[tuple[int, int], tuple[int, int]] = {}
        #: States of the routes changed in this iteration, as they were before it.
        self.saved: dict[int, dict[str, object]] = {}
        from routing._construct import _class_key

        first: dict[tuple[object, ...], int] = {}
        for k in range(nv):
            first.setdefault(_class_key(inst, k), k)
        self.klass = [first[_class_key(inst, k)] for k in range(nv)]
        #: The instance for the C loop, or ``None`` when this day runs in Python.
        self.blob = None
        if compiled and _sisr is not None:
            self.blob = pack(inst, self.compat_set, self.neighbours, self.klass, usable)
        #: Seconds per C run; ejection chains are tried between runs.
        self.chunk = 0.1
        #: A cap on moves (:meth:`cap_moves`): at most this many served visits on another
        #: vehicle than their current one; ``None``: no cap.
        self.max_moves: int | None = None
        self.home = [-1] * inst.n

    def cap_moves(self, max_moves: int) -> None:
        """Never accept a plan with more than ``max_moves`` visits away from their current
        vehicle (unless it has no more than the plan it came from), nor keep one as the best."""
        index = {veh.id: k for k, veh in enumerate(self.inst.problem.vehicles)}
        self.max_moves = max_moves
        self.home = [
            index.get(v.current_vehicle, -1) if v.current_vehicle is not None else -1
            for v in self.inst.problem.visits
        ]
        if self._moves() > max_moves:
            self.best_key = OVER_CAP  # a start over the cap is no best

    def _moves(self, where: list[int] | None = None) -> int:
        """Served visits away from their current vehicle, in ``where`` (default: the current
        plan's)."""
        home = self.home
        return sum(
            1
            for i, k in enumerate(self.where if where is None else where)
            if k >= 0 and home[i] not in (-1, k)
        )

    def _touch(self, k: int) -> None:
        if k not in self.saved:
            self.saved[k] = self.states[k].save()

    def soften(self, arc: float, factor: float) -> None:
        """Price unserved visits at ``factor`` average arcs (times 1 + priority/10)."""
        if factor <= 0:
            return
        self.penalty = [arc * factor * (1 + p / 10) for p in self.inst.prio]
        self.cost = self._total()

    def _balance(self) -> int:
        if not self.inst.balance_milli:
            return 0
        return self.inst.balance_cost([st.span for st in self.states if st.seq])

    def _key(self) -> tuple[int, int, float]:
        served = [i for i in range(self.inst.n) if self.where[i] >= 0]
        return (
            -sum(self.inst.prio[i] for i in served),
            -len(served),
            float(sum(st.cost for st in self.states) + self._balance()),
        )

    def _total(self) -> float:
        c = float(sum(st.cost for st in self.states) + self._balance())
        return c + float(sum(self.penalty[i] for i in self.unserved))

    def _ruin(self, focus: int | None = None) -> list[int]:
        """Remove strings from routes near a random served visit (or near ``focus``)."""
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
        seed = rng.choice(served) if focus is None else focus
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
            rest = [i for i in seq if i not in gone]
            if rest and not inst.time_ok(k, rest):
                # Removing visits can make a route undrivable (a break that only fitted between
                # two of them, or travel without the triangle inequality): leave it be.
                continue
            self._touch(k)
            self.states[k].seq = rest
            ruined.add(k)
            removed.extend(out)
        for k in ruined:
            self.states[k].refresh()
        for i in removed:
            self.where[i] = -1
        return removed

    def _recreate(self, todo: list[int], n_removed: int, first: int | None = None) -> None:
        inst = self.inst
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            rng.shuffle(todo)
        elif r < 0.6:
            todo.sort(key=lambda i: -inst.svc[i])
        elif r < 0.8:
            todo.sort(key=lambda i: inst.tw[i][-1][1] - inst.tw[i][0][0])
        else:
            todo.sort(key=lambda i: -inst.prio[i])
        if first is not None:
            todo.remove(first)
            todo.insert(0, first)
        # One empty route per class of interchangeable vehicles is enough to try.
        states = self.states
        klass = self.klass
        empties: dict[int, int] = {}
        for k, st in enumerate(states):
            if not st.seq and self.usable[k]:
                empties.setdefault(klass[k], k)
        where = self.where
        cache = self.cache
        blink = self.blink
        retried = set(todo[n_removed:])
        near_only = self.near_only
        # Under a cap on moves, once the plan is at the cap a visit may only go back to its own
        # vehicle (a plan over the cap would be refused anyway).
        cap = -1 if self.max_moves is None else self.max_moves
        moves_now = self._moves() if cap >= 0 else 0
        for u in todo:
            best = INF
            best_k = -1
            best_p = -1
            compat = self.compat_set[u]
            home = self.home[u] if cap >= 0 else -1
            at_cap = home >= 0 and moves_now >= cap
            if at_cap:
                cand: set[int] | list[int] = set()
                if home in compat:
                    back = states[home].insertion(u)
                    if back[0] < INF:
                        best, best_k, best_p = back[0], home, back[1]
            elif near_only and u not in retried:
                # Routes holding one of the nearest visits, and the empty ones.
                cand = {k for k in (where[c] for c in self.near[u]) if k in compat}
                cand.update(k for k in empties.values() if k in compat)
            else:
                cand = compat
            for k in cand:
                st = states[k]
                if not st.seq and empties.get(klass[k]) != k:
                    continue
                key = (u, st.version)
                found = cache.get(key)
                if found is None:
                    found = cache[key] = st.insertion(u)
                c = found[0]
                if c < best and rng.random() >= blink:
                    best, best_k, best_p = c, k, found[1]
            if best_k < 0 and not at_cap and near_only and u not in retried and cand is not compat:
                # Nothing nearby fits: try every vehicle before giving up on the visit.
                for k in self.compat[u]:
                    st = states[k]
                    if k in cand or (not st.seq and empties.get(klass[k]) != k):
                        continue
                    key = (u, st.version)
                    found = cache.get(key)
                    if found is None:
                        found = cache[key] = st.insertion(u)
                    if found[0] < best:
                        best, best_k, best_p = found[0], k, found[1]
            if best_k < 0:
                self.unserved.add(u)
                continue
            if home >= 0 and best_k != home:
                moves_now += 1
            st = states[best_k]
            was_empty = not st.seq
            self._touch(best_k)
            st.insert(u, best_p)
            where[u] = best_k
            self.unserved.discard(u)
            if was_empty and empties.get(klass[best_k]) == best_k:
                del empties[klass[best_k]]
                for k2, st2 in enumerate(states):
                    if klass[k2] == klass[best_k] and not st2.seq and self.usable[k2]:
                        empties[klass[k2]] = k2
                        break
        if len(cache) > 400_000:
            cache.clear()

    def _chain(
        self, u: int, banned: frozenset[int], depth: int
    ) -> tuple[float, dict[int, list[int]]] | None:
        """Cheapest way to place ``u`` on a route not in ``banned``: directly, or in the place
        of a visit ``w`` that is itself placed the same way (``depth`` more times) elsewhere.

        Returns the cost change and the new visit order of each route it touches.
        """
        inst = self.inst
        states = self.states
        prio = inst.prio
        cache = self.cache
        best: tuple[float, dict[int, list[int]]] | None = None
        for k in self.compat[u]:
            if k in banned:
                continue
            st = states[k]
            key = (u, st.version)
            found = cache.get(key)
            if found is None:
                found = cache[key] = st.insertion(u)
            if found[0] < INF and (best is None or found[0] < best[0]):
                seq = [*st.seq[: found[1]], u, *st.seq[found[1] :]]
                best = (float(found[0]), {k: seq})
            if depth == 0:
                continue
            for w in st.seq:
                if w in self.fixed or prio[w] > prio[u]:
                    continue
                rest = [i for i in st.seq if i != w]
                if not inst.time_ok(k, rest):  # the insertion check needs a drivable route
                    continue
                trial = RouteState(inst, k, rest)
                c, pos = trial.insertion(u)
                if c >= INF:
                    continue
                here = trial.cost + c - st.cost
                if best is not None and here >= best[0]:
                    continue
                sub = self._chain(w, banned | {k}, depth - 1)
                if sub is None or (best is not None and here + sub[0] >= best[0]):
                    continue
                best = (here + sub[0], {k: [*rest[:pos], u, *rest[pos:]], **sub[1]})
        return best

    def _eject(self, u: int, depth: int = 1) -> bool:
        """Serve the unserved ``u`` by an ejection chain; nothing changes when there is none.

        For the last visits of a tight day that no ruin has made room for: ``u`` takes the
        place of a visit ``w`` (of no higher priority, not fixed) on a route where it then
        fits, and ``w`` goes to another route, directly or (``depth`` > 1) by pushing out a
        visit of its own. The cheapest chain found is applied.
        """
        found = self._chain(u, frozenset(), depth)
        if found is None or not all(self.inst.feasible(k, seq) for k, seq in found[1].items()):
            return False
        for k, seq in found[1].items():
            self._touch(k)
            self.states[k].seq = seq
            self.states[k].refresh()
            for i in seq:
                self.where[i] = k
        self.unserved.discard(u)
        return True

    def _eject_one(self, pool: list[int], deeper: bool) -> bool:
        """Try an ejection chain for one of the unserved ``pool`` (sorted). Longer chains cost
        more, so they are for the last few visits of a day: depth 2 for three or fewer, and
        depth 3 for the very last one when ``deeper`` (now and then)."""
        depth = 2 if len(pool) <= 3 else 1
        if len(pool) == 1 and deeper:
            depth = 3
        return self._eject(self.rng.choice(pool), depth)

    def _keep_if_best(self) -> None:
        """Remember the current routes when they beat the best so far (and keep to the cap)."""
        if self.max_moves is not None and self._moves() > self.max_moves:
            return
        key = self._key()
        if key < self.best_key:
            self.best_key = key
            self.best_routes = [list(st.seq) for st in self.states]

    def _stalled(self, now: float) -> bool:
        """No better solution for ``stall`` seconds (early stop)."""
        if self.best_key != self._seen_key:
            self._seen_key = self.best_key
            self._improved_at = now
            return False
        return self.stall is not None and now - self._improved_at >= self.stall

    def run(
        self, deadline: float, t0: float, t1: float, stall: float | None = None
    ) -> list[list[int]]:
        """Iterate until ``deadline`` (perf_counter), or until the best solution has not improved
        for ``stall`` seconds; temperatures fall from ``t0`` to ``t1``."""
        rng = self.rng
        start = time.perf_counter()
        self.stall = stall
        self._seen_key = self.best_key
        self._improved_at = start
        span = max(1e-6, deadline - start)
        # First serve what ejection chains can serve (the construction leaves some of a tight
        # day out); each one applied is better by the full penalty of a visit.
        if 0 < len(self.unserved) <= 10:
            for u in sorted(self.unserved):
                self._eject(u, 2)
            self.saved = {}
            self.cost = self._total()
            self._keep_if_best()
        if self.blob is not None:
            return self._run_compiled(self.blob, deadline, t0, t1)
        while True:
            now = time.perf_counter()
            if now >= deadline or (self.iterations % 20 == 0 and self._stalled(now)):
                break
            frac = (now - start) / span
            temp = t0 * (t1 / t0) ** frac
            self.saved = {}
            where = list(self.where)
            unserved = set(self.unserved)
            # Now and then the ruin clears room around an unserved visit, which then goes in
            # first: without this a visit the construction could not place waits for a random
            # ruin to land next to it, and a day that can be served in full may end one short.
            focus = None
            ejected = False
            if unserved:
                pool = sorted(unserved)
                if self.iterations % self.eject_every == 0:
                    deeper = self.iterations % (10 * self.eject_every) == 0
                    ejected = self._eject_one(pool, deeper)
                if not ejected and rng.random() < self.focus_share:
                    focus = rng.choice(pool)
            removed = [] if ejected else self._ruin(focus)
            # Unserved visits are retried when the ruin freed room near them (or now and then);
            # retrying all of them every time would cost more than the ruin itself.
            gone = set(removed)
            retry = [
                i
                for i in sorted(self.unserved)
                if i not in gone
                and (i == focus or rng.random() < 0.05 or any(c in gone for c in self.near[i][:15]))
            ]
            todo = removed + retry
            self.unserved -= set(todo)
            self._recreate(todo, len(removed), first=focus)
            cost = self._total()
            self.iterations += 1
            capped = False
            if self.max_moves is not None:
                # over the cap, and more moves than the plan it came from (where, as it was)
                moves = self._moves()
                capped = moves > self.max_moves and moves > self._moves(where)
            if not capped and cost < self.cost - temp * math.log(rng.random() + 1e-300):
                self.cost = cost
                self._keep_if_best()
            else:
                for k, saved in self.saved.items():
                    self.states[k].restore(saved)
                self.where = where
                self.unserved = unserved
        return self.best_routes

    def _run_compiled(
        self, blob: np.ndarray, deadline: float, t0: float, t1: float
    ) -> list[list[int]]:
        """:meth:`run` with the iterations in C, in short runs; between them Python tries an
        ejection chain for an unserved visit, as the Python loop does every ``eject_every``."""
        assert _sisr is not None
        inst = self.inst
        rng = self.rng
        n, nv = inst.n, len(self.states)
        penalty = np.asarray(self.penalty, dtype=np.float64)
        start = time.perf_counter()
        span = max(1e-6, deadline - start)
        runs = 0
        while True:
            now = time.perf_counter()
            if now >= deadline or self._stalled(now):
                break
            seconds = min(self.chunk, deadline - now)
            ta = t0 * (t1 / t0) ** ((now - start) / span)
            tb = t0 * (t1 / t0) ** (min(1.0, (now + seconds - start) / span))
            buf = np.zeros(2 * (nv + n), dtype=np.int64)
            for half, routes in ((0, [st.seq for st in self.states]), (nv + n, self.best_routes)):
                buf[half : half + nv] = [len(r) for r in routes]
                flat = [i for r in routes for i in r]
                buf[half + nv : half + nv + len(flat)] = flat
            keys = np.array(self.best_key, dtype=np.float64)
            params = np.array(
                [
                    rng.getrandbits(52),
                    seconds,
                    ta,
                    tb,
                    self.avg_removed,
                    self.max_string,
                    self.blink,
                    self.focus_share,
                    -1 if self.max_moves is None else self.max_moves,
                    *(self.home if self.max_moves is not None else ()),
                ],
                dtype=np.float64,
            )
            self.iterations += _sisr.sisr(blob, penalty, buf, keys, params)
            runs += 1
            cur = _unflatten(buf[: nv + n], nv)
            best = _unflatten(buf[nv + n :], nv)
            self.where = [-1] * n
            for k, seq in enumerate(cur):
                st = self.states[k]
                if st.seq != seq:
                    st.seq = seq
                    st.refresh()
                for i in seq:
                    self.where[i] = k
            self.unserved = {i for i in range(n) if self.where[i] < 0}
            self.cost = self._total()
            key = (int(keys[0]), int(keys[1]), float(keys[2]))
            if key < self.best_key:
                self.best_key = key
                self.best_routes = best
            if self.unserved and self._eject_one(sorted(self.unserved), runs % 10 == 0):
                self.saved = {}
                self.cost = self._total()
                self._keep_if_best()
        return self.best_routes


def _unflatten(buf: np.ndarray, nv: int) -> list[list[int]]:
    """Routes from ``[len per vehicle..., visits...]``."""
    lens = buf[:nv].tolist()
    flat = buf[nv:].tolist()
    out = []
    at = 0
    for m in lens:
        out.append(flat[at : at + m])
        at += m
    return out
