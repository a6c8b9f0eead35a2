"""Exact route feasibility with VROOM's semantics, fast enough for insertion heuristics.

A route is an order of visits; breaks are placed by dynamic programming over the gaps between
steps (taken in the order of their earliest window, where the vehicle is). As in
:func:`routing.replay.replay`, a break between two visits is taken at the first one's address
before driving on or at the next one's after arriving; before the first visit it is taken at the
start, after the last one before driving to the end. Because every step starts as early as
possible and starting later never helps (start times are monotone in arrival times), the
earliest schedule decides feasibility, and the latest feasible arrival times computed backwards
let an insertion be checked in ``O(breaks)`` time.

Internal to the solver: indices here are positions in ``problem.visits`` and
``problem.vehicles``, not visit or vehicle ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.model import Problem, StepType, TimeWindow

INF = 1 << 62
NEG = -INF

Windows = tuple[tuple[int, int], ...]


def first_start(windows: Windows, t: int) -> int:
    """Earliest start ``>= t`` inside ``windows``, or ``INF``."""
    for s, e in windows:
        if t <= e:
            return s if t < s else t
    return INF


def latest_arrival(windows: Windows, limit: int) -> int:
    """Latest arrival ``a`` with ``first_start(windows, a) <= limit``, or ``NEG``."""
    best = NEG
    for s, e in windows:
        if s > limit:
            break
        best = e if e < limit else limit
    return best


def _win(ws: Sequence[TimeWindow]) -> Windows:
    return tuple((w.start, w.end) for w in ws)


@dataclass
class VehicleData:
    """What the schedule needs of one vehicle, as plain Python values."""

    index: int
    id: int
    start: int | None
    end: int | None
    shift_start: int
    shift_end: int
    breaks: tuple[tuple[int, Windows, int], ...]  # (break id, windows, duration), in order
    dur: list[list[int]]
    cost: list[list[int]]
    max_visits: int
    capacity: tuple[int, ...]
    profile: str


class Instance:
    """Plain-Python view of a problem for the construction and repair heuristics."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        visits = problem.visits
        self.n = len(visits)
        self.loc = [v.location for v in visits]
        self.svc = [v.duration for v in visits]
        self.tw: list[Windows] = [_win(v.time_windows) for v in visits]
        self.prio = [v.priority for v in visits]
        dims = max(
            [len(k.capacity) for k in problem.vehicles]
            + [len(v.amount) for v in visits]
            + [len(v.pickup) for v in visits]
            + [0]
        )
        self.dims = dims
        self.amount = [tuple(v.amount) if v.amount else (0,) * dims for v in visits]
        self.pickup = [tuple(v.pickup) if v.pickup else (0,) * dims for v in visits]
        self.has_pickups = any(any(p) for p in self.pickup)
        mats = {
            name: (m.durations.tolist(), m.cost_matrix.tolist())
            for name, m in problem.matrices.items()
        }
        self.vehicles: list[VehicleData] = []
        for k, veh in enumerate(problem.vehicles):
            brs = sorted(
                ((b.id, _win(b.time_windows), b.duration) for b in veh.breaks),
                key=lambda b: (b[1][0][0], b[1][-1][1]),
            )
            dur, cost = mats[veh.profile]
            cap = tuple(veh.capacity) if veh.capacity else (INF,) * dims
            self.vehicles.append(
                VehicleData(
                    index=k,
                    id=veh.id,
                    start=veh.start,
                    end=veh.end,
                    shift_start=veh.shift.start,
                    shift_end=veh.shift.end,
                    breaks=tuple(brs),
                    dur=dur,
                    cost=cost,
                    max_visits=veh.max_visits if veh.max_visits is not None else INF,
                    capacity=cap,
                    profile=veh.profile,
                )
            )
        #: Pairs (a, b) of visit indices (a is -1 for the start) that must stay adjacent.
        self.locked: set[tuple[int, int]] = set()
        self.allowed: list[list[bool]] = [
            [veh.can_serve(v) for veh in problem.vehicles] for v in visits
        ]

    # -- whole routes -------------------------------------------------------------------------

    def travel(self, k: int, a: int | None, b: int | None) -> int:
        """Travel time between two locations (``None``: an open end, zero)."""
        if a is None or b is None:
            return 0
        return self.vehicles[k].dur[a][b]

    def route_cost(self, k: int, seq: Sequence[int]) -> int:
        """Cost of driving ``seq`` (visit indices) with vehicle ``k``; an empty route costs 0."""
        if not seq:
            return 0
        veh = self.vehicles[k]
        c = veh.cost
        total = 0
        prev = veh.start
        for i in seq:
            here = self.loc[i]
            if prev is not None:
                total += c[prev][here]
            prev = here
        if veh.end is not None and prev is not None:
            total += c[prev][veh.end]
        return total

    def _gap(self, veh: VehicleData, ready: list[int]) -> tuple[list[int], list[bool]]:
        """Take any number of further breaks in a gap: best times and whether a break was taken."""
        nb = len(veh.breaks)
        out = list(ready)
        took = [False] * (nb + 1)
        for b in range(1, nb + 1):
            prev = out[b - 1]
            if prev >= INF:
                continue
            _, ws, d = veh.breaks[b - 1]
            s = first_start(ws, prev)
            if s < INF and s + d < out[b]:
                out[b] = s + d
                took[b] = True
        return out, took

    def forward(self, k: int, seq: Sequence[int]) -> list[list[int]]:
        """Earliest times after the gap following each step (start, then each visit).

        ``result[p][b]`` is the earliest time the vehicle can leave position ``p`` (0 is the
        start, ``p`` the ``p``-th visit) having taken exactly ``b`` breaks so far.
        """
        veh = self.vehicles[k]
        nb = len(veh.breaks)
        state = [veh.shift_start] + [INF] * nb
        state, _ = self._gap(veh, state)
        out = [state]
        here = veh.start
        for p, i in enumerate(seq):
            leg = 0 if here is None else veh.dur[here][self.loc[i]]
            arrive = [t + leg if t < INF else INF for t in state]
            if p and nb:  # between two visits, breaks may also be taken after arriving
                arrive, _ = self._gap(veh, arrive)
            ws = self.tw[i]
            sv = self.svc[i]
            nxt = [INF] * (nb + 1)
            for b in range(nb + 1):
                t = arrive[b]
                if t >= INF:
                    continue
                s = first_start(ws, t)
                if s < INF:
                    nxt[b] = s + sv
            state, _ = self._gap(veh, nxt)
            out.append(state)
            here = self.loc[i]
        return out

    def backward(self, k: int, seq: Sequence[int]) -> list[list[int]]:
        """Latest ready times: ``result[p][b]`` for visit ``p`` (0-based), then the end.

        The latest time the vehicle may be at the ``p``-th visit's address, ready to serve it
        (any breaks taken there on arrival done), having taken ``b`` breaks; or the latest
        arrival at the end (index ``len(seq)``); with the rest of the route feasible.
        """
        veh = self.vehicles[k]
        nb = len(veh.breaks)
        end_state = [NEG] * (nb + 1)
        end_state[nb] = veh.shift_end
        out = [end_state]
        nxt_loc = veh.end
        arrive = end_state  # latest arrival at the next stop, before breaks taken there
        for i in reversed(seq):
            here = self.loc[i]
            leg = 0 if nxt_loc is None else veh.dur[here][nxt_loc]
            ready = self._latest_ready(veh, arrive, leg)
            ws = self.tw[i]
            sv = self.svc[i]
            cur = [NEG] * (nb + 1)
            for b in range(nb + 1):
                r = ready[b]
                if r <= NEG:
                    continue
                cur[b] = latest_arrival(ws, r - sv)
            out.append(cur)
            arrive = self._latest_ready(veh, cur, 0) if nb else cur
            nxt_loc = here
        out.reverse()
        return out

    def arrivals(self, k: int, bw: list[list[int]]) -> list[list[int]]:
        """Latest arrivals from :meth:`backward`: at each visit coming from another visit (the
        breaks taken there on arrival before it), and at the end."""
        veh = self.vehicles[k]
        if not veh.breaks:
            return bw
        return [self._latest_ready(veh, late, 0) for late in bw[:-1]] + [bw[-1]]

    @staticmethod
    def _latest_ready(veh: VehicleData, arrive: list[int], leg: int) -> list[int]:
        """Latest departure-ready times before a gap followed by ``leg`` of travel."""
        nb = len(veh.breaks)
        ready = [a - leg if a > NEG else NEG for a in arrive]
        for b in range(nb - 1, -1, -1):
            later = ready[b + 1]
            if later <= NEG:
                continue
            _, ws, d = veh.breaks[b]
            t = latest_arrival(ws, later - d)
            if t > ready[b]:
                ready[b] = t
        return ready

    def feasible(self, k: int, seq: Sequence[int]) -> bool:
        """Whether vehicle ``k`` can drive ``seq`` (time, breaks, skills, count, load)."""
        if not seq:
            return True
        veh = self.vehicles[k]
        if len(seq) > veh.max_visits or not all(self.allowed[i][k] for i in seq):
            return False
        if not self.load_ok(k, seq):
            return False
        return self._time_ok(k, seq)

    def _time_ok(self, k: int, seq: Sequence[int]) -> bool:
        veh = self.vehicles[k]
        fw = self.forward(k, seq)
        last = fw[-1]
        leg = 0
        if veh.end is not None and seq:
            leg = veh.dur[self.loc[seq[-1]]][veh.end]
        nb = len(veh.breaks)
        return last[nb] < INF and last[nb] + leg <= veh.shift_end

    def load_ok(self, k: int, seq: Sequence[int]) -> bool:
        """VROOM's load rule: deliveries ride from the start, pickups ride to the end."""
        cap = self.vehicles[k].capacity
        for d in range(self.dims):
            load = sum(self.amount[i][d] for i in seq)
            if load > cap[d]:
                return False
            if self.has_pickups:
                for i in seq:
                    load += self.pickup[i][d] - self.amount[i][d]
                    if load > cap[d]:
                        return False
        return True

    def stops(self, k: int, seq: Sequence[int]) -> list[tuple[StepType, int]] | None:
        """The route order with breaks placed (earliest feasible schedule), or ``None``."""
        veh = self.vehicles[k]
        nb = len(veh.breaks)
        if not seq:
            return []
        # Forward DP as in ``forward``, keeping per gap which break counts came from a break.
        state, took = self._gap(veh, [veh.shift_start] + [INF] * nb)
        tooks = [took]  # gaps in order: start, then per visit (arrival, departure)
        here = veh.start
        for p, i in enumerate(seq):
            leg = 0 if here is None else veh.dur[here][self.loc[i]]
            arrive = [t + leg if t < INF else INF for t in state]
            took = [False] * (nb + 1)
            if p and nb:
                arrive, took = self._gap(veh, arrive)
            tooks.append(took)
            nxt = [INF] * (nb + 1)
            for b in range(nb + 1):
                t = arrive[b]
                if t >= INF:
                    continue
                s = first_start(self.tw[i], t)
                if s < INF:
                    nxt[b] = s + self.svc[i]
            state, took = self._gap(veh, nxt)
            tooks.append(took)
            here = self.loc[i]
        leg = 0 if veh.end is None else veh.dur[self.loc[seq[-1]]][veh.end]
        if state[nb] >= INF or state[nb] + leg > veh.shift_end:
            return None
        # Walk back: in each gap, the breaks taken are those where the chain was used. Gap g
        # lies between visits (g + 1) // 2 - 1 and (g + 1) // 2 (the start and the end at -1
        # and len(seq)); the breaks of one stretch between visits are listed together.
        slots: list[list[int]] = [[] for _ in range(len(seq) + 1)]
        b = nb
        for g in range(len(tooks) - 1, -1, -1):
            while b > 0 and tooks[g][b]:
                slots[g // 2].append(b - 1)
                b -= 1
        if b != 0:
            return None
        out: list[tuple[StepType, int]] = []
        for p in range(len(seq) + 1):
            if p > 0:
                out.append((StepType.VISIT, self.problem.visits[seq[p - 1]].id))
            for bi in reversed(slots[p]):
                out.append((StepType.BREAK, veh.breaks[bi][0]))
        return out


class RouteState:
    """A route with cached forward and backward times, for O(breaks) insertion checks."""

    def __init__(self, inst: Instance, k: int, seq: list[int]) -> None:
        self.inst = inst
        self.k = k
        self.seq = seq
        self.refresh()

    def refresh(self) -> None:
        inst = self.inst
        self.fw = inst.forward(self.k, self.seq)
        self.bw = inst.arrivals(self.k, inst.backward(self.k, self.seq))
        veh = inst.vehicles[self.k]
        self.locs: list[int | None] = [veh.start] + [inst.loc[i] for i in self.seq] + [veh.end]
        dims = inst.dims
        self.delivered = [sum(inst.amount[i][d] for i in self.seq) for d in range(dims)]
        self.cost = inst.route_cost(self.k, self.seq)

    def insertion(self, u: int) -> tuple[int, int]:
        """Cheapest feasible position of ``u``: ``(cost delta, position)`` or ``(INF, -1)``."""
        inst = self.inst
        k = self.k
        veh = inst.vehicles[k]
        if not inst.allowed[u][k] or len(self.seq) + 1 > veh.max_visits:
            return INF, -1
        dims = inst.dims
        if dims:
            cap = veh.capacity
            am = inst.amount[u]
            for d in range(dims):
                if self.delivered[d] + am[d] > cap[d]:
                    return INF, -1
            if inst.has_pickups:
                # Cheap pre-check only; positions are checked exactly below.
                pass
        nb = len(veh.breaks)
        ws = inst.tw[u]
        last_end = ws[-1][1]
        sv = inst.svc[u]
        lu = inst.loc[u]
        dur = veh.dur
        cost = veh.cost
        locs = self.locs
        fw = self.fw
        bw = self.bw
        n = len(self.seq)
        best = INF
        best_pos = -1
        for p in range(n + 1):
            prev = locs[p]
            nxt = locs[p + 1]
            st = fw[p]
            leg_in = 0 if prev is None else dur[prev][lu]
            if st[0] + leg_in > last_end and (nb == 0 or min(st) + leg_in > last_end):
                break  # later positions only start later
            if (
                inst.locked
                and p < n
                and ((self.seq[p - 1] if p else -1), self.seq[p]) in inst.locked
            ):
                continue
            if prev is None:
                dc = 0 if nxt is None else cost[lu][nxt]
            elif nxt is None:
                dc = cost[prev][lu]
            else:
                dc = cost[prev][lu] + cost[lu][nxt] - cost[prev][nxt]
            if n == 0:  # an unused vehicle costs nothing, so opening it costs both legs
                dc = (0 if prev is None else cost[prev][lu]) + (0 if nxt is None else cost[lu][nxt])
            if dc >= best:
                continue
            leg_out = 0 if nxt is None else dur[lu][nxt]
            # Earliest after u (with breaks in the gaps before and after u), per break count.
            if nb:
                a = [t + leg_in if t < INF else INF for t in st]
                if p:
                    a, _ = inst._gap(veh, a)
            else:
                a = [st[0] + leg_in]
            e = [INF] * (nb + 1)
            for b in range(nb + 1):
                t = a[b]
                if t >= INF:
                    continue
                s = first_start(ws, t)
                if s < INF:
                    e[b] = s + sv
            if nb:
                e, _ = inst._gap(veh, e)
            late = bw[p]
            ok = False
            for b in range(nb + 1):
                if e[b] < INF and late[b] > NEG and e[b] + leg_out <= late[b]:
                    ok = True
                    break
            if not ok:
                continue
            if inst.has_pickups:
                trial = [*self.seq[:p], u, *self.seq[p:]]
                if not inst.load_ok(k, trial):
                    continue
            best = dc
            best_pos = p
        return best, best_pos

    def insert(self, u: int, pos: int) -> None:
        self.seq.insert(pos, u)
        self.refresh()
