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

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.model import IntMatrix, Matrix, Problem, StepType, TimeWindow

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
    #: ``dur`` and ``cost`` with one more location, ``NULL``, at zero from and to everything: an
    #: open start or end, for the insertion checks' fast paths.
    dur_z: list[list[int]]
    cost_z: list[list[int]]


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
        #: The planner's objective (``None``: VROOM's, travel cost only). With one, a route costs
        #: its working time (travel by durations, plus waiting) plus the assignment costs of its
        #: visits (moves, preferences): see :meth:`route_cost`.
        self.objective = problem.objective
        self.wmode = problem.objective is not None
        obj = problem.objective
        #: ``acost[i][k]``: stability and continuity cost of serving visit ``i`` by vehicle ``k``
        #: (``None`` without an objective, or when every such cost is 0).
        self.acost: list[list[int]] | None = None
        #: The balance weight in thousandths (0: the search leaves balance out).
        self.balance_milli = round(obj.balance_weight * 1000) if obj is not None else 0
        if obj is not None:
            ac = [[obj.assignment_cost(v, veh.id) for veh in problem.vehicles] for v in visits]
            if any(any(row) for row in ac):
                self.acost = ac

        def cost_of(m: Matrix) -> IntMatrix:
            return m.durations if self.wmode else m.cost_matrix

        mats = {
            name: (m.durations.tolist(), cost_of(m).tolist())
            for name, m in problem.matrices.items()
        }
        padded = {
            name: tuple(np.pad(a, ((0, 1), (0, 1))).tolist() for a in (m.durations, cost_of(m)))
            for name, m in problem.matrices.items()
        }
        #: The extra location of the padded matrices.
        self.null = problem.size
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
                    dur_z=padded[veh.profile][0],
                    cost_z=padded[veh.profile][1],
                )
            )
        #: Pairs (a, b) of visit indices (a is -1 for the start) that must stay adjacent.
        self.locked: set[tuple[int, int]] = set()
        self.allowed: list[list[bool]] = [
            [problem.allows(v, veh) for veh in problem.vehicles] for v in visits
        ]

    # -- whole routes -------------------------------------------------------------------------

    def travel(self, k: int, a: int | None, b: int | None) -> int:
        """Travel time between two locations (``None``: an open end, zero)."""
        if a is None or b is None:
            return 0
        return self.vehicles[k].dur[a][b]

    def route_cost(self, k: int, seq: Sequence[int]) -> int:
        """What the search minimises for vehicle ``k`` driving ``seq`` (an empty route costs 0).

        Without an objective, the travel cost (VROOM's). With one, the working time (travel plus
        the waiting of :meth:`waiting`) plus the assignment costs of the visits.
        """
        total = self.travel_cost(k, seq)
        if self.wmode and seq:
            total += self.waiting(k, seq)
            if self.acost is not None:
                acost = self.acost
                total += sum(acost[i][k] for i in seq)
        return total

    def extra_cost(self, k: int, seq: Sequence[int], finish: int) -> int:
        """The objective's part of a route's cost beyond travel: waiting (given the earliest
        ``finish``) and the assignment costs."""
        if not self.wmode or not seq:
            return 0
        total = self._waiting(k, seq, finish)
        if self.acost is not None:
            acost = self.acost
            total += sum(acost[i][k] for i in seq)
        return total

    def waiting(self, k: int, seq: Sequence[int]) -> int:
        """Waiting of a route as the objective counts it (see :meth:`_waiting`)."""
        if not seq:
            return 0
        veh = self.vehicles[k]
        last = self.forward(k, seq)[-1][len(veh.breaks)]
        if last >= INF:
            return 0
        leg = 0 if veh.end is None else veh.dur[self.loc[seq[-1]]][veh.end]
        return self._waiting(k, seq, last + leg)

    def _waiting(self, k: int, seq: Sequence[int], finish: int) -> int:
        """Route span minus travel, service and breaks, where the route leaves just in time for
        its first visit (as :func:`routing.replay.replay` delays the start) and ends at
        ``finish`` (earliest schedule). A search estimate: the replayed route may wait a little
        less when the first visit's window would let it leave even later."""
        veh = self.vehicles[k]
        span = self.span(k, seq, finish)
        if not span:
            return 0
        dur = veh.dur
        travel = 0
        prev = veh.start
        for i in seq:
            here = self.loc[i]
            if prev is not None:
                travel += dur[prev][here]
            prev = here
        if veh.end is not None:
            travel += dur[prev][veh.end]  # type: ignore[index]
        busy = travel + sum(self.svc[i] for i in seq) + sum(b[2] for b in veh.breaks)
        return max(0, span - busy)

    def span(self, k: int, seq: Sequence[int], finish: int) -> int:
        """Route duration (travel, service, waiting, breaks) when it leaves just in time for its
        first visit and ends at ``finish``; 0 for an empty or undrivable route."""
        if not seq or finish >= INF:
            return 0
        veh = self.vehicles[k]
        first = seq[0]
        leg0 = 0 if veh.start is None else veh.dur[veh.start][self.loc[first]]
        s1 = first_start(self.tw[first], veh.shift_start + leg0)
        if s1 >= INF:
            return 0
        return max(0, finish - (s1 - leg0))

    def balance_cost(self, spans: Sequence[int]) -> int:
        """The balance term the search uses: weight times the spread of the used routes' spans
        (``spans`` of the routes that serve a visit), rounded down."""
        if not self.balance_milli or not spans:
            return 0
        return self.balance_milli * (max(spans) - min(spans)) // 1000

    def travel_cost(self, k: int, seq: Sequence[int]) -> int:
        """Travel cost of driving ``seq`` with vehicle ``k``; an empty route costs 0."""
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
        return self.time_ok(k, seq)

    def time_ok(self, k: int, seq: Sequence[int]) -> bool:
        """Whether vehicle ``k`` can drive ``seq`` in time: windows, breaks, shift end."""
        if not seq:
            return True
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


_versions = itertools.count()


class RouteState:
    """A route with cached forward and backward times, for O(breaks) insertion checks.

    ``version`` changes whenever the route does (a saved state restored gets its version back),
    so callers may cache insertion answers per ``(visit, version)``.
    """

    def __init__(self, inst: Instance, k: int, seq: list[int]) -> None:
        self.inst = inst
        self.k = k
        self.seq = seq
        veh = inst.vehicles[k]
        # Fast paths: no breaks, or one break with one window; no pickups, no locked pairs.
        self.fast = -1
        simple = not inst.has_pickups and not inst.locked
        if simple and not veh.breaks:
            self.fast = 0
        elif simple and len(veh.breaks) == 1 and len(veh.breaks[0][1]) == 1:
            self.fast = 1
        self.refresh()

    def refresh(self) -> None:
        inst = self.inst
        k = self.k
        seq = self.seq
        self.version = next(_versions)
        veh = inst.vehicles[k]
        self.locs: list[int | None] = [veh.start] + [inst.loc[i] for i in seq] + [veh.end]
        if inst.dims:
            self.delivered = [sum(inst.amount[i][d] for i in seq) for d in range(inst.dims)]
        #: Route duration for the balance term (0 unless the objective weighs balance).
        self.span = 0
        if self.fast < 0:
            self.fw = inst.forward(k, seq)
            self.bw = inst.arrivals(k, inst.backward(k, seq))
            self.cost = inst.travel_cost(k, seq)
            if inst.wmode and seq:
                last = self.fw[-1][len(veh.breaks)]
                leg = 0 if veh.end is None else veh.dur[inst.loc[seq[-1]]][veh.end]
                finish = last + leg if last < INF else INF
                self.cost += inst.extra_cost(k, seq, finish)
                if inst.balance_milli:
                    self.span = inst.span(k, seq, finish)
            return
        z = inst.null
        here = [z if x is None else x for x in self.locs]
        self.prev_z = here[:-1]
        self.next_z = here[1:]
        cz = veh.cost_z
        self.prev_cost = [cz[a] for a in self.prev_z]
        self.prev_dur = [veh.dur_z[a] for a in self.prev_z]
        base = [cz[a][b] for a, b in zip(self.prev_z, self.next_z, strict=True)]
        # An unused vehicle costs nothing, so opening it costs both legs.
        self.base = base if seq else [0]
        self.cost = sum(base) if seq else 0
        if self.fast == 0:
            self._times0()
        else:
            self._times1()
        if inst.wmode and seq:
            last = self.f0[-1] if self.fast == 0 else self.f1[-1]
            leg = 0 if veh.end is None else veh.dur[inst.loc[seq[-1]]][veh.end]
            finish = last + leg if last < INF else INF
            self.cost += inst.extra_cost(k, seq, finish)
            if inst.balance_milli:
                self.span = inst.span(k, seq, finish)

    def _times0(self) -> None:
        """``f0``: earliest departure per position; ``l0``: latest arrival at the stop after."""
        inst = self.inst
        veh = inst.vehicles[self.k]
        tw, svc, here_z, dur = inst.tw, inst.svc, self.prev_z, veh.dur_z
        t = veh.shift_start
        f0 = [t]
        for p, i in enumerate(self.seq):
            s = first_start(tw[i], t + dur[here_z[p]][here_z[p + 1]])
            t = s + svc[i] if s < INF else INF
            f0.append(t)
        late = veh.shift_end
        l0 = [late]
        nxt = self.next_z
        for p in range(len(self.seq) - 1, -1, -1):
            i = self.seq[p]
            leave = late - dur[nxt[p]][nxt[p + 1]] - svc[i] if late > NEG else NEG
            late = latest_arrival(tw[i], leave) if leave > NEG else NEG
            l0.append(late)
        l0.reverse()
        self.f0, self.l0 = f0, l0

    def _times1(self) -> None:
        """As :meth:`_times0` with one break: ``*0`` before it is taken, ``*1`` after."""
        inst = self.inst
        veh = inst.vehicles[self.k]
        _, ((bs, be),), bd = veh.breaks[0]
        tw, svc, here_z, dur = inst.tw, inst.svc, self.prev_z, veh.dur_z
        x0 = veh.shift_start
        x1 = (x0 if x0 > bs else bs) + bd if x0 <= be else INF
        f0, f1 = [x0], [x1]
        for p, i in enumerate(self.seq):
            leg = dur[here_z[p]][here_z[p + 1]]
            a0 = x0 + leg
            a1 = x1 + leg
            if p and a0 <= be:  # the break on arriving from a visit
                t = (a0 if a0 > bs else bs) + bd
                if t < a1:
                    a1 = t
            ws = tw[i]
            s = first_start(ws, a0)
            x0 = s + svc[i] if s < INF else INF
            s = first_start(ws, a1)
            x1 = s + svc[i] if s < INF else INF
            if x0 <= be:  # the break before driving on
                t = (x0 if x0 > bs else bs) + bd
                if t < x1:
                    x1 = t
            f0.append(x0)
            f1.append(x1)
        # Backward: latest ready times per visit (any break on arriving taken), then arrivals.
        nxt = self.next_z
        n = len(self.seq)
        r0, r1 = NEG, veh.shift_end  # latest arrival at the stop after, before its breaks
        l0, l1 = [r0], [r1]
        for p in range(n - 1, -1, -1):
            i = self.seq[p]
            leg = dur[nxt[p]][nxt[p + 1]]
            d0 = r0 - leg if r0 > NEG else NEG
            d1 = r1 - leg if r1 > NEG else NEG
            if d1 > NEG and d1 - bd >= bs:  # the break before driving on
                t = be if be < d1 - bd else d1 - bd
                if t > d0:
                    d0 = t
            ws, sv = tw[i], svc[i]
            c0 = latest_arrival(ws, d0 - sv) if d0 > NEG else NEG
            c1 = latest_arrival(ws, d1 - sv) if d1 > NEG else NEG
            # Coming from a visit, the break may also be taken here on arriving.
            r0, r1 = c0, c1
            if c1 > NEG and c1 - bd >= bs:
                t = be if be < c1 - bd else c1 - bd
                if t > r0:
                    r0 = t
            l0.append(r0)
            l1.append(r1)
        l0.reverse()
        l1.reverse()
        self.f0, self.f1, self.l0, self.l1 = f0, f1, l0, l1
        # Bounds for a quick refusal: leave no earlier than ``early``, arrive by ``late``.
        self.early = [a if a < b else b for a, b in zip(f0, f1, strict=True)]
        self.late = [a if a > b else b for a, b in zip(l0, l1, strict=True)]

    def save(self) -> dict[str, object]:
        """Everything :meth:`restore` needs to bring this state back (cheap: no copies)."""
        return dict(self.__dict__)

    def restore(self, saved: dict[str, object]) -> None:
        self.__dict__.update(saved)

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
        if self.fast == 0:
            c, p = self._insertion0(u)
        elif self.fast == 1:
            c, p = self._insertion1(u)
        else:
            c, p = self._insertion(u)
        if inst.acost is not None and c < INF:
            c += inst.acost[u][k]
        return c, p

    def _costs(self, u: int) -> list[int]:
        lu = self.inst.loc[u]
        cl = self.inst.vehicles[self.k].cost_z[lu]
        return [
            pc[lu] + cl[nx] - b
            for pc, nx, b in zip(self.prev_cost, self.next_z, self.base, strict=True)
        ]

    def _insertion0(self, u: int) -> tuple[int, int]:
        """No breaks: positions by increasing cost until one fits."""
        inst = self.inst
        lu = inst.loc[u]
        ws = inst.tw[u]
        sv = inst.svc[u]
        dl = inst.vehicles[self.k].dur_z[lu]
        dcs = self._costs(u)
        prev_dur, next_z, f0, l0 = self.prev_dur, self.next_z, self.f0, self.l0
        single = len(ws) == 1
        w0, w1 = ws[0]
        for p in sorted(range(len(dcs)), key=dcs.__getitem__):
            a = f0[p] + prev_dur[p][lu]
            if single:
                if a > w1:
                    continue
                s = a if a > w0 else w0
            else:
                s = first_start(ws, a)
            if s + sv + dl[next_z[p]] <= l0[p]:
                return dcs[p], p
        return INF, -1

    def _insertion1(self, u: int) -> tuple[int, int]:
        """One break with one window: states "not taken yet" and "taken"."""
        inst = self.inst
        veh = inst.vehicles[self.k]
        lu = inst.loc[u]
        ws = inst.tw[u]
        sv = inst.svc[u]
        dl = veh.dur_z[lu]
        _, ((bs, be),), bd = veh.breaks[0]
        dcs = self._costs(u)
        prev_dur, next_z = self.prev_dur, self.next_z
        f0, f1, l0, l1 = self.f0, self.f1, self.l0, self.l1
        early, late = self.early, self.late
        w0, w1 = ws[0][0], ws[-1][1]
        for p in sorted(range(len(dcs)), key=dcs.__getitem__):
            din = prev_dur[p][lu]
            a = early[p] + din
            if a > w1 or (a if a > w0 else w0) + sv + dl[next_z[p]] > late[p]:
                continue  # too late even with the break wherever it suits best
            a0 = f0[p] + din
            a1 = f1[p] + din
            if p and a0 <= be:  # the break on arriving from a visit
                t = (a0 if a0 > bs else bs) + bd
                if t < a1:
                    a1 = t
            s0 = first_start(ws, a0)
            e0 = s0 + sv if s0 < INF else INF
            s1 = first_start(ws, a1)
            e1 = s1 + sv if s1 < INF else INF
            if e0 <= be:  # the break before leaving u
                t = (e0 if e0 > bs else bs) + bd
                if t < e1:
                    e1 = t
            dout = dl[next_z[p]]
            if (e0 < INF and e0 + dout <= l0[p]) or (e1 < INF and e1 + dout <= l1[p]):
                return dcs[p], p
        return INF, -1

    def _insertion(self, u: int) -> tuple[int, int]:
        """Any number of breaks and windows, pickups and locked pairs."""
        inst = self.inst
        k = self.k
        veh = inst.vehicles[k]
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
        self.seq = [*self.seq[:pos], u, *self.seq[pos:]]
        self.refresh()
