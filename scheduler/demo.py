"""The demo municipality: synthetic but lifelike, deterministic by seed.

Addresses lie around Utrecht's coordinates (a real Dutch town, so distances and travel times are
realistic); experts work day, evening and Saturday shifts on bikes and in cars; bookings are made
through the real offer and booking code, so the demo's plans are exactly what citizens would have
produced.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing.travel import TravelTimeProvider
from scheduler import clock
from scheduler.addresses.models import Address
from scheduler.addresses.service import AddressRow, import_rows
from scheduler.booking import offers as offer_service
from scheduler.booking import service as booking
from scheduler.booking.models import ACTIVE_STATUSES, Channel, Visit, VisitEvent, VisitStatus
from scheduler.capacity.models import Expert, TravelMode, WeeklyShift
from scheduler.capacity.service import prefill_closures
from scheduler.catalog.models import ServiceType
from scheduler.day.shifts import shifts_between
from scheduler.errors import SlotTaken
from scheduler.geocoding import Place
from scheduler.insights import searches
from scheduler.planning.models import ExpertDay
from scheduler.rota.models import ExpertContract, ShiftTypeRow
from scheduler.rota.service import DEFAULT_SHIFT_TYPES, pattern_hours
from scheduler.tenants.models import Municipality
from scheduler.usecases import booking as booking_usecases
from scheduler.usecases.notifier import Notifier, no_notify

CENTER = (52.0907, 5.1214)  # Utrecht, Stadhuisbrug
OFFICE = ("Stadskantoor", 52.0894, 5.1103)

SERVICES = [
    {
        "code": "wmo-intake",
        "name_nl": "Keukentafelgesprek Wmo",
        "name_en": "Social support intake (Wmo)",
        "description_nl": "Een gesprek aan de keukentafel over ondersteuning thuis.",
        "description_en": "A conversation at your kitchen table about support at home.",
        "preparation_nl": "Houd uw BSN, een overzicht van uw medicijnen en eventuele "
        "brieven van uw huisarts of zorgverlener bij de hand. Iemand die u vertrouwt mag erbij "
        "zijn.",
        "preparation_en": "Have your citizen service number (BSN), a list of your medicines and "
        "any letters from your GP or care provider at hand. Someone you trust may join.",
        "duration_minutes": 60,
        "skill": "wmo",
        "window_minutes": 120,
        "retention_days": 365,
        # A citizen who asks for an interpreter gets an expert who speaks the language.
        "need_skills": {"interpreter": "taal-{detail}"},
    },
    {
        "code": "overlijden-aan-huis",
        "name_nl": "Aangifte van overlijden aan huis",
        "name_en": "Registering a death at home",
        "description_nl": "Een medewerker Burgerzaken komt langs om de aangifte op te nemen.",
        "description_en": "A civil affairs officer visits to register the death.",
        "preparation_nl": "Houd de verklaring van overlijden van de arts, uw eigen "
        "identiteitsbewijs en dat van de overledene bij de hand.",
        "preparation_en": "Have the doctor's death certificate, your own ID and the ID of the "
        "deceased at hand.",
        "duration_minutes": 45,
        "skill": "burgerzaken",
        "window_minutes": 120,
        "lead_time_hours": 4,
        "horizon_days": 7,
        "retention_days": 90,
    },
    {
        "code": "id-bezorging",
        "name_nl": "Paspoort of ID-kaart thuis aanvragen",
        "name_en": "Passport or ID card at home",
        "description_nl": "Voor wie niet naar het stadskantoor kan komen: aanvraag of uitreiking "
        "aan huis.",
        "description_en": "For those who cannot come to the city office: application or "
        "hand-over at home.",
        "preparation_nl": "Houd uw huidige identiteitsbewijs en een recente pasfoto bij de hand.",
        "preparation_en": "Have your current ID and a recent passport photo at hand.",
        "duration_minutes": 20,
        "skill": "burgerzaken",
        "window_minutes": 120,
        "retention_days": 90,
    },
    {
        "code": "schuldhulp-intake",
        "name_nl": "Intake schuldhulpverlening",
        "name_en": "Debt counselling intake",
        "description_nl": "Een eerste gesprek over uw geldzaken, vertrouwelijk en gratis.",
        "description_en": "A first, confidential and free conversation about your finances.",
        "preparation_nl": "Leg uw post, rekeningen, aanmaningen en bankafschriften van de "
        "laatste drie maanden klaar.",
        "preparation_en": "Have your mail, bills, reminders and bank statements of the last "
        "three months ready.",
        "duration_minutes": 90,
        "skill": "schuldhulp",
        "window_minutes": 180,
        "retention_days": 730,
    },
]

FIRST = "Anouk Bram Daan Eva Fatima Gijs Hanna Ilse Jeroen Karim Lotte Mila Noor Pieter Sanne"
LAST = "de Vries|Jansen|van Dijk|Bakker|Visser|Smit|Meijer|el Amrani|Mulder|de Boer|Bos|Yilmaz"
STREETS = (
    "Oudegracht|Nieuwegracht|Twijnstraat|Biltstraat|Amsterdamsestraatweg|Kanaalstraat|"
    "Vleutenseweg|Croeselaan|Waterlinieweg|Zonstraat|Burgemeester Reigerstraat|Adelaarstraat|"
    "Kardinaal de Jongweg|Marnixlaan|Zamenhofdreef|Vasco da Gamalaan|Kennedylaan|"
    "Beneluxlaan|Europalaan|Rijnlaan|Hooft Graaflandstraat|Gageldijk|Kapelweg|Griftdijk|"
    "Prins Hendriklaan|Wittevrouwensingel|Maliesingel|Tolsteegsingel|Weerdsingel"
).split("|")


#: Stop filling after this many citizens in a row found nothing (the days they want are full).
MAX_MISSES_IN_A_ROW = 60


@dataclass(frozen=True)
class DemoSize:
    """How big the demo is. ``fill`` is the share of the experts' working time (shift minus
    breaks) that booked visits take, the travel between them included, as a planner counts it."""

    experts: int = 12
    days: int = 14
    fill: float = 0.5
    seed: int = 1
    addresses: int = 1500


def _point(rng: random.Random, radius_km: float) -> tuple[float, float]:
    """A point within ``radius_km`` of the centre, denser towards the middle, as towns are."""
    r = radius_km * math.sqrt(rng.random()) * 0.9
    a = rng.random() * 2 * math.pi
    dlat = r / 111.32 * math.cos(a)
    dlon = r / (111.32 * math.cos(math.radians(CENTER[0]))) * math.sin(a)
    return CENTER[0] + dlat, CENTER[1] + dlon


def addresses(rng: random.Random, n: int, radius_km: float) -> list[AddressRow]:
    """A synthetic register extract: postcodes in clusters, ten-ish numbers each."""
    rows: list[AddressRow] = []
    used: set[str] = set()
    while len(rows) < n:
        lat, lon = _point(rng, radius_km)
        digits = 3500 + rng.randrange(90)
        letters = "".join(rng.choice("ABCEGHJKLMNPRTVWXZ") for _ in range(2))
        postcode = f"{digits}{letters}"
        if postcode in used:
            continue
        used.add(postcode)
        street = rng.choice(STREETS)
        first = rng.randrange(1, 200)
        for k in range(rng.randrange(6, 16)):
            if len(rows) >= n:
                break
            rows.append(
                AddressRow(
                    postcode=postcode,
                    house_number=first + 2 * k,
                    addition="",
                    street=street,
                    city="Utrecht",
                    lat=round(lat + rng.uniform(-0.0008, 0.0008), 6),
                    lon=round(lon + rng.uniform(-0.0012, 0.0012), 6),
                )
            )
    return rows


def _shift(weekday: int, start: str, end: str, lunch: tuple[str, str, int] | None) -> WeeklyShift:
    def t(s: str) -> dt.time:
        return dt.time.fromisoformat(s)

    return WeeklyShift(
        weekday=weekday,
        start=t(start),
        end=t(end),
        break_earliest=t(lunch[0]) if lunch else None,
        break_latest=t(lunch[1]) if lunch else None,
        break_minutes=lunch[2] if lunch else 0,
    )


LUNCH = ("12:00", "13:30", 30)
DINNER = ("17:30", "18:30", 30)


def patterns(kind: str) -> list[WeeklyShift]:
    """Weekly patterns: day, evening (Tue/Thu evenings), Saturday and part-time."""
    if kind == "day":
        return [_shift(d, "08:30", "17:00", LUNCH) for d in range(5)]
    if kind == "evening":
        return [_shift(d, "08:30", "17:00", LUNCH) for d in (0, 2)] + [
            _shift(d, "13:00", "21:00", DINNER) for d in (1, 3)
        ]
    if kind == "saturday":
        return [_shift(d, "08:30", "17:00", LUNCH) for d in (1, 2, 3)] + [
            _shift(5, "09:00", "14:00", None)
        ]
    return [_shift(d, "09:00", "14:30", ("11:30", "13:00", 15)) for d in (0, 1, 3)]


#: Languages some Wmo consultants speak (by position in the skill plan's cycle).
LANGUAGE_SKILLS = {2: "taal-ar", 5: "taal-tr"}


def _unique_name(
    first: str, last: str, taken: set[str], firsts: list[str], lasts: list[str]
) -> str:
    """``first last``, or the next free combination after it (names must tell experts apart)."""
    start = firsts.index(first) * len(lasts) + lasts.index(last)
    for k in range(len(firsts) * len(lasts)):
        i = (start + k) % (len(firsts) * len(lasts))
        name = f"{firsts[i // len(lasts)]} {lasts[i % len(lasts)]}"
        if name not in taken:
            taken.add(name)
            return name
    raise ValueError("more experts than names")


def experts(rng: random.Random, n: int) -> list[Expert]:
    """Experts with one or two skills (some Wmo consultants speak Arabic or Turkish), on bikes
    and in cars, with varied working patterns, each with a name of their own."""
    firsts, lasts = FIRST.split(), LAST.split("|")
    skill_plan = ["wmo", "burgerzaken", "wmo", "schuldhulp", "burgerzaken", "wmo"]
    kinds = ["day", "evening", "day", "saturday", "parttime", "day"]
    out = []
    taken: set[str] = set()
    for i in range(n):
        skills = [skill_plan[i % len(skill_plan)]]
        if rng.random() < 0.35:
            extra = rng.choice(["wmo", "burgerzaken", "schuldhulp"])
            if extra not in skills:
                skills.append(extra)
        if i % len(skill_plan) in LANGUAGE_SKILLS:
            skills.append(LANGUAGE_SKILLS[i % len(skill_plan)])
        mode = TravelMode.BIKE if rng.random() < 0.6 else TravelMode.CAR
        from_home = rng.random() < 0.25
        lat, lon = _point(rng, 6.0) if from_home else (OFFICE[1], OFFICE[2])
        e = Expert(
            name=_unique_name(rng.choice(firsts), rng.choice(lasts), taken, firsts, lasts),
            skills=skills,
            travel_mode=mode,
            start_label="Thuis" if from_home else OFFICE[0],
            start_lat=lat,
            start_lon=lon,
            max_visits_per_day=8 if mode is TravelMode.BIKE else 9,
            active=True,
        )
        e.shifts = patterns(kinds[i % len(kinds)])
        out.append(e)
    return out


def sample_address(session: Session, municipality: Municipality) -> Address | None:
    """An address of the municipality's register near its centre, to try the booking pages."""
    return session.scalars(
        select(Address)
        .where(Address.municipality_id == municipality.id)
        .order_by(
            func.abs(Address.lat - municipality.center_lat)
            + func.abs(Address.lon - municipality.center_lon),
            Address.id,
        )
        .limit(1)
    ).first()


def create_municipality(
    session: Session,
    *,
    size: DemoSize,
    slug: str = "demo",
    name: str = "Gemeente Demostad",
    theme: str = "utrecht",
    today: dt.date | None = None,
) -> Municipality:
    """Municipality, services, experts with their patterns, closures and the address register."""
    rng = random.Random(size.seed)
    today = today or clock.now().date()
    m = Municipality(
        slug=slug,
        name=name,
        timezone="Europe/Amsterdam",
        center_lat=CENTER[0],
        center_lon=CENTER[1],
        radius_km=9.0,
        email=f"aanhuis@{slug}.example.nl",
        phone="14 030",
        website=f"https://www.{slug}.example.nl",
        theme=theme,
    )
    session.add(m)
    session.flush()
    for spec in SERVICES:
        session.add(ServiceType(municipality_id=m.id, **spec))
    for e in experts(rng, size.experts):
        e.municipality_id = m.id
        session.add(e)
    prefill_closures(session, municipality=m, years=[today.year, today.year + 1])
    import_rows(session, municipality=m, rows=addresses(rng, size.addresses, 8.0))
    session.flush()
    return m


def fill_bookings(
    session: Session,
    municipality: Municipality,
    *,
    size: DemoSize,
    travel: TravelTimeProvider,
    notify: Notifier | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> int:
    """Book visits through the real offer and booking code until ``fill`` of capacity is used.

    Capacity is the working minutes of the next ``days`` days; visits use their duration and the
    travel their routes need (as planned). Returns the number of bookings made. Commits as it
    goes (each booking is its own transaction).
    """
    rng = random.Random(size.seed + 1)
    now = clock.now()
    first = now.date() + dt.timedelta(days=1)
    last = now.date() + dt.timedelta(days=size.days)
    shifts = shifts_between(session, municipality=municipality, first=first, last=last)
    capacity_minutes = sum(s.minutes for s in shifts.values())
    services = list(
        session.scalars(select(ServiceType).where(ServiceType.municipality_id == municipality.id))
    )
    weights = [4, 1, 3, 2][: len(services)]
    register = list(
        session.scalars(select(Address).where(Address.municipality_id == municipality.id))
    )

    def used_minutes() -> float:
        service = session.scalar(
            select(func.coalesce(func.sum(Visit.duration_minutes), 0)).where(
                Visit.municipality_id == municipality.id,
                Visit.date >= first,
                Visit.date <= last,
                Visit.status.in_(ACTIVE_STATUSES),
            )
        )
        travel_s = session.scalar(
            select(func.coalesce(func.sum(ExpertDay.travel_seconds), 0)).where(
                ExpertDay.municipality_id == municipality.id,
                ExpertDay.date >= first,
                ExpertDay.date <= last,
            )
        )
        return float(service or 0) + float(travel_s or 0) / 60

    used = used_minutes()
    made = 0
    misses = 0  # in a row: the days the citizens ask for are full
    while used < size.fill * capacity_minutes and misses < MAX_MISSES_IN_A_ROW:
        service = rng.choices(services, weights=weights)[0]
        a = rng.choice(register)
        place = Place(
            a.lat, a.lon, a.postcode, a.house_number, a.addition or None, a.street, a.city
        )
        # Most simulated citizens look a few days ahead; some take the first time on offer
        # (those searches are recorded, as the real offer endpoint does, for the KPIs).
        full = rng.random() < 0.3
        start = first if full else first + dt.timedelta(days=rng.randrange(max(1, size.days)))
        candidates = offer_service.find_candidates(
            session,
            municipality=municipality,
            service=service,
            place=place,
            travel=travel,
            earliest=None if full else start,
            latest=last if full else min(last, start + dt.timedelta(days=2)),
            now=now,
        )
        if full:
            searches.record(
                session,
                municipality_id=municipality.id,
                service_type_id=service.id,
                at=now,
                first_window_start=min((c.start for c in candidates), default=None),
            )
            # They take one of the first days on offer, wherever those are.
            soonest = min((c.date for c in candidates), default=first)
            candidates = [c for c in candidates if c.date <= soonest + dt.timedelta(days=1)]
        if not candidates:
            misses += 1
            session.rollback()
            continue
        candidates.sort(key=lambda c: (c.extra_travel, c.start))
        pick = candidates[min(len(candidates) - 1, int(rng.random() ** 2 * 5))]
        (offer,) = offer_service.create_offers(
            session,
            municipality=municipality,
            service=service,
            place=place,
            chosen=[pick],
            hold_minutes=10,
        )
        session.commit()
        try:
            booking_usecases.book(
                session,
                municipality=municipality,
                offer_id=offer.id,
                citizen=booking.Citizen(
                    name=f"{rng.choice(FIRST.split())} {rng.choice(LAST.split('|'))}",
                    phone=f"+316{rng.randrange(10**7, 10**8)}",  # E.164, as bookings store it
                    email=f"burger{made}@example.org" if rng.random() < 0.7 else None,
                ),
                notes=None,
                idempotency_key=None,
                travel=travel,
                channel=Channel.ONLINE if rng.random() < 0.8 else Channel.PHONE,
                notify=notify or no_notify,
            )
        except SlotTaken:
            session.rollback()
            misses += 1
            continue
        made += 1
        misses = 0
        used = used_minutes()
        if progress is not None and made % 50 == 0:
            progress(made, used / max(1, capacity_minutes))
    return made


def fill_history(
    session: Session,
    municipality: Municipality,
    *,
    size: DemoSize,
    travel: TravelTimeProvider,
) -> int:
    """Weeks of past visits with outcomes, for the dashboard: booked as citizens would have.

    The clock is set back ``size.days`` days, bookings are made through the real code, then the
    past visits get what happened: mostly completed, some not at home, a few cancelled.
    """
    real_now = clock.now()
    back = dt.timedelta(days=size.days + 1)
    previous = clock.set_clock(lambda: real_now - back)
    try:
        made = fill_bookings(session, municipality, size=size, travel=travel)
    finally:
        clock.set_clock(previous)
    rng = random.Random(size.seed + 2)
    past = session.scalars(
        select(Visit).where(
            Visit.municipality_id == municipality.id,
            Visit.date < real_now.date(),
            Visit.status.in_(ACTIVE_STATUSES),
        )
    ).all()
    for v in past:
        roll = rng.random()
        at = v.planned_start or v.window_start
        if roll < 0.04:
            v.status = VisitStatus.CANCELLED
            v.cancelled_at = at - dt.timedelta(days=1)
            v.cancelled_by = "citizen"
            session.add(
                VisitEvent(visit_id=v.id, status="cancelled", at=v.cancelled_at, actor="citizen")
            )
            continue
        v.status = VisitStatus.NOT_HOME if roll < 0.09 else VisitStatus.COMPLETED
        late = dt.timedelta(minutes=rng.choice([0, 0, 0, 5, 10, 20]))
        session.add(VisitEvent(visit_id=v.id, status="arrived", at=at + late, actor="expert"))
        session.add(
            VisitEvent(
                visit_id=v.id,
                status=v.status.value,
                at=at + late + dt.timedelta(minutes=v.duration_minutes),
                actor="expert",
            )
        )
    session.commit()
    return made


PEERS = [
    ("rivierstad", "Gemeente Rivierstad", "rotterdam"),
    ("heuvelrug", "Gemeente Heuvelrug", "voorbeeld"),
    ("polderveen", "Gemeente Polderveen", "amsterdam"),
]


def create_peers(
    session: Session, *, count: int, travel: TravelTimeProvider, seed: int = 1
) -> list[Municipality]:
    """Smaller neighbouring municipalities with their own history, for the peer comparison."""
    out = []
    for k, (slug, name, theme) in enumerate(PEERS[:count]):
        size = DemoSize(
            experts=4 + k, days=7, fill=0.35 + 0.1 * k, seed=seed + 10 * (k + 1), addresses=400
        )
        m = create_municipality(session, size=size, slug=slug, name=name, theme=theme)
        session.commit()
        fill_history(session, m, size=size, travel=travel)
        fill_bookings(session, m, size=size, travel=travel)
        out.append(m)
    return out


def fill_rota(session: Session, municipality: Municipality) -> None:
    """Shift types, contracts (the pattern's hours) and rota preferences for the demo's experts.

    Commits. Some experts cannot work evenings, some want them, some prefer Wednesday off.
    """
    for t in DEFAULT_SHIFT_TYPES:
        session.add(
            ShiftTypeRow(
                municipality_id=municipality.id,
                code=t.code,
                name=t.name,
                start=t.start,
                end=t.end,
                break_earliest=t.break_earliest,
                break_latest=t.break_latest,
                break_minutes=t.break_minutes,
                weekdays=sorted(t.weekdays),
            )
        )
    experts = session.scalars(
        select(Expert).where(Expert.municipality_id == municipality.id).order_by(Expert.id)
    ).all()
    for i, e in enumerate(experts):
        hours = pattern_hours(e)
        session.add(
            ExpertContract(
                expert_id=e.id,
                hours_per_week=hours,
                tolerance_hours=2.0 if hours < 24 else 4.0,
                max_evenings_per_week=2,
                max_saturdays_per_month=2,
                evenings="cannot" if i % 5 == 1 else "wants" if i % 7 == 2 else "none",
                day_off=2 if i % 4 == 3 else None,
            )
        )
    session.commit()


def fill_demand(
    session: Session, municipality: Municipality, *, weeks: int = 8, seed: int = 7
) -> int:
    """Weeks of offer searches that found nothing suitable, mostly in evenings and on Saturdays
    (the demand the current shifts miss), for the forecast. Commits; returns the searches."""
    rng = random.Random(seed)
    services = session.scalars(
        select(ServiceType).where(ServiceType.municipality_id == municipality.id)
    ).all()
    tz = ZoneInfo(municipality.timezone)
    today = clock.now().astimezone(tz).date()
    made = 0
    for back in range(1, 7 * weeks + 1):
        day = today - dt.timedelta(days=back)
        if day.weekday() == 6:
            continue
        hours = range(9, 14) if day.weekday() == 5 else range(18, 22)
        for service in services:
            for hour in hours:
                n = (
                    rng.choice([0, 0, 1, 1, 2])
                    if service.skill != "schuldhulp"
                    else rng.choice([0, 1])
                )
                if n:
                    at = dt.datetime.combine(day, dt.time(hour, 15), tzinfo=tz)
                    searches.record(
                        session,
                        municipality_id=municipality.id,
                        service_type_id=service.id,
                        at=at,
                        first_window_start=None,
                        searches=n,
                    )
                    made += n
    session.commit()
    return made
