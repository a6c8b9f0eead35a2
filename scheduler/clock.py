"""Time: stored in UTC, planned in seconds since local midnight, shown in the municipality's zone.

A day plan's time origin is the instant of local midnight, so the routing engine's integer seconds
stay exact across the DST changes (the day simply has 23 or 25 hours).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current instant, aware, in UTC (replaceable in tests with :func:`set_clock`)."""
    return _now()


def set_clock(fn: Callable[[], dt.datetime]) -> Callable[[], dt.datetime]:
    """Replace the clock; returns the previous one so tests can restore it."""
    global _now
    previous, _now = _now, fn
    return previous


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant at which ``day`` starts in ``tz``."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def at_local(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall-clock ``time`` on ``day`` in ``tz``.

    Non-existent times (the hour skipped in spring) move forward by the gap; ambiguous ones (the
    hour repeated in autumn) take the first occurrence, as ``zoneinfo`` does with ``fold=0``.
    """
    local = dt.datetime.combine(day, time, tzinfo=tz)
    # Round-trip through UTC normalises a wall time that does not exist.
    return local.astimezone(dt.UTC)


def to_seconds(instant: dt.datetime, origin: dt.datetime) -> int:
    """Whole seconds from ``origin`` to ``instant`` (both aware)."""
    return int((instant - origin).total_seconds())


def from_seconds(seconds: int, origin: dt.datetime) -> dt.datetime:
    return origin + dt.timedelta(seconds=seconds)


def local_date(instant: dt.datetime, tz: ZoneInfo) -> dt.date:
    return instant.astimezone(tz).date()
