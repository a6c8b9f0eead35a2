"""The dates and instants any input may name, so date arithmetic can never overflow.

``datetime`` stops at the years 1 and 9999: a local midnight, a shift across a time zone or a
week's range computed near either end raises ``OverflowError`` (a 500). Every date and datetime a
request or page accepts is one of the types below, or goes through :func:`parse_day`, and ranges
are capped at :data:`MAX_RANGE_DAYS`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
#: The longest range of dates one request may cover.
MAX_RANGE_DAYS = 400


def check_date(value: dt.date) -> dt.date:
    """``value`` when it lies between :data:`FIRST_DATE` and :data:`LAST_DATE`."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"choose a date between {FIRST_DATE} and {LAST_DATE}")
    return value


def check_moment(value: dt.datetime) -> dt.datetime:
    """An aware ``value`` within the bounds, in UTC (its offset may be anything up to a day)."""
    if value.tzinfo is None:
        raise ValueError("give a time with its UTC offset")
    if not FIRST_DATE.year <= value.year <= LAST_DATE.year:
        raise ValueError(f"choose a time between {FIRST_DATE} and {LAST_DATE}")
    return value.astimezone(dt.UTC)


def check_range(first: dt.date, last: dt.date) -> None:
    """Raise ``ValueError`` when ``first``–``last`` is longer than :data:`MAX_RANGE_DAYS`."""
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValueError(f"choose a range of at most {MAX_RANGE_DAYS} days")


def parse_day(raw: str | None) -> dt.date | None:
    """A date typed in a page (``YYYY-MM-DD``) within the bounds, or None."""
    if not raw or len(raw) > 10:
        return None
    try:
        return check_date(dt.date.fromisoformat(raw))
    except ValueError:
        return None


#: A date within the bounds (request bodies, query and path parameters).
Day = Annotated[dt.date, AfterValidator(check_date)]
#: An instant with its offset within the bounds, converted to UTC.
Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]
