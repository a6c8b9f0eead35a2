"""Route-aware offers: arrival windows an expert can really make.

For every working day in the service's booking horizon, candidate windows are laid over the
working hours of the experts with the right skill; the routing engine's insertion index says for
each window whether some expert can take the visit there while keeping every promise already made,
the shift and the breaks, and at what extra travel. Offers are then ranked (least extra travel,
soonest) and spread over days and parts of the day, so evenings and Saturdays show up where experts
work then.

The insertion index of a day is cached in-process and validated against the database on every
request: the key holds the day's planning version and the municipality's capacity version, so a
booking or a shift change made by any worker invalidates it. One load of a day builds the indexes
of all its skills. The experts' working spans are cached by capacity version too.

Offers are searched lazily (:func:`best_candidates`): days in date order until the ranking's first
round is full, then only the earliest day that still has an evening or a Saturday to keep. The
result is exactly that of ranking every feasible window of the horizon (a test compares them).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.insertion import Insertion, InsertionIndex
from routing.model import TimeWindow
from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.addresses.service import normalise_postcode
from scheduler.addresses.service import unknown as unknown_address
from scheduler.booking import offer_tokens
from scheduler.booking.models import Offer, Visit
from scheduler.booking.needs import skills_for
from scheduler.catalog import service as catalog
from scheduler.catalog.models import ServiceType
from scheduler.day import shifts as day_shifts
from scheduler.day import state as day_state
from scheduler.errors import InvalidInput
from scheduler.geocoding import Geocoder, Place, check_service_area
from scheduler.insights import searches
from scheduler.planning.models import PlanningDay
from scheduler.security import KeyRing, new_id
from scheduler.tenants.models import Municipality

#: Candidate windows start on these minute marks (whole and half hours read well on a phone).
WINDOW_STEP_MINUTES = 30
#: Parts of the day, by local start hour.
MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
#: One day later weighs like this many seconds of extra travel when ranking.
DAY_WEIGHT_SECONDS = 600
DEFAULT_LIMIT = 12
MAX_LIMIT = 50


def part_of_day(local_start: dt.datetime) -> str:
    if local_start.hour < 12:
        return MORNING
    if local_start.hour < 17:
        return AFTERNOON
    return EVENING


@dataclass(frozen=True)
class Candidate:
    """A feasible window with the best insertion found for it."""

    date: dt.date
    start: dt.datetime
    end: dt.datetime
    expert_id: int
    extra_travel: int
    part: str

    @property
    def score(self) -> float:
        return self.extra_travel + DAY_WEIGHT_SECONDS * (self.date.toordinal())


#: The working spans (start, end) of the experts with a skill on one date, in UTC.
Spans = tuple[tuple[dt.datetime, dt.datetime], ...]


class _IndexCache:
    """Per (municipality, date, skill) insertion index, keyed by the versions it was built from.

    It also keeps the experts' working spans per (municipality, capacity version, skill), filled
    day by day: turning weekly patterns, exceptions and closures into shifts for every expert and
    day of a four-week horizon is the costliest part of an offer request on a large tenant, and it
    changes only with capacity, which bumps ``capacity_version``. :meth:`clear` empties both.
    """

    def __init__(self, size: int = 4096, span_keys: int = 256) -> None:
        self._items: OrderedDict[tuple[object, ...], tuple[tuple[int, int], InsertionIndex]] = (
            OrderedDict()
        )
        self._size = size
        self._spans: OrderedDict[tuple[int, int, str], dict[dt.date, Spans]] = OrderedDict()
        self._span_keys = span_keys
        self._lock = threading.Lock()
        self._building: dict[tuple[object, ...], threading.Lock] = {}

    def building(self, key: tuple[object, ...]) -> threading.Lock:
        """The lock held while ``key``'s index is built: concurrent requests that miss the
        same day wait for one build instead of each loading the day again."""
        with self._lock:
            return self._building.setdefault(key, threading.Lock())

    def known_spans(self, key: tuple[int, int, str]) -> dict[dt.date, Spans]:
        with self._lock:
            hit = self._spans.get(key)
            if hit is None:
                return {}
            self._spans.move_to_end(key)
            return dict(hit)

    def add_spans(self, key: tuple[int, int, str], spans: dict[dt.date, Spans]) -> None:
        with self._lock:
            self._spans.setdefault(key, {}).update(spans)
            self._spans.move_to_end(key)
            while len(self._spans) > self._span_keys:
                self._spans.popitem(last=False)

    def get(self, key: tuple[object, ...], version: tuple[int, int]) -> InsertionIndex | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] != version:
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key: tuple[object, ...], version: tuple[int, int], index: InsertionIndex) -> None:
        with self._lock:
            self._items[key] = (version, index)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._spans.clear()


CACHE = _IndexCache()


def working_spans(
    session: Session, municipality: Municipality, skill: str, first: dt.date, last: dt.date
) -> dict[dt.date, Spans]:
    """Per date from ``first`` to ``last``: the shifts of the experts with ``skill`` (cached)."""
    key = (municipality.id, municipality.capacity_version, skill)
    known = CACHE.known_spans(key)
    wanted = list(day_shifts.days(first, last))
    missing = [d for d in wanted if d not in known]
    if missing:
        shifts = day_shifts.shifts_between(
            session, municipality=municipality, first=missing[0], last=missing[-1], skill=skill
        )
        found: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        for (_, day), shift in shifts.items():
            found[day].append((shift.start, shift.end))
        fresh = {d: tuple(found.get(d, ())) for d in day_shifts.days(missing[0], missing[-1])}
        CACHE.add_spans(key, fresh)
        known.update(fresh)
    return {d: known[d] for d in wanted if known[d]}


def booking_range(
    service: ServiceType,
    tz_name: str,
    *,
    now: dt.datetime,
    earliest: dt.date | None,
    latest: dt.date | None,
) -> tuple[dt.date, dt.date, dt.datetime]:
    """First and last date to search and the earliest allowed window start (lead time)."""
    tz = clock.zone(tz_name)
    not_before = now + dt.timedelta(hours=service.lead_time_hours)
    today = now.astimezone(tz).date()
    first = max(earliest or today, not_before.astimezone(tz).date())
    last_allowed = today + dt.timedelta(days=service.horizon_days)
    last = min(latest or last_allowed, last_allowed)
    if earliest and latest and latest < earliest:
        raise InvalidInput(
            "The latest date lies before the earliest date.",
            nl="De laatste datum ligt voor de eerste datum.",
        )
    return first, last, not_before


def candidate_windows(
    shifts: Sequence[tuple[dt.datetime, dt.datetime]],
    *,
    window_minutes: int,
    duration_minutes: int,
    not_before: dt.datetime,
    tz_name: str,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Windows on one day: every half hour from the first shift start to the last useful start."""
    if not shifts:
        return []
    tz = clock.zone(tz_name)
    first = min(s for s, _ in shifts)
    last_end = max(e for _, e in shifts)
    step = dt.timedelta(minutes=WINDOW_STEP_MINUTES)
    # Start on a local half hour at or after the first shift start.
    local = first.astimezone(tz)
    minute = local.minute
    pad = (-minute) % WINDOW_STEP_MINUTES
    start = (local + dt.timedelta(minutes=pad)).replace(second=0, microsecond=0).astimezone(dt.UTC)
    span = dt.timedelta(minutes=window_minutes)
    need = dt.timedelta(minutes=duration_minutes)
    out = []
    while start + need <= last_end:
        if start >= not_before:
            out.append((start, start + span))
        start += step
    return out


def _versions(
    session: Session, municipality: Municipality, first: dt.date, last: dt.date
) -> dict[dt.date, int]:
    rows = session.execute(
        select(PlanningDay.date, PlanningDay.version).where(
            PlanningDay.municipality_id == municipality.id,
            PlanningDay.date >= first,
            PlanningDay.date <= last,
        )
    ).all()
    return {d: v for d, v in rows}


def day_index(
    session: Session,
    municipality: Municipality,
    date: dt.date,
    skill: str,
    travel: TravelTimeProvider,
    *,
    version: int,
    without_visit: int | None = None,
    extra_skills: Sequence[str] = (),
    excluding: frozenset[int] = frozenset(),
) -> InsertionIndex:
    """The insertion index of one date for experts with ``skill`` and every one of
    ``extra_skills`` (a need's language), leaving out the experts in ``excluding``; cached
    unless leaving out a visit or an expert."""
    extra = tuple(sorted(set(extra_skills) - {skill}))
    cache_key = (municipality.id, date, skill, *extra)
    cache_version = (version, municipality.capacity_version)
    if without_visit is not None or excluding:
        state = day_state.load_day(session, municipality, date)
        if without_visit is not None:
            state.visits.pop(without_visit, None)
        routes = state.planned_routes(skill=skill, skills=extra, excluding=excluding)
        return InsertionIndex.build(routes, travel)
    hit = CACHE.get(cache_key, cache_version)
    if hit is not None:
        return hit
    # After a booking every worker's index of that day is stale at once, and under load several
    # requests of one process miss it together: one builds, the others wait and take its result.
    with CACHE.building((municipality.id, date)):
        hit = CACHE.get(cache_key, cache_version)
        if hit is not None:
            return hit
        return _build_day(session, municipality, date, skill, extra, travel, cache_version)


def _build_day(
    session: Session,
    municipality: Municipality,
    date: dt.date,
    skill: str,
    extra: tuple[str, ...],
    travel: TravelTimeProvider,
    cache_version: tuple[int, int],
) -> InsertionIndex:
    state = day_state.load_day(session, municipality, date)
    cache_key = (municipality.id, date, skill, *extra)
    # Loading the day costs several times more than building one skill's index from it, and the
    # other skills' indexes of the day will be asked for soon: build them all from this load.
    index = InsertionIndex.build(state.planned_routes(skill=skill, skills=extra), travel)
    CACHE.put(cache_key, cache_version, index)
    others = {k for e in state.shifts for k in state.experts[e].skills} - {skill}
    for other in sorted(others):
        built = InsertionIndex.build(state.planned_routes(skill=other), travel)
        CACHE.put((municipality.id, date, other), cache_version, built)
    return index


@dataclass(frozen=True)
class _Search:
    """One offer search: the service at a place, over the days of the booking range."""

    session: Session
    municipality: Municipality
    service: ServiceType
    place: Place
    travel: TravelTimeProvider
    without_visit: tuple[int, dt.date] | None
    #: Skills the needs require beside the service's (only experts with all of them count).
    extra_skills: tuple[str, ...]
    versions: dict[dt.date, int]
    #: Experts the citizen asked not to come (a visit being moved brings them).
    excluding: frozenset[int]
    #: The candidate windows of each day that has any, in date order.
    windows: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]]

    @classmethod
    def start(
        cls,
        session: Session,
        *,
        municipality: Municipality,
        service: ServiceType,
        place: Place,
        travel: TravelTimeProvider,
        earliest: dt.date | None,
        latest: dt.date | None,
        without_visit: tuple[int, dt.date] | None,
        now: dt.datetime | None,
        extra_skills: Sequence[str] = (),
        skip_start: dt.datetime | None = None,
        excluding: frozenset[int] = frozenset(),
    ) -> _Search:
        now = now or clock.now()
        first, last, not_before = booking_range(
            service, municipality.timezone, now=now, earliest=earliest, latest=latest
        )
        spans = (
            working_spans(session, municipality, service.skill, first, last)
            if first <= last
            else {}
        )
        windows = {}
        for day in sorted(spans):
            found = candidate_windows(
                spans[day],
                window_minutes=service.window_minutes,
                duration_minutes=service.duration_minutes,
                not_before=not_before,
                tz_name=municipality.timezone,
            )
            # A visit being moved is never offered the window it already has.
            found = [w for w in found if w[0] != skip_start]
            if found:
                windows[day] = found
        versions = _versions(session, municipality, first, last) if windows else {}
        return cls(
            session,
            municipality,
            service,
            place,
            travel,
            without_visit,
            tuple(sorted(set(extra_skills))),
            versions,
            excluding,
            windows,
        )

    def day(self, day: dt.date) -> list[Candidate]:
        """The feasible windows of one day, each with its best expert and extra travel."""
        windows = self.windows[day]
        tz = clock.zone(self.municipality.timezone)
        excluded = (
            self.without_visit[0] if self.without_visit and self.without_visit[1] == day else None
        )
        index = day_index(
            self.session,
            self.municipality,
            day,
            self.service.skill,
            self.travel,
            version=self.versions.get(day, 0),
            without_visit=excluded,
            extra_skills=self.extra_skills,
            excluding=self.excluding,
        )
        origin = clock.local_midnight(day, tz)
        query = [
            (day, TimeWindow(clock.to_seconds(s, origin), clock.to_seconds(e, origin)))
            for s, e in windows
        ]
        # The day's index holds only experts with the service's skill and the needs' skills, so
        # no skill filter here.
        found = index.candidates(
            (self.place.lon, self.place.lat), self.service.duration_minutes * 60, frozenset(), query
        )
        out = []
        for w, best in enumerate(found.best_per_window(len(windows))):
            if best is None:
                continue
            start, end = windows[w]
            out.append(
                Candidate(
                    date=day,
                    start=start,
                    end=end,
                    expert_id=_expert_of(best),
                    extra_travel=best.extra_travel,
                    part=part_of_day(start.astimezone(tz)),
                )
            )
        return out


def find_candidates(
    session: Session,
    *,
    municipality: Municipality,
    service: ServiceType,
    place: Place,
    travel: TravelTimeProvider,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    without_visit: tuple[int, dt.date] | None = None,
    now: dt.datetime | None = None,
    extra_skills: Sequence[str] = (),
    skip_start: dt.datetime | None = None,
    excluding: frozenset[int] = frozenset(),
) -> list[Candidate]:
    """Every feasible window in the horizon, with its best expert and extra travel.

    ``without_visit`` leaves a visit (id, date) out of its day, as when it is moved;
    ``skip_start`` leaves out the window starting then (its current one); ``extra_skills`` are
    the skills its needs require.
    """
    search = _Search.start(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        earliest=earliest,
        latest=latest,
        without_visit=without_visit,
        now=now,
        extra_skills=extra_skills,
        skip_start=skip_start,
        excluding=excluding,
    )
    return [c for day in search.windows for c in search.day(day)]


class Best(NamedTuple):
    """The ranked windows to offer, and the earliest feasible window in the whole range."""

    chosen: list[Candidate]
    first_start: dt.datetime | None


def best_candidates(
    session: Session,
    *,
    municipality: Municipality,
    service: ServiceType,
    place: Place,
    travel: TravelTimeProvider,
    limit: int,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    without_visit: tuple[int, dt.date] | None = None,
    now: dt.datetime | None = None,
    extra_skills: Sequence[str] = (),
    skip_start: dt.datetime | None = None,
    prefer_expert: int | None = None,
    excluding: frozenset[int] = frozenset(),
) -> Best:
    """``rank(find_candidates(...), limit)``, without searching days that cannot change it.

    :func:`rank` fills its list in date order, one window per day and part of the day first, so
    once the days searched so far fill that first round, later days only matter for the evening
    and the Saturday it keeps: the earliest day that has one is searched for each that is still
    missing. On a four-week horizon this usually searches the first week only.
    """
    search = _Search.start(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        earliest=earliest,
        latest=latest,
        without_visit=without_visit,
        now=now,
        extra_skills=extra_skills,
        skip_start=skip_start,
        excluding=excluding,
    )
    days = list(search.windows)
    found: list[Candidate] = []
    searched = 0
    while searched < len(days) and _first_round(found, limit) < limit:
        found += search.day(days[searched])
        searched += 1
    tz = clock.zone(municipality.timezone)
    rest = days[searched:]
    keep = (
        (
            _is_evening,
            lambda d: any(part_of_day(s.astimezone(tz)) == EVENING for s, _ in search.windows[d]),
        ),
        (_is_saturday, lambda d: d.weekday() == 5),
    )
    # rank() keeps the earliest evening and the earliest Saturday. Every day of the prefix was
    # searched, so one found there is the earliest; otherwise walk the later days in date order
    # (reusing days a previous pass searched) up to the first day that has one.
    prefix = set(days[:searched])
    done = set(prefix)
    for wanted, may_have in keep:
        if any(wanted(c) for c in found if c.date in prefix):
            continue
        for day in rest:
            if day in done:
                if any(wanted(c) for c in found if c.date == day):
                    break
                continue
            if not may_have(day):
                continue
            more = search.day(day)
            done.add(day)
            found += more
            if any(wanted(c) for c in more):
                break
    # Days are searched from the first, so the earliest window found is the earliest there is.
    chosen = rank(found, limit, prefer_expert=prefer_expert)
    return Best(chosen, min((c.start for c in found), default=None))


def _expert_of(insertion: Insertion) -> int:
    key = insertion.route
    assert isinstance(key, tuple)
    return int(key[0])


def _first_round(candidates: Sequence[Candidate], limit: int) -> int:
    """How many windows the first round of :func:`rank` picks from ``candidates`` (at most
    ``limit``): the best of each (date, part of day), in date order, skipping near-duplicates."""
    best: dict[tuple[dt.date, str], Candidate] = {}
    for c in candidates:
        key = (c.date, c.part)
        if key not in best or (c.extra_travel, c.start) < (best[key].extra_travel, best[key].start):
            best[key] = c
    order = sorted(best, key=lambda k: (k[0], (MORNING, AFTERNOON, EVENING).index(k[1])))
    chosen: list[Candidate] = []
    for key in order:
        if len(chosen) >= limit:
            break
        if not _overlaps(best[key], chosen):
            chosen.append(best[key])
    return len(chosen)


def rank(
    candidates: Sequence[Candidate], limit: int, *, prefer_expert: int | None = None
) -> list[Candidate]:
    """Pick ``limit`` windows: good ones first, spread over days and parts of the day.

    Each (date, part of day) is a bucket; the best window of each bucket (least extra travel, then
    earliest) is taken round by round, soonest buckets first, so the list covers the coming days
    and their mornings, afternoons and evenings before it offers a second window in any of them.
    An evening and a Saturday are kept in the list when any are feasible at all. Returned in
    chronological order.

    With ``prefer_expert`` (continuity of care: a follow-up prefers the earlier visit's expert)
    that expert's windows come first, ranked as above among themselves, then the others'.
    """
    if limit <= 0:
        return []
    if prefer_expert is not None:
        theirs = rank([c for c in candidates if c.expert_id == prefer_expert], limit)
        others = [
            c
            for c in rank([c for c in candidates if c.expert_id != prefer_expert], limit)
            if not _overlaps(c, theirs)
        ]
        return theirs + others[: limit - len(theirs)]
    buckets: dict[tuple[dt.date, str], list[Candidate]] = defaultdict(list)
    for c in candidates:
        buckets[(c.date, c.part)].append(c)
    for items in buckets.values():
        items.sort(key=lambda c: (c.extra_travel, c.start))
    order = sorted(buckets, key=lambda k: (k[0], (MORNING, AFTERNOON, EVENING).index(k[1])))
    chosen: list[Candidate] = []
    depth = 0
    while len(chosen) < limit and any(len(buckets[k]) > depth for k in order):
        for key in order:
            if len(chosen) >= limit:
                break
            items = buckets[key]
            if len(items) > depth and not _overlaps(items[depth], chosen):
                chosen.append(items[depth])
        depth += 1
    kept: list[Candidate] = []
    for wanted in (_is_evening, _is_saturday):
        present = next((c for c in chosen if wanted(c)), None)
        if present is not None:
            kept.append(present)
            continue
        extra = next((c for k in order for c in buckets[k] if wanted(c)), None)
        if extra is None:
            continue
        if len(chosen) >= limit:
            # Give up the latest window that is not itself guaranteed a place.
            spare = max((c for c in chosen if c not in kept), key=lambda c: c.start, default=None)
            if spare is None:
                continue
            chosen.remove(spare)
        chosen.append(extra)
        kept.append(extra)
    return sorted(set(chosen), key=lambda c: c.start)


def _overlaps(c: Candidate, chosen: Sequence[Candidate]) -> bool:
    """Two windows on the same day that overlap by more than half are too alike to both show."""
    for o in chosen:
        if o.date == c.date:
            overlap = min(o.end, c.end) - max(o.start, c.start)
            if overlap > (c.end - c.start) / 2:
                return True
    return False


def _is_evening(c: Candidate) -> bool:
    return c.part == EVENING


def _is_saturday(c: Candidate) -> bool:
    return c.date.weekday() == 5


def create_offers(
    session: Session,
    *,
    municipality: Municipality,
    service: ServiceType,
    place: Place,
    chosen: Sequence[Candidate],
    hold_minutes: int,
    reschedule_of: int | None = None,
    keys: KeyRing | None = None,
) -> list[Offer]:
    """The chosen windows as offers held for ``hold_minutes``.

    With ``keys`` they are sealed into their ids and nothing is stored (anonymous clients);
    without, they are stored (flush only).
    """
    now = clock.now()
    offers = [
        Offer(
            id=new_id(),
            municipality_id=municipality.id,
            service_type_id=service.id,
            date=c.date,
            window_start=c.start,
            window_end=c.end,
            lat=place.lat,
            lon=place.lon,
            postcode=place.postcode,
            house_number=place.house_number,
            addition=place.addition,
            street=place.street,
            city=place.city,
            expert_id=c.expert_id,
            extra_travel_seconds=c.extra_travel,
            reschedule_of=reschedule_of,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=hold_minutes),
        )
        for c in chosen
    ]
    if keys is not None:
        for offer in offers:
            offer.id = offer_tokens.seal(keys.offers, offer)
        return offers
    session.add_all(offers)
    session.flush()
    return offers


def find_offer(
    session: Session, municipality: Municipality, offer_id: str, keys: KeyRing | None
) -> Offer | None:
    """The offer behind an id, sealed (with ``keys``) or stored, of ``municipality``; or None."""
    if offer_tokens.is_sealed_id(offer_id):
        offer = offer_tokens.open_offer(keys.offers, offer_id) if keys is not None else None
    else:
        offer = session.get(Offer, offer_id)
    if offer is None or offer.municipality_id != municipality.id:
        return None
    return offer


@dataclass(frozen=True)
class AddressQuery:
    """Where the visit is: a postcode and house number, or coordinates."""

    postcode: str | None = None
    house_number: int | None = None
    addition: str | None = None
    lat: float | None = None
    lon: float | None = None


def resolve_place(
    session: Session, municipality: Municipality, query: AddressQuery, geocoder: Geocoder
) -> Place:
    """Geocode the address (or take the coordinates) and check it lies in the service area."""
    if query.postcode is not None and query.house_number is not None:
        pc = normalise_postcode(query.postcode)
        place = geocoder.locate(session, municipality, pc, query.house_number, query.addition)
        if place is None:
            raise unknown_address(pc, query.house_number, query.addition)
    elif query.lat is not None and query.lon is not None:
        place = Place(query.lat, query.lon)
    else:
        raise InvalidInput(
            "Give a postcode and house number, or a location.",
            nl="Geef een postcode en huisnummer op, of een locatie.",
        )
    check_service_area(municipality, place.lat, place.lon)
    return place


def make_offers(
    session: Session,
    *,
    municipality: Municipality,
    service: ServiceType,
    place: Place,
    travel: TravelTimeProvider,
    hold_minutes: int,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    limit: int = DEFAULT_LIMIT,
    reschedule_of: Visit | None = None,
    extra_skills: Sequence[str] = (),
    keys: KeyRing | None = None,
    prefer_expert: int | None = None,
) -> list[Offer]:
    """Find, rank and store offers for a place; commits them (they must outlive the request).

    With ``keys`` the offers are sealed into their ids instead of stored (what anonymous clients
    get): the search then writes only its count to the hourly search statistics.

    Used by the citizen API, the web pages, planners booking on behalf of a caller, and for the
    alternatives after a booking that could not be kept. ``extra_skills`` (what the citizen's
    needs require) restricts the windows to experts who have them; a visit being moved brings
    its own, and is never offered the window it already has. ``prefer_expert`` lists that
    expert's windows first (:func:`rank`); a visit being moved prefers its own required or
    preferred expert.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_LIMIT}", nl=f"limit moet tussen 1 en {MAX_LIMIT}"
        )
    best = best_candidates(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        limit=limit,
        earliest=earliest,
        latest=latest,
        without_visit=(reschedule_of.id, reschedule_of.date) if reschedule_of else None,
        extra_skills=(reschedule_of.extra_skills or ()) if reschedule_of else extra_skills,
        skip_start=reschedule_of.window_start if reschedule_of else None,
        # A visit being moved keeps its own expert first when it has one (continuity of care).
        prefer_expert=prefer_expert
        if prefer_expert is not None or reschedule_of is None
        else reschedule_of.required_expert_id or reschedule_of.preferred_expert_id,
        excluding=day_state.excluded_experts(reschedule_of) if reschedule_of else frozenset(),
    )
    offers = create_offers(
        session,
        municipality=municipality,
        service=service,
        place=place,
        chosen=best.chosen,
        hold_minutes=hold_minutes,
        reschedule_of=reschedule_of.id if reschedule_of else None,
        keys=keys,
    )
    searches.record(
        session,
        municipality_id=municipality.id,
        service_type_id=service.id,
        at=clock.now(),
        first_window_start=best.first_start,
    )
    session.commit()
    return offers


def alternatives_for(
    session: Session,
    *,
    municipality: Municipality,
    offer_id: str,
    travel: TravelTimeProvider,
    hold_minutes: int,
    limit: int = 5,
    needs: Sequence[Mapping[str, Any]] = (),
    keys: KeyRing | None = None,
) -> list[Offer]:
    """Fresh offers for the same service and address as an offer that could not be booked
    (for the same ``needs``, so a needed interpreter's language still counts).

    Call after the failed attempt was rolled back. Empty when the offer itself is unknown. The
    fresh offers are sealed (not stored) when ``keys`` are given.
    """
    offer = find_offer(session, municipality, offer_id, keys)
    if offer is None:
        return []
    service = session.get(ServiceType, offer.service_type_id)
    assert service is not None
    place = Place(
        offer.lat,
        offer.lon,
        offer.postcode,
        offer.house_number,
        offer.addition,
        offer.street,
        offer.city,
    )
    moving = session.get(Visit, offer.reschedule_of) if offer.reschedule_of else None
    return make_offers(
        session,
        municipality=municipality,
        service=service,
        place=place,
        travel=travel,
        hold_minutes=hold_minutes,
        limit=limit,
        reschedule_of=moving,
        extra_skills=skills_for(service.need_skills or {}, needs),
        keys=keys,
    )


def held_for(
    session: Session,
    *,
    municipality: Municipality,
    visit_ids: Sequence[int],
    now: dt.datetime | None = None,
) -> dict[int, list[Offer]]:
    """Unexpired offers held for moving each of ``visit_ids``, soonest window first.

    These are the alternatives a re-plan made for the visits it could not keep (and any a planner
    asked for since): what a planner offers the citizen on the phone.
    """
    if not visit_ids:
        return {}
    held = session.scalars(
        select(Offer)
        .where(
            Offer.municipality_id == municipality.id,
            Offer.reschedule_of.in_(list(visit_ids)),
            Offer.expires_at > (now or clock.now()),
        )
        .order_by(Offer.window_start, Offer.id)
    )
    out: dict[int, list[Offer]] = defaultdict(list)
    for offer in held:
        assert offer.reschedule_of is not None
        out[offer.reschedule_of].append(offer)
    return dict(out)


def service_for(
    session: Session, *, municipality: Municipality, code: str | None, moving: Visit | None
) -> ServiceType:
    """The service type an offer request is for.

    A visit that is being moved keeps its service (``code`` may repeat it); a new booking names
    one of the municipality's active services.
    """
    if moving is not None:
        service = session.get(ServiceType, moving.service_type_id)
        assert service is not None
        if code is not None and code != service.code:
            raise InvalidInput(
                "A visit keeps its service when it is moved. Book another service separately.",
                nl="Een verplaatste afspraak houdt dezelfde dienst. Boek een andere dienst apart.",
                field="service",
            )
        return service
    if code is None:
        raise InvalidInput("Choose a service.", nl="Kies een dienst.", field="service")
    return catalog.get_by_code(session, municipality=municipality, code=code)
