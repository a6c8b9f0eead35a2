"""A rota problem as plain, frozen data: experts, shift types, demand, rules. No database.

Times are local wall-clock times on local dates; rest periods are measured in real elapsed time
in the problem's time zone (so the night clocks change is counted right).

Parts of day (what the forecast and the coverage count in):

* ``morning`` — Monday–Friday 00:00–12:00,
* ``afternoon`` — Monday–Friday 12:00–17:00,
* ``evening`` — Monday–Friday 17:00–24:00,
* ``saturday`` — all of Saturday.

Sunday has no part: nobody is rostered on Sundays.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


class Part(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    SATURDAY = "saturday"


PARTS = tuple(Part)
PART_NL = {
    Part.MORNING: "ochtend",
    Part.AFTERNOON: "middag",
    Part.EVENING: "avond",
    Part.SATURDAY: "zaterdag",
}
#: Where a weekday's parts begin and end (minutes after local midnight).
WEEKDAY_PARTS = (
    (Part.MORNING, 0, 12 * 60),
    (Part.AFTERNOON, 12 * 60, 17 * 60),
    (Part.EVENING, 17 * 60, 24 * 60),
)


def part_at(day: dt.date, at: dt.time) -> Part | None:
    """The part of day a moment falls in (None on Sundays)."""
    if day.weekday() == 6:
        return None
    if day.weekday() == 5:
        return Part.SATURDAY
    minute = at.hour * 60 + at.minute
    return next(p for p, lo, hi in WEEKDAY_PARTS if lo <= minute < hi)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def part_minutes(
    day: dt.date,
    start: dt.time,
    end: dt.time,
    break_minutes: int = 0,
    break_at: dt.time | None = None,
) -> dict[Part, int]:
    """Working minutes of a shift per part of day; the break is taken from the part it starts in."""
    out: dict[Part, int] = {}
    if day.weekday() == 6:
        return out
    lo, hi = _minutes(start), _minutes(end)
    if day.weekday() == 5:
        out[Part.SATURDAY] = max(0, hi - lo - break_minutes)
        return out
    for part, p_lo, p_hi in WEEKDAY_PARTS:
        overlap = min(hi, p_hi) - max(lo, p_lo)
        if overlap > 0:
            out[part] = overlap
    if break_minutes and out:
        at = break_at or start
        part = part_at(day, at) or next(iter(out))
        if part not in out:
            part = max(out, key=lambda p: out[p])
        out[part] = max(0, out[part] - break_minutes)
    return {p: m for p, m in out.items() if m > 0}


@dataclass(frozen=True)
class ShiftType:
    """A shift the municipality rosters (day, evening, Saturday morning, …) with its break."""

    code: str
    name: str
    start: dt.time
    end: dt.time
    break_minutes: int = 0
    break_earliest: dt.time | None = None
    break_latest: dt.time | None = None
    #: Weekdays it may be rostered on (0 = Monday).
    weekdays: frozenset[int] = frozenset(range(5))

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"shift type {self.code}: end must follow start")
        span = _minutes(self.end) - _minutes(self.start)
        if span > 12 * 60:
            raise ValueError(f"shift type {self.code}: longer than 12 hours (Arbeidstijdenwet)")
        if not 0 <= self.break_minutes < span:
            raise ValueError(f"shift type {self.code}: break must be shorter than the shift")
        if not self.weekdays <= set(range(6)):
            raise ValueError(f"shift type {self.code}: weekdays are 0 (Monday) to 5 (Saturday)")

    @property
    def minutes(self) -> int:
        """Paid working minutes: the span minus the break."""
        return _minutes(self.end) - _minutes(self.start) - self.break_minutes

    def parts(self, day: dt.date) -> dict[Part, int]:
        return part_minutes(day, self.start, self.end, self.break_minutes, self.break_earliest)

    def is_evening(self, day: dt.date) -> bool:
        """An evening shift: on a weekday, it works at least an hour after 17:00."""
        return self.parts(day).get(Part.EVENING, 0) >= 60


@dataclass(frozen=True)
class Contract:
    """What an expert's contract allows: hours per week (± tolerance) and the unsocial limits."""

    hours_per_week: float = 36.0
    tolerance_hours: float = 4.0
    max_evenings_per_week: int = 2
    max_saturdays_per_month: int = 2

    def __post_init__(self) -> None:
        if not 0 <= self.hours_per_week <= 60:
            raise ValueError("hours per week must lie between 0 and 60")
        if self.tolerance_hours < 0 or self.max_evenings_per_week < 0:
            raise ValueError("tolerance and limits cannot be negative")
        if self.max_saturdays_per_month < 0:
            raise ValueError("tolerance and limits cannot be negative")


class EveningWish(enum.StrEnum):
    WANTS = "wants"
    CANNOT = "cannot"
    NONE = "none"


@dataclass(frozen=True)
class Preference:
    evenings: EveningWish = EveningWish.NONE
    #: A weekday the expert prefers to be free (0 = Monday).
    day_off: int | None = None


@dataclass(frozen=True)
class Fixed:
    """A shift already fixed on a date (an extra shift recorded by hand): it is kept as it is."""

    start: dt.time
    end: dt.time
    break_minutes: int = 0


@dataclass(frozen=True)
class RotaExpert:
    id: int
    name: str
    skills: frozenset[str]
    contract: Contract = Contract()
    preference: Preference = Preference()
    #: Dates the expert cannot work (whole-day absence, sickness).
    unavailable: frozenset[dt.date] = frozenset()
    fixed: Mapping[dt.date, Fixed] = field(default_factory=dict)
    #: Dates with booked visits, each with the latest start and the earliest end a shift may have
    #: and still keep them (local times).
    promised: Mapping[dt.date, tuple[dt.time, dt.time]] = field(default_factory=dict)
    #: Evenings and Saturdays worked in the rolling period before the horizon.
    history_evenings: int = 0
    history_saturdays: int = 0
    #: Saturdays already worked in the horizon's first month before it starts.
    saturdays_this_month: int = 0
    #: When the last shift before the horizon ended (local), for the 11-hour rest.
    last_end: dt.datetime | None = None


@dataclass(frozen=True)
class MinimumCover:
    """Hard: at least ``experts`` experts with ``skill`` work in ``part`` on every open day."""

    skill: str
    part: Part
    experts: int


@dataclass(frozen=True)
class Weights:
    """Penalties of the soft rules, in points (the coverage point is per uncovered hour)."""

    uncovered_hour: int = 100
    fairness_spread: int = 40
    unwanted_evening: int = 60
    wanted_evening: int = 10
    day_off: int = 30
    #: An expert-day with booked visits left without a fitting shift (its visits are re-planned).
    broken_promise: int = 100_000


@dataclass(frozen=True)
class RotaProblem:
    start: dt.date
    weeks: int
    experts: tuple[RotaExpert, ...]
    shift_types: tuple[ShiftType, ...]
    #: Forecast expert-minutes per (skill, date, part).
    demand: Mapping[tuple[str, dt.date, Part], int]
    closed: frozenset[dt.date] = frozenset()
    minimums: tuple[MinimumCover, ...] = ()
    timezone: str = "Europe/Amsterdam"
    weights: Weights = Weights()
    #: Minimum rest between two shifts, and uninterrupted rest per 7 days (hours).
    daily_rest_hours: int = 11
    weekly_rest_hours: int = 36
    max_hours_per_week: int = 60

    def __post_init__(self) -> None:
        if not 1 <= self.weeks <= 8:
            raise ValueError("a rota covers 1 to 8 weeks")
        if not self.shift_types:
            raise ValueError("a rota needs at least one shift type")
        if len({s.code for s in self.shift_types}) != len(self.shift_types):
            raise ValueError("shift type codes must differ")

    @property
    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(7 * self.weeks)]

    @property
    def last(self) -> dt.date:
        return self.start + dt.timedelta(days=7 * self.weeks - 1)

    def week_of(self, day: dt.date) -> int:
        """The proposal's week (0-based) of a date."""
        return (day - self.start).days // 7

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def at(self, day: dt.date, t: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, t, tzinfo=self.zone)


@dataclass(frozen=True)
class Assignment:
    """One shift of the rota: an expert works a shift type (or a fixed shift) on a date."""

    expert_id: int
    date: dt.date
    code: str
    start: dt.time
    end: dt.time
    break_minutes: int
    break_earliest: dt.time | None = None
    break_latest: dt.time | None = None

    @property
    def minutes(self) -> int:
        return _minutes(self.end) - _minutes(self.start) - self.break_minutes

    def parts(self) -> dict[Part, int]:
        return part_minutes(
            self.date, self.start, self.end, self.break_minutes, self.break_earliest
        )

    def is_evening(self) -> bool:
        return self.parts().get(Part.EVENING, 0) >= 60

    def is_saturday(self) -> bool:
        return self.date.weekday() == 5
