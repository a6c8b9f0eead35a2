"""Request and response bodies for rotas: shift types, contracts, minimum cover, proposals."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scheduler.bounds import Day
from scheduler.capacity.schemas import LocalTime
from scheduler.rota.models import RotaProposal, ShiftTypeRow
from scheduler.rota.problem import (
    Contract,
    EveningWish,
    MinimumCover,
    Part,
    Preference,
    ShiftType,
)


class ShiftTypeIn(BaseModel):
    """A shift type: local start and end, its break, and the weekdays (0 = Monday … 5)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1, max_length=100)
    start: LocalTime
    end: LocalTime
    break_minutes: int = Field(default=0, ge=0, le=120)
    break_earliest: LocalTime | None = None
    break_latest: LocalTime | None = None
    weekdays: list[int] = Field(min_length=1, max_length=6)

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if any(not 0 <= d <= 5 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 5 (Saturday)")
        if self.break_minutes and (self.break_earliest is None or self.break_latest is None):
            raise ValueError("a break needs break_earliest and break_latest")
        self.shift_type()  # the domain's own checks (12 hours at most, break inside)
        return self

    def shift_type(self) -> ShiftType:
        return ShiftType(
            self.code,
            self.name,
            self.start,
            self.end,
            self.break_minutes,
            self.break_earliest,
            self.break_latest,
            frozenset(self.weekdays),
        )


class ShiftTypeRead(ShiftTypeIn):
    id: int
    hours: float

    @classmethod
    def of(cls, row: ShiftTypeRow) -> ShiftTypeRead:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            start=row.start,
            end=row.end,
            break_minutes=row.break_minutes,
            break_earliest=row.break_earliest,
            break_latest=row.break_latest,
            weekdays=sorted(row.weekdays),
            hours=round(
                (
                    (row.end.hour * 60 + row.end.minute)
                    - (row.start.hour * 60 + row.start.minute)
                    - row.break_minutes
                )
                / 60,
                2,
            ),
        )


class ContractIn(BaseModel):
    """An expert's contract and rota preferences."""

    model_config = ConfigDict(extra="forbid")

    hours_per_week: float = Field(ge=0, le=60)
    tolerance_hours: float = Field(default=4.0, ge=0, le=20)
    max_evenings_per_week: int = Field(default=2, ge=0, le=5)
    max_saturdays_per_month: int = Field(default=2, ge=0, le=5)
    evenings: Literal["wants", "cannot", "none"] = "none"
    day_off: int | None = Field(default=None, ge=0, le=5)

    def contract(self) -> Contract:
        return Contract(
            self.hours_per_week,
            self.tolerance_hours,
            self.max_evenings_per_week,
            self.max_saturdays_per_month,
        )

    def preference(self) -> Preference:
        return Preference(EveningWish(self.evenings), self.day_off)


class ContractRead(ContractIn):
    expert_id: int
    #: False: no contract stored yet; these are the weekly pattern's hours and the defaults.
    stored: bool

    @classmethod
    def of(cls, expert_id: int, c: Contract, p: Preference, stored: bool) -> ContractRead:
        return cls(
            expert_id=expert_id,
            stored=stored,
            hours_per_week=c.hours_per_week,
            tolerance_hours=c.tolerance_hours,
            max_evenings_per_week=c.max_evenings_per_week,
            max_saturdays_per_month=c.max_saturdays_per_month,
            evenings=p.evenings.value,
            day_off=p.day_off,
        )


class MinimumIn(BaseModel):
    """Hard: at least ``experts`` experts with ``skill`` in ``part`` of every open day."""

    model_config = ConfigDict(extra="forbid")

    skill: str = Field(min_length=1, max_length=64)
    part: Part
    experts: int = Field(ge=1, le=50)

    def rule(self) -> MinimumCover:
        return MinimumCover(self.skill, self.part, self.experts)

    @classmethod
    def of(cls, m: MinimumCover) -> MinimumIn:
        return cls(skill=m.skill, part=m.part, experts=m.experts)


class RotaRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Day
    weeks: int = Field(ge=2, le=8)
    time_limit: float = Field(default=20.0, gt=0, le=600)


class AssignmentRead(BaseModel):
    expert_id: int
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    pattern: str
    break_minutes: int


class RotaProposalRead(BaseModel):
    id: str
    status: str
    feasible: bool
    start: dt.date
    weeks: int
    reasons: list[dict[str, Any]]
    assignments: list[AssignmentRead]
    coverage: dict[str, Any]
    fairness: dict[str, Any]
    replan: list[dict[str, Any]]
    solver: dict[str, Any]
    forecast: dict[str, Any]
    created_at: dt.datetime
    applied_at: dt.datetime | None
    #: Why an asynchronous proposal failed (an error class name).
    error: str | None = None

    @classmethod
    def of(cls, p: RotaProposal, status: str) -> RotaProposalRead:
        """The proposal; a queued, running or failed one has no shifts or figures yet."""
        r = p.result
        return cls(
            id=p.id,
            status=status,
            feasible=p.feasible,
            start=p.start,
            weeks=p.weeks,
            reasons=r.get("reasons", []),
            assignments=[AssignmentRead.model_validate(a) for a in r.get("assignments", [])],
            coverage=r.get("coverage", {}),
            fairness=r.get("fairness", {}),
            replan=r.get("replan", []),
            solver=r.get("solver", {}),
            forecast=r.get("forecast", {}),
            created_at=p.created_at,
            applied_at=p.applied_at,
            error=p.error,
        )


class ForecastRow(BaseModel):
    week: int
    first: dt.date
    part: Part
    skill: str | None
    demand_hours: float
    capacity_hours: float


class ForecastRead(BaseModel):
    start: dt.date
    weeks: int
    rows: list[ForecastRow]
    sources_hours: dict[str, float]
    backtest: dict[str, Any]
