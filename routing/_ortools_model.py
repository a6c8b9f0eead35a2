"""The OR-Tools routing model of a :class:`~routing.model.Problem`.

Nodes are the visits (in problem order), then one start and one end node per vehicle. Open
starts and ends are nodes with zero travel to and from everything. OR-Tools indices never leave
this module: it speaks in visit and vehicle positions (indices into ``problem.visits`` and
``problem.vehicles``).

Breaks are OR-Tools break intervals with the visit durations as ``node_visit_transits``. That is
slightly looser than our semantics (OR-Tools lets a break interrupt a travel; we take it before
leaving or after arriving), so the solver re-places breaks exactly afterwards and repairs the
rare route that no longer fits.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing._schedule import Instance
from routing.model import Problem

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass(frozen=True)
class SearchConfig:
    """What the OR-Tools search does; built from :class:`routing.solver.SolveParams`."""

    time_limit: float
    metaheuristic: str
    first_solution: str
    gls_lambda: float
    log: bool = False
    #: ``time.perf_counter()`` by which the search must have stopped (besides ``time_limit``).
    deadline: float | None = None
    #: Stop once no better solution was found for this many seconds.
    stall: float | None = None


class OrtoolsModel:
    """Builds the model once; :meth:`solve` runs one search from optional initial routes."""

    def __init__(
        self,
        problem: Problem,
        inst: Instance,
        usable: Sequence[bool],
        fixed_chains: dict[int, list[int]],
    ) -> None:
        self.problem = problem
        self.inst = inst
        n = len(problem.visits)
        nv = len(problem.vehicles)
        self.n = n
        self.nv = nv
        nodes = n + 2 * nv
        self.manager = pywrapcp.RoutingIndexManager(
            nodes, nv, [n + k for k in range(nv)], [n + nv + k for k in range(nv)]
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        routing = self.routing
        manager = self.manager
        solver = routing.solver()

        locs = np.array(
            [v.location for v in problem.visits]
            + [-1 if v.start is None else v.start for v in problem.vehicles]
            + [-1 if v.end is None else v.end for v in problem.vehicles],
            dtype=np.int64,
        )
        svc = np.array([v.duration for v in problem.visits] + [0] * (2 * nv), dtype=np.int64)
        open_ = locs < 0
        safe = np.where(open_, 0, locs)
        time_eval: dict[str, int] = {}
        cost_eval: dict[str, int] = {}
        max_cost = 1
        for name, m in problem.matrices.items():
            if not any(v.profile == name for v in problem.vehicles):
                continue
            d = m.durations[np.ix_(safe, safe)].copy()
            # The planner's objective counts travel time (and waiting, below), not the costs.
            c = (m.durations if inst.wmode else m.cost_matrix)[np.ix_(safe, safe)].copy()
            for a in (d, c):
                a[open_, :] = 0
                a[:, open_] = 0
            np.fill_diagonal(d, 0)
            np.fill_diagonal(c, 0)
            max_cost = max(max_cost, int(c.max()))
            time_eval[name] = routing.RegisterTransitMatrix((d + svc[:, None]).tolist())
            cost_eval[name] = routing.RegisterTransitMatrix(c.tolist())
        for k, veh in enumerate(problem.vehicles):
            routing.SetArcCostEvaluatorOfVehicle(cost_eval[veh.profile], k)

        horizon = max(
            [v.shift.end for v in problem.vehicles]
            + [v.time_windows[-1].end for v in problem.visits]
        )
        routing.AddDimensionWithVehicleTransits(
            [time_eval[v.profile] for v in problem.vehicles], horizon, horizon, False, "time"
        )
        tdim = routing.GetDimensionOrDie("time")
        self.time = tdim
        for i, visit in enumerate(problem.visits):
            var = tdim.CumulVar(manager.NodeToIndex(i))
            ws = visit.time_windows
            var.SetRange(ws[0].start, ws[-1].end)
            for w0, w1 in itertools.pairwise(ws):
                if w1.start - w0.end > 1:
                    var.RemoveInterval(w0.end + 1, w1.start - 1)
        for k, veh in enumerate(problem.vehicles):
            tdim.CumulVar(routing.Start(k)).SetRange(veh.shift.start, veh.shift.end)
            tdim.CumulVar(routing.End(k)).SetRange(veh.shift.start, veh.shift.end)
            routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(k)))

        # Dropping a visit must cost more than any routing: serve as many (by priority) first.
        base = (nodes + 1) * max_cost + 1
        if inst.wmode:
            # Working time is travel plus waiting: waiting is the time dimension's slack (breaks
            # are too, a constant per used vehicle). Moves and preferences are the span of a
            # dimension whose transit is the visit's assignment cost on that vehicle.
            tdim.SetSlackCostCoefficientForAllVehicles(1)
            base += sum(max(v.shift.end - v.shift.start, 0) for v in problem.vehicles)
            if inst.acost is not None:
                acost = inst.acost
                vectors: dict[tuple[int, ...], int] = {}
                per_vehicle = []
                for k in range(nv):
                    col = tuple(acost[i][k] for i in range(n)) + (0,) * (2 * nv)
                    if col not in vectors:
                        vectors[col] = routing.RegisterUnaryTransitVector(list(col))
                    per_vehicle.append(vectors[col])
                cap = sum(max(row) for row in acost) + 1
                routing.AddDimensionWithVehicleTransits(per_vehicle, 0, cap, True, "assign")
                routing.GetDimensionOrDie("assign").SetSpanCostCoefficientForAllVehicles(1)
                base += cap
        fixed_nodes = {i for chain in fixed_chains.values() for i in chain}
        for i, visit in enumerate(problem.visits):
            idx = manager.NodeToIndex(i)
            allowed = [k for k in range(nv) if usable[k] and inst.allowed[i][k]]
            if i in fixed_nodes and allowed:
                pass  # mandatory: no disjunction
            else:
                penalty = base * (1 + visit.priority * (n + 1))
                routing.AddDisjunction([idx], penalty)
            if not allowed:
                routing.ActiveVar(idx).SetValue(0)
            elif len(allowed) < nv:
                routing.VehicleVar(idx).SetValues([-1, *allowed])

        if any(v.max_visits is not None for v in problem.vehicles):
            ones = routing.RegisterUnaryTransitVector([1] * n + [0] * (2 * nv))
            caps = [n if v.max_visits is None else v.max_visits for v in problem.vehicles]
            routing.AddDimensionWithVehicleCapacity(ones, 0, caps, True, "count")

        self._add_loads(inst)

        if any(v.breaks for v in problem.vehicles):
            size = routing.Size() + nv
            per_index = [int(svc[manager.IndexToNode(x)]) for x in range(size)]
            for k, veh in enumerate(problem.vehicles):
                if not veh.breaks or not usable[k]:
                    continue
                intervals = []
                for b in veh.breaks:
                    lo = max(b.time_windows[0].start, veh.shift.start)
                    hi = min(b.time_windows[-1].end, veh.shift.end - b.duration)
                    iv = solver.FixedDurationIntervalVar(lo, hi, b.duration, False, f"b{k}_{b.id}")
                    ws = b.time_windows
                    for w0, w1 in itertools.pairwise(ws):
                        if w1.start - w0.end > 1:
                            iv.StartExpr().Var().RemoveInterval(w0.end + 1, w1.start - 1)
                    # VROOM takes a break between two steps, never after arriving at the end.
                    solver.Add(iv.EndExpr() <= tdim.CumulVar(routing.End(k)))
                    intervals.append(iv)
                tdim.SetBreakIntervalsOfVehicle(intervals, k, per_index)

        for k, chain in fixed_chains.items():
            self._fix_chain(k, chain)

    def _add_loads(self, inst: Instance) -> None:
        problem = self.problem
        routing = self.routing
        n, nv = self.n, self.nv
        zeros = [0] * (2 * nv)
        for d in range(inst.dims):
            caps = [int(v.capacity[d]) if v.capacity else 10**15 for v in problem.vehicles]
            deliv = [inst.amount[i][d] for i in range(n)]
            pick = [inst.pickup[i][d] for i in range(n)]
            if not any(pick):
                if any(deliv):
                    ev = routing.RegisterUnaryTransitVector(deliv + zeros)
                    routing.AddDimensionWithVehicleCapacity(ev, 0, caps, True, f"load{d}")
                continue
            if not any(deliv):
                ev = routing.RegisterUnaryTransitVector(pick + zeros)
                routing.AddDimensionWithVehicleCapacity(ev, 0, caps, True, f"load{d}")
                continue
            # VROOM's rule: the load on leaving the start is everything to deliver; each visit
            # then drops its delivery and adds its pickup. The start load is a variable equal
            # to the route's total delivery (a second dimension counts it).
            ev = routing.RegisterUnaryTransitVector(
                [p - q for p, q in zip(pick, deliv, strict=True)] + zeros
            )
            routing.AddDimensionWithVehicleCapacity(ev, 0, caps, False, f"load{d}")
            dv = routing.RegisterUnaryTransitVector(deliv + zeros)
            routing.AddDimensionWithVehicleCapacity(dv, 0, caps, True, f"deliv{d}")
            load = routing.GetDimensionOrDie(f"load{d}")
            dd = routing.GetDimensionOrDie(f"deliv{d}")
            solver = routing.solver()
            for k in range(nv):
                solver.Add(load.CumulVar(routing.Start(k)) == dd.CumulVar(routing.End(k)))

    def _fix_chain(self, k: int, chain: list[int]) -> None:
        """Fixed visits stay on vehicle ``k`` in this order; adjacent ones stay adjacent."""
        routing, manager = self.routing, self.manager
        solver = routing.solver()
        idx = [manager.NodeToIndex(i) for i in chain]
        for x in idx:
            routing.VehicleVar(x).SetValue(k)
        for a, b, i in zip(idx, idx[1:], chain, strict=False):
            svc = self.problem.visits[i].duration
            solver.Add(self.time.CumulVar(a) + svc <= self.time.CumulVar(b))

    def fix_next(self, k: int, before: int | None, after: int) -> None:
        """Force visit ``after`` to follow ``before`` (a visit, or the start when ``None``)."""
        routing, manager = self.routing, self.manager
        src = routing.Start(k) if before is None else manager.NodeToIndex(before)
        routing.NextVar(src).SetValue(manager.NodeToIndex(after))

    def _params(self, cfg: SearchConfig) -> pywrapcp.DefaultRoutingSearchParameters:
        p = pywrapcp.DefaultRoutingSearchParameters()
        p.first_solution_strategy = getattr(_FSS, cfg.first_solution)
        p.time_limit.FromMilliseconds(max(1, int(cfg.time_limit * 1000)))
        p.log_search = cfg.log
        p.local_search_metaheuristic = getattr(_LSM, cfg.metaheuristic)
        p.guided_local_search_lambda_coefficient = cfg.gls_lambda
        return p

    def solve(self, cfg: SearchConfig, initial: list[list[int]] | None) -> list[list[int]] | None:
        """Search; each vehicle's visit positions in order, or ``None`` without a solution."""
        routing, manager = self.routing, self.manager
        params = self._params(cfg)
        best = [float("inf"), time.perf_counter()]

        def improved() -> None:
            value = float(routing.CostVar().Max())
            if value < best[0]:
                best[0] = value
                best[1] = time.perf_counter()

        def stop() -> bool:
            now = time.perf_counter()
            if cfg.deadline is not None and now >= cfg.deadline:
                return True
            return cfg.stall is not None and now - best[1] >= cfg.stall

        routing.AddAtSolutionCallback(improved)
        routing.AddSearchMonitor(routing.solver().CustomLimit(stop))
        sol = None
        start = None
        if initial is not None:
            routes = [[manager.NodeToIndex(i) for i in seq] for seq in initial]
            routing.CloseModelWithParameters(params)
            start = routing.ReadAssignmentFromRoutes(routes, True)
            if start is not None:
                sol = routing.SolveFromAssignmentWithParameters(start, params)
        if sol is None and (initial is None or start is None) and not stop():
            # No initial routes, or OR-Tools could not read them: search from scratch. (A search
            # from the initial routes that the deadline cut short is not started again.)
            sol = routing.SolveWithParameters(params)
        if sol is None:
            return None
        out: list[list[int]] = []
        for k in range(self.nv):
            seq: list[int] = []
            x = sol.Value(routing.NextVar(routing.Start(k)))
            while not routing.IsEnd(x):
                seq.append(manager.IndexToNode(x))
                x = sol.Value(routing.NextVar(x))
            out.append(seq)
        return out
