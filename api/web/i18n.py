"""Language of the web pages: Dutch by default, English on request; dates written out by hand.

The language comes from, in order: a ``lang`` query parameter (the visible language link), the
``aanhuis_lang`` cookie (the remembered choice), Dutch. The browser's Accept-Language is not
consulted: a Dutch municipal service speaks Dutch first, and an English browser in the Netherlands
is common enough that guessing would surprise more people than it helps.

Texts live in :mod:`api.web.messages` as ``key → {"nl": …, "en": …}``. Templates call ``t(key,
**values)``; Python code uses :class:`Translator` the same way. Dates and times are formatted here
rather than with the process locale, so a server without the Dutch locale still writes "dinsdag 1
december".
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from fastapi import Request

from api.web.messages import MESSAGES
from scheduler.notify import templates
from scheduler.notify.templates import MONTHS, WEEKDAYS

Lang = Literal["nl", "en"]
LANGUAGES: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "nl"
#: Remembers the visitor's language choice for a year (not personal data; no consent needed).
LANG_COOKIE = "aanhuis_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def parse_lang(value: str | None) -> Lang | None:
    """``"nl"`` or ``"en"`` for a supported language tag (``"en-GB"`` too), else None."""
    tag = (value or "").strip().lower()[:2]
    for lang in LANGUAGES:
        if tag == lang:
            return lang
    return None


def requested_lang(request: Request) -> tuple[Lang, bool]:
    """The page language and whether it was chosen just now (so the cookie must be set)."""
    chosen = parse_lang(request.query_params.get("lang"))
    if chosen is not None:
        return chosen, chosen != parse_lang(request.cookies.get(LANG_COOKIE))
    return parse_lang(request.cookies.get(LANG_COOKIE)) or DEFAULT_LANG, False


class Translator:
    """``t(key, **values)``: the text for ``key`` in one language, with ``{name}`` filled in.

    An unknown key raises ``KeyError``: a missing text is a bug the tests must catch, not a blank
    on a citizen's screen.
    """

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str, /, **values: object) -> str:
        text = MESSAGES[key][self.lang]
        return text.format(**values) if values else text

    def date(self, day: dt.date, *, year: bool = False) -> str:
        """``dinsdag 1 december`` / ``Tuesday 1 December`` (with the year when asked)."""
        return format_date(day, self.lang, year=year)

    def time(self, instant: dt.datetime, tz: ZoneInfo) -> str:
        return format_time(instant, tz, self.lang)

    def window(self, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> str:
        """``dinsdag 1 december, 09:00–11:00`` in the municipality's zone."""
        return format_window(start, end, tz, self.lang)

    def times(self, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> str:
        """``09:00–11:00``: the window without its date (under a day heading)."""
        return f"{format_time(start, tz, self.lang)}–{format_time(end, tz, self.lang)}"


def format_date(day: dt.date, lang: Lang, *, year: bool = False) -> str:
    text = f"{WEEKDAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]}"
    return f"{text} {day.year}" if year else text


def format_time(instant: dt.datetime, tz: ZoneInfo, lang: Lang = "nl") -> str:
    """Wall-clock time in ``tz``, 24-hour (the Dutch and the European English habit); the
    repeated autumn hour says "(zomertijd)" or "(wintertijd)"."""
    return templates.format_time(instant, tz, lang)


def format_window(start: dt.datetime, end: dt.datetime, tz: ZoneInfo, lang: Lang) -> str:
    day = start.astimezone(tz).date()
    return f"{format_date(day, lang)}, {format_time(start, tz, lang)}–{format_time(end, tz, lang)}"
