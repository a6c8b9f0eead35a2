"""Shapes of the waiting list: its API answer, and the local hours in which notices may go out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from scheduler import clock
from scheduler.waitlist.models import WaitlistEntry


@dataclass(frozen=True)
class Hours:
    """The local hours in which notices may go out, e.g. 09:00 to 20:00."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("the waiting-list hours must start before they end")

    @classmethod
    def parse(cls, text: str) -> Hours:
        """``"09:00-20:00"`` (local time, 24-hour)."""
        try:
            first, _, last = text.strip().partition("-")
            return cls(dt.time.fromisoformat(first.strip()), dt.time.fromisoformat(last.strip()))
        except ValueError as exc:
            raise ValueError(f"waiting-list hours look like 09:00-20:00, not {text!r}") from exc

    def next_open(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
        """None inside the hours; otherwise when they open next."""
        local = now.astimezone(tz)
        if local.time() < self.start:
            return clock.at_local(local.date(), self.start, tz)
        if local.time() >= self.end:
            return clock.at_local(local.date() + dt.timedelta(days=1), self.start, tz)
        return None


DEFAULT_HOURS = Hours(dt.time(9, 0), dt.time(20, 0))


class WaitlistRead(BaseModel):
    """Whether a booking waits for an earlier time."""

    waiting: bool
    joined_at: dt.datetime | None
    notices: int = Field(description="Messages about earlier times sent so far (at most 3).")
    last_notice_at: dt.datetime | None
    moved_at: dt.datetime | None = Field(
        description="When the booking moved to an earlier time after a message."
    )

    @classmethod
    def of(cls, entry: WaitlistEntry | None, tz: ZoneInfo) -> WaitlistRead:
        def local(value: dt.datetime | None) -> dt.datetime | None:
            return value.astimezone(tz) if value is not None else None

        if entry is None:
            return cls(waiting=False, joined_at=None, notices=0, last_notice_at=None, moved_at=None)
        return cls(
            waiting=entry.active,
            joined_at=local(entry.joined_at),
            notices=entry.notices,
            last_notice_at=local(entry.last_notice_at),
            moved_at=local(entry.moved_at),
        )
