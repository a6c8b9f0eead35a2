"""Where can one more visit go? Cheap insertion checks over many planned expert-days.

The scheduler offers arrival windows to a citizen by asking, for every planned expert-day of the
coming weeks, at which positions of the day's fixed order the new visit fits. "Fits" means exactly
what :func:`routing.replay.replay` says of the order with the visit inserted: every visit and
break starts inside one of its windows, the route returns to its end within the shift, skills and
``max_visits`` allow it, all breaks are taken.

How it is fast: for every position of every route the index stores, once,

- the earliest time the vehicle can leave the visit before the position (forward pass), and
- the latest time it may be ready at the next visit or arrive at the end (backward pass; the
  slack).

Breaks between the visit before and the candidate, and between the candidate and the visit
after, are taken where :func:`routing.replay.replay` takes them: each run of breaks may be split
around the drive (the first breaks before leaving, the others after arriving), whichever split is
best. The index stores one entry per possible split: the time after the breaks taken before the
drive (forward), or the latest arrival before the breaks taken after it (backward). The parts
that depend on the candidate's address are walked per query through the breaks on the
candidate's side of the drive (a loop as long as the longest run of breaks, usually one), and the
best split per position is a minimum (maximum) over its entries.

A query then costs two thin travel-time strips (new address to and from every known address, one
pair of provider calls per profile) and a handful of numpy operations over all positions of all
routes at once. Each (position, window) check is then two comparisons.

Arriving earlier never hurts (a start is the first allowed moment at or after arrival, and every
constraint is an upper bound), so "the rest of the day is feasible" is the same as "arrival no
later than the latest arrival", which makes these two numbers per position exact, also with
several windows per visit or break and without the triangle inequality.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routing.model import (
    Break,
    IntMatrix,
    Matrix,
    Problem,
    StepType,
    TimeWindow,
    Vehicle,
    Visit,
)
from routing.replay import StopRef, _load_violations, first_start, gap_ready, replay, take_break
from routing.travel import TravelTimeProvider, as_points

Point = tuple[float, float]
"""``(lon, lat)`` in degrees."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: "No time is late enough": the latest arrival of a stop that cannot be reached in time at all.
#: Far below any horizon, yet far from the int64 limit, so adding a few durations stays exact.
_NEVER = -(10**15)
#: "No time is early enough": when a break on the way cannot start in any of its windows.
_LATE = 10**15
#: Padding for the window starts of breaks with fewer windows than the most: never "started".
_PAD_START = 10**15


@dataclass(frozen=True, eq=False)
class PlannedRoute:
    """One planned expert-day, as the insertion index needs it.

    Parameters
    ----------
    key
        The caller's id of the route, e.g. ``(expert_id, date)``; unique within an index.
    day
        Which time origin the route's times use (the scheduler: the local date). Candidate windows
        are matched to routes by this key.
    vehicle
        The expert on that day: shift, breaks, skills, profile, ``max_visits``, start and end.
    stops
        Visits and breaks in their planned order (breaks too: a day without visits keeps its
        breaks in the order).
    visits
        Visit id to :class:`~routing.model.Visit` for every visit in ``stops``; their
        ``time_windows`` are the promised windows and ``location`` a key of ``coordinates``.
    coordinates
        Location index to ``(lon, lat)`` for the vehicle's start and end and every visit.
    durations
        Optionally the day's travel times for the vehicle's profile, indexed by location. When
        ``None`` the legs between the route's own addresses come from the travel time provider.
        Legs to and from a candidate always come from the provider.
    """

    key: Hashable
    day: Hashable
    vehicle: Vehicle
    stops: tuple[StopRef, ...]
    visits: Mapping[int, Visit]
    coordinates: Mapping[int, Point]
    durations: IntMatrix | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stops", tuple(self.stops))
        breaks = {b.id for b in self.vehicle.breaks}
        for kind, ref in self.stops:
            if kind is StepType.VISIT:
                if ref not in self.visits:
                    raise ValueError(f"route {self.key!r}: visit {ref} is not in its visits")
            elif kind is StepType.BREAK:
                if ref not in breaks:
                    raise ValueError(f"route {self.key!r}: vehicle has no break {ref}")
            else:
                raise ValueError(f"route {self.key!r}: stops are visits and breaks, not {kind}")
        missing = [loc for loc in self.locations if loc not in self.coordinates]
        if missing:
            raise ValueError(f"route {self.key!r}: no coordinates for locations {missing}")
        if self.durations is not None:
            d = np.asarray(self.durations, dtype=np.int64)
            if d.ndim != 2 or d.shape[0] != d.shape[1]:
                raise ValueError(f"route {self.key!r}: durations must be a square matrix")
            if max(self.locations, default=-1) >= d.shape[0]:
                raise ValueError(f"route {self.key!r}: durations do not cover every location")
            if (d < 0).any():
                raise ValueError(f"route {self.key!r}: durations must not be negative")
            object.__setattr__(self, "durations", d)

    @property
    def locations(self) -> tuple[int, ...]:
        """The location indices used: start, end and the visits in ``stops`` (sorted, unique)."""
        used = {self.visits[ref].location for kind, ref in self.stops if kind is StepType.VISIT}
        used |= {loc for loc in (self.vehicle.start, self.vehicle.end) if loc is not None}
        return tuple(sorted(used))

    def accepts_visits(self) -> bool:
        """Whether the route as planned lets any visit be added, apart from time.

        False when ``replay`` would object to the order with one more visit for a reason no
        position can fix: a visit served twice, a visit the vehicle may not serve, a break
        missing or taken twice, the load, or ``max_visits`` already reached.
        """
        veh = self.vehicle
        visit_ids = [ref for kind, ref in self.stops if kind is StepType.VISIT]
        break_ids = [ref for kind, ref in self.stops if kind is StepType.BREAK]
        served = [self.visits[ref] for ref in visit_ids]
        return (
            len(set(visit_ids)) == len(visit_ids)
            and len(set(break_ids)) == len(break_ids) == len(veh.breaks)
            and all(veh.can_serve(v) for v in served)
            and (veh.max_visits is None or len(visit_ids) + 1 <= veh.max_visits)
            and not _load_violations(veh, served)
        )


@dataclass(frozen=True, slots=True)
class Insertion:
    """One feasible place for the candidate visit.

    Attributes
    ----------
    window
        Index into the ``windows`` of the query.
    route
        The :attr:`PlannedRoute.key`.
    position
        Insert before ``stops[position]``; ``len(stops)`` means after the last stop.
    extra_travel
        Travel seconds the route gains (may be negative without the triangle inequality).
    arrival
        Earliest arrival at the candidate's address, on the route's day's horizon.
    service_start
        Earliest start of the visit: ``max(arrival, window.start)``.
    latest_start
        Latest start of the visit inside the window that keeps the rest of the route feasible.
    """

    window: int
    route: Hashable
    position: int
    extra_travel: int
    arrival: int
    service_start: int
    latest_start: int


@dataclass(frozen=True, eq=False)
class Insertions(Sequence[Insertion]):
    """The answer of a query, column-wise (one entry per feasible (window, route, position)).

    Indexing and iteration give :class:`Insertion` objects; the numpy columns are there for
    callers who rank or filter thousands of them. Ordered by route and position (the index's
    order), then by window (day, start).
    """

    keys: tuple[Hashable, ...]
    window: IntArray
    route: IntArray
    position: IntArray
    extra_travel: IntArray
    arrival: IntArray
    service_start: IntArray
    latest_start: IntArray

    def __len__(self) -> int:
        return int(self.window.shape[0])

    def _at(self, i: int) -> Insertion:
        return Insertion(
            window=int(self.window[i]),
            route=self.keys[int(self.route[i])],
            position=int(self.position[i]),
            extra_travel=int(self.extra_travel[i]),
            arrival=int(self.arrival[i]),
            service_start=int(self.service_start[i]),
            latest_start=int(self.latest_start[i]),
        )

    def __getitem__(self, i: int) -> Insertion:  # type: ignore[override]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        return self._at(i % n)

    def __iter__(self) -> Iterator[Insertion]:
        return (self._at(i) for i in range(len(self)))

    def best_per_window(self, n_windows: int) -> list[Insertion | None]:
        """Per query window the insertion with the least extra travel (then the earliest start).

        Parameters
        ----------
        n_windows
            Number of windows in the query.

        Returns
        -------
        list
            ``n_windows`` entries, ``None`` where nothing fits.
        """
        out: list[Insertion | None] = [None] * n_windows
        order = np.lexsort((self.service_start, self.extra_travel, self.window))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.window[order][1:] != self.window[order][:-1]
        for i in order[first]:
            out[int(self.window[i])] = self._at(int(i))
        return out


@dataclass(frozen=True)
class _Compiled:
    """The per-position numbers of one route (plain lists; concatenated by the index).

    ``forward`` and ``backward`` hold, per position, ``(time, first, count)`` entries: one per
    way of splitting the breaks on that side of the candidate around the drive. ``first`` and
    ``count`` name the breaks (stop positions ``first .. first + count - 1``) on the candidate's
    side of the drive: forward, those taken at the candidate's address after arriving (``time``
    is when the vehicle leaves the visit before, those before the drive taken); backward, those
    taken there before leaving (``time`` is the latest arrival at the next address, those after
    the drive taken).
    """

    prefix_ok: list[bool]
    prev_loc: list[int | None]
    next_loc: list[int | None]
    leg: list[int]
    forward: list[list[tuple[int, int, int]]]
    backward: list[list[tuple[int, int, int]]]


def _latest(windows: Sequence[TimeWindow], duration: int, leave_by: int) -> int:
    """Latest arrival at a stop such that it starts in a window and is done by ``leave_by``."""
    s_max = leave_by - duration
    for w in reversed(windows):
        if w.start <= s_max:
            return min(w.end, s_max)
    return _NEVER


def _back_through(breaks: Sequence[Break], leave_by: int) -> int:
    """Latest arrival before ``breaks`` (taken in order) such that they are done by ``leave_by``."""
    x = leave_by
    for brk in reversed(breaks):
        x = _latest(brk.time_windows, brk.duration, x)
    return x


def _forth_through(breaks: Sequence[Break], t: int) -> int:
    """When ``breaks`` (taken in order from ``t``, each as early as it may start) are done."""
    x = t
    for brk in breaks:
        done = take_break(brk, x)
        if done is None:
            return _LATE
        x = done
    return x


def _compile(route: PlannedRoute, leg_of: Mapping[tuple[int, int], int]) -> _Compiled:
    """Forward earliest departures and backward latest arrivals, the way ``replay`` times."""
    veh = route.vehicle
    stops = route.stops
    breaks = {b.id: b for b in veh.breaks}
    n = len(stops)

    def leg(a: int | None, b: int | None) -> int:
        return 0 if a is None or b is None else leg_of[a, b]

    # Per position: the visit before it (or -1) and the first visit at or after it (or n).
    last_visit = [-1] * (n + 1)
    for k in range(n):
        last_visit[k + 1] = k if stops[k][0] is StepType.VISIT else last_visit[k]
    next_visit = [n] * (n + 1)
    for k in range(n - 1, -1, -1):
        next_visit[k] = k if stops[k][0] is StepType.VISIT else next_visit[k + 1]

    def loc_of(k: int) -> int:
        return route.visits[stops[k][1]].location

    def run(a: int, b: int) -> list[Break]:
        return [breaks[stops[k][1]] for k in range(a, b)]

    # Forward, as replay: departure from each visit (after its service), and whether it and
    # everything before it is on time.
    depart_after = [0] * n
    ok_after = [True] * n
    t, here, ok, prev = veh.shift.start, veh.start, True, -1
    for k in range(n):
        if stops[k][0] is not StepType.VISIT:
            continue
        visit = route.visits[stops[k][1]]
        best = gap_ready(run(prev + 1, k), t, leg(here, visit.location), split=prev >= 0)
        if best is None:
            ok, ready = False, t
        else:
            ready = best[0]
        start = first_start(visit.time_windows, ready)
        if start is None:
            ok, start = False, ready
        t, here, prev = start + visit.duration, visit.location, k
        depart_after[k], ok_after[k] = t, ok

    # Backward: the latest moment the vehicle may be ready at each visit (its breaks on arrival
    # taken) with the rest of the order feasible.
    ready_by = [_NEVER] * n
    for k in range(n - 1, -1, -1):
        if stops[k][0] is not StepType.VISIT:
            continue
        visit = route.visits[stops[k][1]]
        r = next_visit[k + 1]
        if r < n:
            leave_by = _gap_latest(run(k + 1, r), ready_by[r], leg(visit.location, loc_of(r)))
        else:
            leave_by = _back_through(run(k + 1, n), veh.shift.end - leg(visit.location, veh.end))
        ready_by[k] = _latest(visit.time_windows, visit.duration, leave_by)

    prev_loc: list[int | None] = []
    next_loc: list[int | None] = []
    prefix_ok: list[bool] = []
    forward: list[list[tuple[int, int, int]]] = []
    backward: list[list[tuple[int, int, int]]] = []
    for p in range(n + 1):
        a, r = last_visit[p], next_visit[p]
        prev_loc.append(veh.start if a < 0 else loc_of(a))
        next_loc.append(veh.end if r >= n else loc_of(r))
        prefix_ok.append(a < 0 or ok_after[a])
        before = run(a + 1, p)
        if a < 0:  # the candidate would be the first visit: breaks before it at the start
            forward.append([(_forth_through(before, veh.shift.start), p, 0)])
        else:
            forward.append(
                [
                    (_forth_through(before[:j], depart_after[a]), a + 1 + j, len(before) - j)
                    for j in range(len(before) + 1)
                ]
            )
        after = run(p, r)
        if r >= n:  # the candidate would be the last visit: breaks after it before driving
            backward.append([(veh.shift.end, p, len(after))])
        else:
            backward.append(
                [(_back_through(after[j:], ready_by[r]), p, j) for j in range(len(after) + 1)]
            )
    return _Compiled(
        prefix_ok=prefix_ok,
        prev_loc=prev_loc,
        next_loc=next_loc,
        leg=[leg(prev_loc[p], next_loc[p]) for p in range(n + 1)],
        forward=forward,
        backward=backward,
    )


def _gap_latest(breaks: Sequence[Break], ready_by: int, leg: int) -> int:
    """Latest departure from a visit such that ``breaks`` and ``leg`` of driving (the breaks
    split around the drive in the best way) reach the next visit ready by ``ready_by``."""
    return max(
        _back_through(breaks[:j], _back_through(breaks[j:], ready_by) - leg)
        for j in range(len(breaks) + 1)
    )


def _route_legs(route: PlannedRoute, travel: TravelTimeProvider) -> dict[tuple[int, int], int]:
    locs = route.locations
    if route.durations is not None:
        sub = route.durations[np.ix_(locs, locs)]
    else:
        pts = [route.coordinates[loc] for loc in locs]
        sub = np.asarray(travel.durations(pts, pts, route.vehicle.profile), dtype=np.int64)
    rows = sub.tolist()
    return {(a, b): rows[i][j] for i, a in enumerate(locs) for j, b in enumerate(locs)}


@dataclass(frozen=True, eq=False)
class _Positions:
    """Column per quantity, one row per insertion position of every route (read-only arrays).

    Rows of one day are contiguous and days are in index order, so a day is a slice. Point
    indices refer to the index's point table; -1 means "no address" (an open start or end).
    The ``f_*`` and ``b_*`` columns are the forward and backward split entries of
    :class:`_Compiled` (sorted by row, at least one per row), their break positions made rows.
    """

    prefix_ok: BoolArray  # the stops up to the visit before all on time, route accepts a visit
    prev_pt: IntArray  # address the vehicle drives from to the candidate
    next_pt: IntArray  # address it drives to after the candidate (and the breaks after it)
    leg: IntArray  # travel prev -> next today (0 when either is missing)
    route: IntArray
    position: IntArray
    day: IntArray
    skills: IntArray  # index into the index's distinct skill sets
    break_duration: IntArray  # duration of the break at this row, -1 when it is no break
    break_start: IntArray  # (rows, windows) window starts of that break, padded
    break_end: IntArray
    f_row: IntArray
    f_time: IntArray
    f_first: IntArray
    f_count: IntArray
    f_starts: IntArray  # first entry of each row
    b_row: IntArray
    b_time: IntArray
    b_first: IntArray
    b_count: IntArray
    b_starts: IntArray

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            getattr(self, f.name).setflags(write=False)


class InsertionIndex:
    """Precomputed insertion data for many planned routes; answers candidate queries.

    Build once per set of planned days (:meth:`build`), query per citizen request
    (:meth:`candidates`). The index is immutable; rebuild it (or the affected days) after a
    booking changes a route.

    Attributes
    ----------
    routes
        The routes, grouped by day (the order of :attr:`Insertions.route`).
    travel
        The provider queries ask for legs to and from the candidate.
    """

    def __init__(
        self,
        routes: tuple[PlannedRoute, ...],
        travel: TravelTimeProvider,
        positions: _Positions,
        profiles: Mapping[str, tuple[int, int]],
        points: npt.NDArray[np.float64],
        days: Mapping[Hashable, int],
        skill_sets: tuple[frozenset[int], ...],
    ) -> None:
        """Use :meth:`build`; this stores what it computed."""
        self.routes = routes
        self.travel = travel
        self._pos = positions
        self._profiles = dict(profiles)
        self._points = points
        self._days = dict(days)
        self._skill_sets = skill_sets
        self._keys = tuple(r.key for r in routes)

    @classmethod
    def build(cls, routes: Iterable[PlannedRoute], travel: TravelTimeProvider) -> InsertionIndex:
        """Precompute forward and backward times for every position of every route.

        Parameters
        ----------
        routes
            The planned expert-days; keys must be unique.
        travel
            Gives the legs between a route's addresses (unless the route brings ``durations``)
            and, per query, the legs to and from the candidate.

        Returns
        -------
        InsertionIndex
        """
        given = tuple(routes)
        if len({r.key for r in given}) != len(given):
            raise ValueError("route keys must be unique")
        days: dict[Hashable, int] = {}
        for r in given:
            days.setdefault(r.day, len(days))
        ordered = tuple(sorted(given, key=lambda r: days[r.day]))

        # Point indices per profile first; made global once every profile's block size is known.
        point_ids: dict[str, dict[Point, int]] = {}
        skill_ids: dict[frozenset[int], int] = {}
        width = max((len(b.time_windows) for r in ordered for b in r.vehicle.breaks), default=1)
        no_start, no_end = [_PAD_START] * width, [_NEVER] * width
        cols: dict[str, list[int]] = {name: [] for name in _INT_COLUMNS}
        ok_col: list[bool] = []
        profile_col: list[str] = []
        break_starts: list[list[int]] = []
        break_ends: list[list[int]] = []

        entries: dict[str, list[int]] = {name: [] for name in _ENTRY_COLUMNS}
        for r_idx, route in enumerate(ordered):
            comp = _compile(route, _route_legs(route, travel))
            veh = route.vehicle
            table = point_ids.setdefault(veh.profile, {})
            offset = len(ok_col)
            n = len(route.stops)
            accepts = route.accepts_visits()
            skill_id = skill_ids.setdefault(veh.skills, len(skill_ids))
            day = days[route.day]
            breaks = {b.id: b for b in veh.breaks}
            for p in range(n + 1):
                for col, loc in (("prev_pt", comp.prev_loc[p]), ("next_pt", comp.next_loc[p])):
                    if loc is None:
                        cols[col].append(-1)
                    else:
                        lon, lat = route.coordinates[loc]
                        cols[col].append(table.setdefault((float(lon), float(lat)), len(table)))
                ok_col.append(accepts and comp.prefix_ok[p])
                profile_col.append(veh.profile)
                cols["leg"].append(comp.leg[p])
                cols["route"].append(r_idx)
                cols["position"].append(p)
                cols["day"].append(day)
                cols["skills"].append(skill_id)
                for side, found in (("f", comp.forward[p]), ("b", comp.backward[p])):
                    entries[f"{side}_starts"].append(len(entries[f"{side}_row"]))
                    for time_, first, count in found:
                        entries[f"{side}_row"].append(offset + p)
                        entries[f"{side}_time"].append(time_)
                        entries[f"{side}_first"].append(offset + first)
                        entries[f"{side}_count"].append(count)
                if p < n and route.stops[p][0] is StepType.BREAK:
                    brk = breaks[route.stops[p][1]]
                    pad = width - len(brk.time_windows)
                    break_starts.append([w.start for w in brk.time_windows] + [_PAD_START] * pad)
                    break_ends.append([w.end for w in brk.time_windows] + [_NEVER] * pad)
                    cols["break_duration"].append(brk.duration)
                else:
                    break_starts.append(no_start)
                    break_ends.append(no_end)
                    cols["break_duration"].append(-1)

        # One point table, each profile a contiguous block; index -1 will read a trailing 0.
        profiles: dict[str, tuple[int, int]] = {}
        flat: list[Point] = []
        for prof, table in point_ids.items():
            profiles[prof] = (len(flat), len(flat) + len(table))
            flat.extend(table)
        points = np.array(flat, dtype=np.float64).reshape(-1, 2)
        shift = np.array([profiles[prof][0] for prof in profile_col], dtype=np.int64)
        arr = {name: np.array(values, dtype=np.int64) for name, values in cols.items()}
        for col in ("prev_pt", "next_pt"):
            arr[col] = np.where(arr[col] >= 0, arr[col] + shift, -1)
        positions = _Positions(
            **arr,
            **{name: np.array(values, dtype=np.int64) for name, values in entries.items()},
            prefix_ok=np.array(ok_col, dtype=bool),
            break_start=np.array(break_starts, dtype=np.int64).reshape(-1, width),
            break_end=np.array(break_ends, dtype=np.int64).reshape(-1, width),
        )
        return cls(ordered, travel, positions, profiles, points, days, tuple(skill_ids))

    def __len__(self) -> int:
        """Number of routes."""
        return len(self.routes)

    @property
    def positions(self) -> int:
        """Number of insertion positions over all routes (stops plus one per route)."""
        return int(self._pos.leg.shape[0])

    def candidates(
        self,
        location: Point,
        duration: int,
        skills: Iterable[int],
        windows: Sequence[tuple[Hashable, TimeWindow]],
    ) -> Insertions:
        """Every feasible (window, route, position) for a new visit.

        Parameters
        ----------
        location
            ``(lon, lat)`` of the visit's address.
        duration
            Service time in seconds.
        skills
            Skills the expert must all have.
        windows
            Candidate arrival windows as ``(day, window)``: the visit would be promised to start
            inside ``window`` on the routes whose :attr:`PlannedRoute.day` is ``day``. Days
            without routes simply give nothing.

        Returns
        -------
        Insertions
            Column-wise; iterate or index for :class:`Insertion` objects.
        """
        if duration < 0:
            raise ValueError("duration must not be negative")
        a = self._pos
        c = as_points([location], "location")
        needed = frozenset(skills)
        skill_ok = np.array([needed <= s for s in self._skill_sets], dtype=bool)

        # Travel from every known address to the candidate and back; slot -1 stays 0 (no address).
        n_pts = self._points.shape[0]
        symmetric = bool(getattr(self.travel, "symmetric", False))
        to_c = np.zeros(n_pts + 1, dtype=np.int64)
        from_c = np.zeros(n_pts + 1, dtype=np.int64)
        for prof, (first_pt, end_pt) in self._profiles.items():
            pts = self._points[first_pt:end_pt]
            to_c[first_pt:end_pt] = np.asarray(self.travel.durations(pts, c, prof)).reshape(-1)
            if symmetric:
                from_c[first_pt:end_pt] = to_c[first_pt:end_pt]
            else:
                back_c = self.travel.durations(c, pts, prof)
                from_c[first_pt:end_pt] = np.asarray(back_c).reshape(-1)

        go = to_c[a.prev_pt]
        back = from_c[a.next_pt]
        # Earliest arrival, per split of the breaks before the candidate: leave the visit before
        # (the breaks before the drive taken), drive, take the rest at the candidate's address.
        x = a.f_time + go[a.f_row]
        active = np.flatnonzero(a.f_count > 0)
        i = 0
        while active.size:
            j = a.f_first[active] + i
            t = x[active]
            fits = a.break_end[j] >= t[:, None]
            w = np.argmax(fits, axis=1)
            start = np.maximum(t, a.break_start[j, w])
            x[active] = np.where(fits.any(axis=1), start + a.break_duration[j], _LATE)
            i += 1
            active = active[a.f_count[active] > i]
        arrival = np.minimum.reduceat(x, a.f_starts)
        # Latest moment to leave the candidate, per split of the breaks after it: the latest
        # arrival at the next address (the breaks after the drive taken there) minus the drive,
        # walked back through the breaks taken at the candidate's address before leaving.
        y = a.b_time - back[a.b_row]
        active = np.flatnonzero(a.b_count > 0)
        i = 0
        while active.size:
            i += 1
            j = a.b_first[active] + a.b_count[active] - i
            s_max = y[active] - a.break_duration[j]
            started = a.break_start[j] <= s_max[:, None]
            last = started.shape[1] - 1 - np.argmax(started[:, ::-1], axis=1)
            end = a.break_end[j, last]
            y[active] = np.where(started.any(axis=1), np.minimum(end, s_max), _NEVER)
            active = active[a.b_count[active] > i]
        leave_by = np.maximum.reduceat(y, a.b_starts)
        latest_start = leave_by - duration

        ok = a.prefix_ok & skill_ok[a.skills] & (arrival <= latest_start)
        pos = np.flatnonzero(ok)

        # Pair each open position with the windows of its day that can fit: windows sorted by
        # (day, start), encoded as one sortable key, so "starts no later than the latest start"
        # is a prefix of the day found by binary search. When the day's window ends rise with
        # their starts (sliding or disjoint windows, the usual offer grid), "ends no earlier than
        # the arrival" cuts the front too and only fitting pairs are formed. Keys clip times to
        # +-2**40 (monotone, so pairs are only ever added); the exact test follows.
        w_day = np.array([self._days.get(d, -1) for d, _ in windows], dtype=np.int64)
        w_start = np.array([w.start for _, w in windows], dtype=np.int64)
        w_end = np.array([w.end for _, w in windows], dtype=np.int64)
        order = np.lexsort((w_end, w_start, w_day))
        s_day, s_start, s_end = w_day[order], w_start[order], w_end[order]
        p_day = a.day[pos]
        day_base = p_day * _KEY_DAY
        hi = np.searchsorted(_key(s_day, s_start), day_base + _clip(latest_start[pos]), "right")
        lo = np.searchsorted(_key(s_day, s_start), day_base, "left")
        rising = bool(np.all((np.diff(s_end) >= 0) | (np.diff(s_day) != 0)))
        if rising:
            first_fit = np.searchsorted(_key(s_day, s_end), day_base + _clip(arrival[pos]), "left")
            lo = np.maximum(lo, first_fit)
        counts = np.maximum(hi - lo, 0)
        total = int(counts.sum())
        pair_pos = np.repeat(pos, counts)
        skip = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        pair_sorted = skip + np.arange(total, dtype=np.int64)

        pair_arrival = arrival[pair_pos]
        pair_latest = latest_start[pair_pos]
        start = np.maximum(pair_arrival, s_start[pair_sorted])
        latest = np.minimum(pair_latest, s_end[pair_sorted])
        fits = start <= latest
        p = pair_pos[fits]
        return Insertions(
            keys=self._keys,
            window=order[pair_sorted[fits]],
            route=a.route[p],
            position=a.position[p],
            extra_travel=go[p] + back[p] - a.leg[p],
            arrival=pair_arrival[fits],
            service_start=start[fits],
            latest_start=latest[fits],
        )


#: Sort keys for (day, time): day * _KEY_DAY + time clipped to +-_KEY_SPAN, shifted positive.
_KEY_SPAN = 2**40
_KEY_DAY = 4 * _KEY_SPAN


def _clip(t: IntArray) -> IntArray:
    clipped: IntArray = np.clip(t, -_KEY_SPAN + 1, _KEY_SPAN - 1) + _KEY_SPAN
    return clipped


def _key(day: IntArray, t: IntArray) -> IntArray:
    return day * _KEY_DAY + _clip(t)


_INT_COLUMNS = (
    "prev_pt",
    "next_pt",
    "leg",
    "route",
    "position",
    "day",
    "skills",
    "break_duration",
)
_ENTRY_COLUMNS = tuple(
    f"{side}_{name}" for side in "fb" for name in ("row", "time", "first", "count", "starts")
)


def candidates_by_replay(
    routes: Iterable[PlannedRoute],
    travel: TravelTimeProvider,
    location: Point,
    duration: int,
    skills: Iterable[int],
    windows: Sequence[tuple[Hashable, TimeWindow]],
    *,
    find_latest: bool = True,
) -> list[Insertion]:
    """The reference answer: insert at every position and :func:`~routing.replay.replay`.

    Slow (one replay per window, route and position); the tests hold
    :meth:`InsertionIndex.candidates` to it and the benchmark measures against it. Same
    parameters and meaning as :meth:`InsertionIndex.build` plus :meth:`InsertionIndex.candidates`.

    Parameters
    ----------
    find_latest
        Find ``latest_start`` by bisection over one-second windows (each step a replay). When
        false, ``latest_start`` is reported as -1.

    Returns
    -------
    list of Insertion
        In the order window, route (as given), position.
    """
    out: list[Insertion] = []
    needed = frozenset(skills)
    xy = (float(location[0]), float(location[1]))
    for w_idx, (day, window) in enumerate(windows):
        for route in routes:
            if day != route.day:
                continue
            problem, vehicle = _problem_with_candidate(route, travel, xy, duration, needed)
            base = replay(problem, vehicle, route.stops, late_start=False).route.travel
            for pos in range(len(route.stops) + 1):
                feasible, travel_s, arrival, start = _replay_at(
                    problem, vehicle, route, pos, window
                )
                if not feasible:
                    continue
                latest = -1
                if find_latest:
                    lo, hi = start, window.end  # lo fits; find the last start that does
                    while lo < hi:
                        mid = (lo + hi + 1) // 2
                        if _replay_at(problem, vehicle, route, pos, TimeWindow(mid, mid))[0]:
                            lo = mid
                        else:
                            hi = mid - 1
                    latest = lo
                out.append(
                    Insertion(w_idx, route.key, pos, travel_s - base, arrival, start, latest)
                )
    return out


def _replay_at(
    problem: Problem, vehicle: Vehicle, route: PlannedRoute, pos: int, window: TimeWindow
) -> tuple[bool, int, int, int]:
    """Replay with the candidate (the problem's last visit) at ``pos``, promised ``window``."""
    visit = dataclasses.replace(problem.visits[-1], time_windows=(window,))
    prob = dataclasses.replace(problem, visits=(*problem.visits[:-1], visit))
    stops = (*route.stops[:pos], (StepType.VISIT, visit.id), *route.stops[pos:])
    rep = replay(prob, vehicle, stops, late_start=False)
    step = next(s for s in rep.route.steps if s.id == visit.id and s.type is StepType.VISIT)
    return rep.feasible, rep.route.travel, step.arrival, step.service_start


def _problem_with_candidate(
    route: PlannedRoute,
    travel: TravelTimeProvider,
    location: Point,
    duration: int,
    skills: frozenset[int],
) -> tuple[Problem, Vehicle]:
    """A one-vehicle problem: the route's addresses, then the candidate (last visit and index)."""
    locs = route.locations
    index = {loc: i for i, loc in enumerate(locs)}
    pts = [route.coordinates[loc] for loc in locs]
    prof = route.vehicle.profile
    k = len(locs)
    m = np.zeros((k + 1, k + 1), dtype=np.int64)
    if route.durations is not None:
        m[:k, :k] = route.durations[np.ix_(locs, locs)]
    elif k:
        m[:k, :k] = travel.durations(pts, pts, prof)
    if k:
        m[:k, k] = np.asarray(travel.durations(pts, [location], prof)).reshape(-1)
        m[k, :k] = np.asarray(travel.durations([location], pts, prof)).reshape(-1)
    veh = route.vehicle
    vehicle = dataclasses.replace(
        veh,
        start=None if veh.start is None else index[veh.start],
        end=None if veh.end is None else index[veh.end],
    )
    visits = {
        ref: dataclasses.replace(route.visits[ref], location=index[route.visits[ref].location])
        for kind, ref in route.stops
        if kind is StepType.VISIT
    }
    cand = Visit(id=max(visits, default=0) + 1, location=k, duration=duration, skills=skills)
    problem = Problem(
        visits=(*visits.values(), cand),
        vehicles=(vehicle,),
        matrices={prof: Matrix(m)},
    )
    return problem, vehicle
