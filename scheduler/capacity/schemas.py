"""API shapes of capacity: experts, weekly shifts, exceptions, closure days, change outcomes.

Times of day (shifts, breaks, exceptions) are local wall-clock times of the municipality; instants
(visit windows) are ISO 8601 with the municipality's offset.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from scheduler.bounds import Day
from scheduler.capacity.models import (
    Closure,
    ExceptionKind,
    Expert,
    ShiftException,
    TravelMode,
    WeeklyShift,
)

if TYPE_CHECKING:  # only in signatures; the overview module reads the capacity service
    from scheduler.capacity.overview import Cell, Figures, Overview

#: Skill codes are data, like service codes: lower case, digits and dashes.
SKILL_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"

#: A wall-clock time in the municipality's zone (``HH:MM`` or ``HH:MM:SS``). JSON Schema's
#: ``format: time`` means an RFC 3339 time *with* an offset, which a shift's "08:30" is not.
LocalTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?$",
            "description": "Local wall-clock time, HH:MM or HH:MM:SS.",
            "examples": ["08:30"],
        }
    ),
]


class LocationIn(BaseModel):
    """Where an expert's day starts or ends: coordinates, or an address geocoded via the register.

    Give ``lat`` and ``lon``, or ``postcode`` and ``house_number`` (with an optional ``addition``).
    """

    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="Stadskantoor", min_length=1, max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    postcode: str | None = Field(default=None, max_length=7)
    house_number: int | None = Field(default=None, ge=1, le=99999)
    addition: str | None = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def _one_way_to_locate(self) -> Self:
        by_point = self.lat is not None and self.lon is not None
        by_address = self.postcode is not None and self.house_number is not None
        if by_point == by_address:
            raise ValueError("give either lat and lon, or postcode and house_number")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon")
        return self


class LocationRead(BaseModel):
    label: str
    lat: float
    lon: float


class ExpertCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field(default_factory=list, max_length=20)
    travel_mode: TravelMode = TravelMode.BIKE
    start: LocationIn
    #: Where the day ends; omitted or null means back at the start.
    end: LocationIn | None = None
    max_visits_per_day: int | None = Field(default=None, ge=1, le=50)
    active: bool = True

    @model_validator(mode="after")
    def _skills(self) -> Self:
        self.skills = _clean_skills(self.skills)
        return self


class ExpertUpdate(BaseModel):
    """Fields to change; omitted fields stay. ``end: null`` means back at the start again."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    skills: list[str] | None = Field(default=None, max_length=20)
    travel_mode: TravelMode | None = None
    start: LocationIn | None = None
    end: LocationIn | None = None
    max_visits_per_day: int | None = Field(default=None, ge=1, le=50)
    active: bool | None = None

    @model_validator(mode="after")
    def _skills(self) -> Self:
        if self.skills is not None:
            self.skills = _clean_skills(self.skills)
        for name in ("name", "travel_mode", "start", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


def _clean_skills(skills: list[str]) -> list[str]:
    out: list[str] = []
    for raw in skills:
        code = raw.strip().lower()
        if not re.match(SKILL_PATTERN, code):
            raise ValueError(f"'{raw}' is not a skill code (lower case letters, digits, dashes)")
        if code not in out:
            out.append(code)
    return out


class ExpertRead(BaseModel):
    id: int
    name: str
    skills: list[str]
    travel_mode: TravelMode
    start: LocationRead
    end: LocationRead | None
    max_visits_per_day: int | None
    active: bool

    @classmethod
    def of(cls, e: Expert) -> ExpertRead:
        end = None
        if e.end_lat is not None and e.end_lon is not None:
            end = LocationRead(label=e.end_label or "", lat=e.end_lat, lon=e.end_lon)
        return cls(
            id=e.id,
            name=e.name,
            skills=list(e.skills),
            travel_mode=e.travel_mode,
            start=LocationRead(label=e.start_label, lat=e.start_lat, lon=e.start_lon),
            end=end,
            max_visits_per_day=e.max_visits_per_day,
            active=e.active,
        )


class _Break(BaseModel):
    break_earliest: LocalTime | None = None
    break_latest: LocalTime | None = None
    break_minutes: int = Field(default=0, ge=0, le=240)

    def _check_break(self, start: dt.time, end: dt.time) -> None:
        parts = (self.break_earliest, self.break_latest)
        if self.break_minutes == 0:
            if any(p is not None for p in parts):
                raise ValueError("a break needs break_minutes")
            return
        if self.break_earliest is None or self.break_latest is None:
            raise ValueError("a break needs break_earliest and break_latest")
        if self.break_latest < self.break_earliest:
            raise ValueError("break_latest lies before break_earliest")
        if self.break_earliest < start or _plus(self.break_latest, self.break_minutes) > end:
            raise ValueError("the break must lie inside the shift")


def _plus(t: dt.time, minutes: int) -> dt.time:
    at = dt.datetime.combine(dt.date(2000, 1, 1), t) + dt.timedelta(minutes=minutes)
    return dt.time.max if at.date() > dt.date(2000, 1, 1) else at.time()


class ShiftIn(_Break):
    """A weekly shift: weekday 0 = Monday … 6 = Sunday, local times, optional validity dates."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6)
    start: LocalTime
    end: LocalTime
    valid_from: Day | None = None
    valid_until: Day | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end <= self.start:
            raise ValueError("a shift ends after it starts (night shifts are not supported)")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until lies before valid_from")
        self._check_break(self.start, self.end)
        return self


class ShiftRead(BaseModel):
    id: int
    weekday: int
    start: LocalTime
    end: LocalTime
    break_earliest: LocalTime | None
    break_latest: LocalTime | None
    break_minutes: int
    valid_from: dt.date | None
    valid_until: dt.date | None

    @classmethod
    def of(cls, s: WeeklyShift) -> ShiftRead:
        return cls(
            id=s.id,
            weekday=s.weekday,
            start=s.start,
            end=s.end,
            break_earliest=s.break_earliest,
            break_latest=s.break_latest,
            break_minutes=s.break_minutes,
            valid_from=s.valid_from,
            valid_until=s.valid_until,
        )


class ExceptionIn(_Break):
    """A dated exception: an extra shift (times required), an absence or sickness.

    An absence or sickness without times covers the whole day; ``until`` repeats a whole-day
    absence on every date up to and including it (a week of leave in one request).
    """

    model_config = ConfigDict(extra="forbid")

    date: Day
    kind: ExceptionKind
    start: LocalTime | None = None
    end: LocalTime | None = None
    until: Day | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither (the whole day)")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end lies before start")
        if self.kind is ExceptionKind.EXTRA:
            if self.start is None or self.end is None:
                raise ValueError("an extra shift needs start and end")
            if self.until is not None:
                raise ValueError("until is for whole-day absences")
            self._check_break(self.start, self.end)
        else:
            if self.break_minutes or self.break_earliest or self.break_latest:
                raise ValueError("an absence has no break")
            if self.until is not None:
                if self.start is not None:
                    raise ValueError("until is for whole-day absences")
                if self.until < self.date:
                    raise ValueError("until lies before date")
                if (self.until - self.date).days > 92:
                    raise ValueError("record at most three months at once")
        return self


class ExceptionRead(BaseModel):
    id: int
    expert_id: int
    date: dt.date
    kind: ExceptionKind
    start: LocalTime | None
    end: LocalTime | None
    break_earliest: LocalTime | None
    break_latest: LocalTime | None
    break_minutes: int
    whole_day: bool

    @classmethod
    def of(cls, e: ShiftException) -> ExceptionRead:
        return cls(
            id=e.id,
            expert_id=e.expert_id,
            date=e.date,
            kind=e.kind,
            start=e.start,
            end=e.end,
            break_earliest=e.break_earliest,
            break_latest=e.break_latest,
            break_minutes=e.break_minutes,
            whole_day=e.kind is not ExceptionKind.EXTRA and e.start is None,
        )


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day
    name: str = Field(min_length=1, max_length=200)


class ClosureRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class ClosureRead(BaseModel):
    id: int
    date: dt.date
    name: str
    #: "holiday" (pre-filled public holiday) or "manual".
    source: str

    @classmethod
    def of(cls, c: Closure) -> ClosureRead:
        return cls(id=c.id, date=c.date, name=c.name, source=c.source)


# --- Capacity overview (also the data of the planner's heat map) -----------------------------


class FiguresRead(BaseModel):
    """Minutes of capacity and their use. ``utilisation`` = (booked + travel) / available."""

    available_minutes: int
    booked_minutes: int
    travel_minutes: int
    free_minutes: int
    utilisation: float | None
    #: Available minutes after 17:00 local time, and on Saturdays and Sundays.
    evening_minutes: int
    weekend_minutes: int
    evening_share: float | None
    weekend_share: float | None
    visits: int

    @staticmethod
    def fields_of(f: Figures) -> dict[str, object]:
        def share(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "available_minutes": f.available,
            "booked_minutes": f.booked,
            "travel_minutes": f.travel,
            "free_minutes": f.free,
            "utilisation": share(f.utilisation),
            "evening_minutes": f.evening,
            "weekend_minutes": f.weekend,
            "evening_share": share(f.evening_share),
            "weekend_share": share(f.weekend_share),
            "visits": f.visits,
        }

    @classmethod
    def of(cls, f: Figures) -> FiguresRead:
        return cls.model_validate(cls.fields_of(f))


class CellRead(FiguresRead):
    """One expert on one date; ``shift_start``/``shift_end`` are null when they do not work."""

    shift_start: dt.datetime | None
    shift_end: dt.datetime | None

    @classmethod
    def of_cell(cls, c: Cell) -> CellRead:
        return cls.model_validate(
            {**cls.fields_of(c.figures), "shift_start": c.shift_start, "shift_end": c.shift_end}
        )


class ExpertRowRead(BaseModel):
    """A heat-map row: ``days[i]`` belongs to ``dates[i]``; null when the expert is not there."""

    expert_id: int
    name: str
    active: bool
    skills: list[str]
    days: list[CellRead | None]


class DayRead(FiguresRead):
    date: dt.date
    weekday: int
    experts_working: int
    unplanned_visits: int


class WeekRead(FiguresRead):
    """An ISO week, cut to the requested period (``first``..``last``)."""

    year: int
    week: int
    first: dt.date
    last: dt.date


class OverviewRead(BaseModel):
    """Capacity per expert-day (a matrix over ``dates``), per day, per ISO week and in total."""

    start: dt.date
    end: dt.date
    timezone: str
    dates: list[dt.date]
    experts: list[ExpertRowRead]
    days: list[DayRead]
    weeks: list[WeekRead]
    totals: FiguresRead

    @classmethod
    def of(cls, o: Overview) -> OverviewRead:
        return cls(
            start=o.start,
            end=o.end,
            timezone=o.timezone,
            dates=o.dates,
            experts=[
                ExpertRowRead(
                    expert_id=r.expert_id,
                    name=r.name,
                    active=r.active,
                    skills=r.skills,
                    days=[CellRead.of_cell(c) if c is not None else None for c in r.cells],
                )
                for r in o.experts
            ],
            days=[
                DayRead.model_validate(
                    {
                        **FiguresRead.fields_of(d.figures),
                        "date": d.date,
                        "weekday": d.date.weekday(),
                        "experts_working": d.experts_working,
                        "unplanned_visits": d.unplanned_visits,
                    }
                )
                for d in o.days
            ],
            weeks=[
                WeekRead.model_validate(
                    {
                        **FiguresRead.fields_of(w.figures),
                        "year": w.year,
                        "week": w.week,
                        "first": w.first,
                        "last": w.last,
                    }
                )
                for w in o.weeks
            ],
            totals=FiguresRead.of(o.totals),
        )
